/* kafka-agent bench: the options both directions share, and bench consume
 * (mode_bench_consume.c); mode_bench.c parses them and runs bench produce. */
#ifndef KAFKA_AGENT_BENCH_CONSUME_H
#define KAFKA_AGENT_BENCH_CONSUME_H

#include "agent.h"
#include "kafka/consumer.h"
#include "report.h"

/* --sweep: each rate runs for this many seconds' worth of messages, or -n if fewer. */
#define BENCH_SWEEP_SECONDS 5

typedef struct bench_opts_s {
    bool consume; /* bench consume, else produce */
    const char *topic;
    int64_t count, size, rate;
    bool json;
    const char *group; /* bench consume -G GROUP: members of this group, */
    int64_t consumers; /* --consumers N of them (threads), default 1 */
    const char *report, *svg, *compare; /* --report FILE.html, --svg FILE.svg, --compare OTHER.json */
    int nsweep;
    int64_t sweep[REPORT_MAX_SWEEP];
} bench_opts_t;

/* other: --compare's run, or NULL. With o->group, the group bench (mode_bench_group.c). */
int agent_bench_consume(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *other);

/* bench consume -G: o->consumers members of o->group in threads, subscribed to o->topic,
 * which fill_topic has filled; the RESULT line with consumers= and rebalance_ms= after
 * DESIGN.md's keys. */
int agent_bench_consume_group(agent_ctx_t *ctx, const bench_opts_t *o, int nparts, report_t *rep,
                              const report_t *other);
/* The partition's log start (KAFKA_OFFSET_EARLIEST) or end (KAFKA_OFFSET_LATEST) offset
 * through c (0 when the broker gave none). */
kafka_err_t agent_bench_log_offset(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t which,
                                   int64_t *out, char *errstr, size_t errstr_size);

/* The run's settings into the report (topic, counts, the producer/consumer properties
 * that change results, the host). */
void agent_bench_settings(agent_ctx_t *ctx, const bench_opts_t *o, report_t *rep);
/* --report and --svg, if asked for; AGENT_OK or AGENT_FAIL (said on stderr). */
int agent_bench_write_reports(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *rep, const report_t *other);

#endif
