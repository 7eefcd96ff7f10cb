/* kafka_producer_send() (the origin's synchronous send) against librdkafka's mock
 * cluster (an independent broker) and ours: delivery, partitioning as librdkafka's
 * murmur2_random, faults retried exactly once, errors within their time bounds. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"

static kafka_producer_t *producer(const char *bootstrap, const char *const *kv) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), KAFKA_OK);
    for (; kv && kv[0]; kv += 2)
        if (kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)))
            fprintf(stderr, "%s\n", err);
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    if (!p)
        fprintf(stderr, "producer: %s\n", err);
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

/* Sends messages "m-<first>".."m-<first+n-1>" in one call. */
static kafka_err_t send_range(kafka_producer_t *p, const char *topic, int32_t partition, int first, int n,
                              int64_t *offset) {
    kafka_produce_msg_t msgs[64];
    char vals[64][16];
    for (int i = 0; i < n; i++) {
        int vl = snprintf(vals[i], sizeof(vals[i]), "m-%d", first + i);
        msgs[i] = (kafka_produce_msg_t){NULL, -1, vals[i], vl, NULL, 0, 0};
    }
    char err[512];
    kafka_err_t e = kafka_producer_send(p, topic, partition, msgs, (size_t)n, NULL, offset, err, sizeof(err));
    if (e)
        fprintf(stderr, "send: %s\n", err);
    return e;
}

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

/* Reads a partition from the beginning with a librdkafka consumer; returns how many
 * messages it saw and checks values "m-<i>" in order. */
static int consume_count(const char *bootstrap, const char *topic, int32_t partition, int expect) {
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
    rd_kafka_conf_set(c, "group.id", "send-test", err, sizeof(err));
    rd_kafka_conf_set(c, "enable.partition.eof", "true", err, sizeof(err));
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    int got = 0;
    int64_t deadline = kafka_test_now_ms() + 10000;
    while (kafka_test_now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && got >= expect) {
            rd_kafka_message_destroy(m);
            break;
        }
        if (!m->err) {
            char want[32];
            int wl = snprintf(want, sizeof(want), "m-%d", got);
            CU_ASSERT(m->len == (size_t)wl && memcmp(m->payload, want, (size_t)wl) == 0);
            CU_ASSERT_EQUAL(m->offset, got);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got;
}

static void test_send_and_read_back(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "sync", 4, 3);
    kafka_producer_t *p = producer(bs, NULL);
    int64_t off;
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(send_range(p, "sync", 2, i * 5, 5, &off), KAFKA_OK);
        CU_ASSERT_EQUAL(off, i * 5);
    }
    CU_ASSERT_EQUAL(consume_count(bs, "sync", 2, 50), 50);
    kafka_producer_destroy(p);
    stop_rdkafka_mock();
}

/* Keys land where librdkafka's murmur2_random (Java's murmur2) puts them. */
static void test_partitioner_matches_librdkafka(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "keys", 7, 1);
    kafka_producer_t *p = producer(bs, NULL);
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "keys", NULL);
    for (int i = 0; i < 40; i++) {
        char key[32];
        int kl = snprintf(key, sizeof(key), "user-%d", i * 7919);
        kafka_produce_msg_t m = {key, kl, "v", 1, NULL, 0, 0};
        int32_t part = -1;
        CU_ASSERT_EQUAL(kafka_producer_send(p, "keys", KAFKA_PARTITION_ANY, &m, 1, &part, NULL, NULL, 0), KAFKA_OK);
        CU_ASSERT_EQUAL(part, rd_kafka_msg_partitioner_murmur2_random(rkt, key, (size_t)kl, 7, NULL, NULL));
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    kafka_producer_destroy(p);
    stop_rdkafka_mock();
}

/* Injected NOT_LEADER / LEADER_NOT_AVAILABLE / REQUEST_TIMED_OUT and a leader move: the
 * send succeeds, and every message is there exactly once. */
static void test_faults_retried_exactly_once(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "faulty", 2, 3);
    const char *kv[] = {"retry.backoff.ms", "20", NULL};
    kafka_producer_t *p = producer(bs, kv);
    int64_t off;
    CU_ASSERT_EQUAL(send_range(p, "faulty", 0, 0, 10, &off), KAFKA_OK);
    rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    CU_ASSERT_EQUAL(send_range(p, "faulty", 0, 10, 10, &off), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 10);
    rd_kafka_mock_partition_set_leader(mc, "faulty", 0, 3);
    CU_ASSERT_EQUAL(send_range(p, "faulty", 0, 20, 10, &off), KAFKA_OK);
    rd_kafka_mock_partition_set_leader(mc, "faulty", 0, 2);
    CU_ASSERT_EQUAL(send_range(p, "faulty", 0, 30, 10, &off), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 30);
    CU_ASSERT_EQUAL(consume_count(bs, "faulty", 0, 40), 40);
    kafka_producer_destroy(p);
    stop_rdkafka_mock();
}

static void test_errors_and_bounds(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "small", 1, 1);
    const char *kv[] = {"message.max.bytes", "1000", "delivery.timeout.ms", "1500", "request.timeout.ms", "1000",
                        "linger.ms", "0", NULL};
    kafka_producer_t *p = producer(bs, kv);
    char big[2000];
    memset(big, 'x', sizeof(big));
    kafka_produce_msg_t m = {NULL, -1, big, (int32_t)sizeof(big), NULL, 0, 0};
    char err[512];
    CU_ASSERT_EQUAL(kafka_producer_send(p, "small", 0, &m, 1, NULL, NULL, err, sizeof(err)), KAFKA_ERR__MSG_TOO_LARGE);
    CU_ASSERT(strstr(err, "message.max.bytes 1000") != NULL);
    CU_ASSERT_EQUAL(kafka_producer_last_errorcode(p), KAFKA_ERR__MSG_TOO_LARGE);
    m.value_len = 10;
    CU_ASSERT_EQUAL(kafka_producer_send(p, "small", 5, &m, 1, NULL, NULL, err, sizeof(err)),
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT(strstr(err, "partitions 0..0") != NULL);
    /* Bad arguments: the same code as the consumer's (producer.h). */
    CU_ASSERT_EQUAL(kafka_producer_send(p, NULL, 0, &m, 1, NULL, NULL, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_producer_send(p, "small", 0, &m, 0, NULL, NULL, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_producer_send(p, "small", -2, &m, 1, NULL, NULL, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "", 0, &m, NULL, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "small", 0, NULL, NULL, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_producer_last_errorcode(p), KAFKA_ERR__INVALID_ARG);
    /* A non-retriable broker error comes back at once. */
    rd_kafka_mock_push_request_errors(mc, 0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    CU_ASSERT_EQUAL(kafka_producer_send(p, "small", 0, &m, 1, NULL, NULL, err, sizeof(err)),
                    KAFKA_ERR_MESSAGE_TOO_LARGE);
    CU_ASSERT(strstr(err, "MESSAGE_TOO_LARGE") != NULL);
    /* Retriable errors forever: TIMED_OUT after delivery.timeout.ms, naming the cause. */
    rd_kafka_resp_err_t errs[200];
    for (int i = 0; i < 200; i++)
        errs[i] = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS;
    rd_kafka_mock_push_request_errors_array(mc, 0, 200, errs);
    int64_t t0 = kafka_test_now_ms();
    kafka_err_t e = kafka_producer_send(p, "small", 0, &m, 1, NULL, NULL, err, sizeof(err));
    if (e != KAFKA_ERR__TIMED_OUT)
        fprintf(stderr, "expected a timeout, got %s: %s\n", kafka_err_name(e), err);
    CU_ASSERT_EQUAL(e, KAFKA_ERR__TIMED_OUT);
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 1400 && took < 4000);
    CU_ASSERT(strstr(err, "NOT_ENOUGH_REPLICAS") != NULL);
    kafka_producer_destroy(p);
    stop_rdkafka_mock();
}
#endif

/* Our own mock: unreachable bootstrap, unknown topic, a dropped response retried without
 * a duplicate (idempotence), and a Kafka 0.8 broker (MessageSet v0). */
static void test_against_our_mock(void) {
    /* Unreachable: a port bound by nobody that listens (kafka_test_dead_port). */
    kafka_mock_conf_t mconf;
    kafka_mock_conf_init(&mconf);
    mconf.brokers = 1;
    kafka_mock_t *m;
    char bs[128];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", kafka_test_dead_port());
    const char *kv[] = {"delivery.timeout.ms", "800", "request.timeout.ms", "500", "linger.ms", "0",
                        "retry.backoff.ms", "50", NULL};
    kafka_producer_t *p = producer(bs, kv);
    kafka_produce_msg_t msg = {NULL, -1, "m-0", 3, NULL, 0, 0};
    char err[512];
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_producer_send(p, "t", 0, &msg, 1, NULL, NULL, err, sizeof(err)), KAFKA_ERR__NO_KNOWN_BROKERS);
    CU_ASSERT(kafka_test_now_ms() - t0 < 3000);
    CU_ASSERT(strstr(err, "refused") != NULL);
    kafka_producer_destroy(p);

    /* Unknown topic with auto-creation off. */
    mconf.brokers = 3;
    mconf.auto_create = false;
    m = kafka_mock_new(&mconf, NULL, 0);
    p = producer(kafka_mock_bootstrap(m), kv);
    CU_ASSERT_EQUAL(kafka_producer_send(p, "missing", 0, &msg, 1, NULL, NULL, err, sizeof(err)), KAFKA_ERR__TIMED_OUT);
    CU_ASSERT(strstr(err, "UNKNOWN_TOPIC_OR_PARTITION") != NULL);
    /* A response cut in half: retried; the broker sees the same sequence and keeps one copy. */
    kafka_mock_topic_create(m, "idem", 1, 3);
    int64_t off;
    CU_ASSERT_EQUAL(send_range(p, "idem", 0, 0, 5, &off), KAFKA_OK);
    kafka_mock_drop_next_response(m, KAFKA_API_PRODUCE, -1);
    CU_ASSERT_EQUAL(send_range(p, "idem", 0, 5, 5, &off), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 5);
    int64_t ls, hw;
    kafka_mock_partition_offsets(m, "idem", 0, &ls, &hw);
    CU_ASSERT_EQUAL(hw, 10);
    kafka_producer_destroy(p);
    kafka_mock_destroy(m);

    /* Kafka 0.8: the producer falls back to Produce v0 / MessageSet v0, gzip too. */
    mconf.brokers = 1;
    mconf.auto_create = true;
    mconf.legacy = true;
    m = kafka_mock_new(&mconf, NULL, 0);
    const char *kv2[] = {"compression.type", "gzip", NULL};
    p = producer(kafka_mock_bootstrap(m), kv2);
    CU_ASSERT_EQUAL(send_range(p, "old", 0, 0, 5, &off), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 0);
    CU_ASSERT_EQUAL(send_range(p, "old", 0, 5, 5, &off), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 5);
    kafka_producer_destroy(p);
    kafka_mock_destroy(m);
}


/* Several application threads share one producer: every message lands once, each
 * thread's in order (run under ThreadSanitizer by scripts/test.sh). */
typedef struct sender_s {
    kafka_producer_t *p;
    int id;
    int failures;
} sender_t;

static void *sender(void *arg) {
    sender_t *s = arg;
    for (int i = 0; i < 50; i++) {
        char v[32];
        int vl = snprintf(v, sizeof(v), "%d-%d", s->id, i);
        kafka_produce_msg_t m = {NULL, -1, v, vl, NULL, 0, 0};
        if (kafka_producer_send(s->p, "shared", s->id % 2, &m, 1, NULL, NULL, NULL, 0) != KAFKA_OK)
            s->failures++;
    }
    return NULL;
}

static void test_threads_share_a_producer(void) {
    kafka_mock_conf_t mconf;
    kafka_mock_conf_init(&mconf);
    kafka_mock_t *m = kafka_mock_new(&mconf, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    kafka_mock_topic_create(m, "shared", 2, 3);
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), NULL);
    pthread_t th[4];
    sender_t ss[4];
    for (int t = 0; t < 4; t++) {
        ss[t] = (sender_t){p, t, 0};
        pthread_create(&th[t], NULL, sender, &ss[t]);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CU_ASSERT_EQUAL(ss[t].failures, 0);
    }
    int64_t hw0, hw1, ls;
    kafka_mock_partition_offsets(m, "shared", 0, &ls, &hw0);
    kafka_mock_partition_offsets(m, "shared", 1, &ls, &hw1);
    CU_ASSERT_EQUAL(hw0, 100);
    CU_ASSERT_EQUAL(hw1, 100);
    kafka_producer_destroy(p);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
#ifdef KAFKA_HAVE_RDKAFKA
    {"send and read back with librdkafka", test_send_and_read_back},
    {"KAFKA_PARTITION_ANY matches librdkafka's murmur2_random", test_partitioner_matches_librdkafka},
    {"faults and leader moves retried, exactly once", test_faults_retried_exactly_once},
    {"errors: too large, bad partition, non-retriable, delivery timeout", test_errors_and_bounds},
#endif
    {"our mock: unreachable, unknown topic, dropped response, Kafka 0.8", test_against_our_mock},
    {"threads share a producer", test_threads_share_a_producer},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("producer_send", tests)
