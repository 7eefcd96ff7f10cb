/* Admin calls on a kafka_connection_t (what kafka-topics.sh and kafka-configs.sh do):
 * create topics, delete topics, add partitions to a topic, describe a topic's or a
 * broker's configs; and kafka_configs_t, the configs a describe call returns.
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

#ifdef __cplusplus
}
#endif

#endif
