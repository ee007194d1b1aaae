"""835 tables: read + the six tables (edi.remittance.tables) + balancing findings, on generated
835s (the issue 4 target is the whole pass at >= 200 MB/s). Run with --benchmark-enable."""
from __future__ import annotations

import pytest

import edi
from edi import _backend
from edi.remittance.tables import balance_findings, extract, extract_batch
from conftest import generated

TWIN_MAX_BYTES = 2 << 20


def read_tables(data: bytes):
    """Read, extract the six tables, and balance; returns (tables, findings)."""
    tables = extract_batch([edi.read(data)])
    return tables, balance_findings(tables)


def file_tables(path):
    """Read the file, extract the six tables, and balance; returns (tables, findings)."""
    tables = extract(edi.read_file(path))
    return tables, balance_findings(tables)


@pytest.mark.parametrize("backend", sorted(_backend.COLUMN_KERNELS))
def test_read_tables(benchmark, size, backend):
    data = generated("835", size).read_bytes()
    if backend == "python" and len(data) > TWIN_MAX_BYTES:
        pytest.skip("the twin is measured on the smallest file only")
    benchmark.group = f"read+tables 835 {size}"
    with _backend.use(backend):
        tables, findings = benchmark(read_tables, data)
    benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None
    assert len(tables["claims"]) == data.count(b"~CLP*") and len(tables["service_lines"]) == data.count(b"~SVC*")
    assert findings == [] and tables.findings == []  # the generator balances by construction


def test_file_to_tables(benchmark, size):
    """From the file on disk, as oxedi's `parse_file` starts (test_oxedi_parse_file, same group)."""
    path = generated("835", size)
    benchmark.group = f"835 file to tables {size}"
    tables, findings = benchmark(file_tables, path)
    benchmark.extra_info["mb_per_s"] = round(path.stat().st_size / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None
    assert len(tables["claims"]) == path.read_bytes().count(b"~CLP*") and findings == []


def test_oxedi_parse_file(benchmark, size):
    """The peer of issue 4's target, in this process: `oxedi.parse_file(path)` (Rust: index, loop
    engine, structure checks, tables)."""
    oxedi = pytest.importorskip("oxedi", reason="pip install '.[bench]'")
    path = generated("835", size)
    benchmark.group = f"835 file to tables {size}"
    claims = benchmark(lambda: oxedi.parse_file(str(path)).count_claims())
    benchmark.extra_info["mb_per_s"] = round(path.stat().st_size / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None
    assert claims == path.read_bytes().count(b"~CLP*")
