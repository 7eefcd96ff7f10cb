/* kafka-agent: the Prometheus endpoint (`--metrics HOST:PORT`, run's `metrics.listen`).
 *
 *   GET /metrics   the mode's metrics, text exposition format 0.0.4
 *   GET /healthz   200 "ok", or 503 and the reason: no broker answered a Metadata request
 *                  (probed when nothing was delivered for 2 s), or messages pending and
 *                  none delivered for stall_ms
 *   other paths 404, other methods 405
 *
 * libmicrohttpd serves it on one thread of its own with a bounded number of connections,
 * a per-connection memory limit and an idle timeout; a health thread samples the mode's
 * progress and probes the brokers. Neither touches the mode's data path: a scrape reads
 * the mode's counters (atomics) through its collector. */
#ifndef KAFKA_AGENT_METRICS_H
#define KAFKA_AGENT_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"

/* The page being written for one scrape. */
typedef struct agent_page_s agent_page_t;

/* "# HELP name help" and "# TYPE name type" (counter, gauge) once per metric family. */
void agent_page_family(agent_page_t *pg, const char *name, const char *type, const char *help);
/* One sample: name{l1="v1",...} value. labels is NULL or {name, value, ..., NULL}; values
 * are escaped (\\, \", \n) as the format asks. */
void agent_page_sample(agent_page_t *pg, const char *name, const char *const *labels, int64_t value);
/* A sample with a real value (a histogram's _sum). */
void agent_page_sample_f(agent_page_t *pg, const char *name, const char *const *labels, double value);
/* A family with a single unlabelled sample. */
void agent_page_metric(agent_page_t *pg, const char *name, const char *type, const char *help, int64_t value);

/* What a mode gives the endpoint; collect and progress run on the endpoint's threads, so
 * they read only what is safe to read there (atomics, the library's stats calls). */
typedef struct agent_metrics_source_s {
    void (*collect)(agent_page_t *pg, void *arg); /* the mode's metric families */
    /* done: messages delivered (or consumed) so far; pending: still waiting for it. */
    void (*progress)(void *arg, int64_t *done, int64_t *pending);
    void *arg;
} agent_metrics_source_t;

typedef struct agent_metrics_s agent_metrics_t;

#define AGENT_STALL_MS 60000 /* healthz.stall.ms's default */

/* Serves on listen ("HOST:PORT", "[V6]:PORT"; port 0 picks a free one) and says where on
 * stderr ("kafka-agent MODE: metrics at http://HOST:PORT/metrics"); listen NULL or "":
 * nothing, *out NULL. ctx->conf must hold bootstrap.servers (the health probe connects
 * with it). src NULL: no metrics of the mode, and /healthz only probes the brokers.
 * stall_ms: pending messages and no progress for that long make /healthz answer 503.
 * AGENT_OK, or AGENT_USAGE said on stderr (a bad address, the port taken). */
int agent_metrics_open(agent_ctx_t *ctx, const char *listen, const agent_metrics_source_t *src, int64_t stall_ms,
                       agent_metrics_t **out);
/* Stops serving (in-flight requests end first) and the health thread. NULL is a no-op. */
void agent_metrics_stop(agent_metrics_t *m);

/* The library's counters (kafka_producer_stats(), kafka_consumer_stats()) as families. */
void agent_metrics_producer(agent_page_t *pg, kafka_producer_t *p);
void agent_metrics_consumer(agent_page_t *pg, kafka_consumer_t *c);
/* The source of a mode that only consumes: agent_metrics_consumer(), and progress as
 * messages returned against the lag. */
agent_metrics_source_t agent_metrics_consumer_source(kafka_consumer_t *c);

/* Counts per error code without a lock (delivery callbacks on any worker thread): a
 * fixed table whose slots are claimed once with compare-and-swap; codes beyond its size
 * share the last slot, exported as reason="other". */
#define AGENT_REASONS 16
typedef struct agent_reasons_s {
    atomic_int code[AGENT_REASONS]; /* 0: a free slot (KAFKA_OK is never counted) */
    atomic_llong n[AGENT_REASONS];
} agent_reasons_t;
void agent_reasons_add(agent_reasons_t *r, int code);
/* One sample per reason seen, labelled reason=<error name>. */
void agent_reasons_samples(agent_page_t *pg, const char *name, const agent_reasons_t *r);
/* kafka_agent_messages_delivered_total and kafka_agent_messages_failed_total{reason}. */
void agent_metrics_deliveries(agent_page_t *pg, int64_t delivered, const agent_reasons_t *failed);

#endif
