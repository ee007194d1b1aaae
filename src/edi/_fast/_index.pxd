# cython: language_level=3
"""The SegmentIndex as raw pointers, and where an element (or a component of one) lies, shared
by the native kernels that read elements in place (inline, so each compiles its own copy).
Callers check segment numbers on entry; the tokenizer's index keeps every element span inside
its segment and the buffer, so these reads need no bounds checks."""
from libc.stdint cimport int64_t, uint16_t, uint32_t
from libc.string cimport memcmp


cdef struct Index:
    const unsigned char *buf
    Py_ssize_t buf_len
    const int64_t *seg_start
    const uint32_t *seg_len
    const uint32_t *seg_tag
    const int64_t *elem_ptr
    const uint16_t *elem_offset


cdef struct Span:
    Py_ssize_t start
    Py_ssize_t end


cdef inline Span element(const Index *ix, Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    """Element j (1-based) of segment i; (0, 0) when the segment has no element j."""
    cdef Span s
    cdef int64_t stop = ix.elem_ptr[i + 1]
    cdef int64_t k = ix.elem_ptr[i] + j - 1
    if j < 1 or k >= stop:
        s.start = s.end = 0
        return s
    s.start = ix.seg_start[i] + ix.elem_offset[k]
    if k + 1 < stop:
        s.end = ix.seg_start[i] + ix.elem_offset[k + 1] - 1
    else:
        s.end = ix.seg_start[i] + ix.seg_len[i]
    return s


cdef inline Span component(const Index *ix, Span s, int k, const unsigned char *sep,
                           Py_ssize_t sep_len) noexcept nogil:
    """Component k (1-based) of the element at s, split on `sep`; (0, 0) when it has fewer."""
    cdef Py_ssize_t q = s.start
    cdef int n = 1
    while q + sep_len <= s.end:
        if ix.buf[q] == sep[0] and memcmp(&ix.buf[q], sep, sep_len) == 0:
            if n == k:
                s.end = q
                return s
            n += 1
            q += sep_len
            s.start = q
        else:
            q += 1
    if n < k:
        s.start = s.end = 0
    return s
