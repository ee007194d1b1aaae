"""835 tables: read + the six tables (edi.remittance.tables) + balancing findings, on generated
835s (the issue 4 target is the whole pass at >= 200 MB/s, and 20x oxedi's `parse_file`). Run
with --benchmark-enable.

On files of 16 MB or more each round starts after a full collection, outside the timing (as
peers.py does for every file): a dropped Document is freed by the cycle collector, and a round
should not pay for the one before it; in a loop of its own a program pays one collection a
large file (docs/decisions.md). Small files are left alone: there the collection would only
empty the CPU caches before each round (1 MB: 1.9 -> 2.7 ms)."""
from __future__ import annotations

import gc

import pytest

import edi
from edi import _backend
from edi.remittance.tables import balance_findings, extract, extract_batch
from conftest import generated

TWIN_MAX_BYTES = 2 << 20
COLLECT_FROM = 16 << 20


def read_tables(data: bytes):
    """Read, extract the six tables, and balance; returns (tables, findings)."""
    tables = extract_batch([edi.read(data)])
    return tables, balance_findings(tables)


def measured(benchmark, size_bytes: int, function, *args, rounds: int | None = None):
    """`function(*args)` timed in rounds (more for small files), each after a full collection
    from 16 MB on."""
    rounds = rounds or max(5, min(50, int(50e6 // size_bytes)))
    setup = collect if size_bytes >= COLLECT_FROM else None
    return benchmark.pedantic(function, args=args, setup=setup, rounds=rounds, warmup_rounds=1)


def mb_per_s(benchmark, size_bytes: int) -> float | None:
    return round(size_bytes / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None


def collect() -> None:
    """The previous round's objects go (a setup that returns nothing, as pedantic wants)."""
    gc.collect()


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
        tables, findings = measured(benchmark, len(data), read_tables, data, rounds=3 if backend == "python" else None)
    benchmark.extra_info["mb_per_s"] = mb_per_s(benchmark, len(data))
    assert len(tables["claims"]) == data.count(b"~CLP*") and len(tables["service_lines"]) == data.count(b"~SVC*")
    assert findings == [] and tables.findings == []  # the generator balances by construction


def test_file_to_tables(benchmark, size):
    """From the file on disk, as oxedi's `parse_file` starts (test_oxedi_parse_file, same group)."""
    path = generated("835", size)
    benchmark.group = f"835 file to tables {size}"
    tables, findings = measured(benchmark, path.stat().st_size, file_tables, path)
    benchmark.extra_info["mb_per_s"] = mb_per_s(benchmark, path.stat().st_size)
    assert len(tables["claims"]) == path.read_bytes().count(b"~CLP*") and findings == []


def test_oxedi_parse_file(benchmark, size):
    """The peer of issue 4's target, in this process: `oxedi.parse_file(path)` (Rust: index, loop
    engine, structure checks, tables)."""
    oxedi = pytest.importorskip("oxedi", reason="pip install '.[bench]'")
    path = generated("835", size)
    benchmark.group = f"835 file to tables {size}"
    claims = measured(benchmark, path.stat().st_size, lambda: oxedi.parse_file(str(path)).count_claims())
    benchmark.extra_info["mb_per_s"] = mb_per_s(benchmark, path.stat().st_size)
    assert claims == path.read_bytes().count(b"~CLP*")
