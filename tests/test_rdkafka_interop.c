/* Batches we encode, in Produce requests we encode, sent over a plain socket to
 * librdkafka's mock cluster (an independent broker implementation, in-process on
 * 127.0.0.1): accepted, and read back intact by a librdkafka consumer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/protocol.h"
#include "util/arena.h"
#include "util/buf.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

#define NRECORDS 50

static const char *bootstrap; /* the mock's, from start_rdkafka_mock() */

static int connect_broker(void) { return kafka_test_connect(atoi(strrchr(bootstrap, ':') + 1)); }

static int value_of(int i, char *buf) { return snprintf(buf, 64, "interop-value-%04d", i); }

/* Produces NRECORDS records to `topic` with our batch encoder and Produce encoder. */
static void produce_ours(int fd, const char *topic, kafka_compression_t codec, int16_t version, int32_t corr) {
    kafka_batch_t *b = kafka_batch_new(0);
    for (int i = 0; i < NRECORDS; i++) {
        char key[32], val[64];
        int kl = snprintf(key, sizeof(key), "key-%d", i);
        int vl = value_of(i, val);
        kafka_header_t h = {kafka_str("idx"), {(const uint8_t *)key + 4, kl - 4}};
        CU_ASSERT_EQUAL(kafka_batch_append(b, 1700000000000 + i, key, kl, val, vl, &h, 1), KAFKA_OK);
    }
    const uint8_t *data;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, codec, -1, &data, &len, NULL, 0), KAFKA_OK);

    kafka_produce_request_t req;
    kafka_request_init(KAFKA_API_PRODUCE, &req);
    kafka_produce_request_partition_produce_data_t pd = {0, {data, (int32_t)len}};
    kafka_produce_request_topic_produce_data_t td = {kafka_str(topic), {&pd, 1}};
    req.acks = -1;
    req.timeout_ms = 5000;
    req.topic_data.items = &td;
    req.topic_data.count = 1;
    kafka_request_header_t hdr = {KAFKA_API_PRODUCE, version, corr, kafka_str("libkafka-test")};
    kafka_buf_t out = KAFKA_BUF_INIT;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_request_encode(&out, &hdr, &req, err, sizeof(err)), KAFKA_OK);
    size_t rlen = 0;
    uint8_t *resp = kafka_test_roundtrip(fd, out.data, out.len, &rlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_produce_response_t pr;
    int32_t rcorr;
    CU_ASSERT_EQUAL(kafka_response_decode(resp, rlen, KAFKA_API_PRODUCE, version, &a, &rcorr, &pr, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(rcorr, corr);
    CU_ASSERT_EQUAL_FATAL(pr.responses.count, 1);
    CU_ASSERT_EQUAL_FATAL(pr.responses.items[0].partition_responses.count, 1);
    kafka_produce_response_partition_produce_response_t *pp = &pr.responses.items[0].partition_responses.items[0];
    if (pp->error_code)
        fprintf(stderr, "%s: produce error %d\n", topic, pp->error_code);
    CU_ASSERT_EQUAL(pp->error_code, 0);
    CU_ASSERT_EQUAL(pp->base_offset, 0);
    kafka__arena_free(&a);
    free(resp);
    kafka__buf_free(&out);
    kafka_batch_destroy(b);
}

/* A librdkafka consumer reads the topic back: every record, in order, intact. */
static void consume_with_rdkafka(const char *topic) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", "interop", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "check.crcs", "true", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    CU_ASSERT_EQUAL(rd_kafka_assign(c, tp), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(tp);
    int got = 0;
    for (int tries = 0; tries < 100 && got < NRECORDS; tries++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "%s: consumer error %s\n", topic, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        char key[32], val[64];
        int kl = snprintf(key, sizeof(key), "key-%d", got), vl = value_of(got, val);
        CU_ASSERT_EQUAL(m->offset, got);
        CU_ASSERT(m->key_len == (size_t)kl && memcmp(m->key, key, (size_t)kl) == 0);
        CU_ASSERT(m->len == (size_t)vl && memcmp(m->payload, val, (size_t)vl) == 0);
        rd_kafka_timestamp_type_t tst;
        CU_ASSERT_EQUAL(rd_kafka_message_timestamp(m, &tst), 1700000000000 + got);
        rd_kafka_headers_t *hdrs = NULL;
        const void *hv;
        size_t hl;
        CU_ASSERT(rd_kafka_message_headers(m, &hdrs) == 0 &&
                  rd_kafka_header_get_last(hdrs, "idx", &hv, &hl) == 0 && hl == (size_t)kl - 4 &&
                  memcmp(hv, key + 4, hl) == 0);
        rd_kafka_message_destroy(m);
        got++;
    }
    CU_ASSERT_EQUAL(got, NRECORDS);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
}

static void test_our_batches_accepted_and_read_back(void) {
    bootstrap = start_rdkafka_mock(1);
    static const kafka_compression_t codecs[] = {KAFKA_COMPRESSION_NONE, KAFKA_COMPRESSION_GZIP,
                                                 KAFKA_COMPRESSION_SNAPPY, KAFKA_COMPRESSION_LZ4,
                                                 KAFKA_COMPRESSION_ZSTD};
    int fd = connect_broker();
    CU_ASSERT_FATAL(fd >= 0);
    for (int c = 0; c < 5; c++) {
        char topic[64];
        int16_t version = c % 2 ? 3 : 7; /* the mock serves Produce v0-7 */
        snprintf(topic, sizeof(topic), "interop-%s-v%d", kafka_compression_name(codecs[c]), version);
        CU_ASSERT_EQUAL(rd_kafka_mock_topic_create(mc, topic, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
        produce_ours(fd, topic, codecs[c], version, 100 + c);
        consume_with_rdkafka(topic);
    }
    close(fd);
    stop_rdkafka_mock();
}

static CU_TestInfo tests[] = {
    {"our batches (every codec) accepted by librdkafka's mock, read back by librdkafka",
     test_our_batches_accepted_and_read_back},
    CU_TEST_INFO_NULL,
};
#else
static void test_skipped(void) { CU_FAIL("librdkafka-dev is required for the interop test"); }
static CU_TestInfo tests[] = {{"librdkafka missing", test_skipped}, CU_TEST_INFO_NULL};
#endif

KAFKA_TEST_MAIN("rdkafka_interop", tests)
