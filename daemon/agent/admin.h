/* What the admin modes (topics, configs) share. */
#ifndef KAFKA_AGENT_ADMIN_H
#define KAFKA_AGENT_ADMIN_H

#include "agent.h"
#include "kafka/admin.h"
#include "kafka/connection.h"

struct agent_metrics_s;

typedef struct agent_admin_s {
    kafka_connection_t *c;
    struct agent_metrics_s *metrics;
} agent_admin_t;

/* Settles the brokers (agent_brokers), opens the --metrics endpoint and a connection,
 * and waits for the cluster's metadata. An exit code; on failure it said why and a is
 * closed. */
int agent_admin_open(agent_ctx_t *ctx, agent_admin_t *a);
void agent_admin_close(agent_admin_t *a);
/* The timeout of an admin call: request.timeout.ms, at least 30 s (a controller may take
 * its time to create many partitions). */
int agent_admin_timeout(const agent_ctx_t *ctx);
/* One line per config: "  name=value", "(sensitive)" for a masked value, then
 * " (default)" and " (read-only)" as they apply. */
void agent_print_configs(const kafka_configs_t *cf);

#endif
