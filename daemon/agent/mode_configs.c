/* kafka-agent configs: the configs of a topic or a broker (DescribeConfigs).
 *
 *   kafka-agent configs --describe (--topic T | --broker ID) */
#include <string.h>

#include "admin.h"

static const char help[] =
    "usage: kafka-agent configs --describe (--topic T | --broker ID)\n"
    "\n"
    "Prints every config of topic T (asked of the controller) or of broker ID (asked of that\n"
    "broker), one \"name=value\" a line, marked (default) when not set anywhere and (read-only)\n"
    "when it cannot change at runtime; sensitive values show as (sensitive).\n\n";

int agent_configs(agent_ctx_t *ctx) {
    bool describe = false;
    const char *topic = NULL, *broker = NULL;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            return AGENT_OK;
        } else if (strcmp(a, "--describe") == 0) {
            describe = true;
        } else if (strcmp(a, "--topic") == 0 && i + 1 < ctx->argc) {
            topic = ctx->argv[++i];
        } else if (strcmp(a, "--broker") == 0 && i + 1 < ctx->argc) {
            broker = ctx->argv[++i];
        } else {
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
    }
    if (!describe)
        return agent_usage_err(ctx, "configs wants --describe");
    if (!topic == !broker)
        return agent_usage_err(ctx, "configs --describe wants one of --topic T or --broker ID");
    int64_t id;
    if (broker && !agent_parse_i64(broker, 0, INT32_MAX, &id))
        return agent_usage_err(ctx, "--broker wants a broker id, not \"%s\"", broker);
    agent_admin_t adm;
    int rc = agent_admin_open(ctx, &adm);
    if (rc != AGENT_OK)
        return rc;
    kafka_err_t err;
    char errstr[1024];
    kafka_configs_t *cf =
        kafka_connection_describe_configs(adm.c, topic ? KAFKA_RESOURCE_TOPIC : KAFKA_RESOURCE_BROKER,
                                          topic ? topic : broker, agent_admin_timeout(ctx), &err, errstr,
                                          sizeof(errstr));
    if (cf) {
        printf("configs of %s \"%s\":\n", topic ? "topic" : "broker", topic ? topic : broker);
        agent_print_configs(cf);
        kafka_configs_destroy(cf);
    } else {
        agent_err(ctx, "cannot describe the configs of %s \"%s\": %s", topic ? "topic" : "broker",
                  topic ? topic : broker, errstr);
        rc = AGENT_FAIL;
    }
    agent_admin_close(&adm);
    return rc;
}
