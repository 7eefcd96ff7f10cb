/* kafka-agent bench: the producer and consumer performance tests (as Kafka's
 * kafka-producer-perf-test / kafka-consumer-perf-test).
 *
 *   kafka-agent bench produce|consume -t TOPIC -n COUNT -s SIZE [--rate R] [--json]
 *
 * A progress line per second on stderr; the last line on stdout is DESIGN.md's RESULT
 * line (key=value, in the contract's order). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "alog.h"
#include "bench_consume.h"
#include "kafka/producer.h"
#include "metrics.h"
#include "report.h"

static const char help[] =
    "usage: kafka-agent bench produce|consume -t TOPIC -n COUNT -s SIZE [--rate R] [--json]\n"
    "                          [--report FILE.html] [--svg FILE.svg] [--compare OTHER.json]\n"
    "       kafka-agent bench produce -t TOPIC -n COUNT -s SIZE --sweep R1,R2,... [...]\n"
    "       kafka-agent bench consume -t TOPIC -n COUNT -s SIZE -G GROUP [--consumers N] [...]\n"
    "\n"
    "produce: sends COUNT messages of SIZE bytes (null keys, the partitioner spreads them)\n"
    "as fast as the producer takes them, or at most R per second with --rate; measures\n"
    "the latency from produce to delivery report of every message.\n"
    "consume: reads COUNT messages of TOPIC from the beginning of every partition\n"
    "(producing them first when the topic holds fewer, e.g. on --mock).\n"
    "consume -G GROUP --consumers N: N members of consumer group GROUP (threads of this\n"
    "process, default 1) subscribe to TOPIC and read it together from its start (the\n"
    "group's offsets are set to the log start first: a group without members is wanted;\n"
    "the members auto-commit); each message counts once; the RESULT line gets\n"
    "consumers=N rebalance_ms=T appended, T the time from the start until every partition\n"
    "was assigned and every member held some, in one generation (-1: never).\n"
    "Progress every second on stderr; at the end, with --json, the whole report as one JSON\n"
    "object, then on the last line:\n"
    "  RESULT mode=produce msgs=N bytes=B wall_s=S msgs_per_s=R mb_per_s=M lat_avg_ms=A\n"
    "         lat_p50_ms=.. lat_p99_ms=.. lat_p999_ms=.. lat_max_ms=.. delivered=D failed=F\n"
    "  RESULT mode=consume msgs=N bytes=B wall_s=S msgs_per_s=R mb_per_s=M\n"
    "(produce: msgs and bytes are what was produced; msgs_per_s and mb_per_s count only\n"
    "the delivered messages). Exit 1 when any message failed.\n"
    "--report FILE.html: a page to open in a browser: throughput each second, the latency\n"
    "  percentile plot (produce), the settings; --svg FILE.svg the plots alone.\n"
    "--compare OTHER.json: draws a previous run (its --json output, saved) dashed over this\n"
    "  one, with the change of each number.\n"
    "--sweep R1,R2,...: runs produce at each rate in turn (5 s of messages at each, or -n\n"
    "  if fewer), a RESULT line per rate, and plots latency against the throughput reached.\n\n";

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
    report_t *rep;  /* the progress thread adds a point a second */
    double t0_s;    /* where this step starts on the report's time axis */
    int64_t tick_ns; /* the progress thread's last point: its time and the delivered count */
    long long tick_del;
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
    long long last = atomic_load(&b->delivered);
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
        /* the report's time axis runs on across the steps of a sweep */
        report_tick(b->rep, b->t0_s + (double)(t - b->start_ns) / 1e9, rate, rate * (double)b->size / 1e6);
        last = del;
        last_t = t;
        b->tick_ns = t, b->tick_del = del; /* read after the join */
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

/* What one run (or one rate of a sweep) measured. */
typedef struct step_s {
    int64_t n; /* produced */
    long long delivered, failed;
    double wall, mps, mbps, avg, p50, p99, p999, mx;
} step_t;

/* Sends count messages (at most rate a second when rate > 0) and waits for every report.
 * The counters of bp run on across steps; the histogram is this step's. */
static int produce_step(agent_ctx_t *ctx, pbench_t *bp, const char *topic, int64_t count, int64_t rate,
                        const char *payload, step_t *st) {
    char errstr[512];
    int rc = AGENT_OK;
    for (int i = 0; i < HIST_BUCKETS; i++) /* no report is pending: the previous step flushed */
        atomic_store_explicit(&bp->hist[i], 0, memory_order_relaxed);
    atomic_store(&bp->lat_sum_us, 0);
    atomic_store(&bp->lat_max_us, 0);
    atomic_store(&bp->done, false);
    long long d0 = atomic_load(&bp->delivered), f0 = atomic_load(&bp->failed);
    bp->start_ns = now_ns();
    bp->tick_ns = bp->start_ns, bp->tick_del = d0;
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
        kafka_produce_msg_t m = {NULL, -1, payload, (int32_t)bp->size, NULL, 0, 0};
        kafka_err_t e =
            kafka_producer_produce(bp->p, topic, -1, &m, (void *)(uintptr_t)now_ns(), errstr, sizeof(errstr));
        if (e) {
            agent_err(ctx, "message %lld: %s", (long long)i, errstr);
            rc = e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == KAFKA_ERR__MSG_TOO_LARGE ? AGENT_USAGE : AGENT_FAIL;
            break;
        }
        atomic_fetch_add_explicit(&bp->produced, 1, memory_order_relaxed);
    }
    kafka_producer_flush(bp->p, -1, NULL, 0);
    int64_t end = now_ns();
    atomic_store(&bp->done, true);
    pthread_join(th, NULL);
    /* The last part of a second (all of a short run) is a point too. */
    double tail = (double)(end - bp->tick_ns) / 1e9;
    if (tail >= 0.05) {
        double r = (double)(atomic_load(&bp->delivered) - bp->tick_del) / tail;
        report_tick(bp->rep, bp->t0_s + (double)(end - bp->start_ns) / 1e9, r, r * (double)bp->size / 1e6);
    }
    st->n = i;
    st->wall = (double)(end - bp->start_ns) / 1e9;
    st->delivered = atomic_load(&bp->delivered) - d0;
    st->failed = atomic_load(&bp->failed) - f0;
    /* Rates count what was delivered: a message that failed was not moved anywhere. */
    st->mps = st->wall > 0 ? (double)st->delivered / st->wall : 0;
    st->mbps = st->mps * (double)bp->size / 1e6;
    int64_t reported = st->delivered + st->failed;
    st->avg = reported ? (double)atomic_load(&bp->lat_sum_us) / (double)reported / 1e3 : 0;
    st->p50 = pct_ms(bp, reported, 0.50);
    st->p99 = pct_ms(bp, reported, 0.99);
    st->p999 = pct_ms(bp, reported, 0.999);
    st->mx = (double)atomic_load(&bp->lat_max_us) / 1e3;
    bp->t0_s += st->wall;
    if (rc == AGENT_OK && (st->failed || st->delivered != st->n || agent_stopping()))
        rc = AGENT_FAIL;
    return rc;
}

/* The step's latency curve on HdrHistogram's percentile axis: x = log10(1/(1-q)) in
 * steps of 0.1 up to where the count of messages reaches (1/(1-q) <= n). */
static void fill_percentiles(pbench_t *bp, int64_t n, report_t *rep) {
    rep->npcts = 0;
    for (double x = 0; rep->npcts < REPORT_MAX_PCTS && n > 0 && pow(10, x) <= (double)n + 0.5; x += 0.1) {
        double q = 1 - pow(10, -x);
        rep->pcts[rep->npcts++] = (report_pct_t){q * 100, pct_ms(bp, n, q)};
    }
}

static void print_result(const step_t *s, int64_t size) {
    printf("RESULT mode=produce msgs=%lld bytes=%lld wall_s=%.3f msgs_per_s=%.1f mb_per_s=%.2f lat_avg_ms=%.3f "
           "lat_p50_ms=%.3f lat_p99_ms=%.3f lat_p999_ms=%.3f lat_max_ms=%.3f delivered=%lld failed=%lld\n",
           (long long)s->n, (long long)(s->n * size), s->wall, s->mps, s->mbps, s->avg, s->p50, s->p99, s->p999, s->mx,
           s->delivered, s->failed);
    fflush(stdout);
}

/* The settings a reader of the report needs to tell two runs apart. */
void agent_bench_settings(agent_ctx_t *ctx, const bench_opts_t *o, report_t *rep) {
    report_setting(rep, "topic", "%s", o->topic);
    report_setting(rep, "messages", "%lld", (long long)o->count);
    report_setting(rep, "message size", "%lld bytes", (long long)o->size);
    if (o->nsweep) {
        char list[300] = "";
        size_t len = 0;
        for (int i = 0; i < o->nsweep && len < sizeof(list); i++)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%lld", i ? "," : "", (long long)o->sweep[i]);
        report_setting(rep, "sweep (msgs/s)", "%s (%d s or -n messages each)", list, BENCH_SWEEP_SECONDS);
    } else {
        report_setting(rep, "rate limit", o->rate > 0 ? "%lld msgs/s" : "none", (long long)o->rate);
    }
    report_setting(rep, "brokers", "%s", ctx->mock ? "the embedded mock cluster" : "bootstrap.servers below");
    static const char *const produce_keys[] = {"bootstrap.servers", "acks", "linger.ms", "batch.size",
                                               "compression.type", "enable.idempotence",
                                               "max.in.flight.requests.per.connection", "security.protocol",
                                               "client.id", NULL};
    static const char *const consume_keys[] = {"bootstrap.servers", "fetch.min.bytes", "fetch.max.wait.ms",
                                               "max.partition.fetch.bytes", "fetch.max.bytes", "check.crcs",
                                               "isolation.level", "security.protocol", "client.id", NULL};
    for (const char *const *k = o->consume ? consume_keys : produce_keys; *k; k++) {
        char v[160];
        if (kafka_conf_get(ctx->conf, *k, v, sizeof(v)) == KAFKA_OK) /* a key this build lacks is left out */
            report_setting(rep, *k, "%s", v);
    }
    if (o->group) {
        report_setting(rep, "group.id", "%s", o->group);
        report_setting(rep, "consumers", "%lld", (long long)o->consumers);
        char v[160];
        if (kafka_conf_get(ctx->conf, "partition.assignment.strategy", v, sizeof(v)) == KAFKA_OK)
            report_setting(rep, "partition.assignment.strategy", "%s", v);
    }
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    report_setting(rep, "host", "%s, %ld CPUs", host, sysconf(_SC_NPROCESSORS_ONLN));
}

/* --report / --svg: the page and the plots, with --compare's run overlaid. */
int agent_bench_write_reports(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *rep, const report_t *other) {
    char errstr[600];
    if (o->report && !report_write_html(o->report, rep, other, errstr, sizeof(errstr))) {
        agent_err(ctx, "--report %s", errstr);
        return AGENT_FAIL;
    }
    if (o->svg && !report_write_svg(o->svg, rep, other, errstr, sizeof(errstr))) {
        agent_err(ctx, "--svg %s", errstr);
        return AGENT_FAIL;
    }
    if (o->report)
        agent_log(ctx, AGENT_LOG_INFO, true, (const char *[]){"report", o->report, NULL}, "report written to %s",
                  o->report);
    return AGENT_OK;
}

static int bench_produce(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *other) {
    char errstr[512];
    pbench_t *bp = calloc(1, sizeof(pbench_t));
    report_t *rep = calloc(1, sizeof(report_t));
    char *payload = malloc((size_t)o->size ? (size_t)o->size : 1);
    if (!bp || !payload || !rep) {
        agent_err(ctx, "out of memory");
        free(bp);
        free(rep);
        free(payload);
        return AGENT_FAIL;
    }
    snprintf(rep->mode, sizeof(rep->mode), "produce");
    snprintf(rep->label, sizeof(rep->label), "this run");
    agent_bench_settings(ctx, o, rep);
    atomic_flag_clear(&bp->have_err);
    bp->size = o->size;
    bp->ctx = ctx;
    bp->rep = rep;
    for (int64_t i = 0; i < o->size; i++)
        payload[i] = (char)('a' + i % 26);
    kafka_producer_t *p = kafka_producer_new(ctx->conf, errstr, sizeof(errstr));
    if (!p) {
        agent_err(ctx, "%s", errstr);
        free(bp);
        free(rep);
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
        free(rep);
        free(payload);
        return rc;
    }
    step_t st = {0};
    if (!o->nsweep) {
        rc = produce_step(ctx, bp, o->topic, o->count, o->rate, payload, &st);
        fill_percentiles(bp, st.delivered + st.failed, rep);
    }
    for (int k = 0; k < o->nsweep && rc == AGENT_OK; k++) {
        int64_t n = o->sweep[k] * BENCH_SWEEP_SECONDS;
        n = n < o->count ? n : o->count;
        agent_log(ctx, AGENT_LOG_INFO, true, NULL, "sweep %d/%d: %lld messages at %lld msgs/s", k + 1, o->nsweep,
                  (long long)n, (long long)o->sweep[k]);
        rc = produce_step(ctx, bp, o->topic, n, o->sweep[k], payload, &st);
        rep->sweep[rep->nsweep++] = (report_step_t){(double)o->sweep[k], st.mps, st.p50, st.p99, st.p999, st.mx};
        if (k + 1 < o->nsweep)
            print_result(&st, o->size); /* the last one is printed below, last */
    }
    kafka_producer_stats_t ps;
    kafka_producer_stats(p, &ps);
    agent_metrics_stop(metrics);
    kafka_producer_destroy(p);
    rep->msgs = (double)st.n;
    rep->bytes = (double)(st.n * o->size);
    rep->wall_s = st.wall, rep->msgs_per_s = st.mps, rep->mb_per_s = st.mbps;
    rep->has_latency = true;
    rep->lat_avg_ms = st.avg, rep->lat_p50_ms = st.p50, rep->lat_p99_ms = st.p99, rep->lat_p999_ms = st.p999;
    rep->lat_max_ms = st.mx;
    long long failed = atomic_load(&bp->failed);
    if (failed)
        agent_err(ctx, "%lld messages failed; first: %s", failed, bp->first_err);
    if (o->json) {
        printf("{\"mode\":\"produce\",\"topic\":\"%s\",\"msgs\":%lld,\"size\":%lld,\"bytes\":%lld,\"wall_s\":%.3f,"
               "\"msgs_per_s\":%.1f,\"mb_per_s\":%.2f,\"latency_ms\":{\"avg\":%.3f,\"p50\":%.3f,\"p99\":%.3f,"
               "\"p999\":%.3f,\"max\":%.3f},\"delivered\":%lld,\"failed\":%lld,\"retries\":%lld,\"requests\":%lld,"
               "\"request_bytes\":%lld,\"connects\":%lld,\"rate_limit\":%lld",
               o->topic, (long long)st.n, (long long)o->size, (long long)(st.n * o->size), st.wall, st.mps, st.mbps,
               st.avg, st.p50, st.p99, st.p999, st.mx, st.delivered, st.failed, (long long)ps.retries,
               (long long)ps.requests, (long long)ps.request_bytes, (long long)ps.connects, (long long)o->rate);
        report_json_tail(stdout, rep);
        printf("}\n");
    }
    print_result(&st, o->size);
    if (agent_bench_write_reports(ctx, o, rep, other) != AGENT_OK && rc == AGENT_OK)
        rc = AGENT_FAIL;
    free(payload);
    free(bp);
    free(rep);
    return rc;
}

/* "R1,R2,...": rates for --sweep. */
static bool parse_sweep(const char *s, bench_opts_t *o) {
    o->nsweep = 0;
    while (*s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno || v < 1 || v > 1000000000 || (*end && *end != ',') || o->nsweep == REPORT_MAX_SWEEP)
            return false;
        o->sweep[o->nsweep++] = v;
        s = *end ? end + 1 : end;
        if (*end == ',' && !*s)
            return false;
    }
    return o->nsweep > 0;
}

int agent_bench(agent_ctx_t *ctx) {
    const char *what = NULL;
    bench_opts_t o = {.count = -1, .size = 100, .consumers = 0};
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
            o.topic = ctx->argv[++i];
        } else if (strcmp(a, "-n") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 1, 1000000000, &o.count))
                return agent_usage_err(ctx, "-n %s: a count 1..1000000000", ctx->argv[i]);
        } else if (strcmp(a, "-s") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, 100 << 20, &o.size))
                return agent_usage_err(ctx, "-s %s: a size in bytes 0..104857600", ctx->argv[i]);
        } else if (strcmp(a, "--rate") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 1, 1000000000, &o.rate))
                return agent_usage_err(ctx, "--rate %s: messages per second, 1..1000000000", ctx->argv[i]);
        } else if (strcmp(a, "--sweep") == 0 && v) {
            if (!parse_sweep(ctx->argv[++i], &o))
                return agent_usage_err(ctx, "--sweep %s: rates (msgs/s, 1..1000000000) separated by commas, at most %d",
                                       ctx->argv[i], REPORT_MAX_SWEEP);
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "-G") == 0 && v) {
            o.group = ctx->argv[++i];
        } else if (strcmp(a, "--consumers") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 1, 1000, &o.consumers))
                return agent_usage_err(ctx, "--consumers %s: a count 1..1000", ctx->argv[i]);
        } else if (strcmp(a, "--report") == 0 && v) {
            o.report = ctx->argv[++i];
        } else if (strcmp(a, "--svg") == 0 && v) {
            o.svg = ctx->argv[++i];
        } else if (strcmp(a, "--compare") == 0 && v) {
            o.compare = ctx->argv[++i];
        } else {
            return agent_usage_err(ctx, "unknown argument or missing value: %s", a);
        }
    }
    if (!what)
        return agent_usage_err(ctx, "produce or consume?");
    if (!o.topic || o.count < 0)
        return agent_usage_err(ctx, "-t TOPIC and -n COUNT are required");
    o.consume = strcmp(what, "consume") == 0;
    if (o.nsweep && o.consume)
        return agent_usage_err(ctx, "--sweep is for bench produce");
    if ((o.group || o.consumers) && !o.consume)
        return agent_usage_err(ctx, "-G and --consumers are for bench consume");
    if (o.consumers && !o.group)
        return agent_usage_err(ctx, "--consumers N wants -G GROUP");
    if (o.group && !*o.group)
        return agent_usage_err(ctx, "-G wants a group id");
    if (o.group && !o.consumers)
        o.consumers = 1;
    if (o.nsweep && o.rate)
        return agent_usage_err(ctx, "--sweep and --rate exclude each other (--sweep sets the rates)");
    if (o.compare && !o.report && !o.svg)
        return agent_usage_err(ctx, "--compare draws over --report or --svg: give one of them");
    /* A report that cannot be written is said before the run, not after it. */
    const char *outs[] = {o.report, o.svg};
    for (int k = 0; k < 2; k++) {
        if (!outs[k])
            continue;
        bool existed = access(outs[k], F_OK) == 0;
        FILE *f = fopen(outs[k], "a");
        if (!f)
            return agent_usage_err(ctx, "%s %s: %s", k ? "--svg" : "--report", outs[k], strerror(errno));
        fclose(f);
        if (!existed)
            remove(outs[k]);
    }
    report_t *other = NULL;
    int rc;
    if (o.compare) {
        char errstr[600];
        other = malloc(sizeof(*other));
        if (!other || !report_load(o.compare, other, errstr, sizeof(errstr))) {
            free(other);
            return agent_usage_err(ctx, "--compare %s", other ? errstr : "out of memory");
        }
        if (strcmp(other->mode, what) != 0) {
            rc = agent_usage_err(ctx, "--compare %s: a bench %s report, this is bench %s", o.compare, other->mode, what);
            free(other);
            return rc;
        }
    }
    rc = agent_brokers(ctx);
    if (rc == AGENT_OK)
        rc = o.consume ? agent_bench_consume(ctx, &o, other) : bench_produce(ctx, &o, other);
    free(other);
    return rc;
}
