/* KIP-848 consumer groups (group.protocol=consumer, ConsumerGroupHeartbeat) on our mock:
 * members of ours share a topic with every message consumed once; a third member joining
 * moves only the partitions it gets (the others keep the rest, never revoked), and its
 * leaving hands them back; a member that stops heartbeating loses its partitions to the
 * others after the coordinator's session timeout; a static member restarting gets its
 * partitions back with no rebalance; a coordinator without ConsumerGroupHeartbeat is a
 * clear error. The coordinator's rules are checked with a raw client: epochs, the
 * revocation before a partition moves, the range assignor, commits with the member epoch
 * (STALE_MEMBER_EPOCH, UNSUPPORTED_VERSION below OffsetCommit v9), FENCED_MEMBER_EPOCH,
 * UNKNOWN_MEMBER_ID, UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, leaving with -1 / -2,
 * ListGroups' type and state.
 * Every wait has a deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grouputil.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "testutil.h"

#define NPART 6
#define NMSG 600
#define WAIT_MS 20000
#define SESSION_MS 1500    /* the coordinator's, where a test waits for it to pass */
#define LONG_SESSION_MS 6000 /* where nobody is to expire, however loaded the machine */

static const char *const kip848[] = {"group.protocol", "consumer", NULL};

#define POLL_UNTIL(mbs, n, cond)                                                                 \
    ({                                                                                           \
        int64_t until_ = kafka_test_now_ms() + WAIT_MS;                                          \
        bool ok_ = false;                                                                        \
        while (!(ok_ = (cond)) && kafka_test_now_ms() < until_)                                  \
            for (int i_ = 0; i_ < (n); i_++)                                                     \
                if ((mbs)[i_]->c)                                                                \
                    gu_poll((mbs)[i_], 10);                                                      \
        ok_;                                                                                     \
    })

static kafka_mock_t *mock848(const char *version, int32_t session_ms) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    conf.kafka_version = version;
    conf.consumer_session_timeout_ms = session_ms;
    conf.consumer_heartbeat_interval_ms = 100;
    return kafka_test_mock_new(&conf);
}

static bool subset_of(const int *a, const int *b) {
    for (int p = 0; p < NPART; p++)
        if (a[p] && !b[p])
            return false;
    return true;
}

/* Two members, then a third joins (incremental: the first two only give up), then it
 * leaves; each batch of messages is consumed exactly once, commits carry member epochs. */
static void test_join_leave(void) {
    kafka_mock_t *m = mock848(NULL, LONG_SESSION_MS);
    const char *bs = kafka_mock_bootstrap(m);
    const char *group = "g848", *topic = "t848";
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    static int seen1[NMSG], seen2[NMSG], seen3[NMSG];
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "a-");
    gu_member_t a, b, c;
    gu_member_t *mbs[] = {&a, &b, &c};
    int64_t t0 = kafka_test_now_ms();
    gu_start(&a, bs, group, "range", topic, kip848, seen1, NMSG, "a-");
    gu_start(&b, bs, group, "range", topic, kip848, seen1, NMSG, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART) && gu_all_seen(seen1, NMSG)));
    fprintf(stderr, "two members settled in %lld ms: %d + %d partitions\n", (long long)(kafka_test_now_ms() - t0),
            gu_nassigned(&a), gu_nassigned(&b));
    CU_ASSERT_EQUAL(gu_nassigned(&a), NPART / 2);
    CU_ASSERT_EQUAL(gu_nassigned(&b), NPART / 2);
    gu_expect_once(seen1, NMSG, "two members");
    char err[600];
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(a.c, false, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(b.c, false, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(gu_committed_sum(bs, group, topic, NPART), NMSG);
    char state[32];
    int32_t epoch = -1;
    int members = 0;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, state, sizeof(state), &epoch, &members), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(state, "Stable");
    CU_ASSERT_EQUAL(members, 2);
    kafka_consumer_group_info_t ia;
    CU_ASSERT_EQUAL(kafka_consumer_group_info(a.c, &ia), KAFKA_OK);
    CU_ASSERT_EQUAL(ia.generation, epoch); /* the member epoch is the group's once reconciled */

    int before_a[NPART], before_b[NPART];
    memcpy(before_a, a.assigned, sizeof(before_a));
    memcpy(before_b, b.assigned, sizeof(before_b));
    int lost_before = a.events[KAFKA_REBALANCE_LOST] + b.events[KAFKA_REBALANCE_LOST];
    t0 = kafka_test_now_ms();
    gu_start(&c, bs, group, "range", topic, kip848, seen2, NMSG, "b-");
    a.seen = b.seen = seen2;
    a.prefix = b.prefix = "b-";
    CU_ASSERT(POLL_UNTIL(mbs, 3, gu_all_stable(mbs, 3) && gu_split_ok(mbs, 3, NPART) && gu_nassigned(&c) == 2));
    fprintf(stderr, "third member consuming after %lld ms: %d + %d + %d partitions\n",
            (long long)(kafka_test_now_ms() - t0), gu_nassigned(&a), gu_nassigned(&b), gu_nassigned(&c));
    CU_ASSERT(subset_of(a.assigned, before_a)); /* only given up, nothing moved between a and b */
    CU_ASSERT(subset_of(b.assigned, before_b));
    CU_ASSERT_EQUAL(gu_nassigned(&a), 2);
    CU_ASSERT_EQUAL(gu_nassigned(&b), 2);
    CU_ASSERT_EQUAL(a.events[KAFKA_REBALANCE_LOST] + b.events[KAFKA_REBALANCE_LOST], lost_before);
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "b-");
    CU_ASSERT(POLL_UNTIL(mbs, 3, gu_all_seen(seen2, NMSG)));
    gu_expect_once(seen2, NMSG, "three members");
    gu_expect_once(seen1, NMSG, "before the third joined (nothing read again)");
    CU_ASSERT(c.got > 0);

    gu_stop(&c); /* commits, leaves with epoch -1 */
    a.seen = b.seen = seen3;
    a.prefix = b.prefix = "c-";
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "c-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_seen(seen3, NMSG)));
    gu_expect_once(seen3, NMSG, "after the third left");
    gu_expect_once(seen2, NMSG, "before it left (nothing read again)");
    CU_ASSERT_EQUAL(a.errors + b.errors + c.errors, 0);
    if (a.errors + b.errors)
        fprintf(stderr, "poll error: %s %s\n", a.errstr, b.errstr);
    gu_stop(&a);
    gu_stop(&b);
    CU_ASSERT_EQUAL(gu_committed_sum(bs, group, topic, NPART), 3 * NMSG);
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, state, sizeof(state), NULL, &members), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(state, "Empty");
    CU_ASSERT_EQUAL(members, 0);
    kafka_mock_destroy(m);
}

/* ---- a raw member ---- */

typedef struct raw_s {
    kafka_test_client_t cl;
    char id[64];
    int32_t epoch;
    kafka_uuid_t topic_id;
    int32_t parts[NPART];
    int nparts;
} raw_t;

static kafka_uuid_t topic_id_of(kafka_test_client_t *cl, const char *topic) {
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    kafka_metadata_request_topic_t t = {.name = kafka_str(topic)};
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_metadata_response_t resp;
    kafka_uuid_t id = {{0}};
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(cl, KAFKA_API_METADATA, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(resp.topics.count, 1);
    id = resp.topics.items[0].topic_id;
    return id;
}

/* One heartbeat of r at epoch with its owned partitions (owned false: null) and the
 * subscription (topic NULL: null); the answer's epoch and assignment are taken. */
static int16_t raw_hb(raw_t *r, const char *group, const char *topic, int32_t epoch, bool owned,
                      const char *instance, const char *assignor) {
    kafka_consumer_group_heartbeat_request_t req;
    kafka_request_init(KAFKA_API_CONSUMER_GROUP_HEARTBEAT, &req);
    req.group_id = kafka_str(group);
    req.member_id = kafka_str(r->id);
    req.member_epoch = epoch;
    req.instance_id = kafka_str(instance);
    req.server_assignor = kafka_str(assignor);
    kafka_str_t names[1] = {kafka_str(topic)};
    if (topic) {
        req.subscribed_topic_names.items = names;
        req.subscribed_topic_names.count = 1;
    }
    kafka_consumer_group_heartbeat_request_topic_partitions_t tp = {r->topic_id, {r->parts, r->nparts}};
    if (owned) {
        req.topic_partitions.items = &tp;
        req.topic_partitions.count = r->nparts ? 1 : 0;
    }
    kafka_consumer_group_heartbeat_response_t resp;
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&r->cl, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 1, &req, &resp), KAFKA_OK);
    if (resp.error_code)
        return resp.error_code;
    CU_ASSERT(resp.heartbeat_interval_ms == 100);
    if (resp.member_id.len > 0)
        snprintf(r->id, sizeof(r->id), "%.*s", resp.member_id.len, resp.member_id.str);
    r->epoch = resp.member_epoch;
    if (resp.assignment) {
        r->nparts = 0;
        for (int32_t t = 0; t < resp.assignment->topic_partitions.count; t++) {
            const kafka_consumer_group_heartbeat_response_topic_partitions_t *tp =
                &resp.assignment->topic_partitions.items[t];
            CU_ASSERT(memcmp(tp->topic_id.b, r->topic_id.b, 16) == 0);
            for (int32_t p = 0; p < tp->partitions.count && r->nparts < NPART; p++)
                r->parts[r->nparts++] = tp->partitions.items[p];
        }
    }
    return 0;
}

static int16_t raw_commit(raw_t *r, const char *group, const char *topic, int16_t version, int32_t epoch) {
    kafka_offset_commit_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_COMMIT, &req);
    req.group_id = kafka_str(group);
    req.generation_id_or_member_epoch = epoch;
    req.member_id = kafka_str(r->id);
    kafka_offset_commit_request_partition_t p = {0, 1, -1, -1, kafka_str("")};
    kafka_offset_commit_request_topic_t t = {kafka_str(topic), {&p, 1}};
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_offset_commit_response_t resp;
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&r->cl, KAFKA_API_OFFSET_COMMIT, version, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(resp.topics.count, 1);
    return resp.topics.items[0].partitions.items[0].error_code;
}

/* The partitions of a described assignment (one topic: name checked), in order, into
 * parts; their count. */
static int described_parts(const kafka_consumer_group_describe_response_assignment_t *a, const char *topic,
                           int32_t *parts) {
    int n = 0;
    for (int32_t t = 0; t < a->topic_partitions.count; t++) {
        CU_ASSERT(kafka_str_eq(a->topic_partitions.items[t].topic_name, topic));
        for (int32_t p = 0; p < a->topic_partitions.items[t].partitions.count && n < NPART; p++)
            parts[n++] = a->topic_partitions.items[t].partitions.items[p];
    }
    return n;
}

/* ConsumerGroupDescribe (v0, v1) and DescribeGroups (v5, v6) of a group that b joined and
 * a (epoch e1) has yet to give up half of: Reconciling, a owns all six at e1 and targets
 * the first three, b at the new epoch owns none and targets the rest. */
static void check_described(kafka_mock_t *m, raw_t *r, const char *group, const char *topic, int32_t e1, int32_t e2) {
    /* An unknown group that broker 1 (r's) would coordinate, and a classic one there. */
    char nosuch[32] = "";
    for (int i = 0; i < 100 && !nosuch[0]; i++) {
        char name[32];
        snprintf(name, sizeof(name), "nosuch848-%d", i);
        kafka_find_coordinator_request_t freq;
        kafka_request_init(KAFKA_API_FIND_COORDINATOR, &freq);
        freq.key = kafka_str(name);
        kafka_find_coordinator_response_t fresp;
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&r->cl, KAFKA_API_FIND_COORDINATOR, 2, &freq, &fresp), KAFKA_OK);
        if (fresp.node_id == 1)
            snprintf(nosuch, sizeof(nosuch), "%s", name);
    }
    CU_ASSERT_FATAL(nosuch[0] != 0);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_group_move(m, "classic848", 1), KAFKA_OK);
    kafka_consumer_group_describe_request_t req;
    kafka_request_init(KAFKA_API_CONSUMER_GROUP_DESCRIBE, &req);
    kafka_str_t ids[3] = {kafka_str(group), kafka_str(nosuch), kafka_str("classic848")};
    req.group_ids.items = ids;
    req.group_ids.count = 3;
    for (int16_t v = 0; v <= 1; v++) {
        kafka_consumer_group_describe_response_t resp;
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&r->cl, KAFKA_API_CONSUMER_GROUP_DESCRIBE, v, &req, &resp),
                              KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(resp.groups.count, 3);
        const kafka_consumer_group_describe_response_described_group_t *dg = &resp.groups.items[0];
        CU_ASSERT_EQUAL(dg->error_code, 0);
        CU_ASSERT(kafka_str_eq(dg->group_id, group));
        CU_ASSERT(kafka_str_eq(dg->group_state, "Reconciling"));
        CU_ASSERT_EQUAL(dg->group_epoch, e2);
        CU_ASSERT_EQUAL(dg->assignment_epoch, e2);
        CU_ASSERT(kafka_str_eq(dg->assignor_name, "range"));
        CU_ASSERT_EQUAL_FATAL(dg->members.count, 2);
        for (int32_t i = 0; i < 2; i++) {
            const kafka_consumer_group_describe_response_member_t *mem = &dg->members.items[i];
            bool is_a = kafka_str_eq(mem->member_id, "member-a");
            CU_ASSERT(is_a || kafka_str_eq(mem->member_id, "member-b"));
            CU_ASSERT_EQUAL(mem->member_epoch, is_a ? e1 : e2);
            CU_ASSERT(kafka_str_eq(mem->client_id, "raw848"));
            CU_ASSERT_EQUAL(mem->instance_id.len, -1);
            CU_ASSERT_EQUAL_FATAL(mem->subscribed_topic_names.count, 1);
            CU_ASSERT(kafka_str_eq(mem->subscribed_topic_names.items[0], topic));
            CU_ASSERT_EQUAL(mem->member_type, v >= 1 ? 1 : -1);
            int32_t owned[NPART], target[NPART];
            int no = described_parts(&mem->assignment, topic, owned);
            int nt = described_parts(&mem->target_assignment, topic, target);
            CU_ASSERT_EQUAL(no, is_a ? NPART : 0); /* a owns what it has yet to revoke */
            CU_ASSERT_EQUAL_FATAL(nt, NPART / 2);
            for (int k = 0; k < nt; k++)
                CU_ASSERT_EQUAL(target[k], (is_a ? 0 : NPART / 2) + k);
            if (mem->assignment.topic_partitions.count)
                CU_ASSERT(memcmp(mem->assignment.topic_partitions.items[0].topic_id.b, r->topic_id.b, 16) == 0);
        }
        CU_ASSERT_EQUAL(resp.groups.items[1].error_code, KAFKA_ERR_GROUP_ID_NOT_FOUND);
        char msg[64];
        snprintf(msg, sizeof(msg), "Group %s not found.", nosuch);
        CU_ASSERT(kafka_str_eq(resp.groups.items[1].error_message, msg));
        CU_ASSERT_EQUAL(resp.groups.items[2].error_code, KAFKA_ERR_GROUP_ID_NOT_FOUND);
        CU_ASSERT(kafka_str_eq(resp.groups.items[2].error_message, "Group classic848 is not a consumer group."));
    }
    /* DescribeGroups takes classic groups only: Dead, GROUP_ID_NOT_FOUND from v6. */
    kafka_describe_groups_request_t dreq;
    kafka_request_init(KAFKA_API_DESCRIBE_GROUPS, &dreq);
    dreq.groups.items = ids;
    dreq.groups.count = 1;
    for (int16_t v = 5; v <= 6; v++) {
        kafka_describe_groups_response_t dresp;
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&r->cl, KAFKA_API_DESCRIBE_GROUPS, v, &dreq, &dresp), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(dresp.groups.count, 1);
        CU_ASSERT(kafka_str_eq(dresp.groups.items[0].group_state, "Dead"));
        CU_ASSERT_EQUAL(dresp.groups.items[0].error_code, v >= 6 ? KAFKA_ERR_GROUP_ID_NOT_FOUND : 0);
        CU_ASSERT_EQUAL(dresp.groups.items[0].members.count, 0);
    }
}

static void raw_open(raw_t *r, kafka_mock_t *m, const char *topic) {
    memset(r, 0, sizeof(*r));
    kafka_test_client_open(&r->cl, m, 1, "raw848");
    r->topic_id = topic_id_of(&r->cl, topic);
}

/* The coordinator's rules, member by member. */
static void test_coordinator(void) {
    kafka_mock_t *m = mock848(NULL, SESSION_MS);
    const char *group = "g848-raw", *topic = "t848-raw";
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_group_move(m, group, 1), KAFKA_OK);
    raw_t a, b, s;
    raw_open(&a, m, topic);
    raw_open(&b, m, topic);
    raw_open(&s, m, topic);
    static const kafka_uuid_t zero;
    CU_ASSERT(memcmp(a.topic_id.b, zero.b, 16) != 0);
    CU_ASSERT(memcmp(a.topic_id.b, topic_id_of(&b.cl, topic).b, 16) == 0); /* stable */

    snprintf(a.id, sizeof(a.id), "member-a");
    snprintf(b.id, sizeof(b.id), "member-b");
    CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, 0, false, NULL, NULL), KAFKA_ERR_INVALID_REQUEST); /* no subscription */
    CU_ASSERT_EQUAL(raw_hb(&a, group, topic, 0, false, NULL, "sticky"), KAFKA_ERR_UNSUPPORTED_ASSIGNOR);
    CU_ASSERT_EQUAL(raw_hb(&a, group, topic, 0, false, NULL, "range"), 0);
    CU_ASSERT(a.epoch > 0);
    CU_ASSERT_EQUAL(a.nparts, NPART);
    int32_t e1 = a.epoch;
    /* b joins: the partitions it is to get are a's until a gives them up. */
    CU_ASSERT_EQUAL(raw_hb(&b, group, topic, 0, false, NULL, "range"), 0);
    CU_ASSERT_EQUAL(b.nparts, 0);
    CU_ASSERT(b.epoch > e1);
    CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, a.epoch, true, NULL, NULL), 0);
    CU_ASSERT_EQUAL(a.epoch, e1); /* revoking: the epoch stays */
    CU_ASSERT_EQUAL(a.nparts, NPART / 2);
    for (int i = 0; i < a.nparts; i++)
        CU_ASSERT_EQUAL(a.parts[i], i); /* range: member-a sorts first */
    CU_ASSERT_EQUAL(raw_hb(&b, group, NULL, b.epoch, true, NULL, NULL), 0);
    CU_ASSERT_EQUAL(b.nparts, 0); /* not released yet */
    check_described(m, &a, group, topic, e1, b.epoch);
    /* a's commits still go at its epoch while it revokes; not at another, nor below v9. */
    CU_ASSERT_EQUAL(raw_commit(&a, group, topic, 9, e1), 0);
    CU_ASSERT_EQUAL(raw_commit(&a, group, topic, 9, e1 - 1), KAFKA_ERR_STALE_MEMBER_EPOCH);
    CU_ASSERT_EQUAL(raw_commit(&a, group, topic, 8, e1), KAFKA_ERR_UNSUPPORTED_VERSION);
    snprintf(s.id, sizeof(s.id), "nobody");
    CU_ASSERT_EQUAL(raw_commit(&s, group, topic, 9, e1), KAFKA_ERR_UNKNOWN_MEMBER_ID);
    /* a acknowledges (owns only its three now): the new epoch; b gets the rest. */
    CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, a.epoch, true, NULL, NULL), 0);
    CU_ASSERT(a.epoch > e1);
    CU_ASSERT_EQUAL(raw_commit(&a, group, topic, 9, e1), KAFKA_ERR_STALE_MEMBER_EPOCH);
    CU_ASSERT_EQUAL(raw_commit(&a, group, topic, 9, a.epoch), 0);
    CU_ASSERT_EQUAL(raw_hb(&b, group, NULL, b.epoch, true, NULL, NULL), 0);
    CU_ASSERT_EQUAL(b.nparts, NPART / 2);
    CU_ASSERT_EQUAL(b.epoch, a.epoch);
    for (int i = 0; i < b.nparts; i++)
        CU_ASSERT_EQUAL(b.parts[i], NPART / 2 + i);
    char state[32];
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, state, sizeof(state), NULL, NULL), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(state, "Stable");
    kafka_list_groups_request_t lreq;
    kafka_request_init(KAFKA_API_LIST_GROUPS, &lreq);
    kafka_str_t type = kafka_str("consumer");
    lreq.types_filter.items = &type;
    lreq.types_filter.count = 1;
    kafka_list_groups_response_t lresp;
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&a.cl, KAFKA_API_LIST_GROUPS, 5, &lreq, &lresp), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(lresp.groups.count, 1);
    CU_ASSERT(kafka_str_eq(lresp.groups.items[0].group_id, group));
    CU_ASSERT(kafka_str_eq(lresp.groups.items[0].group_state, "Stable"));
    CU_ASSERT(kafka_str_eq(lresp.groups.items[0].group_type, "consumer"));
    /* Epochs that are not the member's. */
    CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, a.epoch + 5, true, NULL, NULL), KAFKA_ERR_FENCED_MEMBER_EPOCH);
    CU_ASSERT_EQUAL(raw_hb(&s, group, NULL, 3, true, NULL, NULL), KAFKA_ERR_UNKNOWN_MEMBER_ID);
    /* A static member: its instance is taken while it is there; after -2 a newcomer
     * with the instance gets its epoch and partitions, nobody else moves. */
    snprintf(s.id, sizeof(s.id), "member-s1");
    CU_ASSERT_EQUAL(raw_hb(&s, group, topic, 0, false, "inst-1", NULL), 0);
    for (int i = 0; i < 4 && (a.nparts + b.nparts > 4 || s.nparts < 2); i++) {
        CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, a.epoch, true, NULL, NULL), 0);
        CU_ASSERT_EQUAL(raw_hb(&b, group, NULL, b.epoch, true, NULL, NULL), 0);
        CU_ASSERT_EQUAL(raw_hb(&s, group, NULL, s.epoch, true, NULL, NULL), 0);
    }
    CU_ASSERT_EQUAL(a.nparts + b.nparts + s.nparts, NPART);
    CU_ASSERT_EQUAL(s.nparts, 2);
    raw_t s2;
    raw_open(&s2, m, topic);
    snprintf(s2.id, sizeof(s2.id), "member-s2");
    CU_ASSERT_EQUAL(raw_hb(&s2, group, topic, 0, false, "inst-1", NULL), KAFKA_ERR_UNRELEASED_INSTANCE_ID);
    int32_t group_epoch = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, NULL, 0, &group_epoch, NULL), KAFKA_OK);
    CU_ASSERT_EQUAL(raw_hb(&s, group, NULL, -2, false, "inst-1", NULL), 0);
    CU_ASSERT_EQUAL(s.epoch, -2);
    CU_ASSERT_EQUAL(raw_hb(&s2, group, topic, 0, false, "inst-1", NULL), 0);
    CU_ASSERT_EQUAL(s2.nparts, 2);
    CU_ASSERT_EQUAL(s2.epoch, a.epoch);
    int32_t after = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, NULL, 0, &after, NULL), KAFKA_OK);
    CU_ASSERT_EQUAL(after, group_epoch); /* no rebalance */
    /* Leaving with -1: b's partitions go to the others. */
    CU_ASSERT_EQUAL(raw_hb(&b, group, NULL, -1, false, NULL, NULL), 0);
    CU_ASSERT_EQUAL(b.epoch, -1);
    CU_ASSERT_EQUAL(raw_hb(&b, group, NULL, 7, false, NULL, NULL), KAFKA_ERR_UNKNOWN_MEMBER_ID);
    for (int i = 0; i < 3 && a.nparts + s2.nparts < NPART; i++) {
        CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, a.epoch, true, NULL, NULL), 0);
        CU_ASSERT_EQUAL(raw_hb(&s2, group, NULL, s2.epoch, true, NULL, NULL), 0);
    }
    CU_ASSERT_EQUAL(a.nparts + s2.nparts, NPART);
    CU_ASSERT_EQUAL(a.nparts, NPART / 2);
    /* Session expiry: s2 stops; a alone heartbeats and gets everything after SESSION_MS. */
    int64_t until = kafka_test_now_ms() + 4 * SESSION_MS;
    while (a.nparts < NPART && kafka_test_now_ms() < until) {
        CU_ASSERT_EQUAL(raw_hb(&a, group, NULL, a.epoch, true, NULL, NULL), 0);
        kafka_test_sleep_ms(100);
    }
    CU_ASSERT_EQUAL(a.nparts, NPART);
    int members = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, NULL, 0, NULL, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(members, 1);
    kafka_test_client_close(&a.cl);
    kafka_test_client_close(&b.cl);
    kafka_test_client_close(&s.cl);
    kafka_test_client_close(&s2.cl);
    kafka_mock_destroy(m);
}

/* A member that stops heartbeating (a raw one holding half the partitions): after the
 * session timeout ours gets them and consumes what they hold, each message once. */
static void test_crash(void) {
    kafka_mock_t *m = mock848(NULL, SESSION_MS);
    const char *bs = kafka_mock_bootstrap(m);
    const char *group = "g848-crash", *topic = "t848-crash";
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_group_move(m, group, 1), KAFKA_OK);
    static int seen[NMSG];
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "a-");
    raw_t r;
    raw_open(&r, m, topic);
    snprintf(r.id, sizeof(r.id), "crasher");
    CU_ASSERT_EQUAL(raw_hb(&r, group, topic, 0, false, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.nparts, NPART);
    gu_member_t a;
    gu_member_t *mbs[] = {&a};
    gu_start(&a, bs, group, "range", topic, kip848, seen, NMSG, "a-");
    /* The raw member gives up what the uniform assignor moves, then stops. */
    int64_t until = kafka_test_now_ms() + WAIT_MS;
    while (r.nparts > NPART / 2 && kafka_test_now_ms() < until) {
        CU_ASSERT_EQUAL(raw_hb(&r, group, NULL, r.epoch, true, NULL, NULL), 0);
        gu_poll(&a, 50);
    }
    CU_ASSERT_EQUAL(r.nparts, NPART / 2);
    raw_hb(&r, group, NULL, r.epoch, true, NULL, NULL); /* the acknowledgement */
    CU_ASSERT(POLL_UNTIL(mbs, 1, gu_nassigned(&a) == NPART / 2));
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT(POLL_UNTIL(mbs, 1, gu_nassigned(&a) == NPART && gu_all_seen(seen, NMSG)));
    int64_t took = kafka_test_now_ms() - t0;
    fprintf(stderr, "the crashed member's partitions were consumed %lld ms later (session %d ms)\n", (long long)took,
            SESSION_MS);
    CU_ASSERT(took >= SESSION_MS - 300);
    gu_expect_once(seen, NMSG, "after a member crashed");
    int members = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, NULL, 0, NULL, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(members, 1);
    CU_ASSERT_EQUAL(a.errors, 0);
    gu_stop(&a);
    kafka_test_client_close(&r.cl);
    kafka_mock_destroy(m);
}

/* A static member of ours closes (epoch -2) and a new consumer with its
 * group.instance.id takes its partitions over without the other member moving. */
static void test_static(void) {
    kafka_mock_t *m = mock848(NULL, LONG_SESSION_MS);
    const char *bs = kafka_mock_bootstrap(m);
    const char *group = "g848-static", *topic = "t848-static";
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    static int seen[NMSG];
    const char *kv[] = {"group.protocol", "consumer", "group.instance.id", "static-1", NULL};
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    gu_start(&a, bs, group, "range", topic, kip848, seen, NMSG, "a-");
    gu_start(&b, bs, group, "range", topic, kv, seen, NMSG, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    int held[NPART];
    memcpy(held, b.assigned, sizeof(held));
    int32_t epoch = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, NULL, 0, &epoch, NULL), KAFKA_OK);
    int events_a = a.events[KAFKA_REBALANCE_ASSIGNED] + a.events[KAFKA_REBALANCE_REVOKED];
    gu_stop(&b);
    gu_start(&b, bs, group, "range", topic, kv, seen, NMSG, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    CU_ASSERT(memcmp(held, b.assigned, sizeof(held)) == 0);
    int32_t after = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, NULL, 0, &after, NULL), KAFKA_OK);
    CU_ASSERT_EQUAL(after, epoch);
    CU_ASSERT_EQUAL(a.events[KAFKA_REBALANCE_ASSIGNED] + a.events[KAFKA_REBALANCE_REVOKED], events_a);
    gu_stop(&a);
    gu_stop(&b);
    kafka_mock_destroy(m);
}

/* group.protocol=consumer against a Kafka 3.0 coordinator: poll() says why. */
static void test_unsupported(void) {
    kafka_mock_t *m = mock848("3.0", LONG_SESSION_MS);
    const char *bs = kafka_mock_bootstrap(m);
    static int seen[1];
    gu_member_t a;
    gu_start(&a, bs, "g848-old", "range", "t848-old", kip848, seen, 1, "a-");
    int64_t until = kafka_test_now_ms() + WAIT_MS;
    while (!a.errors && kafka_test_now_ms() < until)
        gu_poll(&a, 50);
    CU_ASSERT_EQUAL(a.last_err, KAFKA_ERR__UNKNOWN_APIKEY);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.errstr, "ConsumerGroupHeartbeat"));
    fprintf(stderr, "on Kafka 3.0: %s\n", a.errstr);
    CU_ASSERT_EQUAL(gu_nassigned(&a), 0);
    gu_stop(&a);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"coordinator", test_coordinator},
    {"join_leave", test_join_leave},
    {"crash", test_crash},
    {"static", test_static},
    {"unsupported", test_unsupported},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_group848", tests)
