"""Loop parsing: tokenize + envelopes + loop walker over every transaction, on generated 835s
and 837Ps (the issue 3 target is the whole pass at >= 300 MB/s). Run with --benchmark-enable.

Each result's `extra_info` has `mb_per_s` (from the median wall time) and `cpu_mb_per_s` (from
the best process CPU time of the rounds): on a shared machine the two tell contention apart."""
from __future__ import annotations

import time

import pytest

import edi
from edi import _backend
from conftest import generated

TWIN_MAX_BYTES = 2 << 20


def read_with_loops(data: bytes) -> int:
    """Read and walk every transaction's loops (`Transaction.loops`: the first access walks the
    whole group in one kernel call); returns the number of loop instances."""
    doc = edi.read(data)
    return sum(len(txn.loops.loop_node) for txn in doc.transactions)


@pytest.mark.parametrize("kind", ["835", "837p"])
@pytest.mark.parametrize("backend", sorted(_backend.KERNELS))
def test_read_with_loops(benchmark, size, kind, backend):
    data = generated(kind, size).read_bytes()
    if backend == "python" and len(data) > TWIN_MAX_BYTES:
        pytest.skip("the twin is measured on the smallest file only")
    benchmark.group = f"read+loops {kind} {size}"
    cpu = []

    def timed(data: bytes) -> int:
        start = time.process_time()
        instances = read_with_loops(data)
        cpu.append(time.process_time() - start)
        return instances

    with _backend.use(backend):
        instances = benchmark(timed, data)
    if benchmark.stats:
        benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1)
        benchmark.extra_info["cpu_mb_per_s"] = round(len(data) / 1e6 / min(cpu), 1)
    loop_triggers = data.count(b"~CLP*") + data.count(b"~SVC*") if kind == "835" else data.count(b"~HL*")
    assert instances > loop_triggers
