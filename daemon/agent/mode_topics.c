/* kafka-agent topics: list topics, create, delete, add partitions, describe one.
 *
 *   kafka-agent topics [--create NAME [--partitions N] [--replication-factor R]
 *                       [--config k=v]... [--validate-only]]
 *                      [--delete NAME] [--describe NAME] [--alter NAME --partitions N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const char help[] =
    "usage: kafka-agent topics [--create NAME [--partitions N] [--replication-factor R]\n"
    "                           [--config k=v]... [--validate-only]]\n"
    "                          [--delete NAME] [--describe NAME] [--alter NAME --partitions N]\n"
    "\n"
    "Without an action: every topic with its partition count and replication factor.\n"
    "  --create NAME             create a topic (CreateTopics, to the controller); --partitions\n"
    "                            and --replication-factor default to the broker's num.partitions\n"
    "                            and default.replication.factor; --config sets a topic config\n"
    "                            (repeatable, e.g. --config cleanup.policy=compact);\n"
    "                            --validate-only asks the controller to check, not create\n"
    "  --delete NAME             delete a topic and its data (DeleteTopics)\n"
    "  --describe NAME           its partitions (leader, replicas, in-sync replicas) and its\n"
    "                            configs (DescribeConfigs), defaults marked\n"
    "  --alter NAME --partitions N\n"
    "                            grow a topic to N partitions in all (CreatePartitions)\n"
    "Errors name the broker's cause (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR with the\n"
    "broker count, INVALID_PARTITIONS, INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION, ...).\n\n";

#define MAX_CONFIGS 64

typedef struct opts_s {
    const char *create, *del, *describe, *alter;
    int64_t partitions, rf;
    bool validate_only;
    kafka_config_kv_t configs[MAX_CONFIGS];
    int nconfigs;
} opts_t;

static void print_ids(const int32_t *ids, int n) {
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", ids[i]);
}

/* Every topic, or one (name), from a fresh metadata snapshot; NULL said why. */
static kafka_metadata_t *snapshot(agent_ctx_t *ctx, kafka_connection_t *c, const char *name) {
    kafka_err_t err;
    char errstr[1024];
    kafka_metadata_t *md = kafka_connection_metadata(c, name ? &name : NULL, name ? 1 : -1,
                                                     agent_admin_timeout(ctx), &err, errstr, sizeof(errstr));
    if (!md)
        agent_err(ctx, "%s", errstr);
    return md;
}

static int replication_factor(const kafka_metadata_t *md, int t) {
    const int32_t *ids;
    return kafka_metadata_partition_count(md, t) > 0 ? kafka_metadata_replicas(md, t, 0, &ids) : 0;
}

static int list(agent_ctx_t *ctx, kafka_connection_t *c) {
    kafka_metadata_t *md = snapshot(ctx, c, NULL);
    if (!md)
        return AGENT_FAIL;
    int nt = kafka_metadata_topic_count(md);
    printf("%d topics:\n", nt);
    for (int t = 0; t < nt; t++) {
        kafka_err_t terr;
        const char *name = kafka_metadata_topic(md, t, &terr);
        if (terr)
            printf("  %s: error %s\n", name, kafka_err_name(terr));
        else
            printf("  %s: %d partitions, replication factor %d\n", name, kafka_metadata_partition_count(md, t),
                   replication_factor(md, t));
    }
    kafka_metadata_release(md);
    return AGENT_OK;
}

static int describe(agent_ctx_t *ctx, kafka_connection_t *c, const char *name) {
    kafka_metadata_t *md = snapshot(ctx, c, name);
    if (!md)
        return AGENT_FAIL;
    int t = kafka_metadata_topic_index(md, name);
    kafka_err_t terr = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (t >= 0)
        kafka_metadata_topic(md, t, &terr);
    if (terr) {
        agent_err(ctx, "cannot describe topic \"%s\": %s: %s", name, kafka_err_name(terr), kafka_err2str(terr));
        kafka_metadata_release(md);
        return AGENT_FAIL;
    }
    int np = kafka_metadata_partition_count(md, t);
    printf("topic \"%s\": %d partitions, replication factor %d\n", name, np, replication_factor(md, t));
    for (int p = 0; p < np; p++) {
        int32_t leader;
        kafka_err_t perr;
        const int32_t *ids;
        kafka_metadata_partition(md, t, p, &leader, &perr);
        printf("  partition %d, leader %d, replicas: ", p, leader);
        print_ids(ids, kafka_metadata_replicas(md, t, p, &ids));
        printf(", isrs: ");
        print_ids(ids, kafka_metadata_isrs(md, t, p, &ids));
        if (perr)
            printf(", error %s", kafka_err_name(perr));
        printf("\n");
    }
    kafka_metadata_release(md);
    kafka_err_t err;
    char errstr[1024];
    kafka_configs_t *cf = kafka_connection_describe_configs(c, KAFKA_RESOURCE_TOPIC, name, agent_admin_timeout(ctx),
                                                            &err, errstr, sizeof(errstr));
    if (!cf) {
        agent_err(ctx, "cannot describe the configs of topic \"%s\": %s", name, errstr);
        return AGENT_FAIL;
    }
    printf("configs:\n");
    agent_print_configs(cf);
    kafka_configs_destroy(cf);
    return AGENT_OK;
}

static int act(agent_ctx_t *ctx, kafka_connection_t *c, const opts_t *o) {
    char errstr[2048];
    kafka_err_t err;
    const char *what;
    if (o->create) {
        kafka_new_topic_t t = {o->create, (int32_t)o->partitions, (int16_t)o->rf, o->configs, o->nconfigs};
        what = "create";
        err = kafka_connection_create_topics(c, &t, 1, o->validate_only, agent_admin_timeout(ctx), NULL, errstr,
                                             sizeof(errstr));
    } else if (o->del) {
        what = "delete";
        err = kafka_connection_delete_topics(c, &o->del, 1, agent_admin_timeout(ctx), NULL, errstr, sizeof(errstr));
    } else {
        int32_t total = (int32_t)o->partitions;
        what = "add partitions to";
        err = kafka_connection_create_partitions(c, &o->alter, &total, 1, o->validate_only, agent_admin_timeout(ctx),
                                                 NULL, errstr, sizeof(errstr));
    }
    if (err) {
        agent_err(ctx, "cannot %s %s", what, errstr);
        return AGENT_FAIL;
    }
    if (o->create) {
        char parts[24] = "default", rf[24] = "default";
        if (o->partitions > 0)
            snprintf(parts, sizeof(parts), "%d", (int)o->partitions);
        if (o->rf > 0)
            snprintf(rf, sizeof(rf), "%d", (int)o->rf);
        printf("%s topic \"%s\" (partitions %s, replication factor %s, %d configs)%s\n",
               o->validate_only ? "validated" : "created", o->create, parts, rf, o->nconfigs,
               o->validate_only ? ": not created (--validate-only)" : "");
    }
    else if (o->del)
        printf("deleted topic \"%s\"\n", o->del);
    else
        printf("%s topic \"%s\" to %d partitions\n", o->validate_only ? "validated growing" : "grew", o->alter,
               (int)o->partitions);
    return AGENT_OK;
}

int agent_topics(agent_ctx_t *ctx) {
    opts_t o = {.partitions = -1, .rf = -1};
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        const char *v = i + 1 < ctx->argc ? ctx->argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            return AGENT_OK;
        } else if (strcmp(a, "--validate-only") == 0) {
            o.validate_only = true;
            continue;
        } else if (!v) {
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
        i++;
        if (strcmp(a, "--create") == 0) {
            o.create = v;
        } else if (strcmp(a, "--delete") == 0) {
            o.del = v;
        } else if (strcmp(a, "--describe") == 0) {
            o.describe = v;
        } else if (strcmp(a, "--alter") == 0) {
            o.alter = v;
        } else if (strcmp(a, "--partitions") == 0) {
            if (!agent_parse_i64(v, 1, INT32_MAX, &o.partitions))
                return agent_usage_err(ctx, "--partitions wants a count of at least 1, not \"%s\"", v);
        } else if (strcmp(a, "--replication-factor") == 0) {
            if (!agent_parse_i64(v, 1, INT16_MAX, &o.rf))
                return agent_usage_err(ctx, "--replication-factor wants a count of at least 1, not \"%s\"", v);
        } else if (strcmp(a, "--config") == 0) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v)
                return agent_usage_err(ctx, "--config wants key=value, not \"%s\"", v);
            if (o.nconfigs == MAX_CONFIGS)
                return agent_usage_err(ctx, "more than %d --config", MAX_CONFIGS);
            /* argv is ours to cut: the key ends at '='. */
            ctx->argv[i][eq - v] = 0;
            o.configs[o.nconfigs++] = (kafka_config_kv_t){ctx->argv[i], eq + 1};
        } else {
            return agent_usage_err(ctx, "unknown option: %s", a);
        }
    }
    int actions = !!o.create + !!o.del + !!o.describe + !!o.alter;
    if (actions > 1)
        return agent_usage_err(ctx, "one of --create, --delete, --describe, --alter at a time");
    if (!o.create && (o.rf > 0 || o.nconfigs))
        return agent_usage_err(ctx, "--replication-factor and --config go with --create");
    if (o.partitions > 0 && !o.create && !o.alter)
        return agent_usage_err(ctx, "--partitions goes with --create or --alter");
    if (o.alter && o.partitions < 1)
        return agent_usage_err(ctx, "--alter wants --partitions N, the new total");
    if (o.validate_only && !o.create && !o.alter)
        return agent_usage_err(ctx, "--validate-only goes with --create or --alter");
    agent_admin_t adm;
    int rc = agent_admin_open(ctx, &adm);
    if (rc != AGENT_OK)
        return rc;
    if (o.describe)
        rc = describe(ctx, adm.c, o.describe);
    else if (actions)
        rc = act(ctx, adm.c, &o);
    else
        rc = list(ctx, adm.c);
    agent_admin_close(&adm);
    return rc;
}
