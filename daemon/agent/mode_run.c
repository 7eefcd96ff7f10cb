/* kafka-agent run (stub while it is written). */
#include "agent.h"

int agent_run(agent_ctx_t *ctx) {
    agent_err(ctx, "not implemented yet");
    return AGENT_USAGE;
}
