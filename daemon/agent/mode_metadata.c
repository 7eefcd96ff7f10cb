/* kafka-agent metadata: brokers, topics, partitions with leaders, replicas and ISRs,
 * and with -v the API versions negotiated with the broker that answered.
 *
 *   kafka-agent metadata [-t TOPIC]... [-v] */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "kafka/connection.h"
#include "kafka/protocol.h"
#include "metrics.h"

static const char help[] =
    "usage: kafka-agent metadata [-t TOPIC]... [-v]\n"
    "\n"
    "Prints the cluster's brokers, and for every topic (or the -t ones) its partitions with\n"
    "leader, replicas and in-sync replicas. -v adds the API versions negotiated with the\n"
    "broker that answered (ApiVersions; Kafka 0.8 brokers get broker.version.fallback's).\n\n";

static void print_ids(const int32_t *ids, int n) {
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", ids[i]);
}

int agent_metadata(agent_ctx_t *ctx) {
    const char **topics = calloc((size_t)ctx->argc + 1, sizeof(char *));
    int ntopics = 0;
    bool verbose = false;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            free(topics);
            return AGENT_OK;
        } else if (strcmp(a, "-t") == 0 && i + 1 < ctx->argc) {
            topics[ntopics++] = ctx->argv[++i];
        } else if (strcmp(a, "-v") == 0) {
            verbose = true;
        } else {
            free(topics);
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
    }
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK) {
        free(topics);
        return rc;
    }
    char errstr[512];
    if (kafka_conf_validate(ctx->conf, errstr, sizeof(errstr))) {
        agent_err(ctx, "%s", errstr);
        free(topics);
        return AGENT_USAGE;
    }
    /* A one-shot mode: the endpoint has only kafka_agent_healthy and the broker probe. */
    agent_metrics_t *metrics;
    if ((rc = agent_metrics_open(ctx, ctx->metrics_listen, NULL, AGENT_STALL_MS, &metrics)) != AGENT_OK) {
        free(topics);
        return rc;
    }
    kafka_connection_t *c = kafka_connection_new(ctx->conf, errstr, sizeof(errstr));
    if (!c) {
        agent_err(ctx, "%s", errstr);
        agent_metrics_stop(metrics);
        free(topics);
        return AGENT_FAIL;
    }
    kafka_err_t err;
    kafka_metadata_t *md = kafka_connection_metadata(c, topics, ntopics ? ntopics : -1, -1, &err, errstr,
                                                     sizeof(errstr));
    free(topics);
    if (!md) {
        agent_err(ctx, "%s", errstr);
        agent_err(ctx, "no broker of bootstrap.servers answered");
        kafka_connection_destroy(c);
        agent_metrics_stop(metrics);
        return AGENT_FAIL;
    }
    int port;
    const char *host = kafka_metadata_origin(md, &port);
    const char *cluster = kafka_metadata_cluster_id(md);
    int32_t controller = kafka_metadata_controller(md);
    printf("Metadata from %s:%d (cluster %s, controller %d)\n", host, port, cluster ? cluster : "-", controller);
    int nb = kafka_metadata_broker_count(md);
    printf("%d brokers:\n", nb);
    for (int i = 0; i < nb; i++) {
        const char *bhost;
        int bport;
        int32_t id = kafka_metadata_broker(md, i, &bhost, &bport);
        printf("  broker %d at %s:%d%s\n", id, bhost, bport, id == controller ? " (controller)" : "");
    }
    int nt = kafka_metadata_topic_count(md);
    printf("%d topics:\n", nt);
    for (int t = 0; t < nt; t++) {
        kafka_err_t terr;
        const char *name = kafka_metadata_topic(md, t, &terr);
        if (terr) {
            printf("  topic \"%s\": error %s\n", name, kafka_err_name(terr));
            rc = AGENT_FAIL;
            continue;
        }
        int np = kafka_metadata_partition_count(md, t);
        printf("  topic \"%s\" with %d partitions:\n", name, np);
        for (int p = 0; p < np; p++) {
            int32_t leader;
            kafka_err_t perr;
            int32_t id = kafka_metadata_partition(md, t, p, &leader, &perr);
            const int32_t *ids;
            printf("    partition %d, leader %d, replicas: ", id, leader);
            int n = kafka_metadata_replicas(md, t, p, &ids);
            print_ids(ids, n);
            printf(", isrs: ");
            n = kafka_metadata_isrs(md, t, p, &ids);
            print_ids(ids, n);
            if (perr)
                printf(", error %s", kafka_err_name(perr));
            printf("\n");
        }
    }
    if (verbose) {
        printf("API versions with broker %s:%d (%s):\n", host, port,
               kafka_metadata_api_negotiated(md) ? "ApiVersions" : "broker.version.fallback");
        for (int16_t k = 0; k <= KAFKA_API_KEY_MAX; k++) {
            const char *name = kafka_api_name(k);
            int16_t lo, hi;
            if (!name || !kafka_api_versions(k, &lo, &hi))
                continue;
            int16_t v = kafka_metadata_api_version(md, k);
            if (v >= 0)
                printf("  %-16s (%2d) v%d (we speak v%d-v%d)\n", name, k, v, lo, hi);
            else
                printf("  %-16s (%2d) none in common (we speak v%d-v%d)\n", name, k, lo, hi);
        }
    }
    kafka_metadata_release(md);
    kafka_connection_destroy(c);
    agent_metrics_stop(metrics);
    return rc;
}
