/* The consumer against our mock cluster (modern protocol): ListOffsets by time, leader
 * moves, injected Fetch/ListOffsets errors, a response cut in half, a broker going
 * down, retention moving the log start (OFFSET_OUT_OF_RANGE -> auto.offset.reset), an
 * unknown topic and an unreachable cluster, and threads sharing one consumer. The data
 * is written by a librdkafka producer (an independent client). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "testutil.h"

/* Reads topic/partition from offset until want messages came; each must be "m-<i>" at
 * offset i. Returns how many came. */
static int read_values(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t offset, int want) {
    int got = 0;
    for (int round = 0; round < 100 && got < want; round++) {
        kafka_message_t **msgs;
        size_t n;
        char err[512];
        kafka_err_t e = kafka_consumer_fetch(c, topic, partition, offset, 0, &msgs, &n, err, sizeof(err));
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        if (e) {
            fprintf(stderr, "fetch %s/%d at %lld: %s\n", topic, (int)partition, (long long)offset, err);
            return got;
        }
        for (size_t j = 0; j < n; j++, got++) {
            char v[32];
            int vl = snprintf(v, sizeof(v), "m-%lld", (long long)(offset + (int64_t)j));
            int32_t len;
            const void *p = kafka_message_payload(msgs[j], &len);
            CU_ASSERT_EQUAL(kafka_message_offset(msgs[j]), offset + (int64_t)j);
            CU_ASSERT(len == vl && memcmp(p, v, (size_t)vl) == 0);
            CU_ASSERT_EQUAL(kafka_message_partition(msgs[j]), partition);
        }
        if (n)
            offset = kafka_message_next_offset(msgs[n - 1]);
        kafka_messages_destroy(msgs, n);
    }
    return got;
}

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

static rd_kafka_t *rd_producer(const char *bootstrap) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[] = {"bootstrap.servers", bootstrap, "linger.ms", "5", "log_level", "2",
                        "compression.codec", "lz4",     NULL};
    for (const char *const *p = kv; *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    return rk;
}

/* Writes "m-<i>" for i in [first, first + n) to topic/partition with timestamp ts + i,
 * and waits: one flush, so normally one batch. */
static void produce(rd_kafka_t *rk, const char *topic, int32_t partition, int first, int n, int64_t ts) {
    for (int i = first; i < first + n; i++) {
        char v[32];
        int vl = snprintf(v, sizeof(v), "m-%d", i);
        CU_ASSERT_EQUAL(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(v, (size_t)vl),
                                          RD_KAFKA_V_TIMESTAMP(ts + i), RD_KAFKA_V_END),
                        RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    CU_ASSERT_EQUAL(rd_kafka_flush(rk, 15000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

#define T0 1650000000000LL

/* ListOffsets v1+ by timestamp: the first offset whose timestamp is at or after the
 * time. Our mock answers at batch granularity, so each message is its own batch here. */
static void test_offsets_by_time(void) {
    kafka_mock_t *m = kafka_test_mock(3, true);
    kafka_mock_topic_create(m, "times", 2, 3);
    rd_kafka_t *rk = rd_producer(kafka_mock_bootstrap(m));
    for (int i = 0; i < 5; i++)
        produce(rk, "times", 1, i, 1, T0 + 999 * i); /* offset i at T0 + 1000 i */
    rd_kafka_destroy(rk);
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    struct {
        int64_t time;
        size_t n;
        int64_t offset;
    } cases[] = {{0, 1, 0},
                 {T0, 1, 0},
                 {T0 + 1, 1, 1},
                 {T0 + 1000, 1, 1},
                 {T0 + 3500, 1, 4},
                 {T0 + 4000, 1, 4},
                 {T0 + 4001, 0, -1},
                 {KAFKA_OFFSET_EARLIEST, 1, 0},
                 {KAFKA_OFFSET_LATEST, 1, 5}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t *offs;
        size_t n;
        char err[512];
        CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "times", 1, cases[i].time, 100, &offs, &n, err, sizeof(err)),
                        KAFKA_OK);
        CU_ASSERT_EQUAL(n, cases[i].n);
        if (n && cases[i].n)
            CU_ASSERT_EQUAL(offs[0], cases[i].offset);
        free(offs);
    }
    /* The message timestamps are what the producer gave. */
    CU_ASSERT_EQUAL(read_values(c, "times", 1, 2, 3), 3);
    kafka_message_t **msgs;
    size_t n;
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "times", 1, 2, 0, &msgs, &n, NULL, 0), KAFKA_OK);
    CU_ASSERT(n >= 1);
    for (size_t j = 0; j < n; j++) {
        kafka_timestamp_type_t tt;
        CU_ASSERT_EQUAL(kafka_message_timestamp(msgs[j], &tt), T0 + 1000 * (2 + (int64_t)j));
        CU_ASSERT_EQUAL(tt, KAFKA_TIMESTAMP_CREATE_TIME);
    }
    kafka_messages_destroy(msgs, n);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Leader moves, injected errors, a cut response and a broker going down: every fetch
 * still returns the partition's messages, once and in order. */
static void test_faults(void) {
    kafka_mock_t *m = kafka_test_mock(3, true);
    kafka_mock_topic_create(m, "moving", 3, 3);
    rd_kafka_t *rk = rd_producer(kafka_mock_bootstrap(m));
    for (int p = 0; p < 3; p++)
        produce(rk, "moving", p, 0, 30, T0);
    rd_kafka_destroy(rk);
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    CU_ASSERT_EQUAL(read_values(c, "moving", 0, 0, 30), 30);
    for (int leader = 1; leader <= 3; leader++) {
        CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "moving", 0, leader), KAFKA_OK);
        CU_ASSERT_EQUAL(read_values(c, "moving", 0, leader * 5, 30 - leader * 5), 30 - leader * 5);
    }
    kafka_err_t errs[] = {KAFKA_ERR_NOT_LEADER_OR_FOLLOWER, KAFKA_ERR_LEADER_NOT_AVAILABLE,
                          KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, KAFKA_ERR_FENCED_LEADER_EPOCH};
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_FETCH, -1, 2, errs[i]), KAFKA_OK);
        CU_ASSERT_EQUAL(read_values(c, "moving", 1, 10, 20), 20);
    }
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_LIST_OFFSETS, -1, 2, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER),
                    KAFKA_OK);
    int64_t *offs;
    size_t n;
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "moving", 2, KAFKA_OFFSET_LATEST, 1, &offs, &n, NULL, 0), KAFKA_OK);
    CU_ASSERT(n == 1 && offs[0] == 30);
    free(offs);
    /* A cut response (on the leader only: -1 would arm every broker). */
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "moving", 2, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_drop_next_response(m, KAFKA_API_FETCH, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(read_values(c, "moving", 2, 0, 30), 30);
    /* Partition 2's leader goes down: its partitions move to the other brokers. */
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "moving", 2, 3), KAFKA_OK);
    CU_ASSERT_EQUAL(read_values(c, "moving", 2, 25, 5), 5);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, 3, true), KAFKA_OK);
    CU_ASSERT_EQUAL(read_values(c, "moving", 2, 0, 30), 30);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, 3, false), KAFKA_OK);
    /* Not retriable: returned at once, named. */
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_FETCH, -1, 1, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED), KAFKA_OK);
    kafka_message_t **msgs;
    char err[512];
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "moving", 0, 0, 0, &msgs, &n, err, sizeof(err)),
                    KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
    CU_ASSERT(strstr(err, "TOPIC_AUTHORIZATION_FAILED") != NULL && strstr(err, "moving/0") != NULL &&
              strstr(err, "broker") != NULL);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Retention moves the log start past the offset asked for: auto.offset.reset=earliest
 * fetches from the new log start; error says where the log is. An injected
 * OFFSET_OUT_OF_RANGE is reset the same way. */
static void test_retention_reset(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    kafka_mock_topic_create(m, "short", 1, 1);
    CU_ASSERT_EQUAL(kafka_mock_set_retention(m, 600), KAFKA_OK);
    rd_kafka_t *rk = rd_producer(kafka_mock_bootstrap(m));
    for (int i = 0; i < 10; i++)
        produce(rk, "short", 0, i * 5, 5, T0);
    rd_kafka_destroy(rk);
    int64_t start, hw;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "short", 0, &start, &hw), KAFKA_OK);
    CU_ASSERT(start > 0 && hw == 50);
    const char *earliest[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), earliest);
    kafka_message_t **msgs;
    size_t n;
    char err[512];
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "short", 0, 0, 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(n >= 1);
    if (n)
        CU_ASSERT_EQUAL(kafka_message_offset(msgs[0]), start);
    kafka_messages_destroy(msgs, n);
    CU_ASSERT_EQUAL(read_values(c, "short", 0, start, (int)(hw - start)), (int)(hw - start));
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_FETCH, -1, 1, KAFKA_ERR_OFFSET_OUT_OF_RANGE), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "short", 0, 48, 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(n >= 1);
    if (n)
        CU_ASSERT_EQUAL(kafka_message_offset(msgs[0]), start);
    kafka_messages_destroy(msgs, n);
    kafka_consumer_destroy(c);

    const char *error[] = {"auto.offset.reset", "error", NULL};
    c = kafka_test_consumer(kafka_mock_bootstrap(m), error);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "short", 0, 0, 0, &msgs, &n, err, sizeof(err)),
                    KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    char want[64];
    snprintf(want, sizeof(want), "log start %lld, high watermark 50", (long long)start);
    if (!strstr(err, want))
        fprintf(stderr, "out of range: %s\n", err);
    CU_ASSERT(strstr(err, want) != NULL && strstr(err, "offset 0") != NULL);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Threads share one consumer, each reading its own partition over and over. */
typedef struct reader_s {
    kafka_consumer_t *c;
    int32_t partition;
    int rounds_ok;
} reader_t;

static void *reader(void *arg) {
    reader_t *r = arg;
    for (int round = 0; round < 10; round++)
        if (read_values(r->c, "shared", r->partition, round, 40 - round) == 40 - round)
            r->rounds_ok++;
    return NULL;
}

static void test_threads(void) {
    kafka_mock_t *m = kafka_test_mock(2, true);
    kafka_mock_topic_create(m, "shared", 4, 2);
    rd_kafka_t *rk = rd_producer(kafka_mock_bootstrap(m));
    for (int p = 0; p < 4; p++)
        produce(rk, "shared", p, 0, 40, T0);
    rd_kafka_destroy(rk);
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    pthread_t th[4];
    reader_t rs[4];
    for (int t = 0; t < 4; t++) {
        rs[t] = (reader_t){c, t, 0};
        pthread_create(&th[t], NULL, reader, &rs[t]);
    }
    /* Meanwhile a leader moves. */
    kafka_mock_partition_set_leader(m, "shared", 1, 2);
    kafka_mock_partition_set_leader(m, "shared", 2, 1);
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CU_ASSERT_EQUAL(rs[t].rounds_ok, 10);
        CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "shared", t), 40);
    }
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}
#endif

/* An unknown topic (no auto-creation) and a cluster nobody answers for. */
static void test_unknown_and_unreachable(void) {
    kafka_mock_t *m = kafka_test_mock(1, false);
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    kafka_message_t **msgs;
    size_t n;
    char err[512];
    kafka_err_t e = kafka_consumer_fetch(c, "nope", 0, 0, 0, &msgs, &n, err, sizeof(err));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT(strstr(err, "nope") != NULL);
    int64_t *offs;
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "nope", 0, KAFKA_OFFSET_LATEST, 1, &offs, &n, err, sizeof(err)),
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kafka_consumer_destroy(c);
    char bs[64];
    kafka_mock_destroy(m);
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", kafka_test_dead_port());
    const char *kv[] = {"request.timeout.ms", "800", NULL};
    c = kafka_test_consumer(bs, kv);
    int64_t t0 = kafka_test_now_ms();
    e = kafka_consumer_fetch(c, "t", 0, 0, 0, &msgs, &n, err, sizeof(err));
    CU_ASSERT(e == KAFKA_ERR__NO_KNOWN_BROKERS || e == KAFKA_ERR__TIMED_OUT);
    CU_ASSERT(kafka_test_now_ms() - t0 < 4000);
    CU_ASSERT(strstr(err, "refused") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_last_errorcode(c), e);
    kafka_consumer_destroy(c);
}

static CU_TestInfo tests[] = {
#ifdef KAFKA_HAVE_RDKAFKA
    {"ListOffsets by time, earliest, latest", test_offsets_by_time},
    {"leader moves, injected errors, a cut response, a broker down", test_faults},
    {"retention: OFFSET_OUT_OF_RANGE reset to earliest, or the error", test_retention_reset},
    {"threads share a consumer", test_threads},
#endif
    {"unknown topic, unreachable cluster", test_unknown_and_unreachable},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_mock", tests)
