"""Loop parsing: tokenize + envelopes + loop walker over every transaction, on generated 835s
and 837Ps (the issue 3 target is the whole pass at >= 300 MB/s). Run with --benchmark-enable."""
from __future__ import annotations

import pytest

import edi
from edi import _backend
from edi.loops import parse_loops
from conftest import generated

TWIN_MAX_BYTES = 2 << 20


def read_with_loops(data: bytes) -> int:
    """Read and walk every transaction's loops; returns the number of loop instances."""
    doc = edi.read(data)
    instances = 0
    for txn in doc.transactions:
        instances += len(parse_loops(doc.index, txn.first, txn.last, txn.schema).loop_node)
    return instances


@pytest.mark.parametrize("kind", ["835", "837p"])
@pytest.mark.parametrize("backend", sorted(_backend.KERNELS))
def test_read_with_loops(benchmark, size, kind, backend):
    data = generated(kind, size).read_bytes()
    if backend == "python" and len(data) > TWIN_MAX_BYTES:
        pytest.skip("the twin is measured on the smallest file only")
    benchmark.group = f"read+loops {kind} {size}"
    with _backend.use(backend):
        instances = benchmark(read_with_loops, data)
    benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1) if benchmark.stats else None
    loop_triggers = data.count(b"~CLP*") + data.count(b"~SVC*") if kind == "835" else data.count(b"~HL*")
    assert instances > loop_triggers
