# cython: language_level=3
"""Memory for large buffers: the output buffers of the kernels (the segment index, the 835
tables' columns), kept for reuse, and a file's bytes read into huge pages (`read_bytes`).

A fresh buffer costs the kernel a page fault and a zeroed page for every 4 KiB first written:
at 50 MB of input, a third of the time of reading and tabulating it. malloc hands blocks this
large straight back to the system when they are freed, so the next file pays again. Here a
pooled block (one asked for as such, of at least MIN_POOLED bytes) is whole pages from the
system; freed, it is kept (up to LIMIT bytes in all, oldest let go first) and handed out again
for a request it fits (no more than twice as large), its pages already in place. Such blocks
never pass through malloc, whose thresholds for reusing memory (Python's bytes, numpy's arrays)
thus stay as they were. Everything runs under the GIL: the kernels take their buffers before
they release it, and numpy arrays give theirs back when they are freed.
"""
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memmove
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New

cimport numpy as cnp

import gc
import io
import os

import numpy as np

from edi._parallel import side_by_side

cnp.import_array()

cdef extern from "pages.h":
    void *edi_pages_map(size_t n) nogil
    void edi_pages_unmap(void *p, size_t n) nogil
    void edi_pages_advise_huge(void *p, size_t n) nogil

cdef enum:
    HEADER = 64  # bytes before each block's data: a Header (a cache line, so data stays aligned)
    MAX_BLOCKS = 64


cdef struct Header:
    size_t size
    bint pages  # whole pages, kept when freed; else malloc's

# Blocks smaller than MIN_POOLED come from malloc, which reuses them well, and are not kept;
# larger ones are whole pages (pages.h). At most LIMIT bytes of freed blocks are kept.
cdef size_t MIN_POOLED = 256 << 10, LIMIT = 256 << 20

cdef void *blocks[MAX_BLOCKS]  # the kept blocks' data, oldest first
cdef size_t n_blocks = 0, kept_bytes = 0
cdef size_t taken_bytes = 0  # pooled bytes handed out since the last collection (`make_room`)
cdef size_t collect_after = LIMIT // 2  # ... that call for one
cdef size_t given_back = 0  # pooled blocks given back, ever


cdef inline Header *header(void *data) noexcept:
    return <Header *>(<char *>data - HEADER)


cdef inline size_t size_of(void *data) noexcept:
    return header(data).size


cdef void release_block(void *data) noexcept:
    """Hand a block back: pages to the system, a malloc block to malloc."""
    if header(data).pages:
        edi_pages_unmap(header(data), header(data).size + HEADER)
    else:
        free(header(data))


cdef void *unlist(Py_ssize_t k) noexcept:
    """Kept block k, taken off the list."""
    global n_blocks, kept_bytes
    cdef void *block = blocks[k]
    kept_bytes -= size_of(block)
    memmove(&blocks[k], &blocks[k + 1], (n_blocks - k - 1) * sizeof(void *))
    n_blocks -= 1
    return block


cdef void drop(Py_ssize_t k) noexcept:
    """Let kept block k go."""
    release_block(unlist(k))


cdef Py_ssize_t best_fit(size_t nbytes) noexcept:
    """The smallest kept block that `nbytes` fits (at most twice as large), or -1."""
    cdef Py_ssize_t k, best = -1
    cdef size_t size
    for k in range(n_blocks):
        size = size_of(blocks[k])
        if nbytes <= size <= 2 * nbytes and (best < 0 or size < size_of(blocks[best])):
            best = k
    return best


cdef int make_room(size_t nbytes) except -1:
    """Before a large read takes its first block of `nbytes`: when no kept block fits it and
    LIMIT / 2 bytes or more were handed out since the last collection, a full collection may
    give some back. Python's collector counts objects, not bytes: a dropped Document whose
    envelope tree was built (its envelopes refer to each other) keeps its index and tables
    until a full collection, which a
    few large files do not bring about (a loop over a 50 MB 835 grew to 1.4 GB, and each file
    paid for fresh pages). A full collection costs 2-30 ms (more in a program of millions of
    objects): when one gives nothing back (the documents are all in use), the next waits for
    twice as many bytes. Not when the program turned collection off."""
    global taken_bytes, collect_after
    cdef size_t before
    if nbytes < MIN_POOLED or taken_bytes < collect_after or best_fit(nbytes) >= 0 or not gc.isenabled():
        return 0
    taken_bytes = 0
    before = given_back
    gc.collect()
    collect_after = LIMIT // 2 if given_back > before else min(2 * collect_after, 64 * LIMIT)
    return 0


cdef void *take(size_t nbytes, bint pooled=True) except NULL:
    """A block of at least `nbytes`: when `pooled` and large enough, the smallest kept one that
    fits, else new pages; otherwise malloc's."""
    global taken_bytes
    cdef Py_ssize_t best
    cdef char *block
    pooled = pooled and nbytes >= MIN_POOLED
    if pooled:
        taken_bytes += nbytes
        best = best_fit(nbytes)
        if best >= 0:
            return unlist(best)
    block = <char *>(edi_pages_map(nbytes + HEADER) if pooled else malloc(nbytes + HEADER))
    if block == NULL:
        raise MemoryError()
    (<Header *>block).size = nbytes
    (<Header *>block).pages = pooled
    return block + HEADER


cdef void give(void *data) noexcept:
    """Give back a block from `take` (NULL is ignored)."""
    global n_blocks, kept_bytes, given_back
    cdef size_t size
    if data == NULL:
        return
    size = size_of(data)
    given_back += header(data).pages
    if not header(data).pages or size > LIMIT:
        release_block(data)
        return
    while n_blocks and (n_blocks == MAX_BLOCKS or kept_bytes + size > LIMIT):
        drop(0)
    blocks[n_blocks] = data
    n_blocks += 1
    kept_bytes += size


cdef void *fit(void *data, size_t used) except NULL:
    """Block `data` cut down to its first `used` bytes when it is malloc's (in place, as a
    rule); pages the pool keeps are left whole, for the next request."""
    cdef char *block
    if header(data).pages or used >= size_of(data):
        return data
    block = <char *>realloc(header(data), used + HEADER)
    if block == NULL:
        raise MemoryError()
    (<Header *>block).size = used
    return block + HEADER


cdef void give_capsule(object capsule) noexcept:
    give(PyCapsule_GetPointer(capsule, NULL))


cdef object owned_array(void *data, Py_ssize_t count, int typenum):
    """A 1-D numpy array over the first `count` items of block `data`, which goes back to the
    pool when the array (and every view of it) is freed."""
    cdef cnp.npy_intp dims[1]
    dims[0] = count
    arr = cnp.PyArray_SimpleNewFromData(1, dims, typenum, data)
    cnp.set_array_base(arr, PyCapsule_New(data, NULL, give_capsule))
    return arr


def empty(tuple shape, dtype, bint fortran=False):
    """`np.empty(shape, dtype, order="F" if fortran else "C")` over a pooled block (numeric
    dtypes: the type number is all that is kept of `dtype`)."""
    cdef cnp.dtype descr = np.dtype(dtype)
    cdef cnp.npy_intp dims[2]
    cdef int nd = len(shape), k
    cdef size_t nbytes = descr.itemsize
    if not 1 <= nd <= 2:
        raise ValueError("one or two dimensions")
    for k in range(nd):
        dims[k] = shape[k]
        if dims[k] < 0:
            raise ValueError("negative dimensions are not allowed")
        nbytes *= <size_t>dims[k]
    cdef void *data = take(nbytes if nbytes else 1)
    try:
        arr = cnp.PyArray_New(cnp.ndarray, nd, dims, descr.type_num, NULL, data, 0,
                              cnp.NPY_ARRAY_WRITEABLE | (cnp.NPY_ARRAY_F_CONTIGUOUS if fortran else
                                                         cnp.NPY_ARRAY_C_CONTIGUOUS), None)
    except BaseException:
        give(data)
        raise
    cnp.set_array_base(arr, PyCapsule_New(data, NULL, give_capsule))
    return arr


def limits() -> tuple:
    """(MIN_POOLED, LIMIT): the smallest block kept, and the most bytes kept."""
    return MIN_POOLED, LIMIT


def kept() -> tuple:
    """(blocks, bytes) kept for reuse now."""
    return n_blocks, kept_bytes


def release() -> None:
    """Let every kept block go (back to the system), and count for collections afresh."""
    global taken_bytes, collect_after
    while n_blocks:
        drop(n_blocks - 1)
    taken_bytes, collect_after = 0, LIMIT // 2


#: Files from this size on are read into huge pages (numpy's threshold for its arrays).
MIN_HUGE_READ = 4 << 20
#: Files from this size on are read by two threads, a half each, where os.preadv exists.
MIN_SPLIT_READ = 16 << 20


def read_bytes(f) -> bytes:
    """What is left of binary file `f`, as `f.read()` gives it; from MIN_HUGE_READ bytes on,
    into a bytes object whose pages are advised huge (pages.h), and from MIN_SPLIT_READ on with
    the second half read by another thread: 50 MB in 22 -> 4.5 ms."""
    cdef Py_ssize_t size, start, half, got
    try:
        fd = f.fileno()
        start = f.tell()
        size = os.fstat(fd).st_size - start
    except (AttributeError, OSError, io.UnsupportedOperation):
        return f.read()
    if size < MIN_HUGE_READ or not hasattr(os, "preadv"):
        return f.read()
    data = PyBytes_FromStringAndSize(NULL, size)  # filled below, before anyone else sees it
    edi_pages_advise_huge(PyBytes_AS_STRING(data), size)
    room = memoryview(<char[:size]>PyBytes_AS_STRING(data))
    half = (size // 2) & ~((2 << 20) - 1) if size >= MIN_SPLIT_READ else size
    first, second = [0], [0]
    halves = [lambda: read_at(fd, room[:half], start, first)]
    if half < size:
        halves.append(lambda: read_at(fd, room[half:], start + half, second))
    side_by_side(halves)
    got = first[0] + second[0] if first[0] == half else first[0]
    f.seek(start + got)
    rest = f.read()  # the file grew since fstat
    if got < size:  # or shrank
        data = data[:got]
    return data + rest if rest else data


def read_at(int fd, view, Py_ssize_t offset, list done) -> None:
    """Fill memoryview `view` with the file's bytes from `offset` on (os.preadv, which releases
    the GIL) until it is full or the file ends; the count goes into done[0]."""
    cdef Py_ssize_t got = 0, n, size = len(view)
    while got < size:
        n = os.preadv(fd, [view[got:]], offset + got)
        if not n:
            break
        got += n
    done[0] = got
