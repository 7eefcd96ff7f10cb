/* kafka_conf_t: the configuration of a client, Kafka-standard property names.
 *
 * One static table in lib/core/conf.c (name, type, default, range or allowed values,
 * doc) drives set, get, validation and dump; kafka_conf_describe() shows its docs.
 * Every value is checked when it is set; kafka_conf_validate() checks the properties
 * that constrain each other and is run by the library when a client is created.
 *
 * Thread safety: a conf is a plain value. Reading it from several threads is safe;
 * setting a property while another thread uses the same conf is not. A client copies
 * the conf it is created with, so the application may change or destroy its own. */
#ifndef KAFKA_CONF_H
#define KAFKA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kafka/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_conf_s kafka_conf_t;

/* Every property. The numbers are part of the ABI: a program built against an older
 * header passes them to a newer library. So they never change and are never reused; a
 * new property takes the next number at the end (KAFKA_CONF__COUNT moves up). The
 * first ones happen to be in the order of their names; kafka_conf_dump() sorts. */
typedef enum kafka_conf_prop_e {
    KAFKA_CONF_ACKS = 0,                          /* acks */
    KAFKA_CONF_API_VERSION_REQUEST = 1,           /* api.version.request */
    KAFKA_CONF_AUTO_COMMIT_INTERVAL_MS = 2,       /* auto.commit.interval.ms */
    KAFKA_CONF_AUTO_OFFSET_RESET = 3,             /* auto.offset.reset: kafka_offset_reset_t */
    KAFKA_CONF_BATCH_SIZE = 4,                    /* batch.size */
    KAFKA_CONF_BOOTSTRAP_SERVERS = 5,             /* bootstrap.servers: see kafka_conf_brokers() */
    KAFKA_CONF_BROKER_VERSION_FALLBACK = 6,       /* broker.version.fallback */
    KAFKA_CONF_CHECK_CRCS = 7,                    /* check.crcs */
    KAFKA_CONF_CLIENT_ID = 8,                     /* client.id */
    KAFKA_CONF_COMPRESSION_TYPE = 9,              /* compression.type: kafka_compression_t */
    KAFKA_CONF_DELIVERY_TIMEOUT_MS = 10,          /* delivery.timeout.ms */
    KAFKA_CONF_ENABLE_AUTO_COMMIT = 11,           /* enable.auto.commit */
    KAFKA_CONF_ENABLE_IDEMPOTENCE = 12,           /* enable.idempotence */
    KAFKA_CONF_FETCH_MAX_BYTES = 13,              /* fetch.max.bytes */
    KAFKA_CONF_FETCH_MAX_WAIT_MS = 14,            /* fetch.max.wait.ms */
    KAFKA_CONF_FETCH_MIN_BYTES = 15,              /* fetch.min.bytes */
    KAFKA_CONF_GROUP_ID = 16,                     /* group.id */
    KAFKA_CONF_ISOLATION_LEVEL = 17,              /* isolation.level: kafka_isolation_level_t */
    KAFKA_CONF_LINGER_MS = 18,                    /* linger.ms */
    KAFKA_CONF_LOG_LEVEL = 19,                    /* log.level */
    KAFKA_CONF_MAX_IN_FLIGHT = 20,                /* max.in.flight.requests.per.connection */
    KAFKA_CONF_MAX_PARTITION_FETCH_BYTES = 21,    /* max.partition.fetch.bytes */
    KAFKA_CONF_MESSAGE_MAX_BYTES = 22,            /* message.max.bytes */
    KAFKA_CONF_METADATA_MAX_AGE_MS = 23,          /* metadata.max.age.ms */
    KAFKA_CONF_OFFSETS_FILE = 24,                 /* offsets.file */
    KAFKA_CONF_OFFSETS_STORAGE = 25,              /* offsets.storage: kafka_offsets_storage_t */
    KAFKA_CONF_PARTITIONER = 26,                  /* partitioner: kafka_partitioner_t */
    KAFKA_CONF_QUEUE_BUFFERING_MAX_KBYTES = 27,   /* queue.buffering.max.kbytes */
    KAFKA_CONF_QUEUE_BUFFERING_MAX_MESSAGES = 28, /* queue.buffering.max.messages */
    KAFKA_CONF_QUEUE_FULL_BEHAVIOR = 29,          /* queue.full.behavior: kafka_queue_full_t */
    KAFKA_CONF_QUEUE_FULL_TIMEOUT_MS = 30,        /* queue.full.timeout.ms */
    KAFKA_CONF_QUEUED_MAX_MESSAGES_KBYTES = 31,   /* queued.max.messages.kbytes */
    KAFKA_CONF_RECONNECT_BACKOFF_MAX_MS = 32,     /* reconnect.backoff.max.ms */
    KAFKA_CONF_RECONNECT_BACKOFF_MS = 33,         /* reconnect.backoff.ms */
    KAFKA_CONF_REQUEST_TIMEOUT_MS = 34,           /* request.timeout.ms */
    KAFKA_CONF_RETRIES = 35,                      /* retries */
    KAFKA_CONF_RETRY_BACKOFF_MAX_MS = 36,         /* retry.backoff.max.ms */
    KAFKA_CONF_RETRY_BACKOFF_MS = 37,             /* retry.backoff.ms */
    KAFKA_CONF_STATISTICS_INTERVAL_MS = 38,       /* statistics.interval.ms */
    KAFKA_CONF_SECURITY_PROTOCOL = 39,            /* security.protocol: kafka_security_protocol_t */
    KAFKA_CONF_SSL_CA_LOCATION = 40,              /* ssl.ca.location */
    KAFKA_CONF_SSL_CERTIFICATE_LOCATION = 41,     /* ssl.certificate.location */
    KAFKA_CONF_SSL_KEY_LOCATION = 42,             /* ssl.key.location */
    KAFKA_CONF_SSL_KEY_PASSWORD = 43,             /* ssl.key.password: a secret, never shown */
    KAFKA_CONF_SSL_ENDPOINT_IDENTIFICATION = 44,  /* ssl.endpoint.identification.algorithm: 1 https, 0 none */
    KAFKA_CONF_SSL_CIPHER_SUITES = 45,            /* ssl.cipher.suites */
    KAFKA_CONF_SSL_MIN_VERSION = 46,              /* ssl.min.version: kafka_tls_version_t */
    KAFKA_CONF_SASL_MECHANISM = 47,               /* sasl.mechanism (alias sasl.mechanisms) */
    KAFKA_CONF_SASL_USERNAME = 48,                /* sasl.username */
    KAFKA_CONF_SASL_PASSWORD = 49,                /* sasl.password: a secret, never shown */
    KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_FILE = 50,  /* sasl.oauthbearer.token.file */
    KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_COMMAND = 51, /* sasl.oauthbearer.token.command: a secret, never shown */
    KAFKA_CONF_SASL_OAUTHBEARER_CONFIG = 52,      /* sasl.oauthbearer.config: a secret, never shown */
    KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT = 53, /* enable.sasl.oauthbearer.unsecure.jwt */
    KAFKA_CONF_TRANSACTIONAL_ID = 54,             /* transactional.id: "" none */
    KAFKA_CONF_TRANSACTION_TIMEOUT_MS = 55,       /* transaction.timeout.ms */
    KAFKA_CONF_GROUP_INSTANCE_ID = 56,            /* group.instance.id */
    KAFKA_CONF_GROUP_PROTOCOL = 57,               /* group.protocol: kafka_group_protocol_t */
    KAFKA_CONF_PARTITION_ASSIGNMENT_STRATEGY = 58, /* partition.assignment.strategy */
    KAFKA_CONF_SESSION_TIMEOUT_MS = 59,           /* session.timeout.ms */
    KAFKA_CONF_HEARTBEAT_INTERVAL_MS = 60,        /* heartbeat.interval.ms */
    KAFKA_CONF_MAX_POLL_INTERVAL_MS = 61,         /* max.poll.interval.ms */
    KAFKA_CONF_ENABLE_AUTO_OFFSET_STORE = 62,     /* enable.auto.offset.store */
    KAFKA_CONF_ENABLE_FETCH_SESSIONS = 63,        /* enable.fetch.sessions */
    KAFKA_CONF__COUNT /* one past the last number: grows with every new property */
} kafka_conf_prop_t;

/* What kafka_conf_int() returns for the enumerated properties. acks is its number
 * (0, 1, -1 for "all"); compression.type is kafka_compression_t (kafka/protocol.h). */
typedef enum kafka_offset_reset_e {
    KAFKA_OFFSET_RESET_EARLIEST,
    KAFKA_OFFSET_RESET_LATEST,
    KAFKA_OFFSET_RESET_ERROR
} kafka_offset_reset_t;

/* Kafka's own IsolationLevel values, as sent in Fetch and ListOffsets. */
typedef enum kafka_isolation_level_e {
    KAFKA_ISOLATION_READ_UNCOMMITTED = 0,
    KAFKA_ISOLATION_READ_COMMITTED = 1
} kafka_isolation_level_t;

/* group.protocol: the classic group protocol (JoinGroup/SyncGroup/Heartbeat) or KIP-848's
 * (ConsumerGroupHeartbeat, server-side assignment; needs a coordinator offering it). */
typedef enum kafka_group_protocol_e {
    KAFKA_GROUP_PROTOCOL_CLASSIC = 0,
    KAFKA_GROUP_PROTOCOL_CONSUMER = 1
} kafka_group_protocol_t;

typedef enum kafka_offsets_storage_e {
    KAFKA_OFFSETS_STORAGE_KAFKA,
    KAFKA_OFFSETS_STORAGE_FILE
} kafka_offsets_storage_t;

typedef enum kafka_partitioner_e {
    KAFKA_PARTITIONER_MURMUR2_RANDOM,
    KAFKA_PARTITIONER_MURMUR2,
    KAFKA_PARTITIONER_RANDOM,
    KAFKA_PARTITIONER_CONSISTENT_RANDOM
} kafka_partitioner_t;

typedef enum kafka_queue_full_e {
    KAFKA_QUEUE_FULL_BLOCK,
    KAFKA_QUEUE_FULL_ERROR
} kafka_queue_full_t;

/* security.protocol: SASL_* authenticate every broker connection (sasl.mechanism) after
 * connecting, in plaintext or over TLS. */
typedef enum kafka_security_protocol_e {
    KAFKA_SECURITY_PLAINTEXT,
    KAFKA_SECURITY_SSL,
    KAFKA_SECURITY_SASL_PLAINTEXT,
    KAFKA_SECURITY_SASL_SSL
} kafka_security_protocol_t;

/* sasl.mechanism. */
typedef enum kafka_sasl_mechanism_e {
    KAFKA_SASL_PLAIN,
    KAFKA_SASL_SCRAM_SHA_256,
    KAFKA_SASL_SCRAM_SHA_512,
    KAFKA_SASL_OAUTHBEARER
} kafka_sasl_mechanism_t;

/* ssl.min.version, as TLS spells them on the wire (0x0303 TLS 1.2, 0x0304 TLS 1.3). */
typedef enum kafka_tls_version_e {
    KAFKA_TLS_1_2 = 0x0303,
    KAFKA_TLS_1_3 = 0x0304
} kafka_tls_version_t;

/* One entry of bootstrap.servers; IPv6 hosts are given without their brackets. */
typedef struct kafka_conf_broker_s {
    char host[256];
    int port;
} kafka_conf_broker_t;

#define KAFKA_CONF_DEFAULT_PORT 9092

/* A conf with every property at its default; NULL when out of memory. */
kafka_conf_t *kafka_conf_new(void);
/* A deep copy; NULL when out of memory. */
kafka_conf_t *kafka_conf_dup(const kafka_conf_t *conf);
/* Frees the conf; NULL is a no-op. */
void kafka_conf_destroy(kafka_conf_t *conf);

/* Sets a property from its string form; value NULL resets it to the default.
 * Booleans are true/false, integers decimal within the property's range, enumerated
 * values case-insensitive. KAFKA_ERR__INVALID_CONF for an unknown key or a bad value
 * (errstr names the key and what is allowed; the conf is unchanged), KAFKA_ERR__NO_MEMORY,
 * KAFKA_ERR__INVALID_ARG when conf or key is NULL. */
kafka_err_t kafka_conf_set(kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                           size_t errstr_size);

/* The canonical string form of a property ("-1" for acks=all; bootstrap.servers with
 * every port spelled out; "[hidden]" for a secret that is set, such as ssl.key.password)
 * into value[0..value_size). KAFKA_ERR__INVALID_CONF for an
 * unknown key; KAFKA_ERR__INVALID_ARG when value_size is too small (value then holds
 * as much as fits, NUL-terminated, if value_size > 0). */
kafka_err_t kafka_conf_get(const kafka_conf_t *conf, const char *key, char *value, size_t value_size);

/* Reads a Java-style .properties file: "key=value" (or "key: value") lines, whitespace
 * around keys and values ignored, '#' and '!' comment lines, blank lines. No escapes or
 * line continuations. On error nothing is applied and errstr says "path:line: reason";
 * KAFKA_ERR__INVALID_CONF (also when the file cannot be read) or KAFKA_ERR__NO_MEMORY. */
kafka_err_t kafka_conf_set_file(kafka_conf_t *conf, const char *path, char *errstr,
                                size_t errstr_size);

/* Checks the properties that constrain each other; the library runs it on its own copy
 * when a client is created. Like Java's producer, it settles defaults the application
 * did not set: enable.idempotence (default true) is turned off when acks is not all,
 * retries is 0 or max.in.flight.requests.per.connection is above 5, and
 * delivery.timeout.ms is raised to linger.ms + request.timeout.ms; when the application
 * set them itself, such conflicts are KAFKA_ERR__INVALID_CONF naming both keys. */
kafka_err_t kafka_conf_validate(kafka_conf_t *conf, char *errstr, size_t errstr_size);

/* Writes "name=value" for every property, sorted by name; the output is a valid
 * properties file, but for secrets (ssl.key.password), which show as "[hidden]". */
void kafka_conf_dump(const kafka_conf_t *conf, FILE *out);

/* One line of documentation of a property (range, default, meaning), or NULL. */
const char *kafka_conf_describe(const char *key);

/* The property's name; NULL when prop is out of range. */
const char *kafka_conf_name(kafka_conf_prop_t prop);
/* The property called key, or -1 when there is none. */
int kafka_conf_lookup(const char *key);

/* Typed getters for the library. kafka_conf_int() serves integer, boolean (0/1) and
 * enumerated properties and returns 0 for string ones; kafka_conf_str() serves string
 * properties (never NULL for them, "" when empty) and returns NULL for the others. */
int64_t kafka_conf_int(const kafka_conf_t *conf, kafka_conf_prop_t prop);
const char *kafka_conf_str(const kafka_conf_t *conf, kafka_conf_prop_t prop);
static inline bool kafka_conf_bool(const kafka_conf_t *conf, kafka_conf_prop_t prop) {
    return kafka_conf_int(conf, prop) != 0;
}

/* Where the library's log lines go: cb(level, facility, message, opaque) for each line
 * whose syslog severity is within log.level (0 emergency .. 4 warning .. 6 info ..
 * 7 debug; default 6), called on the library thread that logs (it must be thread-safe
 * and must not call back into the client). Without a callback the lines go to stderr as
 * "%LEVEL|libkafka|FACILITY| message", warnings and worse only unless log.level is set.
 * facility names the component: METADATA (refreshes failing and recovering), PRODUCE
 * (a producer worker's broker connection), FETCH (a consumer fetcher's), VERSION (an
 * API version that did not decode and the fallback taken), TLS (debug: each TLS
 * connection's protocol version, cipher and whether kernel TLS sends). A connection's loss (with
 * its cause) and its restoration are logged once each, not per retry, both as warnings.
 * Lines of one event (same facility, same broker and event) are rate-limited: 3 per 10 s,
 * then the next line that passes ends with "(N similar messages suppressed)".
 * The callback is copied with the conf (kafka_conf_dup, and by a client created with it). */
typedef void(kafka_log_cb_t)(int level, const char *facility, const char *message, void *opaque);
void kafka_conf_set_log_cb(kafka_conf_t *conf, kafka_log_cb_t *cb, void *opaque);

/* Periodic statistics: a producer created with this conf calls cb(stats, opaque) about
 * every statistics.interval.ms (when it is > 0) with its counters, as
 * kafka_producer_stats() returns them (kafka/producer.h); stats is valid during the call
 * only. The first call comes one interval after kafka_producer_new. The calls run on
 * the client's metadata thread, one at a time, with no library lock held that the
 * callback could need: it may call kafka_producer_stats() and log or export, but it
 * should return quickly (the thread also refreshes metadata, which waits while it runs;
 * a refresh in progress delays the call in turn), must not block on the client
 * (kafka_producer_flush, _send, a first produce to a new topic) and must not destroy it.
 * A consumer never calls it. The callback is copied with the conf, as the log callback. */
struct kafka_producer_stats_s;
typedef void(kafka_stats_cb_t)(const struct kafka_producer_stats_s *stats, void *opaque);
void kafka_conf_set_stats_cb(kafka_conf_t *conf, kafka_stats_cb_t *cb, void *opaque);

/* The same for a consumer created with this conf: cb(stats, opaque) about every
 * statistics.interval.ms with the counters kafka_consumer_stats() returns
 * (kafka/consumer.h), on the same schedule and thread and with the same rules: it may
 * call kafka_consumer_stats() and the getters (position, high watermark, buffered
 * bytes), must not make the calls that wait on the cluster (assign, seek, commit,
 * committed, offsets, fetch, commit_positions) and must not destroy the consumer.
 * A producer never calls it. Copied with the conf. */
struct kafka_consumer_stats_s;
typedef void(kafka_consumer_stats_cb_t)(const struct kafka_consumer_stats_s *stats, void *opaque);
void kafka_conf_set_consumer_stats_cb(kafka_conf_t *conf, kafka_consumer_stats_cb_t *cb, void *opaque);

/* Fills out[0..max) with the entries of bootstrap.servers and returns how many there
 * are (which may exceed max; call with max 0 to count them). */
size_t kafka_conf_brokers(const kafka_conf_t *conf, kafka_conf_broker_t *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
