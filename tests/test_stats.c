/* statistics.interval.ms: a producer hands its counters to the stats callback about
 * every interval, never faster, with delivered reaching what was produced; with 0 (the
 * default) it never calls it, and after destroy it calls it no more. A consumer does the
 * same with its own callback, and its counters match a known workload on our mock:
 * messages and bytes polled, Fetch requests and errors, connections lost and opened,
 * resets and the offsets they skipped, commits stored and failed, and the buffer, the
 * assignment and the lag as they are. Request statistics (kafka/reqstats.h) count a
 * known workload's requests, responses, errors and latencies per API. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"

#define NMSGS 50

typedef struct stats_seen_s {
    /* Set once created: the callback reads the client's stats too. */
    _Atomic(kafka_producer_t *) p;
    _Atomic(kafka_consumer_t *) c;
    atomic_int calls, overlapping, backwards;
    atomic_int busy;
    atomic_llong last; /* the last call's delivered (producer) or messages (consumer) */
} stats_seen_t;

/* The counter the calls report, read from the client during a call (the documented use:
 * it does not deadlock); -1 before the client is set. */
static int64_t counter_now(stats_seen_t *s) {
    kafka_producer_t *p = atomic_load(&s->p);
    kafka_consumer_t *c = atomic_load(&s->c);
    kafka_producer_stats_t pst;
    kafka_consumer_stats_t cst;
    if (p) {
        kafka_producer_stats(p, &pst);
        return pst.delivered;
    }
    if (c) {
        kafka_consumer_stats(c, &cst);
        return cst.messages;
    }
    return -1;
}

/* One call reporting value: one call at a time, and never backwards. */
static void seen_call(stats_seen_t *s, int64_t value) {
    if (atomic_fetch_add(&s->busy, 1) != 0)
        atomic_fetch_add(&s->overlapping, 1);
    int64_t now = counter_now(s);
    if (value < atomic_load(&s->last) || (now >= 0 && now < value))
        atomic_fetch_add(&s->backwards, 1);
    atomic_store(&s->last, value);
    atomic_fetch_add(&s->calls, 1);
    atomic_fetch_sub(&s->busy, 1);
}

static void on_stats(const kafka_producer_stats_t *st, void *opaque) { seen_call(opaque, st->delivered); }

static void on_consumer_stats(const kafka_consumer_stats_t *st, void *opaque) { seen_call(opaque, st->messages); }

/* After the client's destroy, start being when it was made with interval 100: each call
 * came at least an interval after the previous one (at most elapsed / 100 + 1 of them;
 * twice that leaves room for clock granularity), one at a time, never backwards, and
 * none comes later. */
static void check_schedule(stats_seen_t *s, int64_t start) {
    int64_t elapsed = kafka_test_now_ms() - start;
    int calls = atomic_load(&s->calls);
    CU_ASSERT(calls <= 2 * (elapsed / 100) + 2);
    CU_ASSERT_EQUAL(atomic_load(&s->overlapping), 0);
    CU_ASSERT_EQUAL(atomic_load(&s->backwards), 0);
    kafka_test_sleep_ms(300);
    CU_ASSERT_EQUAL(atomic_load(&s->calls), calls);
}

static kafka_producer_t *stats_producer(kafka_mock_t *m, const char *interval, stats_seen_t *s) {
    char err[512];
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, "bootstrap.servers", kafka_mock_bootstrap(m), err, sizeof(err)),
                          KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, "statistics.interval.ms", interval, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err)), KAFKA_OK);
    kafka_conf_set_stats_cb(conf, on_stats, s);
    /* The producer keeps a copy's callback: the application's conf may go. */
    kafka_conf_t *dup = kafka_conf_dup(conf);
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
    kafka_producer_t *p = kafka_producer_new(dup, err, sizeof(err));
    kafka_conf_destroy(dup);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    atomic_store(&s->p, p);
    return p;
}

static void produce_all(kafka_producer_t *p) {
    char err[512];
    for (int i = 0; i < NMSGS; i++) {
        char v[32];
        int n = snprintf(v, sizeof(v), "m%d", i);
        kafka_produce_msg_t msg = {.value = v, .value_len = (size_t)n};
        CU_ASSERT_EQUAL_FATAL(kafka_producer_produce(p, "t", KAFKA_PARTITION_ANY, &msg, NULL, err, sizeof(err)),
                              KAFKA_OK);
    }
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 15000, err, sizeof(err)), KAFKA_OK);
}

static kafka_mock_t *one_broker(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "t", 2, 1), KAFKA_OK);
    return m;
}

static void test_periodic(void) {
    kafka_mock_t *m = one_broker();
    static stats_seen_t s;
    int64_t start = kafka_test_now_ms();
    kafka_producer_t *p = stats_producer(m, "100", &s);
    produce_all(p);
    /* Generous bounds: a loaded machine (or TSan) delays calls, never hastens them. */
    int64_t until = kafka_test_now_ms() + 10000;
    while ((atomic_load(&s.calls) < 3 || atomic_load(&s.last) < NMSGS) && kafka_test_now_ms() < until)
        kafka_test_sleep_ms(10);
    CU_ASSERT(atomic_load(&s.calls) >= 3);
    CU_ASSERT_EQUAL(atomic_load(&s.last), NMSGS);
    kafka_producer_destroy(p);
    check_schedule(&s, start);
    kafka_mock_destroy(m);
}

static void test_disabled(void) {
    kafka_mock_t *m = one_broker();
    static stats_seen_t s;
    kafka_producer_t *p = stats_producer(m, "0", &s);
    produce_all(p);
    kafka_test_sleep_ms(400);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    CU_ASSERT_EQUAL(st.delivered, NMSGS);
    kafka_producer_destroy(p);
    CU_ASSERT_EQUAL(atomic_load(&s.calls), 0);
    kafka_mock_destroy(m);
}

/* ---- the consumer ---- */

/* n messages to partition of t, each its own batch (flushed alone), so that retention
 * drops them one at a time. */
static void produce_to(kafka_producer_t *p, int32_t partition, int n) {
    char err[512];
    for (int i = 0; i < n; i++) {
        kafka_produce_msg_t msg = {.value = "v", .value_len = 1};
        CU_ASSERT_EQUAL_FATAL(kafka_producer_produce(p, "t", partition, &msg, NULL, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(kafka_producer_flush(p, 15000, err, sizeof(err)), KAFKA_OK);
    }
}

/* A consumer that resets to earliest and commits only when asked, into offsets_file. */
static kafka_consumer_t *stats_consumer(kafka_mock_t *m, const char *interval, const char *offsets_file,
                                        stats_seen_t *s) {
    const char *kv[] = {"statistics.interval.ms", interval, "auto.offset.reset", "earliest", "enable.auto.commit",
                        "false", "offsets.storage", "file", "offsets.file", offsets_file, NULL};
    kafka_conf_t *conf = kafka_test_conf(kafka_mock_bootstrap(m), kv);
    kafka_conf_set_consumer_stats_cb(conf, on_consumer_stats, s);
    char err[512];
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    atomic_store(&s->c, c);
    return c;
}

/* Reads c's stats into st until cond holds, for 10 s at most. */
#define WAIT_STATS(c, st, cond)                                                                                   \
    for (int64_t until_ = kafka_test_now_ms() + 10000; kafka_consumer_stats((c), &(st)), !(cond) &&             \
                                                       kafka_test_now_ms() < until_;)                             \
    kafka_test_sleep_ms(10)

/* Polls c, 7 messages at most at a time, until want came (10 s at most); how many came. */
static int poll_n(kafka_consumer_t *c, int want) {
    kafka_message_t *msgs[7];
    char err[512];
    int got = 0;
    for (int64_t until = kafka_test_now_ms() + 10000; got < want && kafka_test_now_ms() < until;) {
        size_t n = 0;
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 100, msgs, 7, &n, err, sizeof(err)), KAFKA_OK);
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
        got += (int)n;
    }
    return got;
}

static void test_consumer_counters(void) {
    kafka_mock_t *m = one_broker();
    static stats_seen_t ps, s;
    kafka_producer_t *p = stats_producer(m, "0", &ps);
    produce_to(p, 0, 20);
    produce_to(p, 1, 30);
    char dir[] = "/tmp/kafka_test_stats_XXXXXX", file[64], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/offsets", dir);
    int64_t start = kafka_test_now_ms();
    kafka_consumer_t *c = stats_consumer(m, "100", file, &s);
    kafka_consumer_stats_t st, zero = {0};
    kafka_consumer_stats(c, &st);
    CU_ASSERT(memcmp(&st, &zero, sizeof(st)) == 0);

    /* Everything is fetched ahead (far below the buffer's bounds) and waits for poll(). */
    kafka_topic_partition_t tps[] = {{"t", 0, KAFKA_OFFSET_BEGINNING}, {"t", 1, KAFKA_OFFSET_BEGINNING}};
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, 2, err, sizeof(err)), KAFKA_OK);
    WAIT_STATS(c, st, st.buffered_messages == 50 && st.lag == 50);
    CU_ASSERT_EQUAL(st.buffered_messages, 50);
    CU_ASSERT(st.buffered_bytes >= 50 * 61); /* 50 batches, each with a 61-byte header */
    CU_ASSERT_EQUAL(st.lag, 50);
    CU_ASSERT_EQUAL(st.max_lag, 30);
    CU_ASSERT_EQUAL(st.messages, 0);
    CU_ASSERT_EQUAL(st.bytes, 0);
    CU_ASSERT_EQUAL(st.assigned, 2);
    CU_ASSERT_EQUAL(st.failed, 0);
    CU_ASSERT_EQUAL(st.fetchers, 1);
    CU_ASSERT_EQUAL(st.connects, 1);
    CU_ASSERT_EQUAL(st.disconnects, 0);
    CU_ASSERT(st.fetch_requests >= 1);
    CU_ASSERT_EQUAL(st.fetch_errors, 0);
    CU_ASSERT_EQUAL(st.offset_resets, 0);
    int64_t fetched = st.buffered_bytes;

    /* Polled 7 at a time: a response's bytes count once all its messages came. */
    CU_ASSERT_EQUAL(poll_n(c, 50), 50);
    kafka_consumer_stats(c, &st);
    CU_ASSERT_EQUAL(st.messages, 50);
    CU_ASSERT_EQUAL(st.bytes, fetched);
    CU_ASSERT_EQUAL(st.buffered_messages, 0);
    CU_ASSERT_EQUAL(st.buffered_bytes, 0);
    CU_ASSERT_EQUAL(st.lag, 0);
    CU_ASSERT_EQUAL(st.max_lag, 0);

    /* A commit stored; then one that fails (its directory is gone). */
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_OK);
    produce_to(p, 0, 5);
    CU_ASSERT_EQUAL(poll_n(c, 5), 5);
    CU_ASSERT_EQUAL(unlink(file), 0);
    CU_ASSERT_EQUAL(rmdir(dir), 0);
    CU_ASSERT_NOT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_OK);
    kafka_consumer_stats(c, &st);
    CU_ASSERT_EQUAL(st.messages, 55);
    CU_ASSERT_EQUAL(st.commits, 1);
    CU_ASSERT_EQUAL(st.commit_failures, 1);

    /* Past the end of partition 1: OFFSET_OUT_OF_RANGE, reset back to 0, nothing skipped. */
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "t", 1, 1000, err, sizeof(err)), KAFKA_OK);
    WAIT_STATS(c, st, st.offset_resets == 1);
    CU_ASSERT_EQUAL(st.offset_resets, 1);
    CU_ASSERT_EQUAL(st.offsets_skipped, 0);
    CU_ASSERT_EQUAL(st.fetch_errors, 1);
    /* Below the log start of partition 0 (retention keeps its last batch): forward to 25,
     * past 0..24. */
    CU_ASSERT_EQUAL(kafka_mock_set_retention(m, 1), KAFKA_OK);
    produce_to(p, 0, 1);
    int64_t log_start = -1, hw = -1;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "t", 0, &log_start, &hw), KAFKA_OK);
    CU_ASSERT(log_start == 25 && hw == 26);
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "t", 0, 0, err, sizeof(err)), KAFKA_OK);
    WAIT_STATS(c, st, st.offset_resets == 2);
    CU_ASSERT_EQUAL(st.offset_resets, 2);
    CU_ASSERT_EQUAL(st.offsets_skipped, 25);
    CU_ASSERT_EQUAL(st.fetch_errors, 2);

    /* The broker goes down and comes back: the fetcher's connection is lost once and
     * opened again; its requests fail meanwhile. */
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, 1, true), KAFKA_OK);
    WAIT_STATS(c, st, st.disconnects >= 1);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, 1, false), KAFKA_OK);
    WAIT_STATS(c, st, st.connects >= 2);
    CU_ASSERT_EQUAL(st.connects, 2);
    CU_ASSERT_EQUAL(st.disconnects, 1);
    CU_ASSERT(st.fetch_errors > 2);

    /* An error no retry mends stops the partitions of the next Fetch. */
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_FETCH, -1, 1, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED), KAFKA_OK);
    WAIT_STATS(c, st, st.failed >= 1);
    CU_ASSERT(st.failed >= 1 && st.failed <= 2);
    CU_ASSERT_EQUAL(st.assigned, 2);

    /* The callback saw the counters as they are now, about every 100 ms. */
    int64_t until = kafka_test_now_ms() + 10000;
    while ((atomic_load(&s.calls) < 3 || atomic_load(&s.last) < 55) && kafka_test_now_ms() < until)
        kafka_test_sleep_ms(10);
    CU_ASSERT(atomic_load(&s.calls) >= 3);
    CU_ASSERT_EQUAL(atomic_load(&s.last), 55);
    kafka_consumer_destroy(c);
    check_schedule(&s, start);
    kafka_producer_destroy(p);
    CU_ASSERT_EQUAL(atomic_load(&ps.calls), 0);
    kafka_mock_destroy(m);
}

/* One conf with both callbacks: each client calls its own; with
 * statistics.interval.ms=0 a consumer calls none. */
static void test_each_its_own(void) {
    kafka_mock_t *m = one_broker();
    static stats_seen_t ps, cs;
    const char *kv[] = {"statistics.interval.ms", "100", NULL};
    kafka_conf_t *conf = kafka_test_conf(kafka_mock_bootstrap(m), kv);
    kafka_conf_set_stats_cb(conf, on_stats, &ps);
    kafka_conf_set_consumer_stats_cb(conf, on_consumer_stats, &cs);
    char err[512];
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int64_t until = kafka_test_now_ms() + 10000;
    while (atomic_load(&cs.calls) < 2 && kafka_test_now_ms() < until)
        kafka_test_sleep_ms(10);
    CU_ASSERT(atomic_load(&cs.calls) >= 2);
    kafka_consumer_destroy(c);
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    until = kafka_test_now_ms() + 10000;
    while (atomic_load(&ps.calls) < 2 && kafka_test_now_ms() < until)
        kafka_test_sleep_ms(10);
    CU_ASSERT(atomic_load(&ps.calls) >= 2);
    kafka_producer_destroy(p);
    int consumer_calls = atomic_load(&cs.calls), producer_calls = atomic_load(&ps.calls);

    CU_ASSERT_EQUAL(kafka_conf_set(conf, "statistics.interval.ms", "0", err, sizeof(err)), KAFKA_OK);
    c = kafka_consumer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_topic_partition_t tp = {"t", 0, KAFKA_OFFSET_BEGINNING};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    kafka_test_sleep_ms(400);
    kafka_consumer_destroy(c);
    CU_ASSERT_EQUAL(atomic_load(&cs.calls), consumer_calls);
    CU_ASSERT_EQUAL(atomic_load(&ps.calls), producer_calls);
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

/* The row of api_key in rows[0..n), or NULL. */
static const kafka_request_stats_t *row_of(const kafka_request_stats_t *rows, size_t n, int16_t api_key) {
    for (size_t i = 0; i < n; i++)
        if (rows[i].api_key == api_key)
            return &rows[i];
    return NULL;
}

static int64_t errors_of(const kafka_request_error_t *rows, size_t n, int16_t api_key, kafka_err_t err) {
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].api_key == api_key && rows[i].err == err)
            c += rows[i].count;
    return c;
}

/* Request statistics against a known workload on one broker: 20 synchronous sends,
 * each one ProduceRequest; 3 answered NOT_LEADER_OR_FOLLOWER (retried: 3 more
 * requests), one response cut by the mock (a transport error, the batch sent again and
 * deduplicated: 20 messages read back);
 * every response in exactly one latency bucket; a consumer's Fetches counted apart. */
static void test_request_stats(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *kv[] = {"linger.ms", "0", "retry.backoff.ms", "10", "reconnect.backoff.ms", "10", NULL};
    kafka_conf_t *conf = kafka_test_conf(kafka_mock_bootstrap(m), kv);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_produce_msg_t msg = {.value = "v", .value_len = 1};
    CU_ASSERT_EQUAL(kafka_producer_send(p, "rs", 0, &msg, 1, NULL, NULL, err, sizeof(err)), KAFKA_OK); /* topic made */
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_PRODUCE, -1, 3, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER), KAFKA_OK);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(kafka_producer_send(p, "rs", 0, &msg, 1, NULL, NULL, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_drop_next_response(m, KAFKA_API_PRODUCE, -1), KAFKA_OK);
    for (int i = 0; i < 9; i++)
        CU_ASSERT_EQUAL(kafka_producer_send(p, "rs", 0, &msg, 1, NULL, NULL, err, sizeof(err)), KAFKA_OK);
    kafka_request_stats_t rows[64];
    kafka_request_error_t errs[64];
    size_t n = kafka_producer_request_stats(p, rows, 64), ne = kafka_producer_request_errors(p, errs, 64);
    CU_ASSERT_FATAL(n > 0 && n <= 64 && ne <= 64);
    const kafka_request_stats_t *pr = row_of(rows, n, KAFKA_API_PRODUCE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
    char want_broker[64];
    snprintf(want_broker, sizeof(want_broker), "127.0.0.1:%d", kafka_mock_broker_port(m, 1));
    CU_ASSERT_STRING_EQUAL(pr->broker, want_broker);
    /* 20 sends + 3 retries + 1 resend after the cut */
    CU_ASSERT_EQUAL(pr->requests, 24);
    CU_ASSERT_EQUAL(pr->responses, 23);
    CU_ASSERT_EQUAL(errors_of(errs, ne, KAFKA_API_PRODUCE, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER), 3);
    int64_t transport = 0;
    for (size_t i = 0; i < ne; i++)
        if (errs[i].api_key == KAFKA_API_PRODUCE && errs[i].err != KAFKA_ERR_NOT_LEADER_OR_FOLLOWER)
            transport += errs[i].count;
    CU_ASSERT_EQUAL(transport, 1);
    CU_ASSERT_EQUAL(pr->errors, 4);
    int64_t in_buckets = 0;
    for (int k = 0; k < KAFKA_LATENCY_BUCKETS; k++)
        in_buckets += pr->latency[k];
    CU_ASSERT_EQUAL(in_buckets, pr->responses);
    CU_ASSERT(pr->latency_sum_s > 0 && pr->latency_sum_s < 23 * 1.0);
    const kafka_request_stats_t *md = row_of(rows, n, KAFKA_API_METADATA);
    CU_ASSERT(md && md->requests >= 1 && md->responses >= 1);
    const kafka_request_stats_t *av = row_of(rows, n, KAFKA_API_API_VERSIONS);
    CU_ASSERT(av && av->requests >= 2); /* the metadata connection's and the worker's, and the reconnect's */
    CU_ASSERT_PTR_NULL(row_of(rows, n, KAFKA_API_FETCH));
    /* a row count larger than max is said, rows past it untouched */
    CU_ASSERT_EQUAL(kafka_producer_request_stats(p, rows, 1), n);
    kafka_producer_stats_t ps;
    kafka_producer_stats(p, &ps);
    CU_ASSERT_EQUAL(ps.retries, 4);
    CU_ASSERT_EQUAL(ps.retried_messages, 4); /* one message a batch */
    CU_ASSERT_EQUAL(ps.connects, 2);         /* the first, and after the cut */
    CU_ASSERT_EQUAL(ps.disconnects, 1);
    kafka_producer_destroy(p);

    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_topic_partition_t tp = {"rs", 0, KAFKA_OFFSET_BEGINNING};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *got[64];
    size_t total = 0, k;
    for (int64_t until = kafka_test_now_ms() + 10000; total < 20 && kafka_test_now_ms() < until;) {
        if (kafka_consumer_poll(c, 100, got, 64, &k, err, sizeof(err)) == KAFKA_OK)
            for (size_t i = 0; i < k; i++, total++)
                kafka_message_destroy(got[i]);
    }
    CU_ASSERT_EQUAL(total, 20);
    if (total != 20)
        fprintf(stderr, "consumed %zu\n", total);
    n = kafka_consumer_request_stats(c, rows, 64);
    const kafka_request_stats_t *fe = row_of(rows, n, KAFKA_API_FETCH);
    CU_ASSERT(fe && fe->requests >= 1 && fe->responses >= 1 && fe->errors == 0);
    CU_ASSERT_PTR_NULL(row_of(rows, n, KAFKA_API_PRODUCE));
    kafka_partition_lag_t lags[2];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_lags(c, lags, 2), 1);
    CU_ASSERT_STRING_EQUAL(lags[0].topic, "rs");
    CU_ASSERT_EQUAL(lags[0].partition, 0);
    CU_ASSERT_EQUAL(lags[0].position, 20);
    CU_ASSERT_EQUAL(lags[0].high_watermark, 20);
    CU_ASSERT_EQUAL(lags[0].lag, 0);
    kafka_consumer_destroy(c);
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"statistics.interval.ms=100: calls about every 100 ms, delivered reaches the count", test_periodic},
    {"statistics.interval.ms=0: never called", test_disabled},
    {"consumer: counters of a known workload (poll, fetch, resets, commits, reconnect, failure, lag); "
     "the callback every 100 ms, none after destroy",
     test_consumer_counters},
    {"one conf with both callbacks: each client calls its own; interval 0: the consumer calls none",
     test_each_its_own},
    {"request statistics: Produce requests, responses, errors by code and a cut connection, latency buckets; "
     "retried messages, connects and disconnects; a consumer's Fetches and its lag per partition",
     test_request_stats},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("stats", tests)
