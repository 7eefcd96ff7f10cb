/* The asynchronous producer (kafka_producer_produce + delivery reports + flush) against
 * librdkafka's mock cluster (an independent broker, 3 brokers in-process on 127.0.0.1)
 * and ours: every message reported once and read back once by a librdkafka consumer,
 * at the offset its report gave, in order per partition, keyed messages where
 * librdkafka's murmur2_random puts them; the same under faults with acks=all; errors
 * within their bounds; several application threads at once (TSan in CI). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"

/* Under ThreadSanitizer every access to librdkafka's (uninstrumented) message memory
 * from the test's reader goes through TSan's race bookkeeping: read back fewer. */
#if defined(__SANITIZE_THREAD__)
#define SCALE 10
#else
#define SCALE 1
#endif

/* ---- delivery bookkeeping ---- */


static kafka_producer_t *producer(const char *bootstrap, const char *const *kv, kafka_test_dr_t *s) {
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
    if (s)
        kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, s);
    return p;
}

/* Value of message i of source `src`: "s<src>-<i>"; parsed back by parse_value. */
static int make_value(char *buf, size_t size, int src, size_t i) { return snprintf(buf, size, "s%d-%zu", src, i); }

static bool parse_value(const void *v, size_t len, int *src, size_t *i) {
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return false;
    memcpy(tmp, v, len);
    tmp[len] = 0;
    return sscanf(tmp, "s%d-%zu", src, i) == 2;
}

/* Produces messages [first, first+count) of source src, value as make_value; keyed
 * ones (every other when keyed) get key "key-<i % 97>". Retries QUEUE_FULL. */
static void produce_range(kafka_producer_t *p, const char *topic, int src, size_t first, size_t count, bool keyed,
                          size_t index_base) {
    for (size_t i = first; i < first + count; i++) {
        char v[64], k[32];
        int vl = make_value(v, sizeof(v), src, i);
        int kl = snprintf(k, sizeof(k), "key-%zu", i % 97);
        bool has_key = keyed && (i % 2 == 0);
        kafka_produce_msg_t m = {has_key ? k : NULL, has_key ? kl : -1, v, vl, NULL, 0, 0};
        char err[256];
        kafka_err_t e = kafka_producer_produce(p, topic, KAFKA_PARTITION_ANY, &m, (void *)(intptr_t)(index_base + i + 1),
                                               err, sizeof(err));
        if (e) {
            fprintf(stderr, "produce %zu: %s\n", i, err);
            CU_FAIL("produce failed");
            return;
        }
    }
}

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

/* What a librdkafka consumer reads from every partition of a topic. */
typedef struct readback_s {
    size_t n, cap;
    int32_t *partition;
    int64_t *offset;
    int *src;
    size_t *idx;
    char **key;
} readback_t;

static void readback_free(readback_t *r) {
    for (size_t i = 0; i < r->n; i++)
        free(r->key[i]);
    free(r->partition);
    free(r->offset);
    free(r->src);
    free(r->idx);
    free(r->key);
}

static void read_all(const char *bootstrap, const char *topic, int partitions, size_t expect, readback_t *r) {
    memset(r, 0, sizeof(*r));
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
    rd_kafka_conf_set(c, "group.id", "async-test", err, sizeof(err));
    rd_kafka_conf_set(c, "enable.partition.eof", "true", err, sizeof(err));
    rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++)
        rd_kafka_topic_partition_list_add(tp, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    int64_t deadline = kafka_test_now_ms() + 30000;
    bool *eof = calloc((size_t)partitions, sizeof(bool));
    while (kafka_test_now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof[m->partition] = true;
            bool all = r->n >= expect;
            for (int i = 0; i < partitions; i++)
                all = all && eof[i];
            rd_kafka_message_destroy(m);
            if (all)
                break;
            continue;
        }
        if (!m->err) {
            if (r->n == r->cap) {
                r->cap = r->cap ? r->cap * 2 : 1024;
                r->partition = realloc(r->partition, r->cap * sizeof(*r->partition));
                r->offset = realloc(r->offset, r->cap * sizeof(*r->offset));
                r->src = realloc(r->src, r->cap * sizeof(*r->src));
                r->idx = realloc(r->idx, r->cap * sizeof(*r->idx));
                r->key = realloc(r->key, r->cap * sizeof(*r->key));
            }
            r->partition[r->n] = m->partition;
            r->offset[r->n] = m->offset;
            if (!parse_value(m->payload, m->len, &r->src[r->n], &r->idx[r->n])) {
                r->src[r->n] = -1;
                r->idx[r->n] = 0;
            }
            r->key[r->n] = m->key ? strndup(m->key, m->key_len) : NULL;
            r->n++;
        }
        rd_kafka_message_destroy(m);
    }
    free(eof);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Every message of sources [0, nsrc) x [0, per_src) read back exactly once; within a
 * partition each source's messages in produce order; each report's (partition, offset)
 * holds that message (s may be NULL). Returns the number of problems. */
static int check_readback(const readback_t *r, int nsrc, size_t per_src, const kafka_test_dr_t *s) {
    int problems = 0;
    size_t total = (size_t)nsrc * per_src;
    unsigned char *seen = calloc(total, 1);
    /* last index per (partition, source), partitions < 64 */
    long long last[64][8];
    memset(last, -1, sizeof(last));
    for (size_t k = 0; k < r->n; k++) {
        int src = r->src[k];
        size_t i = r->idx[k];
        if (src < 0 || src >= nsrc || i >= per_src) {
            problems++;
            continue;
        }
        size_t id = (size_t)src * per_src + i;
        if (seen[id]++)
            problems++; /* a duplicate */
        int32_t part = r->partition[k];
        if (part < 64 && src < 8) {
            if ((long long)i <= last[part][src])
                problems++; /* out of order */
            last[part][src] = (long long)i;
        }
        if (s && (s->partition[id] != part || s->offset[id] != r->offset[k]))
            problems++; /* the report said elsewhere */
    }
    for (size_t id = 0; id < total; id++)
        if (!seen[id])
            problems++; /* lost */
    free(seen);
    if (problems)
        fprintf(stderr, "readback: %d problems in %zu messages read, %zu expected\n", problems, r->n, total);
    return problems;
}

/* Reads topic back with librdkafka and checks it against the reports: every message of
 * srcs x per once, in order, at its reported offset. */
static void expect_readback(const char *bs, const char *topic, int partitions, int srcs, size_t per,
                            const kafka_test_dr_t *s) {
    readback_t r;
    read_all(bs, topic, partitions, (size_t)srcs * per, &r);
    CU_ASSERT_EQUAL(r.n, (size_t)srcs * per);
    CU_ASSERT_EQUAL(check_readback(&r, srcs, per, s), 0);
    readback_free(&r);
}

/* N keyed and unkeyed messages across 6 partitions of a 3-broker cluster. */
static void test_async_read_back(void) {
    const char *bs = start_rdkafka_mock_logging(3, 0);
    rd_kafka_mock_topic_create(mc, "async", 6, 3);
    const size_t n = 20000 / SCALE;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    const char *kv[] = {"linger.ms", "5", "batch.size", "16384", NULL};
    kafka_producer_t *p = producer(bs, kv, &s);
    produce_range(p, "async", 0, 0, n, true, 0);
    char err[256];
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 30000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_producer_outstanding(p), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.dups), 0);
    /* Keyed messages went where librdkafka's murmur2_random puts them. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(mock_rk, "async", NULL);
    int misplaced = 0, used[6] = {0};
    for (size_t i = 0; i < n; i++) {
        if (s.partition[i] >= 0 && s.partition[i] < 6)
            used[s.partition[i]]++;
        if (i % 2)
            continue;
        char k[32];
        int kl = snprintf(k, sizeof(k), "key-%zu", i % 97);
        if (s.partition[i] != rd_kafka_msg_partitioner_murmur2_random(rkt, k, (size_t)kl, 6, NULL, NULL))
            misplaced++;
    }
    rd_kafka_topic_destroy(rkt);
    CU_ASSERT_EQUAL(misplaced, 0);
    for (int i = 0; i < 6; i++)
        CU_ASSERT(used[i] > 0);
    expect_readback(bs, "async", 6, 1, n, &s);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    stop_rdkafka_mock();
}

/* Faults while producing with acks=all and idempotence: injected Produce and Metadata
 * errors, disconnects, leader moves, a broker down then up. Every message is delivered
 * exactly once, in order per partition. */
typedef struct bg_s {
    kafka_producer_t *p;
    size_t n;
} bg_t;

static void *produce_slowly(void *arg) {
    bg_t *b = arg;
    size_t chunk = 500 / SCALE;
    for (size_t i = 0; i < b->n; i += chunk) {
        produce_range(b->p, "faults", 0, i, chunk, false, 0);
        kafka_test_sleep_ms(10);
    }
    return NULL;
}

static void test_async_faults_exactly_once(void) {
    const char *bs = start_rdkafka_mock_logging(3, 0);
    rd_kafka_mock_topic_create(mc, "faults", 4, 3);
    const size_t n = 20000 / SCALE;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    const char *kv[] = {"acks", "all", "linger.ms", "5", "batch.size", "8192", "retry.backoff.ms", "20",
                        "retry.backoff.max.ms", "200", "request.timeout.ms", "2000", "delivery.timeout.ms", "30000",
                        NULL};
    kafka_producer_t *p = producer(bs, kv, &s);
    bg_t b = {p, n};
    pthread_t th;
    pthread_create(&th, NULL, produce_slowly, &b);
    kafka_test_sleep_ms(60);
    rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR__TRANSPORT);
    kafka_test_sleep_ms(60);
    rd_kafka_mock_partition_set_leader(mc, "faults", 0, 2);
    rd_kafka_mock_partition_set_leader(mc, "faults", 1, 3);
    kafka_test_sleep_ms(60);
    rd_kafka_mock_push_request_errors(mc, 3 /* Metadata */, 2, RD_KAFKA_RESP_ERR__TRANSPORT,
                                      RD_KAFKA_RESP_ERR__TRANSPORT);
    rd_kafka_mock_push_request_errors(mc, 0, 3, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
    kafka_test_sleep_ms(60);
    rd_kafka_mock_broker_set_down(mc, 2);
    kafka_test_sleep_ms(400);
    rd_kafka_mock_broker_set_up(mc, 2);
    rd_kafka_mock_partition_set_leader(mc, "faults", 0, 1);
    kafka_test_sleep_ms(60);
    rd_kafka_mock_partition_set_leader(mc, "faults", 2, 3);
    pthread_join(th, NULL);
    char err[256];
    kafka_err_t fe = kafka_producer_flush(p, 40000, err, sizeof(err));
    if (fe)
        fprintf(stderr, "flush: %s\n", err);
    CU_ASSERT_EQUAL(fe, KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.dups), 0);
    if (atomic_load(&s.failed))
        fprintf(stderr, "failed %d, last: %s\n", atomic_load(&s.failed), s.last_err);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    /* The faults were met: batches were sent again, connections opened again. */
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    fprintf(stderr, "faults: %lld retries, %lld connects, %lld requests, %lld producer ids\n", (long long)st.retries,
            (long long)st.connects, (long long)st.requests, (long long)st.producer_ids);
    CU_ASSERT(st.retries >= 5);
    CU_ASSERT(st.connects > 3);
    CU_ASSERT_EQUAL(st.delivered, (int64_t)n);
    expect_readback(bs, "faults", 4, 1, n, &s);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    stop_rdkafka_mock();
}

/* Every codec and acks=0/1 through the asynchronous path, read back by librdkafka. */
static void test_async_codecs_and_acks(void) {
    const char *bs = start_rdkafka_mock_logging(3, 0);
    static const char *cases[][3] = {{"none", "all", "c-none"},  {"gzip", "all", "c-gzip"}, {"snappy", "1", "c-snappy"},
                                     {"lz4", "all", "c-lz4"},    {"zstd", "1", "c-zstd"},   {"none", "0", "c-acks0"}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        rd_kafka_mock_topic_create(mc, cases[c][2], 3, 3);
        const size_t n = 3000 / SCALE;
        kafka_test_dr_t s;
        kafka_test_dr_init(&s, n);
        const char *kv[] = {"compression.type", cases[c][0], "acks", cases[c][1], "batch.size", "8192", NULL};
        kafka_producer_t *p = producer(bs, kv, &s);
        produce_range(p, cases[c][2], 0, 0, n, true, 0);
        char err[256];
        CU_ASSERT_EQUAL(kafka_producer_flush(p, 20000, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
        CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
        readback_t r;
        read_all(bs, cases[c][2], 3, n, &r);
        if (r.n != n)
            fprintf(stderr, "%s acks=%s: read %zu of %zu\n", cases[c][0], cases[c][1], r.n, n);
        CU_ASSERT_EQUAL(r.n, n);
        /* acks=0: no offsets come back (-1), so only the messages are compared. */
        CU_ASSERT_EQUAL(check_readback(&r, 1, n, strcmp(cases[c][1], "0") ? &s : NULL), 0);
        if (!strcmp(cases[c][1], "0"))
            CU_ASSERT_EQUAL(s.offset[0], -1);
        readback_free(&r);
        kafka_producer_destroy(p);
        kafka_test_dr_free(&s);
    }
    stop_rdkafka_mock();
}

/* Several application threads on one producer (TSan in CI): each thread's messages
 * once, in its order within every partition. */
typedef struct app_s {
    kafka_producer_t *p;
    int src;
    size_t n;
} app_t;

static void *app_thread(void *arg) {
    app_t *a = arg;
    produce_range(a->p, "threads", a->src, 0, a->n, a->src % 2 == 0, (size_t)a->src * a->n);
    return NULL;
}

static void test_async_threads(void) {
    const char *bs = start_rdkafka_mock_logging(3, 0);
    rd_kafka_mock_topic_create(mc, "threads", 5, 3);
    const int nthreads = 4;
    const size_t per = 3000 / SCALE;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, (size_t)nthreads * per);
    const char *kv[] = {"linger.ms", "2", "batch.size", "4096", NULL};
    kafka_producer_t *p = producer(bs, kv, &s);
    pthread_t th[4];
    app_t a[4];
    for (int t = 0; t < nthreads; t++) {
        a[t] = (app_t){p, t, per};
        pthread_create(&th[t], NULL, app_thread, &a[t]);
    }
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    char err[256];
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 30000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), nthreads * (int)per);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    expect_readback(bs, "threads", 5, nthreads, per, &s);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    stop_rdkafka_mock();
}

/* Queue full (both behaviours) and the delivery timeout while the leader is down; the
 * reports name the cause and come within the configured time. */
static void test_async_bounds(void) {
    const char *bs = start_rdkafka_mock_logging(1, 0);
    rd_kafka_mock_topic_create(mc, "bounded", 1, 1);
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, 1000);
    const char *kv[] = {"queue.buffering.max.messages", "50", "queue.full.behavior", "error", "delivery.timeout.ms",
                        "1500", "request.timeout.ms", "1000", "linger.ms", "5", "message.max.bytes", "2000",
                        "retry.backoff.ms", "50", "reconnect.backoff.ms", "50", NULL};
    kafka_producer_t *p = producer(bs, kv, &s);
    char err[512];
    /* Known topic first (metadata), then the only broker goes away. */
    kafka_produce_msg_t m = {NULL, -1, "first", 5, NULL, 0, 0};
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "bounded", 0, &m, (void *)(intptr_t)1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 5000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(s.err[0], KAFKA_OK);
    /* Too large: at once, with the size and the limit. */
    char big[3000];
    memset(big, 'x', sizeof(big));
    kafka_produce_msg_t mb = {NULL, -1, big, (int32_t)sizeof(big), NULL, 0, 0};
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "bounded", 0, &mb, NULL, err, sizeof(err)), KAFKA_ERR__MSG_TOO_LARGE);
    CU_ASSERT(strstr(err, "message.max.bytes 2000") != NULL);
    rd_kafka_mock_broker_set_down(mc, 1);
    int64_t t0 = kafka_test_now_ms();
    int accepted = 0;
    kafka_err_t e = KAFKA_OK;
    for (int i = 1; i < 100 && !e; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "m%d", i);
        kafka_produce_msg_t mi = {NULL, -1, v, vl, NULL, 0, 0};
        e = kafka_producer_produce(p, "bounded", 0, &mi, (void *)(intptr_t)(i + 1), err, sizeof(err));
        if (!e)
            accepted++;
    }
    CU_ASSERT_EQUAL(e, KAFKA_ERR__QUEUE_FULL);
    CU_ASSERT_EQUAL(accepted, 50);
    CU_ASSERT(strstr(err, "queue.buffering.max.messages 50") != NULL);
    /* Nothing can be delivered: every report is a timeout naming the cause, on time. */
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 8000, err, sizeof(err)), KAFKA_OK);
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 1400 && took < 6000);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), 51);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 50);
    for (int i = 1; i <= 50; i++)
        CU_ASSERT_EQUAL(s.err[i], KAFKA_ERR__TIMED_OUT);
    CU_ASSERT(strstr(s.last_err, "delivery.timeout.ms 1500") != NULL);
    fprintf(stderr, "timeout report: %s\n", s.last_err);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);

    /* queue.full.behavior=block: produce waits queue.full.timeout.ms, then TIMED_OUT. */
    kafka_test_dr_init(&s, 1000);
    const char *kv2[] = {"queue.buffering.max.messages", "10", "queue.full.timeout.ms", "300", "delivery.timeout.ms",
                         "3000", "request.timeout.ms", "1000", NULL};
    p = producer(bs, kv2, &s);
    /* No metadata either: the first produce waits for it, at most queue.full.timeout.ms
     * (300, shorter than delivery.timeout.ms 3000), and says why. */
    t0 = kafka_test_now_ms();
    e = kafka_producer_produce(p, "bounded", 0, &m, (void *)(intptr_t)1, err, sizeof(err));
    took = kafka_test_now_ms() - t0;
    CU_ASSERT(e == KAFKA_ERR__TIMED_OUT || e == KAFKA_ERR__NO_KNOWN_BROKERS);
    CU_ASSERT(took >= 280 && took < 2000);
    rd_kafka_mock_broker_set_up(mc, 1);
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "bounded", 0, &m, (void *)(intptr_t)1, err, sizeof(err)), KAFKA_OK);
    rd_kafka_mock_broker_set_down(mc, 1);
    e = KAFKA_OK;
    for (int i = 1; i < 20 && !e; i++) {
        t0 = kafka_test_now_ms();
        e = kafka_producer_produce(p, "bounded", 0, &m, (void *)(intptr_t)(i + 1), err, sizeof(err));
    }
    took = kafka_test_now_ms() - t0;
    CU_ASSERT_EQUAL(e, KAFKA_ERR__TIMED_OUT);
    CU_ASSERT(took >= 280 && took < 2000);
    CU_ASSERT(strstr(err, "queue.full.timeout.ms") != NULL);
    /* Destroyed with messages outstanding: each gets a report saying so. */
    kafka_producer_destroy(p);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), 10);
    CU_ASSERT_EQUAL(s.err[1], KAFKA_ERR__DESTROYED);
    kafka_test_dr_free(&s);
    stop_rdkafka_mock();
}
/* librdkafka's mock does not enforce message.max.bytes, but answers injected
 * MSG_SIZE_TOO_LARGE: each refused batch is split and sent again; every message is
 * delivered once, in order, read back by librdkafka. */
static void test_async_split_on_too_large(void) {
    const char *bs = start_rdkafka_mock_logging(3, 0);
    rd_kafka_mock_topic_create(mc, "toolarge", 2, 3);
    const size_t n = 4000 / SCALE;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    const char *kv[] = {"linger.ms", "50", "batch.size", "1048576", "compression.type", "lz4", NULL};
    kafka_producer_t *p = producer(bs, kv, &s);
    rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    produce_range(p, "toolarge", 0, 0, n, false, 0);
    char err[256];
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 30000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.dups), 0);
    if (atomic_load(&s.failed))
        fprintf(stderr, "last failure: %s\n", s.last_err);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    CU_ASSERT(st.retries >= 3); /* a split per refusal */
    expect_readback(bs, "toolarge", 2, 1, n, &s);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    stop_rdkafka_mock();
}
#endif

/* Our mock (3 brokers), topics created only when asked or, with auto_create, on use. */
static kafka_mock_t *our_mock(bool auto_create) {
    kafka_mock_conf_t mconf;
    kafka_mock_conf_init(&mconf);
    mconf.brokers = 3;
    mconf.auto_create = auto_create;
    kafka_mock_t *m = kafka_mock_new(&mconf, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

/* Our mock: responses cut in half while producing asynchronously with idempotence;
 * retried under the same sequence, the broker keeps one copy of each. */
static void test_cut_responses_kept_once(void) {
    kafka_mock_t *m = our_mock(false);
    kafka_mock_topic_create(m, "idem", 2, 3);
    const size_t n = 5000;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    const char *kv[] = {"linger.ms", "2", "batch.size", "2048", "retry.backoff.ms", "20", "request.timeout.ms", "1000",
                        "delivery.timeout.ms", "20000", NULL};
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv, &s);
    for (size_t i = 0; i < n; i += 500) {
        if (i % 1000 == 0)
            kafka_mock_drop_next_response(m, KAFKA_API_PRODUCE, -1);
        produce_range(p, "idem", 0, i, 500, false, 0);
        kafka_test_sleep_ms(5);
    }
    char err[512];
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 30000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    int64_t ls, hw0, hw1;
    kafka_mock_partition_offsets(m, "idem", 0, &ls, &hw0);
    kafka_mock_partition_offsets(m, "idem", 1, &ls, &hw1);
    CU_ASSERT_EQUAL(hw0 + hw1, (int64_t)n);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    CU_ASSERT(st.retries >= 3); /* the cut responses were retried... */
    CU_ASSERT_EQUAL(st.producer_ids, 1); /* ...under the same producer id and sequences */
    /* Offsets from the reports: each partition's 0..hw-1 exactly once. */
    unsigned char *seen = calloc(n, 1);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t hw = s.partition[i] == 0 ? hw0 : hw1;
        if (s.offset[i] < 0 || s.offset[i] >= hw || seen[(size_t)(s.partition[i] == 0 ? 0 : hw0) + (size_t)s.offset[i]]++)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(seen);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    kafka_mock_destroy(m);
}

/* Unknown topic (auto-creation off): TIMED_OUT naming it, within delivery.timeout.ms. */
static void test_unknown_topic_times_out(void) {
    kafka_mock_t *m = our_mock(false);
    const char *kv1[] = {"delivery.timeout.ms", "1200", "request.timeout.ms", "500", "linger.ms", "0", NULL};
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv1, NULL);
    int64_t t0 = kafka_test_now_ms();
    kafka_produce_msg_t msg = {NULL, -1, "x", 1, NULL, 0, 0};
    char err[512];
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "missing", 0, &msg, NULL, err, sizeof(err)), KAFKA_ERR__TIMED_OUT);
    CU_ASSERT(strstr(err, "UNKNOWN_TOPIC_OR_PARTITION") != NULL);
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 1100 && took < 4000);
    kafka_producer_destroy(p);
    kafka_mock_destroy(m);
}

/* The broker forgets the producer (UNKNOWN_PRODUCER_ID) or sees a sequence gap
 * (OUT_OF_ORDER_SEQUENCE_NUMBER): a new producer id, sequences from 0, nothing lost
 * or doubled. Then a broker slower than request.timeout.ms: the requests time out,
 * the connection is dropped and the batches go again under their sequence numbers. */
static void test_new_producer_id_and_request_timeouts(void) {
    kafka_mock_t *m = our_mock(false);
    kafka_mock_topic_create(m, "pid", 1, 3);
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, 600);
    const char *kv4[] = {"linger.ms", "1", "retry.backoff.ms", "20", "request.timeout.ms", "300",
                         "delivery.timeout.ms", "20000", "reconnect.backoff.ms", "20", NULL};
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv4, &s);
    produce_range(p, "pid", 0, 0, 200, false, 0);
    char err[512];
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    kafka_mock_push_error(m, KAFKA_API_PRODUCE, -1, 1, KAFKA_ERR_UNKNOWN_PRODUCER_ID);
    produce_range(p, "pid", 0, 200, 200, false, 0);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    kafka_mock_push_error(m, KAFKA_API_PRODUCE, -1, 1, KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    produce_range(p, "pid", 0, 400, 100, false, 0);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    CU_ASSERT_EQUAL(st.producer_ids, 3);
    int32_t leader = -1;
    for (int id = 0; id < 10 && leader < 0; id++) /* every broker gets slow: the leader is one of them */
        if (kafka_mock_broker_port(m, id) >= 0)
            kafka_mock_broker_set_latency(m, id, 500);
    (void)leader;
    int64_t retries_before = st.retries;
    produce_range(p, "pid", 0, 500, 100, false, 0);
    kafka_test_sleep_ms(700);
    for (int id = 0; id < 10; id++)
        if (kafka_mock_broker_port(m, id) >= 0)
            kafka_mock_broker_set_latency(m, id, 0);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 15000, err, sizeof(err)), KAFKA_OK);
    kafka_producer_stats(p, &st);
    CU_ASSERT(st.retries > retries_before);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), 600);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    int64_t pls, phw;
    kafka_mock_partition_offsets(m, "pid", 0, &pls, &phw);
    CU_ASSERT_EQUAL(phw, 600);
    fprintf(stderr, "idempotence: %lld producer ids, %lld retries, hw %lld\n", (long long)st.producer_ids,
            (long long)st.retries, (long long)phw);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    kafka_mock_destroy(m);
}

/* A broker leaves the cluster: its worker retires, its partitions follow their new
 * leaders, nothing is lost; a broker joining gets a worker when it leads. */
static void test_broker_leaves(void) {
    kafka_mock_t *m = our_mock(true);
    kafka_mock_topic_create(m, "moving", 3, 3);
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, 3000);
    const char *kv3[] = {"linger.ms", "2", "retry.backoff.ms", "20", "request.timeout.ms", "1000",
                         "reconnect.backoff.ms", "20", "delivery.timeout.ms", "20000", NULL};
    kafka_producer_t *p = producer(kafka_mock_bootstrap(m), kv3, &s);
    char err[512];
    for (int32_t part = 0; part < 3; part++) {
        for (size_t i = 0; i < 500; i++) {
            char v[32];
            int vl = make_value(v, sizeof(v), 0, (size_t)part * 1000 + i);
            kafka_produce_msg_t mm = {NULL, -1, v, vl, NULL, 0, 0};
            CU_ASSERT_EQUAL(kafka_producer_produce(p, "moving", part, &mm, (void *)(intptr_t)(part * 1000 + (int)i + 1),
                                                   err, sizeof(err)), KAFKA_OK);
        }
    }
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    int64_t before = st.workers;
    int gone = 0; /* the first broker id (leaders are spread: it leads one partition) */
    while (kafka_mock_broker_port(m, gone) < 0 && gone < 10)
        gone++;
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, gone, true), KAFKA_OK);
    for (int32_t part = 0; part < 3; part++) {
        for (size_t i = 500; i < 1000; i++) {
            char v[32];
            int vl = make_value(v, sizeof(v), 0, (size_t)part * 1000 + i);
            kafka_produce_msg_t mm = {NULL, -1, v, vl, NULL, 0, 0};
            CU_ASSERT_EQUAL(kafka_producer_produce(p, "moving", part, &mm, (void *)(intptr_t)(part * 1000 + (int)i + 1),
                                                   err, sizeof(err)), KAFKA_OK);
        }
    }
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 15000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), 3000);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    /* The worker of the broker that left is retired at the next metadata. */
    int64_t deadline = kafka_test_now_ms() + 5000;
    do {
        kafka_producer_stats(p, &st);
        if (st.workers < before)
            break;
        kafka_test_sleep_ms(20);
    } while (kafka_test_now_ms() < deadline);
    fprintf(stderr, "workers: %lld before broker %d left, %lld after\n", (long long)before, gone,
            (long long)st.workers);
    CU_ASSERT_EQUAL(before, 3);
    CU_ASSERT_EQUAL(st.workers, 2);
    for (int32_t part = 0; part < 3; part++) {
        int64_t lso, hwm;
        kafka_mock_partition_offsets(m, "moving", part, &lso, &hwm);
        CU_ASSERT_EQUAL(hwm, 1000);
    }
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    kafka_mock_destroy(m);
}

/* Unreachable bootstrap: produce fails with NO_KNOWN_BROKERS naming the cause, quickly,
 * and last_error says the same. */
static void test_unreachable_bootstrap(void) {
    char bs[128];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", kafka_test_dead_port());
    const char *kv2[] = {"delivery.timeout.ms", "1000", "request.timeout.ms", "500", "linger.ms", "0", NULL};
    kafka_producer_t *p = producer(bs, kv2, NULL);
    int64_t t0 = kafka_test_now_ms();
    kafka_produce_msg_t msg = {NULL, -1, "x", 1, NULL, 0, 0};
    char err[512];
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "t", 0, &msg, NULL, err, sizeof(err)), KAFKA_ERR__NO_KNOWN_BROKERS);
    CU_ASSERT(kafka_test_now_ms() - t0 < 3000);
    CU_ASSERT(strstr(err, "refused") != NULL);
    char last[512];
    CU_ASSERT_EQUAL(kafka_producer_last_error(p, last, sizeof(last)), KAFKA_ERR__NO_KNOWN_BROKERS);
    CU_ASSERT(strstr(last, "refused") != NULL);
    kafka_producer_destroy(p);
}

static CU_TestInfo tests[] = {
#ifdef KAFKA_HAVE_RDKAFKA
    {"keyed and unkeyed messages read back by librdkafka", test_async_read_back},
    {"faults with acks=all: exactly once, in order", test_async_faults_exactly_once},
    {"several application threads", test_async_threads},
    {"every codec, acks 0/1/all", test_async_codecs_and_acks},
    {"queue full, too large, delivery timeout, destroy", test_async_bounds},
    {"MSG_SIZE_TOO_LARGE: split, exactly once, in order", test_async_split_on_too_large},
#endif
    {"our mock: cut responses retried, one copy each (idempotence)", test_cut_responses_kept_once},
    {"our mock: unknown topic times out naming it", test_unknown_topic_times_out},
    {"our mock: new producer id after UNKNOWN_PRODUCER_ID / sequence gap; request timeouts",
     test_new_producer_id_and_request_timeouts},
    {"our mock: a broker leaves, its worker retires, nothing lost", test_broker_leaves},
    {"unreachable bootstrap: NO_KNOWN_BROKERS naming the cause", test_unreachable_bootstrap},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("producer_async", tests)
