/* Whole pages straight from the system, for the pool of large buffers (_pool.pyx): freed, they
   go straight back, without moving malloc's thresholds for everything else. */
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
#endif
