# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Native envelope check: the kernel behind `edi.envelope.regular_ranges`.

Same contract as the pure-Python twin `edi._py.envelope` (see its docstring): the (ST, SE)
positions of every transaction set when the envelope is one that the builder walks without a
finding, else None. One pass over the control segments the tokenizer listed, in C: the order
of ISA, GS, ST, SE, GE and IEA, each trailer's count and control number compared as bytes with
what the builder expects, and no segment outside a set but the interchange-level ones. Then
duplicate control numbers (ST02 in a group, GS06 in an interchange, ISA13 stripped in the file)
are looked for by sorting each scope's values by hash. Like the twin it is conservative, and the
two may leave different rare cases (a TA1 inside a set, say) to the builder.
"""
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, qsort
from libc.string cimport memcmp

from edi._fast._index cimport Index, Span, element, open_index

import numpy as np

cdef enum:
    TAG_ISA = 0x495341
    TAG_IEA = 0x494541
    TAG_GS = 0x475300
    TAG_GE = 0x474500
    TAG_ST = 0x535400
    TAG_SE = 0x534500
    TAG_TA1 = 0x544131


cdef struct Value:
    # A control number: where its bytes lie, and a hash of them to sort by.
    uint64_t hash
    Span span


cdef int by_hash(const void *a, const void *b) noexcept nogil:
    cdef uint64_t x = (<const Value *>a).hash, y = (<const Value *>b).hash
    return (x > y) - (x < y)


cdef inline Value value_at(const Index *ix, Span s) noexcept nogil:
    """The value at s, hashed (FNV-1a)."""
    cdef Value v
    cdef Py_ssize_t q
    v.hash = 14695981039346656037ULL
    for q in range(s.start, s.end):
        v.hash = (v.hash ^ ix.buf[q]) * 1099511628211ULL
    v.span = s
    return v


cdef enum:
    MAX_SAME_HASH = 8  # values of one hash compared pair by pair; more are left to the builder


cdef bint has_duplicate(const Index *ix, Value *values, Py_ssize_t n) noexcept nogil:
    """Whether two of the n values may be the same bytes: sorted by hash, only values of one
    hash are compared, pair by pair; more than MAX_SAME_HASH of one hash count as a duplicate
    (the builder then checks), so that crafted collisions cannot make this quadratic. The sort
    needs no state but its arguments: calls from several threads at once are safe."""
    cdef Py_ssize_t first = 0, k, m, j
    if n < 2:
        return False
    qsort(values, n, sizeof(Value), by_hash)
    while first < n:
        k = first + 1
        while k < n and values[k].hash == values[first].hash:
            k += 1
        if k - first > MAX_SAME_HASH:
            return True
        for m in range(first, k):
            for j in range(m + 1, k):
                if same_bytes(ix, values[m].span, values[j].span):
                    return True
        first = k
    return False


cdef inline bint same_bytes(const Index *ix, Span a, Span b) noexcept nogil:
    return a.end - a.start == b.end - b.start and memcmp(ix.buf + a.start, ix.buf + b.start, a.end - a.start) == 0


cdef bint is_number(const Index *ix, Span s, Py_ssize_t count) noexcept nogil:
    """Whether s holds `count` in decimal, as b"%d" writes it."""
    cdef char digits[24]
    cdef int n = 0, k
    while True:
        digits[n] = <char>(48 + count % 10)
        n += 1
        count //= 10
        if count == 0:
            break
    if s.end - s.start != n:
        return False
    for k in range(n):
        if ix.buf[s.start + k] != digits[n - 1 - k]:
            return False
    return True


cdef inline bint is_ascii(const Index *ix, Span s) noexcept nogil:
    cdef Py_ssize_t q
    for q in range(s.start, s.end):
        if ix.buf[q] >= 128:
            return False
    return True


cdef inline bint is_space(unsigned char c) noexcept nogil:
    """What bytes.strip() strips."""
    return c == 32 or 9 <= c <= 13


cdef inline Span stripped(const Index *ix, Span s) noexcept nogil:
    while s.start < s.end and is_space(ix.buf[s.start]):
        s.start += 1
    while s.end > s.start and is_space(ix.buf[s.end - 1]):
        s.end -= 1
    return s


cdef Py_ssize_t walk(const Index *ix, const int64_t *controls, Py_ssize_t n_controls, Py_ssize_t n_segments,
                     int64_t *st_out, int64_t *se_out, Value *st02s, Value *gs06s, Value *isa13s) noexcept nogil:
    """The sets found (their ST and SE into st_out, se_out), or -1 when the envelope is not one
    the builder would accept without a finding. The value arrays are scratch space for the
    duplicate checks, n_controls long each."""
    cdef Py_ssize_t k, i, sets = 0, n_st02 = 0, n_gs06 = 0, n_isa13 = 0, covered = 0
    cdef Py_ssize_t isa = -1, gs = -1, st = -1, groups = 0, group_sets = 0
    cdef uint32_t tag, last = TAG_IEA  # what may come before an ISA
    cdef Span gs06, isa13
    for k in range(n_controls):
        i = controls[k]
        tag = ix.seg_tag[i]
        if tag == TAG_TA1:
            if st >= 0:
                return -1
            covered += 1
            continue
        if tag == TAG_ST:
            if not (last == TAG_GS or last == TAG_SE):
                return -1
            st = i
        elif tag == TAG_SE:
            if last != TAG_ST or not is_number(ix, element(ix, i, 1), i - st + 1) \
                    or not same_bytes(ix, element(ix, i, 2), element(ix, st, 2)):
                return -1
            st_out[sets], se_out[sets] = st, i
            st02s[n_st02] = value_at(ix, element(ix, st, 2))
            sets += 1
            n_st02 += 1
            group_sets += 1
            covered += i - st + 1
            st = -1
        elif tag == TAG_GS:
            if not (last == TAG_ISA or last == TAG_GE):
                return -1
            gs, group_sets, n_st02 = i, 0, 0
            gs06 = element(ix, i, 6)
            if not is_ascii(ix, gs06):
                return -1
            gs06s[n_gs06] = value_at(ix, gs06)
            n_gs06 += 1
            groups += 1
            covered += 1
        elif tag == TAG_GE:
            if not (last == TAG_GS or last == TAG_SE) or not is_number(ix, element(ix, i, 1), group_sets) \
                    or not same_bytes(ix, element(ix, i, 2), element(ix, gs, 6)) or has_duplicate(ix, st02s, n_st02):
                return -1
            covered += 1
        elif tag == TAG_ISA:
            if last != TAG_IEA:
                return -1
            isa, groups, n_gs06 = i, 0, 0
            isa13 = element(ix, i, 13)
            if not is_ascii(ix, isa13):
                return -1
            isa13s[n_isa13] = value_at(ix, stripped(ix, isa13))
            n_isa13 += 1
            covered += 1
        elif tag == TAG_IEA:
            if not (last == TAG_ISA or last == TAG_GE) or isa < 0 or not is_number(ix, element(ix, i, 1), groups) \
                    or not same_bytes(ix, element(ix, i, 2), element(ix, isa, 13)) or has_duplicate(ix, gs06s, n_gs06):
                return -1
            covered += 1
        else:
            return -1  # not a control segment: the index was not listed by the tokenizer
        last = tag
    if last != TAG_IEA or isa < 0 or covered != n_segments or has_duplicate(ix, isa13s, n_isa13):
        return -1
    return sets


def regular_ranges(index):
    """(ST positions, SE positions) as int64 arrays, or None; see `edi._py.envelope`."""
    cdef const int64_t[::1] controls
    cdef Index ix
    cdef Py_ssize_t n, sets, n_segments = len(index)
    cdef int64_t[::1] st, se
    cdef Value *scratch
    listed = index.controls if index.controls is not None else index.positions("ISA", "IEA", "GS", "GE", "ST", "SE",
                                                                              "TA1")
    controls = np.ascontiguousarray(listed, np.int64)
    n = controls.shape[0]
    if n == 0 or len(index._empty_segments()):
        return None
    ix = open_index(index)
    st_array, se_array = np.empty(n, np.int64), np.empty(n, np.int64)
    st, se = st_array, se_array
    scratch = <Value *>malloc(3 * n * sizeof(Value))
    if scratch == NULL:
        raise MemoryError()
    try:
        with nogil:
            sets = walk(&ix, &controls[0], n, n_segments, &st[0], &se[0], scratch, scratch + n, scratch + 2 * n)
    finally:
        free(scratch)
    if sets < 0:
        return None
    return st_array[:sets], se_array[:sets]
