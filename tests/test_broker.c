/* Broker connections: ApiVersions negotiation against our mock, librdkafka's mock (which
 * answers ApiVersions v3 oddly) and a 0.8 broker (which hangs up); metadata snapshots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/broker.h"
#include "core/metadata.h"
#include "kafka/mock.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"
#endif

static kafka_mock_t *start(int brokers, bool legacy) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = brokers;
    conf.legacy = legacy;
    kafka_mock_t *m = kafka_mock_new(&conf, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

static kafka__bconn_t *open_broker(kafka_conf_t *conf, int port) {
    kafka_err_t err;
    char errstr[256];
    kafka__bconn_t *bc = kafka__bconn_open(conf, NULL, "127.0.0.1", port, &err, errstr, sizeof(errstr));
    if (!bc)
        fprintf(stderr, "bconn_open: %s\n", errstr);
    return bc;
}

static void test_negotiation_modern(void) {
    kafka_mock_t *m = start(3, false);
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = open_broker(conf, kafka_mock_broker_port(m, 2));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT(bc->negotiated);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_PRODUCE), KAFKA_API_PRODUCE_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_FETCH), KAFKA_API_FETCH_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_METADATA), KAFKA_API_METADATA_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_JOIN_GROUP), KAFKA_API_JOIN_GROUP_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_END_TXN), KAFKA_API_END_TXN_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_CREATE_PARTITIONS), KAFKA_API_CREATE_PARTITIONS_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH),
                    KAFKA_API_OFFSET_FOR_LEADER_EPOCH_MAX_VERSION);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_CONSUMER_GROUP_HEARTBEAT),
                    KAFKA_API_CONSUMER_GROUP_HEARTBEAT_MAX_VERSION); /* KIP-848 */
    const char *topics[] = {"alpha", "beta"};
    kafka_err_t err;
    char errstr[256];
    kafka__metadata_t *md = kafka__metadata_fetch(bc, topics, 2, true, &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(md->nbrokers, 3);
    CU_ASSERT_EQUAL(md->ntopics, 2);
    const kafka__md_topic_t *t = kafka__metadata_topic(md, "beta");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->npartitions, 4);
    for (int32_t p = 0; p < t->npartitions; p++) {
        CU_ASSERT_EQUAL(t->partitions[p].id, p);
        const kafka__md_broker_t *b = kafka__metadata_broker(md, t->partitions[p].leader);
        CU_ASSERT_PTR_NOT_NULL(b);
        if (b)
            CU_ASSERT_EQUAL(b->port, kafka_mock_broker_port(m, b->id));
    }
    CU_ASSERT_PTR_NULL(kafka__metadata_topic(md, "gamma"));
    kafka__metadata_t *held = kafka__metadata_keep(md);
    kafka__metadata_release(md);
    CU_ASSERT_EQUAL(held->ntopics, 2); /* still alive: one reference left */
    kafka__metadata_release(held);
    /* Every topic; an unknown topic without auto-creation. */
    md = kafka__metadata_fetch(bc, NULL, -1, false, &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(md->ntopics, 2);
    kafka__metadata_release(md);
    const char *unknown[] = {"nope"};
    md = kafka__metadata_fetch(bc, unknown, 1, false, &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(md->topics[0].err, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kafka__metadata_release(md);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

/* A 0.8 broker hangs up on ApiVersions: reconnect, 0.8 protocol (v0 requests). */
static void test_legacy_fallback(void) {
    kafka_mock_t *m = start(1, true);
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = open_broker(conf, kafka_mock_broker_port(m, 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT(!bc->negotiated);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_PRODUCE), 0);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_FETCH), 0);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_METADATA), 0);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_OFFSET_COMMIT), 1);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_API_VERSIONS), -1);
    const char *topics[] = {"old"};
    kafka__metadata_t *md = kafka__metadata_fetch(bc, topics, 1, true, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(md->topics[0].err, 0);
    kafka__metadata_release(md);
    kafka__bconn_close(bc);
    /* api.version.request=false: broker.version.fallback's versions, no ApiVersions. */
    kafka_conf_set(conf, "api.version.request", "false", NULL, 0);
    kafka_conf_set(conf, "broker.version.fallback", "0.8.2.2", NULL, 0);
    bc = open_broker(conf, kafka_mock_broker_port(m, 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_OFFSET_FETCH), 1);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_FIND_COORDINATOR), 0);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

static void test_fallback_table(void) {
    int16_t v[KAFKA__MAX_API_KEY + 1];
    kafka__fallback_versions("0.8.0", v);
    CU_ASSERT_EQUAL(v[KAFKA_API_OFFSET_COMMIT], 0);
    CU_ASSERT_EQUAL(v[KAFKA_API_FIND_COORDINATOR], -1);
    kafka__fallback_versions("0.9.0.1", v);
    CU_ASSERT_EQUAL(v[KAFKA_API_PRODUCE], 1);
    CU_ASSERT_EQUAL(v[KAFKA_API_OFFSET_COMMIT], 2);
    kafka__fallback_versions("0.10.0", v);
    CU_ASSERT_EQUAL(v[KAFKA_API_PRODUCE], 2);
    CU_ASSERT_EQUAL(v[KAFKA_API_METADATA], 1);
    CU_ASSERT_EQUAL(v[KAFKA_API_API_VERSIONS], 0);
}

static void test_unreachable(void) {
    kafka_conf_t *conf = kafka_conf_new();
    int port = kafka_test_dead_port(); /* bound, never listening */
    kafka_err_t err;
    char errstr[256];
    CU_ASSERT_PTR_NULL(kafka__bconn_open(conf, NULL, "127.0.0.1", port, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__CANT_BIND);
    CU_ASSERT(strstr(errstr, "127.0.0.1") != NULL && strstr(errstr, "refused") != NULL);
    kafka_conf_destroy(conf);
}

#ifdef KAFKA_HAVE_RDKAFKA
/* librdkafka's mock answers ApiVersions v3 with UNSUPPORTED_VERSION in a body that fits
 * no version (see tests/fixtures/wire); we read the code and ask again at v0. */
static void test_negotiation_with_rdkafka_mock(void) {
    const char *bs = start_rdkafka_mock(1);
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = open_broker(conf, atoi(strrchr(bs, ':') + 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT(bc->negotiated);
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_PRODUCE), 7);  /* librdkafka 2.0.2's mock: Produce v0-7 */
    CU_ASSERT_EQUAL(kafka__bconn_version(bc, KAFKA_API_METADATA), 2); /* Metadata v0-2 */
    rd_kafka_mock_topic_create(mc, "rdk", 3, 1);
    const char *topics[] = {"rdk"};
    char es[256];
    kafka__metadata_t *md = kafka__metadata_fetch(bc, topics, 1, false, NULL, es, sizeof(es));
    if (!md)
        fprintf(stderr, "metadata: %s\n", es);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(md->topics[0].npartitions, 3);
    kafka__metadata_release(md);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    stop_rdkafka_mock();
}
#endif

static CU_TestInfo tests[] = {
    {"negotiation and metadata against our mock", test_negotiation_modern},
    {"0.8 broker: hang-up on ApiVersions, fallback versions", test_legacy_fallback},
    {"broker.version.fallback table", test_fallback_table},
    {"unreachable broker", test_unreachable},
#ifdef KAFKA_HAVE_RDKAFKA
    {"negotiation with librdkafka's mock", test_negotiation_with_rdkafka_mock},
#endif
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("broker", tests)
