/* CRC-32C and CRC-32/IEEE: the portable slicing-by-8 kernels, the constants every
 * kernel derives from the polynomial, and the one-time choice of implementation. */
#include "proto/crc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/protocol.h"

typedef uint32_t (*crc_fn)(uint32_t crc, const uint8_t *p, size_t len);

kafka__crc_consts_t kafka__crc32c_k;
kafka__crc_consts_t kafka__crc32_k;

static uint32_t crc32c_tab[8][256];
static uint32_t crc32_tab[8][256];

static void tables_init(uint32_t tab[8][256], uint32_t poly) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ ((c & 1) ? poly : 0);
        tab[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xff];
}

static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t slice8(uint32_t tab[8][256], uint32_t crc, const uint8_t *p, size_t len) {
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t lo = crc ^ le32(p), hi = le32(p + 4);
        crc = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^ tab[5][(lo >> 16) & 0xff] ^
              tab[4][lo >> 24] ^ tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
              tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
    }
    while (len--)
        crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
    return crc;
}

uint32_t kafka__crc32c_sw(uint32_t crc, const uint8_t *p, size_t len) {
    return slice8(crc32c_tab, crc, p, len);
}

uint32_t kafka__crc32_sw(uint32_t crc, const uint8_t *p, size_t len) {
    return slice8(crc32_tab, crc, p, len);
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
    for (unsigned i = 0; i < sizeof(c->pow256) / sizeof(c->pow256[0]); i++)
        c->pow256[i] = xpow(poly, ((uint64_t)256 << i) - 33);
    for (unsigned i = 0; i < 16; i++)
        for (unsigned j = 0; j < 4; j++)
            c->r512[i][j] = xpow(poly, 512 * (i + 1) * (j + 1) - 33);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool env_portable;
static kafka_crc_impl_t hw32c = KAFKA_CRC_IMPL_PORTABLE, hw32 = KAFKA_CRC_IMPL_PORTABLE;
static _Atomic kafka_crc_impl_t cur32c, cur32;
static uint32_t resolve32c(uint32_t crc, const uint8_t *p, size_t len);
static uint32_t resolve32(uint32_t crc, const uint8_t *p, size_t len);
static _Atomic(crc_fn) fn32c = resolve32c;
static _Atomic(crc_fn) fn32 = resolve32;

static crc_fn pick32c(kafka_crc_impl_t impl) {
#if defined(__x86_64__)
    if (impl == KAFKA_CRC_IMPL_VPCLMUL)
        return kafka__crc32c_vpclmul;
    if (impl == KAFKA_CRC_IMPL_VPCLMUL256)
        return kafka__crc32c_vpclmul256;
    if (impl == KAFKA_CRC_IMPL_SSE42)
        return kafka__crc32c_sse42;
#endif
    (void)impl;
    return kafka__crc32c_sw;
}

static crc_fn pick32(kafka_crc_impl_t impl) {
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

static void set_impl(bool portable) {
    portable = portable || env_portable;
    kafka_crc_impl_t c = portable ? KAFKA_CRC_IMPL_PORTABLE : hw32c;
    kafka_crc_impl_t i = portable ? KAFKA_CRC_IMPL_PORTABLE : hw32;
    atomic_store(&cur32c, c);
    atomic_store(&cur32, i);
    atomic_store(&fn32c, pick32c(c));
    atomic_store(&fn32, pick32(i));
}

static void crc_init(void) {
    tables_init(crc32c_tab, KAFKA__CRC32C_POLY);
    tables_init(crc32_tab, KAFKA__CRC32_POLY);
    consts_init(&kafka__crc32c_k, KAFKA__CRC32C_POLY);
    consts_init(&kafka__crc32_k, KAFKA__CRC32_POLY);
#if defined(__x86_64__)
    unsigned f = kafka__crc_cpu_features();
    if (f & KAFKA__CPU_VPCLMUL512)
        hw32c = hw32 = KAFKA_CRC_IMPL_VPCLMUL;
    else if (f & KAFKA__CPU_VPCLMUL256)
        hw32c = hw32 = KAFKA_CRC_IMPL_VPCLMUL256;
    else if (f & KAFKA__CPU_SSE42_PCLMUL)
        hw32c = hw32 = KAFKA_CRC_IMPL_SSE42;
#endif
    const char *env = getenv("KAFKA_CRC_PORTABLE");
    env_portable = env && strcmp(env, "1") == 0;
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
    crc_fn f = atomic_load_explicit(&fn32c, memory_order_acquire);
    return ~f(~crc, buf, len);
}

uint32_t kafka_crc32(uint32_t crc, const void *buf, size_t len) {
    crc_fn f = atomic_load_explicit(&fn32, memory_order_acquire);
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
