/* The producer's partitioners: murmur2 against the Java client's published vectors,
 * every keyed kind against librdkafka's own partitioner functions over random keys and
 * partition counts, and KIP-480 stickiness of unkeyed records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/conf.h"
#include "producer/partitioner.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>
#endif

/* The test's own generator (splitmix64), so keys do not come from the code under test. */
static uint64_t test_rng = 42;
static uint64_t test_next(void) {
    uint64_t z = (test_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Expected values of Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/
 * kafka/common/utils/UtilsTest.java), i.e. what Utils.murmur2 returns in Java, then
 * those of librdkafka's unittest_murmur2() (src/rdmurmur2.c), which it checked against
 * Java's output; the latter cover every tail length (4, 3, 2, 1, 0 bytes). */
static void test_java_vectors(void) {
    static const struct {
        const char *key;
        uint32_t hash; /* Java's int, as the same 32 bits */
    } cases[] = {
        {"21", (uint32_t)-973932308},
        {"foobar", (uint32_t)-790332482},
        {"a-little-bit-long-string", (uint32_t)-985981536},
        {"a-little-bit-longer-string", (uint32_t)-1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", (uint32_t)-58897971},
        {"abc", (uint32_t)479470107},
        {"kafka", 0xd067cf64u},
        {"giberish123456789", 0x8f552b0cu},
        {"1234", 0x9fc97b14u},
        {"234", 0xe7c009cau},
        {"34", 0x873930dau},
        {"4", 0x5a4b5ca1u},
        {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1cu},
        {"", 0x106e08d9u},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t h = kafka__murmur2(cases[i].key, strlen(cases[i].key));
        if (h != cases[i].hash)
            printf("\n  murmur2(\"%s\") = 0x%08x, expected 0x%08x ", cases[i].key, h, cases[i].hash);
        CU_ASSERT_EQUAL(h, cases[i].hash);
    }
    CU_ASSERT_EQUAL(kafka__murmur2(NULL, 0), 0x106e08d9u);

    /* toPositive drops the sign bit, it does not negate: -790332482 & 0x7fffffff =
     * 1357151166, which is 16 mod 50 and 6 mod 10. */
    CU_ASSERT_EQUAL(kafka__partition_murmur2("foobar", 6, 50), 16);
    CU_ASSERT_EQUAL(kafka__partition_murmur2("foobar", 6, 10), 6);
    CU_ASSERT_EQUAL(kafka__partition_murmur2("foobar", 6, 1), 0);
}

/* The hash reads the key byte by byte: the same bytes at every alignment hash alike. */
static void test_alignment(void) {
    uint8_t buf[80];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)test_next();
    for (size_t len = 0; len <= 64; len++) {
        uint32_t want = kafka__murmur2(buf, len);
        for (size_t off = 1; off < 8; off++) {
            uint8_t copy[80];
            memcpy(copy + off, buf, len);
            CU_ASSERT_EQUAL(kafka__murmur2(copy + off, len), want);
        }
    }
}

/* 20,000 distinct keys over 16 partitions: each gets its share (1250) within 15%. */
static void test_spread(void) {
    enum { NKEYS = 20000, NPART = 16 };
    int count[NPART] = {0};
    for (int i = 0; i < NKEYS; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "key-%d", i);
        int32_t part = kafka__partition_murmur2(key, (size_t)n, NPART);
        CU_ASSERT_FATAL(part >= 0 && part < NPART);
        count[part]++;
    }
    for (int i = 0; i < NPART; i++) {
        CU_ASSERT(count[i] > NKEYS / NPART * 85 / 100);
        CU_ASSERT(count[i] < NKEYS / NPART * 115 / 100);
    }
}

/* Keyed kinds are pure functions of the key: the state and the seed do not matter. */
static void test_keyed_kinds(void) {
    kafka__partitioner_t a, b;
    kafka__partitioner_init(&a, 1);
    kafka__partitioner_init(&b, 2);
    for (int i = 0; i < 1000; i++) {
        uint8_t key[16];
        for (size_t j = 0; j < sizeof(key); j++)
            key[j] = (uint8_t)test_next();
        int32_t len = (int32_t)(test_next() % 17), cnt = (int32_t)(1 + test_next() % 100);
        int32_t want = kafka__partition_murmur2(key, (size_t)len, cnt);
        CU_ASSERT_EQUAL(kafka__partitioner_choose(&a, KAFKA_PARTITIONER_MURMUR2_RANDOM, key, len, cnt), want);
        CU_ASSERT_EQUAL(kafka__partitioner_choose(&b, KAFKA_PARTITIONER_MURMUR2_RANDOM, key, len, cnt), want);
        CU_ASSERT_EQUAL(kafka__partitioner_choose(&a, KAFKA_PARTITIONER_MURMUR2, key, len, cnt), want);
        if (len > 0)
            CU_ASSERT_EQUAL(kafka__partitioner_choose(&a, KAFKA_PARTITIONER_CONSISTENT_RANDOM, key, len, cnt),
                            kafka__partitioner_choose(&b, KAFKA_PARTITIONER_CONSISTENT_RANDOM, key, len, cnt));
    }
    /* murmur2 hashes a null key as an empty one (librdkafka's murmur2 partitioner). */
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&a, KAFKA_PARTITIONER_MURMUR2, NULL, -1, 64),
                    (int32_t)(0x106e08d9u % 64));
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&a, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, 0, 64),
                    (int32_t)(0x106e08d9u % 64));
}

/* librdkafka 2.0.2's partitioner functions: murmur2 and consistent only hash the key,
 * the topic handle is for the random fallbacks we never reach here. */
static void test_vs_librdkafka(void) {
#ifdef KAFKA_HAVE_RDKAFKA
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "partitioner", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rkt);

    kafka__partitioner_t p;
    kafka__partitioner_init(&p, 7);
    long mismatches = 0, compared = 0;
    uint8_t buf[64 + 8];
    for (int i = 0; i < 10000; i++) {
        size_t len = (size_t)(test_next() % 65), off = (size_t)(test_next() % 8);
        uint8_t *key = buf + off; /* misaligned too: librdkafka has an unaligned path */
        for (size_t j = 0; j < len; j++)
            key[j] = (uint8_t)test_next(); /* every byte value, high bytes included */
        for (int32_t cnt = 1; cnt <= 64; cnt++) {
            int32_t ours = kafka__partition_murmur2(key, len, cnt);
            int32_t theirs = rd_kafka_msg_partitioner_murmur2(rkt, key, len, cnt, NULL, NULL);
            int32_t choose = kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, key, (int32_t)len, cnt);
            int32_t theirs_r = rd_kafka_msg_partitioner_murmur2_random(rkt, key, len, cnt, NULL, NULL);
            mismatches += ours != theirs || choose != theirs_r;
            if (len > 0) {
                ours = kafka__partitioner_choose(&p, KAFKA_PARTITIONER_CONSISTENT_RANDOM, key, (int32_t)len, cnt);
                theirs = rd_kafka_msg_partitioner_consistent(rkt, key, len, cnt, NULL, NULL);
                int32_t theirs_cr = rd_kafka_msg_partitioner_consistent_random(rkt, key, len, cnt, NULL, NULL);
                mismatches += ours != theirs || ours != theirs_cr;
            }
            compared++;
        }
    }
    /* A null key: librdkafka's murmur2 partitioner hashes it as empty, as ours does. */
    for (int32_t cnt = 1; cnt <= 64; cnt++)
        mismatches += kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2, NULL, -1, cnt) !=
                      rd_kafka_msg_partitioner_murmur2(rkt, NULL, 0, cnt, NULL, NULL);
    printf("\n  %ld key/count pairs, %ld mismatches ", compared, mismatches);
    CU_ASSERT_EQUAL(mismatches, 0);

    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
#else
    printf("\n  librdkafka not found: skipped ");
#endif
}

static const int null_key_kinds[] = {KAFKA_PARTITIONER_MURMUR2_RANDOM, KAFKA_PARTITIONER_CONSISTENT_RANDOM,
                                     KAFKA_PARTITIONER_RANDOM};

/* Unkeyed records stay on one partition, whatever keyed records do meanwhile, until
 * that partition's batch is sealed; then they move to a different one. */
static void test_sticky(void) {
    for (size_t k = 0; k < sizeof(null_key_kinds) / sizeof(null_key_kinds[0]); k++) {
        int kind = null_key_kinds[k];
        kafka__partitioner_t p;
        kafka__partitioner_init(&p, 1000 + k);
        int32_t first = kafka__partitioner_choose(&p, kind, NULL, -1, 12);
        CU_ASSERT_FATAL(first >= 0 && first < 12);
        for (int i = 0; i < 1000; i++) {
            uint8_t key[4] = {(uint8_t)i, (uint8_t)(i >> 8), 0xff, 0x80};
            int32_t keyed = kafka__partitioner_choose(&p, kind, key, (int32_t)(i % 5), 12);
            CU_ASSERT(keyed >= 0 && keyed < 12);
            CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, kind, NULL, -1, 12), first);
        }
        /* Another partition's batch sealed: no move. */
        kafka__partitioner_batch_sealed(&p, (first + 1) % 12);
        kafka__partitioner_batch_sealed(&p, -1);
        CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, kind, NULL, -1, 12), first);

        kafka__partitioner_batch_sealed(&p, first);
        int32_t second = kafka__partitioner_choose(&p, kind, NULL, -1, 12);
        CU_ASSERT(second >= 0 && second < 12);
        CU_ASSERT_NOT_EQUAL(second, first);
        for (int i = 0; i < 100; i++)
            CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, kind, NULL, -1, 12), second);
        /* A second seal of the old partition is stale: no move. */
        kafka__partitioner_batch_sealed(&p, first);
        CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, kind, NULL, -1, 12), second);
    }
}

/* Over many seals every partition is used, about equally, never twice in a row. */
static void test_sticky_rotation(void) {
    for (int32_t cnt = 2; cnt <= 64; cnt++) {
        kafka__partitioner_t p;
        kafka__partitioner_init(&p, (uint64_t)cnt);
        int count[64] = {0};
        int seals = 400 * cnt;
        int32_t prev = -1;
        for (int i = 0; i < seals; i++) {
            int32_t part = kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, cnt);
            CU_ASSERT_FATAL(part >= 0 && part < cnt);
            CU_ASSERT_NOT_EQUAL(part, prev);
            count[part]++;
            prev = part;
            kafka__partitioner_batch_sealed(&p, part);
        }
        int lo = seals, hi = 0;
        for (int32_t i = 0; i < cnt; i++) {
            lo = count[i] < lo ? count[i] : lo;
            hi = count[i] > hi ? count[i] : hi;
        }
        /* Expected 400 each; 400 +- 25% is over 5 standard deviations. */
        if (lo < 300 || hi > 500)
            printf("\n  %d partitions: counts %d..%d ", cnt, lo, hi);
        CU_ASSERT(lo >= 300 && hi <= 500);
    }
}

/* One partition: sealing cannot move anywhere. A shrunk count re-chooses in range. */
static void test_sticky_edges(void) {
    kafka__partitioner_t p;
    kafka__partitioner_init(&p, 5);
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 1), 0);
        kafka__partitioner_batch_sealed(&p, 0);
    }

    int32_t part = -1;
    for (uint64_t seed = 0; part < 8; seed++) {
        kafka__partitioner_init(&p, seed);
        part = kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 16);
    }
    int32_t shrunk = kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 8);
    CU_ASSERT(shrunk >= 0 && shrunk < 8);
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 8), shrunk);
    /* Growing keeps the sticky partition: it is still valid. */
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 32), shrunk);

    /* No partitions known yet, or an unknown kind: -1, and the state is untouched. */
    kafka__partitioner_t before = p;
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 0), -1);
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, KAFKA_PARTITIONER_RANDOM, "k", 1, -3), -1);
    CU_ASSERT_EQUAL(kafka__partitioner_choose(&p, 99, "k", 1, 8), -1);
    CU_ASSERT_EQUAL(memcmp(&before, &p, sizeof(p)), 0);
}

/* The random choices come from the seed alone: equal seeds, equal sequences. */
static void test_seeded(void) {
    kafka__partitioner_t a, b, c;
    kafka__partitioner_init(&a, 12345);
    kafka__partitioner_init(&b, 12345);
    kafka__partitioner_init(&c, 12346);
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        int32_t pa = kafka__partitioner_choose(&a, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 1000);
        int32_t pb = kafka__partitioner_choose(&b, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 1000);
        int32_t pc = kafka__partitioner_choose(&c, KAFKA_PARTITIONER_MURMUR2_RANDOM, NULL, -1, 1000);
        CU_ASSERT_EQUAL(pa, pb);
        differ += pa != pc;
        kafka__partitioner_batch_sealed(&a, pa);
        kafka__partitioner_batch_sealed(&b, pb);
        kafka__partitioner_batch_sealed(&c, pc);
    }
    CU_ASSERT(differ > 190);
    /* Seed 0 works too (xorshift must not start from a zero state). */
    kafka__partitioner_init(&a, 0);
    int32_t prev = kafka__partitioner_choose(&a, KAFKA_PARTITIONER_RANDOM, "k", 1, 1000);
    int moved = 0;
    for (int i = 0; i < 100; i++) {
        int32_t part = kafka__partitioner_choose(&a, KAFKA_PARTITIONER_RANDOM, "k", 1, 1000);
        moved += part != prev;
        prev = part;
    }
    CU_ASSERT(moved > 90);
}

/* Per-record random placement (keyed records of `random`, empty keys of
 * consistent_random, as librdkafka): every partition, about equally. */
static void test_random(void) {
    static const struct {
        int kind;
        const char *key;
        int32_t keylen;
    } cases[] = {
        {KAFKA_PARTITIONER_RANDOM, "key", 3},
        {KAFKA_PARTITIONER_RANDOM, "", 0},
        {KAFKA_PARTITIONER_CONSISTENT_RANDOM, "", 0},
        {KAFKA_PARTITIONER_CONSISTENT_RANDOM, NULL, 0},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        kafka__partitioner_t p;
        kafka__partitioner_init(&p, 77 + k);
        enum { NPART = 10, N = 20000 };
        int count[NPART] = {0};
        for (int i = 0; i < N; i++) {
            int32_t part = kafka__partitioner_choose(&p, cases[k].kind, cases[k].key, cases[k].keylen, NPART);
            CU_ASSERT_FATAL(part >= 0 && part < NPART);
            count[part]++;
        }
        for (int i = 0; i < NPART; i++)
            CU_ASSERT(count[i] > N / NPART * 90 / 100 && count[i] < N / NPART * 110 / 100);
    }
}

static CU_TestInfo tests[] = {
    {"murmur2: Java's UtilsTest vectors", test_java_vectors},
    {"murmur2: any alignment", test_alignment},
    {"murmur2: keys spread over partitions", test_spread},
    {"keyed kinds do not depend on state", test_keyed_kinds},
    {"10,000 random keys x 64 counts equal librdkafka", test_vs_librdkafka},
    {"null keys stick until their batch is sealed", test_sticky},
    {"sticky rotation uses every partition", test_sticky_rotation},
    {"one partition, shrinking counts, bad input", test_sticky_edges},
    {"random choices follow the seed", test_seeded},
    {"per-record random is uniform", test_random},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("partitioner", tests)
