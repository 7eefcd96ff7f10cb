/* Admin calls on a kafka_connection_t (what kafka-topics.sh, kafka-configs.sh and
 * kafka-consumer-groups.sh do): create topics, delete topics, add partitions to a topic,
 * describe a topic's or a broker's configs (kafka_configs_t), list the consumer groups
 * (kafka_group_list_t) and describe one with its committed offsets and lag
 * (kafka_group_t).
 *
 * CreateTopics, DeleteTopics and CreatePartitions go to the controller (the
 * ControllerId of the connection's metadata); a topic answered NOT_CONTROLLER (the
 * controller moved) or a controller that cannot be reached is tried again after a
 * metadata refresh, within the call's time. DescribeConfigs of a topic goes to the
 * controller too (any broker serves it), of a broker to that broker (Kafka requires it).
 * Every request goes over the client's broker layer (TLS, SASL, negotiated versions).
 *
 * timeout_ms bounds each call and is also the broker's TimeoutMs (how long it may take
 * to finish the change); < 0: request.timeout.ms.
 *
 * Thread safety: every function may be called from any thread. */
#ifndef KAFKA_ADMIN_H
#define KAFKA_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/connection.h"
#include "kafka/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A topic config, e.g. {"cleanup.policy", "compact"}. */
typedef struct kafka_config_kv_s {
    const char *name;
    const char *value;
} kafka_config_kv_t;

/* A topic to create. */
typedef struct kafka_new_topic_s {
    const char *name;
    int32_t partitions;         /* -1: the broker's num.partitions (Kafka 2.4+, CreateTopics v4+) */
    int16_t replication_factor; /* -1: the broker's default.replication.factor (likewise) */
    const kafka_config_kv_t *configs;
    int nconfigs;
} kafka_new_topic_t;

/* The outcome for one topic of a call. */
typedef struct kafka_topic_result_s {
    const char *topic; /* the caller's string */
    kafka_err_t err;   /* KAFKA_OK, the broker's error (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR,
                          INVALID_PARTITIONS, INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION, POLICY_VIOLATION,
                          ...) or the call's when it failed as a whole */
    char message[256]; /* the broker's ErrorMessage, else the error's description; "" when ok */
} kafka_topic_result_t;

/* The calls on topics. results (optional) receives one entry per topic, in the order
 * given. Returns KAFKA_OK when every topic succeeded; else the first failed topic's
 * error, errstr naming each failed topic, its error and the broker's message
 * ("topic \"t\": TOPIC_ALREADY_EXISTS: Topic 't' already exists."); or the call's
 * failure for all (KAFKA_ERR__NO_KNOWN_BROKERS, KAFKA_ERR__TIMED_OUT, a transport error,
 * KAFKA_ERR__UNKNOWN_APIKEY when the controller speaks no version of the API,
 * KAFKA_ERR__INVALID_ARG for bad arguments or validate_only on a broker older than
 * Kafka 0.10.2). */

/* Creates topics[0..n-1]; validate_only: the controller checks them and creates none. */
kafka_err_t kafka_connection_create_topics(kafka_connection_t *c, const kafka_new_topic_t *topics, int n,
                                           bool validate_only, int timeout_ms, kafka_topic_result_t *results,
                                           char *errstr, size_t errstr_size);
/* Deletes topics[0..n-1] with their data. */
kafka_err_t kafka_connection_delete_topics(kafka_connection_t *c, const char *const *topics, int n, int timeout_ms,
                                           kafka_topic_result_t *results, char *errstr, size_t errstr_size);
/* Grows topics[i] to totals[i] partitions (the new total, as kafka-topics.sh --alter
 * --partitions: INVALID_PARTITIONS when not above the current count). */
kafka_err_t kafka_connection_create_partitions(kafka_connection_t *c, const char *const *topics,
                                               const int32_t *totals, int n, bool validate_only, int timeout_ms,
                                               kafka_topic_result_t *results, char *errstr, size_t errstr_size);

/* ---- Configs --------------------------------------------------------------------- */

typedef enum kafka_resource_type_e {
    KAFKA_RESOURCE_TOPIC = 2, /* Kafka's ConfigResource.Type numbers */
    KAFKA_RESOURCE_BROKER = 4
} kafka_resource_type_t;

/* One config as the broker describes it. */
typedef struct kafka_config_entry_s {
    const char *name;
    const char *value; /* NULL when null, and always for a sensitive config (masked: a broker
                          sends none, and a value one did send is dropped) */
    bool read_only;    /* cannot be changed at runtime */
    bool is_default;   /* not set anywhere: Kafka's default (ConfigSource DEFAULT_CONFIG, or IsDefault in v0) */
    bool is_sensitive; /* a password or key */
    int8_t source;     /* Kafka's ConfigSource: 1 topic, 2 broker (dynamic), 3 cluster default (dynamic),
                          4 static broker config, 5 default, 6 broker logger; -1 unknown (v0) */
} kafka_config_entry_t;

/* The configs of one resource, sorted by name; owned by the caller. */
typedef struct kafka_configs_s kafka_configs_t;

/* Describes the configs of a topic (name) or a broker (name: its id, "1"). NULL on
 * failure with *errp (optional) and errstr: the broker's error for the resource
 * (UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist, INVALID_REQUEST, ...),
 * KAFKA_ERR__INVALID_ARG for a broker id not in the metadata, or the call's failure as
 * for the topic calls. */
kafka_configs_t *kafka_connection_describe_configs(kafka_connection_t *c, kafka_resource_type_t type,
                                                   const char *name, int timeout_ms, kafka_err_t *errp, char *errstr,
                                                   size_t errstr_size);
int kafka_configs_count(const kafka_configs_t *cf);
/* The i-th config (NULL out of range); valid until kafka_configs_destroy(). */
const kafka_config_entry_t *kafka_configs_entry(const kafka_configs_t *cf, int i);
/* The config named name, or NULL. */
const kafka_config_entry_t *kafka_configs_find(const kafka_configs_t *cf, const char *name);
/* NULL is a no-op. */
void kafka_configs_destroy(kafka_configs_t *cf);

/* ---- Consumer groups ------------------------------------------------------------- */

/* One group as ListGroups names it. */
typedef struct kafka_group_listing_s {
    const char *group_id;
    const char *protocol_type; /* "consumer" for consumer groups, "" for groups of offsets only */
    const char *state;         /* "Stable", "Empty", "PreparingRebalance", ...; "" from brokers before
                                  Kafka 2.6 (ListGroups v4 brought the state) */
    int32_t coordinator;       /* the broker that listed it: its coordinator */
} kafka_group_listing_t;

/* The groups of a cluster, sorted by id; owned by the caller. */
typedef struct kafka_group_list_s kafka_group_list_t;

/* Lists the groups of every broker of the cluster (ListGroups to each: a broker lists the
 * groups it coordinates). NULL on failure with *errp (optional) and errstr naming each
 * broker that failed and why: a broker's error (COORDINATOR_LOAD_IN_PROGRESS, ... after
 * the call's retries), one that cannot be reached, or the call's failure as for the topic
 * calls. A list from some brokers only is never returned. */
kafka_group_list_t *kafka_connection_list_groups(kafka_connection_t *c, int timeout_ms, kafka_err_t *errp,
                                                 char *errstr, size_t errstr_size);
int kafka_group_list_count(const kafka_group_list_t *gl);
/* The i-th group (NULL out of range); valid until kafka_group_list_destroy(). */
const kafka_group_listing_t *kafka_group_list_entry(const kafka_group_list_t *gl, int i);
/* NULL is a no-op. */
void kafka_group_list_destroy(kafka_group_list_t *gl);

/* A topic-partition of a group member's assignment. */
typedef struct kafka_group_tp_s {
    const char *topic;
    int32_t partition;
} kafka_group_tp_t;

/* One member of a group, as DescribeGroups (or ConsumerGroupDescribe) shows it. */
typedef struct kafka_group_member_s {
    const char *member_id;
    const char *group_instance_id; /* static membership (KIP-345); NULL for a dynamic member */
    const char *client_id;
    const char *client_host;       /* as the coordinator saw it, e.g. "/10.0.0.5" */
    const kafka_group_tp_t *assigned; /* its partitions, sorted, decoded from the ConsumerProtocol
                                         assignment bytes (protocol type "consumer"); a KIP-848
                                         member's: what it owns now */
    int nassigned;
    bool assignment_decoded;       /* false: not a consumer group, or the bytes did not decode
                                      (then nassigned is 0) */
    /* KIP-848 groups (kafka_group_type() "consumer", ConsumerGroupDescribe): */
    int32_t member_epoch;          /* the member's epoch; -1 in a classic group */
    const char *rack_id;           /* client.rack, NULL when none (and in a classic group) */
    const kafka_group_tp_t *target; /* its target assignment, sorted: where the coordinator moves
                                       it (assigned once it has reconciled); NULL/0 in a classic group */
    int ntarget;
} kafka_group_member_t;

/* One partition of a group: committed to, or assigned to a member, or both. */
typedef struct kafka_group_partition_s {
    const char *topic;
    int32_t partition;
    int64_t committed; /* the group's committed offset, -1 when none */
    int64_t end;       /* the partition's log end offset (high watermark), -1 when unknown */
    int64_t lag;       /* end - committed (0 when committed is past end), -1 when either is unknown */
    int member;        /* index of the member it is assigned to (kafka_group_member()), -1 when none */
    kafka_err_t err;   /* why committed or end is unknown: the broker's error for it (e.g.
                          UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER), KAFKA_OK otherwise */
} kafka_group_partition_t;

/* A described group; owned by the caller. */
typedef struct kafka_group_s kafka_group_t;

/* Describes group_id as kafka-consumer-groups.sh --describe does: finds its coordinator
 * (FindCoordinator; COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
 * NOT_COORDINATOR and lost connections are retried with retry.backoff.ms doubling up to
 * retry.backoff.max.ms, while timeout_ms lasts), asks it for the group (a coordinator that
 * speaks ConsumerGroupDescribe, Kafka 4.0 on, is asked that first: a KIP-848 group's state,
 * epochs, assignor, members with their epochs, assignments and target assignments; a group
 * it says GROUP_ID_NOT_FOUND of, as it says of a classic group, is then asked with
 * DescribeGroups: state, protocol, members, assignments) and its committed offsets (OffsetFetch), and
 * each partition's leader for its end offset (ListOffsets, latest). NULL on failure with
 * *errp (optional) and errstr: KAFKA_ERR_GROUP_ID_NOT_FOUND for a group the coordinator
 * does not know (state "Dead", or the error from Kafka 4.0 on) and that holds no
 * committed offsets; the coordinator's last error after the retries, with how long they
 * took; GROUP_AUTHORIZATION_FAILED; or the call's failure as for the topic calls. A
 * partition whose end offset cannot be had is not a failure: its end and lag are -1 with
 * its err. */
kafka_group_t *kafka_connection_describe_group(kafka_connection_t *c, const char *group_id, int timeout_ms,
                                               kafka_err_t *errp, char *errstr, size_t errstr_size);
const char *kafka_group_id(const kafka_group_t *g);
/* "Stable", "Empty", "PreparingRebalance", "CompletingRebalance" (or "AwaitingSync"), ...;
 * a KIP-848 group: "Empty", "Assigning", "Reconciling", "Stable". */
const char *kafka_group_state(const kafka_group_t *g);
/* The protocol type ("consumer") and the protocol the members agreed on (the assignor:
 * "range", "cooperative-sticky", ...; "" while rebalancing). */
const char *kafka_group_protocol_type(const kafka_group_t *g);
const char *kafka_group_protocol(const kafka_group_t *g);
/* "consumer" for a KIP-848 group (described with ConsumerGroupDescribe; its protocol is the
 * coordinator's assignor, "uniform" or "range"), "classic" otherwise (Kafka's group types). */
const char *kafka_group_type(const kafka_group_t *g);
/* A KIP-848 group's epoch and the epoch of its target assignment (they differ while the
 * coordinator has yet to assign); -1 for a classic group. */
int32_t kafka_group_epoch(const kafka_group_t *g);
int32_t kafka_group_assignment_epoch(const kafka_group_t *g);
/* The coordinator's broker id. */
int32_t kafka_group_coordinator(const kafka_group_t *g);
int kafka_group_member_count(const kafka_group_t *g);
/* The i-th member, sorted by member id (NULL out of range). */
const kafka_group_member_t *kafka_group_member(const kafka_group_t *g, int i);
int kafka_group_partition_count(const kafka_group_t *g);
/* The i-th partition, sorted by topic and partition (NULL out of range). */
const kafka_group_partition_t *kafka_group_partition(const kafka_group_t *g, int i);
/* The sum of the partitions' lag (those whose lag is known). */
int64_t kafka_group_total_lag(const kafka_group_t *g);
/* NULL is a no-op; everything the accessors returned is freed with it. */
void kafka_group_destroy(kafka_group_t *g);

#ifdef __cplusplus
}
#endif

#endif
