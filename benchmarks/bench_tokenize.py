"""Tokenizer throughput: the Cython kernel, its pure-Python twin, and the pure-Python floor
(`bytes.split` on the terminator, then on the element separator) on the same generated 835s.

Compare within one run: `pytest benchmarks/bench_tokenize.py --benchmark-enable`. Each result
carries `mb_per_s` and the index size relative to the input in `extra_info`.
"""
from __future__ import annotations

import pytest

import edi
from edi import _backend
from conftest import generated

# The twin is slow by nature; past this size it only lengthens the run.
TWIN_MAX_BYTES = 12 << 20


def _record(benchmark, data: bytes) -> None:
    if benchmark.stats:
        benchmark.extra_info["mb_per_s"] = round(len(data) / 1e6 / benchmark.stats.stats.median, 1)
    benchmark.extra_info["input_bytes"] = len(data)


def split_floor(data: bytes) -> list[list[bytes]]:
    """What a plain-Python reader does: split segments, then elements."""
    return [segment.split(b"*") for segment in data.split(b"~")]


@pytest.mark.parametrize("backend", sorted(_backend.KERNELS))
def test_tokenize_835(benchmark, size, backend):
    data = generated("835", size).read_bytes()
    if backend == "python" and len(data) > TWIN_MAX_BYTES:
        pytest.skip("the twin is measured on the smaller files only")
    benchmark.group = f"tokenize 835 {size}"
    with _backend.use(backend):
        index = benchmark(edi.tokenize, data)
    _record(benchmark, data)
    benchmark.extra_info["index_to_input"] = round(index.nbytes / len(data), 3)
    assert len(index) == data.count(b"~")


def test_split_floor_835(benchmark, size):
    data = generated("835", size).read_bytes()
    benchmark.group = f"tokenize 835 {size}"
    segments = benchmark(split_floor, data)
    _record(benchmark, data)
    assert len(segments) == data.count(b"~") + 1


def test_tokenize_837p(benchmark, size):
    data = generated("837p", size).read_bytes()
    benchmark.group = f"tokenize 837p {size}"
    index = benchmark(edi.tokenize, data)
    _record(benchmark, data)
    assert len(index) == data.count(b"~")


def test_read_and_write_835(benchmark, size):
    """Envelope assembly and checks on top of tokenizing, then the lossless write."""
    data = generated("835", size).read_bytes()
    benchmark.group = f"read+write 835 {size}"

    def read_write():
        return edi.write(edi.read(data))

    assert benchmark(read_write) == data
    _record(benchmark, data)
