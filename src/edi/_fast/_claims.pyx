# cython: language_level=3
"""Native numbers and dates of many elements at once: the kernel behind `edi.claims.tables`.

Same contract as the pure-Python twin `edi._py.claims` (same arguments and arrays; the tests
require identical results). Each row's element is located through the index's CSR arrays and
parsed in place, without the GIL: no span arrays, no Python object per row. Segment numbers are
checked on entry; element spans then come from the tokenizer's index, which keeps them inside
their segment and the buffer.
"""
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memcmp

cimport cython

from edi._fast._index cimport Index, Span, component, element
from edi._fast._values cimport NUMBER_BAD, NUMBER_INEXACT, parse_cents, parse_date, parse_number

import numpy as np

cdef enum:
    ABSENT = 1
    BAD = 2
    INEXACT = 4
    MAX_SCALE = 6

cdef int64_t NAT = INT64_MIN


@cython.boundscheck(False)
@cython.wraparound(False)
cdef Span locate(Index *x, int64_t i, int64_t j, int k, const unsigned char *sep,
                 Py_ssize_t sep_len) noexcept nogil:
    """Element j of segment i (component k of it when not 0); (0, 0) when absent."""
    cdef Span s
    if i < 0:
        s.start = s.end = 0
        return s
    s = element(x, i, j)
    return component(x, s, k, sep, sep_len) if k else s


cdef class _Rows:
    """The index as raw pointers, and the rows (segments, elements) checked against it."""
    cdef Index x
    cdef object keep  # the arrays the pointers point into
    cdef const int64_t[::1] segments
    cdef const int64_t[::1] elements

    def __init__(self, index, segments, elements):
        cdef const unsigned char[::1] buf = index.buf
        cdef const int64_t[::1] seg_start = index.seg_start
        cdef const uint32_t[::1] seg_len = index.seg_len
        cdef const int64_t[::1] elem_ptr = index.elem_ptr
        cdef const uint16_t[::1] elem_offset = index.elem_offset
        self.segments = np.ascontiguousarray(segments, np.int64)
        self.elements = np.ascontiguousarray(np.broadcast_to(np.asarray(elements, np.int64),
                                                             (self.segments.shape[0],)))
        if self.segments.shape[0] and (np.min(self.segments) < -1 or np.max(self.segments) >= seg_start.shape[0]):
            raise ValueError("segment outside the index")
        self.keep = (buf, seg_start, seg_len, elem_ptr, elem_offset)
        self.x.buf = &buf[0] if buf.shape[0] else NULL
        self.x.buf_len = buf.shape[0]
        self.x.seg_start = &seg_start[0] if seg_start.shape[0] else NULL
        self.x.seg_len = &seg_len[0] if seg_len.shape[0] else NULL
        self.x.elem_ptr = &elem_ptr[0]
        self.x.elem_offset = &elem_offset[0] if elem_offset.shape[0] else NULL


cdef inline uint8_t number_flags(int parsed, bint absent) noexcept nogil:
    """The twin's flags (ABSENT, BAD, INEXACT) of what `parse_number` returned."""
    if absent:
        return ABSENT
    return BAD if parsed == NUMBER_BAD else INEXACT if parsed == NUMBER_INEXACT else 0


@cython.boundscheck(False)
@cython.wraparound(False)
def numbers(index, segments, elements, int component, bytes separator, int scale):
    """(values, flags) of R numbers in units of 10**-scale; see `edi._py.claims`."""
    if not 0 <= scale <= MAX_SCALE:
        raise ValueError("scale out of range")
    if component and not separator:
        raise ValueError("empty separator")
    cdef _Rows rows = _Rows(index, segments, elements)
    cdef Py_ssize_t n = rows.segments.shape[0], r
    cdef const unsigned char *sep = separator
    cdef Py_ssize_t sep_len = len(separator)
    cdef Span s
    cdef const unsigned char *p
    values = np.zeros(n, np.int64)
    flags = np.zeros(n, np.uint8)
    cdef int64_t[::1] v = values
    cdef uint8_t[::1] f = flags
    with nogil:
        for r in range(n):
            s = locate(&rows.x, rows.segments[r], rows.elements[r], component, sep, sep_len)
            p = rows.x.buf + s.start
            f[r] = number_flags(parse_cents(p, s.end - s.start, rows.x.buf_len - s.start, &v[r]) if scale == 2 else
                                parse_number(p, s.end - s.start, scale, &v[r]), s.end == s.start)
    return values, flags


@cython.boundscheck(False)
@cython.wraparound(False)
def dates(index, segments, elements, int component, bytes separator):
    """Days since 1970-01-01 of CCYYMMDD dates (NAT: absent or invalid); see `edi._py.claims`."""
    if component and not separator:
        raise ValueError("empty separator")
    cdef _Rows rows = _Rows(index, segments, elements)
    cdef Py_ssize_t n = rows.segments.shape[0], r
    cdef const unsigned char *sep = separator
    cdef Py_ssize_t sep_len = len(separator)
    cdef Span s
    days = np.zeros(n, np.int64)
    cdef int64_t[::1] out = days
    with nogil:
        for r in range(n):
            s = locate(&rows.x, rows.segments[r], rows.elements[r], component, sep, sep_len)
            out[r] = parse_date(rows.x.buf + s.start, s.end - s.start)
    return days


@cython.boundscheck(False)
@cython.wraparound(False)
def periods(index, segments):
    """(from, to) days of DTP segments' D8 or RD8 DTP03; see `edi._py.claims`."""
    cdef _Rows rows = _Rows(index, segments, 0)
    cdef Py_ssize_t n = rows.segments.shape[0], r
    cdef Span kind, value
    cdef const unsigned char *p
    low = np.full(n, NAT, np.int64)
    high = np.full(n, NAT, np.int64)
    cdef int64_t[::1] lo = low, hi = high
    with nogil:
        for r in range(n):
            kind = locate(&rows.x, rows.segments[r], 2, 0, NULL, 0)
            value = locate(&rows.x, rows.segments[r], 3, 0, NULL, 0)
            p = rows.x.buf + value.start
            if kind.end - kind.start == 2 and memcmp(rows.x.buf + kind.start, b"D8", 2) == 0:
                lo[r] = hi[r] = parse_date(p, value.end - value.start)
            elif (kind.end - kind.start == 3 and memcmp(rows.x.buf + kind.start, b"RD8", 3) == 0
                  and value.end - value.start == 17 and p[8] == 45):
                lo[r] = parse_date(p, 8)
                hi[r] = parse_date(p + 9, 8)
    return low, high
