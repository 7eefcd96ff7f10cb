/* The admin calls on consumer groups (kafka_connection_list_groups,
 * kafka_connection_describe_group) against kafka-mock at the Kafka versions whose
 * answers differ: 0.10.2 (OffsetFetch v2, the first with a null topic list for every
 * topic; DescribeGroups v0; ListGroups v1, without states), 2.4 (OffsetFetch v6,
 * DescribeGroups v5, ListGroups v3), 4.0 and the mock's latest (OffsetFetch v8+ by group, ListGroups
 * states, DescribeGroups v6's GROUP_ID_NOT_FOUND). Two members of ours consume 400
 * messages of 4 partitions: the group is Stable with both, each owning the partitions its
 * assignment lists, committed 100 = end 100 each; closed, it is Empty with its offsets;
 * 40 more produced are lag 10 a partition; an unknown group is GROUP_ID_NOT_FOUND; a
 * coordinator refusing FindCoordinator a few times is retried. A KIP-848 group of two
 * members of ours (4.0 and latest) is described with ConsumerGroupDescribe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grouputil.h"
#include "kafka/admin.h"
#include "kafka/connection.h"
#include "kafka/mock.h"
#include "testutil.h"

#define NPART 4
#define NMSG 400
#define WAIT_MS 20000

static bool all_seen(const int *seen, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            return false;
    return true;
}

/* Every partition of g committed at `committed`. */
static bool committed_all(const kafka_group_t *g, int64_t committed) {
    if (kafka_group_partition_count(g) != NPART)
        return false;
    for (int i = 0; i < NPART; i++)
        if (kafka_group_partition(g, i)->committed != committed)
            return false;
    return true;
}

static kafka_connection_t *connect_to(kafka_mock_t *m) {
    kafka_conf_t *conf = kafka_conf_new();
    char err[256];
    kafka_conf_set(conf, "bootstrap.servers", kafka_mock_bootstrap(m), err, sizeof(err));
    kafka_conf_set(conf, "retry.backoff.ms", "20", err, sizeof(err));
    kafka_connection_t *c = kafka_connection_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(kafka_connection_wait_metadata(c, NULL, 5000, err, sizeof(err)), KAFKA_OK);
    return c;
}

/* The listing of group in the cluster's list, or NULL. */
static const kafka_group_listing_t *listed(const kafka_group_list_t *gl, const char *group) {
    for (int i = 0; i < kafka_group_list_count(gl); i++)
        if (strcmp(kafka_group_list_entry(gl, i)->group_id, group) == 0)
            return kafka_group_list_entry(gl, i);
    return NULL;
}

/* Every partition of g: committed and end as given (-1: any), lag end - committed. */
static void expect_offsets(const kafka_group_t *g, int64_t committed, int64_t end) {
    CU_ASSERT_EQUAL(kafka_group_partition_count(g), NPART);
    int64_t lag = 0;
    for (int i = 0; i < kafka_group_partition_count(g); i++) {
        const kafka_group_partition_t *p = kafka_group_partition(g, i);
        CU_ASSERT_STRING_EQUAL(p->topic, "ag");
        CU_ASSERT_EQUAL(p->partition, i);
        CU_ASSERT_EQUAL(p->err, KAFKA_OK);
        if (committed >= 0 && p->committed != committed)
            fprintf(stderr, "ag/%d: committed %lld, not %lld\n", i, (long long)p->committed, (long long)committed);
        if (committed >= 0)
            CU_ASSERT_EQUAL(p->committed, committed);
        if (end >= 0)
            CU_ASSERT_EQUAL(p->end, end);
        CU_ASSERT_EQUAL(p->lag, p->end - p->committed);
        lag += p->lag;
    }
    CU_ASSERT_EQUAL(kafka_group_total_lag(g), lag);
}

static void run_profile(const char *version) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 3;
    mc.kafka_version = version;
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "ag", NPART, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "ag", NPART, NMSG, 40, "g-");
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_err_t e;
    /* ListGroups v4+ (Kafka 2.6) has the states. */
    bool states = !version || (strcmp(version, "0.10.2") != 0 && strcmp(version, "2.4") != 0);

    kafka_group_list_t *gl = kafka_connection_list_groups(c, 5000, &e, err, sizeof(err));
    if (!gl)
        fprintf(stderr, "%s: list: %s\n", version ? version : "latest", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gl);
    CU_ASSERT_EQUAL(kafka_group_list_count(gl), 0);
    kafka_group_list_destroy(gl);

    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    gu_start(&a, bs, "ga", "range", "ag", NULL, seen, NMSG, "g-");
    gu_start(&b, bs, "ga", "range", "ag", NULL, seen, NMSG, "g-");
    int64_t until = kafka_test_now_ms() + WAIT_MS;
    while (!(gu_all_stable(mbs, 2) && gu_nassigned(&a) == 2 && gu_nassigned(&b) == 2 && all_seen(seen, NMSG)) &&
           kafka_test_now_ms() < until)
        for (int i = 0; i < 2; i++)
            gu_poll(mbs[i], 10);
    CU_ASSERT_FATAL(all_seen(seen, NMSG));
    /* Auto commit every 200 ms: until both committed everything. */
    kafka_group_t *g = NULL;
    until = kafka_test_now_ms() + WAIT_MS;
    do {
        kafka_group_destroy(g);
        for (int i = 0; i < 2; i++)
            gu_poll(mbs[i], 50);
        g = kafka_connection_describe_group(c, "ga", 5000, &e, err, sizeof(err));
        if (!g)
            fprintf(stderr, "%s: describe: %s\n", version ? version : "latest", err);
    } while (g && !committed_all(g, NMSG / NPART) && kafka_test_now_ms() < until);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(kafka_group_id(g), "ga");
    CU_ASSERT_STRING_EQUAL(kafka_group_state(g), "Stable");
    CU_ASSERT_STRING_EQUAL(kafka_group_protocol_type(g), "consumer");
    CU_ASSERT_STRING_EQUAL(kafka_group_protocol(g), "range");
    CU_ASSERT(kafka_group_coordinator(g) >= 1 && kafka_group_coordinator(g) <= 3);
    CU_ASSERT_EQUAL_FATAL(kafka_group_member_count(g), 2);
    expect_offsets(g, NMSG / NPART, NMSG / NPART);
    CU_ASSERT_EQUAL(kafka_group_total_lag(g), 0);
    /* Each member as its consumer knows itself; each partition's owner lists it. */
    for (int i = 0; i < 2; i++) {
        kafka_consumer_group_info_t info;
        kafka_consumer_group_info(mbs[i]->c, &info);
        int found = -1;
        for (int k = 0; k < 2; k++)
            if (strcmp(kafka_group_member(g, k)->member_id, info.member_id) == 0)
                found = k;
        CU_ASSERT_FATAL(found >= 0);
        const kafka_group_member_t *gm = kafka_group_member(g, found);
        CU_ASSERT(gm->assignment_decoded);
        CU_ASSERT_EQUAL(gm->nassigned, 2);
        CU_ASSERT_PTR_NULL(gm->group_instance_id);
        for (int k = 0; k < gm->nassigned; k++) {
            CU_ASSERT_STRING_EQUAL(gm->assigned[k].topic, "ag");
            CU_ASSERT(mbs[i]->assigned[gm->assigned[k].partition]);
            CU_ASSERT_EQUAL(kafka_group_partition(g, gm->assigned[k].partition)->member, found);
        }
    }
    kafka_group_destroy(g);
    gl = kafka_connection_list_groups(c, 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(gl);
    const kafka_group_listing_t *l = listed(gl, "ga");
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_STRING_EQUAL(l->protocol_type, "consumer");
    CU_ASSERT_STRING_EQUAL(l->state, states ? "Stable" : "");
    kafka_group_list_destroy(gl);

    /* Closed: Empty, the offsets kept; 40 more are lag 10 a partition. */
    gu_stop(&a);
    gu_stop(&b);
    kafka_test_produce(bs, NULL, "ag", NPART, 40, 40, "h-");
    g = kafka_connection_describe_group(c, "ga", 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(kafka_group_state(g), "Empty");
    CU_ASSERT_EQUAL(kafka_group_member_count(g), 0);
    expect_offsets(g, NMSG / NPART, NMSG / NPART + 10);
    CU_ASSERT_EQUAL(kafka_group_total_lag(g), 40);
    for (int i = 0; i < kafka_group_partition_count(g); i++)
        CU_ASSERT_EQUAL(kafka_group_partition(g, i)->member, -1);
    kafka_group_destroy(g);

    /* Unknown group; FindCoordinator refused three times, then answered. */
    CU_ASSERT_PTR_NULL(kafka_connection_describe_group(c, "nosuch", 5000, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_GROUP_ID_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "group \"nosuch\" does not exist"));
    kafka_mock_push_error(m, KAFKA_API_FIND_COORDINATOR, -1, 3, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
    g = kafka_connection_describe_group(c, "ga", 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(g);
    CU_ASSERT_EQUAL(kafka_group_total_lag(g), 40);
    kafka_group_destroy(g);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

/* The member of g whose member id is the consumer's, or -1. */
static int member_of(const kafka_group_t *g, kafka_consumer_t *c, kafka_consumer_group_info_t *info) {
    kafka_consumer_group_info(c, info);
    for (int k = 0; k < kafka_group_member_count(g); k++)
        if (strcmp(kafka_group_member(g, k)->member_id, info->member_id) == 0)
            return k;
    return -1;
}

/* A KIP-848 group (group.protocol=consumer): described with ConsumerGroupDescribe, its
 * state, epochs, assignor and members (epochs, assignments, targets), the partitions'
 * committed, end, lag and owner; one member gone, then both; a classic group on the same
 * coordinator falls back to DescribeGroups (GROUP_ID_NOT_FOUND "not a consumer group"). */
static void run_kip848(const char *version) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 3;
    mc.kafka_version = version;
    mc.consumer_heartbeat_interval_ms = 100; /* the members hear of changes quickly */
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "ag", NPART, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "ag", NPART, NMSG, 40, "g-");
    kafka_connection_t *c = connect_to(m);
    char err[1024];
    kafka_err_t e;
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    static const char *const kip848[] = {"group.protocol", "consumer", "client.id", "cg848", NULL};
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    gu_start(&a, bs, "g848", "range", "ag", kip848, seen, NMSG, "g-");
    gu_start(&b, bs, "g848", "range", "ag", kip848, seen, NMSG, "g-");
    int64_t until = kafka_test_now_ms() + WAIT_MS;
    while (!(gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART) && gu_nassigned(&a) == 2 && all_seen(seen, NMSG)) &&
           kafka_test_now_ms() < until)
        for (int i = 0; i < 2; i++)
            gu_poll(mbs[i], 10);
    CU_ASSERT_FATAL(all_seen(seen, NMSG));
    kafka_group_t *g = NULL;
    until = kafka_test_now_ms() + WAIT_MS;
    do {
        kafka_group_destroy(g);
        for (int i = 0; i < 2; i++)
            gu_poll(mbs[i], 50);
        g = kafka_connection_describe_group(c, "g848", 5000, &e, err, sizeof(err));
        if (!g)
            fprintf(stderr, "kip848 %s: describe: %s\n", version ? version : "latest", err);
    } while (g && !(committed_all(g, NMSG / NPART) && strcmp(kafka_group_state(g), "Stable") == 0) &&
             kafka_test_now_ms() < until);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(kafka_group_type(g), "consumer");
    CU_ASSERT_STRING_EQUAL(kafka_group_state(g), "Stable");
    CU_ASSERT_STRING_EQUAL(kafka_group_protocol_type(g), "consumer");
    CU_ASSERT_STRING_EQUAL(kafka_group_protocol(g), "uniform"); /* the mock's default server assignor */
    char state[32];
    int32_t epoch = -1;
    int members = 0;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "g848", state, sizeof(state), &epoch, &members), KAFKA_OK);
    CU_ASSERT(epoch >= 2); /* two joins */
    CU_ASSERT_EQUAL(kafka_group_epoch(g), epoch);
    CU_ASSERT_EQUAL(kafka_group_assignment_epoch(g), epoch);
    CU_ASSERT_EQUAL_FATAL(kafka_group_member_count(g), 2);
    expect_offsets(g, NMSG / NPART, NMSG / NPART);
    CU_ASSERT_EQUAL(kafka_group_total_lag(g), 0);
    for (int i = 0; i < 2; i++) {
        kafka_consumer_group_info_t info;
        int found = member_of(g, mbs[i]->c, &info);
        CU_ASSERT_FATAL(found >= 0);
        const kafka_group_member_t *gm = kafka_group_member(g, found);
        CU_ASSERT_EQUAL(gm->member_epoch, epoch); /* reconciled: at the assignment epoch */
        CU_ASSERT_EQUAL(gm->member_epoch, info.generation);
        CU_ASSERT_STRING_EQUAL(gm->client_id, "cg848");
        CU_ASSERT_STRING_EQUAL(gm->client_host, "/127.0.0.1");
        CU_ASSERT_PTR_NULL(gm->group_instance_id);
        CU_ASSERT(gm->assignment_decoded);
        CU_ASSERT_EQUAL(gm->nassigned, 2);
        CU_ASSERT_EQUAL_FATAL(gm->ntarget, gm->nassigned);
        for (int k = 0; k < gm->nassigned; k++) {
            CU_ASSERT_STRING_EQUAL(gm->assigned[k].topic, "ag");
            CU_ASSERT_STRING_EQUAL(gm->target[k].topic, "ag");
            CU_ASSERT_EQUAL(gm->target[k].partition, gm->assigned[k].partition);
            CU_ASSERT(mbs[i]->assigned[gm->assigned[k].partition]);
            CU_ASSERT_EQUAL(kafka_group_partition(g, gm->assigned[k].partition)->member, found);
        }
    }
    kafka_group_destroy(g);
    kafka_request_stats_t st[64];
    size_t n = kafka_connection_request_stats(c, st, 64);
    CU_ASSERT(kafka_test_api_requests(st, n < 64 ? n : 64, KAFKA_API_CONSUMER_GROUP_DESCRIBE) >= 1);

    /* One leaves: the other owns every partition, at a later epoch. */
    gu_stop(&b);
    until = kafka_test_now_ms() + WAIT_MS;
    g = NULL;
    do {
        kafka_group_destroy(g);
        gu_poll(&a, 50);
        g = kafka_connection_describe_group(c, "g848", 5000, &e, err, sizeof(err));
    } while (g && !(kafka_group_member_count(g) == 1 && kafka_group_member(g, 0)->nassigned == NPART &&
                    strcmp(kafka_group_state(g), "Stable") == 0) &&
             kafka_test_now_ms() < until);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL_FATAL(kafka_group_member_count(g), 1);
    CU_ASSERT_EQUAL(kafka_group_member(g, 0)->nassigned, NPART);
    CU_ASSERT(kafka_group_epoch(g) > epoch);
    CU_ASSERT_EQUAL(kafka_group_member(g, 0)->member_epoch, kafka_group_epoch(g));
    for (int i = 0; i < kafka_group_partition_count(g); i++)
        CU_ASSERT_EQUAL(kafka_group_partition(g, i)->member, 0);
    kafka_group_destroy(g);

    /* Both gone: Empty, still a consumer group, its offsets kept; 40 more are lag 10 each. */
    gu_stop(&a);
    kafka_test_produce(bs, NULL, "ag", NPART, 40, 40, "h-");
    g = kafka_connection_describe_group(c, "g848", 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(kafka_group_type(g), "consumer");
    CU_ASSERT_STRING_EQUAL(kafka_group_state(g), "Empty");
    CU_ASSERT_EQUAL(kafka_group_member_count(g), 0);
    expect_offsets(g, NMSG / NPART, NMSG / NPART + 10);
    CU_ASSERT_EQUAL(kafka_group_total_lag(g), 40);
    kafka_group_destroy(g);

    /* A classic group beside it: ConsumerGroupDescribe says GROUP_ID_NOT_FOUND, DescribeGroups
     * describes it. */
    memset(seen, 0, sizeof(seen));
    gu_start(&a, bs, "gclassic", "range", "ag", NULL, seen, NMSG, "g-");
    until = kafka_test_now_ms() + WAIT_MS;
    while (!(gu_all_stable(mbs, 1) && gu_nassigned(&a) == NPART) && kafka_test_now_ms() < until)
        gu_poll(&a, 10);
    g = kafka_connection_describe_group(c, "gclassic", 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(kafka_group_type(g), "classic");
    CU_ASSERT_STRING_EQUAL(kafka_group_protocol(g), "range");
    CU_ASSERT_EQUAL(kafka_group_epoch(g), -1);
    CU_ASSERT_EQUAL_FATAL(kafka_group_member_count(g), 1);
    CU_ASSERT_EQUAL(kafka_group_member(g, 0)->member_epoch, -1);
    CU_ASSERT_EQUAL(kafka_group_member(g, 0)->nassigned, NPART);
    CU_ASSERT_EQUAL(kafka_group_member(g, 0)->ntarget, 0);
    kafka_group_destroy(g);
    gu_stop(&a);
    CU_ASSERT_PTR_NULL(kafka_connection_describe_group(c, "nosuch", 5000, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_GROUP_ID_NOT_FOUND);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_kip848_4_0(void) { run_kip848("4.0"); }
static void test_kip848_latest(void) { run_kip848(NULL); }

static void test_kafka_0_10_2(void) { run_profile("0.10.2"); }
static void test_kafka_2_4(void) { run_profile("2.4"); }
static void test_kafka_4_0(void) { run_profile("4.0"); }
static void test_latest(void) { run_profile(NULL); }

/* A Kafka 4.x whose consumer protocol is off lists ConsumerGroupDescribe yet answers
 * each group UNSUPPORTED_VERSION: the group is described by DescribeGroups instead. */
static void test_describe_unsupported_per_group(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 1;
    mc.kafka_version = "4.0";
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "t", 1, 1), KAFKA_OK);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, "t", 1, 10, 40, "o-");
    const char *kv[] = {"group.id", "cg", "enable.auto.commit", "false", NULL};
    kafka_consumer_t *cons = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tp = {"t", 0, 5};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_commit(cons, &tp, 1, err, sizeof(err)), KAFKA_OK);
    kafka_consumer_destroy(cons);
    kafka_connection_t *c = connect_to(m);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_CONSUMER_GROUP_DESCRIBE, -1, 50, KAFKA_ERR_UNSUPPORTED_VERSION),
                    KAFKA_OK);
    kafka_err_t e = KAFKA_OK;
    kafka_group_t *g = kafka_connection_describe_group(c, "cg", 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(g);
    if (!g)
        fprintf(stderr, "  describe: %s: %s\n", kafka_err_name(e), err);
    if (g) {
        CU_ASSERT_STRING_EQUAL(kafka_group_state(g), "Empty");
        const kafka_group_partition_t *gp = kafka_group_partition(g, 0);
        CU_ASSERT_PTR_NOT_NULL(gp);
        if (gp)
            CU_ASSERT_EQUAL(gp->committed, 5);
    }
    kafka_group_destroy(g);
    kafka_connection_destroy(c);
    kafka_mock_destroy(m);
}

static void test_bad_args(void) {
    kafka_err_t e;
    char err[256];
    CU_ASSERT_PTR_NULL(kafka_connection_describe_group(NULL, "g", 100, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_PTR_NULL(kafka_connection_list_groups(NULL, 100, &e, err, sizeof(err)));
    CU_ASSERT_EQUAL(e, KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_group_list_count(NULL), 0);
    CU_ASSERT_PTR_NULL(kafka_group_partition(NULL, 0));
    kafka_group_destroy(NULL);
    kafka_group_list_destroy(NULL);
}

int main(void) {
    CU_TestInfo tests[] = {{"Kafka 0.10.2 profile", test_kafka_0_10_2},
                           {"Kafka 2.4 profile", test_kafka_2_4},
                           {"Kafka 4.0 profile", test_kafka_4_0},
                           {"latest", test_latest},
                           {"KIP-848 group, Kafka 4.0 profile", test_kip848_4_0},
                           {"KIP-848 group, latest", test_kip848_latest},
                           {"ConsumerGroupDescribe UNSUPPORTED_VERSION per group: DescribeGroups",
                            test_describe_unsupported_per_group},
                           {"bad arguments", test_bad_args},
                           CU_TEST_INFO_NULL};
    return kafka_test_run("admin_groups", tests);
}
