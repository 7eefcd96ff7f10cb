/* CRC-32C and CRC-32/IEEE: the portable table-driven kernels, the constants every
 * kernel derives from the polynomial, and the one-time choice of implementation. */
#include "proto/crc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/protocol.h"

kafka__crc_consts_t kafka__crc32c_k;
kafka__crc_consts_t kafka__crc32_k;

/* Slicing-by-8 tables, and for the 4-stream loop the tables that multiply a register by
 * x^(8 * STREAM_LEN) a byte at a time (shift[k][b] = (b << 8k) * x^(8 * STREAM_LEN)). */
#define STREAM_LEN 128
typedef struct {
    uint32_t slice[8][256];
    uint32_t shift[4][256];
} sw_tables_t;
static sw_tables_t crc32c_sw, crc32_sw;

static uint32_t mulmod(uint32_t poly, uint32_t a, uint32_t b);
static uint32_t xpow(uint32_t poly, uint64_t n);

static void tables_init(sw_tables_t *t, uint32_t poly) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ ((c & 1) ? poly : 0);
        t->slice[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            t->slice[k][i] = (t->slice[k - 1][i] >> 8) ^ t->slice[0][t->slice[k - 1][i] & 0xff];
    uint32_t x = xpow(poly, 8 * STREAM_LEN);
    for (int k = 0; k < 4; k++)
        for (uint32_t i = 0; i < 256; i++)
            t->shift[k][i] = mulmod(poly, i << (8 * k), x);
}

static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Eight bytes through the register, one lookup a byte. The four bytes that meet the
 * register are taken from it; the other four are read from memory one by one, which
 * costs loads (of which cores have several ports) instead of shifts and masks (with a
 * load from a 64-bit word that was 20% slower: the loop is bound by instruction count). */
static inline uint32_t step8(const sw_tables_t *t, uint32_t crc, const uint8_t *p) {
    uint32_t lo = crc ^ le32(p);
    uint32_t h = (t->slice[3][p[4]] ^ t->slice[2][p[5]]) ^ (t->slice[1][p[6]] ^ t->slice[0][p[7]]);
    return (h ^ (t->slice[7][lo & 0xff] ^ t->slice[6][(lo >> 8) & 0xff])) ^
           (t->slice[5][(lo >> 16) & 0xff] ^ t->slice[4][lo >> 24]);
}

static inline uint32_t shift(const sw_tables_t *t, uint32_t c) {
    return t->shift[0][c & 0xff] ^ t->shift[1][(c >> 8) & 0xff] ^ t->shift[2][(c >> 16) & 0xff] ^
           t->shift[3][c >> 24];
}

/* One slicing-by-8 chain is bound by its latency (a load and the XORs after it each 8
 * bytes), so blocks of 4 x STREAM_LEN bytes run four independent chains over their four
 * quarters, which are then joined: crc(A || B) = crc(A) * x^(8|B|) ^ crc(B) for the raw
 * register, the multiply by the shift tables. About 3x one chain. */
static uint32_t sw(const sw_tables_t *t, uint32_t crc, const uint8_t *p, size_t len) {
    for (; len >= 4 * STREAM_LEN; p += 4 * STREAM_LEN, len -= 4 * STREAM_LEN) {
        uint32_t c0 = crc, c1 = 0, c2 = 0, c3 = 0;
        for (size_t i = 0; i < STREAM_LEN; i += 8) {
            c0 = step8(t, c0, p + i);
            c1 = step8(t, c1, p + STREAM_LEN + i);
            c2 = step8(t, c2, p + 2 * STREAM_LEN + i);
            c3 = step8(t, c3, p + 3 * STREAM_LEN + i);
        }
        crc = shift(t, shift(t, shift(t, c0) ^ c1) ^ c2) ^ c3;
    }
    for (; len >= 8; p += 8, len -= 8)
        crc = step8(t, crc, p);
    while (len--)
        crc = (crc >> 8) ^ t->slice[0][(crc ^ *p++) & 0xff];
    return crc;
}

uint32_t kafka__crc32c_sw(uint32_t crc, const uint8_t *p, size_t len) {
    return sw(&crc32c_sw, crc, p, len);
}

uint32_t kafka__crc32_sw(uint32_t crc, const uint8_t *p, size_t len) {
    return sw(&crc32_sw, crc, p, len);
}

/* a * b mod P, bit-reflected (bit i holds x^(31-i)): multiplying by x is a right shift,
 * and x^32 folds back in as P's low terms. */
static uint32_t mulmod(uint32_t poly, uint32_t a, uint32_t b) {
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, b = (b >> 1) ^ ((b & 1) ? poly : 0))
        if (a & (0x80000000u >> i))
            r ^= b;
    return r;
}

/* x^n mod P, reflected, by square and multiply. */
static uint32_t xpow(uint32_t poly, uint64_t n) {
    uint32_t r = 0x80000000u, sq = 0x40000000u; /* x^0, x^1 */
    for (; n; n >>= 1, sq = mulmod(poly, sq, sq))
        if (n & 1)
            r = mulmod(poly, r, sq);
    return r;
}

static uint64_t k(uint32_t poly, unsigned n) {
    return (uint64_t)xpow(poly, n) << 1;
}

static void fold_pair(uint64_t out[2], uint32_t poly, unsigned d) {
    out[0] = k(poly, d + 32);
    out[1] = k(poly, d - 32);
}

/* Barrett's mu = floor(x^64 / P) by long division, returned reflected in 33 bits
 * (bit i holds x^(32-i)), the form the reduction multiplies by. */
static uint64_t barrett_mu(uint32_t poly) {
    uint8_t rem[65] = {0}, p[33];
    for (int d = 0; d < 32; d++)
        p[d] = (poly >> (31 - d)) & 1;
    p[32] = 1;
    rem[64] = 1;
    uint64_t mu = 0;
    for (int i = 64; i >= 32; i--) {
        if (!rem[i])
            continue;
        mu |= (uint64_t)1 << (32 - (i - 32));
        for (int d = 0; d <= 32; d++)
            rem[i - 32 + d] ^= p[d];
    }
    return mu;
}

static void consts_init(kafka__crc_consts_t *c, uint32_t poly) {
    memset(c, 0, sizeof(*c));
    fold_pair(c->fold128, poly, 128);
    fold_pair(c->fold512, poly, 512);
    fold_pair(c->fold1024, poly, 1024);
    fold_pair(c->fold1536, poly, 1536);
    fold_pair(c->fold2048, poly, 2048);
    fold_pair(c->lanes + 0, poly, 384);
    fold_pair(c->lanes + 2, poly, 256);
    fold_pair(c->lanes + 4, poly, 128);
    for (unsigned i = 0; i < 8; i++)
        fold_pair(c->ymm[i], poly, 256 * (i + 1));
    c->k96 = k(poly, 96);
    c->k64 = k(poly, 64);
    c->mu = barrett_mu(poly);
    c->poly = (uint64_t)poly << 1 | 1;
    c->shift[0] = k(poly, 8 * 2 * KAFKA__CRC_LANE_LONG - 32);
    c->shift[1] = k(poly, 8 * KAFKA__CRC_LANE_LONG - 32);
    c->shift[2] = k(poly, 8 * 2 * KAFKA__CRC_LANE_SHORT - 32);
    c->shift[3] = k(poly, 8 * KAFKA__CRC_LANE_SHORT - 32);
    /* x^(2n - 33) = (x^(n - 33))^2 * x^33: one squaring an entry. */
    const uint32_t x33 = xpow(poly, 33);
    c->pow128[0] = xpow(poly, 128 - 33);
    for (unsigned i = 1; i < sizeof(c->pow128) / sizeof(c->pow128[0]); i++)
        c->pow128[i] = mulmod(poly, mulmod(poly, c->pow128[i - 1], c->pow128[i - 1]), x33);
    /* Row i + 1 is row i times x^(128 * (j + 1)): one multiply an entry. */
    for (unsigned j = 0; j < 4; j++) {
        uint32_t step = xpow(poly, 128 * (j + 1));
        c->rsmall[0][j] = xpow(poly, 128 * (j + 1) - 33);
        for (unsigned i = 1; i < KAFKA__CRC_SHIFT_TABLE; i++)
            c->rsmall[i][j] = mulmod(poly, c->rsmall[i - 1][j], step);
    }
}

/* Within a path, in order of preference when the tuning finds no clear winner. */
static const kafka__crc_kernel_t crc32c_kernels[] = {
    {"portable", KAFKA_CRC_IMPL_PORTABLE, kafka__crc32c_sw},
#if defined(__x86_64__)
    {"sse42", KAFKA_CRC_IMPL_SSE42, kafka__crc32c_sse42},
    {"vpclmul256/s64", KAFKA_CRC_IMPL_VPCLMUL256, kafka__crc32c_vpclmul256_s64},
    {"vpclmul256/s32", KAFKA_CRC_IMPL_VPCLMUL256, kafka__crc32c_vpclmul256_s32},
    {"vpclmul256/fold", KAFKA_CRC_IMPL_VPCLMUL256, kafka__crc32c_vpclmul256_fold},
    {"vpclmul/s32", KAFKA_CRC_IMPL_VPCLMUL, kafka__crc32c_vpclmul_s32},
    {"vpclmul/s16", KAFKA_CRC_IMPL_VPCLMUL, kafka__crc32c_vpclmul_s16},
    {"vpclmul/s64", KAFKA_CRC_IMPL_VPCLMUL, kafka__crc32c_vpclmul_s64},
    {"vpclmul/fold", KAFKA_CRC_IMPL_VPCLMUL, kafka__crc32c_vpclmul_fold},
#endif
};
#define N_KERNELS (sizeof(crc32c_kernels) / sizeof(crc32c_kernels[0]))

const kafka__crc_kernel_t *kafka__crc32c_kernels(size_t *n) {
    *n = N_KERNELS;
    return crc32c_kernels;
}

kafka__crc_fn kafka__crc32_kernel(kafka_crc_impl_t impl) {
#if defined(__x86_64__)
    if (impl == KAFKA_CRC_IMPL_VPCLMUL)
        return kafka__crc32_vpclmul;
    if (impl == KAFKA_CRC_IMPL_VPCLMUL256)
        return kafka__crc32_vpclmul256;
    if (impl == KAFKA_CRC_IMPL_SSE42)
        return kafka__crc32_pclmul;
#endif
    (void)impl;
    return kafka__crc32_sw;
}

bool kafka__crc_impl_supported(kafka_crc_impl_t impl) {
#if defined(__x86_64__)
    unsigned f = kafka__crc_cpu_features();
    switch (impl) {
    case KAFKA_CRC_IMPL_PORTABLE: return true;
    case KAFKA_CRC_IMPL_SSE42: return (f & KAFKA__CPU_SSE42_PCLMUL) != 0;
    case KAFKA_CRC_IMPL_VPCLMUL256: return (f & KAFKA__CPU_VPCLMUL256) != 0;
    case KAFKA_CRC_IMPL_VPCLMUL: return (f & KAFKA__CPU_VPCLMUL512) != 0;
    }
    return false;
#else
    return impl == KAFKA_CRC_IMPL_PORTABLE;
#endif
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool env_portable;
static kafka_crc_impl_t hw = KAFKA_CRC_IMPL_PORTABLE;
static const kafka__crc_kernel_t *hw32c = &crc32c_kernels[0];
static _Atomic kafka_crc_impl_t cur32c, cur32;
static const kafka__crc_kernel_t *_Atomic cur32c_kernel;
static uint32_t resolve32c(uint32_t crc, const uint8_t *p, size_t len);
static uint32_t resolve32(uint32_t crc, const uint8_t *p, size_t len);
static _Atomic(kafka__crc_fn) fn32c = resolve32c;
static _Atomic(kafka__crc_fn) fn32 = resolve32;

static void set_impl(bool portable) {
    portable = portable || env_portable;
    const kafka__crc_kernel_t *kc = portable ? &crc32c_kernels[0] : hw32c;
    kafka_crc_impl_t i = portable ? KAFKA_CRC_IMPL_PORTABLE : hw;
    atomic_store(&cur32c_kernel, kc);
    atomic_store(&cur32c, kc->impl);
    atomic_store(&cur32, i);
    atomic_store(&fn32c, kc->fn);
    atomic_store(&fn32, kafka__crc32_kernel(i));
}

/* The CRC-32C kernel: KAFKA_CRC32C_KERNEL names one (if this CPU runs it), else the
 * fastest variant of the best path, measured here once. */
static const kafka__crc_kernel_t *choose32c(void) {
    const char *want = getenv("KAFKA_CRC32C_KERNEL");
    size_t first = N_KERNELS, n = 0;
    for (size_t i = 0; i < N_KERNELS; i++) {
        if (want && strcmp(want, crc32c_kernels[i].name) == 0 && kafka__crc_impl_supported(crc32c_kernels[i].impl))
            return &crc32c_kernels[i];
        if (crc32c_kernels[i].impl == hw) {
            if (first == N_KERNELS)
                first = i;
            n++;
        }
    }
    return &crc32c_kernels[first + (n > 1 ? kafka__crc_tune(&crc32c_kernels[first], n) : 0)];
}

static void crc_init(void) {
    tables_init(&crc32c_sw, KAFKA__CRC32C_POLY);
    tables_init(&crc32_sw, KAFKA__CRC32_POLY);
    consts_init(&kafka__crc32c_k, KAFKA__CRC32C_POLY);
    consts_init(&kafka__crc32_k, KAFKA__CRC32_POLY);
    static const kafka_crc_impl_t best_first[] = {KAFKA_CRC_IMPL_VPCLMUL, KAFKA_CRC_IMPL_VPCLMUL256,
                                                  KAFKA_CRC_IMPL_SSE42};
    for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]) && hw == KAFKA_CRC_IMPL_PORTABLE; i++)
        if (kafka__crc_impl_supported(best_first[i]))
            hw = best_first[i];
    const char *env = getenv("KAFKA_CRC_PORTABLE");
    env_portable = env && strcmp(env, "1") == 0;
    hw32c = choose32c();
    set_impl(false);
}

/* The first call of either CRC lands here once; afterwards the pointer is the kernel. */
static uint32_t resolve32c(uint32_t crc, const uint8_t *p, size_t len) {
    pthread_once(&init_once, crc_init);
    return atomic_load(&fn32c)(crc, p, len);
}

static uint32_t resolve32(uint32_t crc, const uint8_t *p, size_t len) {
    pthread_once(&init_once, crc_init);
    return atomic_load(&fn32)(crc, p, len);
}

uint32_t kafka_crc32c(uint32_t crc, const void *buf, size_t len) {
    kafka__crc_fn f = atomic_load_explicit(&fn32c, memory_order_acquire);
    return ~f(~crc, buf, len);
}

uint32_t kafka_crc32(uint32_t crc, const void *buf, size_t len) {
    kafka__crc_fn f = atomic_load_explicit(&fn32, memory_order_acquire);
    return ~f(~crc, buf, len);
}

kafka_crc_impl_t kafka_crc32c_impl(void) {
    pthread_once(&init_once, crc_init);
    return atomic_load(&cur32c);
}

kafka_crc_impl_t kafka_crc32_impl(void) {
    pthread_once(&init_once, crc_init);
    return atomic_load(&cur32);
}

const char *kafka_crc32c_kernel_name(void) {
    pthread_once(&init_once, crc_init);
    return atomic_load(&cur32c_kernel)->name;
}

const char *kafka_crc_impl_name(kafka_crc_impl_t impl) {
    switch (impl) {
    case KAFKA_CRC_IMPL_PORTABLE: return "portable";
    case KAFKA_CRC_IMPL_SSE42: return "sse42";
    case KAFKA_CRC_IMPL_VPCLMUL: return "vpclmul";
    case KAFKA_CRC_IMPL_VPCLMUL256: return "vpclmul256";
    }
    return "unknown";
}

void kafka_crc_force_portable(bool on) {
    pthread_once(&init_once, crc_init);
    set_impl(on);
}
