/* kafka-agent: the modes share one context built from the common options (DESIGN.md,
 * "Command-line contract"): -b host:port,... or --mock[=N] (an embedded N-broker mock
 * cluster on 127.0.0.1), -X key=value (any conf property, repeatable), -F file (a
 * properties file), --metrics HOST:PORT (the Prometheus endpoint, metrics.h). Each mode
 * parses its own options from what is left.
 *
 * Exit codes: 0 success, 1 a delivery or broker failure, 2 a usage or config error. */
#ifndef KAFKA_AGENT_H
#define KAFKA_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kafka/conf.h"
#include "kafka/mock.h"

#define AGENT_OK 0
#define AGENT_FAIL 1
#define AGENT_USAGE 2

typedef struct agent_ctx_s {
    const char *prog;  /* "kafka-agent" */
    const char *mode;  /* "produce", ... */
    kafka_conf_t *conf; /* bootstrap.servers set (from -b or the mock) and -X / -F applied */
    kafka_mock_t *mock; /* the embedded cluster, or NULL */
    int argc;           /* the mode's own arguments (options common to all modes removed) */
    char **argv;        /* argv[0] is the mode name */
    int mock_brokers;   /* --mock[=N]: N; 0 when not asked for */
    const char *metrics_listen; /* --metrics HOST:PORT, or NULL */
} agent_ctx_t;

/* Settles the brokers once the mode has applied its own configuration: with --mock, or
 * when bootstrap.servers is still empty, starts the embedded mock cluster (said on
 * stderr) and points bootstrap.servers at it. AGENT_OK or AGENT_FAIL. */
int agent_brokers(agent_ctx_t *ctx);

/* The modes. Each returns an exit code. */
int agent_produce(agent_ctx_t *ctx);
int agent_consume(agent_ctx_t *ctx);
int agent_metadata(agent_ctx_t *ctx);
int agent_offsets(agent_ctx_t *ctx);
int agent_bench(agent_ctx_t *ctx);
int agent_run(agent_ctx_t *ctx);
int agent_topics(agent_ctx_t *ctx);
int agent_configs(agent_ctx_t *ctx);
int agent_groups(agent_ctx_t *ctx);

/* "kafka-agent MODE: " + message on stderr. */
void agent_err(const agent_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: the message, then "try --help"; returns AGENT_USAGE. */
int agent_usage_err(const agent_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The common options' help text. */
extern const char agent_common_help[];

/* Parses a decimal integer in [lo, hi]; false when s is not one. */
bool agent_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* Decodes backslash escapes (\n \t \r \\ \0 \xHH) of s in place; returns the new length. */
size_t agent_unescape(char *s);

/* True when SIGINT/SIGTERM arrived (handlers set by main); SIGHUP is reported once by
 * agent_hup_take(). */
bool agent_stopping(void);
bool agent_hup_take(void);

#endif
