/* Consumer groups of ours on our mock cluster (kafka_consumer_subscribe): two members
 * split a topic's partitions with each assignor, every message consumed once across
 * them with commits; a member leaving hands its partitions over without a message read
 * twice; a member whose session the coordinator ends loses its partitions and rejoins;
 * the coordinator moving and answering NOT_COORDINATOR does not disturb the group; a
 * static member restarting takes its place back without a rebalance;
 * max.poll.interval.ms passing makes a member leave, report it once and rejoin; a
 * pattern subscription follows new topics. Every wait has a deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grouputil.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "testutil.h"

#define NPART 6
#define NMSG 600
#define WAIT_MS 20000

/* Polls every member until cond holds or WAIT_MS passed; true when it held. */
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

/* Two members split the topic with strategy; what was written before and after they
 * settled is consumed once. leave: then one member closes, the other takes everything
 * and what comes next is consumed once more, nothing of before again. */
static void two_members(const char *strategy, bool leave) {
    kafka_mock_t *m = kafka_test_mock(3, true);
    const char *bs = kafka_mock_bootstrap(m);
    char group[64], topic[64];
    snprintf(group, sizeof(group), "grp-%s-%d", strategy, leave);
    snprintf(topic, sizeof(topic), "gt-%s-%d", strategy, leave);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    static int seen1[NMSG], seen2[NMSG], seen3[NMSG];
    memset(seen1, 0, sizeof(seen1));
    memset(seen2, 0, sizeof(seen2));
    memset(seen3, 0, sizeof(seen3));
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "a-");
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    gu_start(&a, bs, group, strategy, topic, NULL, seen1, NMSG, "a-");
    gu_start(&b, bs, group, strategy, topic, NULL, seen1, NMSG, "a-");
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART) && gu_all_seen(seen1, NMSG)));
    fprintf(stderr, "%s: settled in %lld ms: %d + %d partitions\n", strategy, (long long)(kafka_test_now_ms() - t0),
            gu_nassigned(&a), gu_nassigned(&b));
    CU_ASSERT(gu_nassigned(&a) > 0 && gu_nassigned(&b) > 0);
    CU_ASSERT(gu_nassigned(&a) + gu_nassigned(&b) == NPART);
    gu_expect_once(seen1, NMSG, "written before the group settled");
    kafka_consumer_group_info_t ia, ib;
    CU_ASSERT_EQUAL(kafka_consumer_group_info(a.c, &ia), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_group_info(b.c, &ib), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(ia.protocol, strategy);
    CU_ASSERT(ia.leader != ib.leader);
    CU_ASSERT_EQUAL(ia.generation, ib.generation);
    kafka_topic_partition_t asg[GU_MAXPART];
    CU_ASSERT_EQUAL(kafka_consumer_assignment(a.c, asg, GU_MAXPART), (size_t)gu_nassigned(&a));

    a.seen = b.seen = seen2;
    a.prefix = b.prefix = "b-";
    int got_a = a.got, got_b = b.got;
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "b-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_seen(seen2, NMSG)));
    gu_expect_once(seen2, NMSG, "written after the group settled");
    CU_ASSERT(a.got > got_a && b.got > got_b); /* both members consumed */
    char err[600];
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(a.c, false, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(b.c, false, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(gu_committed_sum(bs, group, topic, NPART), 2 * NMSG);
    CU_ASSERT_EQUAL(a.errors + b.errors, 0);

    if (leave) {
        gu_stop(&b); /* commits, LeaveGroup */
        CU_ASSERT(POLL_UNTIL(mbs, 2, gu_nassigned(&a) == NPART && gu_all_stable(mbs, 1)));
        a.seen = seen3;
        a.prefix = "c-";
        kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "c-");
        CU_ASSERT(POLL_UNTIL(mbs, 1, gu_all_seen(seen3, NMSG)));
        gu_expect_once(seen3, NMSG, "written after a member left");
        gu_expect_once(seen2, NMSG, "written before it left (nothing read again)");
        CU_ASSERT_EQUAL(a.errors, 0);
    }
    gu_stop(&a);
    if (b.c)
        gu_stop(&b);
    int members = -1;
    char state[32];
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, group, state, sizeof(state), NULL, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(members, 0); /* both left on close */
    kafka_mock_destroy(m);
}

static void test_range(void) { two_members("range", false); }
static void test_roundrobin(void) { two_members("roundrobin", false); }
static void test_cooperative_sticky(void) { two_members("cooperative-sticky", false); }
static void test_leave_range(void) { two_members("range", true); }
static void test_leave_cooperative(void) { two_members("cooperative-sticky", true); }

/* Two members settled on a fresh topic; returns the mock. */
static kafka_mock_t *settled(const char *group, const char *topic, const char *strategy, gu_member_t *a,
                             gu_member_t *b, const char *const *kva, const char *const *kvb, int *seen) {
    kafka_mock_t *m = kafka_test_mock(3, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    gu_start(a, bs, group, strategy, topic, kva, seen, NMSG, "a-");
    gu_start(b, bs, group, strategy, topic, kvb, seen, NMSG, "a-");
    gu_member_t *mbs[] = {a, b};
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    return m;
}

/* The coordinator ends a member's session as a timeout would: it gets UNKNOWN_MEMBER_ID,
 * loses its partitions, joins again as a new member; nothing is missed, and what it had
 * polled and auto-committed in its generation is not read again. */
static void test_session_expired(void) {
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    kafka_mock_t *m = settled("grp-expire", "gt-expire", "range", &a, &b, NULL, NULL, seen);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, "gt-expire", NPART, NMSG / 2, 40, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, a.got + b.got >= NMSG / 2));
    int64_t until = kafka_test_now_ms() + 600; /* auto commits (every 200 ms) store what was polled */
    POLL_UNTIL(mbs, 2, kafka_test_now_ms() > until);
    kafka_consumer_group_info_t ib;
    kafka_consumer_group_info(b.c, &ib);
    CU_ASSERT_EQUAL(kafka_mock_group_expire(m, "grp-expire", ib.member_id), KAFKA_OK);
    CU_ASSERT(POLL_UNTIL(mbs, 2, b.events[KAFKA_REBALANCE_LOST] > 0));
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    kafka_consumer_group_info_t ib2;
    kafka_consumer_group_info(b.c, &ib2);
    CU_ASSERT_STRING_NOT_EQUAL(ib2.member_id, ib.member_id); /* a new member */
    CU_ASSERT(ib2.generation > ib.generation);
    kafka_test_produce(bs, NULL, "gt-expire", NPART, NMSG, 40, "a-"); /* indexes 0..NMSG: the first half twice */
    for (int i = 0; i < NMSG / 2; i++)
        seen[i] -= 1; /* written twice: once each is the expectation */
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_seen(seen, NMSG)));
    size_t none, once, more;
    gu_tally(seen, NMSG, &none, &once, &more);
    fprintf(stderr, "session expired: %zu read once, %zu more than once (polled after the last commit)\n", once,
            more);
    CU_ASSERT_EQUAL(none, 0);
    CU_ASSERT_EQUAL(more, 0); /* everything polled was committed in B's generation before it was lost */
    gu_stop(&a);
    gu_stop(&b);
    kafka_mock_destroy(m);
}

/* The group's coordinator moves twice and heartbeats get NOT_COORDINATOR: members find
 * the new one and go on in the same generation, nothing read twice. */
static void test_coordinator_moves(void) {
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    kafka_mock_t *m = settled("grp-move", "gt-move", "roundrobin", &a, &b, NULL, NULL, seen);
    const char *bs = kafka_mock_bootstrap(m);
    int32_t gen0 = -1, gen1 = -1;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "grp-move", NULL, 0, &gen0, NULL), KAFKA_OK);
    kafka_test_produce(bs, NULL, "gt-move", NPART, NMSG / 2, 40, "a-");
    POLL_UNTIL(mbs, 2, a.got + b.got >= NMSG / 4);
    CU_ASSERT_EQUAL(kafka_mock_group_move(m, "grp-move", 1), KAFKA_OK);
    int64_t until = kafka_test_now_ms() + 800;
    POLL_UNTIL(mbs, 2, kafka_test_now_ms() > until);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_HEARTBEAT, -1, 2, KAFKA_ERR_NOT_COORDINATOR), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_group_move(m, "grp-move", 2), KAFKA_OK);
    kafka_test_produce(bs, NULL, "gt-move", NPART, NMSG, 40, "a-");
    for (int i = 0; i < NMSG / 2; i++)
        seen[i] -= 1;
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_seen(seen, NMSG)));
    until = kafka_test_now_ms() + 800;
    POLL_UNTIL(mbs, 2, kafka_test_now_ms() > until); /* heartbeats at the new coordinator */
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "grp-move", NULL, 0, &gen1, NULL), KAFKA_OK);
    CU_ASSERT_EQUAL(gen1, gen0);
    CU_ASSERT(gu_all_stable(mbs, 2));
    gu_expect_once(seen, NMSG, "while the coordinator moved");
    CU_ASSERT_EQUAL(a.errors + b.errors, 0);
    char err[600];
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(a.c, false, err, sizeof(err)), KAFKA_OK);
    gu_stop(&a);
    gu_stop(&b);
    kafka_mock_destroy(m);
}

/* A static member (group.instance.id) closes without leaving and comes back with the
 * same id: it gets its partitions back, the generation does not change and the other
 * member is not disturbed. */
static void test_static_rejoin(void) {
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    const char *kva[] = {"group.instance.id", "inst-a", NULL};
    const char *kvb[] = {"group.instance.id", "inst-b", NULL};
    kafka_mock_t *m = settled("grp-static", "gt-static", "range", &a, &b, kva, kvb, seen);
    const char *bs = kafka_mock_bootstrap(m);
    int32_t gen0 = -1, gen1 = -1;
    int members = 0;
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "grp-static", NULL, 0, &gen0, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(members, 2);
    int held[GU_MAXPART];
    memcpy(held, b.assigned, sizeof(held));
    int a_events = a.events[KAFKA_REBALANCE_REVOKED] + a.events[KAFKA_REBALANCE_ASSIGNED];
    gu_stop(&b); /* no LeaveGroup */
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "grp-static", NULL, 0, NULL, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(members, 2);
    gu_start(&b, bs, "grp-static", "range", "gt-static", kvb, seen, NMSG, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "grp-static", NULL, 0, &gen1, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(gen1, gen0);
    CU_ASSERT_EQUAL(memcmp(held, b.assigned, sizeof(held)), 0);
    CU_ASSERT_EQUAL(a.events[KAFKA_REBALANCE_REVOKED] + a.events[KAFKA_REBALANCE_ASSIGNED], a_events);
    kafka_test_produce(bs, NULL, "gt-static", NPART, NMSG, 40, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_seen(seen, NMSG)));
    gu_expect_once(seen, NMSG, "after the static member came back");
    gu_stop(&a);
    gu_stop(&b);
    CU_ASSERT_EQUAL(kafka_mock_group_state(m, "grp-static", NULL, 0, NULL, &members), KAFKA_OK);
    CU_ASSERT_EQUAL(members, 2); /* static members stay until their sessions end */
    kafka_mock_destroy(m);
}

/* A member that does not poll for max.poll.interval.ms leaves the group (the other one
 * takes its partitions), its next poll says so once, and it joins again. */
static void test_max_poll_exceeded(void) {
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    gu_member_t a, b;
    gu_member_t *mbs[] = {&a, &b};
    const char *kv[] = {"max.poll.interval.ms", "1500", NULL};
    kafka_mock_t *m = settled("grp-poll", "gt-poll", "range", &a, &b, kv, kv, seen);
    kafka_consumer_group_info_t before;
    kafka_consumer_group_info(b.c, &before);
    /* b does not poll; a does, and gets everything once b left. */
    gu_member_t *only_a[] = {&a};
    CU_ASSERT(POLL_UNTIL(only_a, 1, gu_nassigned(&a) == NPART && gu_all_stable(only_a, 1)));
    CU_ASSERT_EQUAL(gu_poll(&b, 100), 0);
    CU_ASSERT_EQUAL(b.errors, 1);
    CU_ASSERT_EQUAL(b.last_err, KAFKA_ERR__MAX_POLL_EXCEEDED);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.errstr, "max.poll.interval.ms"));
    CU_ASSERT_EQUAL(b.events[KAFKA_REBALANCE_LOST], 1);
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_stable(mbs, 2) && gu_split_ok(mbs, 2, NPART)));
    CU_ASSERT_EQUAL(b.errors, 1); /* reported once */
    kafka_consumer_group_info_t after;
    kafka_consumer_group_info(b.c, &after);
    CU_ASSERT(after.generation > before.generation);
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, "gt-poll", NPART, NMSG, 40, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 2, gu_all_seen(seen, NMSG)));
    gu_expect_once(seen, NMSG, "after the member rejoined");
    gu_stop(&a);
    gu_stop(&b);
    kafka_mock_destroy(m);
}

/* A commit in a generation the group has left behind is refused, the error names the
 * generation, and the member rejoins. */
static void test_stale_commit(void) {
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "gt-stale", NPART, 1), KAFKA_OK);
    gu_member_t a;
    gu_member_t *mbs[] = {&a};
    /* Slow heartbeats: the commit learns of the expiry first. */
    const char *kv[] = {"enable.auto.commit", "false", "heartbeat.interval.ms", "2500", NULL};
    gu_start(&a, bs, "grp-stale", "range", "gt-stale", kv, seen, NMSG, "a-");
    CU_ASSERT_FATAL(POLL_UNTIL(mbs, 1, gu_all_stable(mbs, 1) && gu_nassigned(&a) == NPART));
    kafka_test_produce(bs, NULL, "gt-stale", NPART, 60, 40, "a-");
    CU_ASSERT(POLL_UNTIL(mbs, 1, a.got == 60));
    kafka_consumer_group_info_t info;
    kafka_consumer_group_info(a.c, &info);
    CU_ASSERT_EQUAL(kafka_mock_group_expire(m, "grp-stale", info.member_id), KAFKA_OK);
    char err[600], want[64];
    kafka_err_t e = kafka_consumer_commit_positions(a.c, false, err, sizeof(err));
    CU_ASSERT(e == KAFKA_ERR_UNKNOWN_MEMBER_ID || e == KAFKA_ERR_ILLEGAL_GENERATION);
    snprintf(want, sizeof(want), "refused for generation %d", (int)info.generation);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    if (!strstr(err, want))
        fprintf(stderr, "stale commit: %s\n", err);
    /* It rejoins (before its next heartbeat would have told it) and commits again. */
    CU_ASSERT(POLL_UNTIL(mbs, 1, a.events[KAFKA_REBALANCE_LOST] > 0 && gu_all_stable(mbs, 1) &&
                                     gu_nassigned(&a) == NPART));
    CU_ASSERT_EQUAL(a.events[KAFKA_REBALANCE_REVOKED], 0); /* fenced: lost, not revoked */
    kafka_consumer_group_info_t again;
    kafka_consumer_group_info(a.c, &again);
    CU_ASSERT(again.generation > info.generation);
    gu_stop(&a);
    kafka_mock_destroy(m);
}

/* A pattern subscription: the topics matching it, and one created later. */
static void test_pattern(void) {
    kafka_mock_t *m = kafka_test_mock(2, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "rx-a", 2, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "rx-b", 3, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "other", 2, 1), KAFKA_OK);
    static int seen[NMSG];
    gu_member_t a;
    gu_member_t *mbs[] = {&a};
    gu_start(&a, bs, "grp-rx", "range", "^rx-.*", NULL, seen, NMSG, "a-");
    a.topic = NULL; /* several topics */
    kafka_topic_partition_t tps[16];
    CU_ASSERT(POLL_UNTIL(mbs, 1, gu_all_stable(mbs, 1) && kafka_consumer_assignment(a.c, tps, 16) == 5));
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "rx-c", 4, 1), KAFKA_OK);
    CU_ASSERT(POLL_UNTIL(mbs, 1, gu_all_stable(mbs, 1) && kafka_consumer_assignment(a.c, tps, 16) == 9));
    size_t n = kafka_consumer_assignment(a.c, tps, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        CU_ASSERT(strncmp(tps[i].topic, "rx-", 3) == 0);
    char err[300];
    const char *bad[] = {"^rx-(("};
    CU_ASSERT_EQUAL(kafka_consumer_subscribe(a.c, bad, 1, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "^rx-(("));
    CU_ASSERT_EQUAL(kafka_consumer_unsubscribe(a.c), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_assignment(a.c, tps, 16), 0);
    CU_ASSERT_EQUAL(kafka_consumer_unsubscribe(a.c), KAFKA_ERR__STATE);
    kafka_message_t *msg;
    size_t got;
    CU_ASSERT_EQUAL(kafka_consumer_poll(a.c, 0, &msg, 1, &got, err, sizeof(err)), KAFKA_ERR__STATE);
    gu_stop(&a);
    kafka_mock_destroy(m);
}

/* enable.auto.offset.store=false: commits store what kafka_consumer_store_offset()
 * marked, not what poll() returned. */
static void test_offset_store(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "gt-store", 1, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "gt-store", 1, 20, 40, "a-");
    const char *kv[] = {"group.id", "grp-store", "enable.auto.offset.store", "false", "enable.auto.commit", "false",
                        NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    char err[600];
    kafka_topic_partition_t tp = {"gt-store", 0, KAFKA_OFFSET_BEGINNING};
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    int got = 0;
    for (int64_t until = kafka_test_now_ms() + WAIT_MS; got < 20 && kafka_test_now_ms() < until;) {
        kafka_message_t *msgs[32];
        size_t n = 0;
        kafka_consumer_poll(c, 100, msgs, 32, &n, err, sizeof(err));
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
        got += (int)n;
    }
    CU_ASSERT_EQUAL(got, 20);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "gt-store", 0), 20);
    int64_t off = -2;
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "gt-store", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, -1); /* nothing stored, nothing committed */
    CU_ASSERT_EQUAL(kafka_consumer_store_offset(c, "gt-store", 0, 5), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "gt-store", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 5);
    CU_ASSERT_EQUAL(kafka_consumer_store_offset(c, "gt-store", 1, 5), KAFKA_ERR__STATE);
    CU_ASSERT_EQUAL(kafka_consumer_store_offset(c, "gt-store", 0, -1), KAFKA_ERR__INVALID_ARG);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* What subscribe refuses. */
static void test_subscribe_errors(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    char err[300];
    const char *t[] = {"x"};
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    CU_ASSERT_EQUAL(kafka_consumer_subscribe(c, t, 1, err, sizeof(err)), KAFKA_ERR__INVALID_CONF); /* no group.id */
    kafka_consumer_destroy(c);
    const char *kv[] = {"group.id", "g", NULL};
    c = kafka_test_consumer(bs, kv);
    CU_ASSERT_EQUAL(kafka_consumer_subscribe(c, t, 0, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    kafka_topic_partition_t tp = {"x", 0, KAFKA_OFFSET_BEGINNING};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_subscribe(c, t, 1, err, sizeof(err)), KAFKA_ERR__STATE);
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, NULL, 0, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_subscribe(c, t, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_ERR__STATE);
    kafka_consumer_destroy(c);
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "partition.assignment.strategy", "range,cooperative-sticky", err,
                                   sizeof(err)),
                    KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "partition.assignment.strategy", "sticky", err, sizeof(err)),
                    KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "partition.assignment.strategy", "RoundRobin, range", err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(kafka_conf_str(conf, KAFKA_CONF_PARTITION_ASSIGNMENT_STRATEGY), "roundrobin,range");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "group.protocol", "consumer", err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_GROUP_PROTOCOL), KAFKA_GROUP_PROTOCOL_CONSUMER);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "session.timeout.ms", "3000", err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, err, sizeof(err)), KAFKA_ERR__INVALID_CONF); /* heartbeat 3000 */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "heartbeat.interval.ms"));
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"range", test_range},
    {"roundrobin", test_roundrobin},
    {"cooperative-sticky", test_cooperative_sticky},
    {"a member leaves (range)", test_leave_range},
    {"a member leaves (cooperative-sticky)", test_leave_cooperative},
    {"session expired: lost, rejoined", test_session_expired},
    {"coordinator moves, NOT_COORDINATOR", test_coordinator_moves},
    {"static member rejoins without a rebalance", test_static_rejoin},
    {"max.poll.interval.ms exceeded", test_max_poll_exceeded},
    {"a commit of a stale generation", test_stale_commit},
    {"pattern subscription", test_pattern},
    {"enable.auto.offset.store=false", test_offset_store},
    {"subscribe errors", test_subscribe_errors},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_group", tests)
