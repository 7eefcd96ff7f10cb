/* kafka_connection_t (the origin's Kafka::Connection): the cluster handle. It
 * bootstraps from bootstrap.servers (any reachable broker serves; unreachable ones are
 * skipped, their reasons kept in last_error) and runs the metadata thread: metadata for
 * the topics in use, refreshed every metadata.max.age.ms and on demand when a caller
 * reports leader trouble, with exponential backoff between failed attempts.
 *
 * Thread safety: every function may be called from any thread. */
#ifndef KAFKA_CONNECTION_H
#define KAFKA_CONNECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/error.h"
#include "kafka/reqstats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_connection_s kafka_connection_t;
/* An immutable metadata snapshot (kafka_connection_metadata), reference counted. */
typedef struct kafka_metadata_s kafka_metadata_t;

/* API keys kafka_metadata_api_version() answers for: 0..KAFKA_API_KEY_MAX. */
#define KAFKA_API_KEY_MAX 96

/* Validates conf (a copy is kept), requires bootstrap.servers, and starts the metadata
 * thread, which connects in the background. NULL with errstr on error. */
kafka_connection_t *kafka_connection_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size);
/* Stops the metadata thread and closes every connection. */
void kafka_connection_destroy(kafka_connection_t *c);

/* Waits up to timeout_ms until metadata that knows topic (NULL: the cluster's brokers)
 * is there; the topic is added to those refreshed. KAFKA_ERR__NO_KNOWN_BROKERS when
 * no broker could be reached (errstr lists each one's reason),
 * KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION when the cluster answered without the topic,
 * KAFKA_ERR__TIMED_OUT otherwise. */
kafka_err_t kafka_connection_wait_metadata(kafka_connection_t *c, const char *topic, int timeout_ms, char *errstr,
                                           size_t errstr_size);
/* Asks for fresh metadata soon (a leader moved, a broker went away); returns at once. */
void kafka_connection_refresh(kafka_connection_t *c);

/* The leader broker id of topic/partition in the current metadata, -1 if unknown;
 * host and port (both optional) receive its address (host copied into host_size bytes). */
int32_t kafka_connection_leader(kafka_connection_t *c, const char *topic, int32_t partition, char *host,
                                size_t host_size, int *port);
/* How many brokers and partitions of topic the current metadata has (-1: unknown). */
int kafka_connection_broker_count(kafka_connection_t *c);
int kafka_connection_partition_count(kafka_connection_t *c, const char *topic);
/* How many metadata responses were taken so far (tests and stats). */
long kafka_connection_metadata_refreshes(kafka_connection_t *c);

/* The last error of the connection (unreachable brokers, failed refreshes), as the
 * origin's last_error / last_errorcode; "" / KAFKA_OK when the last refresh worked. */
kafka_err_t kafka_connection_last_error(kafka_connection_t *c, char *buf, size_t buf_size);

/* ---- Metadata snapshots ---------------------------------------------------------- */

/* Asks the cluster for fresh metadata of topics[0..ntopics-1] (ntopics -1: every topic;
 * 0: none, the brokers only, though a broker below Metadata v1 answers with every
 * topic) from the calling thread, on a connection of its own: each bootstrap server and
 * each broker of the current metadata in turn until one answers. Topics are never
 * created. timeout_ms (-1: no bound) bounds the call: no broker is tried once it has
 * passed and no Metadata request waits beyond it (connecting to one broker, with its
 * ApiVersions exchange, is bounded by request.timeout.ms alone). The connection's own
 * metadata (the topics in use) is left as it is.
 *
 * Returns a snapshot with one reference, which the caller owns and drops with
 * kafka_metadata_release(); it stays valid, unchanged, however the cluster or the
 * connection changes later. An unknown topic is not a failure: it is in the snapshot
 * with its error (UNKNOWN_TOPIC_OR_PARTITION). NULL on failure, with *errp (optional)
 * KAFKA_ERR__NO_KNOWN_BROKERS when no broker answered (errstr lists each one's reason),
 * KAFKA_ERR__TIMED_OUT when timeout_ms passed first, KAFKA_ERR__INVALID_ARG or
 * KAFKA_ERR__NO_MEMORY. The broker connection a call used is kept for the next call (a
 * caller polling the cluster opens no connection per call); a kept connection that
 * fails is replaced within the same call. */
kafka_metadata_t *kafka_connection_metadata(kafka_connection_t *c, const char *const *topics, int ntopics,
                                            int timeout_ms, kafka_err_t *errp, char *errstr, size_t errstr_size);

/* Adds a reference (returns md) / drops one; the last release frees the snapshot and
 * every string and array its accessors returned. NULL is a no-op for release.
 * Any thread; the accessors below may be called concurrently on one snapshot. */
kafka_metadata_t *kafka_metadata_keep(kafka_metadata_t *md);
void kafka_metadata_release(kafka_metadata_t *md);

/* The broker that answered: its host (port, optional, receives its port). */
const char *kafka_metadata_origin(const kafka_metadata_t *md, int *port);
/* The cluster id, "" when the broker sent none (Metadata below v2). */
const char *kafka_metadata_cluster_id(const kafka_metadata_t *md);
/* The controller's broker id, -1 when unknown (Metadata v0). */
int32_t kafka_metadata_controller(const kafka_metadata_t *md);

/* Brokers, sorted by id: how many, and the id of the i-th (0 <= i < count; -1 out of
 * range) with its host and port (both optional). */
int kafka_metadata_broker_count(const kafka_metadata_t *md);
int32_t kafka_metadata_broker(const kafka_metadata_t *md, int i, const char **host, int *port);

/* Topics, sorted by name: how many; the name of the t-th (NULL out of range) with its
 * error (optional; KAFKA_OK, or e.g. KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, in which case
 * it has no partitions); the index of a topic by name, -1 when absent. */
int kafka_metadata_topic_count(const kafka_metadata_t *md);
const char *kafka_metadata_topic(const kafka_metadata_t *md, int t, kafka_err_t *err);
int kafka_metadata_topic_index(const kafka_metadata_t *md, const char *name);

/* Partitions of the t-th topic: how many (-1: t out of range); partition p (ids are
 * 0..count-1, so p is also the id) with its leader's broker id (optional, -1 when none)
 * and error (optional, e.g. LEADER_NOT_AVAILABLE); returns p, -1 when out of range. */
int kafka_metadata_partition_count(const kafka_metadata_t *md, int t);
int32_t kafka_metadata_partition(const kafka_metadata_t *md, int t, int p, int32_t *leader, kafka_err_t *err);
/* The replicas / in-sync replicas of partition p of the t-th topic: how many (-1 out of
 * range), with *ids pointing at their broker ids (owned by md). */
int kafka_metadata_replicas(const kafka_metadata_t *md, int t, int p, const int32_t **ids);
int kafka_metadata_isrs(const kafka_metadata_t *md, int t, int p, const int32_t **ids);

/* The API versions settled with the broker that answered: true when they came from
 * ApiVersions (false: broker.version.fallback's); the version of api_key in use, -1
 * when none is in common or api_key is outside 0..KAFKA_API_KEY_MAX. */
bool kafka_metadata_api_negotiated(const kafka_metadata_t *md);
int16_t kafka_metadata_api_version(const kafka_metadata_t *md, int16_t api_key);

#ifdef __cplusplus
}
#endif
/* The request statistics of the connection's broker connections (kafka/reqstats.h), as
 * kafka_producer_request_stats(). */
size_t kafka_connection_request_stats(kafka_connection_t *c, kafka_request_stats_t *out, size_t max);
size_t kafka_connection_request_errors(kafka_connection_t *c, kafka_request_error_t *out, size_t max);

#endif
