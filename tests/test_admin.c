/* The admin calls (kafka/admin.h) against kafka-mock: create (configs, validate-only,
 * every per-topic error), delete, create partitions, describe configs of topics and
 * brokers, NOT_CONTROLLER and a lost controller retried after a metadata refresh,
 * timeouts, cut responses; and the mock's four admin APIs at every version, raw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/admin.h"
#include "kafka/buf.h"
#include "kafka/connection.h"
#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "testutil.h"

static kafka_connection_t *connect_to(kafka_mock_t *m) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    kafka_conf_set(conf, "bootstrap.servers", kafka_mock_bootstrap(m), err, sizeof(err));
    kafka_conf_set(conf, "retry.backoff.ms", "20", err, sizeof(err));
    kafka_conf_set(conf, "request.timeout.ms", "3000", err, sizeof(err));
    kafka_connection_t *c = kafka_connection_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, NULL, 5000, err, sizeof(err)), KAFKA_OK);
    return c;
}

/* Partitions and replicas of topic per a fresh snapshot: -1 when the topic is absent. */
static int partitions_of(kafka_connection_t *c, const char *topic, int *replicas) {
    kafka_err_t err;
    kafka_metadata_t *md = kafka_connection_metadata(c, NULL, -1, 5000, &err, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    int t = kafka_metadata_topic_index(md, topic);
    int n = t < 0 ? -1 : kafka_metadata_partition_count(md, t);
    if (replicas && n > 0) {
        const int32_t *ids;
        *replicas = kafka_metadata_replicas(md, t, n - 1, &ids);
    }
    kafka_metadata_release(md);
    return n;
}

static kafka_err_t create1(kafka_connection_t *c, const char *name, int32_t parts, int16_t rf,
                           const kafka_config_kv_t *cfg, int ncfg, bool validate, kafka_topic_result_t *res,
                           char *err, size_t err_size) {
    kafka_new_topic_t t = {name, parts, rf, cfg, ncfg};
    return kafka_connection_create_topics(c, &t, 1, validate, 5000, res, err, err_size);
}

static void test_create_and_describe(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    kafka_config_kv_t cfg[] = {{"cleanup.policy", "compact"}, {"retention.bytes", "1000000"}};
    kafka_topic_result_t res;
    char err[1024];
    CU_ASSERT_EQUAL(create1(c, "orders", 6, 2, cfg, 2, false, &res, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(res.err, KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(res.topic, "orders");
    CU_ASSERT_STRING_EQUAL(res.message, "");
    int rf = 0;
    CU_ASSERT_EQUAL(partitions_of(c, "orders", &rf), 6);
    CU_ASSERT_EQUAL(rf, 2);

    kafka_err_t e;
    kafka_configs_t *cf = kafka_connection_describe_configs(c, KAFKA_RESOURCE_TOPIC, "orders", 5000, &e, err,
                                                            sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_configs_count(cf), 18);
    const kafka_config_entry_t *cp = kafka_configs_find(cf, "cleanup.policy");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cp);
    CU_ASSERT_STRING_EQUAL(cp->value, "compact");
    CU_ASSERT_FALSE(cp->is_default);
    CU_ASSERT_EQUAL(cp->source, 1);
    const kafka_config_entry_t *rb = kafka_configs_find(cf, "retention.bytes");
    CU_ASSERT_STRING_EQUAL(rb->value, "1000000");
    const kafka_config_entry_t *rm = kafka_configs_find(cf, "retention.ms");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rm);
    CU_ASSERT_STRING_EQUAL(rm->value, "604800000");
    CU_ASSERT_TRUE(rm->is_default);
    CU_ASSERT_EQUAL(rm->source, 5);
    /* Sorted by name. */
    for (int i = 1; i < kafka_configs_count(cf); i++)
        CU_ASSERT(strcmp(kafka_configs_entry(cf, i - 1)->name, kafka_configs_entry(cf, i)->name) < 0);
    CU_ASSERT_PTR_NULL(kafka_configs_entry(cf, 18));
    kafka_configs_destroy(cf);

    /* -1/-1: the broker's num.partitions (4) and default factor (3 of 3 brokers). */
    CU_ASSERT_EQUAL(create1(c, "dflt", -1, -1, NULL, 0, false, NULL, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(partitions_of(c, "dflt", &rf), 4);
    CU_ASSERT_EQUAL(rf, 3);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_create_errors(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    kafka_topic_result_t res;
    char err[1024];
    CU_ASSERT_EQUAL(create1(c, "t", 2, 1, NULL, 0, false, &res, err, sizeof(err)), KAFKA_OK);

    CU_ASSERT_EQUAL(create1(c, "t", 2, 1, NULL, 0, false, &res, err, sizeof(err)), KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(res.err, KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    CU_ASSERT_STRING_EQUAL(res.message, "Topic 't' already exists.");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topic \"t\": TOPIC_ALREADY_EXISTS: Topic 't' already exists."));

    CU_ASSERT_EQUAL(create1(c, "big", 2, 5, NULL, 0, false, &res, err, sizeof(err)),
                    KAFKA_ERR_INVALID_REPLICATION_FACTOR);
    CU_ASSERT_STRING_EQUAL(res.message, "Replication factor: 5 larger than available brokers: 3.");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "INVALID_REPLICATION_FACTOR"));
    CU_ASSERT_EQUAL(partitions_of(c, "big", NULL), -1);

    CU_ASSERT_EQUAL(create1(c, "zero", 0, 1, NULL, 0, false, &res, err, sizeof(err)), KAFKA_ERR_INVALID_PARTITIONS);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.message, "partitions"));
    CU_ASSERT_EQUAL(create1(c, "norf", 1, 0, NULL, 0, false, &res, err, sizeof(err)),
                    KAFKA_ERR_INVALID_REPLICATION_FACTOR);
    CU_ASSERT_EQUAL(create1(c, "bad/name", 1, 1, NULL, 0, false, &res, err, sizeof(err)),
                    KAFKA_ERR_INVALID_TOPIC_EXCEPTION);

    kafka_config_kv_t unknown[] = {{"retention.bytes", "10"}, {"no.such.config", "1"}};
    CU_ASSERT_EQUAL(create1(c, "cfg", 1, 1, unknown, 2, false, &res, err, sizeof(err)), KAFKA_ERR_INVALID_CONFIG);
    CU_ASSERT_STRING_EQUAL(res.message, "Unknown topic config name: no.such.config");
    kafka_config_kv_t badval[] = {{"cleanup.policy", "shred"}};
    CU_ASSERT_EQUAL(create1(c, "cfg", 1, 1, badval, 1, false, &res, err, sizeof(err)), KAFKA_ERR_INVALID_CONFIG);
    CU_ASSERT_STRING_EQUAL(res.message, "Invalid value shred for configuration cleanup.policy");
    kafka_config_kv_t both[] = {{"cleanup.policy", "compact,delete"}, {"min.cleanable.dirty.ratio", "0.1"}};
    CU_ASSERT_EQUAL(create1(c, "cfg", 1, 1, both, 2, false, &res, err, sizeof(err)), KAFKA_OK);

    /* Per-topic outcomes in one request: each named, the first error returned. */
    kafka_new_topic_t many[3] = {{"ok1", 1, 1, NULL, 0}, {"t", 1, 1, NULL, 0}, {"toobig", 1, 4, NULL, 0}};
    kafka_topic_result_t r3[3];
    CU_ASSERT_EQUAL(kafka_connection_create_topics(c, many, 3, false, 5000, r3, err, sizeof(err)),
                    KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(r3[0].err, KAFKA_OK);
    CU_ASSERT_EQUAL(r3[1].err, KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(r3[2].err, KAFKA_ERR_INVALID_REPLICATION_FACTOR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topic \"toobig\": INVALID_REPLICATION_FACTOR: Replication factor: 4 larger "
                                       "than available brokers: 3."));
    CU_ASSERT_PTR_NULL(strstr(err, "ok1"));
    CU_ASSERT_EQUAL(partitions_of(c, "ok1", NULL), 1);
    /* The same name twice in one request. */
    kafka_new_topic_t twice[2] = {{"dup", 1, 1, NULL, 0}, {"dup", 1, 1, NULL, 0}};
    CU_ASSERT_EQUAL(kafka_connection_create_topics(c, twice, 2, false, 5000, r3, err, sizeof(err)),
                    KAFKA_ERR_INVALID_REQUEST);

    /* A policy refusing the topic (create.topic.policy.class.name on a real broker). */
    kafka_mock_push_error(m, KAFKA_API_CREATE_TOPICS, -1, 1, KAFKA_ERR_POLICY_VIOLATION);
    CU_ASSERT_EQUAL(create1(c, "pol", 1, 1, NULL, 0, false, &res, err, sizeof(err)), KAFKA_ERR_POLICY_VIOLATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topic \"pol\": POLICY_VIOLATION"));
    CU_ASSERT_EQUAL(partitions_of(c, "pol", NULL), -1);

    /* Bad arguments never reach a broker. */
    kafka_new_topic_t noname = {NULL, 1, 1, NULL, 0};
    CU_ASSERT_EQUAL(kafka_connection_create_topics(c, &noname, 1, false, 1000, NULL, err, sizeof(err)),
                    KAFKA_ERR__INVALID_ARG);
    kafka_new_topic_t nocfg = {"x", 1, 1, NULL, 2};
    CU_ASSERT_EQUAL(kafka_connection_create_topics(c, &nocfg, 1, false, 1000, NULL, err, sizeof(err)),
                    KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_connection_create_topics(c, NULL, 0, false, 1000, NULL, NULL, 0), KAFKA_OK);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_validate_only(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    kafka_topic_result_t res;
    char err[1024];
    kafka_config_kv_t cfg[] = {{"max.message.bytes", "2000000"}};
    CU_ASSERT_EQUAL(create1(c, "v", 3, 3, cfg, 1, true, &res, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(partitions_of(c, "v", NULL), -1);
    CU_ASSERT_EQUAL(create1(c, "v", 3, 4, NULL, 0, true, &res, err, sizeof(err)),
                    KAFKA_ERR_INVALID_REPLICATION_FACTOR);
    CU_ASSERT_EQUAL(create1(c, "v", 3, 3, cfg, 1, false, &res, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(partitions_of(c, "v", NULL), 3);
    CU_ASSERT_EQUAL(create1(c, "v", 3, 3, NULL, 0, true, &res, err, sizeof(err)), KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_delete(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_mock_topic_create(m, "gone", 2, 2);
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, "gone", 2, 100, 50, "d");
    int64_t hw = 0;
    kafka_mock_partition_offsets(m, "gone", 0, NULL, &hw);
    CU_ASSERT_EQUAL(hw, 50);
    const char *names[] = {"gone"};
    kafka_topic_result_t res;
    CU_ASSERT_EQUAL(kafka_connection_delete_topics(c, names, 1, 5000, &res, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(res.err, KAFKA_OK);
    CU_ASSERT_EQUAL(partitions_of(c, "gone", NULL), -1);
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "gone", 0, NULL, &hw), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_EQUAL(kafka_connection_delete_topics(c, names, 1, 5000, &res, err, sizeof(err)),
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topic \"gone\": UNKNOWN_TOPIC_OR_PARTITION"));
    /* Created again under the same name: empty, its old log gone with it. */
    CU_ASSERT_EQUAL(create1(c, "gone", 2, 2, NULL, 0, false, NULL, err, sizeof(err)), KAFKA_OK);
    kafka_mock_partition_offsets(m, "gone", 0, NULL, &hw);
    CU_ASSERT_EQUAL(hw, 0);
    kafka_err_t e;
    kafka_configs_t *cf = kafka_connection_describe_configs(c, KAFKA_RESOURCE_TOPIC, "gone", 5000, &e, err,
                                                            sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(cf);
    kafka_configs_destroy(cf);
    const char *bad[] = {NULL};
    CU_ASSERT_EQUAL(kafka_connection_delete_topics(c, bad, 1, 1000, NULL, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_create_partitions(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_topic_result_t res;
    kafka_mock_topic_create(m, "grow", 3, 2);
    const char *names[] = {"grow"};
    int32_t five = 5, two = 2, nine = 9;
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, names, &five, 1, false, 5000, &res, err, sizeof(err)),
                    KAFKA_OK);
    int rf = 0;
    CU_ASSERT_EQUAL(partitions_of(c, "grow", &rf), 5);
    CU_ASSERT_EQUAL(rf, 2); /* the new ones keep the topic's factor */
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, names, &five, 1, false, 5000, &res, err, sizeof(err)),
                    KAFKA_ERR_INVALID_PARTITIONS);
    CU_ASSERT_STRING_EQUAL(res.message, "Topic already has 5 partitions.");
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, names, &two, 1, false, 5000, &res, err, sizeof(err)),
                    KAFKA_ERR_INVALID_PARTITIONS);
    CU_ASSERT_STRING_EQUAL(res.message, "Topic currently has 5 partitions, which is higher than the requested 2.");
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, names, &nine, 1, true, 5000, &res, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(partitions_of(c, "grow", NULL), 5);
    /* The new partitions take messages. */
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, "grow", 5, 50, 20, "g");
    int64_t hw = 0;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "grow", 4, NULL, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 10);
    const char *unknown[] = {"nope"};
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, unknown, &nine, 1, false, 5000, &res, err, sizeof(err)),
                    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topic \"nope\": UNKNOWN_TOPIC_OR_PARTITION"));
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_describe_broker(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_err_t e;
    kafka_configs_t *cf = kafka_connection_describe_configs(c, KAFKA_RESOURCE_BROKER, "2", 5000, &e, err,
                                                            sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
    CU_ASSERT_STRING_EQUAL(kafka_configs_find(cf, "broker.id")->value, "2");
    CU_ASSERT_TRUE(kafka_configs_find(cf, "broker.id")->read_only);
    char listener[64];
    snprintf(listener, sizeof(listener), "PLAINTEXT://127.0.0.1:%d", kafka_mock_broker_port(m, 2));
    CU_ASSERT_STRING_EQUAL(kafka_configs_find(cf, "listeners")->value, listener);
    CU_ASSERT_STRING_EQUAL(kafka_configs_find(cf, "auto.create.topics.enable")->value, "false");
    CU_ASSERT_FALSE(kafka_configs_find(cf, "auto.create.topics.enable")->is_default);
    CU_ASSERT_STRING_EQUAL(kafka_configs_find(cf, "num.partitions")->value, "4");
    CU_ASSERT_STRING_EQUAL(kafka_configs_find(cf, "message.max.bytes")->value, "1048588");
    CU_ASSERT_TRUE(kafka_configs_find(cf, "message.max.bytes")->is_default);
    const kafka_config_entry_t *pw = kafka_configs_find(cf, "ssl.keystore.password");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
    CU_ASSERT_TRUE(pw->is_sensitive);
    CU_ASSERT_PTR_NULL(pw->value);
    kafka_configs_destroy(cf);

    CU_ASSERT_PTR_NULL(kafka_connection_describe_configs(c, KAFKA_RESOURCE_BROKER, "9", 2000, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_STRING_EQUAL(err, "broker 9 is not in the cluster's metadata (brokers: 1 2 3)");
    CU_ASSERT_PTR_NULL(kafka_connection_describe_configs(c, KAFKA_RESOURCE_BROKER, "x", 2000, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_PTR_NULL(kafka_connection_describe_configs(c, KAFKA_RESOURCE_TOPIC, "nope", 2000, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_STRING_EQUAL(err, "topic \"nope\": UNKNOWN_TOPIC_OR_PARTITION: The topic does not exist.");
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_not_controller_retried(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_topic_result_t res;
    long before = kafka_connection_metadata_refreshes(c);
    kafka_mock_push_error(m, KAFKA_API_CREATE_TOPICS, -1, 1, KAFKA_ERR_NOT_CONTROLLER);
    CU_ASSERT_EQUAL(create1(c, "nc", 2, 1, NULL, 0, false, &res, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(kafka_connection_metadata_refreshes(c) > before);
    CU_ASSERT_EQUAL(partitions_of(c, "nc", NULL), 2);

    /* The controller goes away: the call finds the new one (broker 2) after a refresh. */
    kafka_mock_broker_set_down(m, 1, true);
    const char *names[] = {"nc"};
    CU_ASSERT_EQUAL(kafka_connection_delete_topics(c, names, 1, 5000, &res, err, sizeof(err)), KAFKA_OK);
    kafka_err_t e;
    kafka_metadata_t *md = kafka_connection_metadata(c, NULL, 0, 5000, &e, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(kafka_metadata_controller(md), 2);
    kafka_metadata_release(md);

    /* A controller that never settles: NOT_CONTROLLER in the end, after a bounded number of tries. */
    kafka_mock_push_error(m, KAFKA_API_CREATE_PARTITIONS, -1, 100, KAFKA_ERR_NOT_CONTROLLER);
    kafka_mock_topic_create(m, "p", 1, 1);
    const char *p[] = {"p"};
    int32_t two = 2;
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, p, &two, 1, false, 5000, &res, err, sizeof(err)),
                    KAFKA_ERR_NOT_CONTROLLER);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topic \"p\": NOT_CONTROLLER"));
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_timeout_and_cut_response(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_topic_result_t res;
    for (int b = 1; b <= 3; b++)
        kafka_mock_broker_set_latency(m, b, 1500);
    int64_t t0 = kafka_test_now_ms();
    kafka_new_topic_t t = {"slow", 1, 1, NULL, 0};
    kafka_err_t e = kafka_connection_create_topics(c, &t, 1, false, 400, &res, err, sizeof(err));
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT_NOT_EQUAL(e, KAFKA_OK);
    CU_ASSERT_EQUAL(res.err, e);
    CU_ASSERT(took < 1400);
    for (int b = 1; b <= 3; b++)
        kafka_mock_broker_set_latency(m, b, 0);

    /* A response cut in half: the connection is dropped and the call tried again; the
     * topic was deleted by the first request, so the second finds it gone. Nothing crashes. */
    kafka_mock_topic_create(m, "cut", 1, 1);
    kafka_mock_drop_next_response(m, KAFKA_API_DELETE_TOPICS, -1);
    const char *names[] = {"cut"};
    e = kafka_connection_delete_topics(c, names, 1, 5000, &res, err, sizeof(err));
    CU_ASSERT(e == KAFKA_OK || e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_EQUAL(partitions_of(c, "cut", NULL), -1);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

/* One raw request to the mock at a version; the decoded response in *resp (arena a). */
static void raw(int port, int16_t key, int16_t v, const void *req, void *resp, kafka_arena_t *a, uint8_t **frame) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_request_header_t hdr = {key, v, 7, kafka_str("raw")};
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(kafka_request_encode(&b, &hdr, req, err, sizeof(err)), KAFKA_OK);
    int fd = kafka_test_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    size_t len = 0;
    *frame = kafka_test_roundtrip(fd, b.data, b.len, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(*frame);
    int32_t corr = 0;
    kafka_err_t e = kafka_response_decode(*frame, len, key, v, a, &corr, resp, err, sizeof(err));
    if (e)
        fprintf(stderr, "%s v%d: %s\n", kafka_api_name(key), v, err);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    CU_ASSERT_EQUAL(corr, 7);
    kafka_buf_free(&b);
    close(fd);
}

/* The mock's four admin APIs at every version, to the controller (broker 1). */
static void test_mock_every_version(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    int port = kafka_mock_broker_port(m, 1);
    for (int16_t v = 0; v <= KAFKA_API_CREATE_TOPICS_MAX_VERSION; v++) {
        char name[16];
        snprintf(name, sizeof(name), "v%d", v);
        kafka_arena_t a = KAFKA_ARENA_INIT;
        uint8_t *frame;
        kafka_create_topics_request_t ct;
        kafka_request_init(KAFKA_API_CREATE_TOPICS, &ct);
        kafka_create_topics_request_creatable_topic_config_t cfg = {kafka_str("retention.ms"), kafka_str("1000")};
        kafka_create_topics_request_creatable_topic_t t = {kafka_str(name), 2, 2, {NULL, 0}, {&cfg, 1}};
        ct.topics.items = &t;
        ct.topics.count = 1;
        kafka_create_topics_response_t cr;
        raw(port, KAFKA_API_CREATE_TOPICS, v, &ct, &cr, &a, &frame);
        CU_ASSERT_EQUAL_FATAL(cr.topics.count, 1);
        CU_ASSERT_EQUAL(cr.topics.items[0].error_code, 0);
        if (v >= 5) {
            CU_ASSERT_EQUAL(cr.topics.items[0].num_partitions, 2);
            CU_ASSERT_EQUAL(cr.topics.items[0].configs.count, 18);
        }
        free(frame);
        /* Again: TOPIC_ALREADY_EXISTS, with a message from v1. */
        raw(port, KAFKA_API_CREATE_TOPICS, v, &ct, &cr, &a, &frame);
        CU_ASSERT_EQUAL(cr.topics.items[0].error_code, KAFKA_ERR_TOPIC_ALREADY_EXISTS);
        CU_ASSERT_EQUAL(cr.topics.items[0].error_message.len > 0, v >= 1);
        free(frame);
        kafka_arena_free(&a);
    }
    for (int16_t v = 0; v <= KAFKA_API_DESCRIBE_CONFIGS_MAX_VERSION; v++) {
        kafka_arena_t a = KAFKA_ARENA_INIT;
        uint8_t *frame;
        kafka_describe_configs_request_t dc;
        kafka_request_init(KAFKA_API_DESCRIBE_CONFIGS, &dc);
        kafka_str_t keys[2] = {kafka_str("retention.ms"), kafka_str("segment.ms")};
        kafka_describe_configs_request_resource_t rs[2] = {{2, kafka_str("v0"), {keys, 2}},
                                                           {4, kafka_str("1"), {NULL, -1}}};
        dc.resources.items = rs;
        dc.resources.count = 2;
        kafka_describe_configs_response_t r;
        raw(port, KAFKA_API_DESCRIBE_CONFIGS, v, &dc, &r, &a, &frame);
        CU_ASSERT_EQUAL_FATAL(r.results.count, 2);
        CU_ASSERT_EQUAL_FATAL(r.results.items[0].configs.count, 2);
        kafka_describe_configs_response_resource_result_t *c0 = &r.results.items[0].configs.items[0];
        CU_ASSERT(kafka_str_eq(c0->name, "retention.ms") && kafka_str_eq(c0->value, "1000"));
        CU_ASSERT_FALSE(c0->is_default);
        CU_ASSERT_EQUAL(c0->config_source, v >= 1 ? 1 : -1);
        kafka_describe_configs_response_resource_result_t *c1 = &r.results.items[0].configs.items[1];
        CU_ASSERT_EQUAL(c1->is_default, v == 0);
        CU_ASSERT_EQUAL(r.results.items[1].error_code, 0);
        CU_ASSERT(r.results.items[1].configs.count >= 8);
        free(frame);
        kafka_arena_free(&a);
    }
    for (int16_t v = 0; v <= KAFKA_API_CREATE_PARTITIONS_MAX_VERSION; v++) {
        kafka_arena_t a = KAFKA_ARENA_INIT;
        uint8_t *frame;
        kafka_create_partitions_request_t cp;
        kafka_request_init(KAFKA_API_CREATE_PARTITIONS, &cp);
        kafka_create_partitions_request_topic_t t = {kafka_str("v1"), 3 + v, {NULL, -1}};
        cp.topics.items = &t;
        cp.topics.count = 1;
        kafka_create_partitions_response_t r;
        raw(port, KAFKA_API_CREATE_PARTITIONS, v, &cp, &r, &a, &frame);
        CU_ASSERT_EQUAL_FATAL(r.results.count, 1);
        CU_ASSERT_EQUAL(r.results.items[0].error_code, 0);
        free(frame);
        kafka_arena_free(&a);
    }
    for (int16_t v = 0; v <= KAFKA_API_DELETE_TOPICS_MAX_VERSION; v++) {
        char name[16];
        snprintf(name, sizeof(name), "v%d", v);
        kafka_arena_t a = KAFKA_ARENA_INIT;
        uint8_t *frame;
        kafka_delete_topics_request_t dt;
        kafka_request_init(KAFKA_API_DELETE_TOPICS, &dt);
        kafka_str_t n = kafka_str(name);
        kafka_delete_topics_request_delete_topic_state_t st = {n, {{0}}};
        if (v >= 6) {
            dt.topics.items = &st;
            dt.topics.count = 1;
        } else {
            dt.topic_names.items = &n;
            dt.topic_names.count = 1;
        }
        kafka_delete_topics_response_t r;
        raw(port, KAFKA_API_DELETE_TOPICS, v, &dt, &r, &a, &frame);
        CU_ASSERT_EQUAL_FATAL(r.responses.count, 1);
        CU_ASSERT(kafka_str_eq(r.responses.items[0].name, name));
        CU_ASSERT_EQUAL(r.responses.items[0].error_code, 0);
        free(frame);
        kafka_arena_free(&a);
    }
    /* A broker that is not the controller refuses topic changes. */
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame;
    kafka_delete_topics_request_t dt;
    kafka_request_init(KAFKA_API_DELETE_TOPICS, &dt);
    kafka_str_t n = kafka_str("any");
    dt.topic_names.items = &n;
    dt.topic_names.count = 1;
    kafka_delete_topics_response_t r;
    raw(kafka_mock_broker_port(m, 2), KAFKA_API_DELETE_TOPICS, 5, &dt, &r, &a, &frame);
    CU_ASSERT_EQUAL(r.responses.items[0].error_code, KAFKA_ERR_NOT_CONTROLLER);
    free(frame);
    kafka_arena_free(&a);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"create topics with configs, describe them", test_create_and_describe},
    {"create topics: every per-topic error named", test_create_errors},
    {"create topics: validate only", test_validate_only},
    {"delete topics: topic and log gone", test_delete},
    {"create partitions: grow, errors", test_create_partitions},
    {"describe broker configs, sensitive masked", test_describe_broker},
    {"NOT_CONTROLLER and a lost controller retried after a refresh", test_not_controller_retried},
    {"timeouts and cut responses", test_timeout_and_cut_response},
    {"the mock's admin APIs at every version", test_mock_every_version},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("admin", tests)
