# cython: language_level=3, boundscheck=False, wraparound=False
"""Native element checks: the SNIP 1-2 element rules of `edi.validate`, over a schema's `Rules`.

Same contract as the pure-Python twin `edi._py.validate.check_elements` (same arguments, same
rows; the tests require identical results). Values are read in place from the buffer; code
values are found by binary search in each code set's sorted codes. Every index into the rule
arrays comes from the schema, every offset into the buffer from the tokenizer's index, which
bounds them by the segment.
"""
from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp

import numpy as np

from edi._py import validate as _twin

# The twin's numbers, as C constants (checked against the twin below).
cdef enum:
    E_REQUIRED = 1
    E_CONDITIONAL = 2
    E_TOO_MANY_ELEMENTS = 3
    E_TOO_SHORT = 4
    E_TOO_LONG = 5
    E_CHARACTER = 6
    E_CODE = 7
    E_DATE = 8
    E_TIME = 9
    E_EXCLUSION = 10
    E_REPETITIONS = 12
    E_COMPONENTS = 13
    E_NOT_USED = 14
    T_N = 2
    T_R = 3
    T_DT = 4
    T_TM = 5
    T_COMPOSITE = 6
    T_PERIOD = 7
    U_REQUIRED = 0
    U_NOT_USED = 2
    R_PAIRED = 0
    R_REQUIRED = 1
    R_EXCLUSION = 2
    R_CONDITIONAL = 3
    R_LIST = 4

_CONSTANTS = {
    "E_REQUIRED": E_REQUIRED, "E_CONDITIONAL": E_CONDITIONAL, "E_TOO_MANY_ELEMENTS": E_TOO_MANY_ELEMENTS,
    "E_TOO_SHORT": E_TOO_SHORT, "E_TOO_LONG": E_TOO_LONG, "E_CHARACTER": E_CHARACTER, "E_CODE": E_CODE,
    "E_DATE": E_DATE, "E_TIME": E_TIME, "E_EXCLUSION": E_EXCLUSION, "E_REPETITIONS": E_REPETITIONS,
    "E_COMPONENTS": E_COMPONENTS, "E_NOT_USED": E_NOT_USED, "T_N": T_N, "T_R": T_R, "T_DT": T_DT, "T_TM": T_TM,
    "T_COMPOSITE": T_COMPOSITE, "T_PERIOD": T_PERIOD, "U_REQUIRED": U_REQUIRED, "U_NOT_USED": U_NOT_USED,
    "R_PAIRED": R_PAIRED, "R_REQUIRED": R_REQUIRED, "R_EXCLUSION": R_EXCLUSION, "R_CONDITIONAL": R_CONDITIONAL,
    "R_LIST": R_LIST,
}
if any(getattr(_twin, name) != value for name, value in _CONSTANTS.items()):
    raise ImportError("edi._fast._validate and its twin disagree on their constants: rebuild the extension")

cdef enum:
    MAX_PARTS = 1024  # components or repetitions looked at in one element (more are counted only)

cdef int[12] DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


#: The `Rules` arrays the checker reads, in this order (see `edi.validate.Rules`).
RULE_ARRAYS = (
    "seg_def_first", "seg_def_count", "seg_rule_first", "seg_rule_count", "usage", "type", "min_length",
    "max_length", "repeat", "code_set", "comp_first", "comp_count", "def_rule_first", "def_rule_count",
    "rule_kind", "rule_ref_first", "rule_refs", "code_offset", "set_first",
)


cdef const int32_t *pointer(const int32_t[::1] values):
    """The first element of a contiguous int32 array (NULL when empty: never read then)."""
    return &values[0] if values.shape[0] else NULL


cdef class _Checker:
    cdef const unsigned char *buf
    cdef const int32_t *seg_def_first
    cdef const int32_t *seg_def_count
    cdef const int32_t *seg_rule_first
    cdef const int32_t *seg_rule_count
    cdef const int32_t *usage
    cdef const int32_t *type
    cdef const int32_t *min_length
    cdef const int32_t *max_length
    cdef const int32_t *repeat
    cdef const int32_t *code_set
    cdef const int32_t *comp_first
    cdef const int32_t *comp_count
    cdef const int32_t *def_rule_first
    cdef const int32_t *def_rule_count
    cdef const int32_t *rule_kind
    cdef const int32_t *rule_ref_first
    cdef const int32_t *rule_refs
    cdef const int32_t *code_offset
    cdef const int32_t *set_first
    cdef const unsigned char *codes
    cdef list keep  # the arrays and bytes the pointers point into
    cdef unsigned char comp_sep, rep_sep
    cdef bint has_comp, has_rep
    # Error rows, five int32 each: n_out rows in room for cap_out.
    cdef int32_t *out
    cdef Py_ssize_t n_out, cap_out
    # Presence flags of the elements (or components) a syntax rule is checked over.
    cdef char present[MAX_PARTS]

    def __init__(self, rules, bytes component, bytes repetition):
        arrays = [np.ascontiguousarray(getattr(rules, name), dtype=np.int32) for name in RULE_ARRAYS]
        self.keep = arrays + [rules.code_bytes]
        self.seg_def_first = pointer(arrays[0])
        self.seg_def_count = pointer(arrays[1])
        self.seg_rule_first = pointer(arrays[2])
        self.seg_rule_count = pointer(arrays[3])
        self.usage = pointer(arrays[4])
        self.type = pointer(arrays[5])
        self.min_length = pointer(arrays[6])
        self.max_length = pointer(arrays[7])
        self.repeat = pointer(arrays[8])
        self.code_set = pointer(arrays[9])
        self.comp_first = pointer(arrays[10])
        self.comp_count = pointer(arrays[11])
        self.def_rule_first = pointer(arrays[12])
        self.def_rule_count = pointer(arrays[13])
        self.rule_kind = pointer(arrays[14])
        self.rule_ref_first = pointer(arrays[15])
        self.rule_refs = pointer(arrays[16])
        self.code_offset = pointer(arrays[17])
        self.set_first = pointer(arrays[18])
        self.codes = rules.code_bytes
        # Multi-byte separators never occur in element data the kernel splits: treat as absent.
        self.has_comp = len(component) == 1
        self.comp_sep = component[0] if self.has_comp else 0
        self.has_rep = len(repetition) == 1
        self.rep_sep = repetition[0] if self.has_rep else 0

    def __dealloc__(self):
        free(self.out)

    cdef int add(self, int pos, int j, int c, int rep, int error) except -1 nogil:
        cdef void *grown
        cdef int32_t *row
        if self.n_out == self.cap_out:
            grown = realloc(self.out, (self.cap_out * 2 + 64) * 5 * sizeof(int32_t))
            if grown == NULL:
                with gil:
                    raise MemoryError()
            self.out = <int32_t *>grown
            self.cap_out = self.cap_out * 2 + 64
        row = self.out + self.n_out * 5
        row[0], row[1], row[2], row[3], row[4] = pos, j, c, rep, error
        self.n_out += 1
        return 0

    def rows(self):
        """The error rows as an (n, 5) int32 array."""
        if self.n_out == 0:
            return np.zeros((0, 5), dtype=np.int32)
        return np.asarray(<int32_t[:self.n_out * 5]>self.out).copy().reshape(-1, 5)

    cdef int check_segment(self, int pos, Py_ssize_t start, Py_ssize_t end, const uint16_t *offsets,
                            Py_ssize_t n, int s) except -1 nogil:
        cdef int d0 = self.seg_def_first[s], defined = self.seg_def_count[s]
        cdef Py_ssize_t j, a, b, qa = 0, qb = 0
        for j in range(n):
            a = start + offsets[j]
            b = start + offsets[j + 1] - 1 if j + 1 < n else end
            if j < defined:
                self.check_element(pos, <int>j + 1, a, b, d0 + <int>j)
                if b > a and j > 0 and self.type[d0 + j] == T_PERIOD and not is_period(self.buf, qa, qb, a, b):
                    self.add(pos, <int>j + 1, 0, 0, E_DATE)
            qa, qb = a, b
        for j in range(n, defined):
            if self.usage[d0 + j] == U_REQUIRED:
                self.add(pos, <int>j + 1, 0, 0, E_REQUIRED)
        if n > defined:
            self.add(pos, defined + 1, 0, 0, E_TOO_MANY_ELEMENTS)
        # Presence is taken after the elements: composites reuse `present` for their components.
        for j in range(min(defined, MAX_PARTS)):
            if j < n:
                b = start + offsets[j + 1] - 1 if j + 1 < n else end
                self.present[j] = b > start + offsets[j]
            else:
                self.present[j] = 0
        self.check_rules(pos, 0, min(defined, MAX_PARTS), self.seg_rule_first[s], self.seg_rule_count[s])

    cdef int check_element(self, int pos, int j, Py_ssize_t a, Py_ssize_t b, int d) except -1 nogil:
        cdef Py_ssize_t p, part_start, parts
        cdef int rep
        cdef bint numbered
        if b <= a:
            if self.usage[d] == U_REQUIRED:
                self.add(pos, j, 0, 0, E_REQUIRED)
            return 0
        if self.usage[d] == U_NOT_USED:
            self.add(pos, j, 0, 0, E_NOT_USED)
            return 0
        parts = 1
        if self.has_rep:
            for p in range(a, b):
                parts += self.buf[p] == self.rep_sep
        if parts > self.repeat[d]:
            self.add(pos, j, 0, 0, E_REPETITIONS)
        numbered = self.repeat[d] > 1
        rep = 0
        part_start = a
        for p in range(a, b + 1):
            if p < b and not (self.has_rep and self.buf[p] == self.rep_sep):
                continue
            rep += 1
            if self.type[d] == T_COMPOSITE:
                self.check_composite(pos, j, rep if numbered else 0, part_start, p, d)
            elif p > part_start:
                self.check_value(pos, j, 0, rep if numbered else 0, part_start, p, d)
            part_start = p + 1

    cdef int check_composite(self, int pos, int j, int rep, Py_ssize_t a, Py_ssize_t b, int d) except -1 nogil:
        cdef int c0 = self.comp_first[d], count = self.comp_count[d], c = 0
        cdef Py_ssize_t p, part_start = a
        cdef bint any_present = 0, extra_present = 0
        for p in range(a, b):
            if self.has_comp and self.buf[p] == self.comp_sep:
                c += 1
                continue
            any_present = 1
            if c >= count:
                extra_present = 1
        if extra_present:
            self.add(pos, j, 0, rep, E_COMPONENTS)
        if not any_present:
            if self.usage[d] == U_REQUIRED:
                self.add(pos, j, 0, rep, E_REQUIRED)
            return 0
        c = 0
        for p in range(a, b + 1):
            if p < b and not (self.has_comp and self.buf[p] == self.comp_sep):
                continue
            if c < count:
                if p > part_start:
                    if self.usage[c0 + c] == U_NOT_USED:
                        self.add(pos, j, c + 1, rep, E_NOT_USED)
                    else:
                        self.check_value(pos, j, c + 1, rep, part_start, p, c0 + c)
                elif self.usage[c0 + c] == U_REQUIRED:
                    self.add(pos, j, c + 1, rep, E_REQUIRED)
                if c < MAX_PARTS:
                    self.present[c] = p > part_start
            c += 1
            part_start = p + 1
        for p in range(c, count):
            if self.usage[c0 + p] == U_REQUIRED:
                self.add(pos, j, <int>p + 1, rep, E_REQUIRED)
            if p < MAX_PARTS:
                self.present[p] = 0
        self.check_rules(pos, j, min(count, MAX_PARTS), self.def_rule_first[d], self.def_rule_count[d])

    cdef int check_value(self, int pos, int j, int c, int rep, Py_ssize_t a, Py_ssize_t b, int d) except -1 nogil:
        cdef int kind = self.type[d]
        cdef Py_ssize_t length = b - a, p
        cdef unsigned char ch
        if kind == T_N or kind == T_R:
            length = 0
            for p in range(a, b):
                ch = self.buf[p]
                length += 48 <= ch <= 57
            if not is_number(self.buf, a, b, kind == T_R):
                self.add(pos, j, c, rep, E_CHARACTER)
        elif kind == T_DT:
            if not is_date(self.buf, a, b):
                self.add(pos, j, c, rep, E_DATE)
            return 0
        elif kind == T_TM:
            if not is_time(self.buf, a, b):
                self.add(pos, j, c, rep, E_TIME)
            return 0
        else:
            for p in range(a, b):
                ch = self.buf[p]
                if ch < 32 or ch == 127:
                    self.add(pos, j, c, rep, E_CHARACTER)
                    break
        if length < self.min_length[d]:
            self.add(pos, j, c, rep, E_TOO_SHORT)
        elif length > self.max_length[d]:
            self.add(pos, j, c, rep, E_TOO_LONG)
        if self.code_set[d] >= 0 and not self.has_code(self.code_set[d], a, b):
            self.add(pos, j, c, rep, E_CODE)

    cdef bint has_code(self, int code_set, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
        """Binary search of the set's codes (sorted as bytes) for buf[a:b]."""
        cdef int lo = self.set_first[code_set], hi = self.set_first[code_set + 1], mid, order
        cdef Py_ssize_t n = b - a, m
        while lo < hi:
            mid = (lo + hi) // 2
            m = self.code_offset[mid + 1] - self.code_offset[mid]
            order = memcmp(self.codes + self.code_offset[mid], self.buf + a, m if m < n else n)
            if order == 0:
                order = (m > n) - (m < n)
            if order == 0:
                return 1
            if order < 0:
                lo = mid + 1
            else:
                hi = mid
        return 0

    cdef int check_rules(self, int pos, int j, int count, int first, int n_rules) except -1 nogil:
        cdef int r, q, ref, kind, n_present, first_ref
        cdef bint have, first_have
        for r in range(first, first + n_rules):
            kind = self.rule_kind[r]
            n_present = 0
            first_have = 0
            for q in range(self.rule_ref_first[r], self.rule_ref_first[r + 1]):
                ref = self.rule_refs[q]
                have = ref <= count and self.present[ref - 1]
                n_present += have
                if q == self.rule_ref_first[r]:
                    first_have = have
            first_ref = self.rule_refs[self.rule_ref_first[r]]
            if kind == R_PAIRED and n_present:
                self.report_absent(pos, j, count, r, 0, E_CONDITIONAL)
            elif kind == R_REQUIRED and not n_present:
                self.at(pos, j, first_ref, E_CONDITIONAL)
            elif kind == R_CONDITIONAL and first_have:
                self.report_absent(pos, j, count, r, 1, E_CONDITIONAL)
            elif kind == R_LIST and first_have and n_present == 1:
                if self.rule_ref_first[r + 1] - self.rule_ref_first[r] > 1:
                    self.at(pos, j, self.rule_refs[self.rule_ref_first[r] + 1], E_CONDITIONAL)
            elif kind == R_EXCLUSION and n_present > 1:
                n_present = 0
                for q in range(self.rule_ref_first[r], self.rule_ref_first[r + 1]):
                    ref = self.rule_refs[q]
                    if ref <= count and self.present[ref - 1]:
                        if n_present:
                            self.at(pos, j, ref, E_EXCLUSION)
                        n_present += 1

    cdef int report_absent(self, int pos, int j, int count, int r, int skip, int error) except -1 nogil:
        cdef int q, ref
        for q in range(self.rule_ref_first[r] + skip, self.rule_ref_first[r + 1]):
            ref = self.rule_refs[q]
            if not (ref <= count and self.present[ref - 1]):
                self.at(pos, j, ref, error)

    cdef int at(self, int pos, int j, int n, int error) except -1 nogil:
        if j:
            self.add(pos, j, n, 0, error)
        else:
            self.add(pos, n, 0, 0, error)


cdef bint is_number(const unsigned char *buf, Py_ssize_t a, Py_ssize_t b, bint decimal) noexcept nogil:
    cdef Py_ssize_t p, digits = 0, dots = 0
    if a < b and buf[a] == 45:  # '-'
        a += 1
    for p in range(a, b):
        if 48 <= buf[p] <= 57:
            digits += 1
        elif decimal and buf[p] == 46 and dots == 0:  # '.'
            dots += 1
        else:
            return 0
    return digits > 0


cdef int digits_value(const unsigned char *buf, Py_ssize_t a, Py_ssize_t n) noexcept nogil:
    cdef int value = 0
    cdef Py_ssize_t p
    for p in range(a, a + n):
        value = value * 10 + (buf[p] - 48)
    return value


cdef bint all_digits(const unsigned char *buf, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    cdef Py_ssize_t p
    for p in range(a, b):
        if not 48 <= buf[p] <= 57:
            return 0
    return b > a


cdef bint is_date(const unsigned char *buf, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """CCYYMMDD, or YYMMDD for the envelope's 6-digit dates."""
    cdef Py_ssize_t n = b - a
    cdef int year, month, day
    if (n != 6 and n != 8) or not all_digits(buf, a, b):
        return 0
    month = digits_value(buf, b - 4, 2)
    day = digits_value(buf, b - 2, 2)
    if not 1 <= month <= 12 or not 1 <= day <= DAYS[month - 1]:
        return 0
    year = digits_value(buf, a, 4) if n == 8 else 2000 + digits_value(buf, a, 2)
    return month != 2 or day < 29 or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


cdef bint is_time(const unsigned char *buf, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """HHMM, HHMMSS, or HHMMSS with 1-2 decimal seconds."""
    cdef Py_ssize_t n = b - a
    if (n != 4 and n != 6 and n != 7 and n != 8) or not all_digits(buf, a, b):
        return 0
    return digits_value(buf, a, 2) < 24 and digits_value(buf, a + 2, 2) < 60 and (n == 4 or digits_value(buf, a + 4, 2) < 60)


cdef bint is_period(const unsigned char *buf, Py_ssize_t qa, Py_ssize_t qb, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """A date time period in the format its qualifier names (see the twin)."""
    cdef Py_ssize_t n = qb - qa, p
    if n == 2 and buf[qa] == 68 and buf[qa + 1] == 56:  # D8
        return b - a == 8 and is_date(buf, a, b)
    if n == 3 and buf[qa] == 82 and buf[qa + 1] == 68 and buf[qa + 2] == 56:  # RD8
        for p in range(a, b):
            if buf[p] == 45:
                return p - a == 8 and b - p - 1 == 8 and is_date(buf, a, p) and is_date(buf, p + 1, b)
        return 0
    if n == 2 and buf[qa] == 68 and buf[qa + 1] == 84:  # DT
        return b - a == 12 and is_date(buf, a, a + 8) and is_time(buf, a + 8, b)
    if n == 2 and buf[qa] == 84 and buf[qa + 1] == 77:  # TM
        return is_time(buf, a, b)
    return 1


def check_elements(index, positions, seg_node, bytes component, bytes repetition, rules):
    """See `edi._py.validate.check_elements`."""
    cdef const unsigned char[::1] buf = index.buf
    cdef const int64_t[::1] seg_start = index.seg_start
    cdef const uint32_t[::1] seg_len = index.seg_len
    cdef const int64_t[::1] elem_ptr = index.elem_ptr
    cdef const uint16_t[::1] elem_offset = index.elem_offset
    cdef const int64_t[::1] where = np.ascontiguousarray(positions, dtype=np.int64)
    cdef const int32_t[::1] nodes = np.ascontiguousarray(seg_node, dtype=np.int32)
    cdef _Checker checker = _Checker(rules, component, repetition)
    cdef Py_ssize_t n, i, e0, e1, n_segments = seg_start.shape[0]
    cdef int s
    if where.shape[0] != nodes.shape[0]:
        raise ValueError("positions and seg_node differ in length")
    if buf.shape[0] == 0 or nodes.shape[0] == 0:
        return np.zeros((0, 5), dtype=np.int32)
    if np.min(positions) < 0 or np.max(positions) >= n_segments or elem_ptr.shape[0] != n_segments + 1:
        raise IndexError("segment positions outside the index")
    checker.buf = &buf[0]
    with nogil:
        for n in range(nodes.shape[0]):
            s = nodes[n]
            if s < 0:
                continue
            i = where[n]
            e0, e1 = elem_ptr[i], elem_ptr[i + 1]
            checker.check_segment(<int>n + 1, seg_start[i], seg_start[i] + seg_len[i],
                                  &elem_offset[e0] if e1 > e0 else NULL, e1 - e0, s)
    return checker.rows()
