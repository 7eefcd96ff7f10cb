/* kafka_connection_t (the origin's Kafka::Connection): the cluster handle. It
 * bootstraps from bootstrap.servers (any reachable broker serves; unreachable ones are
 * skipped, their reasons kept in last_error) and runs the metadata thread: metadata for
 * the topics in use, refreshed every metadata.max.age.ms and on demand when a caller
 * reports leader trouble, with exponential backoff between failed attempts.
 *
 * Thread safety: every function may be called from any thread. */
#ifndef KAFKA_CONNECTION_H
#define KAFKA_CONNECTION_H

#include "kafka/conf.h"
#include "kafka/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_connection_s kafka_connection_t;

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

#ifdef __cplusplus
}
#endif
#endif
