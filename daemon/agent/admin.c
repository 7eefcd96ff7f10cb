/* What the admin modes (topics, configs) share: a connection with metadata, and the
 * configs listing. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "metrics.h"

int agent_admin_open(agent_ctx_t *ctx, agent_admin_t *a) {
    memset(a, 0, sizeof(*a));
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK)
        return rc;
    char errstr[1024];
    if (kafka_conf_validate(ctx->conf, errstr, sizeof(errstr))) {
        agent_err(ctx, "%s", errstr);
        return AGENT_USAGE;
    }
    /* A one-shot mode: the endpoint has only kafka_agent_healthy and the broker probe. */
    if ((rc = agent_metrics_open(ctx, ctx->metrics_listen, NULL, AGENT_STALL_MS, &a->metrics)) != AGENT_OK)
        return rc;
    if (!(a->c = kafka_connection_new(ctx->conf, errstr, sizeof(errstr)))) {
        agent_err(ctx, "%s", errstr);
        agent_admin_close(a);
        return AGENT_FAIL;
    }
    int64_t ms = kafka_conf_int(ctx->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    kafka_err_t err =
        kafka_connection_wait_metadata(a->c, NULL, (int)(ms < 10000 ? 10000 : ms), errstr, sizeof(errstr));
    if (err) {
        agent_err(ctx, "no metadata: %s: %s", kafka_err_name(err), errstr[0] ? errstr : kafka_err2str(err));
        agent_admin_close(a);
        return AGENT_FAIL;
    }
    return AGENT_OK;
}

void agent_admin_close(agent_admin_t *a) {
    kafka_connection_destroy(a->c);
    a->c = NULL;
    if (a->metrics)
        agent_metrics_stop(a->metrics);
    a->metrics = NULL;
}

int agent_admin_timeout(const agent_ctx_t *ctx) {
    int64_t ms = kafka_conf_int(ctx->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    return (int)(ms < 30000 ? 30000 : ms);
}

void agent_print_configs(const kafka_configs_t *cf) {
    int n = kafka_configs_count(cf);
    for (int i = 0; i < n; i++) {
        const kafka_config_entry_t *e = kafka_configs_entry(cf, i);
        printf("  %s=%s", e->name, e->is_sensitive ? "(sensitive)" : e->value ? e->value : "(null)");
        if (e->is_default)
            printf(" (default)");
        if (e->read_only)
            printf(" (read-only)");
        printf("\n");
    }
}
