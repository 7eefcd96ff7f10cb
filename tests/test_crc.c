/* CRC-32C and CRC-32/IEEE: every dispatch path against a bitwise reference (and zlib
 * for CRC-32) over all short lengths, large and odd sizes, misaligned starts and every
 * chaining split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kafka/protocol.h"
#include "proto/crc.h"
#include "testutil.h"

/* The definition, one bit at a time: no tables, no shared code with the library. */
static uint32_t ref_crc(uint32_t poly, uint32_t crc, const uint8_t *p, size_t len) {
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (poly & (0u - (crc & 1)));
    }
    return ~crc;
}

static uint32_t ref32c(uint32_t crc, const uint8_t *p, size_t len) {
    return ref_crc(0x82F63B78u, crc, p, len);
}

static uint32_t ref32(uint32_t crc, const uint8_t *p, size_t len) {
    return ref_crc(0xEDB88320u, crc, p, len);
}

static uint8_t *random_buf(size_t len, uint32_t seed) {
    uint8_t *b = malloc(len ? len : 1);
    uint64_t s = 0x9E3779B97F4A7C15ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        b[i] = (uint8_t)(s >> 24);
    }
    return b;
}

/* Every kernel this CPU can run, called directly, so a machine with AVX-512 still
 * checks the SSE4.2 paths. The kernels take the raw register: invert around them. */
typedef uint32_t (*kernel_fn)(uint32_t crc, const uint8_t *p, size_t len);
typedef struct {
    const char *name;
    kernel_fn c, ieee;
} kernel_t;

static size_t kernels(kernel_t *out) {
    size_t n = 0, nc;
    (void)kafka_crc32c_impl(); /* initializes the tables and constants */
    const kafka__crc_kernel_t *k = kafka__crc32c_kernels(&nc);
    for (size_t i = 0; i < nc; i++)
        if (kafka__crc_impl_supported(k[i].impl))
            out[n++] = (kernel_t){k[i].name, k[i].fn, kafka__crc32_kernel(k[i].impl)};
    return n;
}

static uint32_t run(kernel_fn f, uint32_t crc, const uint8_t *p, size_t len) {
    return ~f(~crc, p, len);
}

/* Runs fn once with the hardware path (if any) and once forced portable. */
static void both_paths(void (*fn)(void)) {
    kafka_crc_force_portable(false);
    fn();
    kafka_crc_force_portable(true);
    fn();
    kafka_crc_force_portable(false);
}

static void check_values_once(void) {
    const char *s = "123456789";
    CU_ASSERT_EQUAL(kafka_crc32c(0, s, 9), 0xE3069283u);
    CU_ASSERT_EQUAL(kafka_crc32(0, s, 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(kafka_crc32c(0, NULL, 0), 0);
    CU_ASSERT_EQUAL(kafka_crc32(0x12345678u, NULL, 0), 0x12345678u);
    uint8_t zeros[32] = {0}; /* RFC 3720 B.4 iSCSI test vector */
    CU_ASSERT_EQUAL(kafka_crc32c(0, zeros, sizeof(zeros)), 0x8A9136AAu);
}

static void test_check_values(void) {
    both_paths(check_values_once);
}

/* Every length 0..2048 at every start offset 0..7, then large and odd sizes. */
static void test_lengths(void) {
    kernel_t ks[16];
    size_t nk = kernels(ks);
    const size_t max = 2048 + 8;
    uint8_t *buf = random_buf(max, 1);
    for (size_t k = 0; k < nk; k++) {
        int bad = 0;
        for (size_t off = 0; off < 8; off++) {
            for (size_t len = 0; len + off <= max && len <= 2048; len++) {
                const uint8_t *p = buf + off;
                uint32_t seed = (uint32_t)(len * 2654435761u);
                bad += run(ks[k].c, seed, p, len) != ref32c(seed, p, len);
                bad += run(ks[k].ieee, seed, p, len) != ref32(seed, p, len);
            }
        }
        for (size_t len = 2049; len <= 40000; len += 97) /* the hybrid path's splits */
            for (size_t off = 0; off < 2; off++) {
                uint8_t *b = random_buf(len + 1, (uint32_t)len);
                bad += run(ks[k].c, 5, b + off, len) != ref32c(5, b + off, len);
                bad += run(ks[k].ieee, 5, b + off, len) != ref32(5, b + off, len);
                free(b);
            }
        if (bad)
            printf("\n  %s: %d mismatches ", ks[k].name, bad);
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(buf);

    static const size_t big[] = {4095, 4096, 4097, 3 * 1024 - 1, 3 * 1024 * 3 + 17, 65536 + 255,
                                 1 << 20, (1 << 20) + 13, 3000003};
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        uint8_t *b = random_buf(big[i] + 3, (uint32_t)i + 7);
        for (size_t off = 0; off < 4; off += 3) {
            uint32_t want_c = ref32c(0, b + off, big[i]), want = ref32(0, b + off, big[i]);
            for (size_t k = 0; k < nk; k++) {
                CU_ASSERT_EQUAL(run(ks[k].c, 0, b + off, big[i]), want_c);
                CU_ASSERT_EQUAL(run(ks[k].ieee, 0, b + off, big[i]), want);
            }
            CU_ASSERT_EQUAL(kafka_crc32c(0, b + off, big[i]), want_c);
            CU_ASSERT_EQUAL(kafka_crc32(0, b + off, big[i]), want);
        }
        free(b);
    }
}

static uint64_t next_rand(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* The hybrids take whole rounds of 256 + 4 * S bytes (S = 16, 32, 64: 320, 384 and 512),
 * the AVX2 ones from 2 rounds up (a copy of their own for 2), the AVX-512 ones from
 * 2 KiB; stream shifts come from a table up to 64 x 16 bytes a stream and are computed
 * beyond. These lengths land on each side of those edges, with every kind of remainder. */
static void test_rounds(void) {
    kernel_t ks[16];
    size_t nk = kernels(ks);
    static const size_t round[] = {320, 384, 512};
    static const size_t rounds[] = {1, 2, 3, 5, 6, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 600};
    static const size_t rest[] = {0, 1, 8, 31, 32, 255, 256, 257, 511};
    uint8_t *b = random_buf(600 * 512 + 512 + 8, 11);
    int bad = 0;
    for (size_t r = 0; r < sizeof(round) / sizeof(round[0]); r++)
        for (size_t i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++)
            for (size_t j = 0; j < sizeof(rest) / sizeof(rest[0]); j++) {
                size_t len = round[r] * rounds[i] + rest[j], off = (i + j) % 8;
                uint32_t seed = (uint32_t)(len * 2654435761u);
                uint32_t want_c = ref32c(seed, b + off, len), want = ref32(seed, b + off, len);
                for (size_t k = 0; k < nk; k++) {
                    int miss = run(ks[k].c, seed, b + off, len) != want_c;
                    if (miss && bad < 5)
                        printf("\n  %s: crc32c wrong at len %zu ", ks[k].name, len);
                    bad += miss;
                    bad += run(ks[k].ieee, seed, b + off, len) != want;
                }
            }
    CU_ASSERT_EQUAL(bad, 0);
    free(b);
}

/* Random lengths up to 300 KiB at random offsets; then chaining, crc(a||b) ==
 * crc(crc(a), b), with a and b split at random and hashed by different kernels. */
static void test_random_large(void) {
    kernel_t ks[16];
    size_t nk = kernels(ks);
    const size_t max = 300 * 1024;
    uint8_t *b = random_buf(max + 32, 13);
    uint64_t s = 0x2545F4914F6CDD1Dull;
    int bad = 0;
    for (int i = 0; i < 24; i++) {
        size_t len = next_rand(&s) % (max + 1), off = next_rand(&s) % 32;
        uint32_t seed = (uint32_t)next_rand(&s);
        uint32_t want_c = ref32c(seed, b + off, len), want = ref32(seed, b + off, len);
        for (size_t k = 0; k < nk; k++) {
            bad += run(ks[k].c, seed, b + off, len) != want_c;
            bad += run(ks[k].ieee, seed, b + off, len) != want;
        }
        size_t cut = len ? next_rand(&s) % len : 0;
        for (size_t k = 0; k < nk; k++) {
            const kernel_t *x = &ks[k], *y = &ks[(k + i) % nk];
            bad += run(y->c, run(x->c, seed, b + off, cut), b + off + cut, len - cut) != want_c;
            bad += run(y->ieee, run(x->ieee, seed, b + off, cut), b + off + cut, len - cut) != want;
        }
    }
    if (bad)
        printf("\n  %d mismatches ", bad);
    CU_ASSERT_EQUAL(bad, 0);
    free(b);
}

/* The public entry points, whichever kernel they dispatch to, agree with zlib. */
static void zlib_once(void) {
    const size_t max = 4096 + 8;
    uint8_t *buf = random_buf(max, 5);
    int bad = 0;
    for (size_t off = 0; off < 8; off += 5)
        for (size_t len = 0; len <= 4096; len++)
            bad += kafka_crc32((uint32_t)len, buf + off, len) != (uint32_t)crc32((uLong)len, buf + off, (uInt)len);
    CU_ASSERT_EQUAL(bad, 0);
    free(buf);
}

static void test_zlib(void) {
    both_paths(zlib_once);
}

static void chaining_once(void) {
    uint8_t *b = random_buf(300, 3);
    uint32_t whole_c = ref32c(0, b, 300), whole = ref32(0, b, 300);
    int bad = 0;
    for (size_t i = 0; i <= 300; i++) {
        bad += kafka_crc32c(kafka_crc32c(0, b, i), b + i, 300 - i) != whole_c;
        bad += kafka_crc32(kafka_crc32(0, b, i), b + i, 300 - i) != whole;
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(b);
}

static void test_chaining(void) {
    both_paths(chaining_once);
}

/* All-ones and all-zeros data stress the carry-less products' extreme bit patterns. */
static void patterns_once(void) {
    static uint8_t b[4096 + 64];
    for (int fill = 0; fill < 2; fill++) {
        memset(b, fill ? 0xff : 0, sizeof(b));
        for (size_t len = 1; len <= sizeof(b); len = len * 3 + 1) {
            CU_ASSERT_EQUAL(kafka_crc32c(0xffffffffu, b, len), ref32c(0xffffffffu, b, len));
            CU_ASSERT_EQUAL(kafka_crc32(0xffffffffu, b, len), ref32(0xffffffffu, b, len));
        }
    }
}

static void test_patterns(void) {
    both_paths(patterns_once);
}

static void test_force_portable(void) {
    kafka_crc_force_portable(true);
    CU_ASSERT_EQUAL(kafka_crc32c_impl(), KAFKA_CRC_IMPL_PORTABLE);
    CU_ASSERT_EQUAL(kafka_crc32_impl(), KAFKA_CRC_IMPL_PORTABLE);
    uint8_t *b = random_buf(100000, 9);
    uint32_t pc = kafka_crc32c(0, b, 100000), p = kafka_crc32(0, b, 100000);
    kafka_crc_force_portable(false);
    CU_ASSERT_EQUAL(kafka_crc32c(0, b, 100000), pc);
    CU_ASSERT_EQUAL(kafka_crc32(0, b, 100000), p);
    free(b);
    CU_ASSERT_STRING_EQUAL(kafka_crc_impl_name(KAFKA_CRC_IMPL_PORTABLE), "portable");
    CU_ASSERT_STRING_EQUAL(kafka_crc_impl_name(KAFKA_CRC_IMPL_SSE42), "sse42");
    CU_ASSERT_STRING_EQUAL(kafka_crc_impl_name(KAFKA_CRC_IMPL_VPCLMUL), "vpclmul");
}

/* The dispatcher must use what the CPU offers (unless KAFKA_CRC_PORTABLE=1 is set). */
static void test_impl_matches_cpu(void) {
    kafka_crc_force_portable(false);
    kafka_crc_impl_t want = KAFKA_CRC_IMPL_PORTABLE;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul"))
        want = KAFKA_CRC_IMPL_SSE42;
    if (want && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq"))
        want = KAFKA_CRC_IMPL_VPCLMUL256;
    if (want && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq"))
        want = KAFKA_CRC_IMPL_VPCLMUL;
#endif
    const char *env = getenv("KAFKA_CRC_PORTABLE");
    if (env && strcmp(env, "1") == 0)
        want = KAFKA_CRC_IMPL_PORTABLE;
    printf("\n  crc32c impl: %s, crc32 impl: %s ", kafka_crc_impl_name(kafka_crc32c_impl()),
           kafka_crc_impl_name(kafka_crc32_impl()));
    CU_ASSERT_EQUAL(kafka_crc32c_impl(), want);
    CU_ASSERT_EQUAL(kafka_crc32_impl(), want);
    /* The CRC-32C kernel is one of that path's. */
    const char *kn = kafka_crc32c_kernel_name(), *path = kafka_crc_impl_name(want);
    printf("crc32c kernel: %s ", kn);
    CU_ASSERT(strncmp(kn, path, strlen(path)) == 0 && (kn[strlen(path)] == 0 || kn[strlen(path)] == '/'));
}

/* The tuning takes the clearly fastest kernel wherever it stands in the list: the
 * slicing kernel against a hardware one is 10x or more apart on any CPU with one. */
static void test_tune_picks_fastest(void) {
    size_t nc;
    const kafka__crc_kernel_t *all = kafka__crc32c_kernels(&nc), *hw = NULL;
    for (size_t i = 0; i < nc; i++)
        if (all[i].impl != KAFKA_CRC_IMPL_PORTABLE && kafka__crc_impl_supported(all[i].impl))
            hw = &all[i];
    if (!hw) {
        printf("\n  no hardware CRC-32C path on this CPU: nothing to tell apart ");
        return;
    }
    kafka__crc_kernel_t slow_first[2] = {all[0], *hw}, fast_first[2] = {*hw, all[0]};
    CU_ASSERT_EQUAL(kafka__crc_tune(slow_first, 2), 1);
    CU_ASSERT_EQUAL(kafka__crc_tune(fast_first, 2), 0);
}

static CU_TestInfo tests[] = {
    {"check values", test_check_values},
    {"every kernel: lengths 0..2048, large, misaligned", test_lengths},
    {"every kernel: hybrid rounds and remainders", test_rounds},
    {"every kernel: random lengths to 300 KiB, chained across kernels", test_random_large},
    {"crc32 equals zlib", test_zlib},
    {"chaining at every split", test_chaining},
    {"all-zero and all-one data", test_patterns},
    {"force portable", test_force_portable},
    {"impl matches cpu", test_impl_matches_cpu},
    {"tuning picks the fastest kernel", test_tune_picks_fastest},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("crc", tests)
