/* The consumer against Kafka 0.8 brokers: our mock in legacy mode (the consumer falls
 * back to the 0.8 protocol when the broker hangs up on ApiVersions: Fetch v0, MessageSet
 * v0, gzip from a librdkafka 0.8 producer), and a tiny in-test 0.8 broker that does what
 * our mock does not: ListOffsets v0 with several offsets (the high watermark and
 * segment starts, up to max_number), and Fetch v0 answers cut at max bytes in the
 * middle of a message, as Kafka 0.8 does. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "proto/schema.h"
#include "util/arena.h"
#include "util/buf.h"
#include "testutil.h"

/* ---- a Kafka 0.8 broker: Metadata v0, ListOffsets v0, Fetch v0 ---- */

#define FAKE_BIG 5000
static const int64_t fake_segments[] = {60, 45, 30, 15, 0}; /* ListOffsets v0, LATEST: hw, then segment starts */

typedef struct fake_s {
    int lfd, port;
    pthread_t thread;
    atomic_bool stop;
    kafka_buf_t log; /* MessageSet v0: 0 "small-0", 1 5000 x 'B', 2 "small-2", gzip wrapper of 3 and 4 */
    int64_t hw;
} fake_t;

/* Reads a whole request frame (blocking; clients send whole frames). */
static uint8_t *read_frame(int fd, size_t *len) {
    uint8_t sz[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t r = read(fd, sz + got, 4 - got);
        if (r <= 0)
            return NULL;
        got += (size_t)r;
    }
    *len = (size_t)sz[0] << 24 | (size_t)sz[1] << 16 | (size_t)sz[2] << 8 | sz[3];
    uint8_t *buf = malloc(*len ? *len : 1);
    for (got = 0; buf && got < *len;) {
        ssize_t r = read(fd, buf + got, *len - got);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)r;
    }
    return buf;
}

/* The log from the first message at or after offset, cut at max bytes as 0.8 does. */
static kafka_bytes_t fake_read(const fake_t *f, int64_t offset, int32_t max) {
    size_t at = 0;
    while (at + 12 <= f->log.len) {
        const uint8_t *p = f->log.data + at;
        int64_t o = (int64_t)((uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
                              (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
                              (uint64_t)p[6] << 8 | p[7]);
        if (o >= offset)
            break;
        at += 12 + ((size_t)p[8] << 24 | (size_t)p[9] << 16 | (size_t)p[10] << 8 | p[11]);
    }
    size_t left = at <= f->log.len ? f->log.len - at : 0;
    kafka_bytes_t b = {f->log.data + at, (int32_t)(left < (size_t)max ? left : (size_t)max)};
    return b;
}

static void fake_answer(fake_t *f, int fd, const uint8_t *frame, size_t len) {
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    kafka_request_header_t hdr;
    kafka_request_u req;
    char err[256];
    kafka_buf_t out = KAFKA_BUF_INIT;
    if (kafka_request_decode(frame, len, &arena, &hdr, &req, err, sizeof(err)) != KAFKA_OK ||
        hdr.request_api_version != 0) {
        shutdown(fd, SHUT_RDWR); /* what 0.8 does with anything it does not know */
        kafka__arena_free(&arena);
        return;
    }
    kafka_response_u resp;
    kafka_response_init(hdr.request_api_key, &resp);
    int32_t replicas[1] = {1};
    kafka_metadata_response_broker_t broker = {1, kafka_str("127.0.0.1"), f->port, {NULL, -1}};
    kafka_metadata_response_partition_t mpart;
    memset(&mpart, 0, sizeof(mpart));
    mpart.leader_id = 1;
    mpart.replica_nodes.items = mpart.isr_nodes.items = replicas;
    mpart.replica_nodes.count = mpart.isr_nodes.count = 1;
    kafka_metadata_response_topic_t mtopics[4];
    kafka_list_offsets_response_partition_response_t lpart;
    kafka_list_offsets_response_topic_response_t ltopic;
    kafka_fetch_response_partition_data_t fpart;
    kafka_fetch_response_fetchable_topic_response_t ftopic;
    if (hdr.request_api_key == KAFKA_API_METADATA) {
        int32_t nt = req.metadata.topics.count > 0 && req.metadata.topics.count <= 4 ? req.metadata.topics.count : 1;
        for (int32_t i = 0; i < nt; i++) {
            memset(&mtopics[i], 0, sizeof(mtopics[i]));
            mtopics[i].name = req.metadata.topics.count > 0 ? req.metadata.topics.items[i].name : kafka_str("old");
            mtopics[i].partitions.items = &mpart;
            mtopics[i].partitions.count = 1;
        }
        resp.metadata.brokers.items = &broker;
        resp.metadata.brokers.count = 1;
        resp.metadata.topics.items = mtopics;
        resp.metadata.topics.count = nt;
    } else if (hdr.request_api_key == KAFKA_API_LIST_OFFSETS && req.list_offsets.topics.count == 1 &&
               req.list_offsets.topics.items[0].partitions.count == 1) {
        const kafka_list_offsets_request_partition_t *lp = &req.list_offsets.topics.items[0].partitions.items[0];
        memset(&lpart, 0, sizeof(lpart));
        lpart.partition_index = lp->partition_index;
        static const int64_t earliest[] = {0};
        const int64_t *src = lp->timestamp == -2 ? earliest : fake_segments;
        int32_t n = lp->timestamp == -2 ? 1 : (int32_t)(sizeof(fake_segments) / sizeof(fake_segments[0]));
        lpart.old_style_offsets.items = (int64_t *)src;
        lpart.old_style_offsets.count = n < lp->max_num_offsets ? n : lp->max_num_offsets;
        ltopic.name = req.list_offsets.topics.items[0].name;
        ltopic.partitions.items = &lpart;
        ltopic.partitions.count = 1;
        resp.list_offsets.topics.items = &ltopic;
        resp.list_offsets.topics.count = 1;
    } else if (hdr.request_api_key == KAFKA_API_FETCH && req.fetch.topics.count == 1 &&
               req.fetch.topics.items[0].partitions.count == 1) {
        const kafka_fetch_request_partition_t *fp = &req.fetch.topics.items[0].partitions.items[0];
        memset(&fpart, 0, sizeof(fpart));
        fpart.partition_index = fp->partition;
        fpart.high_watermark = f->hw;
        if (fp->fetch_offset > f->hw)
            fpart.error_code = KAFKA_ERR_OFFSET_OUT_OF_RANGE;
        else
            fpart.records = fake_read(f, fp->fetch_offset, fp->partition_max_bytes);
        ftopic.topic = req.fetch.topics.items[0].topic;
        ftopic.partitions.items = &fpart;
        ftopic.partitions.count = 1;
        resp.fetch.responses.items = &ftopic;
        resp.fetch.responses.count = 1;
    } else {
        shutdown(fd, SHUT_RDWR);
        kafka__arena_free(&arena);
        return;
    }
    /* Fields v0 lacks back to their defaults, or the encoder refuses them. */
    kafka__schema_clamp(kafka__api_find(hdr.request_api_key)->response, 0, &resp);
    if (kafka_response_encode(&out, hdr.request_api_key, 0, hdr.correlation_id, &resp, err, sizeof(err)) == KAFKA_OK) {
        size_t off = 0;
        while (off < out.len) {
            ssize_t w = write(fd, out.data + off, out.len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    } else {
        fprintf(stderr, "fake broker: %s\n", err);
    }
    kafka__buf_free(&out);
    kafka__arena_free(&arena);
}

static void *fake_main(void *arg) {
    fake_t *f = arg;
    struct pollfd fds[16];
    int n = 1;
    fds[0] = (struct pollfd){f->lfd, POLLIN, 0};
    while (!atomic_load(&f->stop)) {
        if (poll(fds, (nfds_t)n, 50) <= 0)
            continue;
        if ((fds[0].revents & POLLIN) && n < 16) {
            int cfd = accept(f->lfd, NULL, NULL);
            if (cfd >= 0)
                fds[n++] = (struct pollfd){cfd, POLLIN, 0};
        }
        for (int i = 1; i < n; i++) {
            if (!fds[i].revents)
                continue;
            size_t len;
            uint8_t *frame = (fds[i].revents & POLLIN) ? read_frame(fds[i].fd, &len) : NULL;
            if (!frame) {
                close(fds[i].fd);
                fds[i--] = fds[--n];
                continue;
            }
            fake_answer(f, fds[i].fd, frame, len);
            free(frame);
        }
    }
    for (int i = 1; i < n; i++)
        close(fds[i].fd);
    return NULL;
}

static void fake_start(fake_t *f) {
    memset(f, 0, sizeof(*f));
    char err[128];
    /* The log a 0.8 broker would hold: offsets 0..4, the last two gzip-wrapped. */
    static char big[FAKE_BIG];
    memset(big, 'B', sizeof(big));
    kafka_buf_t inner = KAFKA_BUF_INIT;
    CU_ASSERT_EQUAL(kafka_msgset_append(&f->log, 0, 0, 0, KAFKA_COMPRESSION_NONE, "k0", 2, "small-0", 7, err,
                                        sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_msgset_append(&f->log, 0, 1, 0, KAFKA_COMPRESSION_NONE, NULL, -1, big, FAKE_BIG, err,
                                        sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_msgset_append(&f->log, 0, 2, 0, KAFKA_COMPRESSION_NONE, NULL, -1, "small-2", 7, err,
                                        sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_msgset_append(&inner, 0, 3, 0, KAFKA_COMPRESSION_NONE, NULL, -1, "zip-3", 5, err,
                                        sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_msgset_append(&inner, 0, 4, 0, KAFKA_COMPRESSION_NONE, "k4", 2, "zip-4", 5, err,
                                        sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_msgset_append(&f->log, 0, 4, 0, KAFKA_COMPRESSION_GZIP, NULL, -1, inner.data,
                                        (int32_t)inner.len, err, sizeof(err)),
                    KAFKA_OK);
    kafka__buf_free(&inner);
    f->hw = 5;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t sl = sizeof(sa);
    CU_ASSERT_FATAL(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(f->lfd, 8) == 0 &&
                    getsockname(f->lfd, (struct sockaddr *)&sa, &sl) == 0);
    f->port = ntohs(sa.sin_port);
    atomic_init(&f->stop, false);
    pthread_create(&f->thread, NULL, fake_main, f);
}

static void fake_stop(fake_t *f) {
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    close(f->lfd);
    kafka__buf_free(&f->log);
}

static kafka_consumer_t *fake_consumer(const fake_t *f) {
    char bs[64];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", f->port);
    /* A 0.8 broker is known as such up front here; the fallback on a hang-up is tested
     * against our mock below. */
    const char *kv[] = {"api.version.request", "false", "broker.version.fallback", "0.8.2", NULL};
    return kafka_test_consumer(bs, kv);
}

/* ListOffsets v0 answers several offsets, newest first, up to max_number. */
static void test_offsets_v0(void) {
    fake_t f;
    fake_start(&f);
    kafka_consumer_t *c = fake_consumer(&f);
    int64_t *offs;
    size_t n;
    char err[512];
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "old", 0, KAFKA_OFFSET_LATEST, 3, &offs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT(offs[0] == 60 && offs[1] == 45 && offs[2] == 30);
    free(offs);
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "old", 0, KAFKA_OFFSET_LATEST, 0, &offs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 5); /* max_number 0: the origin's 100 */
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(offs[i], fake_segments[i]);
    free(offs);
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "old", 0, KAFKA_OFFSET_LATEST, 1, &offs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(n == 1 && offs[0] == 60);
    free(offs);
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, "old", 0, KAFKA_OFFSET_EARLIEST, 10, &offs, &n, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT(n == 1 && offs[0] == 0);
    free(offs);
    kafka_consumer_destroy(c);
    fake_stop(&f);
}

/* Fetch v0 cut at max bytes: a trailing partial message is skipped; a first message
 * larger than max_bytes is a clear error naming its size; with enough room it comes. */
static void test_fetch_v0_cut(void) {
    fake_t f;
    fake_start(&f);
    kafka_consumer_t *c = fake_consumer(&f);
    kafka_message_t **msgs;
    size_t n;
    char err[512];
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "old", 0, 0, 100, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    int32_t len;
    const void *v = kafka_message_payload(msgs[0], &len);
    CU_ASSERT(len == 7 && memcmp(v, "small-0", 7) == 0);
    v = kafka_message_key(msgs[0], &len);
    CU_ASSERT(len == 2 && memcmp(v, "k0", 2) == 0);
    CU_ASSERT_EQUAL(kafka_message_magic(msgs[0]), 0);
    kafka_timestamp_type_t tt;
    CU_ASSERT_EQUAL(kafka_message_timestamp(msgs[0], &tt), -1);
    CU_ASSERT_EQUAL(tt, KAFKA_TIMESTAMP_NONE);
    CU_ASSERT_EQUAL(kafka_message_high_watermark(msgs[0]), 5);
    kafka_messages_destroy(msgs, n);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "old", 0), 1);

    /* The 5000-byte message: 5014 bytes of message plus 12 of offset and size. */
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "old", 0, 1, 100, &msgs, &n, err, sizeof(err)), KAFKA_ERR__MSG_TOO_LARGE);
    CU_ASSERT(kafka_test_now_ms() - t0 < 3000); /* one answer, not a loop of empty fetches */
    if (!strstr(err, "5026 bytes"))
        fprintf(stderr, "too large: %s\n", err);
    CU_ASSERT(strstr(err, "old/0") != NULL && strstr(err, "offset 1") != NULL && strstr(err, "5026 bytes") != NULL &&
              strstr(err, "max_bytes 100") != NULL && strstr(err, "raise max_bytes to at least 5026") != NULL);
    CU_ASSERT_PTR_NULL(msgs);
    CU_ASSERT_EQUAL(kafka_consumer_last_errorcode(c), KAFKA_ERR__MSG_TOO_LARGE);

    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "old", 0, 1, 5026, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    v = kafka_message_payload(msgs[0], &len);
    CU_ASSERT(len == FAKE_BIG && ((const char *)v)[0] == 'B' && ((const char *)v)[FAKE_BIG - 1] == 'B');
    kafka_messages_destroy(msgs, n);

    /* Everything after: plain, then the gzip wrapper's two. */
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, "old", 0, 1, 1 << 20, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    const char *want[] = {NULL, "small-2", "zip-3", "zip-4"};
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(kafka_message_offset(msgs[i]), (int64_t)i + 1);
        CU_ASSERT_EQUAL(kafka_message_next_offset(msgs[i]), (int64_t)i + 2);
        CU_ASSERT_TRUE(kafka_message_valid(msgs[i]));
        v = kafka_message_payload(msgs[i], &len);
        if (want[i])
            CU_ASSERT(len == (int32_t)strlen(want[i]) && memcmp(v, want[i], (size_t)len) == 0);
    }
    v = kafka_message_key(msgs[3], &len);
    CU_ASSERT(len == 2 && memcmp(v, "k4", 2) == 0);
    kafka_messages_destroy(msgs, n);
    CU_ASSERT_EQUAL(kafka_consumer_next_offset(c, "old", 0), 5);
    kafka_consumer_destroy(c);
    fake_stop(&f);
}

/* Polls c for up to max_ms: the messages into got[] (at most 8, the rest destroyed),
 * and the first error poll reports into *err / why. */
static size_t poll_some(kafka_consumer_t *c, int64_t max_ms, size_t want, kafka_message_t **got, kafka_err_t *err,
                        char *why, size_t why_size) {
    size_t have = 0;
    *err = KAFKA_OK;
    int64_t until = kafka_test_now_ms() + max_ms;
    while (have < want && !*err && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[8];
        size_t n;
        *err = kafka_consumer_poll(c, 100, msgs, 8, &n, why, why_size);
        for (size_t i = 0; i < n; i++) {
            if (have < 8)
                got[have++] = msgs[i];
            else
                kafka_message_destroy(msgs[i]);
        }
    }
    return have;
}

/* The consumer loop on a 0.8 broker: Fetch v0 answers are cut at
 * max.partition.fetch.bytes, so a message larger than that stops its partition with
 * one error naming the cause and the message's size (not a loop of empty fetches); with
 * room, everything comes, the gzip wrapper's messages too, at their offsets. */
static void test_loop_v0(void) {
    fake_t f;
    fake_start(&f);
    char bs[64];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", f.port);
    const char *kv[] = {"api.version.request", "false", "broker.version.fallback", "0.8.2",
                        "max.partition.fetch.bytes", "100", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tp = {"old", 0, KAFKA_OFFSET_BEGINNING};
    char why[1024];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, why, sizeof(why)), KAFKA_OK);
    kafka_message_t *got[8];
    kafka_err_t err;
    int64_t t0 = kafka_test_now_ms();
    size_t n = poll_some(c, 5000, 8, got, &err, why, sizeof(why));
    CU_ASSERT(kafka_test_now_ms() - t0 < 3000);
    CU_ASSERT_EQUAL(err, KAFKA_ERR__MSG_TOO_LARGE);
    CU_ASSERT(strstr(why, "old/0") != NULL && strstr(why, "offset 1") != NULL &&
              strstr(why, "max.partition.fetch.bytes 100") != NULL && strstr(why, "5026 bytes") != NULL &&
              strstr(why, "raise max.partition.fetch.bytes to at least 5026") != NULL);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(kafka_message_offset(got[0]), 0);
    int32_t len;
    const void *v = kafka_message_payload(got[0], &len);
    CU_ASSERT(len == 7 && memcmp(v, "small-0", 7) == 0);
    kafka_message_destroy(got[0]);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "old", 0), 1);
    n = poll_some(c, 300, 8, got, &err, why, sizeof(why)); /* reported once */
    CU_ASSERT(n == 0 && err == KAFKA_OK);
    kafka_consumer_destroy(c);

    kv[5] = "65536";
    c = kafka_test_consumer(bs, kv);
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, why, sizeof(why)), KAFKA_OK);
    n = poll_some(c, 5000, 5, got, &err, why, sizeof(why));
    CU_ASSERT_EQUAL(err, KAFKA_OK);
    CU_ASSERT_EQUAL(n, 5);
    const char *want[] = {"small-0", NULL, "small-2", "zip-3", "zip-4"};
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(kafka_message_offset(got[i]), (int64_t)i);
        CU_ASSERT_TRUE(kafka_message_valid(got[i]));
        v = kafka_message_payload(got[i], &len);
        CU_ASSERT_EQUAL(len, want[i] ? (int32_t)strlen(want[i]) : FAKE_BIG);
        if (want[i] && len == (int32_t)strlen(want[i]))
            CU_ASSERT(memcmp(v, want[i], (size_t)len) == 0);
        kafka_message_destroy(got[i]);
    }
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "old", 0), 5);
    kafka_consumer_destroy(c);
    fake_stop(&f);
}

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

/* A librdkafka producer speaking 0.8.2 (Produce v0, MessageSet v0) to our legacy mock. */
static void produce_legacy(const char *bootstrap, const char *topic, const char *codec, int n) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[] = {"bootstrap.servers", bootstrap, "api.version.request", "false", "broker.version.fallback",
                        "0.8.2.2", "compression.codec", codec, "linger.ms", "5", "log_level", "2", NULL};
    for (const char *const *p = kv; *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    for (int i = 0; i < n; i++) {
        char key[16], val[32];
        int kl = snprintf(key, sizeof(key), "k%d", i), vl = snprintf(val, sizeof(val), "%s-value-%d", codec, i);
        CU_ASSERT_EQUAL(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, (size_t)kl),
                                          RD_KAFKA_V_VALUE(val, (size_t)vl), RD_KAFKA_V_END),
                        RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    CU_ASSERT_EQUAL(rd_kafka_flush(rk, 15000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
}

/* Our mock as Kafka 0.8.2: the consumer finds out by the hang-up on ApiVersions and
 * reads MessageSet v0, plain and gzip, with Fetch v0 and ListOffsets v0. */
static void test_our_legacy_mock(void) {
    kafka_mock_conf_t mconf;
    kafka_mock_conf_init(&mconf);
    mconf.brokers = 2;
    mconf.legacy = true;
    char err[512];
    kafka_mock_t *m = kafka_mock_new(&mconf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *codecs[] = {"none", "gzip"};
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    for (int k = 0; k < 2; k++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "legacy-%s", codecs[k]);
        CU_ASSERT_EQUAL(kafka_mock_topic_create(m, topic, 1, 2), KAFKA_OK);
        produce_legacy(kafka_mock_bootstrap(m), topic, codecs[k], 25);
        int64_t *offs;
        size_t n;
        CU_ASSERT_EQUAL(kafka_consumer_offsets(c, topic, 0, KAFKA_OFFSET_LATEST, 5, &offs, &n, err, sizeof(err)),
                        KAFKA_OK);
        CU_ASSERT(n >= 1 && offs[0] == 25);
        free(offs);
        int64_t offset = 3;
        int got = 0;
        for (int round = 0; round < 50 && got < 22; round++) {
            kafka_message_t **msgs;
            kafka_err_t e = kafka_consumer_fetch(c, topic, 0, offset, 0, &msgs, &n, err, sizeof(err));
            CU_ASSERT_EQUAL(e, KAFKA_OK);
            if (e) {
                fprintf(stderr, "legacy fetch: %s\n", err);
                break;
            }
            for (size_t j = 0; j < n; j++, got++) {
                int i = 3 + got;
                char key[16], val[32];
                int kl = snprintf(key, sizeof(key), "k%d", i), vl = snprintf(val, sizeof(val), "%s-value-%d", codecs[k], i);
                int32_t len;
                const void *p = kafka_message_payload(msgs[j], &len);
                CU_ASSERT(len == vl && memcmp(p, val, (size_t)vl) == 0);
                p = kafka_message_key(msgs[j], &len);
                CU_ASSERT(len == kl && memcmp(p, key, (size_t)kl) == 0);
                CU_ASSERT_EQUAL(kafka_message_offset(msgs[j]), i);
                CU_ASSERT_EQUAL(kafka_message_magic(msgs[j]), 0);
                CU_ASSERT_TRUE(kafka_message_valid(msgs[j]));
            }
            if (n)
                offset = kafka_message_next_offset(msgs[n - 1]);
            kafka_messages_destroy(msgs, n);
        }
        CU_ASSERT_EQUAL(got, 22);
    }
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}
#endif

static CU_TestInfo tests[] = {
    {"Kafka 0.8: ListOffsets v0 with several offsets and max_number", test_offsets_v0},
    {"Kafka 0.8: Fetch v0 cut at max bytes, a message above max_bytes", test_fetch_v0_cut},
    {"Kafka 0.8: the consumer loop, a message above max.partition.fetch.bytes", test_loop_v0},
#ifdef KAFKA_HAVE_RDKAFKA
    {"our mock in legacy mode: fallback, MessageSet v0 plain and gzip", test_our_legacy_mock},
#endif
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_legacy", tests)
