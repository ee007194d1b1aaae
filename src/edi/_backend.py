"""Which kernels run: the Cython extension, or the pure-Python twins.

`EDI_NO_EXTENSIONS=1` forces the twins; otherwise the extension is used when it is built.
`BACKEND` names the one in use ("cython" or "python"); tests switch with `use()`.
"""
from __future__ import annotations

import contextlib
import os

from ._py import claims as _py_claims
from ._py import envelope as _py_envelope
from ._py import loops as _py_loops
from ._py import remit as _py_remit
from ._py import tokenizer as _py_tokenizer
from ._py import validate as _py_validate

#: Tokenizer kernels (`scan_segments`) and loop walkers (`walk_loops` for one transaction,
#: `walk_batch` for many) by backend name.
KERNELS = {"python": _py_tokenizer.scan_segments}
LOOP_KERNELS = {"python": _py_loops.walk_loops}
BATCH_KERNELS = {"python": _py_loops.walk_batch}
#: Element validators (`check_elements`) by backend name.
VALIDATE_KERNELS = {"python": _py_validate.check_elements}
#: Envelope checkers (`regular_ranges`, see `edi.envelope`) by backend name.
ENVELOPE_KERNELS = {"python": _py_envelope.regular_ranges}
#: Column extractors (modules with `extract_835` and `element_spans`) by backend name.
COLUMN_KERNELS = {"python": _py_remit}
#: Number and date readers for the 837 tables (modules with `numbers`, `dates`, `periods`).
CLAIM_KERNELS = {"python": _py_claims}
#: Whole-file readers: `read_bytes(f, threads)` gives what `f.read()` does (the native one reads
#: a file of 512 KB or more in two halves side by side, and a large one into huge pages).
FILE_READERS = {"python": lambda f, threads=1: f.read()}


def release_memory() -> None:
    """Let the pooled buffers go (`edi.release_memory`); the twins keep none."""


try:
    from ._fast import _claims as _c_claims
    from ._fast import _envelope as _c_envelope
    from ._fast import _loops as _c_loops
    from ._fast import _pool as _c_pool
    from ._fast import _remit as _c_remit
    from ._fast import _tokenizer as _c_tokenizer
    from ._fast import _validate as _c_validate
except ImportError:  # not built: the twins serve
    pass
else:
    KERNELS["cython"] = _c_tokenizer.scan_segments
    LOOP_KERNELS["cython"] = _c_loops.walk_loops
    BATCH_KERNELS["cython"] = _c_loops.walk_batch
    VALIDATE_KERNELS["cython"] = _c_validate.check_elements
    ENVELOPE_KERNELS["cython"] = _c_envelope.regular_ranges
    COLUMN_KERNELS["cython"] = _c_remit
    CLAIM_KERNELS["cython"] = _c_claims
    FILE_READERS["cython"] = _c_pool.read_bytes
    release_memory = _c_pool.release

BACKEND = "cython" if "cython" in KERNELS and not os.environ.get("EDI_NO_EXTENSIONS") else "python"
scan_segments = KERNELS[BACKEND]
walk_loops = LOOP_KERNELS[BACKEND]
walk_batch = BATCH_KERNELS[BACKEND]
check_elements = VALIDATE_KERNELS[BACKEND]
envelope_ranges = ENVELOPE_KERNELS[BACKEND]
columns = COLUMN_KERNELS[BACKEND]
claim_values = CLAIM_KERNELS[BACKEND]
read_bytes = FILE_READERS[BACKEND]


#: At most this many threads per kernel call when set (`limit_threads`); else one per core.
_thread_limit: int | None = None


def cores() -> int:
    """How many threads a native kernel may cut a piece of work into (the tokenizer and the 835
    tables' kernel do): one per core this process may run on, or fewer (`limit_threads`)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(available, _thread_limit) if _thread_limit else available


def limit_threads(count: int | None) -> None:
    """Use at most `count` threads per call of a native kernel (None: one per core, the
    default; `edi.limit_threads`). Large inputs are cut into parts that helper threads work on
    side by side; a program that already keeps every core busy with processes of its own (as
    `edi post --jobs` does in its workers) runs best with 1."""
    global _thread_limit
    if count is not None and count < 1:
        raise ValueError("count must be at least 1")
    _thread_limit = count


@contextlib.contextmanager
def use(name: str):
    """Run the block with the named backend's kernels (for tests and benchmarks)."""
    global scan_segments, walk_loops, walk_batch, check_elements, envelope_ranges, columns, claim_values
    global read_bytes
    saved = scan_segments, walk_loops, walk_batch, check_elements, envelope_ranges, columns, claim_values, read_bytes
    scan_segments, walk_loops, walk_batch, check_elements, envelope_ranges, columns, claim_values, read_bytes = (
        KERNELS[name], LOOP_KERNELS[name], BATCH_KERNELS[name], VALIDATE_KERNELS[name], ENVELOPE_KERNELS[name],
        COLUMN_KERNELS[name], CLAIM_KERNELS[name], FILE_READERS[name])
    try:
        yield
    finally:
        scan_segments, walk_loops, walk_batch, check_elements, envelope_ranges, columns, claim_values, read_bytes = saved
