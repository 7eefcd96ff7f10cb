/* kafka_connection_t: bootstrap past unreachable brokers (their reasons kept), metadata
 * for the topics in use, refresh on demand and periodically, brokers leaving, and
 * bounded waits when nothing answers; metadata snapshots (kafka_connection_metadata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/connection.h"
#include "kafka/mock.h"
#include "kafka/protocol.h"
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

/* The leader of partition p of topic in md, -2 when md has no such partition. */
static int32_t snapshot_leader(const kafka_metadata_t *md, const char *topic, int p) {
    int32_t leader = -2;
    kafka_metadata_partition(md, kafka_metadata_topic_index(md, topic), p, &leader, NULL);
    return leader;
}

static void test_snapshot_as_the_mock_says(void) {
    kafka_mock_t *m = start(3, false);
    kafka_mock_topic_create(m, "t", 4, 3);
    kafka_mock_partition_set_leader(m, "t", 1, 2);
    kafka_connection_t *c = connect_to(kafka_mock_bootstrap(m), NULL);
    const char *topics[] = {"t", "nope"};
    kafka_err_t err = KAFKA_ERR__NO_MEMORY;
    char errstr[512];
    kafka_metadata_t *md = kafka_connection_metadata(c, topics, 2, 5000, &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(err, KAFKA_OK);

    CU_ASSERT_EQUAL(kafka_metadata_broker_count(md), 3);
    for (int i = 0; i < 3; i++) {
        const char *host = NULL;
        int port = 0;
        CU_ASSERT_EQUAL(kafka_metadata_broker(md, i, &host, &port), i + 1); /* sorted by id */
        CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
        CU_ASSERT_EQUAL(port, kafka_mock_broker_port(m, i + 1));
    }
    CU_ASSERT_EQUAL(kafka_metadata_broker(md, 3, NULL, NULL), -1);
    int32_t ctrl = kafka_metadata_controller(md);
    CU_ASSERT(ctrl >= 1 && ctrl <= 3);
    int port = 0;
    CU_ASSERT_STRING_EQUAL(kafka_metadata_origin(md, &port), "127.0.0.1");
    CU_ASSERT_EQUAL(port, kafka_mock_broker_port(m, 1)); /* the bootstrap list's first */

    CU_ASSERT_EQUAL(kafka_metadata_topic_count(md), 2);
    int t = kafka_metadata_topic_index(md, "t"), u = kafka_metadata_topic_index(md, "nope");
    CU_ASSERT_EQUAL(u, 0); /* sorted by name */
    CU_ASSERT_EQUAL(t, 1);
    CU_ASSERT_EQUAL(kafka_metadata_topic_index(md, "other"), -1);
    kafka_err_t terr = KAFKA_ERR__NO_MEMORY;
    CU_ASSERT_STRING_EQUAL(kafka_metadata_topic(md, u, &terr), "nope");
    CU_ASSERT_EQUAL(terr, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_EQUAL(kafka_metadata_partition_count(md, u), 0);
    CU_ASSERT_STRING_EQUAL(kafka_metadata_topic(md, t, &terr), "t");
    CU_ASSERT_EQUAL(terr, KAFKA_OK);
    CU_ASSERT_PTR_NULL(kafka_metadata_topic(md, 2, NULL));
    CU_ASSERT_EQUAL(kafka_metadata_partition_count(md, t), 4);
    CU_ASSERT_EQUAL(kafka_metadata_partition_count(md, 2), -1);
    for (int p = 0; p < 4; p++) {
        int32_t leader = -2;
        kafka_err_t perr = KAFKA_ERR__NO_MEMORY;
        CU_ASSERT_EQUAL(kafka_metadata_partition(md, t, p, &leader, &perr), p);
        CU_ASSERT_EQUAL(perr, KAFKA_OK);
        CU_ASSERT(leader >= 1 && leader <= 3);
        const int32_t *ids = NULL;
        CU_ASSERT_EQUAL(kafka_metadata_replicas(md, t, p, &ids), 3);
        bool leader_replicates = false;
        for (int i = 0; i < 3; i++)
            leader_replicates |= ids[i] == leader;
        CU_ASSERT(leader_replicates);
        CU_ASSERT_EQUAL(kafka_metadata_isrs(md, t, p, &ids), 3);
    }
    CU_ASSERT_EQUAL(snapshot_leader(md, "t", 1), 2);
    CU_ASSERT_EQUAL(kafka_metadata_partition(md, t, 4, NULL, NULL), -1);
    CU_ASSERT_EQUAL(kafka_metadata_replicas(md, t, -1, NULL), -1);
    CU_ASSERT_EQUAL(kafka_metadata_isrs(md, u, 0, NULL), -1);

    CU_ASSERT(kafka_metadata_api_negotiated(md));
    int16_t lo, hi;
    CU_ASSERT_FATAL(kafka_api_versions(KAFKA_API_METADATA, &lo, &hi));
    int16_t v = kafka_metadata_api_version(md, KAFKA_API_METADATA);
    CU_ASSERT(v >= lo && v <= hi);
    CU_ASSERT_EQUAL(kafka_metadata_api_version(md, -1), -1);
    CU_ASSERT_EQUAL(kafka_metadata_api_version(md, KAFKA_API_KEY_MAX + 1), -1);
    kafka_metadata_release(md);

    /* Every topic; none is created by asking. */
    kafka_mock_topic_create(m, "a", 1, 1);
    md = kafka_connection_metadata(c, NULL, -1, 5000, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(kafka_metadata_topic_count(md), 2);
    CU_ASSERT_STRING_EQUAL(kafka_metadata_topic(md, 0, NULL), "a");
    CU_ASSERT_EQUAL(kafka_metadata_topic_index(md, "nope"), -1);
    kafka_metadata_release(md);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_snapshot_outlives_refresh(void) {
    kafka_mock_t *m = start(3, false);
    kafka_mock_topic_create(m, "t", 2, 3);
    kafka_mock_partition_set_leader(m, "t", 0, 2);
    kafka_connection_t *c = connect_to(kafka_mock_bootstrap(m), NULL);
    const char *topics[] = {"t"};
    kafka_metadata_t *old = kafka_connection_metadata(c, topics, 1, 5000, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    kafka_metadata_t *held = kafka_metadata_keep(old);
    CU_ASSERT_PTR_EQUAL(held, old);
    kafka_metadata_release(old);

    kafka_mock_partition_set_leader(m, "t", 0, 3);
    kafka_mock_broker_set_down(m, 1, true);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "t", 5000, NULL, 0), KAFKA_OK);
    kafka_connection_refresh(c);
    kafka_metadata_t *cur = kafka_connection_metadata(c, topics, 1, 5000, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cur);
    CU_ASSERT_EQUAL(snapshot_leader(cur, "t", 0), 3);
    CU_ASSERT_EQUAL(kafka_metadata_broker_count(cur), 2);
    kafka_metadata_release(cur);
    kafka_connection_destroy(c);

    /* The first snapshot is as it was taken, after the refreshes and the connection. */
    CU_ASSERT_EQUAL(snapshot_leader(held, "t", 0), 2);
    CU_ASSERT_EQUAL(kafka_metadata_broker_count(held), 3);
    CU_ASSERT_STRING_EQUAL(kafka_metadata_topic(held, 0, NULL), "t");
    kafka_metadata_release(held);
    kafka_metadata_release(NULL);
    kafka_mock_destroy(m);
}

static void test_snapshot_failures(void) {
    char bs[128];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", dead_port());
    kafka_connection_t *c = connect_to(bs, NULL);
    kafka_err_t err = KAFKA_OK;
    char errstr[512];
    CU_ASSERT_PTR_NULL(kafka_connection_metadata(c, NULL, -1, 2000, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__NO_KNOWN_BROKERS);
    CU_ASSERT(strstr(errstr, "refused") != NULL);
    CU_ASSERT_PTR_NULL(kafka_connection_metadata(c, NULL, -1, 0, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__TIMED_OUT);
    CU_ASSERT_PTR_NULL(kafka_connection_metadata(c, NULL, 2, 1000, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__INVALID_ARG);
    const char *topics[] = {"t", NULL};
    CU_ASSERT_PTR_NULL(kafka_connection_metadata(c, topics, 2, 1000, &err, NULL, 0));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__INVALID_ARG);
    kafka_connection_destroy(c);
}

/* The requests of api_key the connection's client wrote, over every broker. */
static int64_t requests_of(kafka_connection_t *c, int16_t api_key) {
    kafka_request_stats_t rows[32];
    size_t n = kafka_connection_request_stats(c, rows, 32);
    int64_t sum = 0;
    for (size_t i = 0; i < n && i < 32; i++)
        if (rows[i].api_key == api_key)
            sum += rows[i].requests;
    return sum;
}

/* Snapshots polled one after another (a health check does) go over one kept connection:
 * 6 calls, one ApiVersions for them (the metadata thread has its own); when the mock
 * cuts that connection, the next call opens another and answers. */
static void test_snapshot_reuses_connection(void) {
    kafka_mock_t *m = start(1, false);
    kafka_mock_topic_create(m, "t", 1, 1);
    kafka_connection_t *c = connect_to(kafka_mock_bootstrap(m), NULL);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, "t", 5000, NULL, 0), KAFKA_OK);
    int64_t av0 = requests_of(c, KAFKA_API_API_VERSIONS), md0 = requests_of(c, KAFKA_API_METADATA);
    for (int i = 0; i < 6; i++) {
        kafka_metadata_t *md = kafka_connection_metadata(c, NULL, 0, 5000, NULL, NULL, 0);
        CU_ASSERT_PTR_NOT_NULL(md);
        kafka_metadata_release(md);
    }
    CU_ASSERT_EQUAL(requests_of(c, KAFKA_API_API_VERSIONS) - av0, 1);
    CU_ASSERT(requests_of(c, KAFKA_API_METADATA) - md0 >= 6);
    CU_ASSERT_EQUAL(kafka_mock_drop_next_response(m, KAFKA_API_METADATA, -1), KAFKA_OK);
    kafka_err_t err = KAFKA_OK;
    char errstr[512];
    kafka_metadata_t *md = kafka_connection_metadata(c, NULL, 0, 5000, &err, errstr, sizeof(errstr));
    if (!md) /* the cut may have hit the metadata thread's request instead: then this one is whole */
        fprintf(stderr, "after a cut: %s\n", errstr);
    CU_ASSERT_PTR_NOT_NULL(md);
    CU_ASSERT_EQUAL(err, KAFKA_OK);
    kafka_metadata_release(md);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"bootstrap skips unreachable brokers", test_bootstrap_skips_unreachable},
    {"refresh on demand and periodically", test_refresh_on_demand_and_periodic},
    {"nothing reachable; unknown topic that appears later", test_nothing_reachable_and_unknown_topic},
    {"configuration errors", test_conf_errors},
    {"metadata snapshot: brokers, topics, partitions as the mock says", test_snapshot_as_the_mock_says},
    {"metadata snapshot outlives refreshes and its connection", test_snapshot_outlives_refresh},
    {"metadata snapshot: nothing reachable, timeout, bad arguments", test_snapshot_failures},
    {"metadata snapshots polled reuse one connection, and open another once it is cut",
     test_snapshot_reuses_connection},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("connection", tests)
