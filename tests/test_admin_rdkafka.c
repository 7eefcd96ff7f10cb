/* The admin APIs with librdkafka 2.0.2 as an independent peer: its admin client
 * (CreateTopics, DescribeConfigs, CreatePartitions, DeleteTopics) against our kafka-mock,
 * checked with our kafka-agent topics/configs and our library; our calls checked with
 * librdkafka's metadata; and our calls against librdkafka's own mock cluster. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kafka/admin.h"
#include "kafka/connection.h"
#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

#define WAIT_MS 10000

/* Runs kafka-agent with args (stdout and stderr together into out); its exit status. */
#define agent(out, out_size, ...) kafka_test_exec(KAFKA_AGENT, out, out_size, __VA_ARGS__)

static rd_kafka_t *rd_admin(const char *bootstrap) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    return rk;
}

/* Waits for the admin result event of type on q; NULL (a failed assertion) if none came. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, rd_kafka_event_type_t type) {
    int64_t end = kafka_test_now_ms() + WAIT_MS;
    while (kafka_test_now_ms() < end) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 200);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) == type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
    CU_FAIL("no admin result in time");
    return NULL;
}

/* librdkafka creates topic (with cleanup.policy=compact when compact); the topic result's
 * error, its string into why. */
static rd_kafka_resp_err_t rd_create(rd_kafka_t *rk, const char *topic, int parts, int rf, bool compact, char *why,
                                     size_t why_size) {
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, rf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(nt);
    if (compact)
        rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (ev) {
        size_t n = 0;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        e = n == 1 ? rd_kafka_topic_result_error(tr[0]) : rd_kafka_event_error(ev);
        const char *s = n == 1 ? rd_kafka_topic_result_error_string(tr[0]) : rd_kafka_event_error_string(ev);
        snprintf(why, why_size, "%s", s ? s : "");
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    return e;
}

/* librdkafka's DescribeConfigs of one resource; *cnt entries, the event to destroy in *evp. */
static const rd_kafka_ConfigEntry_t **rd_describe(rd_kafka_t *rk, rd_kafka_ResourceType_t type, const char *name,
                                                  size_t *cnt, rd_kafka_event_t **evp, rd_kafka_resp_err_t *errp) {
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(type, name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConfigs(rk, &cr, 1, NULL, q);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT);
    rd_kafka_ConfigResource_destroy(cr);
    rd_kafka_queue_destroy(q);
    *evp = ev;
    *cnt = 0;
    *errp = RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (!ev)
        return NULL;
    size_t nres = 0;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &nres);
    if (nres != 1) {
        *errp = rd_kafka_event_error(ev);
        return NULL;
    }
    *errp = rd_kafka_ConfigResource_error(rs[0]);
    return rd_kafka_ConfigResource_configs(rs[0], cnt);
}

static const rd_kafka_ConfigEntry_t *entry(const rd_kafka_ConfigEntry_t **e, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConfigEntry_name(e[i]), name) == 0)
            return e[i];
    return NULL;
}

/* Partitions of topic in librdkafka's metadata of the cluster, -1 when absent. */
static int rd_partitions(rd_kafka_t *rk, const char *topic) {
    const struct rd_kafka_metadata *md = NULL;
    CU_ASSERT_EQUAL_FATAL(rd_kafka_metadata(rk, 1, NULL, &md, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    int n = -1;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0 && md->topics[i].err == 0)
            n = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

static kafka_connection_t *our_connection(const char *bootstrap) {
    kafka_conf_t *conf = kafka_test_conf(bootstrap, NULL);
    char err[256];
    kafka_connection_t *c = kafka_connection_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, NULL, WAIT_MS, err, sizeof(err)), KAFKA_OK);
    return c;
}

static char out[1 << 16];

/* librdkafka's admin client against our mock; our kafka-agent and library see the result. */
static void test_rdkafka_admin_on_our_mock(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    const char *bs = kafka_mock_bootstrap(m);
    rd_kafka_t *rk = rd_admin(bs);
    char why[512];
    CU_ASSERT_EQUAL(rd_create(rk, "rdk-made", 5, 2, true, why, sizeof(why)), RD_KAFKA_RESP_ERR_NO_ERROR);
    CU_ASSERT_EQUAL(rd_create(rk, "rdk-made", 5, 2, false, why, sizeof(why)), RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
    CU_ASSERT_STRING_EQUAL(why, "Topic 'rdk-made' already exists.");
    CU_ASSERT_EQUAL(rd_create(rk, "rdk-wide", 1, 4, false, why, sizeof(why)),
                    RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
    CU_ASSERT_STRING_EQUAL(why, "Replication factor: 4 larger than available brokers: 3.");

    /* Our kafka-agent lists and describes what librdkafka made. */
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "topics -b %s", bs), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  rdk-made: 5 partitions, replication factor 2\n"));
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "topics -b %s --describe rdk-made", bs), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "topic \"rdk-made\": 5 partitions, replication factor 2\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  partition 4, leader "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  cleanup.policy=compact\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  retention.ms=604800000 (default)\n"));

    /* librdkafka's DescribeConfigs of the topic and of a broker (sent to that broker). */
    size_t n;
    rd_kafka_event_t *ev;
    rd_kafka_resp_err_t e;
    const rd_kafka_ConfigEntry_t **ce = rd_describe(rk, RD_KAFKA_RESOURCE_TOPIC, "rdk-made", &n, &ev, &e);
    CU_ASSERT_EQUAL(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    CU_ASSERT_EQUAL(n, 18);
    const rd_kafka_ConfigEntry_t *cp = entry(ce, n, "cleanup.policy");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cp);
    CU_ASSERT_STRING_EQUAL(rd_kafka_ConfigEntry_value(cp), "compact");
    CU_ASSERT_FALSE(rd_kafka_ConfigEntry_is_default(cp));
    const rd_kafka_ConfigEntry_t *rm = entry(ce, n, "retention.ms");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rm);
    CU_ASSERT_TRUE(rd_kafka_ConfigEntry_is_default(rm));
    rd_kafka_event_destroy(ev);
    ce = rd_describe(rk, RD_KAFKA_RESOURCE_BROKER, "3", &n, &ev, &e);
    CU_ASSERT_EQUAL(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    const rd_kafka_ConfigEntry_t *bid = entry(ce, n, "broker.id");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bid);
    CU_ASSERT_STRING_EQUAL(rd_kafka_ConfigEntry_value(bid), "3");
    CU_ASSERT_TRUE(rd_kafka_ConfigEntry_is_read_only(bid));
    const rd_kafka_ConfigEntry_t *pw = entry(ce, n, "ssl.keystore.password");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
    CU_ASSERT_TRUE(rd_kafka_ConfigEntry_is_sensitive(pw));
    CU_ASSERT_PTR_NULL(rd_kafka_ConfigEntry_value(pw));
    rd_kafka_event_destroy(ev);
    ce = rd_describe(rk, RD_KAFKA_RESOURCE_TOPIC, "nope", &n, &ev, &e);
    CU_ASSERT_EQUAL(e, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    rd_kafka_event_destroy(ev);

    /* librdkafka grows it and deletes it; our library sees both. */
    kafka_connection_t *c = our_connection(bs);
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new("rdk-made", 7, why, sizeof(why));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreatePartitions(rk, &np, 1, NULL, q);
    ev = wait_result(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT);
    CU_ASSERT_PTR_NOT_NULL(ev);
    if (ev) {
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
        CU_ASSERT(n == 1 && rd_kafka_topic_result_error(tr[0]) == 0);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewPartitions_destroy(np);
    kafka_err_t ke;
    kafka_metadata_t *md = kafka_connection_metadata(c, NULL, -1, WAIT_MS, &ke, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(kafka_metadata_partition_count(md, kafka_metadata_topic_index(md, "rdk-made")), 7);
    kafka_metadata_release(md);
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new("rdk-made");
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    ev = wait_result(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT);
    if (ev) {
        const rd_kafka_topic_result_t **tr =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        CU_ASSERT(n == 1 && rd_kafka_topic_result_error(tr[0]) == 0);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_queue_destroy(q);
    md = kafka_connection_metadata(c, NULL, -1, WAIT_MS, &ke, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(kafka_metadata_topic_index(md, "rdk-made"), -1);
    kafka_metadata_release(md);
    kafka_connection_destroy(c);
    rd_kafka_destroy(rk);
    kafka_mock_destroy(m);
}

/* Our calls; librdkafka's metadata sees what they did. */
static void test_ours_seen_by_rdkafka(void) {
    kafka_mock_t *m = kafka_test_mock(3, false);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_connection_t *c = our_connection(bs);
    rd_kafka_t *rk = rd_admin(bs);
    char err[512];
    kafka_new_topic_t t = {"ours", 3, 3, NULL, 0};
    CU_ASSERT_EQUAL(kafka_connection_create_topics(c, &t, 1, false, WAIT_MS, NULL, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(rd_partitions(rk, "ours"), 3);
    const char *names[] = {"ours"};
    int32_t six = 6;
    CU_ASSERT_EQUAL(kafka_connection_create_partitions(c, names, &six, 1, false, WAIT_MS, NULL, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(rd_partitions(rk, "ours"), 6);
    CU_ASSERT_EQUAL(kafka_connection_delete_topics(c, names, 1, WAIT_MS, NULL, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(rd_partitions(rk, "ours"), -1);
    rd_kafka_destroy(rk);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

/* Our calls against librdkafka's mock cluster: what it serves works; what it does not is
 * refused at once, naming the API (librdkafka 2.0.2's mock lists no admin API in
 * ApiVersions). */
static void test_ours_on_rdkafka_mock(void) {
    const char *bs = start_rdkafka_mock(3);
    kafka_connection_t *c = our_connection(bs);
    kafka_err_t e;
    char err[512];
    kafka_metadata_t *md = kafka_connection_metadata(c, NULL, 0, WAIT_MS, &e, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    int16_t vc = kafka_metadata_api_version(md, KAFKA_API_CREATE_TOPICS);
    int16_t vd = kafka_metadata_api_version(md, KAFKA_API_DESCRIBE_CONFIGS);
    kafka_metadata_release(md);
    fprintf(stderr, "librdkafka's mock: CreateTopics %s, DescribeConfigs %s\n", vc >= 0 ? "served" : "not served",
            vd >= 0 ? "served" : "not served");
    kafka_new_topic_t t = {"on-rdk", 2, 1, NULL, 0};
    kafka_topic_result_t res;
    e = kafka_connection_create_topics(c, &t, 1, false, 3000, &res, err, sizeof(err));
    if (vc >= 0) {
        CU_ASSERT_EQUAL(e, KAFKA_OK);
    } else {
        CU_ASSERT_EQUAL(e, KAFKA_ERR__UNKNOWN_APIKEY);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "speaks no CreateTopics version"));
    }
    kafka_configs_t *cf = kafka_connection_describe_configs(c, KAFKA_RESOURCE_BROKER, "1", 3000, &e, err,
                                                            sizeof(err));
    if (vd >= 0) {
        CU_ASSERT_PTR_NOT_NULL(cf);
    } else {
        CU_ASSERT_PTR_NULL(cf);
        CU_ASSERT_EQUAL(e, KAFKA_ERR__UNKNOWN_APIKEY);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "speaks no DescribeConfigs version"));
    }
    kafka_configs_destroy(cf);
    kafka_connection_destroy(c);
    stop_rdkafka_mock();
}

static CU_TestInfo tests[] = {
    {"librdkafka's admin client on our mock, seen by kafka-agent", test_rdkafka_admin_on_our_mock},
    {"our admin calls seen by librdkafka's metadata", test_ours_seen_by_rdkafka},
    {"our admin calls on librdkafka's mock cluster", test_ours_on_rdkafka_mock},
    CU_TEST_INFO_NULL,
};
#else
static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {{"skipped", test_skipped}, CU_TEST_INFO_NULL};
#endif

KAFKA_TEST_MAIN("admin_rdkafka", tests)
