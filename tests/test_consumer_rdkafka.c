/* kafka_consumer_fetch() / kafka_consumer_offsets() against librdkafka's mock cluster
 * (an independent broker, in-process on 127.0.0.1), reading what a librdkafka producer
 * wrote: every codec, keys, headers, null and empty values, 200 KiB values, several
 * partitions, exactly and in order; trimming of a batch fetched from its middle;
 * earliest/latest offsets; a message above max_bytes on Fetch v3+; OFFSET_OUT_OF_RANGE
 * under each auto.offset.reset; injected errors and leader moves retried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA

#include "rdk_data.h"

/* Fetches partition p from offset 0 until `expect` messages came (messages i with
 * i % nparts == p, in order); returns how many did. */
static int read_partition(kafka_consumer_t *c, const char *topic, int nparts, int p, int total, int32_t max_bytes) {
    int64_t offset = 0;
    int got = 0, expect = 0;
    for (int i = p; i < total; i += nparts)
        expect++;
    for (int round = 0; round < 200 && got < expect; round++) {
        kafka_message_t **msgs;
        size_t n;
        char err[512];
        kafka_err_t e = kafka_consumer_fetch(c, topic, p, offset, max_bytes, &msgs, &n, err, sizeof(err));
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        if (e) {
            fprintf(stderr, "fetch %s/%d at %lld: %s\n", topic, p, (long long)offset, err);
            break;
        }
        for (size_t j = 0; j < n && got < expect; j++, got++) {
            check_message(msgs[j], topic, p, p + got * nparts, offset + (int64_t)j);
            CU_ASSERT_EQUAL(kafka_message_high_watermark(msgs[j]), expect);
        }
        if (n) {
            offset = kafka_message_next_offset(msgs[n - 1]);
            CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, topic, p), offset);
        }
        kafka_messages_destroy(msgs, n);
    }
    return got;
}

/* ---- tests ---- */

static void test_every_codec(void) {
    const char *bs = start_rdkafka_mock(3);
    const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "codec-%s", codecs[k]);
        rd_kafka_mock_topic_create(mc, topic, 3, 2);
        rd_kafka_t *rk = rd_producer(bs, codecs[k], "20");
        rdk_produce(rk, topic, 3, 0, 30);
        rdk_produce(rk, topic, 3, 30, 30); /* a second round: several batches per partition */
        rd_kafka_destroy(rk);
        for (int p = 0; p < 3; p++)
            CU_ASSERT_EQUAL(read_partition(c, topic, 3, p, 60, 0), 20);
    }
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* One batch of 10, fetched from its middle: the broker sends the whole batch, the
 * records before the offset are dropped. */
static void test_mid_batch(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "trim", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "lz4", "200");
    rdk_produce(rk, "trim", 1, 0, 10);
    rd_kafka_destroy(rk);
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    /* librdkafka's mock answers a Fetch with the one batch holding the offset. */
    int64_t starts[] = {4, 9, 0};
    for (size_t s = 0; s < 3; s++) {
        kafka_message_t **msgs;
        size_t n;
        char err[512];
        CU_ASSERT_EQUAL_FATAL(kafka_consumer_fetch(c, "trim", 0, starts[s], 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT(n >= 1 && n <= (size_t)(10 - starts[s]));
        for (size_t j = 0; j < n; j++)
            check_message(msgs[j], "trim", 0, (int)(starts[s] + (int64_t)j), starts[s] + (int64_t)j);
        if (n)
            CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "trim", 0), starts[s] + (int64_t)n);
        kafka_messages_destroy(msgs, n);
    }
    CU_ASSERT_EQUAL(read_partition(c, "trim", 1, 0, 10, 0), 10);
    /* EARLIEST and LATEST as fetch offsets. */
    kafka_message_t **msgs;
    size_t n;
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "trim", 0, KAFKA_OFFSET_EARLIEST, 0, &msgs, &n, NULL, 0), KAFKA_OK);
    CU_ASSERT(n >= 1);
    if (n)
        CU_ASSERT_EQUAL(kafka_message_offset(msgs[0]), 0);
    kafka_messages_destroy(msgs, n);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "trim", 0, KAFKA_OFFSET_LATEST, 0, &msgs, &n, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(msgs);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "trim", 0), 10);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

static void test_offsets(void) {
    const char *bs = start_rdkafka_mock(2);
    rd_kafka_mock_topic_create(mc, "offs", 2, 2);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, "offs", 2, 0, 14); /* 7 per partition */
    rd_kafka_destroy(rk);
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    int64_t *offs;
    size_t n;
    char err[512];
    for (int p = 0; p < 2; p++) {
        kafka_err_t e = kafka_consumer_offsets(c, "offs", p, KAFKA_OFFSET_EARLIEST, 0, &offs, &n, err, sizeof(err));
        if (e)
            fprintf(stderr, "offsets: %s\n", err);
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        CU_ASSERT(n == 1 && offs[0] == 0);
        free(offs);
        CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "offs", p, KAFKA_OFFSET_LATEST, 10, &offs, &n, err, sizeof(err)),
                        KAFKA_OK);
        CU_ASSERT(n == 1 && offs[0] == 7);
        free(offs);
    }
    /* Bad arguments and a partition the topic lacks. */
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "offs", 0, -5, 0, &offs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "time") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_last_errorcode(c), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "offs", 0, -1, -1, &offs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, NULL, 0, -1, 1, &offs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "offs", 5, KAFKA_OFFSET_LATEST, 1, &offs, &n, err, sizeof(err)),
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT(strstr(err, "partitions 0..1") != NULL);
    CU_ASSERT(kafka_test_now_ms() - t0 < 4000); /* confirmed by fresh metadata, not retried to the deadline */
    char last[512];
    CU_ASSERT_EQUAL(kafka_consumer_last_error(c, last, sizeof(last)), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_STRING_EQUAL(last, err);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* Fetch v3+ (here v11): the broker sends the first message whole even above max_bytes
 * (KIP-74), and it is returned. */
static void test_above_max_bytes_v3(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "big", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "0");
    rdk_produce(rk, "big", 1, 3, 1); /* message 3: 200 KiB */
    rdk_produce(rk, "big", 1, 4, 1);
    rd_kafka_destroy(rk);
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    kafka_message_t **msgs;
    size_t n;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_fetch(c, "big", 0, 0, 1000, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    check_message(msgs[0], "big", 0, 3, 0);
    kafka_messages_destroy(msgs, n);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* OFFSET_OUT_OF_RANGE under each auto.offset.reset. */
static void test_out_of_range(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "oor", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "gzip", "5");
    rdk_produce(rk, "oor", 1, 0, 5);
    rd_kafka_destroy(rk);
    kafka_message_t **msgs;
    size_t n;
    char err[512];

    const char *earliest[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, earliest);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "oor", 0, 1000, 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(n >= 1 && n <= 5);
    for (size_t j = 0; j < n; j++)
        check_message(msgs[j], "oor", 0, (int)j, (int64_t)j);
    kafka_messages_destroy(msgs, n);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "oor", 0), (int64_t)n);
    kafka_consumer_destroy(c);

    const char *latest[] = {"auto.offset.reset", "latest", NULL};
    c = kafka_test_consumer(bs, latest);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "oor", 0, 1000, 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "oor", 0), 5);
    kafka_consumer_destroy(c);

    const char *error[] = {"auto.offset.reset", "error", NULL};
    c = kafka_test_consumer(bs, error);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "oor", 0, 1000, 0, &msgs, &n, err, sizeof(err)),
                    KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    CU_ASSERT(strstr(err, "offset 1000") != NULL && strstr(err, "oor/0") != NULL &&
              strstr(err, "auto.offset.reset=error") != NULL && strstr(err, "high watermark 5") != NULL);
    CU_ASSERT_PTR_NULL(msgs);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(kafka_consumer_last_errorcode(c), KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "oor", 0), -1);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* Leader errors and leader moves are retried with fresh metadata; a non-retriable error
 * comes back at once; endless retriable ones end at request.timeout.ms, naming the cause. */
static void test_faults(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "faulty", 2, 3);
    rd_kafka_t *rk = rd_producer(bs, "snappy", "5");
    rdk_produce(rk, "faulty", 2, 0, 20);
    rd_kafka_destroy(rk);
    const char *kv[] = {"request.timeout.ms", "1500", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_message_t **msgs;
    size_t n;
    char err[512];
    rd_kafka_mock_push_request_errors(mc, 1 /* Fetch */, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    CU_ASSERT_EQUAL(read_partition(c, "faulty", 2, 0, 20, 0), 10);
    rd_kafka_mock_push_request_errors(mc, 2 /* ListOffsets */, 2, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    int64_t *offs;
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "faulty", 1, KAFKA_OFFSET_LATEST, 1, &offs, &n, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT(n == 1 && offs[0] == 10);
    free(offs);
    /* The leader moves between fetches, twice. */
    for (int leader = 3; leader >= 2; leader--) {
        rd_kafka_mock_partition_set_leader(mc, "faulty", 1, leader);
        CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "faulty", 1, 3, 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT(n >= 1 && n <= 7);
        for (size_t j = 0; j < n; j++)
            check_message(msgs[j], "faulty", 1, 1 + (3 + (int)j) * 2, 3 + (int64_t)j);
        kafka_messages_destroy(msgs, n);
    }
    /* Not retriable: at once. */
    rd_kafka_mock_push_request_errors(mc, 1, 1, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "faulty", 0, 0, 0, &msgs, &n, err, sizeof(err)),
                    KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
    CU_ASSERT(strstr(err, "TOPIC_AUTHORIZATION_FAILED") != NULL && strstr(err, "faulty/0") != NULL);
    /* Retriable forever: a timeout after request.timeout.ms with the cause. */
    rd_kafka_resp_err_t errs[100];
    for (int i = 0; i < 100; i++)
        errs[i] = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
    rd_kafka_mock_push_request_errors_array(mc, 1, 100, errs);
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "faulty", 0, 0, 0, &msgs, &n, err, sizeof(err)), KAFKA_ERR__TIMED_OUT);
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 1000 && took < 5000);
    CU_ASSERT(strstr(err, "NOT_LEADER_OR_FOLLOWER") != NULL && strstr(err, "faulty/0") != NULL);
    rd_kafka_mock_clear_request_errors(mc, 1);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}
#endif

static void test_bad_arguments(void) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    /* Nothing listens there; argument checks come before any I/O. */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof(err)), KAFKA_OK);
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_message_t **msgs;
    size_t n;
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "t", -1, 0, 0, &msgs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "partition") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "t", 0, -3, 0, &msgs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "offset") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "t", 0, 0, -1, &msgs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "max_bytes") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "", 0, 0, 0, &msgs, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "t", 0, 0, 0, NULL, &n, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "t", 0), -1);
    kafka_consumer_destroy(c);
    /* No bootstrap.servers: refused by name. */
    conf = kafka_conf_new();
    CU_ASSERT_PTR_NULL(kafka_consumer_new(conf, err, sizeof(err)));
    CU_ASSERT(strstr(err, "bootstrap.servers") != NULL);
    kafka_conf_destroy(conf);
}

static CU_TestInfo tests[] = {
#ifdef KAFKA_HAVE_RDKAFKA
    {"every codec, keys, headers, null/empty/200 KiB values, 3 partitions", test_every_codec},
    {"a batch fetched from its middle is trimmed; EARLIEST/LATEST offsets", test_mid_batch},
    {"offsets: earliest, latest, bad arguments, unknown partition", test_offsets},
    {"Fetch v3+: a message above max_bytes comes whole", test_above_max_bytes_v3},
    {"OFFSET_OUT_OF_RANGE with auto.offset.reset earliest, latest, error", test_out_of_range},
    {"injected errors, leader moves, non-retriable errors, timeouts", test_faults},
#endif
    {"bad arguments and configuration", test_bad_arguments},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_rdkafka", tests)
