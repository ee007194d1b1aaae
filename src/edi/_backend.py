"""Which kernels run: the Cython extension, or the pure-Python twin.

`EDI_NO_EXTENSIONS=1` forces the twin; otherwise the extension is used when it is built.
`BACKEND` names the one in use ("cython" or "python"); tests switch with `use()`.
"""
from __future__ import annotations

import contextlib
import os

from ._py import tokenizer as _py_tokenizer

KERNELS = {"python": _py_tokenizer.scan_segments}
try:
    from ._fast import _tokenizer as _c_tokenizer
except ImportError:  # not built: the twin serves
    _c_tokenizer = None
else:
    KERNELS["cython"] = _c_tokenizer.scan_segments

BACKEND = "cython" if "cython" in KERNELS and not os.environ.get("EDI_NO_EXTENSIONS") else "python"
scan_segments = KERNELS[BACKEND]


@contextlib.contextmanager
def use(name: str):
    """Run the block with the named backend's kernels (for tests and benchmarks)."""
    global scan_segments
    saved = scan_segments
    scan_segments = KERNELS[name]
    try:
        yield
    finally:
        scan_segments = saved
