/* The library's log: log.level decides what is written, one event's lines are
 * rate-limited with a count of those suppressed, and a broker connection's loss and
 * restoration reach the callback once per transition from each component. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kafka/connection.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"

#define MAX_LINES 256

static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int level;
    char fac[32];
    char msg[512];
} lines[MAX_LINES];
static int nlines;

static void on_log(int level, const char *fac, const char *msg, void *opaque) {
    (void)opaque;
    pthread_mutex_lock(&lines_lock);
    if (nlines < MAX_LINES) {
        lines[nlines].level = level;
        snprintf(lines[nlines].fac, sizeof(lines[nlines].fac), "%s", fac);
        snprintf(lines[nlines].msg, sizeof(lines[nlines].msg), "%s", msg);
        nlines++;
    }
    pthread_mutex_unlock(&lines_lock);
}

static void clear_lines(void) {
    pthread_mutex_lock(&lines_lock);
    nlines = 0;
    pthread_mutex_unlock(&lines_lock);
}

/* Lines of facility fac containing what (at warning level, as every transition is). */
static int count_lines(const char *fac, const char *what) {
    int n = 0;
    pthread_mutex_lock(&lines_lock);
    for (int i = 0; i < nlines; i++)
        if (strcmp(lines[i].fac, fac) == 0 && strstr(lines[i].msg, what)) {
            CU_ASSERT_EQUAL(lines[i].level, KAFKA__LOG_WARNING);
            n++;
        }
    pthread_mutex_unlock(&lines_lock);
    return n;
}

static bool wait_line(const char *fac, const char *what, int timeout_ms) {
    int64_t until = kafka_test_now_ms() + timeout_ms;
    while (count_lines(fac, what) == 0) {
        if (kafka_test_now_ms() > until)
            return false;
        kafka_test_sleep_ms(10);
    }
    return true;
}

static kafka_conf_t *logging_conf(const char *bootstrap) {
    char err[256];
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    const char *kv[] = {"bootstrap.servers", bootstrap, "retry.backoff.ms", "20", "retry.backoff.max.ms", "100",
                        "reconnect.backoff.ms", "20", "reconnect.backoff.max.ms", "100", "request.timeout.ms",
                        "2000", "fetch.max.wait.ms", "100", NULL};
    for (const char *const *p = kv; *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), KAFKA_OK);
    kafka_conf_set_log_cb(conf, on_log, NULL);
    clear_lines();
    return conf;
}

static void test_level_filters(void) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[128];
    CU_ASSERT_EQUAL(kafka__log_level(conf), KAFKA__LOG_WARNING); /* stderr: warnings only */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "log.level", "7", err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka__log_level(conf), 7); /* set: honoured on stderr too */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "log.level", NULL, err, sizeof(err)), KAFKA_OK);
    kafka_conf_set_log_cb(conf, on_log, NULL);
    CU_ASSERT_EQUAL(kafka__log_level(conf), 6); /* a callback gets the default, info */
    clear_lines();
    kafka__log(conf, 6, "TEST", NULL, "info %d", 1);
    kafka__log(conf, 7, "TEST", NULL, "debug %d", 1);
    pthread_mutex_lock(&lines_lock);
    CU_ASSERT_EQUAL(nlines, 1);
    CU_ASSERT_EQUAL(lines[0].level, 6);
    CU_ASSERT_STRING_EQUAL(lines[0].msg, "info 1");
    pthread_mutex_unlock(&lines_lock);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "log.level", "3", err, sizeof(err)), KAFKA_OK);
    kafka__log(conf, KAFKA__LOG_WARNING, "TEST", NULL, "warning");
    kafka__log(conf, 3, "TEST", NULL, "error");
    pthread_mutex_lock(&lines_lock);
    CU_ASSERT_EQUAL(nlines, 2);
    CU_ASSERT_EQUAL(lines[1].level, 3);
    CU_ASSERT_STRING_EQUAL(lines[1].fac, "TEST");
    pthread_mutex_unlock(&lines_lock);
    /* A copy logs to the same callback under the same level. */
    kafka_conf_t *dup = kafka_conf_dup(conf);
    kafka__log(dup, 3, "TEST", NULL, "from the copy");
    kafka__log(dup, 4, "TEST", NULL, "filtered in the copy");
    CU_ASSERT_EQUAL(nlines, 3);
    kafka_conf_destroy(dup);
    kafka_conf_destroy(conf);
}

static void test_rate_limit(void) {
    kafka_conf_t *conf = logging_conf("127.0.0.1:9092");
    /* A long interval, so that a loaded machine cannot end it between the five lines. */
    kafka__logger_set_rate(kafka__conf_logger(conf), 2, 1500);
    for (int i = 0; i < 5; i++)
        kafka__log(conf, KAFKA__LOG_WARNING, "BROKER", "b1 lost", "broker 1: connection lost: try %d", i);
    kafka__log(conf, KAFKA__LOG_WARNING, "BROKER", "b2 lost", "broker 2: connection lost");
    kafka__log(conf, KAFKA__LOG_WARNING, "OTHER", "b1 lost", "other component, same key");
    CU_ASSERT_EQUAL(count_lines("BROKER", "broker 1"), 2);
    CU_ASSERT_EQUAL(count_lines("BROKER", "broker 2"), 1);
    CU_ASSERT_EQUAL(count_lines("OTHER", "same key"), 1);
    CU_ASSERT_EQUAL(count_lines("BROKER", "suppressed"), 0);
    kafka_test_sleep_ms(1600);
    kafka__log(conf, KAFKA__LOG_WARNING, "BROKER", "b1 lost", "broker 1: connection lost: try %d", 5);
    CU_ASSERT_EQUAL(count_lines("BROKER", "broker 1: connection lost: try 5 (3 similar messages suppressed)"), 1);
    /* The count is reported once. */
    kafka__log(conf, KAFKA__LOG_WARNING, "BROKER", "b1 lost", "broker 1: connection lost: try %d", 6);
    CU_ASSERT_EQUAL(count_lines("BROKER", "try 6"), 1);
    CU_ASSERT_EQUAL(count_lines("BROKER", "suppressed"), 1);
    /* Without a key the message is the key. */
    kafka__log(conf, KAFKA__LOG_WARNING, "X", NULL, "same");
    kafka__log(conf, KAFKA__LOG_WARNING, "X", NULL, "same");
    kafka__log(conf, KAFKA__LOG_WARNING, "X", NULL, "same");
    kafka__log(conf, KAFKA__LOG_WARNING, "X", NULL, "different");
    CU_ASSERT_EQUAL(count_lines("X", "same"), 2);
    CU_ASSERT_EQUAL(count_lines("X", "different"), 1);
    kafka_conf_destroy(conf);
}

static void test_transitions_logged_once(void) {
    kafka_conf_t *conf = logging_conf("127.0.0.1:9092");
    kafka__linkstate_t s = {false};
    for (int i = 0; i < 3; i++)
        kafka__log_lost(conf, &s, "T", "broker 1 (h:1)", "Connection refused");
    kafka__log_restored(conf, &s, "T", "broker 1 (h:1)");
    kafka__log_restored(conf, &s, "T", "broker 1 (h:1)");
    CU_ASSERT_EQUAL(count_lines("T", "broker 1 (h:1): connection lost: Connection refused"), 1);
    CU_ASSERT_EQUAL(count_lines("T", "broker 1 (h:1): connection restored"), 1);
    kafka_conf_destroy(conf);
}

static kafka_mock_t *one_broker(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "t", 1, 1), KAFKA_OK);
    return m;
}

static void test_metadata_lost_restored(void) {
    kafka_mock_t *m = one_broker();
    kafka_conf_t *conf = logging_conf(kafka_mock_bootstrap(m));
    char err[512];
    kafka_connection_t *c = kafka_connection_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "t", 5000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(count_lines("METADATA", "connection"), 0);
    kafka_mock_broker_set_down(m, 1, true);
    kafka_connection_refresh(c);
    CU_ASSERT(wait_line("METADATA", "cluster: connection lost: ", 10000));
    long attempts = kafka_connection_metadata_refreshes(c);
    kafka_test_sleep_ms(300); /* refreshes retried meanwhile */
    kafka_connection_refresh(c);
    kafka_test_sleep_ms(100);
    kafka_mock_broker_set_down(m, 1, false);
    kafka_connection_refresh(c);
    CU_ASSERT(wait_line("METADATA", "cluster: connection restored", 10000));
    CU_ASSERT_EQUAL(count_lines("METADATA", "connection lost"), 1);
    CU_ASSERT(kafka_connection_metadata_refreshes(c) > attempts);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_producer_lost_restored(void) {
    kafka_mock_t *m = one_broker();
    kafka_conf_t *conf = logging_conf(kafka_mock_bootstrap(m));
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_produce_msg_t msg = {.value = "v", .value_len = 1};
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "t", 0, &msg, NULL, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    kafka_mock_broker_set_down(m, 1, true);
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "t", 0, &msg, NULL, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(wait_line("PRODUCE", "connection lost: ", 10000));
    kafka_test_sleep_ms(300); /* reconnects fail meanwhile */
    kafka_mock_broker_set_down(m, 1, false);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 15000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(wait_line("PRODUCE", "connection restored", 5000));
    CU_ASSERT_EQUAL(count_lines("PRODUCE", "broker 1 (127.0.0.1:"), 2);
    CU_ASSERT_EQUAL(count_lines("PRODUCE", "connection lost"), 1);
    kafka_producer_destroy(p);
    kafka_mock_destroy(m);
}

static void test_fetcher_lost_restored(void) {
    kafka_mock_t *m = one_broker();
    kafka_conf_t *conf = logging_conf(kafka_mock_bootstrap(m));
    char err[512];
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_topic_partition_t tp = {"t", 0, KAFKA_OFFSET_EARLIEST};
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *msgs[8];
    int64_t until = kafka_test_now_ms() + 5000;
    while (kafka_test_now_ms() < until && count_lines("FETCH", "connection") == 0) {
        size_t n = 0;
        kafka_consumer_poll(c, 50, msgs, 8, &n, NULL, 0);
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
        if (kafka_consumer_high_watermark(c, "t", 0) >= 0)
            break;
    }
    kafka_mock_broker_set_down(m, 1, true);
    until = kafka_test_now_ms() + 10000;
    while (kafka_test_now_ms() < until && count_lines("FETCH", "connection lost: ") == 0) {
        size_t n = 0;
        kafka_consumer_poll(c, 50, msgs, 8, &n, NULL, 0);
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
    }
    CU_ASSERT_EQUAL(count_lines("FETCH", "connection lost: "), 1);
    kafka_mock_broker_set_down(m, 1, false);
    until = kafka_test_now_ms() + 10000;
    while (kafka_test_now_ms() < until && count_lines("FETCH", "connection restored") == 0) {
        size_t n = 0;
        kafka_consumer_poll(c, 50, msgs, 8, &n, NULL, 0);
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
    }
    CU_ASSERT_EQUAL(count_lines("FETCH", "connection restored"), 1);
    CU_ASSERT_EQUAL(count_lines("FETCH", "connection lost"), 1);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"log.level filters, with and without a callback", test_level_filters},
    {"rate limit per facility and key, with the suppressed count", test_rate_limit},
    {"a connection's transitions are logged once each", test_transitions_logged_once},
    {"metadata thread: refreshes failing and recovering", test_metadata_lost_restored},
    {"producer worker: connection lost and restored", test_producer_lost_restored},
    {"consumer fetcher: connection lost and restored", test_fetcher_lost_restored},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("log", tests)
