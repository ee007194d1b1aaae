# cython: language_level=3
"""Running a kernel's parts side by side: `run_tasks(task, args, n)` calls task(args[k]) for
k = 0..n-1, the first on the calling thread and the others on helper threads that outlive the
call (workers.h says why, and what happens under fork and concurrent calls). The tasks are C
functions that run without the GIL. The tokenizer's halves and the tables kernel's parts use it.
"""
from libc.stdlib cimport free, malloc

cdef extern from "workers.h":
    ctypedef void (*edi_task)(void *arg) noexcept nogil
    int edi_run_tasks(edi_task task, void **args, int n) nogil
    void edi_wake_helpers(int n) nogil


cdef int run_tasks(task_fn task, void **args, int n) noexcept nogil:
    """Run the tasks side by side; returns how many ran on helpers (for the tests)."""
    return edi_run_tasks(<edi_task>task, args, n)


cdef void wake(int n) noexcept nogil:
    """Get the helpers that n - 1 tasks would run on spinning, ahead of a `run_tasks` soon."""
    edi_wake_helpers(n)


cdef extern from *:
    """
    /* Count to slot[1] in slot[0], one step at a time (volatile: a loop the compiler keeps). */
    static void edi_count_up(void *arg) {
        volatile long *slot = (volatile long *)arg;
        for (long k = 0; k < slot[1]; k++)
            slot[0] += 1;
    }
    """
    void edi_count_up(void *arg) noexcept nogil


cdef enum:
    SLOT = 8  # longs per task: one cache line each, so that the tasks do not share one


def count_side_by_side(long n_tasks, long steps):
    """Each of n_tasks tasks counts to `steps` in its own slot: (counts, tasks run on helpers).
    For the tests."""
    cdef long *slots = <long *>malloc(SLOT * n_tasks * sizeof(long))
    cdef void **args = <void **>malloc(n_tasks * sizeof(void *))
    cdef long k
    cdef int helped
    if slots == NULL or args == NULL:
        free(slots)
        free(args)
        raise MemoryError()
    for k in range(n_tasks):
        slots[SLOT * k], slots[SLOT * k + 1] = 0, steps
        args[k] = &slots[SLOT * k]
    with nogil:
        helped = run_tasks(edi_count_up, args, <int>n_tasks)
    counts = [slots[SLOT * k] for k in range(n_tasks)]
    free(slots)
    free(args)
    return counts, helped
