/* kafka-agent bench consume (stub while the consumer loop is written). */
#include "bench_consume.h"

int agent_bench_consume(agent_ctx_t *ctx, const char *topic, int64_t count, int64_t size, int64_t rate, bool json) {
    (void)topic, (void)count, (void)size, (void)rate, (void)json;
    agent_err(ctx, "bench consume: not implemented yet");
    return AGENT_USAGE;
}
