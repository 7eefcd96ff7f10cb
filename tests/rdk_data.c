/* librdkafka's mock cluster and the known message sequence (rdk_data.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdk_data.h"
#include "testutil.h"

rd_kafka_t *mock_rk;
rd_kafka_mock_cluster_t *mc;

const char *start_rdkafka_mock(int brokers) {
    return start_rdkafka_mock_logging(brokers, 3);
}

const char *start_rdkafka_mock_logging(int brokers, int log_level) {
    char err[256], level[16];
    snprintf(level, sizeof(level), "%d", log_level);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "log_level", level, err, sizeof(err));
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(mock_rk);
    mc = rd_kafka_mock_cluster_new(mock_rk, brokers);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mc);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    CU_ASSERT_FATAL(strncmp(bs, "127.0.0.1:", 10) == 0);
    return bs;
}

void stop_rdkafka_mock(void) {
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
}

/* ---- what the producer writes: message i ---- */

/* Every 5th key null; value: every 7th null, every 7th+1 empty, every 11th+3 200 KiB,
 * else "value-i"; i%3 headers: "h0"="hv-i", "h1"=null. Timestamp T0 + i. */
void message_kv(int i, char *key, int32_t *kl, char *val, int32_t *vl) {
    *kl = i % 5 == 0 ? -1 : snprintf(key, 32, "key-%d", i);
    if (i % 7 == 0)
        *vl = -1;
    else if (i % 7 == 1)
        *vl = 0;
    else if (i % 11 == 3) {
        for (int j = 0; j < BIG; j++)
            val[j] = (char)('a' + (i * 7 + j) % 26);
        *vl = BIG;
    } else
        *vl = snprintf(val, 64, "value-%d", i);
}

int delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) {
        failed++;
        fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

rd_kafka_t *rd_producer(const char *bootstrap, const char *codec, const char *linger_ms) {
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    const char *kv[] = {"bootstrap.servers", bootstrap, "compression.codec", codec, "linger.ms", linger_ms,
                        "log_level", "3", "message.max.bytes", "1000000", NULL};
    for (const char *const *p = kv; *p; p += 2)
        if (rd_kafka_conf_set(c, p[0], p[1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
            fprintf(stderr, "%s=%s: %s\n", p[0], p[1], err);
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    delivered = failed = 0;
    return rk;
}

/* Produces messages [first, first + n) of the generator, message i to partition
 * i % nparts, and waits for them. */
void rdk_produce(rd_kafka_t *rk, const char *topic, int nparts, int first, int n) {
    static char val[BIG + 1];
    char key[32];
    int32_t kl, vl;
    int want = delivered + n;
    for (int i = first; i < first + n; i++) {
        message_kv(i, key, &kl, val, &vl);
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(2);
        char hv[32];
        int hl = snprintf(hv, sizeof(hv), "hv-%d", i);
        if (i % 3 >= 1)
            rd_kafka_header_add(hdrs, "h0", -1, hv, hl);
        if (i % 3 == 2)
            rd_kafka_header_add(hdrs, "h1", -1, NULL, 0);
        void *kp = kl < 0 ? NULL : key, *vp = vl < 0 ? NULL : vl == 0 ? (void *)"" : val;
        size_t ks = kl < 0 ? 0 : (size_t)kl, vs = vl < 0 ? 0 : (size_t)vl;
        rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % nparts),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(kp, ks),
                                                  RD_KAFKA_V_VALUE(vp, vs), RD_KAFKA_V_TIMESTAMP(T0 + i),
                                                  RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        CU_ASSERT_EQUAL(e, RD_KAFKA_RESP_ERR_NO_ERROR);
        if (e)
            rd_kafka_headers_destroy(hdrs);
    }
    rd_kafka_flush(rk, 15000);
    CU_ASSERT_EQUAL(delivered, want);
    CU_ASSERT_EQUAL(failed, 0);
}

/* m must be generator message i at partition offset `offset`. */
void check_message(const kafka_message_t *m, const char *topic, int32_t partition, int i, int64_t offset) {
    static char val[BIG + 1];
    char key[32];
    int32_t kl, vl, len;
    message_kv(i, key, &kl, val, &vl);
    CU_ASSERT_TRUE(kafka_message_valid(m));
    if (!kafka_message_valid(m))
        fprintf(stderr, "invalid message: %s\n", kafka_message_errstr(m));
    CU_ASSERT_STRING_EQUAL(kafka_message_topic(m), topic);
    CU_ASSERT_EQUAL(kafka_message_partition(m), partition);
    CU_ASSERT_EQUAL(kafka_message_offset(m), offset);
    CU_ASSERT_EQUAL(kafka_message_next_offset(m), offset + 1);
    const void *k = kafka_message_key(m, &len);
    CU_ASSERT_EQUAL(len, kl);
    CU_ASSERT(kl < 0 ? k == NULL : k && memcmp(k, key, (size_t)kl) == 0);
    const void *v = kafka_message_payload(m, &len);
    CU_ASSERT_EQUAL(len, vl);
    CU_ASSERT(vl < 0 ? v == NULL : v && memcmp(v, val, (size_t)vl) == 0);
    kafka_timestamp_type_t tt;
    CU_ASSERT_EQUAL(kafka_message_timestamp(m, &tt), T0 + i);
    CU_ASSERT_EQUAL(tt, KAFKA_TIMESTAMP_CREATE_TIME);
    CU_ASSERT_EQUAL(kafka_message_magic(m), 2);
    CU_ASSERT_EQUAL(kafka_message_header_count(m), i % 3);
    kafka_header_t h[4];
    int n = kafka_message_headers(m, h, 4);
    CU_ASSERT_EQUAL(n, i % 3);
    if (n >= 1) {
        char hv[32];
        int hl = snprintf(hv, sizeof(hv), "hv-%d", i);
        CU_ASSERT(h[0].key.len == 2 && memcmp(h[0].key.str, "h0", 2) == 0);
        CU_ASSERT(h[0].value.len == hl && memcmp(h[0].value.data, hv, (size_t)hl) == 0);
    }
    if (n >= 2)
        CU_ASSERT(h[1].key.len == 2 && memcmp(h[1].key.str, "h1", 2) == 0 && h[1].value.len == -1);
}
