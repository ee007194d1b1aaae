"""Benchmark inputs: generated files (deterministic, seeded), cached in benchmarks/data/.

`EDI_BENCH_SIZES` picks the sizes (default "1MB,10MB,50MB"; CI's smoke run uses "1MB").
`EDI_BENCH_STREAM_SIZE` is the size of the streaming-memory file (default 1GB).
`EDI_BENCH_POST_FILES` is the number of 250 KB files `bench_post.py` posts (default 200; CI: 8).
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import _parse_size, write_file  # noqa: E402

DATA = HERE / "data"
SIZES = [s.strip() for s in os.environ.get("EDI_BENCH_SIZES", "1MB,10MB,50MB").split(",") if s.strip()]
STREAM_SIZE = os.environ.get("EDI_BENCH_STREAM_SIZE", "1GB")
SEED = 2026


#: Files made by another version of the generator are not reused (their content differs).
GENERATOR = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:8]


def generated(kind: str, size: str) -> Path:
    """Path of a generated file of this kind and size, made on first use."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{kind}-{size}-seed{SEED}-{GENERATOR}.x12"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_file(partial, kind, _parse_size(size), SEED)
        partial.rename(path)
    return path


@pytest.fixture(scope="session", params=SIZES)
def size(request) -> str:
    return request.param
