/* Whole pages straight from the system, for the pool of large buffers (_pool.pyx): freed, they
   go straight back, without moving malloc's thresholds for everything else. And the advice
   that a file's bytes be read into huge pages. */
#ifndef EDI_PAGES_H
#define EDI_PAGES_H
#include <stddef.h>

#ifdef _WIN32
#include <windows.h>
static void *edi_pages_map(size_t n) {
    return VirtualAlloc(NULL, n, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}
static void edi_pages_unmap(void *p, size_t n) {
    (void)n;
    VirtualFree(p, 0, MEM_RELEASE);
}
#else
#include <sys/mman.h>
static void *edi_pages_map(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static void edi_pages_unmap(void *p, size_t n) {
    munmap(p, n);
}
#endif

/* Ask for transparent huge pages over the whole 2 MiB pages inside p..p+n, as numpy does for
   its large arrays: first touching 2 MiB at once costs far less than 512 faults of 4 KiB. */
static void edi_pages_advise_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    size_t huge = (size_t)2 << 20;
    size_t start = ((size_t)p + huge - 1) & ~(huge - 1), end = ((size_t)p + n) & ~(huge - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}
#endif
