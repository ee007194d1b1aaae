"""Validation of clean generated 835s and 837Ps (SNIP 1-2 over a read document whose loop trees
are built; the issue 3 target is >= 100 MB/s on 50 MB). Run with --benchmark-enable."""
from __future__ import annotations

import pytest

import edi
from edi import _backend
from edi.validate import validate
from conftest import generated

TWIN_MAX_BYTES = 2 << 20


@pytest.mark.parametrize("kind", ["835", "837p"])
@pytest.mark.parametrize("backend", sorted(_backend.VALIDATE_KERNELS))
def test_validate(benchmark, size, kind, backend):
    data = generated(kind, size).read_bytes()
    if backend == "python" and len(data) > TWIN_MAX_BYTES:
        pytest.skip("the twin is measured on the smallest file only")
    benchmark.group = f"validate {kind} {size}"
    with _backend.use(backend):
        doc = edi.read(data)
        for txn in doc.transactions:
            assert txn.loops is not None
        findings = benchmark(validate, doc)
    if benchmark.stats:
        benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1)
    assert [f for f in findings if f.severity is edi.errors.Severity.ERROR] == []
