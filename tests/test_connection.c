/* kafka_connection_t: bootstrap past unreachable brokers (their reasons kept), metadata
 * for the topics in use, refresh on demand and periodically, brokers leaving, and
 * bounded waits when nothing answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/connection.h"
#include "kafka/mock.h"
#include "testutil.h"

static kafka_mock_t *start(int brokers, bool auto_create) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = brokers;
    mc.auto_create = auto_create;
    kafka_mock_t *m = kafka_mock_new(&mc, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

/* A port with nobody listening: a one-broker mock started and stopped. */
static int dead_port(void) { return kafka_test_dead_port(); }

static kafka_connection_t *connect_to(const char *bootstrap, const char *max_age) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kafka_conf_set(conf, "retry.backoff.ms", "20", err, sizeof(err));
    kafka_conf_set(conf, "request.timeout.ms", "1000", err, sizeof(err));
    if (max_age)
        kafka_conf_set(conf, "metadata.max.age.ms", max_age, err, sizeof(err));
    kafka_connection_t *c = kafka_connection_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static void test_bootstrap_skips_unreachable(void) {
    kafka_mock_t *m = start(3, true);
    kafka_mock_topic_create(m, "t", 4, 3);
    char bs[512];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d,%s", dead_port(), kafka_mock_bootstrap(m));
    kafka_connection_t *c = connect_to(bs, NULL);
    char err[512];
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "t", 5000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_connection_broker_count(c), 3);
    CU_ASSERT_EQUAL(kafka_connection_partition_count(c, "t"), 4);
    char host[64];
    int port = 0;
    int32_t leader = kafka_connection_leader(c, "t", 2, host, sizeof(host), &port);
    CU_ASSERT(leader >= 1 && leader <= 3);
    CU_ASSERT_EQUAL(port, kafka_mock_broker_port(m, leader));
    CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_refresh_on_demand_and_periodic(void) {
    kafka_mock_t *m = start(3, true);
    kafka_mock_topic_create(m, "t", 2, 3);
    kafka_connection_t *c = connect_to(kafka_mock_bootstrap(m), "300");
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "t", 5000, NULL, 0), KAFKA_OK);
    int32_t before = kafka_connection_leader(c, "t", 0, NULL, 0, NULL);
    int32_t target = before % 3 + 1;
    kafka_mock_partition_set_leader(m, "t", 0, target);
    kafka_connection_refresh(c);
    int64_t deadline = kafka_test_now_ms() + 3000;
    while (kafka_connection_leader(c, "t", 0, NULL, 0, NULL) != target && kafka_test_now_ms() < deadline)
        kafka_test_sleep_ms(10);
    CU_ASSERT_EQUAL(kafka_connection_leader(c, "t", 0, NULL, 0, NULL), target);
    /* A broker going down leaves the metadata at the next (periodic) refresh. */
    kafka_mock_broker_set_down(m, target == 1 ? 2 : 1, true);
    long n0 = kafka_connection_metadata_refreshes(c);
    deadline = kafka_test_now_ms() + 3000;
    while (kafka_connection_broker_count(c) != 2 && kafka_test_now_ms() < deadline)
        kafka_test_sleep_ms(20);
    CU_ASSERT_EQUAL(kafka_connection_broker_count(c), 2);
    CU_ASSERT(kafka_connection_metadata_refreshes(c) > n0);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_nothing_reachable_and_unknown_topic(void) {
    char bs[128];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", dead_port());
    kafka_connection_t *c = connect_to(bs, NULL);
    char err[512];
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, NULL, 500, err, sizeof(err)), KAFKA_ERR__NO_KNOWN_BROKERS);
    CU_ASSERT(kafka_test_now_ms() - t0 < 1500);
    CU_ASSERT(strstr(err, "refused") != NULL);
    char last[512];
    CU_ASSERT_EQUAL(kafka_connection_last_error(c, last, sizeof(last)), KAFKA_ERR__NO_KNOWN_BROKERS);
    kafka_connection_destroy(c);

    kafka_mock_t *m = start(1, false);
    c = connect_to(kafka_mock_bootstrap(m), NULL);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "nope", 400, err, sizeof(err)),
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_EQUAL(kafka_connection_partition_count(c, "nope"), -1);
    /* The topic appears: the connection (still refreshing it) finds it. */
    kafka_mock_topic_create(m, "nope", 3, 1);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "nope", 3000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_connection_partition_count(c, "nope"), 3);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_conf_errors(void) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    CU_ASSERT_PTR_NULL(kafka_connection_new(conf, err, sizeof(err)));
    CU_ASSERT(strstr(err, "bootstrap.servers") != NULL);
    kafka_conf_destroy(conf);
}

static CU_TestInfo tests[] = {
    {"bootstrap skips unreachable brokers", test_bootstrap_skips_unreachable},
    {"refresh on demand and periodically", test_refresh_on_demand_and_periodic},
    {"nothing reachable; unknown topic that appears later", test_nothing_reachable_and_unknown_topic},
    {"configuration errors", test_conf_errors},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("connection", tests)
