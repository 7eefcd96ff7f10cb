/* Which CRC-32C kernel of a path is fastest on this core, measured once at first use.
 *
 * The kernels of a path differ in how they split the work between the crc32
 * instruction and carry-less-multiply folding, and the best split is a property of the
 * core, not of the instruction set: where one 512-bit VPCLMULQDQ issues a cycle (Intel)
 * the folding wants a smaller crc32 share than where it takes two (AMD Zen 4/5). The
 * split each core wants was measured on the cores we have; timing the candidates here
 * extends that to cores we have not seen. All kernels give the same CRC, so the choice
 * changes speed only (test_crc runs each one directly). */
#include <stdlib.h>
#include <time.h>

#include "proto/crc.h"

#define TUNE_LEN 16384
#define TUNE_CALLS 4   /* calls per sample: ~1-3 us at the speeds concerned */
#define TUNE_ROUNDS 9  /* samples per kernel, interleaved; each keeps its best */
#define TUNE_WARMUP_NS 200000 /* wide vector units power up on first use (Intel: ~10-50 us) */
#define TUNE_MARGIN 1.03 /* a later kernel must be this much faster to be taken */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

size_t kafka__crc_tune(const kafka__crc_kernel_t *k, size_t n) {
    uint8_t *buf = malloc(TUNE_LEN);
    if (!buf)
        return 0;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < TUNE_LEN; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        buf[i] = (uint8_t)(s >> 24);
    }
    volatile uint32_t sink = 0;
    for (uint64_t t0 = now_ns(); now_ns() - t0 < TUNE_WARMUP_NS;)
        for (size_t j = 0; j < n; j++)
            sink = sink + k[j].fn(0, buf, TUNE_LEN);

    uint64_t best[8];
    size_t m = n < 8 ? n : 8;
    for (size_t j = 0; j < m; j++)
        best[j] = UINT64_MAX;
    for (int r = 0; r < TUNE_ROUNDS; r++)
        for (size_t j = 0; j < m; j++) {
            uint32_t crc = 0;
            uint64_t t = now_ns();
            for (int c = 0; c < TUNE_CALLS; c++)
                crc = k[j].fn(crc, buf, TUNE_LEN);
            t = now_ns() - t;
            sink = sink + crc;
            if (t < best[j])
                best[j] = t;
        }
    free(buf);
    size_t pick = 0;
    for (size_t j = 1; j < m; j++)
        if ((double)best[j] * TUNE_MARGIN < (double)best[pick])
            pick = j;
    return pick;
}
