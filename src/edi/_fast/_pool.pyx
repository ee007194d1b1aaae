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

from edi._fast cimport _workers

import gc
import io
import os

import numpy as np

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
#: Files from this size on are read by two threads, a half each (the tokenizer's threshold).
MIN_SPLIT_READ = 512 << 10

cdef extern from *:
    """
    #include <errno.h>
    #ifdef _WIN32
    static long edi_pread(int fd, char *dest, size_t n, long long offset) {
        (void)fd; (void)dest; (void)n; (void)offset;
        errno = ENOSYS;
        return -1;
    }
    #else
    #include <unistd.h>
    static long edi_pread(int fd, char *dest, size_t n, long long offset) {
        long got;
        do
            got = (long)pread(fd, dest, n, (off_t)offset);
        while (got < 0 && errno == EINTR);
        return got;
    }
    #endif
    static int edi_errno(void) { return errno; }
    """
    long edi_pread(int fd, char *dest, size_t n, long long offset) nogil
    int edi_errno() nogil


cdef struct FilePart:
    # Bytes offset..offset + size of file fd, read into dest; `got` of them were (fewer at the
    # end of the file); `error` is an errno (0: none).
    int fd
    char *dest
    Py_ssize_t offset, size, got
    int error


cdef void read_part(void *arg) noexcept nogil:
    """Read one part (a task of `_workers.run_tasks`)."""
    cdef FilePart *part = <FilePart *>arg
    cdef long n
    while part.got < part.size:
        n = edi_pread(part.fd, part.dest + part.got, part.size - part.got, part.offset + part.got)
        if n < 0:
            part.error = edi_errno()
            return
        if n == 0:
            return
        part.got += n


def read_bytes(f, int threads=1) -> bytes:
    """What is left of binary file `f`, as `f.read()` gives it. From MIN_SPLIT_READ bytes on
    (with `threads` > 1) the two halves are read side by side, on the helper threads
    (`_workers.run_tasks`, pread without the GIL); from MIN_HUGE_READ on into a bytes object
    whose pages are advised huge (pages.h). 50 MB: 22 -> 4.5 ms; 10 MB within the posting job
    1.55 -> 0.95 ms. At 1 MB the halves are no faster than one read (0.11-0.13 vs 0.09 ms within
    the job, after a collection) but leave the helper awake for the tokenizer: the job takes the
    same time either way."""
    cdef Py_ssize_t size, start, got, k
    cdef FilePart parts[2]
    cdef void *args[2]
    cdef int n
    try:
        fd = f.fileno()
        start = f.tell()
        size = os.fstat(fd).st_size - start
    except (AttributeError, OSError, io.UnsupportedOperation):
        return f.read()
    n = 2 if threads > 1 and size >= MIN_SPLIT_READ else 1
    if (n == 1 and size < MIN_HUGE_READ) or os.name == "nt":
        return f.read()
    data = PyBytes_FromStringAndSize(NULL, size)  # filled below, before anyone else sees it
    if size >= MIN_HUGE_READ:
        edi_pages_advise_huge(PyBytes_AS_STRING(data), size)
    parts[0].size = (size // 2) & ~(<Py_ssize_t>4095) if n == 2 else size
    parts[1].size = size - parts[0].size
    for k in range(2):
        parts[k].fd, parts[k].got, parts[k].error = fd, 0, 0
        parts[k].offset = start + (parts[0].size if k else 0)
        parts[k].dest = PyBytes_AS_STRING(data) + (parts[0].size if k else 0)
        args[k] = &parts[k]
    with nogil:
        _workers.run_tasks(read_part, args, n)
    for k in range(n):
        if parts[k].error:
            raise OSError(parts[k].error, os.strerror(parts[k].error))
    got = parts[0].got + parts[1].got if n == 2 and parts[0].got == parts[0].size else parts[0].got
    f.seek(start + got)
    rest = f.read()  # the file grew since fstat
    if got < size:  # or shrank
        data = data[:got]
    return data + rest if rest else data
