/* kafka-agent metadata: brokers, topics, partitions with leaders, replicas and ISRs,
 * and with -v the API versions negotiated with the broker that answered.
 *
 *   kafka-agent metadata [-t TOPIC]... [-v] */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "core/broker.h"
#include "core/metadata.h"
#include "kafka/protocol.h"

static const char help[] =
    "usage: kafka-agent metadata [-t TOPIC]... [-v]\n"
    "\n"
    "Prints the cluster's brokers, and for every topic (or the -t ones) its partitions with\n"
    "leader, replicas and in-sync replicas. -v adds the API versions negotiated with the\n"
    "broker that answered (ApiVersions; Kafka 0.8 brokers get broker.version.fallback's).\n\n";

static void print_ids(const int32_t *ids, int32_t n) {
    for (int32_t i = 0; i < n; i++)
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
    kafka_conf_broker_t bs[64];
    size_t nb = kafka_conf_brokers(ctx->conf, bs, 64);
    if (nb > 64)
        nb = 64;
    kafka__metadata_t *md = NULL;
    kafka__bconn_t *bc = NULL;
    for (size_t i = 0; i < nb && !md; i++) {
        kafka_err_t err;
        bc = kafka__bconn_open(ctx->conf, NULL, bs[i].host, bs[i].port, &err, errstr, sizeof(errstr));
        if (bc)
            md = kafka__metadata_fetch(bc, topics, ntopics ? ntopics : -1, false, &err, errstr, sizeof(errstr));
        if (!md) {
            agent_err(ctx, "%s:%d: %s", bs[i].host, bs[i].port, errstr);
            kafka__bconn_close(bc);
            bc = NULL;
        }
    }
    free(topics);
    if (!md) {
        agent_err(ctx, "no broker of bootstrap.servers answered");
        return AGENT_FAIL;
    }
    printf("Metadata from %s:%d (cluster %s, controller %d)\n", bc->host, bc->port,
           md->cluster_id ? md->cluster_id : "-", md->controller_id);
    printf("%d brokers:\n", md->nbrokers);
    for (int32_t i = 0; i < md->nbrokers; i++)
        printf("  broker %d at %s:%d%s\n", md->brokers[i].id, md->brokers[i].host, md->brokers[i].port,
               md->brokers[i].id == md->controller_id ? " (controller)" : "");
    printf("%d topics:\n", md->ntopics);
    for (int32_t t = 0; t < md->ntopics; t++) {
        const kafka__md_topic_t *mt = &md->topics[t];
        if (mt->err) {
            printf("  topic \"%s\": error %s\n", mt->name, kafka_err_name((kafka_err_t)mt->err));
            rc = AGENT_FAIL;
            continue;
        }
        printf("  topic \"%s\" with %d partitions:\n", mt->name, mt->npartitions);
        for (int32_t p = 0; p < mt->npartitions; p++) {
            const kafka__md_partition_t *mp = &mt->partitions[p];
            printf("    partition %d, leader %d, replicas: ", mp->id, mp->leader);
            print_ids(mp->replicas, mp->nreplicas);
            printf(", isrs: ");
            print_ids(mp->isr, mp->nisr);
            if (mp->err)
                printf(", error %s", kafka_err_name((kafka_err_t)mp->err));
            printf("\n");
        }
    }
    if (verbose) {
        printf("API versions with broker %s:%d (%s):\n", bc->host, bc->port,
               bc->negotiated ? "ApiVersions" : "broker.version.fallback");
        for (int16_t k = 0; k <= KAFKA__MAX_API_KEY; k++) {
            const char *name = kafka_api_name(k);
            int16_t lo, hi;
            if (!name || !kafka_api_versions(k, &lo, &hi))
                continue;
            int16_t v = kafka__bconn_version(bc, k);
            if (v >= 0)
                printf("  %-16s (%2d) v%d (we speak v%d-v%d)\n", name, k, v, lo, hi);
            else
                printf("  %-16s (%2d) none in common (we speak v%d-v%d)\n", name, k, lo, hi);
        }
    }
    kafka__metadata_release(md);
    kafka__bconn_close(bc);
    return rc;
}
