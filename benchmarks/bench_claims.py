"""837P claims: read + the three claim tables (edi.claims.tables) on generated 837Ps. The issue 6
target is >= 100x x12sdk's throughput on the same 50 MB file (x12sdk reads about 0.5 MB/s; see
peers.py). Text columns are spans decoded when used; the `all columns` variant also locates every
text column, as a consumer reading them all would. Run with --benchmark-enable."""
from __future__ import annotations

import pytest

import edi
import edi.claims
from edi import _backend
from conftest import generated

TWIN_MAX_BYTES = 2 << 20


def read_tables(data: bytes, every_column: bool):
    tables = edi.claims.extract(edi.read(data))
    if every_column:
        for table in tables.values():
            for name in table.column_names:
                table.raw(name)
    return tables


@pytest.mark.parametrize("every_column", [False, True], ids=["tables", "all columns"])
@pytest.mark.parametrize("backend", sorted(_backend.CLAIM_KERNELS))
def test_read_claim_tables(benchmark, size, backend, every_column):
    data = generated("837p", size).read_bytes()
    if backend == "python" and len(data) > TWIN_MAX_BYTES:
        pytest.skip("the twin is measured on the smallest file only")
    benchmark.group = f"read+claim tables 837P {size}"
    with _backend.use(backend):
        tables = benchmark(read_tables, data, every_column)
    benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None
    assert len(tables["claims"]) == data.count(b"~CLM*") and len(tables["service_lines"]) == data.count(b"~LX*")
    assert (tables["claims"].column("charge_cents") == tables["claims"].column("line_charge_cents")).all()
