/* AVX-512 VPCLMULQDQ kernels: folding 256 bytes per round in four zmm accumulators,
 * and for CRC-32C the crc32 instruction running alongside it. */
#include "proto/crc_x86.h"

#if defined(__x86_64__)

/* From here on the crc32 instruction and zmm folding share the work (measured). */
#define KAFKA__CRC_HYBRID_MIN 2048

#define AVX512 __attribute__((target("sse4.2,pclmul,avx512f,avx512bw,avx512vl,vpclmulqdq")))

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

/* CRC-32C over the first it rounds of 256 + 4 * S bytes (it >= 2): the crc32 instruction
 * and the vector unit run in parallel. Of each round, 256 bytes go to the zmm folding
 * over the buffer's front part and 4 x S to four crc32 streams over the back part, each
 * stream a contiguous n = S * it bytes; the folded part and the first three streams are
 * then moved to the end by multiplying with x^4n, x^3n, x^2n, x^n.
 *
 * S sets the split, and the best one depends on the core: where one 512-bit VPCLMULQDQ
 * issues every cycle (Intel Ice Lake and later) the folding takes 8 cycles a round and
 * 8 crc32s (S = 16) fit beside it; where it takes two cycles (AMD Zen 4/5) 16 or more do. */
AVX512 static inline __attribute__((always_inline)) uint32_t
crc32c_hybrid(uint32_t crc, const uint8_t *p, size_t it, const size_t S) {
    const kafka__crc_consts_t *c = &kafka__crc32c_k;
    const size_t n = S * it;
    const uint8_t *q = p + 256 * it;
    uint32_t r[4];
    stream_shifts(c, n, r);

    __m512i a0 = _mm512_xor_si512(ld512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
    __m512i a1 = ld512(p + 64), a2 = ld512(p + 128), a3 = ld512(p + 192);
    __m512i k = kpair512(c->fold2048);
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (size_t i = 1; i < it; i++) {
        const uint8_t *v = p + 256 * i, *s = q + S * (i - 1);
        a0 = fold64(a0, k, ld512(v));
        a1 = fold64(a1, k, ld512(v + 64));
        a2 = fold64(a2, k, ld512(v + 128));
        a3 = fold64(a3, k, ld512(v + 192));
        for (size_t j = 0; j < S; j += 8) {
            c0 = _mm_crc32_u64(c0, ld64(s + j));
            c1 = _mm_crc32_u64(c1, ld64(s + n + j));
            c2 = _mm_crc32_u64(c2, ld64(s + 2 * n + j));
            c3 = _mm_crc32_u64(c3, ld64(s + 3 * n + j));
        }
    }
    __m128i x = zmm4_to_xmm(a0, a1, a2, a3, c);
    const uint8_t *s = q + n - S;
    for (size_t j = 0; j < S; j += 8) {
        c0 = _mm_crc32_u64(c0, ld64(s + j));
        c1 = _mm_crc32_u64(c1, ld64(s + n + j));
        c2 = _mm_crc32_u64(c2, ld64(s + 2 * n + j));
    }
    for (size_t j = 0; j < S - 8; j += 8)
        c3 = _mm_crc32_u64(c3, ld64(s + 3 * n + j));
    __m128i m = _mm_ternarylogic_epi64(shift_r(crc32c_reduce(x), r[3]), shift_r(c0, r[2]), shift_r(c1, r[1]), 0x96);
    m = _mm_xor_si128(m, shift_r(c2, r[0]));
    return (uint32_t)_mm_crc32_u64(c3, ld64(q + 4 * n - 8) ^ (uint64_t)_mm_cvtsi128_si64(m));
}

/* Below the hybrid's minimum, and after its rounds: zmm folding alone. */
AVX512 static inline __attribute__((always_inline)) uint32_t crc32c_fold(uint32_t crc, const uint8_t *p,
                                                                         size_t len) {
    if (len < 256)
        return crc32c_fold_tail(crc, p, len);
    crc = crc32c_reduce(fold_zmm(crc, &p, &len, &kafka__crc32c_k));
    return crc32c_small(crc, p, len);
}

AVX512 static inline __attribute__((always_inline)) uint32_t crc32c_split(uint32_t crc, const uint8_t *p,
                                                                          size_t len, const size_t S) {
    if (len >= KAFKA__CRC_HYBRID_MIN) {
        const size_t round = 256 + 4 * S, it = len / round;
        crc = crc32c_hybrid(crc, p, it, S);
        p += round * it, len -= round * it;
    }
    return crc32c_fold(crc, p, len);
}

AVX512 uint32_t kafka__crc32c_vpclmul_s16(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_split(crc, p, len, 16);
}

AVX512 uint32_t kafka__crc32c_vpclmul_s32(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_split(crc, p, len, 32);
}

AVX512 uint32_t kafka__crc32c_vpclmul_s64(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_split(crc, p, len, 64);
}

AVX512 uint32_t kafka__crc32c_vpclmul_fold(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_fold(crc, p, len);
}

AVX512 uint32_t kafka__crc32_vpclmul(uint32_t crc, const uint8_t *p, size_t len) {
    if (len < 256)
        return kafka__crc32_pclmul(crc, p, len);
    crc = barrett(fold_zmm(crc, &p, &len, &kafka__crc32_k), &kafka__crc32_k);
    return kafka__crc32_sw(crc, p, len);
}

#endif
