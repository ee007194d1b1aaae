"""Shared fixtures. Every test runs once per backend (ids `py` and `c`): the Cython kernels and
their pure-Python twins must pass the same suite. A machine without the extension skips `c`."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from edi import _backend

CORPUS = Path(os.environ.get("EDI_CORPUS", Path(__file__).resolve().parents[1].parent / "shared" / "corpus"))
BACKENDS = [pytest.param("python", id="py"), pytest.param("cython", id="c")]


@pytest.fixture(autouse=True, params=BACKENDS)
def backend(request):
    """Run the test with one backend's kernels."""
    if request.param not in _backend.KERNELS:
        pytest.skip("the Cython extension is not built")
    with _backend.use(request.param):
        yield request.param


def corpus_files(*kinds: str) -> list[Path]:
    """Corpus files of the given kinds (all kinds but `expected` when none are named)."""
    if not CORPUS.is_dir():
        return []
    folders = kinds or [p.name for p in sorted(CORPUS.iterdir()) if p.is_dir() and p.name != "expected"]
    return sorted(p for kind in folders for p in (CORPUS / kind).iterdir() if p.is_file())


def corpus_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
