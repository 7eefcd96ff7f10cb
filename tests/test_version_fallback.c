/* A broker whose response to an API version does not decode: librdkafka 2.0.2's mock
 * cluster writes ListOffsets v4/v5's LeaderEpoch as an int64 (Kafka's is an int32), so
 * those responses have 4 trailing bytes. The client steps down to the next lower version
 * on that broker, says so once per version dropped on the log, and goes on at v3; when
 * even the lowest version both sides speak does not decode, the call fails with the
 * decode error (no offset, no endless retry). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/conf.h"
#include "kafka/consumer.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA

#include <pthread.h>

#include "rdk_data.h"

/* ---- the log lines the client wrote ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[32][1024];
static int nlog;

static void on_log(int level, const char *facility, const char *message, void *opaque) {
    (void)opaque;
    pthread_mutex_lock(&log_lock);
    if (nlog < 32)
        snprintf(log_lines[nlog++], sizeof(log_lines[0]), "%d|%s|%s", level, facility, message);
    pthread_mutex_unlock(&log_lock);
}

static void log_reset(void) {
    pthread_mutex_lock(&log_lock);
    nlog = 0;
    pthread_mutex_unlock(&log_lock);
}

/* How many lines hold every one of the NULL-terminated needles. */
static int log_count(const char *const *needles) {
    int n = 0;
    pthread_mutex_lock(&log_lock);
    for (int i = 0; i < nlog; i++) {
        bool all = true;
        for (const char *const *s = needles; *s && all; s++)
            all = strstr(log_lines[i], *s) != NULL;
        n += all;
    }
    pthread_mutex_unlock(&log_lock);
    return n;
}

static int log_total(void) {
    pthread_mutex_lock(&log_lock);
    int n = nlog;
    pthread_mutex_unlock(&log_lock);
    return n;
}

static kafka_consumer_t *logging_consumer(const char *bootstrap, const char *const *kv) {
    char err[512];
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), KAFKA_OK);
    const char *quick[] = {"fetch.max.wait.ms", "100", "retry.backoff.ms", "20", "request.timeout.ms", "5000", NULL};
    for (const char *const *p = quick; *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), KAFKA_OK);
    for (const char *const *p = kv; p && *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), KAFKA_OK);
    kafka_conf_set_log_cb(conf, on_log, NULL);
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static int64_t one_offset(kafka_consumer_t *c, const char *topic, int32_t p, int64_t time, kafka_err_t *errp,
                          char *err, size_t err_size) {
    int64_t *offs = NULL;
    size_t n = 0;
    *errp = kafka_consumer_offsets(c, topic, p, time, 1, &offs, &n, err, err_size);
    int64_t v = !*errp && n == 1 ? offs[0] : -1;
    if (*errp) {
        CU_ASSERT_PTR_NULL(offs); /* no offset comes with an error */
        CU_ASSERT_EQUAL(n, 0);
    }
    free(offs);
    return v;
}

/* The broker that leads topic/0 of the mock, as "127.0.0.1:PORT". */
static void leader_addr(const char *bootstrap, int leader, char *out, size_t size) {
    /* The mock lists its brokers 1..N in its bootstrap string in order. */
    const char *s = bootstrap;
    for (int i = 1; i < leader && s; i++)
        if ((s = strchr(s, ',')))
            s++;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    size_t len = strcspn(s, ",");
    snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), s);
}

/* ---- tests ---- */

/* ListOffsets against the mock without a version cap: right offsets, one warning per
 * version dropped (v5 and v4) naming the broker, the API, the version and the decode
 * error; later calls say nothing more. */
static void test_offsets_step_down(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "lo", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, "lo", 1, 0, 30);
    rd_kafka_destroy(rk);
    log_reset();
    kafka_consumer_t *c = logging_consumer(bs, NULL);
    char err[1024], broker[64];
    leader_addr(bs, 1, broker, sizeof(broker));
    kafka_err_t e;
    CU_ASSERT_EQUAL(one_offset(c, "lo", 0, KAFKA_OFFSET_LATEST, &e, err, sizeof(err)), 30);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    if (e)
        fprintf(stderr, "offsets: %s\n", err);
    CU_ASSERT_EQUAL(one_offset(c, "lo", 0, KAFKA_OFFSET_EARLIEST, &e, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    const char *v5[] = {"4|VERSION|", broker, "ListOffsets v5", "ListOffsetsResponse v5: trailing bytes",
                        "ListOffsets v4 with this broker from now on", NULL};
    const char *v4[] = {"4|VERSION|", broker, "ListOffsets v4", "ListOffsetsResponse v4: trailing bytes",
                        "ListOffsets v3 with this broker from now on", NULL};
    CU_ASSERT_EQUAL(log_count(v5), 1);
    CU_ASSERT_EQUAL(log_count(v4), 1);
    CU_ASSERT_EQUAL(log_total(), 2);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(one_offset(c, "lo", 0, KAFKA_OFFSET_LATEST, &e, err, sizeof(err)), 30);
    CU_ASSERT_EQUAL(log_total(), 2); /* once */
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* The consumer loop on 3 brokers without the cap: starts resolved by ListOffsets
 * (beginning, end, time) and auto.offset.reset all work, each broker's step down is
 * said once however many connections the client opens to it. */
static void test_loop_step_down(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "lp", 3, 3);
    rd_kafka_t *rk = rd_producer(bs, "lz4", "5");
    rdk_produce(rk, "lp", 3, 0, 90);
    log_reset();
    const char *kv[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_t *c = logging_consumer(bs, kv);
    kafka_topic_partition_t tps[] = {{"lp", 0, KAFKA_OFFSET_BEGINNING},
                                     {"lp", 1, KAFKA_OFFSET_END},
                                     {"lp", 2, 1000 /* out of range: reset to earliest */}};
    char err[1024];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, 3, err, sizeof(err)), KAFKA_OK);
    rdk_produce(rk, "lp", 3, 90, 30); /* partition 1 reads these */
    int got[3] = {0, 0, 0};
    int64_t until = kafka_test_now_ms() + 10000;
    while ((got[0] < 40 || got[1] < 10 || got[2] < 40) && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[256];
        size_t n;
        kafka_err_t e = kafka_consumer_poll(c, 200, msgs, 256, &n, err, sizeof(err));
        if (e != KAFKA_OK) {
            fprintf(stderr, "poll: %s\n", err);
            CU_FAIL("poll failed");
            break;
        }
        for (size_t i = 0; i < n; i++) {
            int32_t p = kafka_message_partition(msgs[i]);
            int64_t off = kafka_message_offset(msgs[i]);
            int first = p == 1 ? 30 : 0; /* partition 1 started at the end, 30 */
            CU_ASSERT_EQUAL(off, first + got[p]);
            check_message(msgs[i], "lp", p, (int)(3 * off + p), off);
            got[p]++;
            kafka_message_destroy(msgs[i]);
        }
    }
    CU_ASSERT_EQUAL(got[0], 40);
    CU_ASSERT_EQUAL(got[1], 10);
    CU_ASSERT_EQUAL(got[2], 40);
    for (int b = 1; b <= 3; b++) {
        char broker[64];
        leader_addr(bs, b, broker, sizeof(broker));
        const char *v5[] = {broker, "ListOffsets v5 response does not decode", NULL};
        const char *v4[] = {broker, "ListOffsets v4 response does not decode", NULL};
        CU_ASSERT(log_count(v5) <= 1);
        CU_ASSERT(log_count(v4) <= 1);
    }
    const char *any_v4[] = {"ListOffsets v4 response does not decode", NULL};
    CU_ASSERT(log_count(any_v4) >= 1);
    kafka_consumer_destroy(c);
    rd_kafka_destroy(rk);
    stop_rdkafka_mock();
}

/* The broker offers only ListOffsets v4-v5, neither of which decodes: offsets fails at
 * once with the decode error of v4 (no offset), and so does assign (nothing assigned);
 * v5 was dropped, v4 is the floor and is kept. */
static void test_lowest_version_fails(void) {
    const char *bs = start_rdkafka_mock(1);
    /* The cap here is the point: v4 is then the lowest version both sides speak. */
    rd_kafka_mock_set_apiversion(mc, 2 /* ListOffsets */, 4, 5);
    rd_kafka_mock_topic_create(mc, "fl", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, "fl", 1, 0, 10);
    rd_kafka_destroy(rk);
    log_reset();
    const char *kv[] = {"request.timeout.ms", "3000", NULL};
    kafka_consumer_t *c = logging_consumer(bs, kv);
    char err[1024];
    for (int round = 0; round < 2; round++) {
        int64_t t0 = kafka_test_now_ms();
        kafka_err_t e;
        CU_ASSERT_EQUAL(one_offset(c, "fl", 0, KAFKA_OFFSET_LATEST, &e, err, sizeof(err)), -1);
        CU_ASSERT_EQUAL(e, KAFKA_ERR__BAD_MSG);
        CU_ASSERT(strstr(err, "ListOffsetsResponse v4: trailing bytes after the message") != NULL);
        CU_ASSERT(strstr(err, "fl/0") != NULL);
        CU_ASSERT(kafka_test_now_ms() - t0 < 1000); /* not retried as if it could mend */
    }
    const char *v5[] = {"ListOffsets v5 response does not decode", "ListOffsets v4 with this broker", NULL};
    CU_ASSERT_EQUAL(log_count(v5), 1);
    CU_ASSERT_EQUAL(log_total(), 1);
    kafka_topic_partition_t tp = {"fl", 0, KAFKA_OFFSET_END};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "ListOffsetsResponse v4") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "fl", 0), -1);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

static CU_TestInfo tests[] = {
    {"ListOffsets v5/v4 that do not decode: step down to v3, logged once", test_offsets_step_down},
    {"the consumer loop on 3 brokers without the version cap", test_loop_step_down},
    {"the lowest version does not decode either: a clear error at once", test_lowest_version_fails},
    CU_TEST_INFO_NULL,
};

#else

static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {{"skipped (no librdkafka)", test_skipped}, CU_TEST_INFO_NULL};

#endif

KAFKA_TEST_MAIN("version_fallback", tests)
