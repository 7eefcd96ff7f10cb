/* kafka-agent bench: the options both directions share, and bench consume
 * (mode_bench_consume.c); mode_bench.c parses them and runs bench produce. */
#ifndef KAFKA_AGENT_BENCH_CONSUME_H
#define KAFKA_AGENT_BENCH_CONSUME_H

#include "agent.h"
#include "report.h"

/* --sweep: each rate runs for this many seconds' worth of messages, or -n if fewer. */
#define BENCH_SWEEP_SECONDS 5

typedef struct bench_opts_s {
    bool consume; /* bench consume, else produce */
    const char *topic;
    int64_t count, size, rate;
    bool json;
    const char *report, *svg, *compare; /* --report FILE.html, --svg FILE.svg, --compare OTHER.json */
    int nsweep;
    int64_t sweep[REPORT_MAX_SWEEP];
} bench_opts_t;

/* other: --compare's run, or NULL. */
int agent_bench_consume(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *other);

/* The run's settings into the report (topic, counts, the producer/consumer properties
 * that change results, the host). */
void agent_bench_settings(agent_ctx_t *ctx, const bench_opts_t *o, report_t *rep);
/* --report and --svg, if asked for; AGENT_OK or AGENT_FAIL (said on stderr). */
int agent_bench_write_reports(agent_ctx_t *ctx, const bench_opts_t *o, const report_t *rep, const report_t *other);

#endif
