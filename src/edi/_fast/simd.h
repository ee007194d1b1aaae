/* Byte-class masks for the tokenizer: bit k of the result is set when p[k] is `a` or `b`; and
 * byte counts, for cutting a scan in two.
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

/* How many of the n bytes at p are `a` (into *na) and how many are `b` (into *nb). */
static inline void edi_count2(const unsigned char *p, size_t n, unsigned char a, unsigned char b,
                              size_t *na, size_t *nb) {
    size_t i = 0, ca = 0, cb = 0;
#if defined(__SSE2__) || defined(_M_X64)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b), zero = _mm_setzero_si128();
    while (n - i >= 16) {
        /* Byte counters in 16 lanes, summed before any lane can pass 255. */
        size_t blocks = (n - i) / 16 < 255 ? (n - i) / 16 : 255;
        __m128i acc_a = zero, acc_b = zero;
        for (size_t k = 0; k < blocks; k++, i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
            acc_a = _mm_sub_epi8(acc_a, _mm_cmpeq_epi8(v, va));
            acc_b = _mm_sub_epi8(acc_b, _mm_cmpeq_epi8(v, vb));
        }
        __m128i sa = _mm_sad_epu8(acc_a, zero), sb = _mm_sad_epu8(acc_b, zero);
        ca += (size_t)_mm_cvtsi128_si32(sa) + (size_t)_mm_extract_epi16(sa, 4);
        cb += (size_t)_mm_cvtsi128_si32(sb) + (size_t)_mm_extract_epi16(sb, 4);
    }
#endif
    for (; i < n; i++) {
        ca += p[i] == a;
        cb += p[i] == b;
    }
    *na = ca;
    *nb = cb;
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

/* Offset of the first place where the n bytes at p hold a, b, c, d in a row; -1 if none. */
static inline ptrdiff_t edi_find4(const unsigned char *p, size_t n, unsigned char a, unsigned char b,
                                  unsigned char c, unsigned char d) {
    size_t i = 0;
#if defined(__SSE2__) || defined(_M_X64)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    const __m128i vc = _mm_set1_epi8((char)c), vd = _mm_set1_epi8((char)d);
    while (i + 19 <= n) {
        __m128i ab = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), va),
                                   _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 1)), vb));
        __m128i cd = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 2)), vc),
                                   _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 3)), vd));
        int mask = _mm_movemask_epi8(_mm_and_si128(ab, cd));
        if (mask)
            return (ptrdiff_t)(i + (size_t)edi_ctz64((uint64_t)mask));
        i += 16;
    }
#endif
    for (; i + 4 <= n; i++)
        if (p[i] == a && p[i + 1] == b && p[i + 2] == c && p[i + 3] == d)
            return (ptrdiff_t)i;
    return -1;
}
#endif
