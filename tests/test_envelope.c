/* The hand-written Produce envelope (lib/producer/envelope.c), which writes record data
 * by reference with scatter-gather I/O, against the generic codec: byte-equal frames for
 * every Produce version 0..9, several topics and partitions (empty record data too),
 * with and without a client id; decoded back to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "kafka/protocol.h"
#include "producer/envelope.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/buf.h"

/* Concatenates env's iovecs. */
static uint8_t *flatten(const kafka__penv_t *env, size_t *len) {
    size_t n = 0;
    for (int i = 0; i < env->iovcnt; i++)
        n += env->iov[i].iov_len;
    uint8_t *out = malloc(n ? n : 1), *p = out;
    for (int i = 0; i < env->iovcnt; i++) {
        memcpy(p, env->iov[i].iov_base, env->iov[i].iov_len);
        p += env->iov[i].iov_len;
    }
    *len = n;
    return out;
}

static void test_versions_match_the_codec(void) {
    /* Record data: one real RecordBatch, and arbitrary bytes (the envelope does not look). */
    kafka_batch_t *b = kafka_batch_new(256);
    CU_ASSERT_EQUAL(kafka_batch_append(b, 1000, "k", 1, "value", 5, NULL, 0), KAFKA_OK);
    const uint8_t *batch;
    size_t batch_len;
    CU_ASSERT_EQUAL(kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &batch, &batch_len, NULL, 0), KAFKA_OK);
    static const uint8_t other[] = {1, 2, 3, 4, 5, 6, 7};
    kafka__penv_part_t parts[] = {{"alpha", 0, batch, batch_len},
                                  {"alpha", 3, other, sizeof(other)},
                                  {"beta", 1, NULL, 0},
                                  {"gamma-topic", 7, batch, batch_len}};
    const size_t nparts = sizeof(parts) / sizeof(parts[0]);
    for (int16_t v = 0; v <= 9; v++) {
        for (int with_id = 0; with_id < 2; with_id++) {
            const char *cid = with_id ? "my-client" : NULL;
            kafka__penv_t env = KAFKA__PENV_INIT;
            CU_ASSERT_EQUAL_FATAL(kafka__penv_build(&env, v, 42 + v, cid, -1, 1500, parts, nparts), KAFKA_OK);
            size_t len;
            uint8_t *frame = flatten(&env, &len);
            CU_ASSERT_EQUAL(env.frame_len, len);
            CU_ASSERT_EQUAL(((uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 | (uint32_t)frame[2] << 8 | frame[3]),
                            len - 4);
            /* The same request through the generic codec. */
            kafka_produce_request_partition_produce_data_t pa[] = {{0, {batch, (int32_t)batch_len}},
                                                                   {3, {other, (int32_t)sizeof(other)}}};
            kafka_produce_request_partition_produce_data_t pb[] = {{1, {(const uint8_t *)"", 0}}};
            kafka_produce_request_partition_produce_data_t pg[] = {{7, {batch, (int32_t)batch_len}}};
            kafka_produce_request_topic_produce_data_t td[] = {
                {kafka_str("alpha"), {pa, 2}}, {kafka_str("beta"), {pb, 1}}, {kafka_str("gamma-topic"), {pg, 1}}};
            kafka_produce_request_t req;
            kafka_request_init(KAFKA_API_PRODUCE, &req);
            req.transactional_id = kafka_str(NULL);
            req.acks = -1;
            req.timeout_ms = 1500;
            req.topic_data.items = td;
            req.topic_data.count = 3;
            kafka_request_header_t hdr = {KAFKA_API_PRODUCE, v, 42 + v, kafka_str(cid)};
            kafka_buf_t ref = KAFKA_BUF_INIT;
            char err[256];
            kafka_err_t e = kafka_request_encode(&ref, &hdr, &req, err, sizeof(err));
            if (e)
                fprintf(stderr, "v%d: %s\n", v, err);
            CU_ASSERT_EQUAL(e, KAFKA_OK);
            CU_ASSERT_EQUAL(ref.len, len);
            if (ref.len == len && memcmp(ref.data, frame, len) != 0) {
                fprintf(stderr, "Produce v%d%s: the envelope differs from the codec\n", v, with_id ? "" : " (null id)");
                CU_FAIL("bytes differ");
            }
            /* And it decodes to what was asked. */
            kafka_arena_t arena = KAFKA_ARENA_INIT;
            kafka_request_header_t dh;
            kafka_request_u body;
            CU_ASSERT_EQUAL_FATAL(kafka_request_decode(frame + 4, len - 4, &arena, &dh, &body, err, sizeof(err)),
                                  KAFKA_OK);
            CU_ASSERT_EQUAL(dh.request_api_version, v);
            CU_ASSERT_EQUAL(dh.correlation_id, 42 + v);
            CU_ASSERT_EQUAL(body.produce.acks, -1);
            CU_ASSERT_EQUAL(body.produce.timeout_ms, 1500);
            CU_ASSERT_EQUAL_FATAL(body.produce.topic_data.count, 3);
            CU_ASSERT_EQUAL(body.produce.topic_data.items[0].partition_data.count, 2);
            CU_ASSERT_EQUAL(body.produce.topic_data.items[2].partition_data.items[0].index, 7);
            CU_ASSERT_EQUAL(body.produce.topic_data.items[2].partition_data.items[0].records.len, (int32_t)batch_len);
            CU_ASSERT(memcmp(body.produce.topic_data.items[2].partition_data.items[0].records.data, batch, batch_len) ==
                      0);
            kafka__arena_free(&arena);
            kafka__buf_free(&ref);
            free(frame);
            /* Record data is referenced, not copied: its iovec points at the batch. */
            bool referenced = false;
            for (int i = 0; i < env.iovcnt; i++)
                referenced |= env.iov[i].iov_base == (void *)batch;
            CU_ASSERT(referenced);
            kafka__penv_free(&env);
        }
    }
    kafka_batch_destroy(b);
}

static void test_bad_versions(void) {
    kafka__penv_t env = KAFKA__PENV_INIT;
    kafka__penv_part_t part = {"t", 0, "x", 1};
    CU_ASSERT_EQUAL(kafka__penv_build(&env, 10, 1, NULL, 1, 100, &part, 1), KAFKA_ERR__UNSUPPORTED_VERSION);
    CU_ASSERT_EQUAL(kafka__penv_build(&env, -1, 1, NULL, 1, 100, &part, 1), KAFKA_ERR__UNSUPPORTED_VERSION);
    kafka__penv_free(&env);
}

static CU_TestInfo tests[] = {
    {"every Produce version equals the codec's bytes", test_versions_match_the_codec},
    {"unsupported versions", test_bad_versions},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("envelope", tests)
