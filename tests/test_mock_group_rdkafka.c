/* The mock's group coordinator with an independent client: librdkafka 2.0.2 consumers
 * (range, roundrobin, cooperative-sticky) join one group on our mock cluster, split the
 * partitions, consume every message written after the group settled exactly once
 * between them and commit; a member that
 * closes hands its partitions to the others; commits from outside the group are refused
 * while it has members. Every wait has a deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/mock.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

#define NPART 6
#define NMSG 600
#define WAIT_MS 30000

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, k, v, err, sizeof(err));
    if (r != RD_KAFKA_CONF_OK)
        fprintf(stderr, "%s=%s: %s\n", k, v, err);
    CU_ASSERT_EQUAL_FATAL(r, RD_KAFKA_CONF_OK);
}

static rd_kafka_conf_t *base_conf(kafka_mock_t *m) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", kafka_mock_bootstrap(m));
    set(conf, "log_level", "2");
    set(conf, "reconnect.backoff.ms", "20");
    set(conf, "reconnect.backoff.max.ms", "200");
    set(conf, "retry.backoff.ms", "50");
    set(conf, "topic.metadata.refresh.interval.ms", "1000");
    if (getenv("KAFKA_TEST_RDKAFKA_DEBUG")) {
        set(conf, "log_level", "7");
        set(conf, "debug", getenv("KAFKA_TEST_RDKAFKA_DEBUG"));
    }
    return conf;
}

static void produce(kafka_mock_t *m, const char *topic) {
    rd_kafka_conf_t *conf = base_conf(m);
    set(conf, "linger.ms", "5");
    char err[256];
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (int i = 0; i < NMSG; i++) {
        char v[32];
        int n = snprintf(v, sizeof(v), "m-%05d", i);
        CU_ASSERT_EQUAL(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % NPART),
                                          RD_KAFKA_V_VALUE(v, (size_t)n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                          RD_KAFKA_V_END),
                        RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    CU_ASSERT_EQUAL(rd_kafka_flush(p, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
}

/* One group member and what it saw. */
typedef struct member_s {
    rd_kafka_t *rk;
    int assigned[NPART]; /* currently assigned partitions */
    int rebalances;
    int commits_ok, commits_failed;
} member_t;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    member_t *mb = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].partition >= 0 && parts->elems[i].partition < NPART)
            mb->assigned[parts->elems[i].partition] = assign;
    if (!assign && !coop)
        memset(mb->assigned, 0, sizeof(mb->assigned));
    mb->rebalances++;
    if (coop) {
        rd_kafka_error_t *e = assign ? rd_kafka_incremental_assign(rk, parts) : rd_kafka_incremental_unassign(rk, parts);
        CU_ASSERT_PTR_NULL(e);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        CU_ASSERT_EQUAL(rd_kafka_assign(rk, assign ? parts : NULL), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                      void *opaque) {
    (void)rk;
    (void)offsets;
    member_t *mb = opaque;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        mb->commits_ok++;
    else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        mb->commits_failed++;
}

static void member_start(member_t *mb, kafka_mock_t *m, const char *group, const char *strategy, const char *topic,
                         const char *instance) {
    memset(mb, 0, sizeof(*mb));
    rd_kafka_conf_t *conf = base_conf(m);
    set(conf, "group.id", group);
    set(conf, "partition.assignment.strategy", strategy);
    set(conf, "session.timeout.ms", "6000");
    set(conf, "heartbeat.interval.ms", "200");
    set(conf, "enable.auto.commit", "false");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "fetch.wait.max.ms", "100");
    if (instance)
        set(conf, "group.instance.id", instance);
    rd_kafka_conf_set_opaque(conf, mb);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
    char err[256];
    mb->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(mb->rk);
    rd_kafka_poll_set_consumer(mb->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    CU_ASSERT_EQUAL(rd_kafka_subscribe(mb->rk, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(sub);
}

static int nassigned(const member_t *mb) {
    int n = 0;
    for (int p = 0; p < NPART; p++)
        n += mb->assigned[p];
    return n;
}

/* Polls every member once; messages counted per value index in seen. */
static int poll_all(member_t *mbs, int n, int *seen, int *seen_by) {
    int got = 0;
    for (int i = 0; i < n; i++) {
        if (!mbs[i].rk)
            continue;
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(mbs[i].rk, 20);
        if (!msg)
            continue;
        if (!msg->err && msg->len >= 7) {
            int idx = atoi((const char *)msg->payload + 2);
            if (idx >= 0 && idx < NMSG) {
                seen[idx]++;
                seen_by[idx] = i;
                got++;
                CU_ASSERT(mbs[i].assigned[msg->partition]); /* only from a partition it holds */
            }
        }
        rd_kafka_message_destroy(msg);
    }
    return got;
}

/* Polls until every member holds a share of the partitions and together all of them,
 * each once: the group settled. */
static bool settled(member_t *mbs, int n, int *seen, int *seen_by) {
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    while (kafka_test_now_ms() < deadline) {
        poll_all(mbs, n, seen, seen_by);
        int owners[NPART] = {0}, live = 0;
        bool each = true;
        for (int i = 0; i < n; i++) {
            if (!mbs[i].rk)
                continue;
            live++;
            each &= nassigned(&mbs[i]) >= NPART / n - 1 && nassigned(&mbs[i]) > 0;
            for (int p = 0; p < NPART; p++)
                owners[p] += mbs[i].assigned[p];
        }
        bool once = true;
        for (int p = 0; p < NPART; p++)
            once &= owners[p] == 1;
        if (each && once && live)
            return true;
    }
    return false;
}

static void commit_sync(member_t *mb) {
    rd_kafka_resp_err_t e = rd_kafka_commit(mb->rk, NULL, 0);
    CU_ASSERT(e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET);
    rd_kafka_poll(mb->rk, 0);
}

/* Three members of one strategy: split, consume, commit, one leaves. */
static void run_group(const char *strategy) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "grp-%s", strategy);
    snprintf(group, sizeof(group), "g-%s", strategy);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, topic, NPART, 1), KAFKA_OK);

    static int seen[NMSG], seen_by[NMSG];
    memset(seen, 0, sizeof(seen));
    member_t mbs[3];
    for (int i = 0; i < 3; i++)
        member_start(&mbs[i], m, group, strategy, topic, NULL);
    CU_ASSERT_FATAL(settled(mbs, 3, seen, seen_by));
    char reply[256];
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "group %s", group);
    CU_ASSERT_EQUAL(kafka_mock_command(m, cmd, reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT(strstr(reply, "state=Stable") && strstr(reply, "members=3"));
    fprintf(stderr, "%s: %s; partitions per member %d/%d/%d\n", strategy, reply, nassigned(&mbs[0]),
            nassigned(&mbs[1]), nassigned(&mbs[2]));
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(nassigned(&mbs[i]), NPART / 3);
    /* Written once the group settled: the stable assignment reads each message once. */
    produce(m, topic);

    /* Everything, once, across the members. */
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    int total = 0;
    for (int i = 0; i < NMSG; i++)
        total += seen[i] > 0;
    while (total < NMSG && kafka_test_now_ms() < deadline) {
        poll_all(mbs, 3, seen, seen_by);
        total = 0;
        for (int i = 0; i < NMSG; i++)
            total += seen[i] > 0;
    }
    CU_ASSERT_EQUAL(total, NMSG);
    int dups = 0, by[3] = {0};
    for (int i = 0; i < NMSG; i++) {
        dups += seen[i] > 1;
        by[seen_by[i]]++;
    }
    CU_ASSERT_EQUAL(dups, 0);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(by[i], NMSG / 3); /* 2 partitions x 100 messages each */
        commit_sync(&mbs[i]);
    }

    /* Member 0 leaves: its partitions go to the other two, which read from the commits. */
    int had[NPART];
    memcpy(had, mbs[0].assigned, sizeof(had));
    rd_kafka_consumer_close(mbs[0].rk);
    rd_kafka_destroy(mbs[0].rk);
    mbs[0].rk = NULL;
    memset(mbs[0].assigned, 0, sizeof(mbs[0].assigned));
    CU_ASSERT_FATAL(settled(mbs, 3, seen, seen_by));
    for (int p = 0; p < NPART; p++)
        if (had[p])
            CU_ASSERT(mbs[1].assigned[p] || mbs[2].assigned[p]);
    CU_ASSERT_EQUAL(nassigned(&mbs[1]) + nassigned(&mbs[2]), NPART);
    CU_ASSERT_EQUAL(nassigned(&mbs[1]), NPART / 2);
    /* Nothing is read twice: the committed offsets are where the new owners start. */
    int64_t until = kafka_test_now_ms() + 1500;
    while (kafka_test_now_ms() < until)
        poll_all(mbs, 3, seen, seen_by);
    dups = 0;
    for (int i = 0; i < NMSG; i++)
        dups += seen[i] > 1;
    CU_ASSERT_EQUAL(dups, 0);

    /* A commit from outside the group (generation -1, no member id) is refused. */
    rd_kafka_conf_t *oc = base_conf(m);
    set(oc, "group.id", group);
    set(oc, "enable.auto.commit", "false");
    char err[256];
    rd_kafka_t *outsider = rd_kafka_new(RD_KAFKA_CONSUMER, oc, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(outsider);
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offs, topic, 0)->offset = 1;
    rd_kafka_resp_err_t ce = rd_kafka_commit(outsider, offs, 0);
    CU_ASSERT(ce == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || offs->elems[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
    rd_kafka_topic_partition_list_destroy(offs);
    rd_kafka_destroy(outsider);

    for (int i = 1; i < 3; i++) {
        CU_ASSERT(mbs[i].commits_ok >= 1);
        CU_ASSERT_EQUAL(mbs[i].commits_failed, 0);
        rd_kafka_consumer_close(mbs[i].rk);
        rd_kafka_destroy(mbs[i].rk);
    }
    /* Both left: the group is empty, and its commits stay. */
    CU_ASSERT_EQUAL(kafka_mock_command(m, cmd, reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT(strstr(reply, "state=Empty") && strstr(reply, "members=0"));
    kafka_mock_destroy(m);
}

static void test_range(void) { run_group("range"); }
static void test_roundrobin(void) { run_group("roundrobin"); }
static void test_cooperative_sticky(void) { run_group("cooperative-sticky"); }

static CU_TestInfo tests[] = {
    {"range: three members split, consume once, commit, one leaves", test_range},
    {"roundrobin: the same", test_roundrobin},
    {"cooperative-sticky: the same, incrementally", test_cooperative_sticky},
    CU_TEST_INFO_NULL,
};
#else
static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {{"skipped", test_skipped}, CU_TEST_INFO_NULL};
#endif

KAFKA_TEST_MAIN("mock_group_rdkafka", tests)
