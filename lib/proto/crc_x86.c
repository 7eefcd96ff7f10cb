/* x86-64 hardware CRC kernels: the SSE4.2 crc32 instruction, PCLMULQDQ folding and
 * AVX-512 VPCLMULQDQ folding. Each function carries its own target attribute so the
 * rest of the build needs no -m flags; crc.c calls these only after CPUID said yes.
 *
 * Folding (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"):
 * a 128-bit block is carried D bits forward by multiplying its two halves by
 * x^(D+32) and x^(D-32) mod P and XORing the products into the block D bits later.
 * The constants come from consts_init() in crc.c (see crc.h). */
#include "proto/crc.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#define SSE __attribute__((target("sse4.2,pclmul")))
/* From here on the crc32 instruction and zmm folding share the work (measured). */
#define KAFKA__CRC_HYBRID_MIN 2048

#define AVX512 __attribute__((target("sse4.2,pclmul,avx512f,avx512bw,avx512vl,vpclmulqdq")))

unsigned kafka__crc_cpu_features(void) {
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if ((c & bit_SSE4_2) && (c & bit_PCLMUL))
        f |= KAFKA__CPU_SSE42_PCLMUL;
    if (!f || !(c & bit_OSXSAVE) || __get_cpuid_max(0, NULL) < 7)
        return f;
    /* The OS must save the opmask and all 512-bit registers (XCR0 bits 1,2,5,6,7). */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6)
        return f;
    __cpuid_count(7, 0, a, b, c, d);
    if ((b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512VL) && (c & bit_VPCLMULQDQ))
        f |= KAFKA__CPU_VPCLMUL512;
    return f;
}

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

/* Three crc32 streams over consecutive n-byte chunks hide the instruction's latency;
 * the first two are then shifted over the bytes after them with one multiply each and
 * folded into the third's last word. */
SSE static inline uint32_t crc32c_3way(uint32_t crc, const uint8_t *p, size_t n, uint64_t ka, uint64_t kb) {
    uint64_t a = crc, b = 0, c = 0;
    for (size_t i = 0; i < n - 8; i += 8) {
        a = _mm_crc32_u64(a, ld64(p + i));
        b = _mm_crc32_u64(b, ld64(p + n + i));
        c = _mm_crc32_u64(c, ld64(p + 2 * n + i));
    }
    a = _mm_crc32_u64(a, ld64(p + n - 8));
    b = _mm_crc32_u64(b, ld64(p + 2 * n - 8));
    __m128i va = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)ka), 0);
    __m128i vb = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)b), _mm_cvtsi64_si128((long long)kb), 0);
    uint64_t v = (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(va, vb));
    return (uint32_t)_mm_crc32_u64(c, ld64(p + 3 * n - 8) ^ v);
}

SSE uint32_t kafka__crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len) {
    const kafka__crc_consts_t *c = &kafka__crc32c_k;
    for (; len >= 3 * KAFKA__CRC_LANE_LONG; p += 3 * KAFKA__CRC_LANE_LONG, len -= 3 * KAFKA__CRC_LANE_LONG)
        crc = crc32c_3way(crc, p, KAFKA__CRC_LANE_LONG, c->shift[0], c->shift[1]);
    for (; len >= 3 * KAFKA__CRC_LANE_SHORT; p += 3 * KAFKA__CRC_LANE_SHORT, len -= 3 * KAFKA__CRC_LANE_SHORT)
        crc = crc32c_3way(crc, p, KAFKA__CRC_LANE_SHORT, c->shift[2], c->shift[3]);
    return crc32c_fold_tail(crc, p, len);
}

/* ---- CRC-32/IEEE: PCLMULQDQ folding -------------------------------------------- */

SSE uint32_t kafka__crc32_pclmul(uint32_t crc, const uint8_t *p, size_t len) {
    const kafka__crc_consts_t *c = &kafka__crc32_k;
    if (len >= 64) {
        crc = barrett(fold_xmm(crc, &p, &len, c), c);
    } else if (len >= 16) {
        __m128i x = _mm_xor_si128(ld128(p), _mm_cvtsi32_si128((int)crc)), k = kpair(c->fold128);
        for (p += 16, len -= 16; len >= 16; p += 16, len -= 16)
            x = fold16(x, k, ld128(p));
        crc = barrett(x, c);
    }
    return kafka__crc32_sw(crc, p, len);
}

/* ---- AVX-512 VPCLMULQDQ folding, 256 bytes per round ------------------------------ */

AVX512 static inline __m512i ld512(const uint8_t *p) {
    return _mm512_loadu_si512((const void *)p);
}

AVX512 static inline __m512i kpair512(const uint64_t k[2]) {
    return _mm512_broadcast_i32x4(kpair(k));
}

AVX512 static inline __m512i fold64(__m512i x, __m512i k, __m512i data) {
    __m512i lo = _mm512_clmulepi64_epi128(x, k, 0x00), hi = _mm512_clmulepi64_epi128(x, k, 0x11);
    return _mm512_ternarylogic_epi64(lo, hi, data, 0x96);
}

/* Four zmm accumulators over consecutive 256 bytes -> one xmm block congruent to them. */
AVX512 static inline __m128i zmm4_to_xmm(__m512i a0, __m512i a1, __m512i a2, __m512i a3,
                                         const kafka__crc_consts_t *c) {
    __m512i a = fold64(a0, kpair512(c->fold1536), fold64(a1, kpair512(c->fold1024), _mm512_setzero_si512()));
    a = _mm512_xor_si512(a, fold64(a2, kpair512(c->fold512), a3));
    /* Lanes 0..2 carried to lane 3's position, then the four lanes summed. */
    __m512i t = fold64(a, _mm512_loadu_si512((const void *)c->lanes), _mm512_setzero_si512());
    __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
    return _mm_ternarylogic_epi64(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1),
                                  _mm512_extracti32x4_epi32(a, 3), 0x96);
}

/* As fold_xmm, for len >= 256: four zmm accumulators, then 64 and 16 bytes at a time. */
AVX512 static inline __m128i fold_zmm(uint32_t crc, const uint8_t **pp, size_t *lenp,
                                      const kafka__crc_consts_t *c) {
    const uint8_t *p = *pp;
    size_t len = *lenp;
    __m512i a0 = _mm512_xor_si512(ld512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
    __m512i a1 = ld512(p + 64), a2 = ld512(p + 128), a3 = ld512(p + 192);
    p += 256, len -= 256;
    __m512i k = kpair512(c->fold2048);
    for (; len >= 256; p += 256, len -= 256) {
        a0 = fold64(a0, k, ld512(p));
        a1 = fold64(a1, k, ld512(p + 64));
        a2 = fold64(a2, k, ld512(p + 128));
        a3 = fold64(a3, k, ld512(p + 192));
    }
    if (len >= 64) {
        /* Fewer than four 64-byte blocks left: fold them through one accumulator. */
        __m512i a = fold64(a0, kpair512(c->fold1536), fold64(a1, kpair512(c->fold1024), _mm512_setzero_si512()));
        a = _mm512_xor_si512(a, fold64(a2, kpair512(c->fold512), a3));
        for (k = kpair512(c->fold512); len >= 64; p += 64, len -= 64)
            a = fold64(a, k, ld512(p));
        a0 = a1 = a2 = _mm512_setzero_si512(), a3 = a;
    }
    __m128i x = zmm4_to_xmm(a0, a1, a2, a3, c);
    for (__m128i k1 = kpair(c->fold128); len >= 16; p += 16, len -= 16)
        x = fold16(x, k1, ld128(p));
    *pp = p, *lenp = len;
    return x;
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

/* CRC-32C for len >= 384 * 2: the crc32 instruction and the vector unit run in
 * parallel. Of each 384 bytes, 256 go to the zmm folding (the buffer's front part) and
 * 128 to four crc32 streams over the back part (4 x 32 bytes); the streams' results
 * are moved to the end by multiplying with x^n, n computed from R(256 * 2^i). */
AVX512 static uint32_t crc32c_hybrid(uint32_t crc, const uint8_t *p, size_t len) {
    const kafka__crc_consts_t *c = &kafka__crc32c_k;
    const size_t it = len / 384, n = 32 * it; /* n: bytes per crc32 stream */
    const uint8_t *q = p + 256 * it;
    /* x^(8n) from its binary expansion; independent of the data, so it overlaps. */
    uint32_t r1 = 0;
    for (size_t b = it, i = 0; b; b >>= 1, i++)
        if (b & 1)
            r1 = r1 ? mul_r(r1, c->pow256[i]) : c->pow256[i];
    uint32_t r2 = mul_r(r1, r1), r3 = mul_r(r2, r1), r4 = mul_r(r2, r2);

    __m512i a0 = _mm512_xor_si512(ld512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
    __m512i a1 = ld512(p + 64), a2 = ld512(p + 128), a3 = ld512(p + 192);
    __m512i k = kpair512(c->fold2048);
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (size_t i = 1; i < it; i++) {
        const uint8_t *v = p + 256 * i, *s = q + 32 * (i - 1);
        a0 = fold64(a0, k, ld512(v));
        a1 = fold64(a1, k, ld512(v + 64));
        a2 = fold64(a2, k, ld512(v + 128));
        a3 = fold64(a3, k, ld512(v + 192));
        for (int j = 0; j < 32; j += 8) {
            c0 = _mm_crc32_u64(c0, ld64(s + j));
            c1 = _mm_crc32_u64(c1, ld64(s + n + j));
            c2 = _mm_crc32_u64(c2, ld64(s + 2 * n + j));
            c3 = _mm_crc32_u64(c3, ld64(s + 3 * n + j));
        }
    }
    const uint8_t *s = q + n - 32;
    for (int j = 0; j < 32; j += 8) {
        c0 = _mm_crc32_u64(c0, ld64(s + j));
        c1 = _mm_crc32_u64(c1, ld64(s + n + j));
        c2 = _mm_crc32_u64(c2, ld64(s + 2 * n + j));
    }
    for (int j = 0; j < 24; j += 8)
        c3 = _mm_crc32_u64(c3, ld64(s + 3 * n + j));
    uint64_t cv = crc32c_reduce(zmm4_to_xmm(a0, a1, a2, a3, c));
    __m128i m = _mm_ternarylogic_epi64(shift_r(cv, r4), shift_r(c0, r3), shift_r(c1, r2), 0x96);
    m = _mm_xor_si128(m, shift_r(c2, r1));
    crc = (uint32_t)_mm_crc32_u64(c3, ld64(q + 4 * n - 8) ^ (uint64_t)_mm_cvtsi128_si64(m));
    return crc32c_fold_tail(crc, q + 4 * n, len - 384 * it);
}

AVX512 uint32_t kafka__crc32c_vpclmul(uint32_t crc, const uint8_t *p, size_t len) {
    if (len >= KAFKA__CRC_HYBRID_MIN)
        return crc32c_hybrid(crc, p, len);
    if (len < 256)
        return crc32c_fold_tail(crc, p, len);
    crc = crc32c_reduce(fold_zmm(crc, &p, &len, &kafka__crc32c_k));
    return crc32c_small(crc, p, len);
}

AVX512 uint32_t kafka__crc32_vpclmul(uint32_t crc, const uint8_t *p, size_t len) {
    if (len < 256)
        return kafka__crc32_pclmul(crc, p, len);
    crc = barrett(fold_zmm(crc, &p, &len, &kafka__crc32_k), &kafka__crc32_k);
    return kafka__crc32_sw(crc, p, len);
}

#endif
