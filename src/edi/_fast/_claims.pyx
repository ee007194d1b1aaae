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

import numpy as np

cdef enum:
    ABSENT = 1
    BAD = 2
    INEXACT = 4
    MAX_SCALE = 6

cdef int64_t NAT = INT64_MIN
cdef int[13] DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


cdef struct Span:
    Py_ssize_t start
    Py_ssize_t end


cdef struct Index:
    const unsigned char *buf
    const int64_t *seg_start
    const uint32_t *seg_len
    const int64_t *elem_ptr
    const uint16_t *elem_offset


@cython.boundscheck(False)
@cython.wraparound(False)
cdef Span locate(Index *x, int64_t i, int64_t j, int component, const unsigned char *sep,
                 Py_ssize_t sep_len) noexcept nogil:
    """Element j of segment i (component `component` of it when not 0); (0, 0) when absent."""
    cdef Span s
    cdef int64_t k = x.elem_ptr[i] + j - 1
    cdef Py_ssize_t q
    cdef int n = 1
    s.start = s.end = 0
    if i < 0 or j < 1 or k >= x.elem_ptr[i + 1]:
        return s
    s.start = x.seg_start[i] + x.elem_offset[k]
    s.end = x.seg_start[i] + x.elem_offset[k + 1] - 1 if k + 1 < x.elem_ptr[i + 1] else x.seg_start[i] + x.seg_len[i]
    if component:
        q = s.start
        while q + sep_len <= s.end:
            if x.buf[q] == sep[0] and memcmp(&x.buf[q], sep, sep_len) == 0:
                if n == component:
                    s.end = q
                    return s
                n += 1
                q += sep_len
                s.start = q
            else:
                q += 1
        if n < component:
            s.start = s.end = 0
    return s


cdef int parse_number(const unsigned char *p, Py_ssize_t n, int scale, int64_t *out) noexcept nogil:
    """An R number in units of 10**-scale, rounded half-even; returns its flags."""
    cdef bint negative, sticky = False
    cdef Py_ssize_t pos, digits
    cdef int64_t unit = 1, limit, whole = 0, fraction = 0, value
    cdef int dropped = 0, decimals = 0, d, q
    out[0] = 0
    if n == 0:
        return ABSENT
    for q in range(scale):
        unit *= 10
    limit = (INT64_MAX - unit) // unit
    negative = p[0] == 45
    pos = negative
    while pos < n and 48 <= p[pos] <= 57:
        whole = whole * 10 + (p[pos] - 48)
        if whole > limit:
            return BAD
        pos += 1
    digits = pos - negative
    if pos < n and p[pos] == 46:
        pos += 1
        while pos < n and 48 <= p[pos] <= 57:
            d = p[pos] - 48
            if decimals < scale:
                fraction = fraction * 10 + d
            elif decimals == scale:
                dropped = d
            else:
                sticky = sticky or d != 0
            decimals += 1
            pos += 1
    if pos != n or digits + decimals == 0:
        return BAD
    for q in range(decimals, scale):
        fraction *= 10
    value = whole * unit + fraction
    if dropped > 5 or (dropped == 5 and (sticky or value & 1)):
        value += 1
    out[0] = -value if negative else value
    return INEXACT if dropped != 0 or sticky else 0


cdef int64_t parse_date(const unsigned char *p, Py_ssize_t n) noexcept nogil:
    """Days since 1970-01-01 of a CCYYMMDD date, or NAT when it is not a valid one."""
    cdef Py_ssize_t q
    cdef int64_t y, m, d, era, yoe, doy
    cdef bint leap
    if n != 8:
        return NAT
    for q in range(8):
        if p[q] < 48 or p[q] > 57:
            return NAT
    y = (p[0] - 48) * 1000 + (p[1] - 48) * 100 + (p[2] - 48) * 10 + (p[3] - 48)
    m = (p[4] - 48) * 10 + (p[5] - 48)
    d = (p[6] - 48) * 10 + (p[7] - 48)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if y < 1 or m < 1 or m > 12 or d < 1 or d > DAYS_IN_MONTH[m] or (m == 2 and d == 29 and not leap):
        return NAT
    # Days from civil (H. Hinnant): March-based years make the leap day the last of the year.
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


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
        self.x.seg_start = &seg_start[0] if seg_start.shape[0] else NULL
        self.x.seg_len = &seg_len[0] if seg_len.shape[0] else NULL
        self.x.elem_ptr = &elem_ptr[0]
        self.x.elem_offset = &elem_offset[0] if elem_offset.shape[0] else NULL


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
    values = np.zeros(n, np.int64)
    flags = np.zeros(n, np.uint8)
    cdef int64_t[::1] v = values
    cdef uint8_t[::1] f = flags
    with nogil:
        for r in range(n):
            s = locate(&rows.x, rows.segments[r], rows.elements[r], component, sep, sep_len)
            f[r] = parse_number(rows.x.buf + s.start, s.end - s.start, scale, &v[r])
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
