# cython: language_level=3
"""Native segment tokenizer: the hot loop of `edi.tokenize`.

Same contract as the pure-Python twin `edi._py.tokenizer.scan_segments` (same arguments, arrays
and status codes; the tests check they agree). One pass over the bytes: every read goes through
a cursor compared with the region end, so hostile input cannot read out of bounds. Output goes
into buffers sized from the input (pages never written are never committed): for a whole
buffer, pooled ones (`_pool`) that an earlier index may have freed; for a stream's window,
malloc's. When they fill up the kernel returns, the buffers grow, and the scan resumes. At the
end they are handed to numpy arrays without a copy. A 64-byte mask of
separator and terminator positions (simd.h) lets the loop jump from one to the next. The GIL is
released while scanning.
"""
from libc.stdint cimport int64_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp, memcpy, memset

from edi._fast cimport _pool, _workers

cimport numpy as cnp
import numpy as np

cnp.import_array()

cdef enum:
    STATUS_END = 0
    STATUS_ISA = 1
    STATUS_IEA = 2
    STATUS_NEED_MORE = 3
    STATUS_SEGMENT_TOO_LONG = -1
    STATUS_TOO_MANY_ELEMENTS = -2
    STATUS_BAD_BINARY = -3
    STATUS_FULL = -100      # internal: the output arrays need to grow before segment `stop`

cdef extern from "simd.h":
    uint64_t edi_mask64(const unsigned char *p, unsigned char a, unsigned char b) nogil
    uint64_t edi_mask_tail(const unsigned char *p, size_t n, unsigned char a, unsigned char b) nogil
    int edi_ctz64(uint64_t x) nogil
    void edi_count2(const unsigned char *p, size_t n, unsigned char a, unsigned char b, size_t *na,
                    size_t *nb) nogil
    Py_ssize_t edi_find4(const unsigned char *p, size_t n, unsigned char a, unsigned char b, unsigned char c,
                         unsigned char d) nogil

cdef enum:
    TAG_IEA = 0x494541
    TAG_ISA = 0x495341
    TAG_GS = 0x475300
    TAG_GE = 0x474500
    TAG_ST = 0x535400
    TAG_SE = 0x534500
    TAG_TA1 = 0x544131
    FIRST_BYTES_OF_CONTROLS = 0x180280  # bits 'G', 'I', 'S', 'T' (less 64) of the ids above
#: A region is scanned in two halves by two threads from this size on.
cdef Py_ssize_t MIN_SPLIT_BYTES = 512 << 10


cdef struct Output:
    int64_t *seg_start
    uint32_t *seg_len
    uint32_t *seg_tag
    int64_t *elem_ptr      # room for seg_cap + 1
    uint16_t *elem_offset
    Py_ssize_t n_seg, seg_cap, n_elem, elem_cap
    int64_t *controls      # positions of the control segments (see `is_control`)
    Py_ssize_t n_controls, controls_cap
    bint out_of_memory     # the controls could not grow
    Py_ssize_t counts[4]   # COUNTS of the twin: empty segments, bad ids, lowercase ids, gaps
    Py_ssize_t last_end    # just past the previous segment's terminator (-1: none yet)


cdef inline bint is_id_byte(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)


cdef inline bint is_layout(unsigned char c) noexcept nogil:
    return c == 32 or c == 9 or c == 13 or c == 10 or c == 0 or c == 11 or c == 12


cdef inline uint64_t load_mask(const unsigned char *buf, Py_ssize_t base, Py_ssize_t end,
                               unsigned char a, unsigned char b) noexcept nogil:
    """Bit k set when buf[base + k] is `a` or `b` (only bytes before `end` are read)."""
    if base + 64 <= end:
        return edi_mask64(buf + base, a, b)
    if base < end:
        return edi_mask_tail(buf + base, <size_t>(end - base), a, b)
    return 0


cdef inline uint32_t pack_tag(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    cdef Py_ssize_t length = end - start
    if length == 2:
        if is_id_byte(buf[start]) and is_id_byte(buf[start + 1]):
            return (<uint32_t>buf[start] << 16) | (<uint32_t>buf[start + 1] << 8)
    elif length == 3:
        if is_id_byte(buf[start]) and is_id_byte(buf[start + 1]) and is_id_byte(buf[start + 2]):
            return (<uint32_t>buf[start] << 16) | (<uint32_t>buf[start + 1] << 8) | buf[start + 2]
    return 0


cdef inline bint is_control(uint32_t tag) noexcept nogil:
    """ISA, IEA, GS, GE, ST, SE or TA1 (the first byte rules out nearly every other id)."""
    cdef uint32_t first = tag >> 16
    if first < 64 or first >= 96 or not (FIRST_BYTES_OF_CONTROLS >> (first - 64)) & 1:
        return False
    return (tag == TAG_ISA or tag == TAG_IEA or tag == TAG_GS or tag == TAG_GE or tag == TAG_ST
            or tag == TAG_SE or tag == TAG_TA1)


cdef void note_control(Output *out, Py_ssize_t i) noexcept nogil:
    """List segment i as a control segment."""
    cdef int64_t *grown
    if out.n_controls == out.controls_cap:
        grown = <int64_t *>realloc(out.controls, (out.controls_cap * 2 + 64) * sizeof(int64_t))
        if grown == NULL:
            out.out_of_memory = True
            return
        out.controls = grown
        out.controls_cap = out.controls_cap * 2 + 64
    out.controls[out.n_controls] = i
    out.n_controls += 1


cdef inline Py_ssize_t add_elements(uint16_t *elem_offset, Py_ssize_t n_elem, const unsigned char *buf,
                                     Py_ssize_t s, Py_ssize_t e, unsigned char sep) noexcept nogil:
    """Scalar element split, for the rare paths (the ISA, an unterminated last segment); returns
    the new element count."""
    cdef Py_ssize_t q
    for q in range(s, e):
        if buf[q] == sep:
            elem_offset[n_elem] = <uint16_t>(q + 1 - s)
            n_elem += 1
    return n_elem


cdef Py_ssize_t scan(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end,
                     Py_ssize_t first_segment_end, unsigned char sep,
                     const unsigned char *term, Py_ssize_t term_len,
                     Py_ssize_t max_segment_length, Py_ssize_t max_elements, bint final,
                     Output *out, int *status) noexcept nogil:
    """Returns the stop offset and sets `status`; mirrors the twin branch by branch. The
    output's row counts, counts and buffers are held in locals while scanning and stored back
    once, at the one exit: kept in `out`, every int64 row written would make the compiler read
    them back from memory (an int64 store may alias them)."""
    cdef Py_ssize_t p = start, s, e, q, k, limit, n_before, last, id_end, length_start, data_start
    cdef Py_ssize_t declared, stop
    cdef unsigned char t0 = term[0]
    cdef uint32_t tag
    cdef bint found
    cdef Py_ssize_t base = start
    cdef uint64_t mask = load_mask(buf, start, end, sep, t0)
    cdef int64_t *seg_start = out.seg_start
    cdef uint32_t *seg_len = out.seg_len
    cdef uint32_t *seg_tag = out.seg_tag
    cdef int64_t *elem_ptr = out.elem_ptr
    cdef uint16_t *elem_offset = out.elem_offset
    cdef Py_ssize_t n_seg = out.n_seg, n_elem = out.n_elem, seg_cap = out.seg_cap, elem_cap = out.elem_cap
    cdef Py_ssize_t empty = out.counts[0], bad_ids = out.counts[1], lowercase = out.counts[2]
    cdef Py_ssize_t gaps = out.counts[3], last_end = out.last_end
    status[0] = STATUS_END
    while True:
        while p < end and is_layout(buf[p]) and buf[p] != sep:
            p += 1
        if p >= end:
            stop = end
            break
        s = p
        if (n_seg > 0 and buf[s] == 73 and s + 3 < end and buf[s + 1] == 83 and buf[s + 2] == 65
                and not is_id_byte(buf[s + 3]) and not is_layout(buf[s + 3])):
            status[0] = STATUS_ISA
            stop = s
            break
        # Room for this segment and as many elements as it could hold.
        if n_seg == seg_cap or elem_cap - n_elem <= max_segment_length + term_len + 16:
            status[0] = STATUS_FULL
            stop = s
            break
        n_before = n_elem

        if n_seg == 0 and first_segment_end >= 0:
            e = first_segment_end
            n_elem = add_elements(elem_offset, n_elem, buf, s, e, sep)
            p = e + term_len
        elif s + 3 < end and buf[s] == 66 and buf[s + 1] == 73 and buf[s + 2] == 78 and buf[s + 3] == sep:
            # BIN: BIN01 is the byte length of BIN02, which may hold any bytes at all.
            length_start = s + 4
            q = length_start
            while q < end and 48 <= buf[q] <= 57:
                q += 1
            if q >= end:
                status[0] = STATUS_BAD_BINARY if final else STATUS_NEED_MORE
                stop = s
                break
            if q == length_start or q - length_start > 10 or buf[q] != sep:
                status[0] = STATUS_BAD_BINARY
                stop = s
                break
            declared = 0
            for k in range(length_start, q):
                declared = declared * 10 + (buf[k] - 48)
            data_start = q + 1
            e = data_start + declared
            if e + term_len > end:
                status[0] = STATUS_BAD_BINARY if final else STATUS_NEED_MORE
                stop = s
                break
            if memcmp(buf + e, term, term_len) != 0:
                status[0] = STATUS_BAD_BINARY
                stop = s
                break
            elem_offset[n_elem] = 4
            elem_offset[n_elem + 1] = <uint16_t>(data_start - s)
            n_elem += 2
            p = e + term_len
        else:
            limit = s + max_segment_length + term_len
            if limit > end:
                limit = end
            # Move the mask to s: reload, or drop the bits of bytes already passed.
            if s >= base + 64 or s < base:
                base = s
                mask = load_mask(buf, base, end, sep, t0)
            else:
                mask &= (<uint64_t>0xFFFFFFFFFFFFFFFF) << (s - base)
            found = False
            while True:
                while mask == 0:
                    base += 64
                    if base >= limit:
                        break
                    mask = load_mask(buf, base, end, sep, t0)
                if mask == 0:
                    break
                q = base + edi_ctz64(mask)
                if q >= limit:
                    break
                mask &= mask - 1
                if buf[q] == sep:
                    elem_offset[n_elem] = <uint16_t>(q + 1 - s)
                    n_elem += 1
                elif q + term_len <= limit and (term_len == 1 or memcmp(buf + q, term, term_len) == 0):
                    found = True
                    break
            if found:
                e = q
                p = e + term_len
            else:
                # Elements counted past the segment's real end are discarded with the segment.
                n_elem = n_before
                if limit < end or (final and end - s > max_segment_length):
                    status[0] = STATUS_SEGMENT_TOO_LONG
                    stop = s
                    break
                if not final:
                    status[0] = STATUS_NEED_MORE
                    stop = s
                    break
                e = end
                p = end
                n_elem = add_elements(elem_offset, n_elem, buf, s, e, sep)
                last = elem_offset[n_elem - 1] + s if n_elem > n_before else s
                while e > last and is_layout(buf[e - 1]) and buf[e - 1] != sep:
                    e -= 1

        if n_elem - n_before > max_elements:
            n_elem = n_before
            status[0] = STATUS_TOO_MANY_ELEMENTS
            stop = s
            break
        id_end = elem_offset[n_before] + s - 1 if n_elem > n_before else e
        tag = pack_tag(buf, s, id_end)
        # What the driver checks, and the control segments' positions.
        if is_control(tag):
            note_control(out, n_seg)
        empty += e == s
        bad_ids += tag == 0 and e > s
        lowercase += ((tag >> 1) & tag & 0x202020) != 0
        gaps += 0 <= last_end < s
        last_end = p
        seg_start[n_seg] = s
        seg_len[n_seg] = <uint32_t>(e - s)
        seg_tag[n_seg] = tag
        n_seg += 1
        elem_ptr[n_seg] = n_elem
        if tag == TAG_IEA:
            status[0] = STATUS_IEA
            stop = p
            break
    out.n_seg, out.n_elem = n_seg, n_elem
    out.counts[0], out.counts[1], out.counts[2], out.counts[3], out.last_end = empty, bad_ids, lowercase, gaps, last_end
    return stop


cdef void *moved(void *old, size_t used, size_t nbytes, bint pooled) except NULL:
    """A block of `nbytes` (`_pool.take`) holding the first `used` bytes of `old` (given back;
    NULL: nothing to keep)."""
    cdef void *block = _pool.take(nbytes if nbytes else 1, pooled)
    if old != NULL:
        memcpy(block, old, used)
    _pool.give(old)
    return block


cdef int grow(Output *out, Py_ssize_t seg_cap, Py_ssize_t elem_cap, bint pooled) except -1:
    """(Re)allocate the output buffers, keeping their rows; `pooled`: from the pool, where a
    block freed by an earlier index has its pages in place already."""
    cdef Py_ssize_t n = out.n_seg
    out.seg_start = <int64_t *>moved(out.seg_start, n * sizeof(int64_t), seg_cap * sizeof(int64_t), pooled)
    out.seg_len = <uint32_t *>moved(out.seg_len, n * sizeof(uint32_t), seg_cap * sizeof(uint32_t), pooled)
    out.seg_tag = <uint32_t *>moved(out.seg_tag, n * sizeof(uint32_t), seg_cap * sizeof(uint32_t), pooled)
    out.elem_ptr = <int64_t *>moved(out.elem_ptr, (n + 1) * sizeof(int64_t), (seg_cap + 1) * sizeof(int64_t), pooled)
    out.elem_offset = <uint16_t *>moved(out.elem_offset, out.n_elem * sizeof(uint16_t), elem_cap * sizeof(uint16_t),
                                        pooled)
    out.seg_cap = seg_cap
    out.elem_cap = elem_cap
    return 0


cdef object owned(void **slot, Py_ssize_t count, size_t itemsize, int typenum):
    """A numpy array over the first `count` items of the output buffer at `slot`, which it now
    owns (the slot is cleared)."""
    cdef void *data = _pool.fit(slot[0], count * itemsize)
    slot[0] = NULL
    return _pool.owned_array(data, count, typenum)


cdef Py_ssize_t find_split(const unsigned char *buf, Py_ssize_t start, Py_ssize_t end, Py_ssize_t after,
                           unsigned char sep, unsigned char t0) noexcept nogil:
    """Where a second thread may start scanning: just after the first terminator past the middle
    of start..end (and past `after`, the end of an ISA read by its length), when the segment
    after it (and any layout) is not an ISA; -1 when there is none, or when an "IEA" and
    separator stand before it (the scan would stop at an interchange's end, and the second half
    would be wasted)."""
    cdef Py_ssize_t q = max(start + (end - start) // 2, after + 1), s
    while q < end and buf[q] != t0:
        q += 1
    s = q + 1
    while s < end and is_layout(buf[s]) and buf[s] != sep:
        s += 1
    if s + 4 >= end or (buf[s] == 73 and buf[s + 1] == 83 and buf[s + 2] == 65):
        return -1
    if edi_find4(buf + start, q + 1 - start, 73, 69, 65, sep) >= 0:  # "IEA" and the separator
        return -1
    return q + 1


def split_point(const unsigned char[::1] buf, Py_ssize_t start, Py_ssize_t end, Py_ssize_t first_segment_end,
                int element_separator, bytes terminator):
    """Where `scan_segments` with threads cuts buf[start:end] (-1: it does not), for the tests."""
    return find_split(&buf[0], start, end, first_segment_end, <unsigned char>element_separator, terminator[0])


# An Output on cache lines of its own: the two halves update their counts at every segment.
cdef struct Apart:
    char before[64]
    Output out
    char after[64]


# One half of a region and its scan's result (`scan_half`).
cdef struct Half:
    const unsigned char *buf
    Py_ssize_t start, end, first_segment_end, term_len, max_segment_length, max_elements
    const unsigned char *term
    unsigned char sep
    bint final
    Output *out
    Py_ssize_t stop
    int status


cdef void scan_half(void *arg) noexcept nogil:
    cdef Half *half = <Half *>arg
    half.stop = scan(half.buf, half.start, half.end, half.first_segment_end, half.sep, half.term, half.term_len,
                     half.max_segment_length, half.max_elements, half.final, half.out, &half.status)


cdef int scan_halves(const unsigned char *data, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t first_segment_end,
                     unsigned char sep, const unsigned char *term, Py_ssize_t max_segment_length,
                     Py_ssize_t max_elements, bint final, Output *out, Py_ssize_t *stop, int *status) except -1:
    """Scan data[pos:end] as two halves side by side (`_workers.run_tasks`), when it can be cut
    (`find_split`) and the buffers hold both; returns 1 with `stop` and `status` set as the
    one-thread scan would set them, or 0 (nothing kept) when the region is scanned by one
    thread after all. The second half writes into the same buffers, from the segment and
    element where the first half ends if its terminators and separators are as many as its
    segments and elements (they are unless BIN data or layout holds them)."""
    cdef Py_ssize_t split, seg_before = out.n_seg, elem_before = out.n_elem, k
    cdef Py_ssize_t controls_before = out.n_controls, first_segments, first_elements
    cdef size_t terminators, separators
    cdef Half halves[2]
    cdef void *args[2]
    cdef Apart apart  # the second half's Output: its own controls and counts
    cdef Output *second = &apart.out
    with nogil:
        _workers.wake(2)  # while the region is cut and counted
        split = find_split(data, pos, end, first_segment_end, sep, term[0])
        if split >= 0:
            edi_count2(data + pos, split - pos, term[0], sep, &terminators, &separators)
    if split < 0:
        return 0
    first_segments, first_elements = seg_before + terminators, elem_before + separators
    if first_segments + 2 >= out.seg_cap:
        return 0
    second[0] = out[0]
    second.seg_start += first_segments
    second.seg_len += first_segments
    second.seg_tag += first_segments
    second.elem_ptr += first_segments
    second.n_seg = 0
    second.seg_cap = out.seg_cap - first_segments
    second.n_elem = first_elements
    second.controls, second.n_controls, second.controls_cap = NULL, 0, 0
    second.counts[0] = second.counts[1] = second.counts[2] = second.counts[3] = 0
    second.last_end = split
    for k in range(2):
        halves[k].buf, halves[k].sep, halves[k].term, halves[k].term_len = data, sep, term, 1
        halves[k].max_segment_length, halves[k].max_elements = max_segment_length, max_elements
        args[k] = &halves[k]
    halves[0].start, halves[0].end, halves[0].first_segment_end, halves[0].final, halves[0].out = (
        pos, split, first_segment_end, False, out)
    halves[1].start, halves[1].end, halves[1].first_segment_end, halves[1].final, halves[1].out = (
        split, end, -1, final, second)
    try:
        with nogil:
            _workers.run_tasks(scan_half, args, 2)
        if halves[0].status == STATUS_END and halves[0].stop == split and out.n_seg == first_segments \
                and out.n_elem == first_elements and not second.out_of_memory:
            for k in range(second.n_controls):
                note_control(out, first_segments + second.controls[k])
            for k in range(4):
                out.counts[k] += second.counts[k]
            out.last_end = second.last_end
            out.n_seg += second.n_seg
            out.n_elem = second.n_elem
            stop[0], status[0] = halves[1].stop, halves[1].status
            return 1
    finally:
        free(second.controls)
    if out.n_seg > first_segments or out.n_elem > first_elements:
        # The halves' rows may overlap: start again.
        out.n_seg, out.n_elem, out.n_controls, out.last_end = seg_before, elem_before, controls_before, -1
        for k in range(4):
            out.counts[k] = 0
        return 0
    # The first half's rows stand; the second half's are dropped. Where the first half stopped
    # for a reason of its own (an IEA or ISA, an error, full buffers), that is the answer; where
    # it stopped at the cut (BIN data held the terminator found there), one thread goes on.
    stop[0] = halves[0].stop
    status[0] = STATUS_FULL if halves[0].status in (STATUS_END, STATUS_NEED_MORE) else halves[0].status
    return 1


def scan_segments(const unsigned char[::1] buf, Py_ssize_t start, Py_ssize_t end,
                  Py_ssize_t first_segment_end, int element_separator, bytes terminator,
                  Py_ssize_t max_segment_length, Py_ssize_t max_elements, bint final, int threads=1,
                  Py_ssize_t split_bytes=MIN_SPLIT_BYTES):
    """Tokenize `buf[start:end]`; see `edi._py.tokenizer.scan_segments` for the contract. With
    `threads` > 1 a region of `split_bytes` or more (tests make it small) is scanned in two
    halves side by side (`scan_halves`); the arrays are the same."""
    cdef int status = 0
    cdef Py_ssize_t stop, pos = start, size, seg_cap
    cdef const unsigned char *term = terminator
    cdef Py_ssize_t term_len = len(terminator)
    cdef unsigned char sep = <unsigned char>element_separator
    cdef const unsigned char *data = NULL
    cdef Output out
    cdef int k
    # A whole buffer's index takes the pool's memory; the windows of a stream (not final) take
    # malloc's, trimmed to size, which recycles them well as they come and go.
    cdef bint pooled = final
    if end > buf.shape[0] or start < 0 or start > end or term_len < 1 or first_segment_end > end:
        raise ValueError("scan region outside the buffer")
    if end > 0:
        data = &buf[0]
    size = end - start
    memset(&out, 0, sizeof(Output))
    out.last_end = -1
    try:
        seg_cap = size // 16 + 1024
        if pooled:
            _pool.make_room(seg_cap * sizeof(int64_t))
        grow(&out, seg_cap, size // 3 + max_segment_length + term_len + 1024, pooled)
        out.elem_ptr[0] = 0
        if threads > 1 and term_len == 1 and size >= split_bytes and scan_halves(
                data, pos, end, first_segment_end, sep, term, max_segment_length, max_elements, final, &out,
                &stop, &status):
            if stop > pos:
                pos, first_segment_end = stop, -1
        else:
            status = STATUS_FULL  # not scanned yet
        while status == STATUS_FULL:
            with nogil:
                stop = scan(data, pos, end, first_segment_end, sep, term, term_len,
                            max_segment_length, max_elements, final, &out, &status)
            if status != STATUS_FULL:
                break
            grow(&out, out.seg_cap * 2, out.elem_cap * 2, pooled)
            pos = stop
        if out.out_of_memory:
            raise MemoryError()
        # malloc's buffers are cut to size (`_pool.fit`); each goes to a numpy array uncopied.
        columns = (
            owned(<void **>&out.seg_start, out.n_seg, sizeof(int64_t), cnp.NPY_INT64),
            owned(<void **>&out.seg_len, out.n_seg, sizeof(uint32_t), cnp.NPY_UINT32),
            owned(<void **>&out.seg_tag, out.n_seg, sizeof(uint32_t), cnp.NPY_UINT32),
            owned(<void **>&out.elem_ptr, out.n_seg + 1, sizeof(int64_t), cnp.NPY_INT64),
            owned(<void **>&out.elem_offset, out.n_elem, sizeof(uint16_t), cnp.NPY_UINT16),
        )
        controls = np.array(<int64_t[:out.n_controls]>out.controls if out.n_controls else (), np.int64)
        counts = np.array([out.counts[k] for k in range(4)], np.int64)
        return (*columns, controls, counts, stop, status)
    finally:
        _pool.give(out.seg_start)
        _pool.give(out.seg_len)
        _pool.give(out.seg_tag)
        _pool.give(out.elem_ptr)
        _pool.give(out.elem_offset)
        free(out.controls)
