/* kafka-agent bench: the producer and consumer performance tests (as Kafka's
 * kafka-producer-perf-test / kafka-consumer-perf-test).
 *
 *   kafka-agent bench produce|consume -t TOPIC -n COUNT -s SIZE [--rate R] [--json]
 *
 * A progress line per second on stderr; the last line on stdout is DESIGN.md's RESULT
 * line (key=value, in the contract's order). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "alog.h"
#include "bench_consume.h"
#include "kafka/producer.h"
#include "metrics.h"

static const char help[] =
    "usage: kafka-agent bench produce|consume -t TOPIC -n COUNT -s SIZE [--rate R] [--json]\n"
    "\n"
    "produce: sends COUNT messages of SIZE bytes (null keys, the partitioner spreads them)\n"
    "as fast as the producer takes them, or at most R per second with --rate; measures\n"
    "the latency from produce to delivery report of every message.\n"
    "consume: reads COUNT messages of TOPIC from the beginning of every partition\n"
    "(producing them first when the topic holds fewer, e.g. on --mock).\n"
    "Progress every second on stderr; at the end, with --json, the whole report as one JSON\n"
    "object, then on the last line:\n"
    "  RESULT mode=produce msgs=N bytes=B wall_s=S msgs_per_s=R mb_per_s=M lat_avg_ms=A\n"
    "         lat_p50_ms=.. lat_p99_ms=.. lat_p999_ms=.. lat_max_ms=.. delivered=D failed=F\n"
    "  RESULT mode=consume msgs=N bytes=B wall_s=S msgs_per_s=R mb_per_s=M\n"
    "(produce: msgs and bytes are what was produced; msgs_per_s and mb_per_s count only\n"
    "the delivered messages). Exit 1 when any message failed.\n\n";

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Latency histogram, log-linear in microseconds: values below 1024 us exactly, above
 * with 1/512 relative precision (HdrHistogram's idea), so the percentiles of any number
 * of messages cost a fixed 16 K counters. */
#define HIST_SUB 512
#define HIST_BUCKETS (1024 + 40 * HIST_SUB)

static int hist_index(int64_t us) {
    if (us < 1024)
        return us < 0 ? 0 : (int)us;
    int e = 63 - __builtin_clzll((unsigned long long)us) - 9; /* us >> e in [512, 1024) */
    int i = 1024 + (e - 1) * HIST_SUB + (int)((us >> e) - HIST_SUB);
    return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

static int64_t hist_value(int i) { /* the upper end of bucket i, in us */
    if (i < 1024)
        return i;
    int e = (i - 1024) / HIST_SUB + 1;
    return ((int64_t)((i - 1024) % HIST_SUB + HIST_SUB + 1) << e) - 1;
}

typedef struct pbench_s {
    _Atomic int64_t hist[HIST_BUCKETS];
    _Atomic int64_t lat_sum_us, lat_max_us;
    atomic_llong delivered, failed, produced;
    agent_reasons_t fail_reasons;
    char first_err[512];
    atomic_flag have_err;
    atomic_bool done;
    int64_t size;
    int64_t start_ns;
    kafka_producer_t *p;
    const agent_ctx_t *ctx;
} pbench_t;

static void on_delivery(const kafka_delivery_t *d, void *arg) {
    pbench_t *b = arg;
    /* The opaque is the produce time. */
    int64_t us = (now_ns() - (int64_t)(uintptr_t)d->opaque) / 1000;
    atomic_fetch_add_explicit(&b->hist[hist_index(us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&b->lat_sum_us, us, memory_order_relaxed);
    int64_t mx = atomic_load_explicit(&b->lat_max_us, memory_order_relaxed);
    while (us > mx && !atomic_compare_exchange_weak(&b->lat_max_us, &mx, us))
        ;
    if (!d->err) {
        atomic_fetch_add_explicit(&b->delivered, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add(&b->failed, 1);
    agent_reasons_add(&b->fail_reasons, d->err);
    if (!atomic_flag_test_and_set(&b->have_err))
        snprintf(b->first_err, sizeof(b->first_err), "%s/%d: %s", d->topic, d->partition, d->errstr);
}

static void *progress(void *arg) {
    pbench_t *b = arg;
    long long last = 0;
    int64_t last_t = b->start_ns;
    while (!atomic_load(&b->done)) {
        for (int i = 0; i < 10 && !atomic_load(&b->done); i++) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
        if (atomic_load(&b->done))
            break;
        int64_t t = now_ns();
        long long prod = atomic_load(&b->produced), del = atomic_load(&b->delivered), fail = atomic_load(&b->failed);
        double dt = (double)(t - last_t) / 1e9, rate = dt > 0 ? (double)(del - last) / dt : 0;
        char sp[24], sd[24], sr[24], sm[24], sf[24], se[24];
        snprintf(sp, sizeof(sp), "%lld", prod), snprintf(sd, sizeof(sd), "%lld", del);
        snprintf(sr, sizeof(sr), "%.0f", rate), snprintf(sm, sizeof(sm), "%.1f", rate * (double)b->size / 1e6);
        snprintf(sf, sizeof(sf), "%lld", prod - del - fail), snprintf(se, sizeof(se), "%lld", fail);
        agent_log(b->ctx, AGENT_LOG_INFO, false,
                  (const char *[]){"produced", sp, "delivered", sd, "msgs_per_s", sr, "mb_per_s", sm, "in_flight", sf,
                                   "errors", se, NULL},
                  "bench produce: %s produced, %s delivered, %s msgs/s, %s MB/s, in flight %s, errors %s", sp, sd, sr,
                  sm, sf, se);
        last = del;
        last_t = t;
    }
    return NULL;
}

/* @thread http  @locks none */
static void metrics_collect(agent_page_t *pg, void *arg) {
    pbench_t *b = arg;
    agent_metrics_deliveries(pg, atomic_load(&b->delivered), &b->fail_reasons);
    agent_metrics_producer(pg, b->p);
}

/* @thread health  @locks none */
static void metrics_progress(void *arg, int64_t *done, int64_t *pending) {
    pbench_t *b = arg;
    *done = atomic_load(&b->delivered) + atomic_load(&b->failed);
    *pending = kafka_producer_outstanding(b->p);
}

/* The q-quantile of the histogram, in ms. */
static double pct_ms(pbench_t *b, int64_t n, double q) {
    if (n <= 0)
        return 0;
    int64_t want = (int64_t)ceil(q * (double)n), seen = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += atomic_load(&b->hist[i]);
        if (seen >= want)
            return (double)hist_value(i) / 1e3;
    }
    return (double)atomic_load(&b->lat_max_us) / 1e3;
}

static int bench_produce(agent_ctx_t *ctx, const char *topic, int64_t count, int64_t size, int64_t rate, bool json) {
    char errstr[512];
    pbench_t *bp = calloc(1, sizeof(pbench_t));
    char *payload = malloc((size_t)size ? (size_t)size : 1);
    if (!bp || !payload) {
        agent_err(ctx, "out of memory");
        free(bp);
        free(payload);
        return AGENT_FAIL;
    }
    atomic_flag_clear(&bp->have_err);
    bp->size = size;
    bp->ctx = ctx;
    for (int64_t i = 0; i < size; i++)
        payload[i] = (char)('a' + i % 26);
    kafka_producer_t *p = kafka_producer_new(ctx->conf, errstr, sizeof(errstr));
    if (!p) {
        agent_err(ctx, "%s", errstr);
        free(bp);
        free(payload);
        return AGENT_USAGE;
    }
    kafka_producer_set_delivery_cb(p, on_delivery, bp);
    bp->p = p;
    agent_metrics_t *metrics;
    agent_metrics_source_t src = {metrics_collect, metrics_progress, bp};
    int rc = agent_metrics_open(ctx, ctx->metrics_listen, &src, AGENT_STALL_MS, &metrics);
    if (rc != AGENT_OK) {
        kafka_producer_destroy(p);
        free(bp);
        free(payload);
        return rc;
    }
    /* Metadata first, outside the measurement: one message's worth of waiting. */
    bp->start_ns = now_ns();
    pthread_t th;
    pthread_create(&th, NULL, progress, bp);
    int64_t i = 0;
    for (; i < count && !agent_stopping(); i++) {
        if (rate > 0) {
            int64_t due = bp->start_ns + (int64_t)((double)i * 1e9 / (double)rate);
            int64_t wait = due - now_ns();
            if (wait > 0) {
                struct timespec ts = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
                nanosleep(&ts, NULL);
            }
        }
        kafka_produce_msg_t m = {NULL, -1, payload, (int32_t)size, NULL, 0, 0};
        kafka_err_t e = kafka_producer_produce(p, topic, -1, &m, (void *)(uintptr_t)now_ns(), errstr, sizeof(errstr));
        if (e) {
            agent_err(ctx, "message %lld: %s", (long long)i, errstr);
            rc = e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == KAFKA_ERR__MSG_TOO_LARGE ? AGENT_USAGE : AGENT_FAIL;
            break;
        }
        atomic_fetch_add_explicit(&bp->produced, 1, memory_order_relaxed);
    }
    kafka_producer_flush(p, -1, NULL, 0);
    int64_t end = now_ns();
    atomic_store(&bp->done, true);
    pthread_join(th, NULL);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    agent_metrics_stop(metrics);
    kafka_producer_destroy(p);
    int64_t n = i;
    double wall = (double)(end - bp->start_ns) / 1e9;
    long long delivered = atomic_load(&bp->delivered), failed = atomic_load(&bp->failed);
    /* Rates count what was delivered: a message that failed was not moved anywhere. */
    double mps = wall > 0 ? (double)delivered / wall : 0, mbps = mps * (double)size / 1e6;
    int64_t reported = delivered + failed;
    double avg = reported ? (double)atomic_load(&bp->lat_sum_us) / (double)reported / 1e3 : 0,
           p50 = pct_ms(bp, reported, 0.50), p99 = pct_ms(bp, reported, 0.99), p999 = pct_ms(bp, reported, 0.999),
           mx = (double)atomic_load(&bp->lat_max_us) / 1e3;
    if (failed)
        agent_err(ctx, "%lld messages failed; first: %s", failed, bp->first_err);
    if (json)
        printf("{\"mode\":\"produce\",\"topic\":\"%s\",\"msgs\":%lld,\"size\":%lld,\"bytes\":%lld,\"wall_s\":%.3f,"
               "\"msgs_per_s\":%.1f,\"mb_per_s\":%.2f,\"latency_ms\":{\"avg\":%.3f,\"p50\":%.3f,\"p99\":%.3f,"
               "\"p999\":%.3f,\"max\":%.3f},\"delivered\":%lld,\"failed\":%lld,\"retries\":%lld,\"requests\":%lld,"
               "\"request_bytes\":%lld,\"connects\":%lld,\"rate_limit\":%lld}\n",
               topic, (long long)n, (long long)size, (long long)(n * size), wall, mps, mbps, avg, p50, p99, p999, mx,
               delivered, failed, (long long)st.retries, (long long)st.requests, (long long)st.request_bytes,
               (long long)st.connects, (long long)rate);
    printf("RESULT mode=produce msgs=%lld bytes=%lld wall_s=%.3f msgs_per_s=%.1f mb_per_s=%.2f lat_avg_ms=%.3f "
           "lat_p50_ms=%.3f lat_p99_ms=%.3f lat_p999_ms=%.3f lat_max_ms=%.3f delivered=%lld failed=%lld\n",
           (long long)n, (long long)(n * size), wall, mps, mbps, avg, p50, p99, p999, mx, delivered, failed);
    fflush(stdout);
    free(payload);
    if (rc == AGENT_OK && (failed || delivered != n || agent_stopping()))
        rc = AGENT_FAIL;
    free(bp);
    return rc;
}

int agent_bench(agent_ctx_t *ctx) {
    const char *what = NULL, *topic = NULL;
    int64_t count = -1, size = 100, rate = 0;
    bool json = false;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        bool v = i + 1 < ctx->argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            return AGENT_OK;
        } else if (!what && (strcmp(a, "produce") == 0 || strcmp(a, "consume") == 0)) {
            what = a;
        } else if (strcmp(a, "-t") == 0 && v) {
            topic = ctx->argv[++i];
        } else if (strcmp(a, "-n") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 1, 1000000000, &count))
                return agent_usage_err(ctx, "-n %s: a count 1..1000000000", ctx->argv[i]);
        } else if (strcmp(a, "-s") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, 100 << 20, &size))
                return agent_usage_err(ctx, "-s %s: a size in bytes 0..104857600", ctx->argv[i]);
        } else if (strcmp(a, "--rate") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 1, 1000000000, &rate))
                return agent_usage_err(ctx, "--rate %s: messages per second, 1..1000000000", ctx->argv[i]);
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else {
            return agent_usage_err(ctx, "unknown argument or missing value: %s", a);
        }
    }
    if (!what)
        return agent_usage_err(ctx, "produce or consume?");
    if (!topic || count < 0)
        return agent_usage_err(ctx, "-t TOPIC and -n COUNT are required");
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK)
        return rc;
    if (strcmp(what, "produce") == 0)
        return bench_produce(ctx, topic, count, size, rate, json);
    return agent_bench_consume(ctx, topic, count, size, rate, json);
}
