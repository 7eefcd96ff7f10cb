/* x86-64 hardware CRC kernels: the SSE4.2 crc32 instruction and PCLMULQDQ folding, and
 * the CPUID check for every x86 path. crc.c calls a kernel only after CPUID said yes. */
#include "proto/crc_x86.h"

#if defined(__x86_64__)

#include <cpuid.h>

unsigned kafka__crc_cpu_features(void) {
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if ((c & bit_SSE4_2) && (c & bit_PCLMUL))
        f |= KAFKA__CPU_SSE42_PCLMUL;
    if (!f || !(c & bit_OSXSAVE) || !(c & bit_AVX) || __get_cpuid_max(0, NULL) < 7)
        return f;
    /* The OS must save the ymm state (XCR0 bits 1,2), and for AVX-512 also the opmask
     * and the upper zmm registers (bits 5,6,7). */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    __cpuid_count(7, 0, a, b, c, d);
    if ((lo & 0x06) == 0x06 && (b & bit_AVX2) && (c & bit_VPCLMULQDQ))
        f |= KAFKA__CPU_VPCLMUL256;
    if ((lo & 0xe6) == 0xe6 && (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512VL) &&
        (c & bit_VPCLMULQDQ))
        f |= KAFKA__CPU_VPCLMUL512;
    return f;
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

#endif
