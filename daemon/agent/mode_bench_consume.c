/* kafka-agent bench consume: reads COUNT messages of a topic from the beginning of every
 * partition (producing the missing ones first when the topic holds fewer, e.g. on a fresh
 * --mock cluster), with a progress line per second on stderr and the RESULT line. It
 * reads with the consumer loop (assign every partition from the beginning, poll up to
 * 10,000 messages at a time): one prefetching fetcher per broker. With -G GROUP the
 * reading is mode_bench_group.c's: N members of a consumer group. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alog.h"
#include "bench_consume.h"
#include "kafka/consumer.h"
#include "kafka/connection.h"
#include "kafka/message.h"
#include "kafka/producer.h"
#include "metrics.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct cbench_s {
    int64_t want, seen, bytes, invalid;
    double start, last_progress;
    int64_t last_seen;
} cbench_t;

static void count_message(cbench_t *b, const kafka_message_t *m) {
    if (!kafka_message_valid(m)) {
        b->invalid++;
        return;
    }
    int32_t len;
    kafka_message_payload(m, &len);
    b->bytes += len > 0 ? len : 0;
    b->seen++;
}

kafka_err_t agent_bench_log_offset(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t which,
                                   int64_t *out, char *errstr, size_t errstr_size) {
    int64_t *offs = NULL;
    size_t k = 0;
    kafka_err_t e = kafka_consumer_offsets(c, topic, partition, which, 1, &offs, &k, errstr, errstr_size);
    *out = !e && k ? offs[0] : 0;
    free(offs);
    return e;
}

/* Every partition returned up to its high watermark. */
static bool at_end(kafka_consumer_t *c, const char *topic, int nparts) {
    for (int i = 0; i < nparts; i++) {
        int64_t hw = kafka_consumer_high_watermark(c, topic, i);
        if (hw < 0 || kafka_consumer_position(c, topic, i) < hw)
            return false;
    }
    return true;
}

/* Why the topic ended short: how many messages the broker holds now, and where the logs
 * start when they do not start at 0 (the broker deleted what came before). */
static void ended_why(kafka_consumer_t *c, const char *topic, int nparts, char *why, size_t why_size) {
    char starts[400] = "", errstr[512];
    size_t used = 0;
    int64_t held = 0;
    int moved = 0;
    for (int i = 0; i < nparts; i++) {
        int64_t lo, hi;
        if (agent_bench_log_offset(c, topic, i, KAFKA_OFFSET_EARLIEST, &lo, errstr, sizeof(errstr)) ||
            agent_bench_log_offset(c, topic, i, KAFKA_OFFSET_LATEST, &hi, errstr, sizeof(errstr))) {
            snprintf(why, why_size, " (the log's range is unknown: %s)", errstr);
            return;
        }
        held += hi - lo;
        if (lo > 0 && used + 1 < sizeof(starts)) {
            int k = snprintf(starts + used, sizeof(starts) - used, "%s%s/%d at %lld", moved ? ", " : "", topic, i,
                             (long long)lo);
            used = k > 0 && (size_t)k < sizeof(starts) - used ? used + (size_t)k : sizeof(starts) - 1;
            moved++;
        }
    }
    if (moved)
        snprintf(why, why_size,
                 ": the broker holds %lld messages of it, its log starting at %s; the messages before were deleted "
                 "(retention)",
                 (long long)held, starts);
    else
        snprintf(why, why_size, " (the broker holds %lld messages of it)", (long long)held);
}

/* Fills the topic up to count messages of size bytes with our producer. */
static int fill(agent_ctx_t *ctx, const char *topic, int64_t missing, int64_t size) {
    char errstr[512];
    kafka_conf_t *conf = kafka_conf_dup(ctx->conf);
    kafka_conf_set(conf, "acks", "1", errstr, sizeof(errstr));
    kafka_producer_t *p = kafka_producer_new(conf, errstr, sizeof(errstr));
    kafka_conf_destroy(conf);
    if (!p) {
        agent_err(ctx, "%s", errstr);
        return AGENT_USAGE;
    }
    char *payload = malloc((size_t)size + 1);
    memset(payload, 'c', (size_t)size + 1);
    agent_log(ctx, AGENT_LOG_INFO, false, (const char *[]){"topic", topic, NULL},
              "bench consume: producing %lld messages of %lld bytes into %s first", (long long)missing, (long long)size,
              topic);
    int rc = AGENT_OK;
    for (int64_t i = 0; i < missing && !agent_stopping(); i++) {
        kafka_produce_msg_t m = {NULL, -1, payload, (int32_t)size, NULL, 0, 0};
        if (kafka_producer_produce(p, topic, KAFKA_PARTITION_ANY, &m, NULL, errstr, sizeof(errstr))) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_FAIL;
            break;
        }
    }
    kafka_producer_flush(p, -1, NULL, 0);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    if (st.failed) {
        agent_err(ctx, "%lld messages could not be produced", (long long)st.failed);
        rc = AGENT_FAIL;
    }
    kafka_producer_destroy(p);
    free(payload);
    return rc;
}

int agent_bench_consume(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *other) {
    const char *topic = o->topic;
    int64_t count = o->count, size = o->size;
    char errstr[1024];
    report_t *rep = calloc(1, sizeof(*rep));
    if (!rep) {
        agent_err(ctx, "out of memory");
        return AGENT_FAIL;
    }
    snprintf(rep->mode, sizeof(rep->mode), "consume");
    snprintf(rep->label, sizeof(rep->label), "this run");
    agent_bench_settings(ctx, o, rep);
    kafka_connection_t *conn = kafka_connection_new(ctx->conf, errstr, sizeof(errstr));
    if (!conn) {
        agent_err(ctx, "%s", errstr);
        free(rep);
        return AGENT_USAGE;
    }
    kafka_err_t e = kafka_connection_wait_metadata(conn, topic, 10000, errstr, sizeof(errstr));
    int nparts = e ? -1 : kafka_connection_partition_count(conn, topic);
    kafka_connection_destroy(conn);
    if (nparts <= 0) {
        agent_err(ctx, "topic %s: %s", topic, e ? errstr : "no partitions");
        free(rep);
        return AGENT_FAIL;
    }
    kafka_consumer_t *c = kafka_consumer_new(ctx->conf, errstr, sizeof(errstr));
    if (!c) {
        agent_err(ctx, "%s", errstr);
        free(rep);
        return AGENT_USAGE;
    }
    agent_metrics_t *metrics;
    agent_metrics_source_t src = agent_metrics_consumer_source(c);
    int rc = agent_metrics_open(ctx, ctx->metrics_listen, &src, AGENT_STALL_MS, &metrics);
    int64_t held = 0;
    if (rc != AGENT_OK)
        goto out;
    for (int i = 0; i < nparts && !e; i++) {
        int64_t lo = 0, hi = 0;
        if (!(e = agent_bench_log_offset(c, topic, i, KAFKA_OFFSET_EARLIEST, &lo, errstr, sizeof(errstr))) &&
            !(e = agent_bench_log_offset(c, topic, i, KAFKA_OFFSET_LATEST, &hi, errstr, sizeof(errstr))))
            held += hi - lo;
    }
    if (e) {
        agent_err(ctx, "%s", errstr);
        rc = AGENT_FAIL;
        goto out;
    }
    if (held < count && (rc = fill(ctx, topic, count - held, size)) != AGENT_OK)
        goto out;
    if (o->group) {
        rc = agent_bench_consume_group(ctx, o, nparts, rep, other);
        goto out;
    }
    kafka_topic_partition_t *tps = calloc((size_t)nparts, sizeof(*tps));
    for (int i = 0; i < nparts; i++)
        tps[i] = (kafka_topic_partition_t){topic, i, KAFKA_OFFSET_BEGINNING};
    cbench_t b = {count, 0, 0, 0, now_s(), now_s(), 0};
    e = kafka_consumer_assign(c, tps, (size_t)nparts, errstr, sizeof(errstr));
    free(tps);
    if (e) {
        agent_err(ctx, "%s", errstr);
        rc = AGENT_FAIL;
        goto out;
    }
    static kafka_message_t *batch[10000];
    while (b.seen < count && !agent_stopping()) {
        size_t n, max = (size_t)(count - b.seen < 10000 ? count - b.seen : 10000);
        e = kafka_consumer_poll(c, 200, batch, max, &n, errstr, sizeof(errstr));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET) { /* messages skipped: the count falls short, said below */
            agent_err(ctx, "%s", errstr);
            continue;
        }
        if (e) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_FAIL;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            count_message(&b, batch[i]);
            kafka_message_destroy(batch[i]);
        }
        double t = now_s();
        if (t - b.last_progress >= 1.0) {
            char sc[24], sr[24], sm[24], si[24];
            snprintf(sc, sizeof(sc), "%lld", (long long)b.seen);
            snprintf(sr, sizeof(sr), "%.0f", (double)(b.seen - b.last_seen) / (t - b.last_progress));
            snprintf(sm, sizeof(sm), "%.1f", (double)(b.seen - b.last_seen) * (double)size / 1e6 / (t - b.last_progress));
            snprintf(si, sizeof(si), "%lld", (long long)b.invalid);
            agent_log(ctx, AGENT_LOG_INFO, false,
                      (const char *[]){"consumed", sc, "msgs_per_s", sr, "mb_per_s", sm, "invalid", si, NULL},
                      "bench consume: %s consumed, %s msgs/s, %s MB/s, invalid %s", sc, sr, sm, si);
            report_tick(rep, t - b.start, (double)(b.seen - b.last_seen) / (t - b.last_progress),
                        (double)(b.seen - b.last_seen) * (double)size / 1e6 / (t - b.last_progress));
            b.last_progress = t;
            b.last_seen = b.seen;
        }
        if (!n && b.seen < count && at_end(c, topic, nparts)) {
            char why[700];
            ended_why(c, topic, nparts, why, sizeof(why));
            agent_err(ctx, "the topic ended after %lld of %lld messages%s", (long long)b.seen, (long long)count, why);
            rc = AGENT_FAIL;
            break;
        }
    }
    double wall = now_s() - b.start, mps = wall > 0 ? (double)b.seen / wall : 0, mbps = wall > 0 ? (double)b.bytes / wall / 1e6 : 0;
    if (wall - (b.last_progress - b.start) >= 0.05) /* the last part of a second (all of a short run) */
        report_tick(rep, wall, (double)(b.seen - b.last_seen) / (wall - (b.last_progress - b.start)),
                    (double)(b.seen - b.last_seen) * (double)size / 1e6 / (wall - (b.last_progress - b.start)));
    rep->msgs = (double)b.seen, rep->bytes = (double)b.bytes, rep->wall_s = wall, rep->msgs_per_s = mps;
    rep->mb_per_s = mbps;
    if (o->json) {
        printf("{\"mode\":\"consume\",\"topic\":\"%s\",\"msgs\":%lld,\"bytes\":%lld,\"wall_s\":%.3f,\"msgs_per_s\":%.1f,"
               "\"mb_per_s\":%.2f,\"invalid\":%lld,\"partitions\":%d",
               topic, (long long)b.seen, (long long)b.bytes, wall, mps, mbps, (long long)b.invalid, nparts);
        report_json_tail(stdout, rep);
        printf("}\n");
    }
    printf("RESULT mode=consume msgs=%lld bytes=%lld wall_s=%.3f msgs_per_s=%.1f mb_per_s=%.2f\n", (long long)b.seen,
           (long long)b.bytes, wall, mps, mbps);
    fflush(stdout);
    if (b.invalid && rc == AGENT_OK)
        rc = AGENT_FAIL;
    if (agent_bench_write_reports(ctx, o, rep, other) != AGENT_OK && rc == AGENT_OK)
        rc = AGENT_FAIL;
out:
    agent_metrics_stop(metrics);
    kafka_consumer_destroy(c);
    free(rep);
    return rc;
}
