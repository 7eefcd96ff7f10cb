/* The consumer loop keeps every partition moving and commits in order, on our mock
 * with librdkafka-produced data (rdk_data.h): a partition needing auto.offset.reset
 * beside a busy one, new data of a caught-up partition while another waits for room,
 * a reset whose ListOffsets keeps failing (destroy does not wait; a non-retriable error
 * is reported), poll() while another thread commits synchronously against a slow
 * broker, and an older asynchronous commit that must not land after assign's. Each
 * case failed before the fix it came with. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

/* Polls up to want messages within ms, destroying them; returns how many came. */
static int take(kafka_consumer_t *c, int want, int ms) {
    int got = 0;
    int64_t until = kafka_test_now_ms() + ms;
    while (got < want && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[64];
        size_t n;
        char err[512];
        size_t max = (size_t)(want - got) < 64 ? (size_t)(want - got) : 64;
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, max, &n, err, sizeof(err));
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        if (e)
            fprintf(stderr, "poll: %s\n", err);
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
        got += (int)n;
    }
    return got;
}

static kafka_mock_t *mock_with(const char *topic, int parts, int messages, const char **bs) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    *bs = kafka_mock_bootstrap(m);
    kafka_mock_topic_create(m, topic, parts, 1);
    rd_kafka_t *rk = rd_producer(*bs, "none", "0");
    rdk_produce(rk, topic, parts, 0, messages);
    rd_kafka_destroy(rk);
    return m;
}

/* A partition past its end (auto.offset.reset=earliest) is reset and read although a
 * partition of the same broker has data all the time. */
static void test_reset_beside_busy(void) {
    const char *bs;
    kafka_mock_t *m = mock_with("rs", 2, 40, &bs);
    const char *kv[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[2] = {{"rs", 0, 100}, {"rs", 1, KAFKA_OFFSET_BEGINNING}};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, 2, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(take(c, 40, 5000), 40);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "rs", 0), 20);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "rs", 1), 20);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* New data of a caught-up partition comes soon while another partition of its broker
 * waits for room (the application is slow): the fetch for the caught-up one is not
 * held back until the other drains. */
static void test_fresh_data_while_held(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_mock_topic_create(m, "fs", 2, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    for (int i = 0; i < 20000; i++)
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("fs"), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("small-value", 11),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    CU_ASSERT_EQUAL(rd_kafka_flush(rk, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    const char *kv[] = {"max.partition.fetch.bytes", "100000", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[2] = {{"fs", 0, KAFKA_OFFSET_BEGINNING}, {"fs", 1, KAFKA_OFFSET_BEGINNING}};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, 2, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *msg;
    size_t n;
    int64_t until = kafka_test_now_ms() + 5000;
    while (kafka_consumer_high_watermark(c, "fs", 1) < 0 && kafka_test_now_ms() < until)
        kafka_consumer_poll(c, 10, &msg, 0, &n, err, sizeof(err));
    kafka_test_sleep_ms(300); /* p0 fills its share and waits for room */
    CU_ASSERT(kafka_consumer_buffered_bytes(c) >= 100000);
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("fs"), RD_KAFKA_V_PARTITION(1), RD_KAFKA_V_VALUE("fresh", 5),
                      RD_KAFKA_V_END);
    CU_ASSERT_EQUAL(rd_kafka_flush(rk, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int64_t t0 = kafka_test_now_ms(), seen = -1;
    int p0 = 0;
    while (seen < 0 && kafka_test_now_ms() - t0 < 20000) {
        kafka_consumer_poll(c, 100, &msg, 1, &n, err, sizeof(err));
        if (n) {
            if (kafka_message_partition(msg) == 1)
                seen = kafka_test_now_ms() - t0;
            else
                p0++;
            kafka_message_destroy(msg);
        }
        kafka_test_sleep_ms(2); /* the application's work per message */
    }
    if (seen < 0 || seen >= 1500)
        fprintf(stderr, "fs/1's new message came after %lld ms (%d of fs/0 before it)\n", (long long)seen, p0);
    CU_ASSERT(seen >= 0 && seen < 1500);
    kafka_consumer_destroy(c);
    rd_kafka_destroy(rk);
    kafka_mock_destroy(m);
}

/* auto.offset.reset whose ListOffsets keeps failing: retried with backoff, destroy does
 * not wait for it; a non-retriable failure is reported once by poll, naming the reset. */
static void test_reset_failing(void) {
    const char *bs;
    kafka_mock_t *m = mock_with("dr", 1, 10, &bs);
    const char *kv[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_mock_push_error(m, KAFKA_API_LIST_OFFSETS, -1, 100000, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER);
    kafka_topic_partition_t tp = {"dr", 0, 100};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *msgs[4];
    size_t n;
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 700, msgs, 4, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(kafka_consumer_last_errorcode(c), KAFKA_ERR_NOT_LEADER_OR_FOLLOWER);
    int64_t t0 = kafka_test_now_ms();
    kafka_consumer_destroy(c);
    CU_ASSERT(kafka_test_now_ms() - t0 < 500);
    kafka_mock_destroy(m);

    m = mock_with("da", 1, 10, &bs);
    c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tpa = {"da", 0, 100};
    /* Before assign: the reset's ListOffsets may go before assign returns. */
    kafka_mock_push_error(m, KAFKA_API_LIST_OFFSETS, -1, 100000, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tpa, 1, err, sizeof(err)), KAFKA_OK);
    kafka_err_t e = KAFKA_OK;
    for (int i = 0; i < 30 && !e; i++)
        e = kafka_consumer_poll(c, 100, msgs, 4, &n, err, sizeof(err));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
    CU_ASSERT(strstr(err, "auto.offset.reset=earliest of da/0") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 200, msgs, 4, &n, err, sizeof(err)), KAFKA_OK); /* once */
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* poll() does not wait for a synchronous commit of another thread (a slow broker). */
static kafka_consumer_t *committing;
static void *commit_sync(void *arg) {
    (void)arg;
    char err[256];
    kafka_consumer_commit_positions(committing, false, err, sizeof(err));
    return NULL;
}

static void test_poll_during_commit(void) {
    const char *bs;
    kafka_mock_t *m = mock_with("pb", 1, 30, &bs);
    const char *kv[] = {"group.id", "g-poll", "auto.commit.interval.ms", "0", NULL};
    kafka_consumer_t *c = committing = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tp = {"pb", 0, KAFKA_OFFSET_BEGINNING};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(take(c, 10, 3000), 10);
    kafka_test_sleep_ms(200); /* everything fetched */
    kafka_mock_broker_set_latency(m, 1, 1000);
    CU_ASSERT_EQUAL(take(c, 5, 3000), 5); /* an auto commit is on its way now */
    kafka_test_sleep_ms(50);
    pthread_t t;
    pthread_create(&t, NULL, commit_sync, NULL);
    kafka_test_sleep_ms(50);
    kafka_message_t *msgs[4];
    size_t n;
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 0, msgs, 4, &n, err, sizeof(err)), KAFKA_OK);
    int64_t took = kafka_test_now_ms() - t0;
    if (took >= 300)
        fprintf(stderr, "poll(0) took %lld ms\n", (long long)took);
    CU_ASSERT(took < 300);
    CU_ASSERT_EQUAL(n, 4);
    for (size_t i = 0; i < n; i++)
        kafka_message_destroy(msgs[i]);
    pthread_join(t, NULL);
    kafka_mock_broker_set_latency(m, 1, 0);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Async commits A (being stored) and B (waiting), then assign() commits synchronously
 * as p0 leaves: B is older and must not be stored after it; every callback comes. */
static int callbacks;
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static void on_commit(kafka_consumer_t *c, kafka_err_t err, const char *errstr, const kafka_topic_partition_t *tps,
                      size_t n, void *opaque) {
    (void)c, (void)errstr, (void)tps, (void)n, (void)opaque;
    CU_ASSERT_EQUAL(err, KAFKA_OK);
    pthread_mutex_lock(&cb_lock);
    callbacks++;
    pthread_mutex_unlock(&cb_lock);
}

static void test_commit_order(void) {
    const char *bs;
    kafka_mock_t *m = mock_with("cb", 2, 60, &bs);
    const char *kv[] = {"group.id", "g-order", "auto.commit.interval.ms", "600000", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_consumer_set_commit_cb(c, on_commit, NULL);
    callbacks = 0;
    kafka_topic_partition_t tp = {"cb", 0, KAFKA_OFFSET_BEGINNING};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(take(c, 10, 3000), 10);
    kafka_test_sleep_ms(200);
    kafka_mock_broker_set_latency(m, 1, 500);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, true, err, sizeof(err)), KAFKA_OK); /* A: 10 */
    kafka_test_sleep_ms(50);
    CU_ASSERT_EQUAL(take(c, 10, 3000), 10);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, true, err, sizeof(err)), KAFKA_OK); /* B: 20, waits */
    CU_ASSERT_EQUAL(take(c, 10, 3000), 10);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "cb", 0), 30);
    kafka_topic_partition_t other = {"cb", 1, 0};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &other, 1, err, sizeof(err)), KAFKA_OK); /* stores 30 */
    int64_t until = kafka_test_now_ms() + 10000;
    int seen = 0;
    while (seen < 2 && kafka_test_now_ms() < until) {
        kafka_test_sleep_ms(20);
        pthread_mutex_lock(&cb_lock);
        seen = callbacks;
        pthread_mutex_unlock(&cb_lock);
    }
    CU_ASSERT_EQUAL(seen, 2);
    kafka_mock_broker_set_latency(m, 1, 0);
    int64_t off = -2;
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "cb", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 30);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}
#endif

static CU_TestInfo tests[] = {
#ifdef KAFKA_HAVE_RDKAFKA
    {"a partition to reset beside a busy one is reset and read", test_reset_beside_busy},
    {"new data of a caught-up partition while another waits for room", test_fresh_data_while_held},
    {"a failing reset: destroy does not wait; a final error is reported", test_reset_failing},
    {"poll does not wait for another thread's synchronous commit", test_poll_during_commit},
    {"an older asynchronous commit does not land after assign's", test_commit_order},
#endif
    CU_TEST_INFO_NULL};

KAFKA_TEST_MAIN("consumer_liveness", tests)
