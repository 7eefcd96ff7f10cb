/* statistics.interval.ms: a producer hands its counters to the stats callback about
 * every interval, never faster, with delivered reaching what was produced; with 0 (the
 * default) it never calls it, and after destroy it calls it no more. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"

#define NMSGS 50

typedef struct stats_seen_s {
    _Atomic(kafka_producer_t *) p; /* set once created: the callback reads its stats too */
    atomic_int calls, overlapping, backwards;
    atomic_int busy;
    atomic_llong delivered; /* the last call's */
} stats_seen_t;

static void on_stats(const kafka_producer_stats_t *st, void *opaque) {
    stats_seen_t *s = opaque;
    if (atomic_fetch_add(&s->busy, 1) != 0)
        atomic_fetch_add(&s->overlapping, 1);
    if (st->delivered < atomic_load(&s->delivered))
        atomic_fetch_add(&s->backwards, 1);
    atomic_store(&s->delivered, st->delivered);
    /* The documented use: reading the client from the callback does not deadlock. */
    kafka_producer_t *p = atomic_load(&s->p);
    if (p) {
        kafka_producer_stats_t now;
        kafka_producer_stats(p, &now);
        if (now.delivered < st->delivered)
            atomic_fetch_add(&s->backwards, 1);
    }
    atomic_fetch_add(&s->calls, 1);
    atomic_fetch_sub(&s->busy, 1);
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
    while ((atomic_load(&s.calls) < 3 || atomic_load(&s.delivered) < NMSGS) && kafka_test_now_ms() < until)
        kafka_test_sleep_ms(10);
    CU_ASSERT(atomic_load(&s.calls) >= 3);
    CU_ASSERT_EQUAL(atomic_load(&s.delivered), NMSGS);
    kafka_producer_destroy(p);
    int64_t elapsed = kafka_test_now_ms() - start;
    int calls = atomic_load(&s.calls);
    /* Each call comes at least an interval after the previous one: at most elapsed / 100
     * + 1 of them; twice that leaves room for clock granularity. */
    CU_ASSERT(calls <= 2 * (elapsed / 100) + 2);
    CU_ASSERT_EQUAL(atomic_load(&s.overlapping), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.backwards), 0);
    /* destroy returned: no call runs now, and none comes later. */
    kafka_test_sleep_ms(300);
    CU_ASSERT_EQUAL(atomic_load(&s.calls), calls);
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

static CU_TestInfo tests[] = {
    {"statistics.interval.ms=100: calls about every 100 ms, delivered reaches the count", test_periodic},
    {"statistics.interval.ms=0: never called", test_disabled},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("stats", tests)
