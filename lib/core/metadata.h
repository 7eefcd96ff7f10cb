/* kafka__metadata_t: an immutable snapshot of the cluster (brokers, topics, partition
 * leaders) taken from one Metadata response. The metadata thread replaces the
 * connection's snapshot as a whole; readers hold a reference while they use it. */
#ifndef KAFKA_CORE_METADATA_H
#define KAFKA_CORE_METADATA_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/broker.h"
#include "kafka/connection.h"

typedef struct kafka__md_broker_s {
    int32_t id;
    char *host;
    int32_t port;
} kafka__md_broker_t;

typedef struct kafka__md_partition_s {
    int32_t id;
    int16_t err;          /* LEADER_NOT_AVAILABLE etc. */
    int32_t leader;       /* broker id, -1 when none */
    int32_t leader_epoch;
    int32_t nreplicas, nisr;
    int32_t *replicas, *isr;
} kafka__md_partition_t;

typedef struct kafka__md_topic_s {
    char *name;
    int16_t err; /* UNKNOWN_TOPIC_OR_PARTITION etc. */
    int32_t npartitions;
    kafka__md_partition_t *partitions; /* sorted by id, ids 0..npartitions-1 */
    kafka_uuid_t id;                   /* Metadata v10+, else zero */
} kafka__md_topic_t;

typedef struct kafka__metadata_s {
    atomic_int refcnt;
    int32_t nbrokers;
    kafka__md_broker_t *brokers;
    int32_t ntopics;
    kafka__md_topic_t *topics; /* sorted by name */
    int32_t controller_id;
    char *cluster_id;
    int64_t taken_ms; /* monotonic time of the response */
} kafka__metadata_t;

/* Asks bc for metadata of `topics` (ntopics < 0: every topic). auto_create lets the
 * broker create missing topics; below Metadata v4 the broker's own setting decides.
 * NULL on failure with *errp/errstr. */
/* @thread owner of bc  @locks none */
kafka__metadata_t *kafka__metadata_fetch(kafka__bconn_t *bc, const char *const *topics, int ntopics, bool auto_create,
                                         kafka_err_t *errp, char *errstr, size_t errstr_size);

kafka__metadata_t *kafka__metadata_keep(kafka__metadata_t *md);
void kafka__metadata_release(kafka__metadata_t *md);

/* Lookups (binary search); NULL when absent. */
const kafka__md_topic_t *kafka__metadata_topic(const kafka__metadata_t *md, const char *name);
const kafka__md_broker_t *kafka__metadata_broker(const kafka__metadata_t *md, int32_t id);
/* The topic of a topic id (linear); NULL when absent or for the zero id. */
const kafka__md_topic_t *kafka__metadata_topic_by_id(const kafka__metadata_t *md, const kafka_uuid_t *id);

/* The application's kafka_metadata_t (kafka/connection.h) around md, whose reference it
 * takes over, with bc's address and API versions as those of the broker that answered.
 * NULL when out of memory (md is released then). */
/* @thread owner of bc  @locks none */
kafka_metadata_t *kafka__metadata_public(kafka__metadata_t *md, const kafka__bconn_t *bc);

#endif
