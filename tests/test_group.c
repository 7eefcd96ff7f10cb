/* Consumer groups, client side pure parts: the consumer protocol's subscription and
 * assignment bytes (Java's ConsumerProtocol, built here by hand from Kafka's
 * ConsumerProtocolSubscription/Assignment.json) and the range, roundrobin and
 * cooperative-sticky assignors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group/assignor.h"
#include "group/protocol.h"
#include "testutil.h"

/* ---- consumer protocol bytes ---- */

/* Subscription v3, laid out by hand:
 *   int16 version 3
 *   [string] Topics: int32 count 2; int16 len 1 "a"; int16 len 2 "bb"
 *   nullable bytes UserData: int32 len 2, 0x01 0x02
 *   [TopicPartition] OwnedPartitions: int32 count 1; "a" (int16 1); [int32] count 2: 0, 3
 *   int32 GenerationId 7
 *   nullable string RackId: int16 len 2 "r1" */
static const uint8_t sub_v3[] = {0, 3, 0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'b', 0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 0, 1,
                                 'a', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 7, 0, 2, 'r', '1'};
/* Subscription v0: version 0, Topics ["t"], UserData null (int32 -1). */
static const uint8_t sub_v0[] = {0, 0, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff};
/* Assignment v1: version 1, AssignedPartitions [("t", [1, 2])], UserData empty (int32 0). */
static const uint8_t asg_v1[] = {0, 1, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0};

static void test_subscription_bytes(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka__group_subscription_t s;
    char err[200];
    CU_ASSERT_EQUAL_FATAL(kafka__group_subscription_decode(sub_v3, sizeof(sub_v3), &a, &s, err, sizeof(err)),
                          KAFKA_OK);
    CU_ASSERT_EQUAL(s.version, 3);
    CU_ASSERT_EQUAL_FATAL(s.ntopics, 2);
    CU_ASSERT(kafka_str_eq(s.topics[0], "a") && kafka_str_eq(s.topics[1], "bb"));
    CU_ASSERT(s.user_data.len == 2 && s.user_data.data[1] == 2);
    CU_ASSERT_EQUAL_FATAL(s.nowned, 1);
    CU_ASSERT(kafka_str_eq(s.owned[0].topic, "a") && s.owned[0].npartitions == 2 && s.owned[0].partitions[1] == 3);
    CU_ASSERT_EQUAL(s.generation_id, 7);
    CU_ASSERT(kafka_str_eq(s.rack_id, "r1"));
    CU_ASSERT_EQUAL(kafka__group_subscription_encode(&s, &b), KAFKA_OK);
    CU_ASSERT(b.len == sizeof(sub_v3) && memcmp(b.data, sub_v3, b.len) == 0);
    /* The same at v0 drops OwnedPartitions, GenerationId and RackId. */
    kafka__buf_reset(&b);
    s.version = 0;
    s.user_data.len = -1;
    s.ntopics = 1;
    s.topics[0] = kafka_str("t");
    CU_ASSERT_EQUAL(kafka__group_subscription_encode(&s, &b), KAFKA_OK);
    CU_ASSERT(b.len == sizeof(sub_v0) && memcmp(b.data, sub_v0, b.len) == 0);
    CU_ASSERT_EQUAL(kafka__group_subscription_decode(sub_v0, sizeof(sub_v0), &a, &s, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(s.version == 0 && s.ntopics == 1 && s.user_data.len == -1 && s.nowned == 0 && s.generation_id == -1 &&
              s.rack_id.len == -1);
    /* A later version reads as v3 with what follows ignored (Java's forward compatibility). */
    uint8_t v9[sizeof(sub_v3) + 3];
    memcpy(v9, sub_v3, sizeof(sub_v3));
    v9[1] = 9;
    memset(v9 + sizeof(sub_v3), 0x55, 3);
    CU_ASSERT_EQUAL(kafka__group_subscription_decode(v9, sizeof(v9), &a, &s, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(s.version == 9 && s.generation_id == 7 && kafka_str_eq(s.rack_id, "r1"));
    /* Every truncation fails cleanly; a negative version or null topic list too. */
    for (size_t cut = 0; cut < sizeof(sub_v3); cut++)
        CU_ASSERT_NOT_EQUAL(kafka__group_subscription_decode(sub_v3, cut, &a, &s, err, sizeof(err)), KAFKA_OK);
    uint8_t bad[sizeof(sub_v0)];
    memcpy(bad, sub_v0, sizeof(bad));
    bad[0] = 0xff;
    CU_ASSERT_EQUAL(kafka__group_subscription_decode(bad, sizeof(bad), &a, &s, err, sizeof(err)), KAFKA_ERR__BAD_MSG);
    memcpy(bad, sub_v0, sizeof(bad));
    memset(bad + 2, 0xff, 4);
    CU_ASSERT_EQUAL(kafka__group_subscription_decode(bad, sizeof(bad), &a, &s, err, sizeof(err)), KAFKA_ERR__BAD_MSG);
    /* A huge count is refused before anything is allocated. */
    memcpy(bad, sub_v0, sizeof(bad));
    bad[2] = 0x7f;
    CU_ASSERT_EQUAL(kafka__group_subscription_decode(bad, sizeof(bad), &a, &s, err, sizeof(err)), KAFKA_ERR__BAD_MSG);
    s.version = 4;
    CU_ASSERT_EQUAL(kafka__group_subscription_encode(&s, &b), KAFKA_ERR__INVALID_ARG);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

static void test_assignment_bytes(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka__group_assignment_t as;
    char err[200];
    CU_ASSERT_EQUAL_FATAL(kafka__group_assignment_decode(asg_v1, sizeof(asg_v1), &a, &as, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(as.version, 1);
    CU_ASSERT_EQUAL_FATAL(as.npartitions, 1);
    CU_ASSERT(kafka_str_eq(as.partitions[0].topic, "t") && as.partitions[0].npartitions == 2);
    CU_ASSERT(as.partitions[0].partitions[0] == 1 && as.partitions[0].partitions[1] == 2);
    CU_ASSERT_EQUAL(as.user_data.len, 0);
    CU_ASSERT_EQUAL(kafka__group_assignment_encode(&as, &b), KAFKA_OK);
    CU_ASSERT(b.len == sizeof(asg_v1) && memcmp(b.data, asg_v1, b.len) == 0);
    /* What a coordinator sends a member its leader left out: nothing at all. */
    CU_ASSERT_EQUAL(kafka__group_assignment_decode(NULL, 0, &a, &as, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(as.npartitions == 0 && as.user_data.len == -1);
    for (size_t cut = 1; cut < sizeof(asg_v1); cut++)
        CU_ASSERT_NOT_EQUAL(kafka__group_assignment_decode(asg_v1, cut, &a, &as, err, sizeof(err)), KAFKA_OK);
    uint8_t bad[sizeof(asg_v1)];
    memcpy(bad, asg_v1, sizeof(bad));
    memset(bad + 9, 0xff, 4); /* partition count -1 */
    CU_ASSERT_EQUAL(kafka__group_assignment_decode(bad, sizeof(bad), &a, &as, err, sizeof(err)), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "assignment") != NULL);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

/* ---- assignors ---- */

typedef kafka_err_t (*assign_fn)(const kafka__assign_topic_t *, int32_t, kafka__assign_member_t *, int32_t,
                                 kafka_arena_t *);

/* The partitions of topic t member m was given ("" when none), e.g. "0,1,2". */
static const char *parts_of(const kafka__assign_member_t *m, const char *t, char *buf, size_t size) {
    buf[0] = 0;
    for (int32_t i = 0; i < m->nassigned; i++) {
        if (!kafka_str_eq(m->assigned[i].topic, t))
            continue;
        size_t l = 0;
        for (int32_t k = 0; k < m->assigned[i].npartitions; k++)
            l += (size_t)snprintf(buf + l, size - l, "%s%d", k ? "," : "", m->assigned[i].partitions[k]);
    }
    return buf;
}

static int count_of(const kafka__assign_member_t *m) {
    int n = 0;
    for (int32_t i = 0; i < m->nassigned; i++)
        n += m->assigned[i].npartitions;
    return n;
}

static kafka_str_t tp[2] = {{"t1", 2}, {"t2", 2}};
static kafka__assign_topic_t topics2[2] = {{{"t2", 2}, 3}, {{"t1", 2}, 4}};

static void member(kafka__assign_member_t *m, const char *id, int ntopics) {
    memset(m, 0, sizeof(*m));
    m->member_id = kafka_str(id);
    m->instance_id = kafka_str(NULL);
    m->topics = tp;
    m->ntopics = ntopics;
    m->generation = -1;
}

static void test_range(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka__assign_member_t ms[3];
    /* Given out of order: members sort by id, so "a" gets the first ranges. */
    member(&ms[0], "c", 2);
    member(&ms[1], "a", 2);
    member(&ms[2], "b", 1); /* t1 only */
    CU_ASSERT_EQUAL_FATAL(kafka__assign_range(topics2, 2, ms, 3, &a), KAFKA_OK);
    char buf[64];
    /* t1 (4 partitions, 3 subscribers): a 0-1, b 2, c 3; t2 (3, 2 subscribers): a 0-1, c 2. */
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[1], "t1", buf, sizeof(buf)), "0,1");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[2], "t1", buf, sizeof(buf)), "2");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[0], "t1", buf, sizeof(buf)), "3");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[1], "t2", buf, sizeof(buf)), "0,1");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[0], "t2", buf, sizeof(buf)), "2");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[2], "t2", buf, sizeof(buf)), "");
    /* Static members come first, by instance id. */
    ms[0].instance_id = kafka_str("i0");
    CU_ASSERT_EQUAL_FATAL(kafka__assign_range(topics2, 2, ms, 3, &a), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[0], "t1", buf, sizeof(buf)), "0,1");
    kafka__arena_free(&a);
}

static void test_roundrobin(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka__assign_member_t ms[3];
    member(&ms[0], "c", 2);
    member(&ms[1], "a", 2);
    member(&ms[2], "b", 1);
    CU_ASSERT_EQUAL_FATAL(kafka__assign_roundrobin(topics2, 2, ms, 3, &a), KAFKA_OK);
    char buf[64];
    /* t1-0 a, t1-1 b, t1-2 c, t1-3 a, then t2 skips b: t2-0 c, t2-1 a, t2-2 c. */
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[1], "t1", buf, sizeof(buf)), "0,3");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[2], "t1", buf, sizeof(buf)), "1");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[0], "t1", buf, sizeof(buf)), "2");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[0], "t2", buf, sizeof(buf)), "0,2");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[1], "t2", buf, sizeof(buf)), "1");
    CU_ASSERT_EQUAL(ms[2].nassigned, 1);
    kafka__arena_free(&a);
}

/* Every subscribed partition given once, loads within one of each other (equal
 * subscriptions), and the same answer whatever the members' input order. */
static void check_balanced(kafka__assign_member_t *ms, int n, int total) {
    int sum = 0, lo = 1 << 30, hi = 0;
    for (int i = 0; i < n; i++) {
        int c = count_of(&ms[i]);
        sum += c;
        lo = c < lo ? c : lo;
        hi = c > hi ? c : hi;
    }
    CU_ASSERT_EQUAL(sum, total);
    CU_ASSERT(hi - lo <= 1);
}

static void test_balance_and_determinism(void) {
    static const assign_fn fns[] = {kafka__assign_range, kafka__assign_roundrobin, kafka__assign_cooperative_sticky};
    kafka__assign_topic_t one = {{"t1", 2}, 10};
    for (int f = 0; f < 3; f++) {
        kafka_arena_t a = KAFKA_ARENA_INIT;
        kafka__assign_member_t ms[4], rev[4];
        static const char *ids[] = {"m1", "m2", "m3", "m4"};
        for (int i = 0; i < 4; i++) {
            member(&ms[i], ids[i], 1);
            member(&rev[3 - i], ids[i], 1);
        }
        CU_ASSERT_EQUAL_FATAL(fns[f](&one, 1, ms, 4, &a), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(fns[f](&one, 1, rev, 4, &a), KAFKA_OK);
        check_balanced(ms, 4, 10);
        char x[64], y[64];
        for (int i = 0; i < 4; i++)
            CU_ASSERT_STRING_EQUAL(parts_of(&ms[i], "t1", x, sizeof(x)), parts_of(&rev[3 - i], "t1", y, sizeof(y)));
        kafka__arena_free(&a);
    }
}

/* Sticky: a fifth member joining four that own 40 partitions moves only what balance
 * needs (8), and the moved ones are revoked first (cooperative): nobody is given a
 * partition another member still owns. The next round hands them over. */
static void test_sticky_cooperative(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka__assign_topic_t t = {{"t1", 2}, 40};
    kafka__assign_member_t ms[5];
    static const char *ids[] = {"m1", "m2", "m3", "m4", "m5"};
    for (int i = 0; i < 4; i++)
        member(&ms[i], ids[i], 1);
    CU_ASSERT_EQUAL_FATAL(kafka__assign_cooperative_sticky(&t, 1, ms, 4, &a), KAFKA_OK);
    check_balanced(ms, 4, 40);
    /* Round 1 with m5: everyone reports what it owns. */
    kafka__group_tps_t owned[5];
    for (int i = 0; i < 4; i++) {
        owned[i] = ms[i].assigned[0];
        ms[i].owned = &owned[i];
        ms[i].nowned = 1;
        ms[i].generation = 1;
    }
    member(&ms[4], "m5", 1);
    CU_ASSERT_EQUAL_FATAL(kafka__assign_cooperative_sticky(&t, 1, ms, 5, &a), KAFKA_OK);
    int kept = 0;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(count_of(&ms[i]), 8); /* 10 owned, 2 given up */
        int np = ms[i].nassigned ? ms[i].assigned[0].npartitions : 0;
        for (int k = 0; k < np; k++) {
            bool was = false;
            for (int j = 0; j < owned[i].npartitions; j++)
                was |= owned[i].partitions[j] == ms[i].assigned[0].partitions[k];
            kept += was;
        }
    }
    CU_ASSERT_EQUAL(kept, 32);
    CU_ASSERT_EQUAL(count_of(&ms[4]), 0); /* its 8 are still being revoked */
    /* Round 2: the four own 8 each now; m5 gets the 8 nobody owns. */
    for (int i = 0; i < 4; i++) {
        owned[i] = ms[i].assigned[0];
        ms[i].generation = 2;
    }
    CU_ASSERT_EQUAL_FATAL(kafka__assign_cooperative_sticky(&t, 1, ms, 5, &a), KAFKA_OK);
    check_balanced(ms, 5, 40);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(count_of(&ms[i]), 8);
    CU_ASSERT_EQUAL(count_of(&ms[4]), 8);
    /* A stale claim (older generation) loses to the current owner. */
    int32_t stale_p[1] = {ms[0].assigned[0].partitions[0]};
    kafka__group_tps_t stale = {{"t1", 2}, stale_p, 1};
    ms[4].owned = &stale;
    ms[4].nowned = 1;
    ms[4].generation = 1;
    for (int i = 0; i < 4; i++)
        owned[i] = ms[i].assigned[0];
    owned[4] = ms[4].assigned[0];
    CU_ASSERT_EQUAL_FATAL(kafka__assign_cooperative_sticky(&t, 1, ms, 5, &a), KAFKA_OK);
    CU_ASSERT_EQUAL(ms[0].assigned[0].partitions[0], stale_p[0]);
    CU_ASSERT_EQUAL(count_of(&ms[4]), 8);
    kafka__arena_free(&a);
}

/* Different subscriptions: t2's partitions go only to its subscribers, and the sticky
 * assignor still balances what it can (m1 takes t2 alone, m2/m3 split t1). */
static void test_sticky_different_subscriptions(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka__assign_member_t ms[3];
    member(&ms[0], "m1", 2);
    member(&ms[1], "m2", 1);
    member(&ms[2], "m3", 1);
    kafka__assign_topic_t ts[2] = {{{"t1", 2}, 6}, {{"t2", 2}, 3}};
    CU_ASSERT_EQUAL_FATAL(kafka__assign_cooperative_sticky(ts, 2, ms, 3, &a), KAFKA_OK);
    char buf[64];
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[1], "t2", buf, sizeof(buf)), "");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[2], "t2", buf, sizeof(buf)), "");
    CU_ASSERT_STRING_EQUAL(parts_of(&ms[0], "t2", buf, sizeof(buf)), "0,1,2");
    CU_ASSERT_EQUAL(count_of(&ms[0]), 3);
    CU_ASSERT_EQUAL(count_of(&ms[1]), 3);
    CU_ASSERT_EQUAL(count_of(&ms[2]), 3);
    /* A topic nobody subscribes to, or one missing from the metadata, is skipped. */
    kafka__assign_topic_t none = {{"zz", 2}, 5};
    CU_ASSERT_EQUAL(kafka__assign_cooperative_sticky(&none, 1, ms, 3, &a), KAFKA_OK);
    CU_ASSERT(ms[0].nassigned == 0 && ms[1].nassigned == 0);
    kafka__arena_free(&a);
}

static CU_TestInfo tests[] = {
    {"consumer protocol subscription bytes v0-v3", test_subscription_bytes},
    {"consumer protocol assignment bytes", test_assignment_bytes},
    {"range assignor (Java's ranges, member order)", test_range},
    {"roundrobin assignor (Java's order, subscriptions)", test_roundrobin},
    {"balance and determinism of every assignor", test_balance_and_determinism},
    {"cooperative-sticky: stickiness, revocation first, stale claims", test_sticky_cooperative},
    {"cooperative-sticky: different subscriptions", test_sticky_different_subscriptions},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("group", tests)
