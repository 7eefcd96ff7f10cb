/* 256-bit VPCLMULQDQ kernels for CPUs with AVX2 and VPCLMULQDQ but no AVX-512 (AMD Zen 3,
 * Intel Alder Lake and later): folding 256 bytes per round in eight ymm accumulators,
 * and for CRC-32C the crc32 instruction running alongside it.
 *
 * On a Zen 3 EPYC one VPCLMULQDQ issues every two cycles whether it multiplies one
 * 128-bit lane or two, so ymm folding carries 8 bytes a cycle against 4 for xmm; its
 * latency (4 cycles, plus two XORs) is covered by eight independent accumulators.
 * The crc32 instruction takes 8 bytes a cycle too, but there the two overlap only in
 * part (measured: the split below is ~1.45x either alone at 16 KiB, not 2x). */
#include "proto/crc_x86.h"

#if defined(__x86_64__)

#define AVX2 __attribute__((target("sse4.2,pclmul,avx,avx2,vpclmulqdq")))

/* lddqu, not loadu: GCC's generic tuning splits a plain unaligned 256-bit load into two
 * 128-bit halves, and for the accumulators' first loads it went through the stack. */
AVX2 static inline __m256i ld256(const uint8_t *p) {
    return _mm256_lddqu_si256((const __m256i *)(const void *)p);
}

AVX2 static inline __m256i kpair256(const uint64_t k[2]) {
    return _mm256_broadcastsi128_si256(kpair(k));
}

AVX2 static inline __m256i mul32(__m256i x, __m256i k) {
    return _mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00), _mm256_clmulepi64_epi128(x, k, 0x11));
}

AVX2 static inline __m256i fold32(__m256i x, __m256i k, __m256i data) {
    return _mm256_xor_si256(mul32(x, k), data);
}

AVX2 static inline void ymm8_load(__m256i a[8], uint32_t crc, const uint8_t *p) {
    a[0] = _mm256_xor_si256(ld256(p), _mm256_zextsi128_si256(_mm_cvtsi32_si128((int)crc)));
    for (int i = 1; i < 8; i++)
        a[i] = ld256(p + 32 * i);
}

AVX2 static inline void ymm8_fold(__m256i a[8], __m256i k, const uint8_t *p) {
    for (int i = 0; i < 8; i++)
        a[i] = fold32(a[i], k, ld256(p + 32 * i));
}

/* Eight accumulators over consecutive 256 bytes -> one ymm at the last one's place:
 * each is carried there directly, so the seven folds run in parallel. */
AVX2 static inline __m256i ymm8_sum(const __m256i a[8], const kafka__crc_consts_t *c) {
    __m256i s0 = fold32(a[0], kpair256(c->ymm[6]), mul32(a[1], kpair256(c->ymm[5])));
    __m256i s1 = fold32(a[2], kpair256(c->ymm[4]), mul32(a[3], kpair256(c->ymm[3])));
    __m256i s2 = fold32(a[4], kpair256(c->ymm[2]), mul32(a[5], kpair256(c->ymm[1])));
    __m256i s3 = fold32(a[6], kpair256(c->ymm[0]), a[7]);
    return _mm256_xor_si256(_mm256_xor_si256(s0, s1), _mm256_xor_si256(s2, s3));
}

AVX2 static inline __m128i ymm_to_xmm(__m256i y, const kafka__crc_consts_t *c) {
    return fold16(_mm256_castsi256_si128(y), kpair(c->fold128), _mm256_extracti128_si256(y, 1));
}

/* As fold_xmm, for len >= 256: eight ymm accumulators, then 32 and 16 bytes at a time. */
AVX2 static inline __m128i fold_ymm(uint32_t crc, const uint8_t **pp, size_t *lenp,
                                    const kafka__crc_consts_t *c) {
    const uint8_t *p = *pp;
    size_t len = *lenp;
    __m256i a[8];
    ymm8_load(a, crc, p);
    p += 256, len -= 256;
    __m256i k = kpair256(c->ymm[7]);
    for (; len >= 256; p += 256, len -= 256)
        ymm8_fold(a, k, p);
    __m256i y = ymm8_sum(a, c);
    for (k = kpair256(c->ymm[0]); len >= 32; p += 32, len -= 32)
        y = fold32(y, k, ld256(p));
    __m128i x = ymm_to_xmm(y, c);
    if (len >= 16)
        x = fold16(x, kpair(c->fold128), ld128(p)), p += 16, len -= 16;
    *pp = p, *lenp = len;
    return x;
}

/* ---- CRC-32/IEEE ------------------------------------------------------------------ */

AVX2 uint32_t kafka__crc32_vpclmul256(uint32_t crc, const uint8_t *p, size_t len) {
    if (len < 256)
        return kafka__crc32_pclmul(crc, p, len);
    crc = barrett(fold_ymm(crc, &p, &len, &kafka__crc32_k), &kafka__crc32_k);
    return kafka__crc32_sw(crc, p, len);
}

/* ---- CRC-32C: ymm folding and the crc32 instruction in parallel ------------------- */

/* CRC-32C over the first it rounds of 256 + 4 * S bytes (it >= 2). Of each round, 256
 * bytes go to the ymm folding over the front part and 4 x S to four crc32 streams over
 * the back part, each stream a contiguous n = S * it bytes; the folded part and the
 * first three streams are then moved to the end by multiplying with x^4n, x^3n, x^2n,
 * x^n. S sets the split: on Zen 3, where the two do not overlap completely, S = 64 (32
 * crc32 instructions against 16 VPCLMULQDQ a round) was the fastest of 32..96; a core
 * that issues one 256-bit VPCLMULQDQ a cycle wants S = 32. */
AVX2 static inline __attribute__((always_inline)) uint32_t
crc32c_hybrid(uint32_t crc, const uint8_t *p, size_t it, const size_t S) {
    const kafka__crc_consts_t *c = &kafka__crc32c_k;
    const size_t n = S * it;
    const uint8_t *q = p + 256 * it;
    uint32_t r[4];
    stream_shifts(c, n, r);

    __m256i a[8];
    ymm8_load(a, crc, p);
    __m256i k = kpair256(c->ymm[7]);
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (size_t i = 1; i < it; i++) {
        const uint8_t *s = q + S * (i - 1);
        ymm8_fold(a, k, p + 256 * i);
        for (size_t j = 0; j < S; j += 8) {
            c0 = _mm_crc32_u64(c0, ld64(s + j));
            c1 = _mm_crc32_u64(c1, ld64(s + n + j));
            c2 = _mm_crc32_u64(c2, ld64(s + 2 * n + j));
            c3 = _mm_crc32_u64(c3, ld64(s + 3 * n + j));
        }
    }
    /* Ahead of the last crc32s in the source, so that the compiler emits (and the core
     * overlaps) this reduction with them: at 1 KiB that was 6-9% faster. */
    __m128i x = ymm_to_xmm(ymm8_sum(a, c), c);
    const uint8_t *s = q + n - S;
    for (size_t j = 0; j < S; j += 8) {
        c0 = _mm_crc32_u64(c0, ld64(s + j));
        c1 = _mm_crc32_u64(c1, ld64(s + n + j));
        c2 = _mm_crc32_u64(c2, ld64(s + 2 * n + j));
    }
    for (size_t j = 0; j < S - 8; j += 8)
        c3 = _mm_crc32_u64(c3, ld64(s + 3 * n + j));
    __m128i m = _mm_xor_si128(_mm_xor_si128(shift_r(crc32c_reduce(x), r[3]), shift_r(c0, r[2])),
                              _mm_xor_si128(shift_r(c1, r[1]), shift_r(c2, r[0])));
    return (uint32_t)_mm_crc32_u64(c3, ld64(q + 4 * n - 8) ^ (uint64_t)_mm_cvtsi128_si64(m));
}

AVX2 static inline __attribute__((always_inline)) uint32_t crc32c_fold(uint32_t crc, const uint8_t *p,
                                                                       size_t len) {
    if (len < 256)
        return crc32c_fold_tail(crc, p, len);
    crc = crc32c_reduce(fold_ymm(crc, &p, &len, &kafka__crc32c_k));
    return crc32c_small(crc, p, len);
}

/* Below two rounds ymm folding alone was as fast as the split. Two rounds (1 KiB with
 * S = 64) get their own copy, where every loop unrolls: at 1 KiB that was 15-20% faster
 * than the general one. */
AVX2 static inline __attribute__((always_inline)) uint32_t crc32c_split(uint32_t crc, const uint8_t *p,
                                                                        size_t len, const size_t S) {
    const size_t round = 256 + 4 * S, it = len / round;
    if (it == 2)
        crc = crc32c_hybrid(crc, p, 2, S);
    else if (it > 2)
        crc = crc32c_hybrid(crc, p, it, S);
    if (it >= 2)
        p += round * it, len -= round * it;
    return crc32c_fold(crc, p, len);
}

AVX2 uint32_t kafka__crc32c_vpclmul256_s32(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_split(crc, p, len, 32);
}

AVX2 uint32_t kafka__crc32c_vpclmul256_s64(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_split(crc, p, len, 64);
}

AVX2 uint32_t kafka__crc32c_vpclmul256_fold(uint32_t crc, const uint8_t *p, size_t len) {
    return crc32c_fold(crc, p, len);
}

#endif
