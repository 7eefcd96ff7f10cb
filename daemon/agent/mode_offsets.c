/* kafka-agent offsets: the origin's offsets call on the command line.
 *
 *   kafka-agent offsets -t TOPIC -p PART [--time earliest|latest|MS] [--max N] */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "kafka/consumer.h"
#include "metrics.h"

static const char help[] =
    "usage: kafka-agent offsets -t TOPIC -p PART [--time earliest|latest|MS] [--max N]\n"
    "\n"
    "Prints offsets of the partition, one per line (ListOffsets): --time latest (the\n"
    "default) is the next offset to be written, earliest the first one kept, MS (ms since\n"
    "the epoch) the first message at or after that time. Kafka 0.8 brokers (ListOffsets\n"
    "v0) may answer with up to --max offsets (default 100); newer ones with one.\n\n";

int agent_offsets(agent_ctx_t *ctx) {
    const char *topic = NULL;
    int64_t partition = -1, when = KAFKA_OFFSET_LATEST, max = KAFKA_OFFSETS_MAX_NUMBER;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        bool v = i + 1 < ctx->argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            return AGENT_OK;
        } else if (strcmp(a, "-t") == 0 && v) {
            topic = ctx->argv[++i];
        } else if (strcmp(a, "-p") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, INT32_MAX, &partition))
                return agent_usage_err(ctx, "-p %s: a partition number >= 0 is expected", ctx->argv[i]);
        } else if (strcmp(a, "--time") == 0 && v) {
            const char *t = ctx->argv[++i];
            if (strcmp(t, "earliest") == 0)
                when = KAFKA_OFFSET_EARLIEST;
            else if (strcmp(t, "latest") == 0)
                when = KAFKA_OFFSET_LATEST;
            else if (!agent_parse_i64(t, 0, INT64_MAX, &when))
                return agent_usage_err(ctx, "--time %s: earliest, latest or milliseconds since the epoch", t);
        } else if (strcmp(a, "--max") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 1, 1000000, &max))
                return agent_usage_err(ctx, "--max %s: 1..1000000", ctx->argv[i]);
        } else {
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
    }
    if (!topic || partition < 0)
        return agent_usage_err(ctx, "-t TOPIC and -p PART are required");
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK)
        return rc;
    char errstr[512];
    /* A one-shot mode: the endpoint has only kafka_agent_healthy and the broker probe. */
    agent_metrics_t *metrics;
    if ((rc = agent_metrics_open(ctx, ctx->metrics_listen, NULL, AGENT_STALL_MS, &metrics)) != AGENT_OK)
        return rc;
    kafka_consumer_t *c = kafka_consumer_new(ctx->conf, errstr, sizeof(errstr));
    if (!c) {
        agent_err(ctx, "%s", errstr);
        agent_metrics_stop(metrics);
        return AGENT_USAGE;
    }
    int64_t *offs = NULL;
    size_t n = 0;
    kafka_err_t e = kafka_consumer_offsets(c, topic, (int32_t)partition, when, (int)max, &offs, &n, errstr,
                                           sizeof(errstr));
    if (e) {
        agent_err(ctx, "%s", errstr);
        rc = e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == KAFKA_ERR__INVALID_ARG ? AGENT_USAGE : AGENT_FAIL;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%lld\n", (long long)offs[i]);
    }
    free(offs);
    kafka_consumer_destroy(c);
    agent_metrics_stop(metrics);
    return rc;
}
