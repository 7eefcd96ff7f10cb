/* kafka-agent consume (stub while it is written). */
#include "agent.h"

int agent_consume(agent_ctx_t *ctx) {
    agent_err(ctx, "not implemented yet");
    return AGENT_USAGE;
}
