/* kafka_consumer_t (the origin's Kafka::Consumer): reads partitions.
 *
 * This part holds the origin's two synchronous calls: kafka_consumer_offsets()
 * (ListOffsets) and kafka_consumer_fetch() (one Fetch from a partition's leader,
 * returning kafka_message_t views into the response; see kafka/message.h). Both find the
 * partition's leader in the metadata (kept fresh by the connection's metadata thread),
 * and retry leader errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION, ...) and broken connections with a metadata refresh and
 * retry.backoff.ms (doubling up to retry.backoff.max.ms), for at most request.timeout.ms
 * per call; the error then names the last cause.
 *
 * Properties used: bootstrap.servers, client.id, request.timeout.ms, retry.backoff.ms,
 * retry.backoff.max.ms, fetch.min.bytes, fetch.max.wait.ms, max.partition.fetch.bytes
 * (the default max_bytes), check.crcs, auto.offset.reset, isolation.level,
 * api.version.request, broker.version.fallback.
 *
 * Thread safety: every call may be made from any thread, concurrently (each call uses
 * its own broker connection; idle ones are kept per broker), except
 * kafka_consumer_destroy(). */
#ifndef KAFKA_CONSUMER_H
#define KAFKA_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/error.h"
#include "kafka/message.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KAFKA_OFFSET_LATEST (-1)     /* the origin's RECEIVE_LATEST_OFFSET: the next offset to be written */
#define KAFKA_OFFSET_EARLIEST (-2)   /* the origin's RECEIVE_EARLIEST_OFFSET: the log start offset */
#define KAFKA_OFFSETS_MAX_NUMBER 100 /* the origin's default max_number of offsets */

typedef struct kafka_consumer_s kafka_consumer_t;

/* A consumer for conf (copied and validated; bootstrap.servers is required). The
 * metadata thread starts connecting at once. NULL on error with errstr saying why. */
kafka_consumer_t *kafka_consumer_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size);
/* Closes every connection and stops the metadata thread. Messages already fetched stay
 * valid (they own their buffers). NULL is a no-op. */
void kafka_consumer_destroy(kafka_consumer_t *c);

/* ListOffsets for topic/partition (the origin's offsets). time: KAFKA_OFFSET_LATEST,
 * KAFKA_OFFSET_EARLIEST, or a timestamp in ms since the epoch (the first offset whose
 * message timestamp is at or after it). max_number (0: KAFKA_OFFSETS_MAX_NUMBER) only
 * matters with ListOffsets v0, i.e. Kafka 0.8-0.10.0 brokers: they answer up to
 * max_number offsets, newest first (for LATEST: the high watermark, then the first offset
 * of each log segment). From v1 on (Kafka >= 0.10.1) the broker answers exactly one
 * offset, whatever max_number is; a time after every message's timestamp gives none.
 * On success *offsets_out is a malloc'd array of *count_out offsets the caller frees
 * (NULL when the count is 0).
 * Errors: KAFKA_ERR__INVALID_ARG (bad argument), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION
 * (no such topic or partition, per fresh metadata), KAFKA_ERR__TIMED_OUT (still failing
 * after request.timeout.ms; errstr names the last cause), a non-retriable broker error,
 * KAFKA_ERR__UNKNOWN_APIKEY (the leader speaks no ListOffsets version we do). */
kafka_err_t kafka_consumer_offsets(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t time,
                                   int max_number, int64_t **offsets_out, size_t *count_out, char *errstr,
                                   size_t errstr_size);

/* One Fetch of topic/partition from offset (the origin's fetch), at most max_bytes of
 * record data (0: max.partition.fetch.bytes). offset may be KAFKA_OFFSET_EARLIEST or
 * KAFKA_OFFSET_LATEST, resolved with ListOffsets first. The broker waits up to
 * fetch.max.wait.ms (at most half of request.timeout.ms) for fetch.min.bytes.
 *
 * On success *msgs_out is a malloc'd array of *count_out messages in offset order
 * (destroy them and the array with kafka_messages_destroy(); NULL when the count is 0):
 *  - records before offset (a batch starting earlier is returned whole by the broker)
 *    are dropped, and so are control batches (transaction markers); with
 *    isolation.level=read_committed, records of aborted transactions too;
 *  - compressed batches (gzip, snappy, lz4, zstd) are decompressed; MessageSet v0/v1 and
 *    RecordBatch v2 are all read;
 *  - a trailing partial message (the response was cut at max_bytes) is skipped;
 *  - with check.crcs (the default) every CRC is verified; a corrupt batch comes back as
 *    one message with valid false and the error, followed by the messages after it.
 * When nothing at or after offset was returned but the broker skipped ahead (control or
 * aborted batches only), the fetch is repeated from there; 0 messages means there are
 * none after offset yet (kafka_consumer_next_offset() says where to continue).
 *
 * A message larger than max_bytes: a broker speaking Fetch v3+ (Kafka >= 0.10.1) returns
 * the first message at offset whole even when larger (KIP-74), and it is returned. An
 * older one returns only its beginning: that is KAFKA_ERR__MSG_TOO_LARGE, errstr naming
 * the message's offset and size and max_bytes (retry with a larger max_bytes).
 *
 * OFFSET_OUT_OF_RANGE (offset is below the log start or past the end) applies
 * auto.offset.reset: earliest / latest fetch again from the log start / end, and the
 * messages then start there (kafka_consumer_next_offset() tells the new position even
 * when none came back); error returns KAFKA_ERR_OFFSET_OUT_OF_RANGE, errstr naming the
 * offset and, when the broker said, the log's range.
 *
 * Other errors: KAFKA_ERR__INVALID_ARG, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION (per fresh
 * metadata), KAFKA_ERR__TIMED_OUT (leader errors, an unreachable cluster or broken
 * connections for request.timeout.ms; errstr names the last cause),
 * KAFKA_ERR__TOPIC_DOES_NOT_MATCH / KAFKA_ERR__PARTITION_DOES_NOT_MATCH (the response
 * lacks the partition), KAFKA_ERR__UNKNOWN_APIKEY, a non-retriable broker error
 * (errstr names it, the partition and the broker), KAFKA_ERR__NO_MEMORY. Nothing is
 * handed out on error. */
kafka_err_t kafka_consumer_fetch(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t offset,
                                 int32_t max_bytes, kafka_message_t ***msgs_out, size_t *count_out, char *errstr,
                                 size_t errstr_size);

/* Where the next fetch of topic/partition should start after this consumer's last
 * successful kafka_consumer_fetch() of it: the next_offset of its last message, the offset
 * auto.offset.reset moved to, or past control batches skipped; the offset asked for when
 * nothing came. -1 when the partition was never fetched. */
int64_t kafka_consumer_next_offset(kafka_consumer_t *c, const char *topic, int32_t partition);

/* A partition and an offset (commit). */
typedef struct kafka_topic_partition_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
} kafka_topic_partition_t;

/* Stores tps[0..n)'s offsets (each the next offset to read, as Kafka's convention) and
 * returns once they are stored:
 *  - offsets.storage=kafka (the default): OffsetCommit to the coordinator of group.id
 *    (required), found with FindCoordinator and found again on NOT_COORDINATOR /
 *    COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS, retried with backoff until
 *    request.timeout.ms (then KAFKA_ERR__TIMED_OUT naming the cause). The commit is a
 *    simple consumer's (generation -1, no member id), as with Java's assign().
 *  - offsets.storage=file: offsets.file (required) holds one "topic partition offset" line
 *    per partition; the file is replaced atomically (temporary file, fsync, rename, fsync
 *    of its directory).
 * KAFKA_ERR__INVALID_ARG, KAFKA_ERR__INVALID_CONF (no group.id / offsets.file), a broker
 * error (errstr names the partition and the group). */
kafka_err_t kafka_consumer_commit(kafka_consumer_t *c, const kafka_topic_partition_t *tps, size_t n, char *errstr,
                                  size_t errstr_size);
/* The stored offset of topic/partition (OffsetFetch at the coordinator, or the file);
 * *offset -1 when none is stored. Errors as commit. */
kafka_err_t kafka_consumer_committed(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t *offset,
                                     char *errstr, size_t errstr_size);

/* The last error of a call on c (fetch, offsets, commit), as the origin's last_error /
 * last_errorcode; a later successful call does not clear it. The string is copied into
 * buf. */
kafka_err_t kafka_consumer_last_error(kafka_consumer_t *c, char *buf, size_t buf_size);
kafka_err_t kafka_consumer_last_errorcode(kafka_consumer_t *c);

#ifdef __cplusplus
}
#endif
#endif
