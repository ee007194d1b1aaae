# cython: language_level=3
"""Running a kernel's parts side by side on helper threads that outlive the call (workers.h)."""

ctypedef void (*task_fn)(void *arg) noexcept nogil

cdef int run_tasks(task_fn task, void **args, int n) noexcept nogil
cdef void wake(int n) noexcept nogil
