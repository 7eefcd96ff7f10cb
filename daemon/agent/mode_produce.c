/* kafka-agent produce: lines of stdin or files become messages.
 *
 *   kafka-agent produce -t TOPIC [-p PART] [-K DELIM] [--oversize skip|fail] [FILE...]
 *
 * Exit 0 only once every message produced is acknowledged; 1 when any was not (or an
 * oversize line with --oversize fail); 2 on a usage or config error. A summary goes to
 * stderr. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "alog.h"
#include "kafka/producer.h"
#include "metrics.h"

static const char help[] =
    "usage: kafka-agent produce -t TOPIC [-p PART] [-K DELIM] [--oversize skip|fail] [FILE...]\n"
    "\n"
    "Sends each line of the FILEs (or of stdin) as one message to TOPIC; the newline is not\n"
    "part of it. -p sends to one partition (default: the partitioner, murmur2 of the key\n"
    "as Java's). -K DELIM splits each line at the first DELIM into key and value (escapes\n"
    "such as \\t are understood); a line without DELIM has a null key. A line larger than\n"
    "message.max.bytes is reported with FILE:LINE and its size, then skipped\n"
    "(--oversize skip, the default) or ends the run with exit 1 (--oversize fail).\n"
    "Exits 0 only after every message is acknowledged (acks, default all).\n\n";

typedef struct produce_state_s {
    atomic_llong delivered, failed, skipped;
    agent_reasons_t fail_reasons;
    char first_err[512];
    atomic_flag have_err;
    kafka_producer_t *p;
} produce_state_t;

/* @thread worker  @locks none */
static void on_delivery(const kafka_delivery_t *d, void *arg) {
    produce_state_t *s = arg;
    if (!d->err) {
        atomic_fetch_add_explicit(&s->delivered, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add(&s->failed, 1);
    agent_reasons_add(&s->fail_reasons, d->err);
    if (!atomic_flag_test_and_set(&s->have_err))
        snprintf(s->first_err, sizeof(s->first_err), "%s/%d: %s", d->topic, d->partition, d->errstr);
}

/* @thread http  @locks none */
static void collect(agent_page_t *pg, void *arg) {
    produce_state_t *s = arg;
    agent_metrics_deliveries(pg, atomic_load(&s->delivered), &s->fail_reasons);
    agent_page_metric(pg, "kafka_agent_oversize_skipped_total", "counter", "Lines over message.max.bytes not sent",
                      atomic_load(&s->skipped));
    agent_metrics_producer(pg, s->p);
}

/* @thread health  @locks none */
static void progress(void *arg, int64_t *done, int64_t *pending) {
    produce_state_t *s = arg;
    *done = atomic_load(&s->delivered) + atomic_load(&s->failed);
    *pending = kafka_producer_outstanding(s->p);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int agent_produce(agent_ctx_t *ctx) {
    const char *topic = NULL, *delim = NULL;
    int64_t partition = -1;
    bool oversize_fail = false;
    int nfiles = 0;
    char **files = calloc((size_t)ctx->argc + 1, sizeof(char *));
    char *delim_buf = NULL;
    size_t delim_len = 0;
    int rc = AGENT_OK;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        bool has_val = i + 1 < ctx->argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            free(files);
            return AGENT_OK;
        } else if (strcmp(a, "-t") == 0 && has_val) {
            topic = ctx->argv[++i];
        } else if (strcmp(a, "-p") == 0 && has_val) {
            if (!agent_parse_i64(ctx->argv[++i], 0, INT32_MAX, &partition)) {
                free(files);
                return agent_usage_err(ctx, "-p %s: a partition number >= 0 is expected", ctx->argv[i]);
            }
        } else if (strcmp(a, "-K") == 0 && has_val) {
            delim = ctx->argv[++i];
        } else if (strcmp(a, "--oversize") == 0 && has_val) {
            const char *v = ctx->argv[++i];
            if (strcmp(v, "fail") != 0 && strcmp(v, "skip") != 0) {
                free(files);
                return agent_usage_err(ctx, "--oversize %s: skip or fail", v);
            }
            oversize_fail = strcmp(v, "fail") == 0;
        } else if (a[0] == '-' && a[1]) {
            free(files);
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        } else {
            files[nfiles++] = ctx->argv[i];
        }
    }
    if (!topic) {
        free(files);
        return agent_usage_err(ctx, "-t TOPIC is required");
    }
    if (delim) {
        delim_buf = strdup(delim);
        delim_len = agent_unescape(delim_buf);
        if (delim_len == 0) {
            free(files);
            free(delim_buf);
            return agent_usage_err(ctx, "-K: the delimiter is empty");
        }
    }
    char errstr[512];
    kafka_conf_t *conf = NULL;
    kafka_producer_t *p = NULL;
    produce_state_t st;
    memset(&st, 0, sizeof(st));
    atomic_flag_clear(&st.have_err);
    if ((rc = agent_brokers(ctx)) != AGENT_OK)
        goto out;
    if (!(p = kafka_producer_new(ctx->conf, errstr, sizeof(errstr)))) {
        agent_err(ctx, "%s", errstr);
        rc = AGENT_USAGE;
        goto out;
    }
    kafka_producer_set_delivery_cb(p, on_delivery, &st);
    st.p = p;
    agent_metrics_t *metrics;
    agent_metrics_source_t src = {collect, progress, &st};
    if ((rc = agent_metrics_open(ctx, ctx->metrics_listen, &src, AGENT_STALL_MS, &metrics)) != AGENT_OK)
        goto out;
    double t0 = now_s();
    long long produced = 0, bytes = 0;
    char *line = NULL;
    size_t cap = 0;
    int nsrc = nfiles ? nfiles : 1;
    for (int f = 0; f < nsrc && rc == AGENT_OK && !agent_stopping(); f++) {
        const char *name = nfiles ? files[f] : "<stdin>";
        FILE *in = nfiles ? (strcmp(files[f], "-") == 0 ? stdin : fopen(files[f], "r")) : stdin;
        if (!in) {
            agent_err(ctx, "%s: %s", name, strerror(errno));
            rc = AGENT_USAGE;
            break;
        }
        ssize_t n;
        long long lineno = 0;
        while ((n = getline(&line, &cap, in)) >= 0 && !agent_stopping()) {
            lineno++;
            if (n > 0 && line[n - 1] == '\n')
                line[--n] = 0;
            kafka_produce_msg_t m = {NULL, -1, line, (int32_t)n, NULL, 0, 0};
            if (delim_buf) {
                char *d = memmem(line, (size_t)n, delim_buf, delim_len);
                if (d) {
                    m.key = line;
                    m.key_len = (int32_t)(d - line);
                    m.value = d + delim_len;
                    m.value_len = (int32_t)(n - (d - line) - (ssize_t)delim_len);
                }
            }
            kafka_err_t e = kafka_producer_produce(p, topic, (int32_t)partition, &m, NULL, errstr, sizeof(errstr));
            if (e == KAFKA_ERR__MSG_TOO_LARGE) {
                agent_err(ctx, "%s:%lld: line of %zd bytes not sent: %s", name, lineno, n, errstr);
                atomic_fetch_add(&st.skipped, 1);
                if (oversize_fail) {
                    rc = AGENT_FAIL;
                    break;
                }
                continue;
            }
            if (e) {
                agent_err(ctx, "%s:%lld: %s", name, lineno, errstr);
                rc = e == KAFKA_ERR__INVALID_ARG || e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION ? AGENT_USAGE : AGENT_FAIL;
                break;
            }
            produced++;
            bytes += n;
        }
        if (in != stdin)
            fclose(in);
    }
    free(line);
    /* Every report, however long retries take (delivery.timeout.ms bounds them). */
    kafka_producer_flush(p, -1, NULL, 0);
    double secs = now_s() - t0;
    long long delivered = atomic_load(&st.delivered), failed = atomic_load(&st.failed);
    agent_log(ctx, AGENT_LOG_INFO, true, (const char *[]){"topic", topic, NULL},
              "%lld messages (%lld bytes) to %s: %lld delivered, %lld failed, %lld oversize skipped, in %.3f s", produced,
              bytes, topic, delivered, failed, (long long)atomic_load(&st.skipped), secs);
    if (failed) {
        agent_err(ctx, "%lld messages not delivered; first: %s", failed, st.first_err);
        if (rc == AGENT_OK)
            rc = AGENT_FAIL;
    }
    if (rc == AGENT_OK && agent_stopping())
        rc = AGENT_FAIL; /* interrupted: not every line was sent */
    agent_metrics_stop(metrics);
out:
    kafka_producer_destroy(p);
    kafka_conf_destroy(conf);
    free(files);
    free(delim_buf);
    return rc;
}
