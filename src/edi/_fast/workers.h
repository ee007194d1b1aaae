/* A crew of helper threads for the native kernels (_workers.pyx): `edi_run_tasks` runs task(k)
 * for k = 0..n-1 side by side, task 0 on the calling thread and the others on helpers that stay
 * alive between calls.
 *
 * Why not a thread per call: on this kind of machine (a VM) starting and joining a thread costs
 * ~55 us and waking a sleeping one ~20-150 us, while the halves of a 1 MB scan take ~0.3 ms. So a
 * helper that finishes a task spins for 0.3 ms before it sleeps, and one woken ahead of a task
 * (`edi_wake_helpers`) for 1 ms: the next call of the same job (the tokenizer's, then the
 * tables kernel's count and walk) finds it awake. And a task that
 * no helper has started when the caller is done with its own is run by the caller instead, so
 * a late wake-up costs no more than running the tasks one after another.
 *
 * One call at a time uses the crew; a call made while it is busy (another Python thread's)
 * runs its tasks one after another on its own thread. A forked child starts with no helpers
 * (they are not copied by fork) and starts its own when it needs them. Without POSIX threads
 * (Windows) every call runs its tasks one after another. */
#ifndef EDI_WORKERS_H
#define EDI_WORKERS_H
#include <stddef.h>

typedef void (*edi_task)(void *arg);

#define EDI_MAX_HELPERS 63

#if defined(_WIN32) || !defined(__GNUC__)
static int edi_run_tasks(edi_task task, void **args, int n) {
    for (int k = 0; k < n; k++)
        task(args[k]);
    return 0;
}
static void edi_wake_helpers(int n) { (void)n; }
#else
#include <pthread.h>
#include <time.h>
#ifdef __linux__
#include <sched.h>
int sched_getcpu(void); /* <sched.h> declares these only under _GNU_SOURCE */
int pthread_setaffinity_np(pthread_t thread, size_t size, const cpu_set_t *cpus);
#define EDI_CPU() sched_getcpu()
#else
#define EDI_CPU() (-1)
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EDI_PAUSE() _mm_pause()
#else
#define EDI_PAUSE() ((void)0)
#endif

/* How long a helper spins for the next task after one (long enough for the Python between
   one kernel of a job and the next: 0.3 ms at 1 MB from the tokenizer to the tables kernel)
   and after being woken ahead of one, and a caller for a helper's task to end, before they
   sleep. */
#define EDI_IDLE_SPIN_NS 300000L
#define EDI_WOKEN_SPIN_NS 1000000L
#define EDI_WAIT_SPIN_NS 200000L

typedef struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t posted_cond, done_cond;
    int started;
    int sleeping; /* waiting on posted_cond (under lock) */
    int cpu;        /* where the helper runs its task (-1: not known) */
    int caller_cpu; /* where the last task was posted from */
    long wakes;   /* `edi_wake_helpers` calls: each starts a new idle spin */
    edi_task task;
    void *arg;
    long posted, claimed, done; /* sequence numbers of the calls: posted >= claimed >= done */
} edi_helper;

static edi_helper edi_helpers[EDI_MAX_HELPERS];
static int edi_crew_busy;
static int edi_crew_fork_handler;

static long edi_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Spin until *value reaches `wanted` or `ns` pass; whether it did. */
static int edi_spin_until(long *value, long wanted, long ns) {
    long deadline = 0;
    if (ns <= 0)
        return __atomic_load_n(value, __ATOMIC_ACQUIRE) >= wanted;
    for (unsigned k = 0;; k++) {
        if (__atomic_load_n(value, __ATOMIC_ACQUIRE) >= wanted)
            return 1;
        EDI_PAUSE();
        if ((k & 63) == 63) {
            long now = edi_now_ns();
            if (deadline == 0)
                deadline = now + ns;
            else if (now > deadline)
                return 0;
        }
    }
}

/* Take task `seq` for this thread, unless another thread (helper or caller) has taken it. */
static int edi_claim(edi_helper *h, long seq) {
    long expected = seq - 1;
    return __atomic_compare_exchange_n(&h->claimed, &expected, seq, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void edi_finish(edi_helper *h, long seq) {
    pthread_mutex_lock(&h->lock);
    __atomic_store_n(&h->done, seq, __ATOMIC_RELEASE);
    pthread_cond_signal(&h->done_cond);
    pthread_mutex_unlock(&h->lock);
}

static void *edi_helper_main(void *self) {
    edi_helper *h = (edi_helper *)self;
    long seen = __atomic_load_n(&h->posted, __ATOMIC_ACQUIRE), wakes, spin_ns = EDI_IDLE_SPIN_NS;
    for (;;) {
        /* Spinning on the caller's CPU would only take time from it: sleep at once there. */
        int here = EDI_CPU();
        long spin = here >= 0 && here == __atomic_load_n(&h->caller_cpu, __ATOMIC_RELAXED) ? 0 : spin_ns;
        spin_ns = EDI_IDLE_SPIN_NS;
        if (!edi_spin_until(&h->posted, seen + 1, spin)) {
            pthread_mutex_lock(&h->lock);
            wakes = h->wakes;
            __atomic_store_n(&h->sleeping, 1, __ATOMIC_RELAXED);
            while (__atomic_load_n(&h->posted, __ATOMIC_ACQUIRE) <= seen && h->wakes == wakes)
                pthread_cond_wait(&h->posted_cond, &h->lock);
            __atomic_store_n(&h->sleeping, 0, __ATOMIC_RELAXED);
            pthread_mutex_unlock(&h->lock);
            if (__atomic_load_n(&h->posted, __ATOMIC_ACQUIRE) <= seen) {
                spin_ns = EDI_WOKEN_SPIN_NS; /* woken ahead of a task: spin for it */
                continue;
            }
        }
        seen = __atomic_load_n(&h->posted, __ATOMIC_ACQUIRE);
        if (edi_claim(h, seen)) {
            __atomic_store_n(&h->cpu, EDI_CPU(), __ATOMIC_RELAXED);
            h->task(h->arg);
            edi_finish(h, seen);
        }
    }
    return NULL;
}

static void edi_helper_reset(edi_helper *h) {
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->posted_cond, NULL);
    pthread_cond_init(&h->done_cond, NULL);
    h->started = h->sleeping = 0;
    h->cpu = h->caller_cpu = -1;
    h->wakes = 0;
    h->posted = h->claimed = h->done = 0;
}

/* In a forked child: no helper runs there, whatever the parent had. */
static void edi_crew_after_fork(void) {
    for (int k = 0; k < EDI_MAX_HELPERS; k++)
        edi_helper_reset(&edi_helpers[k]);
    edi_crew_busy = 0;
}

static int edi_helper_start(edi_helper *h) {
    pthread_attr_t attr;
    if (h->started)
        return 1;
    if (!edi_crew_fork_handler) {
        if (pthread_atfork(NULL, NULL, edi_crew_after_fork) != 0)
            return 0;
        edi_crew_fork_handler = 1;
    }
    edi_helper_reset(h);
    if (pthread_attr_init(&attr) != 0)
        return 0;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    __atomic_store_n(&h->started, pthread_create(&h->thread, &attr, edi_helper_main, h) == 0, __ATOMIC_RELEASE);
    pthread_attr_destroy(&attr);
    return h->started;
}

/* Get the helpers that n - 1 tasks would go to spinning, as tasks will follow soon: a
   sleeping thread takes ~20-150 us to wake on a VM, about as long as the work before a kernel's
   first task (cutting the input), which this lets overlap. */
static void edi_wake_helpers(int n) {
    for (int k = 0; k < n - 1 && k < EDI_MAX_HELPERS; k++) {
        edi_helper *h = &edi_helpers[k];
        if (!__atomic_load_n(&h->started, __ATOMIC_ACQUIRE) || !__atomic_load_n(&h->sleeping, __ATOMIC_RELAXED))
            continue;
        pthread_mutex_lock(&h->lock);
        h->wakes++;
        pthread_cond_signal(&h->posted_cond);
        pthread_mutex_unlock(&h->lock);
    }
}

/* Keep helper h off `cpu`, where the caller runs: the scheduler tends to wake a thread where
   the thread that wakes it runs, and there the two would take turns. */
static void edi_move_off(edi_helper *h, int cpu) {
#ifdef __linux__
    cpu_set_t allowed;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return;
    CPU_CLR(cpu, &allowed);
    if (CPU_COUNT(&allowed) > 0)
        pthread_setaffinity_np(h->thread, sizeof allowed, &allowed);
#else
    (void)h;
    (void)cpu;
#endif
}

/* Run task(args[k]) for k in 0..n-1 side by side; returns how many ran on helpers. */
static int edi_run_tasks(edi_task task, void **args, int n) {
    int helpers = 0, on_helpers = 0, cpu = EDI_CPU();
    long seq[EDI_MAX_HELPERS];
    if (n > 1 && __atomic_exchange_n(&edi_crew_busy, 1, __ATOMIC_ACQUIRE) == 0) {
        for (; helpers < n - 1 && helpers < EDI_MAX_HELPERS; helpers++)
            if (!edi_helper_start(&edi_helpers[helpers]))
                break;
        for (int k = 0; k < helpers; k++) {
            edi_helper *h = &edi_helpers[k];
            seq[k] = h->posted + 1;
            h->task = task;
            h->arg = args[k + 1];
            if (h->cpu >= 0 && h->cpu == cpu)
                edi_move_off(h, cpu);
            h->cpu = -1;
            __atomic_store_n(&h->caller_cpu, cpu, __ATOMIC_RELAXED);
            pthread_mutex_lock(&h->lock);
            __atomic_store_n(&h->posted, seq[k], __ATOMIC_RELEASE);
            pthread_cond_signal(&h->posted_cond);
            pthread_mutex_unlock(&h->lock);
        }
    } else if (n > 1) {
        helpers = -1; /* the crew is another call's */
    }
    task(args[0]);
    if (helpers < 0) {
        for (int k = 1; k < n; k++)
            task(args[k]);
        return 0;
    }
    for (int k = 0; k < helpers; k++) {
        edi_helper *h = &edi_helpers[k];
        if (edi_claim(h, seq[k])) { /* not started yet: done here */
            task(args[k + 1]);
            __atomic_store_n(&h->done, seq[k], __ATOMIC_RELEASE);
            continue;
        }
        on_helpers++;
        /* A helper that the scheduler put on this CPU runs only once this thread sleeps. */
        long spin = cpu >= 0 && __atomic_load_n(&h->cpu, __ATOMIC_RELAXED) == cpu ? 0 : EDI_WAIT_SPIN_NS;
        if (!edi_spin_until(&h->done, seq[k], spin)) {
            pthread_mutex_lock(&h->lock);
            while (__atomic_load_n(&h->done, __ATOMIC_ACQUIRE) < seq[k])
                pthread_cond_wait(&h->done_cond, &h->lock);
            pthread_mutex_unlock(&h->lock);
        }
    }
    for (int k = helpers + 1; k < n; k++) /* more tasks than helpers could be started */
        task(args[k]);
    if (n > 1)
        __atomic_store_n(&edi_crew_busy, 0, __ATOMIC_RELEASE);
    return on_helpers;
}
#endif
#endif
