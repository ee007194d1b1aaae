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


cdef inline Index open_index(index) except *:
    """Raw pointers into a SegmentIndex's arrays (kept alive by `index` for the caller's call)."""
    cdef Index ix
    cdef const unsigned char[::1] buf = index.buf
    cdef const int64_t[::1] seg_start = index.seg_start
    cdef const uint32_t[::1] seg_len = index.seg_len
    cdef const uint32_t[::1] seg_tag = index.seg_tag
    cdef const int64_t[::1] elem_ptr = index.elem_ptr
    cdef const uint16_t[::1] elem_offset = index.elem_offset
    ix.buf = &buf[0] if buf.shape[0] else NULL
    ix.buf_len = buf.shape[0]
    ix.seg_start = &seg_start[0] if seg_start.shape[0] else NULL
    ix.seg_len = &seg_len[0] if seg_len.shape[0] else NULL
    ix.seg_tag = &seg_tag[0] if seg_tag.shape[0] else NULL
    ix.elem_ptr = &elem_ptr[0]
    ix.elem_offset = &elem_offset[0] if elem_offset.shape[0] else NULL
    return ix


# One segment's place in the index, read once: a kernel that reads several elements of a
# segment while it writes its outputs keeps these in registers (the compiler cannot know that
# those writes leave the index alone, so it would read the index arrays again).
cdef struct Seg:
    Py_ssize_t start  # its first byte
    Py_ssize_t end  # past its last byte (before the terminator)
    const uint16_t *offsets  # its elements' starts, relative to `start`
    Py_ssize_t n  # its elements


cdef inline Seg segment(const Index *ix, Py_ssize_t i) noexcept nogil:
    cdef Seg s
    s.start = ix.seg_start[i]
    s.end = s.start + ix.seg_len[i]
    s.offsets = ix.elem_offset + ix.elem_ptr[i]
    s.n = ix.elem_ptr[i + 1] - ix.elem_ptr[i]
    return s


cdef inline Span element_of(const Seg *seg, Py_ssize_t j) noexcept nogil:
    """Element j (1-based) of the segment; (0, 0) when it has no element j."""
    cdef Span s
    if j < 1 or j > seg.n:
        s.start = s.end = 0
        return s
    s.start = seg.start + seg.offsets[j - 1]
    s.end = seg.start + seg.offsets[j] - 1 if j < seg.n else seg.end
    return s


cdef inline Span element(const Index *ix, Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    """Element j (1-based) of segment i; (0, 0) when the segment has no element j."""
    cdef Seg seg = segment(ix, i)
    return element_of(&seg, j)


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
