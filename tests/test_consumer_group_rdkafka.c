/* Mixed consumer groups on our mock cluster: our members and librdkafka 2.0.2's
 * (an independent implementation of the classic protocol and of the three assignors)
 * in one group, with range, roundrobin and cooperative-sticky, led by one of ours or
 * by librdkafka's (the first member to join leads). The group must agree on one
 * assignment: each partition held by exactly one member, every message written once
 * the group settled consumed exactly once across the members, and a third member
 * joining later (of the leader's kind) rebalances the group to thirds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grouputil.h"
#include "rdk_data.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

#define NPART 6
#define NMSG 600
#define WAIT_MS 25000

/* A librdkafka member and what its rebalance callback said. */
static int who[NMSG];
static const char *rdk_session_ms = "6000"; /* per message index of the current phase: a bit per member that polled it */

typedef struct rdk_member_s {
    rd_kafka_t *rk;
    int bit;
    int assigned[GU_MAXPART];
    int *seen;
    const char *prefix;
    int got;
    bool closing; /* rd_kafka_consumer_close commits itself; a commit in its callback can wait forever */
} rdk_member_t;

static void rdk_set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(conf, k, v, err, sizeof(err)), RD_KAFKA_CONF_OK);
}

static void rdk_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                          void *opaque) {
    rdk_member_t *mb = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    if (!assign && !coop)
        memset(mb->assigned, 0, sizeof(mb->assigned));
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].partition >= 0 && parts->elems[i].partition < GU_MAXPART)
            mb->assigned[parts->elems[i].partition] = assign;
    if (!assign && !mb->closing) /* what was consumed is committed before the partitions go */
        rd_kafka_commit(rk, NULL, 0);
    if (coop) {
        rd_kafka_error_t *e = assign ? rd_kafka_incremental_assign(rk, parts) : rd_kafka_incremental_unassign(rk, parts);
        CU_ASSERT_PTR_NULL(e);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        CU_ASSERT_EQUAL(rd_kafka_assign(rk, assign ? parts : NULL), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
}

static void rdk_start(rdk_member_t *mb, const char *bs, const char *group, const char *strategy, const char *topic,
                      int *seen, const char *prefix) {
    memset(mb, 0, sizeof(*mb));
    mb->seen = seen;
    mb->prefix = prefix;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rdk_set(conf, "bootstrap.servers", bs);
    rdk_set(conf, "log_level", "2");
    rdk_set(conf, "group.id", group);
    rdk_set(conf, "partition.assignment.strategy", strategy);
    rdk_set(conf, "session.timeout.ms", rdk_session_ms);
    rdk_set(conf, "heartbeat.interval.ms", "100");
    rdk_set(conf, "max.poll.interval.ms", "15000"); /* the rebalance timeout: bounds any wait for a join */
    rdk_set(conf, "auto.offset.reset", "earliest");
    rdk_set(conf, "enable.auto.commit", "true");
    rdk_set(conf, "auto.commit.interval.ms", "200");
    rdk_set(conf, "fetch.wait.max.ms", "100");
    rdk_set(conf, "reconnect.backoff.ms", "20");
    rdk_set(conf, "topic.metadata.refresh.interval.ms", "1000");
    rd_kafka_conf_set_opaque(conf, mb);
    rd_kafka_conf_set_rebalance_cb(conf, rdk_rebalance);
    char err[256];
    mb->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(mb->rk);
    rd_kafka_poll_set_consumer(mb->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    CU_ASSERT_EQUAL(rd_kafka_subscribe(mb->rk, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(sub);
}

static void rdk_poll(rdk_member_t *mb) {
    for (int k = 0; k < 64; k++) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(mb->rk, k ? 0 : 10);
        if (!msg)
            return;
        size_t plen = strlen(mb->prefix);
        if (!msg->err && msg->len > plen && memcmp(msg->payload, mb->prefix, plen) == 0) {
            size_t idx = strtoul((const char *)msg->payload + plen, NULL, 10);
            CU_ASSERT(msg->partition >= 0 && msg->partition < GU_MAXPART && mb->assigned[msg->partition]);
            if (idx < NMSG) {
                mb->seen[idx]++;
                who[idx] |= mb->bit;
            }
            mb->got++;
        }
        rd_kafka_message_destroy(msg);
    }
}

static void rdk_stop(rdk_member_t *mb) {
    mb->closing = true;
    rd_kafka_consumer_close(mb->rk);
    rd_kafka_destroy(mb->rk);
    mb->rk = NULL;
    memset(mb->assigned, 0, sizeof(mb->assigned));
}

static int rdk_nassigned(const rdk_member_t *mb) {
    int n = 0;
    for (int p = 0; p < GU_MAXPART; p++)
        n += mb->assigned[p];
    return n;
}

/* The members of one test: ours and librdkafka's. */
typedef struct mixed_s {
    gu_member_t ours[2];
    int nours;
    rdk_member_t rdk[2];
    int nrdk;
} mixed_t;

static void poll_all(mixed_t *x) {
    for (int i = 0; i < x->nours; i++)
        if (x->ours[i].c) {
            static int before[NMSG];
            memcpy(before, x->ours[i].seen, sizeof(before));
            gu_poll(&x->ours[i], 5);
            for (int k = 0; k < NMSG; k++)
                if (x->ours[i].seen[k] != before[k])
                    who[k] |= 1 << i;
        }
    for (int i = 0; i < x->nrdk; i++)
        if (x->rdk[i].rk) {
            x->rdk[i].bit = 4 << i;
            rdk_poll(&x->rdk[i]);
        }
}

/* Every partition held by exactly one member, each member at least min of them. */
static bool agreed(const mixed_t *x, int min) {
    for (int p = 0; p < NPART; p++) {
        int holders = 0;
        for (int i = 0; i < x->nours; i++)
            holders += x->ours[i].c && x->ours[i].assigned[p];
        for (int i = 0; i < x->nrdk; i++)
            holders += x->rdk[i].rk && x->rdk[i].assigned[p];
        if (holders != 1)
            return false;
    }
    for (int i = 0; i < x->nours; i++)
        if (gu_nassigned(&x->ours[i]) < min)
            return false;
    for (int i = 0; i < x->nrdk; i++)
        if (rdk_nassigned(&x->rdk[i]) < min)
            return false;
    return true;
}

static bool all_seen(const int *seen) {
    for (int i = 0; i < NMSG; i++)
        if (!seen[i])
            return false;
    return true;
}

/* Polls until the members agree (and our members say stable) and cond holds. */
static bool settle(mixed_t *x, int min, const int *seen) {
    int64_t until = kafka_test_now_ms() + WAIT_MS;
    for (;;) {
        poll_all(x);
        bool stable = true;
        for (int i = 0; i < x->nours; i++) {
            kafka_consumer_group_info_t info;
            kafka_consumer_group_info(x->ours[i].c, &info);
            stable &= strcmp(info.state, "stable") == 0;
        }
        if (stable && agreed(x, min) && (!seen || all_seen(seen)))
            return true;
        if (kafka_test_now_ms() > until)
            return false;
    }
}

static void once(const int *seen, const char *what) {
    size_t none, one, more;
    gu_tally(seen, NMSG, &none, &one, &more);
    if (none || more) {
        fprintf(stderr, "%s: %zu never, %zu once, %zu more than once:", what, none, one, more);
        for (int i = 0, shown = 0; i < NMSG && shown < 12; i++)
            if (seen[i] > 1 && ++shown)
                fprintf(stderr, " #%d (partition %d, members 0x%x)", i, i % NPART, who[i]);
        fprintf(stderr, "\n");
    }
    memset(who, 0, sizeof(who));
    CU_ASSERT_EQUAL(none, 0);
    CU_ASSERT_EQUAL(more, 0);
}

/* A group of one of ours and one of librdkafka's (ours_lead: ours joins first and
 * leads), then a third member of the leader's kind. */
static void mixed(const char *strategy, bool ours_lead) {
    kafka_mock_t *m = kafka_test_mock(3, true);
    const char *bs = kafka_mock_bootstrap(m);
    char group[64], topic[64];
    snprintf(group, sizeof(group), "mix-%s-%d", strategy, ours_lead);
    snprintf(topic, sizeof(topic), "mt-%s-%d", strategy, ours_lead);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);
    static int seen1[NMSG], seen2[NMSG], seen3[NMSG];
    memset(seen1, 0, sizeof(seen1));
    memset(seen2, 0, sizeof(seen2));
    memset(seen3, 0, sizeof(seen3));
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "a-");
    mixed_t x;
    memset(&x, 0, sizeof(x));
    if (ours_lead) {
        gu_start(&x.ours[0], bs, group, strategy, topic, NULL, seen1, NMSG, "a-");
        x.nours = 1;
        CU_ASSERT_FATAL(settle(&x, 1, NULL));
        rdk_start(&x.rdk[0], bs, group, strategy, topic, seen1, "a-");
        x.nrdk = 1;
    } else {
        rdk_start(&x.rdk[0], bs, group, strategy, topic, seen1, "a-");
        x.nrdk = 1;
        CU_ASSERT_FATAL(settle(&x, 1, NULL));
        gu_start(&x.ours[0], bs, group, strategy, topic, NULL, seen1, NMSG, "a-");
        x.nours = 1;
    }
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_FATAL(settle(&x, NPART / 2, seen1));
    kafka_consumer_group_info_t info;
    kafka_consumer_group_info(x.ours[0].c, &info);
    fprintf(stderr, "%s, %s leads: settled in %lld ms, generation %d, ours %d + librdkafka %d partitions\n",
            strategy, ours_lead ? "ours" : "librdkafka", (long long)(kafka_test_now_ms() - t0), (int)info.generation,
            gu_nassigned(&x.ours[0]), rdk_nassigned(&x.rdk[0]));
    CU_ASSERT_EQUAL(info.leader, ours_lead);
    CU_ASSERT_STRING_EQUAL(info.protocol, strategy);
    once(seen1, "written before the group settled");

    /* Written once settled: exactly once, both consume. */
    for (int i = 0; i < x.nours; i++) {
        x.ours[i].seen = seen2;
        x.ours[i].prefix = "b-";
    }
    x.rdk[0].seen = seen2;
    x.rdk[0].prefix = "b-";
    int got_o = x.ours[0].got, got_r = x.rdk[0].got;
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "b-");
    CU_ASSERT(settle(&x, NPART / 2, seen2));
    once(seen2, "written after the group settled");
    CU_ASSERT(x.ours[0].got > got_o && x.rdk[0].got > got_r);

    /* A third member of the leader's kind: thirds. */
    if (ours_lead) {
        gu_start(&x.ours[1], bs, group, strategy, topic, NULL, seen3, NMSG, "c-");
        x.nours = 2;
    } else {
        rdk_start(&x.rdk[1], bs, group, strategy, topic, seen3, "c-");
        x.nrdk = 2;
    }
    for (int i = 0; i < 2; i++) {
        x.ours[i].seen = seen3;
        x.ours[i].prefix = "c-";
        x.rdk[i].seen = seen3;
        x.rdk[i].prefix = "c-";
    }
    CU_ASSERT(settle(&x, NPART / 3, NULL));
    kafka_test_produce(bs, NULL, topic, NPART, NMSG, 40, "c-");
    CU_ASSERT(settle(&x, NPART / 3, seen3));
    once(seen3, "written after a third member joined");
    kafka_consumer_group_info(x.ours[0].c, &info);
    fprintf(stderr, "  three members: generation %d, partitions %d/%d/%d\n", (int)info.generation,
            gu_nassigned(&x.ours[0]), x.nours > 1 ? gu_nassigned(&x.ours[1]) : rdk_nassigned(&x.rdk[1]),
            rdk_nassigned(&x.rdk[0]));
    /* librdkafka's members close first, while the group is stable: a librdkafka 2.0.2
     * consumer closed during a rebalance (ours leaving first) waits for its JoinGroup,
     * which the coordinator holds for the rebalance timeout (seen to hang a CI run). */
    for (int i = 0; i < x.nrdk; i++)
        rdk_stop(&x.rdk[i]);
    for (int i = 0; i < x.nours; i++) {
        CU_ASSERT_EQUAL(x.ours[i].errors, 0);
        gu_stop(&x.ours[i]);
    }
    kafka_mock_destroy(m);
}

/* The same on librdkafka's own mock cluster, whose group coordinator is an independent
 * peer of ours: a librdkafka consumer (leading) and one of ours split the topic, every
 * message written once they settled consumed once. Ours does not lead there: that mock
 * ends a SyncGroup round as soon as the leader's assignments arrive, so a follower whose
 * SyncGroup comes after a quick leader's is refused INVALID_REQUEST (state Up) and
 * rejoins forever; with librdkafka leading, its slower leader comes last. */
static void on_rdkafka_mock(const char *strategy) {
    const char *bs = start_rdkafka_mock(3);
    char group[64], topic[64];
    snprintf(group, sizeof(group), "rmix-%s", strategy);
    snprintf(topic, sizeof(topic), "rmt-%s", strategy);
    CU_ASSERT_EQUAL_FATAL(rd_kafka_mock_topic_create(mc, topic, NPART, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    static int seen[NMSG];
    memset(seen, 0, sizeof(seen));
    mixed_t x;
    memset(&x, 0, sizeof(x));
    rdk_start(&x.rdk[0], bs, group, strategy, topic, seen, "r-");
    x.nrdk = 1;
    CU_ASSERT_FATAL(settle(&x, NPART, NULL));
    gu_start(&x.ours[0], bs, group, strategy, topic, NULL, seen, NMSG, "r-");
    x.nours = 1;
    int64_t t0 = kafka_test_now_ms();
    bool ok = settle(&x, NPART / 2, NULL);
    CU_ASSERT(ok);
    kafka_consumer_group_info_t info;
    kafka_consumer_group_info(x.ours[0].c, &info);
    fprintf(stderr, "librdkafka's mock, %s: settled%s in %lld ms, generation %d, ours %d (%s) + librdkafka %d\n",
            strategy, ok ? "" : " NOT", (long long)(kafka_test_now_ms() - t0), (int)info.generation,
            gu_nassigned(&x.ours[0]), info.leader ? "leader" : "follower", rdk_nassigned(&x.rdk[0]));
    CU_ASSERT(!info.leader);
    const char *kv[] = {"enable.idempotence", "false", NULL};
    kafka_test_produce(bs, kv, topic, NPART, NMSG, 40, "r-");
    CU_ASSERT(settle(&x, NPART / 2, seen));
    once(seen, "on librdkafka's mock");
    CU_ASSERT(x.ours[0].got > 0 && x.rdk[0].got > 0);
    /* That mock refuses a follower's SyncGroup that comes after the leader's (see above):
     * reported once by poll(), then the member rejoins. Nothing else may fail. */
    CU_ASSERT_EQUAL(x.ours[0].errors - x.ours[0].sync_refused, 0);
    if (x.ours[0].sync_refused)
        fprintf(stderr, "  (librdkafka's mock refused %d late SyncGroup; the member rejoined)\n", x.ours[0].sync_refused);
    rdk_stop(&x.rdk[0]);
    gu_stop(&x.ours[0]);
    stop_rdkafka_mock();
}

static void test_rdkafka_mock_range(void) { on_rdkafka_mock("range"); }
static void test_rdkafka_mock_sticky(void) { on_rdkafka_mock("cooperative-sticky"); }

static void test_range_ours_lead(void) { mixed("range", true); }
static void test_range_rdk_leads(void) { mixed("range", false); }
static void test_roundrobin_ours_lead(void) { mixed("roundrobin", true); }
static void test_roundrobin_rdk_leads(void) { mixed("roundrobin", false); }
static void test_sticky_ours_lead(void) { mixed("cooperative-sticky", true); }
static void test_sticky_rdk_leads(void) { mixed("cooperative-sticky", false); }

static CU_TestInfo tests[] = {
    {"range, ours leads", test_range_ours_lead},
    {"range, librdkafka leads", test_range_rdk_leads},
    {"roundrobin, ours leads", test_roundrobin_ours_lead},
    {"roundrobin, librdkafka leads", test_roundrobin_rdk_leads},
    {"cooperative-sticky, ours leads", test_sticky_ours_lead},
    {"cooperative-sticky, librdkafka leads", test_sticky_rdk_leads},
    {"on librdkafka's mock cluster: range", test_rdkafka_mock_range},
    {"on librdkafka's mock cluster: cooperative-sticky", test_rdkafka_mock_sticky},
    CU_TEST_INFO_NULL,
};
#else
static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {{"skipped (no librdkafka)", test_skipped}, CU_TEST_INFO_NULL};
#endif

KAFKA_TEST_MAIN("consumer_group_rdkafka", tests)
