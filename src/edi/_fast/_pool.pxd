# cython: language_level=3
"""Large output buffers kept for reuse (see _pool.pyx). Callers hold the GIL."""

cdef int make_room(size_t nbytes) except -1
cdef void *take(size_t nbytes, bint pooled=*) except NULL
cdef void give(void *data) noexcept
cdef void *fit(void *data, size_t used) except NULL
cdef object owned_array(void *data, Py_ssize_t count, int typenum)
