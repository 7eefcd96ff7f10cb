/* kafka-agent bench consume -G GROUP --consumers N: N members of one consumer group, each
 * a consumer on a thread of its own subscribed to the topic, read it together; the
 * RESULT line counts each message once (a message read again after a rebalance, before
 * the commit of its partition reached the next owner, is counted apart), and the time
 * from the start to a stable assignment (every partition assigned, every member that
 * can have one holding partitions, all in one generation) is measured: the members
 * poll on after the last message until then (30 s at most), and the throughput is
 * taken at the last message.
 *
 * Each run reads the topic from its start: the group's offsets are set to the log start
 * first (a simple commit, as kafka-consumer-groups.sh --reset-offsets --to-earliest),
 * which Kafka allows only while the group has no members. The members auto-commit as
 * consume -G does, so a partition moving in a rebalance goes on where it stopped. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alog.h"
#include "bench_consume.h"
#include "kafka/message.h"

#define STALL_S 30.0 /* no message for this long while messages are missing: the run fails */

typedef struct gbench_s {
    agent_ctx_t *ctx;
    const char *topic;
    int nparts, n;
    int64_t count;
    _Atomic int64_t seen, bytes, invalid, again;
    _Atomic int64_t *next;  /* per partition: the next offset not counted yet */
    _Atomic int *owned;     /* per member: partitions it consumes now (rebalance callback) */
    _Atomic int32_t *gen;   /* per member: its generation after its last poll */
    atomic_bool stop, failed;
    _Atomic int64_t stable_us; /* from the start; -1 until the assignment is stable */
    _Atomic int64_t done_us;   /* from the start: when the count was reached; -1 before */
    _Atomic int32_t stable_gen;
    int64_t start_us;
    pthread_mutex_t err_lock;
    char err[1024]; /* the first member's failure */
} gbench_t;

typedef struct gmember_s {
    gbench_t *b;
    int idx;
    kafka_consumer_t *c;
    pthread_t th;
} gmember_t;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void member_fail(gbench_t *b, int idx, const char *what, const char *errstr) {
    pthread_mutex_lock(&b->err_lock);
    if (!b->err[0])
        snprintf(b->err, sizeof(b->err), "member %d: %s: %s", idx, what, errstr);
    pthread_mutex_unlock(&b->err_lock);
    atomic_store(&b->failed, true);
    atomic_store(&b->stop, true);
}

/* @thread the member's (poll)  @locks none */
static void on_rebalance(kafka_consumer_t *c, kafka_rebalance_event_t ev, const kafka_topic_partition_t *tps,
                         size_t n, void *opaque) {
    (void)c;
    (void)tps;
    gmember_t *m = opaque;
    atomic_fetch_add(&m->b->owned[m->idx], ev == KAFKA_REBALANCE_ASSIGNED ? (int)n : -(int)n);
}

/* Records the first moment every partition is assigned, every member that can have one
 * holds some, and all are in one generation. */
static void check_stable(gbench_t *b) {
    if (atomic_load(&b->stable_us) >= 0)
        return;
    int sum = 0, holding = 0;
    int32_t g0 = atomic_load(&b->gen[0]);
    for (int i = 0; i < b->n; i++) {
        int o = atomic_load(&b->owned[i]);
        sum += o;
        holding += o > 0;
        if (atomic_load(&b->gen[i]) != g0)
            return;
    }
    if (g0 <= 0 || sum != b->nparts || holding != (b->n < b->nparts ? b->n : b->nparts))
        return;
    int64_t expect = -1;
    if (atomic_compare_exchange_strong(&b->stable_us, &expect, now_us() - b->start_us))
        atomic_store(&b->stable_gen, g0);
    if (atomic_load(&b->done_us) >= 0)
        atomic_store(&b->stop, true);
}

/* Counts m unless an earlier owner of its partition counted it already. */
static void count_message(gbench_t *b, const kafka_message_t *msg) {
    if (!kafka_message_valid(msg)) {
        atomic_fetch_add(&b->invalid, 1);
        return;
    }
    int32_t p = kafka_message_partition(msg);
    int64_t off = kafka_message_offset(msg);
    if (p < 0 || p >= b->nparts)
        return;
    int64_t cur = atomic_load(&b->next[p]);
    while (off >= cur) {
        if (atomic_compare_exchange_weak(&b->next[p], &cur, off + 1)) {
            int32_t len;
            kafka_message_payload(msg, &len);
            atomic_fetch_add(&b->bytes, len > 0 ? len : 0);
            if (atomic_fetch_add(&b->seen, 1) + 1 == b->count)
                atomic_store(&b->done_us, now_us() - b->start_us);
            return;
        }
    }
    atomic_fetch_add(&b->again, 1);
}

static void *member_main(void *arg) {
    gmember_t *m = arg;
    gbench_t *b = m->b;
    char errstr[512];
    kafka_message_t **batch = malloc(sizeof(*batch) * 10000);
    if (!batch) {
        member_fail(b, m->idx, "poll", "out of memory");
        return NULL;
    }
    const char *topics[] = {b->topic};
    kafka_err_t e = kafka_consumer_subscribe(m->c, topics, 1, errstr, sizeof(errstr));
    if (e)
        member_fail(b, m->idx, "subscribe", errstr);
    while (!e && !atomic_load(&b->stop) && !agent_stopping()) {
        size_t n = 0;
        e = kafka_consumer_poll(m->c, 100, batch, 10000, &n, errstr, sizeof(errstr));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET) { /* messages skipped: the count falls short, said at the end */
            agent_err(b->ctx, "member %d: %s", m->idx, errstr);
            e = KAFKA_OK;
        } else if (e) {
            member_fail(b, m->idx, "poll", errstr);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            count_message(b, batch[i]);
            kafka_message_destroy(batch[i]);
        }
        if (atomic_load(&b->stable_us) < 0) {
            kafka_consumer_group_info_t gi;
            if (kafka_consumer_group_info(m->c, &gi) == KAFKA_OK)
                atomic_store(&b->gen[m->idx], strcmp(gi.state, "stable") == 0 ? gi.generation : -1);
            check_stable(b);
        }
    }
    free(batch);
    return NULL;
}

/* Sets the group's committed offsets to the log start of every partition: each run reads
 * the whole topic. Refused while the group has members. */
static int reset_offsets(agent_ctx_t *ctx, const bench_opts_t *o, int nparts) {
    char errstr[1024];
    kafka_conf_t *conf = kafka_conf_dup(ctx->conf);
    if (!conf || kafka_conf_set(conf, "group.id", o->group, errstr, sizeof(errstr))) {
        kafka_conf_destroy(conf);
        agent_err(ctx, "-G %s: %s", o->group, conf ? errstr : "out of memory");
        return AGENT_USAGE;
    }
    kafka_consumer_t *c = kafka_consumer_new(conf, errstr, sizeof(errstr));
    kafka_conf_destroy(conf);
    if (!c) {
        agent_err(ctx, "%s", errstr);
        return AGENT_USAGE;
    }
    kafka_topic_partition_t *tps = calloc((size_t)nparts, sizeof(*tps));
    kafka_err_t e = tps ? KAFKA_OK : KAFKA_ERR__NO_MEMORY;
    snprintf(errstr, sizeof(errstr), "out of memory");
    for (int i = 0; i < nparts && !e; i++) {
        tps[i] = (kafka_topic_partition_t){o->topic, i, 0};
        e = agent_bench_log_offset(c, o->topic, i, KAFKA_OFFSET_EARLIEST, &tps[i].offset, errstr, sizeof(errstr));
    }
    if (!e)
        e = kafka_consumer_commit(c, tps, (size_t)nparts, errstr, sizeof(errstr));
    free(tps);
    kafka_consumer_destroy(c);
    if (e) {
        agent_err(ctx, "cannot set group %s's offsets to the start of %s (a group of the bench's own, without "
                  "members, is wanted): %s", o->group, o->topic, errstr);
        return AGENT_FAIL;
    }
    return AGENT_OK;
}

int agent_bench_consume_group(agent_ctx_t *ctx, const bench_opts_t *o, int nparts, report_t *rep,
                              const report_t *other) {
    int rc = reset_offsets(ctx, o, nparts);
    if (rc != AGENT_OK)
        return rc;
    int n = (int)o->consumers;
    gbench_t *b = calloc(1, sizeof(*b));
    gmember_t *ms = calloc((size_t)n, sizeof(*ms));
    if (b) {
        b->next = calloc((size_t)nparts, sizeof(*b->next));
        b->owned = calloc((size_t)n, sizeof(*b->owned));
        b->gen = calloc((size_t)n, sizeof(*b->gen));
    }
    if (!b || !ms || !b->next || !b->owned || !b->gen) {
        agent_err(ctx, "out of memory");
        rc = AGENT_FAIL;
        goto out;
    }
    b->ctx = ctx, b->topic = o->topic, b->nparts = nparts, b->n = n, b->count = o->count;
    atomic_init(&b->stable_us, -1);
    atomic_init(&b->done_us, -1);
    pthread_mutex_init(&b->err_lock, NULL);
    char errstr[1024];
    kafka_conf_t *conf = kafka_conf_dup(ctx->conf);
    if (!conf || kafka_conf_set(conf, "group.id", o->group, errstr, sizeof(errstr)) ||
        kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof(errstr))) {
        agent_err(ctx, "%s", conf ? errstr : "out of memory");
        kafka_conf_destroy(conf);
        rc = AGENT_USAGE;
        goto out_lock;
    }
    for (int i = 0; i < nparts; i++)
        atomic_init(&b->next[i], 0); /* set below from the log start */
    for (int i = 0; i < n; i++) {
        ms[i].b = b, ms[i].idx = i;
        if (!(ms[i].c = kafka_consumer_new(conf, errstr, sizeof(errstr)))) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_USAGE;
            break;
        }
        kafka_consumer_set_rebalance_cb(ms[i].c, on_rebalance, &ms[i]);
    }
    kafka_conf_destroy(conf);
    for (int i = 0; rc == AGENT_OK && i < nparts; i++) {
        int64_t lo = 0;
        kafka_err_t e =
            agent_bench_log_offset(ms[0].c, o->topic, i, KAFKA_OFFSET_EARLIEST, &lo, errstr, sizeof(errstr));
        if (e) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_FAIL;
        }
        atomic_store(&b->next[i], lo);
    }
    if (rc != AGENT_OK)
        goto out_consumers;
    b->start_us = now_us();
    int started = 0;
    for (; started < n; started++)
        if (pthread_create(&ms[started].th, NULL, member_main, &ms[started]) != 0) {
            agent_err(ctx, "cannot start member %d's thread", started);
            atomic_store(&b->stop, true);
            rc = AGENT_FAIL;
            break;
        }
    double last_t = 0, last_progress_t = 0;
    int64_t last_seen = 0, last_progress_seen = 0;
    while (!atomic_load(&b->stop) && !agent_stopping()) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        double t = (double)(now_us() - b->start_us) / 1e6;
        int64_t seen = atomic_load(&b->seen);
        if (seen != last_progress_seen) {
            last_progress_t = t, last_progress_seen = seen;
        } else if (t - last_progress_t > STALL_S) {
            /* Everything read but never stable (rebalance_ms -1), or messages missing. */
            if (atomic_load(&b->done_us) < 0)
                member_fail(b, -1, "stalled", "no new message for 30 s");
            break;
        }
        if (atomic_load(&b->done_us) >= 0 && atomic_load(&b->stable_us) >= 0)
            break;
        if (t - last_t >= 1.0) {
            char sc[24], sr[24], sm[24], sa[24];
            double rate = (double)(seen - last_seen) / (t - last_t);
            snprintf(sc, sizeof(sc), "%lld", (long long)seen);
            snprintf(sr, sizeof(sr), "%.0f", rate);
            snprintf(sm, sizeof(sm), "%.1f", rate * (double)o->size / 1e6);
            snprintf(sa, sizeof(sa), "%lld", (long long)atomic_load(&b->again));
            agent_log(ctx, AGENT_LOG_INFO, false,
                      (const char *[]){"consumed", sc, "msgs_per_s", sr, "mb_per_s", sm, "read_again", sa, NULL},
                      "bench consume: %s consumed, %s msgs/s, %s MB/s, read again %s", sc, sr, sm, sa);
            report_tick(rep, t, rate, rate * (double)o->size / 1e6);
            last_t = t, last_seen = seen;
        }
    }
    atomic_store(&b->stop, true);
    for (int i = 0; i < started; i++)
        pthread_join(ms[i].th, NULL);
    int64_t done_us = atomic_load(&b->done_us);
    double wall = (double)(done_us >= 0 ? done_us : now_us() - b->start_us) / 1e6;
    int64_t seen = atomic_load(&b->seen), bytes = atomic_load(&b->bytes);
    double mps = wall > 0 ? (double)seen / wall : 0, mbps = wall > 0 ? (double)bytes / wall / 1e6 : 0;
    if (wall - last_t >= 0.05)
        report_tick(rep, wall, (double)(seen - last_seen) / (wall - last_t),
                    (double)(seen - last_seen) * (double)o->size / 1e6 / (wall - last_t));
    rep->msgs = (double)seen, rep->bytes = (double)bytes, rep->wall_s = wall, rep->msgs_per_s = mps;
    rep->mb_per_s = mbps;
    int64_t stable_us = atomic_load(&b->stable_us);
    double rebalance_ms = stable_us >= 0 ? (double)stable_us / 1000.0 : -1;
    if (atomic_load(&b->failed)) {
        agent_err(ctx, "%s", b->err);
        rc = AGENT_FAIL;
    } else if (seen < o->count && rc == AGENT_OK) {
        agent_err(ctx, "%lld of %lld messages consumed", (long long)seen, (long long)o->count);
        rc = AGENT_FAIL;
    }
    if (stable_us >= 0)
        agent_log(ctx, AGENT_LOG_INFO, false, NULL,
                  "bench consume: stable assignment: %d members, %d partitions, generation %d, after %.1f ms; "
                  "%lld messages read again after a rebalance (not counted)",
                  n, nparts, (int)atomic_load(&b->stable_gen), rebalance_ms, (long long)atomic_load(&b->again));
    else
        agent_log(ctx, AGENT_LOG_INFO, false, NULL,
                  "bench consume: the assignment was never stable (every partition assigned, every member holding "
                  "some) during the run; rebalance_ms=-1");
    if (o->json) {
        printf("{\"mode\":\"consume\",\"topic\":\"%s\",\"msgs\":%lld,\"bytes\":%lld,\"wall_s\":%.3f,"
               "\"msgs_per_s\":%.1f,\"mb_per_s\":%.2f,\"invalid\":%lld,\"partitions\":%d,\"consumers\":%d,"
               "\"rebalance_ms\":%.1f,\"read_again\":%lld",
               o->topic, (long long)seen, (long long)bytes, wall, mps, mbps, (long long)atomic_load(&b->invalid),
               nparts, n, rebalance_ms, (long long)atomic_load(&b->again));
        report_json_tail(stdout, rep);
        printf("}\n");
    }
    printf("RESULT mode=consume msgs=%lld bytes=%lld wall_s=%.3f msgs_per_s=%.1f mb_per_s=%.2f consumers=%d "
           "rebalance_ms=%.1f\n",
           (long long)seen, (long long)bytes, wall, mps, mbps, n, rebalance_ms);
    fflush(stdout);
    if (atomic_load(&b->invalid) && rc == AGENT_OK)
        rc = AGENT_FAIL;
    if (agent_bench_write_reports(ctx, o, rep, other) != AGENT_OK && rc == AGENT_OK)
        rc = AGENT_FAIL;
out_consumers:
    for (int i = 0; i < n; i++)
        kafka_consumer_destroy(ms[i].c); /* commits and leaves the group */
out_lock:
    pthread_mutex_destroy(&b->err_lock);
out:
    if (b) {
        free(b->next);
        free(b->owned);
        free(b->gen);
    }
    free(b);
    free(ms);
    return rc;
}
