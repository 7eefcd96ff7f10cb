/* Rebalance benchmark: the time from a new member joining a consumer group of K
 * consuming members to every member consuming again, for our consumers and for
 * librdkafka's, in one run on one broker process, with range (eager: every partition is
 * revoked and assigned again) and cooperative-sticky (KIP-429: only the partitions that
 * move are revoked, in two rounds), and how many partitions each rebalance revoked.
 *
 *   group_rebalance BROKER [K (3)] [ROUNDS (3)] [key=value ...]
 *
 * BROKER is our kafka-mock or librdkafka's mock cluster (bench/rdkafka_mock_server), 3
 * brokers, topic rb of 12 partitions. Each trial is a fresh group of one client kind:
 * K members subscribe and are polled (one thread, round robin, poll timeout 0) until the
 * assignment is stable (every member holds partitions, all 12 held); then T0, a new
 * member subscribes, and the trial ends at the first moment all K+1 members hold
 * partitions and all 12 are held again, as each one's poll() served it (ASSIGNED /
 * REVOKED / LOST callbacks, librdkafka's rebalance_cb with assign / incremental_assign).
 * Both clients get the same settings: session.timeout.ms=10000,
 * heartbeat.interval.ms=100 (members learn of a rebalance from a heartbeat), and any
 * key=value given (for both). Rounds alternate the clients.
 *
 * Prints one line per trial, the medians, and per strategy "group_rebalance STRATEGY
 * librdkafka/ours time=X" (> 1: ours faster) with the partitions revoked by each. Exits 1
 * when a trial does not settle within 30 s. */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_util.h"
#include "kafka/consumer.h"
#include "kafka/message.h"

#define PARTITIONS 12
#define MAX_MEMBERS 32
#define SETTLE_S 30.0

static const char *extra[16];
static int nextra;

typedef struct member_s {
    int owned;    /* partitions held now, as poll() served the rebalances */
    int revoked;  /* partitions revoked (or lost) since the counter was reset */
    kafka_consumer_t *ours;
    rd_kafka_t *rdk;
} member_t;

/* ---- ours ---- */

static void ours_rebalance(kafka_consumer_t *c, kafka_rebalance_event_t ev, const kafka_topic_partition_t *tps,
                           size_t n, void *opaque) {
    (void)c;
    (void)tps;
    member_t *m = opaque;
    if (ev == KAFKA_REBALANCE_ASSIGNED) {
        m->owned += (int)n;
    } else {
        m->owned -= (int)n;
        m->revoked += (int)n;
    }
}

static bool ours_new(member_t *m, const char *bs, const char *group, const char *strategy) {
    char err[512];
    kafka_conf_t *conf = kafka_conf_new();
    kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    kafka_conf_set(conf, "group.id", group, err, sizeof(err));
    kafka_conf_set(conf, "partition.assignment.strategy", strategy, err, sizeof(err));
    kafka_conf_set(conf, "session.timeout.ms", "10000", err, sizeof(err));
    kafka_conf_set(conf, "heartbeat.interval.ms", "100", err, sizeof(err));
    kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
    for (int i = 0; i < nextra; i++) {
        char k[128];
        const char *eq = strchr(extra[i], '=');
        snprintf(k, sizeof(k), "%.*s", (int)(eq - extra[i]), extra[i]);
        if (kafka_conf_set(conf, k, eq + 1, err, sizeof(err)))
            fprintf(stderr, "ours: %s: %s\n", extra[i], err);
    }
    m->ours = kafka_consumer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    if (!m->ours) {
        fprintf(stderr, "ours: %s\n", err);
        return false;
    }
    kafka_consumer_set_rebalance_cb(m->ours, ours_rebalance, m);
    const char *topics[] = {"rb"};
    if (kafka_consumer_subscribe(m->ours, topics, 1, err, sizeof(err))) {
        fprintf(stderr, "ours: subscribe: %s\n", err);
        return false;
    }
    return true;
}

static void ours_poll(member_t *m) {
    kafka_message_t *msgs[64];
    size_t n = 0;
    char err[512];
    kafka_err_t e = kafka_consumer_poll(m->ours, 0, msgs, 64, &n, err, sizeof(err));
    if (e && e != KAFKA_ERR__MAX_POLL_EXCEEDED)
        fprintf(stderr, "ours: poll: %s\n", err);
    for (size_t i = 0; i < n; i++)
        kafka_message_destroy(msgs[i]);
}

/* ---- librdkafka ---- */

static void rdk_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                          void *opaque) {
    member_t *m = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
            m->owned += parts->cnt;
        } else {
            rd_kafka_assign(rk, parts);
            m->owned = parts->cnt;
        }
    } else {
        m->revoked += parts->cnt;
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
            m->owned -= parts->cnt;
        } else {
            rd_kafka_assign(rk, NULL);
            m->owned = 0;
        }
    }
}

static bool rdk_set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "librdkafka: %s=%s: %s\n", k, v, err);
        return false;
    }
    return true;
}

static bool rdk_new(member_t *m, const char *bs, const char *group, const char *strategy) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rdk_set(conf, "bootstrap.servers", bs);
    rdk_set(conf, "group.id", group);
    rdk_set(conf, "partition.assignment.strategy", strategy);
    rdk_set(conf, "session.timeout.ms", "10000");
    rdk_set(conf, "heartbeat.interval.ms", "100");
    rdk_set(conf, "auto.offset.reset", "earliest");
    for (int i = 0; i < nextra; i++) {
        char k[128];
        const char *eq = strchr(extra[i], '=');
        snprintf(k, sizeof(k), "%.*s", (int)(eq - extra[i]), extra[i]);
        rdk_set(conf, k, eq + 1);
    }
    rd_kafka_conf_set_rebalance_cb(conf, rdk_rebalance);
    rd_kafka_conf_set_opaque(conf, m);
    if (!(m->rdk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)))) {
        fprintf(stderr, "librdkafka: %s\n", err);
        return false;
    }
    rd_kafka_poll_set_consumer(m->rdk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, "rb", RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(m->rdk, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (e) {
        fprintf(stderr, "librdkafka: subscribe: %s\n", rd_kafka_err2str(e));
        return false;
    }
    return true;
}

static void rdk_poll(member_t *m) {
    rd_kafka_message_t *msg;
    while ((msg = rd_kafka_consumer_poll(m->rdk, 0)))
        rd_kafka_message_destroy(msg);
}

/* ---- one trial ---- */

static void member_poll(member_t *m, bool rdk) {
    if (rdk)
        rdk_poll(m);
    else
        ours_poll(m);
}

/* Every one of ms[0..n) holds partitions and all are held. */
static bool settled(const member_t *ms, int n) {
    int sum = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].owned <= 0)
            return false;
        sum += ms[i].owned;
    }
    return sum == PARTITIONS;
}

/* Polls ms[0..n) round robin until settled; seconds taken, or -1 after SETTLE_S. */
static double settle(member_t *ms, int n, bool rdk) {
    double t0 = e2e_now_s();
    while (!settled(ms, n)) {
        if (e2e_now_s() - t0 > SETTLE_S)
            return -1;
        for (int i = 0; i < n; i++)
            member_poll(&ms[i], rdk);
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    return e2e_now_s() - t0;
}

static void close_all(member_t *ms, int n, bool rdk) {
    for (int i = 0; i < n; i++) {
        if (rdk && ms[i].rdk) {
            rd_kafka_consumer_close(ms[i].rdk);
            rd_kafka_destroy(ms[i].rdk);
        } else if (!rdk) {
            kafka_consumer_destroy(ms[i].ours);
        }
    }
}

/* K members settle, one joins: the join's seconds into *join_s, partitions revoked by
 * it into *revoked; false when the group did not settle. */
static bool trial(const char *bs, bool rdk, const char *strategy, int k, int seq, double *join_s, int *revoked) {
    member_t ms[MAX_MEMBERS];
    memset(ms, 0, sizeof(ms));
    char group[64];
    snprintf(group, sizeof(group), "rb-%s-%s-%d", rdk ? "rdk" : "ours", strategy, seq);
    bool ok = true;
    int made = 0;
    for (; made < k && ok; made++)
        ok = rdk ? rdk_new(&ms[made], bs, group, strategy) : ours_new(&ms[made], bs, group, strategy);
    double first = ok ? settle(ms, k, rdk) : -1;
    if (first < 0) {
        fprintf(stderr, "%s %s: %d members did not settle\n", rdk ? "librdkafka" : "ours", strategy, k);
        close_all(ms, made, rdk);
        return false;
    }
    for (int i = 0; i < k; i++)
        ms[i].revoked = 0;
    double t0 = e2e_now_s();
    ok = rdk ? rdk_new(&ms[k], bs, group, strategy) : ours_new(&ms[k], bs, group, strategy);
    made++;
    double s = ok ? settle(ms, k + 1, rdk) : -1;
    *join_s = s >= 0 ? e2e_now_s() - t0 : -1;
    *revoked = 0;
    for (int i = 0; i <= k; i++)
        *revoked += ms[i].revoked;
    close_all(ms, made, rdk);
    if (s < 0)
        fprintf(stderr, "%s %s: the group of %d did not settle after a join\n", rdk ? "librdkafka" : "ours", strategy,
                k + 1);
    return s >= 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BROKER [K] [ROUNDS] [key=value ...]\n", argv[0]);
        return 2;
    }
    int k = 3, rounds = 3, pos = 0;
    for (int i = 2; i < argc; i++) {
        if (strchr(argv[i], '=')) {
            if (nextra < 16)
                extra[nextra++] = argv[i];
        } else if (pos++ == 0) {
            k = atoi(argv[i]);
        } else {
            rounds = atoi(argv[i]);
        }
    }
    if (k < 1 || k + 1 > MAX_MEMBERS || k + 1 > PARTITIONS || rounds < 1 || rounds > 50) {
        fprintf(stderr, "K: 1..%d, ROUNDS: 1..50\n", PARTITIONS - 1);
        return 2;
    }
    char bs[512], ca[8];
    FILE *in;
    pid_t pid = e2e_broker_start(argv[1], "rb", PARTITIONS, 1, NULL, NULL, 0, bs, ca, sizeof(bs), &in);
    if (pid < 0)
        return 1;
    printf("group_rebalance: %s, topic rb of %d partitions, %d members + 1 joining, %d rounds\n", argv[1], PARTITIONS,
           k, rounds);
    const char *strategies[] = {"range", "cooperative-sticky"};
    int rc = 0;
    for (int s = 0; s < 2; s++) {
        double t[2][50];
        int rev[2][50], nt[2] = {0, 0};
        for (int r = 0; r < rounds; r++) {
            for (int c = 0; c < 2; c++) {
                bool rdk = (r + c) % 2 == 1; /* alternate which goes first */
                double js;
                int rv;
                if (!trial(bs, rdk, strategies[s], k, r, &js, &rv)) {
                    rc = 1;
                    continue;
                }
                printf("%-10s %-18s round %d: join to all consuming %.1f ms, %d partitions revoked\n",
                       rdk ? "librdkafka" : "ours", strategies[s], r + 1, js * 1000, rv);
                fflush(stdout);
                t[rdk][nt[rdk]] = js;
                rev[rdk][nt[rdk]++] = rv;
            }
        }
        if (!nt[0] || !nt[1]) {
            printf("group_rebalance %s: no ratio (a client did not settle)\n", strategies[s]);
            continue;
        }
        double r_rev[2];
        for (int c = 0; c < 2; c++) {
            double v[50];
            for (int i = 0; i < nt[c]; i++)
                v[i] = rev[c][i];
            r_rev[c] = e2e_median(v, nt[c]);
        }
        double mo = e2e_median(t[0], nt[0]) * 1000, mr = e2e_median(t[1], nt[1]) * 1000;
        printf("median %s: ours %.1f ms (%.0f revoked), librdkafka %.1f ms (%.0f revoked)\n", strategies[s], mo,
               r_rev[0], mr, r_rev[1]);
        printf("group_rebalance %s librdkafka/ours time=%.2f revoked ours=%.0f librdkafka=%.0f\n", strategies[s],
               mr / mo, r_rev[0], r_rev[1]);
        fflush(stdout);
    }
    fclose(in);
    waitpid(pid, NULL, 0);
    return rc;
}
