/* batch.size above the broker's message.max.bytes (issue 11): on our mock with a small
 * broker limit, a producer with batch.size 1 MiB delivers every message exactly once and
 * in order (read back by our consumer at the offsets its reports gave), with and without
 * idempotence and with compression, the refused batches split and sent again; a record
 * that is itself too large fails alone, naming its size and the limits; batches sealed
 * within message.max.bytes are never refused. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "kafka/message.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"

#define PARTS 3


static kafka_producer_t *producer(const char *bootstrap, const char *const *kv, kafka_test_dr_t *s) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), KAFKA_OK);
    for (; kv && kv[0]; kv += 2)
        if (kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)) != KAFKA_OK) {
            fprintf(stderr, "%s\n", err);
            CU_FAIL("a test property was refused");
        }
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    if (!p)
        fprintf(stderr, "producer: %s\n", err);
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, s);
    return p;
}

/* Message i: "m-<i>|" then filler to 60..359 bytes: xorshift bytes (FILL_RANDOM:
 * incompressible), or random bytes whose second half repeats the first (FILL_HALF:
 * every codec halves it). */
enum { FILL_RANDOM, FILL_HALF };

static int make_value(char *buf, size_t i, int fill) {
    return kafka_test_filler(buf, "m-", i, 60 + (int)(i * 7919 % 300), fill == FILL_HALF);
}

/* Produces messages [0, n) to partition i % PARTS (big: the one index whose value is
 * big_len bytes instead). */
static void produce_all(kafka_producer_t *p, const char *topic, size_t n, int fill, size_t big, int big_len) {
    char *v = malloc((size_t)(big_len > 400 ? big_len : 400));
    for (size_t i = 0; i < n; i++) {
        int vl = make_value(v, i, fill);
        if (i == big) {
            memset(v + vl, 'z', (size_t)(big_len - vl));
            vl = big_len;
        }
        kafka_produce_msg_t m = {NULL, -1, v, vl, NULL, 0, 0};
        char err[256];
        kafka_err_t e = kafka_producer_produce(p, topic, (int32_t)(i % PARTS), &m, (void *)(intptr_t)(i + 1), err,
                                               sizeof(err));
        if (e) {
            fprintf(stderr, "produce %zu: %s\n", i, err);
            CU_FAIL("produce failed");
            break;
        }
    }
    free(v);
}

/* Reads every partition of topic from the beginning with our consumer and checks: each
 * message not in skip (failed ones) exactly once, in produce order per partition, at the
 * offset its report gave, its value intact. Returns the number of problems. */
static int read_back(kafka_mock_t *m, const char *topic, const kafka_test_dr_t *s, int fill) {
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    kafka_topic_partition_t tps[PARTS];
    for (int i = 0; i < PARTS; i++)
        tps[i] = (kafka_topic_partition_t){topic, i, KAFKA_OFFSET_BEGINNING};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, PARTS, err, sizeof(err)), KAFKA_OK);
    size_t want = 0;
    for (size_t i = 0; i < s->n; i++)
        want += s->err[i] == KAFKA_OK;
    unsigned char *seen = calloc(s->n, 1);
    long long last[PARTS] = {-1, -1, -1};
    size_t got = 0;
    int problems = 0;
    int64_t deadline = kafka_test_now_ms() + 20000;
    char *expect = malloc(1 << 20);
    while (got < want && kafka_test_now_ms() < deadline) {
        kafka_message_t *msgs[512];
        size_t n = 0;
        kafka_consumer_poll(c, 200, msgs, 512, &n, err, sizeof(err));
        for (size_t k = 0; k < n; k++) {
            int32_t len;
            const char *v = kafka_message_payload(msgs[k], &len);
            size_t i;
            int32_t part = kafka_message_partition(msgs[k]);
            if (!kafka_message_valid(msgs[k]) || !v || sscanf(v, "m-%zu|", &i) != 1 || i >= s->n ||
                part < 0 || part >= PARTS) {
                problems++;
            } else {
                int el = make_value(expect, i, fill);
                if (s->err[i] != KAFKA_OK || seen[i]++ || (long long)i <= last[part] ||
                    s->partition[i] != part || s->offset[i] != kafka_message_offset(msgs[k]) ||
                    el != len || memcmp(v, expect, (size_t)el) != 0)
                    problems++;
                last[part] = (long long)i;
            }
            got++;
            kafka_message_destroy(msgs[k]);
        }
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->err[i] == KAFKA_OK && !seen[i])
            problems++;
    if (problems || got != want)
        fprintf(stderr, "read back %zu of %zu messages, %d problems\n", got, want, problems);
    free(expect);
    free(seen);
    kafka_consumer_destroy(c);
    return problems + (got != want);
}

/* A 3-broker mock refusing batches over limit bytes, topic of PARTS partitions. */
static kafka_mock_t *mock_with_limit(const char *topic, size_t limit) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, topic, PARTS, 3), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_set_message_max_bytes(m, limit), KAFKA_OK);
    return m;
}

/* batch.size 1 MiB against a broker limit of 16 KiB: everything delivered once, in order. */
static void split_run(const char *idempotence, const char *codec, int fill) {
    const char *topic = "split";
    kafka_mock_t *m = mock_with_limit(topic, 16384);
    const size_t n = 20000;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    const char *kv[] = {"batch.size", "1048576", "linger.ms", "50", "enable.idempotence", idempotence,
                        "acks", strcmp(idempotence, "true") == 0 ? "all" : "1", "compression.type", codec,
                        "retry.backoff.ms", "10", "delivery.timeout.ms", "40000", NULL};
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv, &s);
    produce_all(p, topic, n, fill, SIZE_MAX, 0);
    char err[512];
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 30000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.dups), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    for (size_t i = 0; i < n && atomic_load(&s.failed); i++)
        if (s.err[i]) {
            fprintf(stderr, "first failure, message %zu: %s\n", i, s.why[i]);
            break;
        }
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    fprintf(stderr, "idempotence=%s codec=%s: %lld delivered, %lld failed, %lld retries (splits), %lld requests, "
            "%lld producer ids\n", idempotence, codec, (long long)st.delivered, (long long)st.failed,
            (long long)st.retries, (long long)st.requests, (long long)st.producer_ids);
    CU_ASSERT(st.retries > 0); /* the broker did refuse batches: they were split */
    if (strcmp(idempotence, "true") == 0)
        CU_ASSERT_EQUAL(st.producer_ids, 1); /* the split batches took the refused one's sequences */
    kafka_producer_destroy(p);
    int64_t total = 0;
    for (int i = 0; i < PARTS; i++) {
        int64_t ls, hw;
        kafka_mock_partition_offsets(m, topic, i, &ls, &hw);
        total += hw;
    }
    CU_ASSERT_EQUAL(total, (int64_t)n); /* nothing written twice */
    CU_ASSERT_EQUAL(read_back(m, topic, &s, fill), 0);
    kafka_test_dr_free(&s);
    kafka_mock_destroy(m);
}

static void test_split_idempotent(void) { split_run("true", "none", FILL_RANDOM); }
static void test_split_not_idempotent(void) { split_run("false", "none", FILL_RANDOM); }
static void test_split_lz4(void) { split_run("true", "lz4", FILL_HALF); }
static void test_split_zstd_incompressible(void) { split_run("false", "zstd", FILL_RANDOM); }

/* One record over the broker's limit (but within the producer's message.max.bytes):
 * that one fails with MESSAGE_TOO_LARGE naming its size and the limits, everything
 * before and after it in its partition is delivered in order, under one producer id. */
static void test_single_record_too_large(void) {
    const char *topic = "one";
    kafka_mock_t *m = mock_with_limit(topic, 4096);
    const size_t n = 3000, big = 1500;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    const char *kv[] = {"batch.size", "1048576", "linger.ms", "20", "retry.backoff.ms", "10",
                        "delivery.timeout.ms", "40000", NULL};
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv, &s);
    produce_all(p, topic, n, FILL_RANDOM, big, 10000);
    char err[512];
    kafka_producer_flush(p, 30000, err, sizeof(err));
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.dups), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 1);
    CU_ASSERT_EQUAL(s.err[big], KAFKA_ERR_MESSAGE_TOO_LARGE);
    fprintf(stderr, "the large record's report: %s\n", s.why[big]);
    CU_ASSERT(strstr(s.why[big], "MESSAGE_TOO_LARGE") != NULL);
    CU_ASSERT(strstr(s.why[big], "record of 100") != NULL); /* its size: 10000 + record framing */
    CU_ASSERT(strstr(s.why[big], "message.max.bytes") != NULL);
    CU_ASSERT(strstr(s.why[big], "4096") != NULL); /* the broker's limit, from its message */
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    CU_ASSERT_EQUAL(st.producer_ids, 1); /* its sequences went to the next batch: no gap */
    kafka_producer_destroy(p);
    CU_ASSERT_EQUAL(read_back(m, topic, &s, FILL_RANDOM), 0);
    kafka_test_dr_free(&s);
    kafka_mock_destroy(m);
}

/* The producer's own message.max.bytes caps batches: with the broker at the same
 * limit, batch.size 1 MiB gets nothing refused, compressed or not. */
static void test_client_cap(void) {
    static const char *const codecs[] = {"none", "lz4", "gzip"};
    static const int fills[] = {FILL_RANDOM, FILL_RANDOM, FILL_HALF}; /* lz4 of random bytes grows */
    for (int c = 0; c < 3; c++) {
        const char *topic = "cap";
        kafka_mock_t *m = mock_with_limit(topic, 20000);
        const size_t n = 10000;
        kafka_test_dr_t s;
        kafka_test_dr_init(&s, n);
        const char *kv[] = {"batch.size", "1048576", "message.max.bytes", "20000", "linger.ms", "50",
                            "compression.type", codecs[c], "delivery.timeout.ms", "40000", NULL};
        kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv, &s);
        produce_all(p, topic, n, fills[c], SIZE_MAX, 0);
        char err[512];
        CU_ASSERT_EQUAL(kafka_producer_flush(p, 30000, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
        CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
        kafka_producer_stats_t st;
        kafka_producer_stats(p, &st);
        fprintf(stderr, "message.max.bytes 20000, %s: %lld retries, %lld requests\n", codecs[c],
                (long long)st.retries, (long long)st.requests);
        CU_ASSERT_EQUAL(st.retries, 0); /* never refused */
        kafka_producer_destroy(p);
        CU_ASSERT_EQUAL(read_back(m, topic, &s, fills[c]), 0);
        kafka_test_dr_free(&s);
        kafka_mock_destroy(m);
    }
}

static CU_TestInfo tests[] = {
    {"batch.size over the broker's limit, idempotent: split, exactly once, in order", test_split_idempotent},
    {"batch.size over the broker's limit, acks=1 without idempotence", test_split_not_idempotent},
    {"batch.size over the broker's limit, lz4", test_split_lz4},
    {"batch.size over the broker's limit, zstd of incompressible values", test_split_zstd_incompressible},
    {"a single record over the broker's limit fails alone, naming its size", test_single_record_too_large},
    {"message.max.bytes caps sealed batches: nothing refused", test_client_cap},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("producer_msgsize", tests)
