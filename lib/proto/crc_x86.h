/* Inline helpers shared by the x86-64 kernels: crc_x86.c (SSE4.2 crc32 instruction,
 * PCLMULQDQ folding), crc_x86_avx2.c (256-bit VPCLMULQDQ) and crc_x86_avx512.c (512-bit
 * VPCLMULQDQ). Internal to lib/proto.
 *
 * Folding (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"):
 * a 128-bit block is carried D bits forward by multiplying its two halves by
 * x^(D+32) and x^(D-32) mod P and XORing the products into the block D bits later.
 * The constants come from consts_init() in crc.c (see crc.h).
 *
 * Every function carries its own target attribute so the build needs no -m flags; a
 * kernel whose target includes these features can inline them. */
#ifndef KAFKA_PROTO_CRC_X86_H
#define KAFKA_PROTO_CRC_X86_H

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "proto/crc.h"

#define SSE __attribute__((target("sse4.2,pclmul")))

static inline uint64_t ld64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t ld32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint16_t ld16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* ---- 128-bit folding, shared by both polynomials ---------------------------------- */

SSE static inline __m128i ld128(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

SSE static inline __m128i kpair(const uint64_t k[2]) {
    return _mm_loadu_si128((const __m128i *)(const void *)k);
}

SSE static inline __m128i fold16(__m128i x, __m128i k, __m128i data) {
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00), hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), data);
}

/* Folds p[0 .. len rounded down to 16) (len >= 64) into one 128-bit block that is
 * congruent to the message; crc is XORed into the first four bytes as the init. */
SSE static inline __m128i fold_xmm(uint32_t crc, const uint8_t **pp, size_t *lenp,
                                   const kafka__crc_consts_t *c) {
    const uint8_t *p = *pp;
    size_t len = *lenp;
    __m128i x0 = _mm_xor_si128(ld128(p), _mm_cvtsi32_si128((int)crc));
    __m128i x1 = ld128(p + 16), x2 = ld128(p + 32), x3 = ld128(p + 48);
    p += 64, len -= 64;
    __m128i k = kpair(c->fold512);
    for (; len >= 64; p += 64, len -= 64) {
        x0 = fold16(x0, k, ld128(p));
        x1 = fold16(x1, k, ld128(p + 16));
        x2 = fold16(x2, k, ld128(p + 32));
        x3 = fold16(x3, k, ld128(p + 48));
    }
    /* The three folds are independent: carry each straight to x3's position. */
    __m128i x = _mm_xor_si128(fold16(x0, kpair(c->lanes), x3), fold16(x1, kpair(c->lanes + 2), _mm_setzero_si128()));
    x = fold16(x2, kpair(c->lanes + 4), x);
    for (k = kpair(c->fold128); len >= 16; p += 16, len -= 16)
        x = fold16(x, k, ld128(p));
    *pp = p, *lenp = len;
    return x;
}

/* Barrett reduction of a 128-bit block X to X * x^32 mod P: 128 -> 96 -> 64 bits by
 * folding, then q = floor(H * mu / x^32) and the remainder is the low half of Z ^ q*P. */
SSE static inline uint32_t barrett(__m128i x, const kafka__crc_consts_t *c) {
    const __m128i m32 = _mm_set_epi32(0, 0, 0, -1);
    __m128i k = _mm_set_epi64x((long long)c->k64, (long long)c->k96);
    __m128i y = _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_srli_si128(x, 8));
    __m128i z = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(y, m32), k, 0x10), _mm_srli_si128(y, 4));
    __m128i b = _mm_set_epi64x((long long)c->poly, (long long)c->mu);
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(z, m32), b, 0x00);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, m32), b, 0x10);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(z, t), 1);
}

/* ---- CRC-32C: the crc32 instruction -------------------------------------------- */

SSE static inline uint32_t crc32c_small(uint32_t crc, const uint8_t *p, size_t len) {
    uint64_t c = crc;
    for (; len >= 8; p += 8, len -= 8)
        c = _mm_crc32_u64(c, ld64(p));
    crc = (uint32_t)c;
    if (len & 4)
        crc = _mm_crc32_u32(crc, ld32(p)), p += 4;
    if (len & 2)
        crc = _mm_crc32_u16(crc, ld16(p)), p += 2;
    if (len & 1)
        crc = _mm_crc32_u8(crc, *p);
    return crc;
}

/* X * x^32 mod P for a 128-bit block is just the crc32 instruction over its two halves. */
SSE static inline uint32_t crc32c_reduce(__m128i x) {
    uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
    return (uint32_t)_mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(x, 1));
}

SSE static inline uint32_t crc32c_fold_tail(uint32_t crc, const uint8_t *p, size_t len) {
    if (len >= 64)
        crc = crc32c_reduce(fold_xmm(crc, &p, &len, &kafka__crc32c_k));
    return crc32c_small(crc, p, len);
}

/* R(n) = x^(n-33) mod P, reflected. The crc32 instruction over a carry-less product
 * multiplies by x^33, so R(a) (x) R(b) -> R(a+b), and crc32(c, clmul(v, R(n))) adds
 * v * x^n: v moved n bits down the message. */
SSE static inline uint32_t mul_r(uint32_t a, uint32_t b) {
    __m128i p = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)a), _mm_cvtsi32_si128((int)b), 0);
    return (uint32_t)_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(p));
}

SSE static inline __m128i shift_r(uint64_t v, uint32_t r) {
    return _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)v), _mm_cvtsi32_si128((int)r), 0);
}

/* R(8n), R(16n), R(24n), R(32n) for four crc32 streams of n bytes each (n a multiple of
 * 16): what moves streams 3, 2, 1 and the part before them to the end of the last. Up
 * to KAFKA__CRC_SHIFT_TABLE units from the table (computing them cost 15% of a 1 KiB
 * call); beyond, from the binary expansion of n / 16 with pow128[i] = R(128 * 2^i).
 * Independent of the data, so the core overlaps it with the streams. */
SSE static inline void stream_shifts(const kafka__crc_consts_t *c, size_t n, uint32_t r[4]) {
    size_t m = n / 16;
    if (m <= KAFKA__CRC_SHIFT_TABLE) {
        memcpy(r, c->rsmall[m - 1], 4 * sizeof(r[0]));
        return;
    }
    uint32_t r1 = 0;
    for (unsigned i = 0; m; m >>= 1, i++)
        if (m & 1)
            r1 = r1 ? mul_r(r1, c->pow128[i]) : c->pow128[i];
    r[0] = r1, r[1] = mul_r(r1, r1), r[2] = mul_r(r[1], r1), r[3] = mul_r(r[1], r[1]);
}

#endif

#endif
