/* kafka_consumer_t (the origin's Kafka::Consumer): reads partitions, two ways:
 *  - the consumer loop (below: assign, poll, seek, position, commit_positions), which
 *    fetches ahead on one thread per broker and tracks and commits positions;
 *  - the origin's two synchronous calls, kafka_consumer_offsets()
 * (ListOffsets) and kafka_consumer_fetch() (one Fetch from a partition's leader,
 * returning kafka_message_t views into the response; see kafka/message.h). Both find the
 * partition's leader in the metadata (kept fresh by the connection's metadata thread),
 * and retry leader errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION, ...) and broken connections with a metadata refresh and
 * retry.backoff.ms (doubling up to retry.backoff.max.ms), for at most request.timeout.ms
 * per call; the error then names the last cause.
 * commit() / committed() store and read offsets (Kafka's group coordinator or a file).
 *
 * Properties used: bootstrap.servers, client.id, request.timeout.ms, retry.backoff.ms,
 * retry.backoff.max.ms, reconnect.backoff.ms, reconnect.backoff.max.ms, fetch.min.bytes,
 * fetch.max.wait.ms, fetch.max.bytes, max.partition.fetch.bytes (also the default
 * max_bytes of fetch()), queued.max.messages.kbytes, check.crcs, auto.offset.reset,
 * isolation.level, group.id, offsets.storage, offsets.file, enable.auto.commit,
 * auto.commit.interval.ms, enable.auto.offset.store, api.version.request,
 * broker.version.fallback; for subscribe(): group.instance.id, group.protocol,
 * partition.assignment.strategy, session.timeout.ms, heartbeat.interval.ms,
 * max.poll.interval.ms, metadata.max.age.ms.
 *
 * Thread safety: every call may be made from any thread, concurrently (each synchronous
 * call uses its own broker connection; idle ones are kept per broker), except
 * kafka_consumer_destroy(); see the loop's notes for poll(). */
#ifndef KAFKA_CONSUMER_H
#define KAFKA_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/error.h"
#include "kafka/message.h"
#include "kafka/reqstats.h"

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
/* Closes every connection and stops the metadata thread; the stats callback is not
 * called once it returns. Messages already fetched stay valid (they own their buffers).
 * NULL is a no-op. */
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
 *    simple consumer's (generation -1, no member id), as with Java's assign(), unless the
 *    consumer is a group member (subscribe): then it carries the member's generation.
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

/* ---- the consumer loop -------------------------------------------------------------
 *
 * assign() a set of partitions, each with where to start; poll() then returns their
 * messages, in offset order per partition, fetched ahead by one thread per broker that
 * leads an assigned partition ("kafka:fN"): while the application works on what poll()
 * returned, the next Fetch (all of that broker's partitions in one request, with
 * fetch.min.bytes, fetch.max.wait.ms, fetch.max.bytes and max.partition.fetch.bytes) is
 * already on its way. A partition is fetched again while less than
 * max.partition.fetch.bytes of it waits for poll(); all partitions together hold at
 * most queued.max.messages.kbytes (fetching pauses above it). Messages are the same
 * zero-copy views as kafka_consumer_fetch()'s, into the shared response buffer.
 *
 * The position of a partition is the offset after the last message poll() returned
 * (where a restart should resume). Leader changes, broker failures, disconnects and
 * retriable Fetch errors are retried after a metadata refresh with retry.backoff.ms
 * (doubling up to retry.backoff.max.ms), for as long as it takes, and fetching goes on
 * from the offset after the last message fetched: nothing is skipped or repeated.
 *
 * Committing (offsets.storage=kafka with group.id, or offsets.storage=file with
 * offsets.file) stores positions as kafka_consumer_commit() does. With
 * enable.auto.commit (the default) and a storage configured, poll() commits the
 * positions asynchronously every auto.commit.interval.ms (so what the previous polls
 * returned counts as processed, as with Java's consumer), and unassigning or destroying
 * the consumer commits them synchronously.
 *
 * Thread safety: the loop calls may come from any thread; poll() is meant for one
 * thread at a time (two threads polling share the messages, each partition's order is
 * then theirs to keep). */

#define KAFKA_OFFSET_BEGINNING KAFKA_OFFSET_EARLIEST /* start: the log start offset */
#define KAFKA_OFFSET_END KAFKA_OFFSET_LATEST         /* start: the next offset written */
#define KAFKA_OFFSET_STORED (-1000) /* start: the committed offset; none: auto.offset.reset */
/* start: the first offset whose timestamp is at or after ms (the end when there is none). */
#define KAFKA_OFFSET_TIME_BASE INT64_C(-10000)
#define KAFKA_OFFSET_AT_TIME(ms) (KAFKA_OFFSET_TIME_BASE - (int64_t)(ms))

/* Replaces the assignment by tps[0..n) (n 0: no partitions). Each offset is the start
 * of a newly assigned partition: an offset >= 0, KAFKA_OFFSET_BEGINNING,
 * KAFKA_OFFSET_END, KAFKA_OFFSET_STORED, or KAFKA_OFFSET_AT_TIME(ms). A partition that
 * stays assigned keeps its position and its buffered messages, as with Java's assign()
 * (kafka_consumer_seek() moves it); one that failed (see poll) starts again. Starts are
 * resolved before assign returns (ListOffsets, OffsetFetch or the offsets file, with
 * the calls' retries), and each partition is checked to exist. With auto commit, the
 * positions are committed first, those of the partitions leaving among them (a failure
 * there does not stop the assignment; kafka_consumer_last_error() says what was not
 * stored).
 * On error nothing changes: KAFKA_ERR__INVALID_ARG (errstr names the entry),
 * KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, KAFKA_ERR__NO_OFFSET (STORED, nothing stored and
 * auto.offset.reset=error), KAFKA_ERR__INVALID_CONF (STORED without offsets storage),
 * KAFKA_ERR__TIMED_OUT (errstr names the cause), ... */
kafka_err_t kafka_consumer_assign(kafka_consumer_t *c, const kafka_topic_partition_t *tps, size_t n, char *errstr,
                                  size_t errstr_size);

/* Moves an assigned partition to start (as assign's starts): messages buffered for it
 * are dropped, and poll() goes on from there. KAFKA_ERR__STATE when it is not assigned;
 * the other errors as assign's. */
kafka_err_t kafka_consumer_seek(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t start,
                               char *errstr, size_t errstr_size);

/* Waits up to timeout_ms (0: not at all, -1: forever) for messages of the assigned
 * partitions and writes up to max of them to msgs[0..*count) (destroy each with
 * kafka_message_destroy(); they stay valid after unassign or destroy of c). Messages of
 * one partition come in offset order, partitions take turns. A message that could not be
 * decoded comes as kafka_message_valid() false, in its place.
 * KAFKA_OK with *count 0 when nothing came in time. A partition that cannot go on is
 * reported once, after the messages fetched before it: KAFKA_ERR_OFFSET_OUT_OF_RANGE
 * (auto.offset.reset=error), KAFKA_ERR__MSG_TOO_LARGE (a broker of Fetch v0-2 cut a
 * message larger than max.partition.fetch.bytes), KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
 * (of a Fetch, or of the ListOffsets of auto.offset.reset), ...; errstr names the
 * partition and the cause, and the partition is not fetched
 * again until it is sought or assigned again. KAFKA_ERR__AUTO_OFFSET_RESET, also once
 * and in its place (after the messages before the jump, before those after it), when
 * auto.offset.reset (earliest or latest) moved a partition forward past messages never
 * returned, as when its offset fell below the log start (retention deleted them):
 * errstr names the partition, the offset out of range, the log's range the broker
 * said and the offsets skipped; the partition goes on. KAFKA_ERR__STATE at once when
 * nothing is assigned and the consumer is not subscribed. A subscribed consumer (a group
 * member, see below) serves the group's rebalances first, waits with nothing assigned
 * for its assignment, and returns KAFKA_ERR__MAX_POLL_EXCEEDED once after it was out
 * of the group for not polling; an error the group thread met (FENCED_INSTANCE_ID,
 * GROUP_AUTHORIZATION_FAILED, ...) is returned once too. */
kafka_err_t kafka_consumer_poll(kafka_consumer_t *c, int timeout_ms, kafka_message_t **msgs, size_t max,
                                size_t *count, char *errstr, size_t errstr_size);

/* The position of an assigned partition (the offset after the last message poll()
 * returned, or its start), or -1 when it is not assigned. */
int64_t kafka_consumer_position(kafka_consumer_t *c, const char *topic, int32_t partition);
/* The partition's high watermark in the last Fetch response (-1 before one came or when
 * it is not assigned): position == high watermark means everything written so far was
 * returned. With isolation.level=read_committed it is the last stable offset when that is
 * lower (the end of what read_committed can read while a transaction is open), as Java's
 * endOffsets. */
int64_t kafka_consumer_high_watermark(kafka_consumer_t *c, const char *topic, int32_t partition);

/* Record bytes fetched ahead and waiting for poll() (at most about
 * queued.max.messages.kbytes). */
size_t kafka_consumer_buffered_bytes(kafka_consumer_t *c);

/* The consumer loop's counters, as an exporter reads them (kafka_consumer_stats(), and
 * the consumer stats callback of kafka/conf.h every statistics.interval.ms). Totals
 * count since kafka_consumer_new and only go up; the rest say how things are now. Taken
 * as one snapshot. Record bytes are the size of the record data a Fetch response held
 * for a partition (batch framing included, as queued.max.messages.kbytes counts them).
 * The synchronous kafka_consumer_fetch() / offsets() / commit() are not counted: their
 * caller sees each result. */
typedef struct kafka_consumer_stats_s {
    /* Totals. */
    int64_t messages;        /* messages poll() returned (invalid ones included) */
    int64_t bytes;           /* record bytes of the fetched data poll() has returned all messages of */
    int64_t fetch_requests;  /* Fetch requests the fetchers sent */
    int64_t fetch_errors;    /* partitions a Fetch failed for: a broker error for the partition, or the
                                request's own failure, its connection's included (then once per
                                partition in it) */
    int64_t connects;        /* broker connections the fetchers opened */
    int64_t disconnects;     /* ... and lost (closed after an error on them) */
    int64_t offset_resets;   /* auto.offset.reset applied to a partition (an offset out of range) */
    int64_t offsets_skipped; /* offsets the resets that moved forward jumped over, never returned */
    int64_t commits;         /* commits of positions stored (commit_positions and auto commit) */
    int64_t commit_failures; /* ... that failed */
    /* Now. */
    int64_t assigned;          /* partitions assigned */
    int64_t failed;            /* of them, stopped by an error poll() reports (until sought or assigned again) */
    int64_t fetchers;          /* fetcher threads: one per broker that has led an assigned partition */
    int64_t buffered_messages; /* fetched and waiting for poll() */
    int64_t buffered_bytes;    /* their record bytes (kafka_consumer_buffered_bytes()) */
    int64_t lag;     /* sum over the assigned partitions of high watermark - position, of those a
                        Fetch response gave a high watermark for */
    int64_t max_lag; /* the largest of those lags */
    /* Totals, fetch sessions (KIP-227, enable.fetch.sessions). */
    int64_t fetch_incremental;    /* of fetch_requests, those sent incremental (within a session) */
    int64_t fetch_session_resets; /* sessions the broker lost or refused (FETCH_SESSION_ID_NOT_FOUND,
                                     INVALID_FETCH_SESSION_EPOCH): the next Fetch opened a new one */
} kafka_consumer_stats_t;

/* Fills *stats (all zero before the first loop call). */
void kafka_consumer_stats(kafka_consumer_t *c, kafka_consumer_stats_t *stats);

/* One assigned partition's progress (kafka_consumer_lags()). */
typedef struct kafka_partition_lag_s {
    char topic[256];
    int32_t partition;
    int64_t position;       /* after the last message poll() returned */
    int64_t high_watermark; /* from the last Fetch response; -1 before one */
    int64_t lag;            /* high_watermark - position, 0 when either is unknown */
} kafka_partition_lag_t;

/* The assigned partitions' positions and lags, as an exporter shows them per partition:
 * copies up to max into out, returns how many partitions are assigned. */
size_t kafka_consumer_lags(kafka_consumer_t *c, kafka_partition_lag_t *out, size_t max);

/* The request statistics of the consumer's broker connections (kafka/reqstats.h): copies
 * up to max rows (one per broker and API with any request) into out; returns how many
 * rows there are (call again with a larger out when that is more than max). */
size_t kafka_consumer_request_stats(kafka_consumer_t *c, kafka_request_stats_t *out, size_t max);
/* The errors behind those counts, one row per broker, API and error. */
size_t kafka_consumer_request_errors(kafka_consumer_t *c, kafka_request_error_t *out, size_t max);

/* The result of an asynchronous commit, on the consumer's committer thread: err KAFKA_OK
 * or why the positions tps[0..n) (valid during the call) were not stored. */
typedef void(kafka_commit_cb_t)(kafka_consumer_t *c, kafka_err_t err, const char *errstr,
                                const kafka_topic_partition_t *tps, size_t n, void *opaque);
/* Sets the callback of asynchronous commits (NULL: none); before assign. */
void kafka_consumer_set_commit_cb(kafka_consumer_t *c, kafka_commit_cb_t *cb, void *opaque);

/* Commits the positions of the assigned partitions that moved since their last commit.
 * async false: returns once they are stored (errors as kafka_consumer_commit()). async
 * true: returns at once; the committer thread stores them and calls the commit callback
 * (every asynchronous commit gets its call). Commits are stored in the order their
 * positions were taken: one taken before a commit already stored is not sent again (it
 * would move offsets back; the newer one covers its partitions), and several waiting
 * at once go out as the newest of them, each callback getting that one's result.
 * KAFKA_ERR__INVALID_CONF when no offsets storage is configured. */
kafka_err_t kafka_consumer_commit_positions(kafka_consumer_t *c, bool async, char *errstr, size_t errstr_size);

/* ---- consumer groups ---------------------------------------------------------------
 *
 * subscribe() makes the consumer a member of the classic consumer group group.id
 * (JoinGroup / SyncGroup / Heartbeat at the group's coordinator, as Java's and
 * librdkafka's consumers, with which it shares groups): the group's leader (any
 * member) assigns the subscribed topics' partitions with the first assignor of
 * partition.assignment.strategy every member supports (range, roundrobin,
 * cooperative-sticky), and poll() consumes what this member was given, each partition
 * from the group's committed offset (else auto.offset.reset). Heartbeats come from the
 * group thread ("kafka:group") every heartbeat.interval.ms, so a slow poll loop keeps
 * its partitions until max.poll.interval.ms passes without a poll(): then the member
 * leaves the group, its partitions are LOST, and the next poll() returns
 * KAFKA_ERR__MAX_POLL_EXCEEDED once and joins again.
 *
 * Rebalances are served by poll() on the application's thread, before it returns
 * messages: with the eager assignors (range, roundrobin) every partition is revoked
 * before the member rejoins; with cooperative-sticky (KIP-429) only the partitions the
 * new assignment takes away, and the rest are consumed throughout. Revoked partitions'
 * positions are committed first with enable.auto.commit (otherwise the REVOKED callback
 * is the place to commit them: the member is still in its generation), so the next
 * owner starts where this one stopped. Partitions LOST (the member was fenced out of its
 * generation, its session timed out, or max.poll.interval.ms passed) are not committed:
 * another member may own them already. Commits carry the member's generation, member
 * id and group.instance.id; one refused for a stale generation (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS) fails with errstr naming the generation,
 * and the member rejoins. With group.instance.id (static membership, KIP-345) a member
 * does not leave the group on close: restarted within session.timeout.ms it gets its
 * partitions back without a rebalance. */

typedef enum kafka_rebalance_event_e {
    KAFKA_REBALANCE_ASSIGNED = 1, /* tps were added to the assignment (started at their committed offsets) */
    KAFKA_REBALANCE_REVOKED = 2,  /* tps are about to be taken away (still assigned, still in the generation) */
    KAFKA_REBALANCE_LOST = 3      /* tps were taken away; another member may own them already */
} kafka_rebalance_event_t;

/* Called by poll() (or unsubscribe()) on the application's thread for each change of a
 * group member's assignment; tps[0..n) and the topic names are valid during the call.
 * The callback may call kafka_consumer_commit_positions() and the position getters,
 * not poll(), assign() or subscribe(). */
typedef void(kafka_rebalance_cb_t)(kafka_consumer_t *c, kafka_rebalance_event_t event,
                                   const kafka_topic_partition_t *tps, size_t n, void *opaque);
/* Sets the rebalance callback (NULL: none); before subscribe. */
void kafka_consumer_set_rebalance_cb(kafka_consumer_t *c, kafka_rebalance_cb_t *cb, void *opaque);

/* Subscribes to topics[0..n): names, or POSIX extended regular expressions starting with
 * '^' matched against every topic of the cluster (looked at again every
 * metadata.max.age.ms, at most every 5 s). Replaces an earlier subscription (the member
 * rejoins); the first one starts the group thread. group.id is required, and the
 * consumer must not have assigned partitions itself. KAFKA_ERR__INVALID_ARG (no topics,
 * an empty name, a regex that does not compile: errstr says which),
 * KAFKA_ERR__INVALID_CONF (no group.id, offsets.storage=file), KAFKA_ERR__STATE
 * (partitions were assigned with kafka_consumer_assign()), KAFKA_ERR__NO_MEMORY. */
kafka_err_t kafka_consumer_subscribe(kafka_consumer_t *c, const char *const *topics, size_t n, char *errstr,
                                     size_t errstr_size);
/* Leaves the group: the assignment is revoked (committed first with auto commit, the
 * REVOKED callback called from here) and a dynamic member sends LeaveGroup. The consumer
 * may subscribe again. KAFKA_ERR__STATE when it is not subscribed. */
kafka_err_t kafka_consumer_unsubscribe(kafka_consumer_t *c);

/* The partitions poll() consumes now (assigned, or given by the group and served),
 * each with its position (-1 before it is known): writes up to max of them to out and
 * returns how many there are. Topic names stay valid until kafka_consumer_destroy(). */
size_t kafka_consumer_assignment(kafka_consumer_t *c, kafka_topic_partition_t *out, size_t max);

/* A group member's state, for tests and tools. */
typedef struct kafka_consumer_group_info_s {
    char state[24];      /* "none" (not subscribed), "coordinator", "revoking", "joining", "stable",
                            "poll-exceeded", "fenced"; "stable" only once poll() served the assignment */
    int32_t generation;  /* -1 outside a generation */
    char member_id[256]; /* "" before the coordinator gave one */
    char protocol[32];   /* the group's assignor, "" before the first join */
    bool leader;         /* this member computed the generation's assignment */
    int64_t rebalances;  /* assignments received since subscribe */
} kafka_consumer_group_info_t;
/* Fills *info; KAFKA_ERR__STATE (state "none") when the consumer never subscribed. */
kafka_err_t kafka_consumer_group_info(kafka_consumer_t *c, kafka_consumer_group_info_t *info);

/* With enable.auto.offset.store=false, commits (commit_positions and auto commit) store
 * what the application marked done with this call, rather than poll()'s positions:
 * offset is the next offset to read (the processed message's offset + 1).
 * KAFKA_ERR__STATE when the partition is not assigned, KAFKA_ERR__INVALID_ARG. */
kafka_err_t kafka_consumer_store_offset(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t offset);

/* The last error of a call on c (fetch, offsets, commit), as the origin's last_error /
 * last_errorcode; a later successful call does not clear it. The string is copied into
 * buf. */
kafka_err_t kafka_consumer_last_error(kafka_consumer_t *c, char *buf, size_t buf_size);
kafka_err_t kafka_consumer_last_errorcode(kafka_consumer_t *c);

#ifdef __cplusplus
}
#endif
#endif
