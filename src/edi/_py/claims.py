"""Pure-Python twin of `edi._fast._claims`: numbers and dates of many elements at once, for
the 837 tables (edi.claims.tables). Same arguments, same arrays; the tests require identical
results on the corpus and on generated inputs.

Each function reads element `elements[r]` (one int for all rows, or one per row; 1-based) of
segment `segments[r]` (-1: none), or its component `component` (split on `separator`) when
that is not 0, where `element_spans` (edi._py.remit) finds it:

- `numbers(..., scale)`: an X12 R number (an optional minus, digits with an optional decimal
  point) as an int64 of units of 10**-scale, rounded half-even, and a uint8 of flags: ABSENT
  (empty or missing; value 0), BAD (not such a number, or too large; value 0), INEXACT (finer
  than the scale and rounded). Scale 2 gives cents, 0 whole numbers.
- `dates`: a CCYYMMDD date as days since 1970-01-01, NAT when absent or invalid.
- `periods(index, segments)`: DTP segments' DTP03 as (from, to) days: D8 gives the date twice,
  RD8 (CCYYMMDD-CCYYMMDD) its two ends, anything else NAT.
"""
from __future__ import annotations

import numpy as np

from . import values
from .remit import NAT, element_spans, parse_date

ABSENT, BAD, INEXACT = 1, 2, 4
MAX_SCALE = 6


def parse_number(raw: bytes, scale: int) -> tuple[int, int]:
    """(value, flags) of one R number in units of 10**-scale (see the module docstring)."""
    if not raw:
        return 0, ABSENT
    if not 0 <= scale <= MAX_SCALE:
        raise ValueError("scale out of range")
    value, parsed = values.parse_number(raw, scale)
    return value, BAD if parsed == values.NUMBER_BAD else INEXACT if parsed == values.NUMBER_INEXACT else 0


def numbers(index, segments, elements, component: int, separator: bytes, scale: int):
    start, end = element_spans(index, segments, elements, component, separator)
    values = np.zeros(len(start), np.int64)
    flags = np.zeros(len(start), np.uint8)
    buf = index.buf
    for r, (a, b) in enumerate(zip(start.tolist(), end.tolist())):
        values[r], flags[r] = parse_number(buf[a:b], scale)
    return values, flags


def dates(index, segments, elements, component: int, separator: bytes):
    start, end = element_spans(index, segments, elements, component, separator)
    buf = index.buf
    return np.array([parse_date(buf[a:b]) for a, b in zip(start.tolist(), end.tolist())], np.int64)


def periods(index, segments):
    qualifier = element_spans(index, segments, 2, 0, b"")
    value = element_spans(index, segments, 3, 0, b"")
    low = np.full(len(qualifier[0]), NAT, np.int64)
    high = np.full(len(qualifier[0]), NAT, np.int64)
    buf = index.buf
    for r, (qa, qb, a, b) in enumerate(zip(*(v.tolist() for v in (*qualifier, *value)))):
        kind, raw = buf[qa:qb], buf[a:b]
        if kind == b"D8":
            low[r] = high[r] = parse_date(raw)
        elif kind == b"RD8" and len(raw) == 17 and raw[8] == 0x2D:
            low[r], high[r] = parse_date(raw[:8]), parse_date(raw[9:])
    return low, high
