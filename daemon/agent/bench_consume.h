/* kafka-agent bench consume (mode_bench_consume.c). */
#ifndef KAFKA_AGENT_BENCH_CONSUME_H
#define KAFKA_AGENT_BENCH_CONSUME_H

#include "agent.h"

int agent_bench_consume(agent_ctx_t *ctx, const char *topic, int64_t count, int64_t size, int64_t rate, bool json);

#endif
