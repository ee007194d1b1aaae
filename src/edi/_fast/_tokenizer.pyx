# cython: language_level=3
"""Native segment tokenizer: the hot loop of `edi.tokenize`.

Same contract as the pure-Python twin `edi._py.tokenizer.scan_segments` (same arguments, arrays
and status codes; the tests check they agree). One pass over the bytes: every read goes through
a cursor compared with the region end, so hostile input cannot read out of bounds. Output grows
in malloc'd buffers (doubling) and is copied once into numpy arrays. The GIL is released while
scanning.
"""
from libc.stdint cimport int64_t, uint16_t, uint32_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp, memcpy

import numpy as np

cdef enum:
    STATUS_END = 0
    STATUS_ISA = 1
    STATUS_IEA = 2
    STATUS_NEED_MORE = 3
    STATUS_SEGMENT_TOO_LONG = -1
    STATUS_TOO_MANY_ELEMENTS = -2
    STATUS_BAD_BINARY = -3
    STATUS_NO_MEMORY = -100

cdef uint32_t TAG_IEA = (<uint32_t>73 << 16) | (<uint32_t>69 << 8) | <uint32_t>65


cdef struct Output:
    int64_t *seg_start
    uint32_t *seg_len
    uint32_t *seg_tag
    int64_t *elem_ptr      # capacity seg_cap + 1
    uint16_t *elem_offset
    Py_ssize_t n_seg, seg_cap, n_elem, elem_cap


cdef inline bint is_id_byte(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)


cdef inline bint is_layout(unsigned char c) noexcept nogil:
    return c == 32 or c == 9 or c == 13 or c == 10 or c == 0 or c == 11 or c == 12


cdef inline bint grow_segments(Output *out) noexcept nogil:
    cdef Py_ssize_t cap = out.seg_cap * 2 + 1024
    cdef void *a = realloc(out.seg_start, cap * sizeof(int64_t))
    if a == NULL:
        return False
    out.seg_start = <int64_t *>a
    a = realloc(out.seg_len, cap * sizeof(uint32_t))
    if a == NULL:
        return False
    out.seg_len = <uint32_t *>a
    a = realloc(out.seg_tag, cap * sizeof(uint32_t))
    if a == NULL:
        return False
    out.seg_tag = <uint32_t *>a
    a = realloc(out.elem_ptr, (cap + 1) * sizeof(int64_t))
    if a == NULL:
        return False
    out.elem_ptr = <int64_t *>a
    out.seg_cap = cap
    return True


cdef inline bint push_element(Output *out, Py_ssize_t offset) noexcept nogil:
    cdef void *a
    cdef Py_ssize_t cap
    if out.n_elem == out.elem_cap:
        cap = out.elem_cap * 2 + 4096
        a = realloc(out.elem_offset, cap * sizeof(uint16_t))
        if a == NULL:
            return False
        out.elem_offset = <uint16_t *>a
        out.elem_cap = cap
    out.elem_offset[out.n_elem] = <uint16_t>offset
    out.n_elem += 1
    return True


cdef inline uint32_t pack_tag(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    cdef Py_ssize_t length = end - start, k
    cdef uint32_t tag = 0
    if length < 2 or length > 3:
        return 0
    for k in range(start, end):
        if not is_id_byte(buf[k]):
            return 0
        tag = (tag << 8) | buf[k]
    if length == 2:
        tag <<= 8
    return tag


cdef inline bint add_elements(Output *out, const unsigned char *buf, Py_ssize_t s, Py_ssize_t e,
                              unsigned char sep) noexcept nogil:
    cdef Py_ssize_t q
    for q in range(s, e):
        if buf[q] == sep:
            if not push_element(out, q + 1 - s):
                return False
    return True


cdef Py_ssize_t scan(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end,
                     Py_ssize_t first_segment_end, unsigned char sep,
                     const unsigned char *term, Py_ssize_t term_len,
                     Py_ssize_t max_segment_length, Py_ssize_t max_elements, bint final,
                     Output *out, int *status) noexcept nogil:
    """Returns the stop offset and sets `status`; mirrors the twin line by line."""
    cdef Py_ssize_t p = start, s, e, q, limit, n_before, last, id_end, length_start, data_start
    cdef Py_ssize_t declared, k
    cdef unsigned char c, t0 = term[0]
    cdef uint32_t tag
    cdef bint found
    status[0] = STATUS_END
    while True:
        while p < end and is_layout(buf[p]) and buf[p] != sep:
            p += 1
        if p >= end:
            return end
        s = p
        if (out.n_seg > 0 and s + 3 < end and buf[s] == 73 and buf[s + 1] == 83 and buf[s + 2] == 65
                and not is_id_byte(buf[s + 3]) and not is_layout(buf[s + 3])):
            status[0] = STATUS_ISA
            return s
        n_before = out.n_elem
        if out.n_seg == out.seg_cap and not grow_segments(out):
            status[0] = STATUS_NO_MEMORY
            return s

        if out.n_seg == 0 and first_segment_end >= 0:
            e = first_segment_end
            if not add_elements(out, buf, s, e, sep):
                status[0] = STATUS_NO_MEMORY
                return s
            p = e + term_len
        elif s + 3 < end and buf[s] == 66 and buf[s + 1] == 73 and buf[s + 2] == 78 and buf[s + 3] == sep:
            # BIN: BIN01 is the byte length of BIN02, which may hold any bytes at all.
            length_start = s + 4
            q = length_start
            while q < end and 48 <= buf[q] <= 57:
                q += 1
            if q >= end:
                status[0] = STATUS_BAD_BINARY if final else STATUS_NEED_MORE
                return s
            if q == length_start or q - length_start > 10 or buf[q] != sep:
                status[0] = STATUS_BAD_BINARY
                return s
            declared = 0
            for k in range(length_start, q):
                declared = declared * 10 + (buf[k] - 48)
            data_start = q + 1
            e = data_start + declared
            if e + term_len > end:
                status[0] = STATUS_BAD_BINARY if final else STATUS_NEED_MORE
                return s
            if memcmp(buf + e, term, term_len) != 0:
                status[0] = STATUS_BAD_BINARY
                return s
            if not push_element(out, 4) or not push_element(out, data_start - s):
                status[0] = STATUS_NO_MEMORY
                return s
            p = e + term_len
        else:
            limit = s + max_segment_length + term_len
            if limit > end:
                limit = end
            found = False
            q = s
            while q < limit:
                c = buf[q]
                if c == sep:
                    if not push_element(out, q + 1 - s):
                        status[0] = STATUS_NO_MEMORY
                        return s
                elif c == t0 and q + term_len <= limit and (term_len == 1 or memcmp(buf + q, term, term_len) == 0):
                    found = True
                    break
                q += 1
            if found:
                e = q
                p = e + term_len
            else:
                # Elements counted past the segment's real end are discarded with the segment.
                out.n_elem = n_before
                if limit < end or (final and end - s > max_segment_length):
                    status[0] = STATUS_SEGMENT_TOO_LONG
                    return s
                if not final:
                    status[0] = STATUS_NEED_MORE
                    return s
                e = end
                p = end
                if not add_elements(out, buf, s, e, sep):
                    status[0] = STATUS_NO_MEMORY
                    return s
                last = out.elem_offset[out.n_elem - 1] + s if out.n_elem > n_before else s
                while e > last and is_layout(buf[e - 1]) and buf[e - 1] != sep:
                    e -= 1

        if out.n_elem - n_before > max_elements:
            out.n_elem = n_before
            status[0] = STATUS_TOO_MANY_ELEMENTS
            return s
        id_end = out.elem_offset[n_before] + s - 1 if out.n_elem > n_before else e
        tag = pack_tag(buf, s, id_end)
        out.seg_start[out.n_seg] = s
        out.seg_len[out.n_seg] = <uint32_t>(e - s)
        out.seg_tag[out.n_seg] = tag
        out.n_seg += 1
        out.elem_ptr[out.n_seg] = out.n_elem
        if tag == TAG_IEA:
            status[0] = STATUS_IEA
            return p


def scan_segments(const unsigned char[::1] buf, Py_ssize_t start, Py_ssize_t end,
                  Py_ssize_t first_segment_end, int element_separator, bytes terminator,
                  Py_ssize_t max_segment_length, Py_ssize_t max_elements, bint final):
    """Tokenize `buf[start:end]`; see `edi._py.tokenizer.scan_segments` for the contract."""
    cdef Output out
    cdef int status = 0
    cdef Py_ssize_t stop
    cdef const unsigned char *term = terminator
    cdef Py_ssize_t term_len = len(terminator)
    cdef unsigned char sep = <unsigned char>element_separator
    if end > buf.shape[0] or start < 0 or start > end or term_len < 1 or first_segment_end > end:
        raise ValueError("scan region outside the buffer")
    out.seg_start = NULL
    out.seg_len = NULL
    out.seg_tag = NULL
    out.elem_ptr = NULL
    out.elem_offset = NULL
    out.n_seg = out.seg_cap = out.n_elem = out.elem_cap = 0
    try:
        if not grow_segments(&out):
            raise MemoryError()
        out.elem_ptr[0] = 0
        with nogil:
            stop = scan(&buf[0] if buf.shape[0] else NULL, start, end, first_segment_end, sep, term,
                        term_len, max_segment_length, max_elements, final, &out, &status)
        if status == STATUS_NO_MEMORY:
            raise MemoryError()
        return (
            _copy(out.seg_start, out.n_seg, np.int64),
            _copy(out.seg_len, out.n_seg, np.uint32),
            _copy(out.seg_tag, out.n_seg, np.uint32),
            _copy(out.elem_ptr, out.n_seg + 1, np.int64),
            _copy(out.elem_offset, out.n_elem, np.uint16),
            stop,
            status,
        )
    finally:
        free(out.seg_start)
        free(out.seg_len)
        free(out.seg_tag)
        free(out.elem_ptr)
        free(out.elem_offset)


cdef object _copy(void *data, Py_ssize_t count, object dtype):
    arr = np.empty(count, dtype=dtype)
    cdef Py_ssize_t nbytes = count * arr.itemsize
    cdef char[::1] view
    if nbytes:
        view = arr.view(np.int8)
        memcpy(&view[0], data, nbytes)
    return arr
