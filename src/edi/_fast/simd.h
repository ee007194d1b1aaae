/* Byte-class masks for the tokenizer: bit k of the result is set when p[k] is `a` or `b`.
 * SSE2 (every x86-64) compares 16 bytes per instruction; elsewhere a portable loop gives the
 * same bits. Callers only pass blocks that lie wholly inside the buffer. */
#ifndef EDI_SIMD_H
#define EDI_SIMD_H
#include <stdint.h>
#include <stddef.h>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

static inline uint64_t edi_mask64(const unsigned char *p, unsigned char a, unsigned char b) {
#if defined(__SSE2__) || defined(_M_X64)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    uint64_t mask = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb));
        mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(hit) << (16 * k);
    }
    return mask;
#else
    uint64_t mask = 0;
    for (int k = 0; k < 64; k++)
        mask |= (uint64_t)(p[k] == a || p[k] == b) << k;
    return mask;
#endif
}

/* The same for a short block of `n` < 64 bytes (the tail of a region). */
static inline uint64_t edi_mask_tail(const unsigned char *p, size_t n, unsigned char a, unsigned char b) {
    uint64_t mask = 0;
    for (size_t k = 0; k < n; k++)
        mask |= (uint64_t)(p[k] == a || p[k] == b) << k;
    return mask;
}

static inline int edi_ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(x);
#else
    int n = 0;
    while (!(x & 1)) { x >>= 1; n++; }
    return n;
#endif
}
#endif
