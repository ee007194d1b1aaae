# cython: language_level=3
"""Native 835 column extractor: the kernel behind `edi.remittance.tables`.

Same contract as the pure-Python twin `edi._py.remit` (same arguments, arrays and issues; the
tests require identical results). One pass over each transaction's segment tags; elements are
located through the index's CSR arrays and read in place: amounts are parsed to int64 cents and
dates to days straight from the bytes, and text is not read at all (rows name their segments;
`element_spans` locates a text column when it is used). A first pass counts an upper bound of
rows so that the outputs are allocated once. Transaction ranges and segment numbers are checked
on entry; element spans then come from the tokenizer's index, which keeps them inside their
segment and the buffer, so the reads below skip bounds checks.
"""
from libc.stdint cimport INT64_MIN, int64_t, uint8_t, uint16_t, uint32_t
from libc.string cimport memcmp

cimport cython

from edi._fast._values cimport NUMBER_BAD, NUMBER_INEXACT, parse_date, parse_number

import numpy as np

from edi._py.remit import KEYS, LAYOUTS, TABLES

cdef enum:
    INEXACT = 1
    BAD_AMOUNT = 2
    BAD_DATE = 3
    MAX_CAS_TRIPLES = 6
    MAX_PLB_PAIRS = 6

cdef int64_t NAT = INT64_MIN
cdef int64_t MAX_WHOLE = (0x7FFFFFFFFFFFFFFF - 100) // 100
cdef uint32_t FOLD = 0xDFDFDF
cdef int[5] MOA_REMARKS = [3, 4, 5, 6, 7]
cdef int[5] MIA_REMARKS = [5, 20, 21, 22, 23]


cdef inline uint32_t tag3(char a, char b, char c) noexcept nogil:
    return ((<uint32_t>a << 16) | (<uint32_t>b << 8) | <uint32_t>c) & FOLD


cdef uint32_t BPR = tag3(b'B', b'P', b'R'), TRN = tag3(b'T', b'R', b'N'), N1 = tag3(b'N', b'1', 0)
cdef uint32_t LX = tag3(b'L', b'X', 0), CLP = tag3(b'C', b'L', b'P'), SVC = tag3(b'S', b'V', b'C')
cdef uint32_t CAS = tag3(b'C', b'A', b'S'), DTM = tag3(b'D', b'T', b'M'), REF = tag3(b'R', b'E', b'F')
cdef uint32_t AMT = tag3(b'A', b'M', b'T'), MOA = tag3(b'M', b'O', b'A'), MIA = tag3(b'M', b'I', b'A')
cdef uint32_t LQ = tag3(b'L', b'Q', 0), PLB = tag3(b'P', b'L', b'B')


cdef struct Span:
    Py_ssize_t start
    Py_ssize_t end


cdef class _Rows:
    """One table's output arrays, filled row by row."""
    cdef int64_t[:, ::1] keys
    cdef int64_t[:, ::1] refs
    cdef int64_t[:, ::1] money
    cdef uint8_t[:, ::1] nulls
    cdef int64_t[:, ::1] dates
    cdef Py_ssize_t n
    cdef tuple arrays

    def __init__(self, Py_ssize_t capacity, layout):
        self.arrays = (
            np.full((capacity, len(KEYS)), -1, np.int64),
            np.full((capacity, len(layout.refs)), -1, np.int64),
            np.zeros((capacity, len(layout.money)), np.int64),
            np.ones((capacity, len(layout.money)), np.uint8),
            np.full((capacity, len(layout.dates)), NAT, np.int64),
        )
        self.keys, self.refs, self.money, self.nulls, self.dates = self.arrays
        self.n = 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef inline Py_ssize_t add(self, Py_ssize_t t, Py_ssize_t claim, Py_ssize_t line, Py_ssize_t i,
                               Py_ssize_t element) noexcept:
        """A new row (the caller sized the arrays for every row it adds)."""
        cdef Py_ssize_t r = self.n
        self.keys[r, 0] = t
        self.keys[r, 1] = claim
        self.keys[r, 2] = line
        self.keys[r, 3] = i
        self.keys[r, 4] = element
        self.n += 1
        return r

    def trimmed(self):
        return tuple(a[:self.n] for a in self.arrays)


cdef class _Extractor:
    cdef const unsigned char[::1] buf
    cdef const int64_t[::1] seg_start
    cdef const uint32_t[::1] seg_len
    cdef const uint32_t[::1] seg_tag
    cdef const int64_t[::1] elem_ptr
    cdef const uint16_t[::1] elem_offset
    cdef list issues
    cdef _Rows payments, claims, lines, adjustments, remarks, plbs

    def __init__(self, index):
        self.buf = index.buf
        self.seg_start = index.seg_start
        self.seg_len = index.seg_len
        self.seg_tag = index.seg_tag
        self.elem_ptr = index.elem_ptr
        self.elem_offset = index.elem_offset
        self.issues = []

    # Segments i are within a checked transaction range, so i + 1 <= len(elem_ptr) - 1, and the
    # tokenizer's index keeps element k in elem_ptr[i]..elem_ptr[i + 1] and every span inside the
    # buffer: reads below need no bounds checks.
    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef inline Span element(self, Py_ssize_t i, Py_ssize_t j) noexcept:
        """Element j of segment i; (0, 0) when the segment has no element j."""
        cdef Span s
        cdef Py_ssize_t k = self.elem_ptr[i] + j - 1
        if j < 1 or k >= self.elem_ptr[i + 1]:
            s.start = s.end = 0
            return s
        s.start = self.seg_start[i] + self.elem_offset[k]
        if k + 1 < self.elem_ptr[i + 1]:
            s.end = self.seg_start[i] + self.elem_offset[k + 1] - 1
        else:
            s.end = self.seg_start[i] + self.seg_len[i]
        return s

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef inline bint is_code(self, Span s, const char *code, Py_ssize_t length) noexcept:
        return s.end - s.start == length and memcmp(&self.buf[s.start], code, length) == 0

    cdef inline bint present(self, Py_ssize_t i, Py_ssize_t j) noexcept:
        cdef Span s = self.element(i, j)
        return s.end > s.start

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int amount(self, _Rows rows, Py_ssize_t r, int slot, Py_ssize_t i, Py_ssize_t j) except -1:
        cdef Span s = self.element(i, j)
        cdef int64_t cents = 0
        cdef int issue
        if s.start == s.end:
            return 0
        issue = parse_number(&self.buf[s.start], s.end - s.start, 2, &cents)
        if issue:
            self.issues.append((i, j, BAD_AMOUNT if issue == NUMBER_BAD else INEXACT))
        if issue != NUMBER_BAD:
            rows.money[r, slot] = cents
            rows.nulls[r, slot] = 0
        return 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int64_t date(self, Py_ssize_t i, Py_ssize_t j) except? -1:
        """The days of element j, NAT when absent or invalid (an issue)."""
        cdef Span s = self.element(i, j)
        cdef int64_t days
        if s.start == s.end:
            return NAT
        days = parse_date(&self.buf[s.start], s.end - s.start)
        if days == NAT:
            self.issues.append((i, j, BAD_DATE))
        return days

    # --- the walk ---------------------------------------------------------------------------
    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef count_rows(self, const int64_t[::1] firsts, const int64_t[::1] lasts):
        """Allocate the outputs for an upper bound of each table's rows."""
        cdef Py_ssize_t t, i, elements
        cdef Py_ssize_t n_pay = 0, n_clp = 0, n_svc = 0, n_cas = 0, n_rem = 0, n_plb = 0
        cdef uint32_t tag
        for t in range(firsts.shape[0]):
            for i in range(firsts[t], lasts[t] + 1):
                tag = self.seg_tag[i] & FOLD
                elements = self.elem_ptr[i + 1] - self.elem_ptr[i]
                if tag == BPR:
                    n_pay += 1
                elif tag == CLP:
                    n_clp += 1
                elif tag == SVC:
                    n_svc += 1
                elif tag == CAS:
                    n_cas += min(<Py_ssize_t>MAX_CAS_TRIPLES, (elements + 1) // 3)
                elif tag == MOA or tag == MIA:
                    n_rem += 5
                elif tag == LQ:
                    n_rem += 1
                elif tag == PLB:
                    n_plb += min(<Py_ssize_t>MAX_PLB_PAIRS, max(<Py_ssize_t>0, elements - 1) // 2)
        self.payments = _Rows(n_pay, LAYOUTS["payments"])
        self.claims = _Rows(n_clp, LAYOUTS["claims"])
        self.lines = _Rows(n_svc, LAYOUTS["service_lines"])
        self.adjustments = _Rows(n_cas, LAYOUTS["adjustments"])
        self.remarks = _Rows(n_rem, LAYOUTS["remarks"])
        self.plbs = _Rows(n_plb, LAYOUTS["provider_adjustments"])

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef int transaction(self, Py_ssize_t t, Py_ssize_t first, Py_ssize_t last) except -1:
        cdef _Rows payments = self.payments, claims = self.claims, lines = self.lines
        cdef _Rows adjustments = self.adjustments, remarks = self.remarks, plbs = self.plbs
        cdef Py_ssize_t payment = -1, claim = -1, line = -1, i, r, k, j
        cdef int slot
        cdef uint32_t tag
        cdef int64_t fiscal_period, day
        cdef Span qualifier
        for i in range(first + 1, last + 1):
            tag = self.seg_tag[i] & FOLD
            if tag == BPR:
                payment = r = payments.add(t, -1, -1, i, 0)
                payments.refs[r, 0] = first
                self.amount(payments, r, 0, i, 2)
                payments.dates[r, 0] = self.date(i, 16)
            elif tag == TRN:
                if payment >= 0 and claim < 0:
                    payments.refs[payment, 1] = i
            elif tag == N1:
                if payment >= 0 and claim < 0:
                    qualifier = self.element(i, 1)
                    if self.is_code(qualifier, b"PR", 2):
                        payments.refs[payment, 2] = i
                    elif self.is_code(qualifier, b"PE", 2):
                        payments.refs[payment, 3] = i
            elif tag == LX:
                claim = line = -1
            elif tag == CLP:
                line = -1
                claim = r = claims.add(t, claims.n, -1, i, 0)
                self.amount(claims, r, 0, i, 3)
                self.amount(claims, r, 1, i, 4)
                self.amount(claims, r, 2, i, 5)
            elif tag == SVC:
                if claim >= 0:
                    line = r = lines.add(t, claim, lines.n, i, 0)
                    self.amount(lines, r, 0, i, 2)
                    self.amount(lines, r, 1, i, 3)
            elif tag == CAS:
                if claim >= 0:
                    for k in range(MAX_CAS_TRIPLES):
                        j = 2 + 3 * k
                        if self.present(i, j) or self.present(i, j + 1):
                            r = adjustments.add(t, claim, line, i, j)
                            self.amount(adjustments, r, 0, i, j + 1)
            elif tag == DTM:
                qualifier = self.element(i, 1)
                if line >= 0:
                    if self.is_code(qualifier, b"472", 3):
                        day = self.date(i, 2)
                        lines.dates[line, 0] = day
                        lines.dates[line, 1] = day
                    elif self.is_code(qualifier, b"150", 3):
                        lines.dates[line, 0] = self.date(i, 2)
                    elif self.is_code(qualifier, b"151", 3):
                        lines.dates[line, 1] = self.date(i, 2)
                elif claim >= 0:
                    slot = 0 if self.is_code(qualifier, b"232", 3) else (
                        1 if self.is_code(qualifier, b"233", 3) else (2 if self.is_code(qualifier, b"050", 3) else -1))
                    if slot >= 0:
                        claims.dates[claim, slot] = self.date(i, 2)
            elif tag == REF:
                if line >= 0 and self.is_code(self.element(i, 1), b"6R", 2):
                    lines.refs[line, 0] = i
            elif tag == AMT:
                if line >= 0 and self.is_code(self.element(i, 1), b"B6", 2):
                    self.amount(lines, line, 2, i, 2)
            elif tag == MOA or tag == MIA:
                if claim >= 0:
                    for k in range(5):
                        j = MOA_REMARKS[k] if tag == MOA else MIA_REMARKS[k]
                        if self.present(i, j):
                            remarks.add(t, claim, -1, i, j)
            elif tag == LQ:
                if claim >= 0 and self.present(i, 2):
                    r = remarks.add(t, claim, line, i, 2)
                    remarks.refs[r, 0] = i
            elif tag == PLB:
                claim = line = -1
                fiscal_period = self.date(i, 2)
                for k in range(MAX_PLB_PAIRS):
                    j = 3 + 2 * k
                    if self.present(i, j) or self.present(i, j + 1):
                        r = plbs.add(t, -1, -1, i, j)
                        self.amount(plbs, r, 0, i, j + 1)
                        plbs.dates[r, 0] = fiscal_period
        return 0

    def run(self, const int64_t[::1] firsts, const int64_t[::1] lasts):
        cdef Py_ssize_t t
        self.count_rows(firsts, lasts)
        for t in range(firsts.shape[0]):
            self.transaction(t, firsts[t], lasts[t])
        rows = (self.payments, self.claims, self.lines, self.adjustments, self.remarks, self.plbs)
        return {name: r.trimmed() for name, r in zip(TABLES, rows)}, self.issues


def extract_835(index, firsts, lasts):
    """Rows of the six tables from the 835 transactions in segments firsts[t]..lasts[t] of
    `index`; see `edi._py.remit` for the contract."""
    firsts = np.ascontiguousarray(firsts, dtype=np.int64)
    lasts = np.ascontiguousarray(lasts, dtype=np.int64)
    if len(firsts) != len(lasts) or (len(firsts) and (
            firsts.min() < 0 or (lasts < firsts).any() or lasts.max() >= len(index))):
        raise ValueError("transaction range outside the index")
    return _Extractor(index).run(firsts, lasts)


@cython.boundscheck(False)
@cython.wraparound(False)
def element_spans(index, segments, elements, int component, bytes separator):
    """(start, end) arrays: element elements[r] of segment segments[r] (1-based), or component
    `component` of it when that is not 0 (split on `separator`); see `edi._py.remit`."""
    cdef const int64_t[:] segs = np.asarray(segments, np.int64)
    cdef const int64_t[:] elems = np.broadcast_to(np.asarray(elements, np.int64), (segs.shape[0],))
    cdef const unsigned char[::1] buf = index.buf
    cdef const int64_t[::1] seg_start = index.seg_start
    cdef const uint32_t[::1] seg_len = index.seg_len
    cdef const int64_t[::1] elem_ptr = index.elem_ptr
    cdef const uint16_t[::1] elem_offset = index.elem_offset
    cdef const unsigned char *sep = separator
    cdef Py_ssize_t sep_len = len(separator), n_seg = seg_start.shape[0], r, i, j, k, a, b, q
    cdef int n
    out_start = np.zeros(segs.shape[0], np.int64)
    out_end = np.zeros(segs.shape[0], np.int64)
    cdef int64_t[::1] o_start = out_start, o_end = out_end
    if component and sep_len == 0:
        raise ValueError("empty separator")
    for r in range(segs.shape[0]):
        i, j = segs[r], elems[r]
        if i < -1 or i >= n_seg:
            raise ValueError("segment outside the index")
        if i < 0:
            continue
        k = elem_ptr[i] + j - 1
        if j < 1 or k >= elem_ptr[i + 1]:
            continue
        a = seg_start[i] + elem_offset[k]
        b = seg_start[i] + elem_offset[k + 1] - 1 if k + 1 < elem_ptr[i + 1] else seg_start[i] + seg_len[i]
        if component:
            # Skip component - 1 separators, then stop at the next one.
            n = 1
            q = a
            while q + sep_len <= b:
                if buf[q] == sep[0] and memcmp(&buf[q], sep, sep_len) == 0:
                    if n == component:
                        b = q
                        break
                    n += 1
                    q += sep_len
                    a = q
                else:
                    q += 1
            if n < component:
                a = b = 0
        o_start[r] = a
        o_end[r] = b
    return out_start, out_end
