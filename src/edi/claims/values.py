"""Values of many elements at once, read from the index by the column kernels.

The claim tables need a few texts, numbers and dates of every CLM, LX, SV1/SV2/SV3, HI, NM1
and DTP segment of a file. Text is located (`element_spans`, edi._fast._remit) and not copied;
numbers and dates are parsed in place by `edi._fast._claims` (twin `edi._py.claims`), one call
per column. Rows are segment positions (-1: none, which reads as absent) and an element number
for all rows or one per row; a component is split with the separator of the row's interchange.
"""
from __future__ import annotations

import numpy as np

from .. import _backend
from .._py.claims import INEXACT
from ..index import SegmentIndex
from ..table import StringColumn


def _by_separator(kernel, index: SegmentIndex, segments, element, component: int, *args):
    """`kernel(index, segments, elements, component, separator, *args)` over the rows, each
    with its interchange's component separator (one call when they all share one)."""
    segments = np.asarray(segments, np.int64)
    separators = [dialect.delimiters.component for dialect in index.dialects] or [b":"]
    if not component or len(set(separators)) == 1:
        return kernel(index, segments, element, component, separators[0] if component else b"", *args)
    elements = np.broadcast_to(np.asarray(element, np.int64), segments.shape)
    chunks = np.maximum(np.searchsorted(index.chunk_first, segments, side="right") - 1, 0)
    outputs = None
    for separator in set(separators):
        rows = np.flatnonzero(np.isin(chunks, [k for k, s in enumerate(separators) if s == separator]))
        part = kernel(index, segments[rows], elements[rows], component, separator, *args)
        if outputs is None:
            outputs = [np.zeros(len(segments), array.dtype) for array in part]
        for output, array in zip(outputs, part):
            output[rows] = array
    return tuple(outputs)


def text(index: SegmentIndex, segments, element, component: int = 0) -> StringColumn:
    """The element (or component) of each segment as a text column ("" where absent)."""
    return StringColumn(index.buf, *_by_separator(_backend.columns.element_spans, index, segments, element, component))


#: Codes of up to this many bytes compare as one int64 (`code`, `codes`).
CODE_BYTES = 7


def code(text: str) -> int:
    """The int64 that `codes` gives for an element holding `text` (-2 when it is too long)."""
    raw = text.encode()
    return int.from_bytes(raw, "big") | (len(raw) << 56) if len(raw) <= CODE_BYTES else -2


def codes(index: SegmentIndex, segments, element, component: int = 0) -> np.ndarray:
    """Short codes (qualifiers, HL levels) as int64s, compared with `code(...)` values in one
    numpy operation instead of byte by byte; -1 for elements longer than CODE_BYTES."""
    start, end = _by_separator(_backend.columns.element_spans, index, segments, element, component)
    length = end - start
    data = np.frombuffer(index.buf, np.uint8)
    value = np.zeros(len(start), np.int64)
    for k in range(int(min(length.max(initial=0), CODE_BYTES))):
        inside = k < length
        byte = np.take(data, np.where(inside, start + k, 0), mode="clip").astype(np.int64) if len(data) else 0
        value = np.where(inside, (value << 8) | byte, value)
    return np.where(length <= CODE_BYTES, value | (length << 56), -1)


def numbers(index: SegmentIndex, segments, element, component: int = 0, scale: int = 2):
    """(values in units of 10**-scale, flags: ABSENT, BAD, INEXACT); see edi._py.claims."""
    return _by_separator(_backend.claim_values.numbers, index, segments, element, component, scale)


def cents(index: SegmentIndex, segments, element, component: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as int64 cents, and where they are null (absent or not a number). Amounts finer
    than cents are rounded half-even (the objects keep them exact and report them)."""
    values, flags = numbers(index, segments, element, component, 2)
    return values, (flags & ~np.uint8(INEXACT)) != 0


def quantities(index: SegmentIndex, segments, element, component: int = 0) -> np.ndarray:
    """Quantities (units) as float64, to a thousandth; NaN where absent or not a number."""
    values, flags = numbers(index, segments, element, component, 3)
    return np.where((flags & ~np.uint8(INEXACT)) != 0, np.nan, values / 1000.0)


def integers(index: SegmentIndex, segments, element, component: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers (LX01, pointers, HL ids), and where they are null (absent, not a number,
    or not whole)."""
    values, flags = numbers(index, segments, element, component, 0)
    return values, flags != 0


def dates(index: SegmentIndex, segments, element, component: int = 0) -> np.ndarray:
    """CCYYMMDD dates as datetime64[D], NaT where absent or invalid."""
    days, = _by_separator(lambda *args: (_backend.claim_values.dates(*args),), index, segments, element, component)
    return days.view("datetime64[D]")


def periods(index: SegmentIndex, segments) -> tuple[np.ndarray, np.ndarray]:
    """(from, to) dates of DTP segments (-1: none): D8 gives the date twice, RD8 its two ends;
    NaT where absent or invalid."""
    low, high = _backend.claim_values.periods(index, np.asarray(segments, np.int64))
    return low.view("datetime64[D]"), high.view("datetime64[D]")
