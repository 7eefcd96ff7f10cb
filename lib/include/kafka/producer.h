/* kafka_producer_t (the origin's Kafka::Producer), batching and asynchronous inside.
 *
 * kafka_producer_produce() appends one message to its partition's open batch (encoded
 * once, there) and returns; batches are sealed when full (batch.size), after linger.ms,
 * or on flush, and one worker thread per broker sends them, several requests in flight
 * per connection (max.in.flight.requests.per.connection), one batch per partition at a
 * time, so a partition's order holds across retries. Every message gets exactly one
 * delivery report: its offset, or an error naming the cause (at the latest after
 * delivery.timeout.ms). With enable.idempotence (the default) a retry can never write
 * a message twice or out of order.
 *
 * kafka_producer_send() is the origin's synchronous call: messages to one topic and
 * partition, returning once the broker acknowledged them (acks) with the base offset,
 * or with the error.
 *
 * Thread safety: every call may be made from any thread, concurrently, except
 * kafka_producer_destroy() and kafka_producer_set_delivery_cb() (before producing). */
#ifndef KAFKA_PRODUCER_H
#define KAFKA_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/consumer.h" /* kafka_topic_partition_t */
#include "kafka/error.h"
#include "kafka/groupmeta.h"
#include "kafka/protocol.h"
#include "kafka/reqstats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KAFKA_PARTITION_ANY (-1) /* let the partitioner choose (murmur2 of the key, as Java) */

typedef struct kafka_producer_s kafka_producer_t;

/* One message to send. Lengths of -1 mean null. timestamp_ms 0 means now. The bytes
 * are copied (encoded) before produce/send returns. */
typedef struct kafka_produce_msg_s {
    const void *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
    const kafka_header_t *headers;
    size_t header_count;
    int64_t timestamp_ms;
} kafka_produce_msg_t;

/* A delivery report: one per produced message. */
typedef struct kafka_delivery_s {
    const char *topic;
    int32_t partition;
    int64_t offset;     /* the message's offset; -1 on error, with acks=0, or when the broker did not say */
    kafka_err_t err;    /* KAFKA_OK, or why it was not delivered */
    const char *errstr; /* the cause in words ("" when delivered) */
    void *opaque;       /* the produce call's */
} kafka_delivery_t;

/* Runs on a broker worker thread, with no lock of the producer held. It may call
 * kafka_producer_produce() only with queue.full.behavior=error (blocking there would
 * wait for memory that only this thread's reports give back). */
typedef void kafka_delivery_cb_t(const kafka_delivery_t *report, void *cb_opaque);

/* A producer for conf (copied and validated: a bad combination is an error naming the
 * properties; bootstrap.servers is required). The metadata thread starts connecting at
 * once; broker workers start as brokers become leaders of partitions produced to.
 * NULL on error with errstr saying why. */
kafka_producer_t *kafka_producer_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size);
/* Stops every thread. Messages not yet reported get KAFKA_ERR__DESTROYED reports (call
 * kafka_producer_flush() first to deliver them). */
void kafka_producer_destroy(kafka_producer_t *p);

/* The callback for delivery reports (NULL: none). Set it before the first produce. */
void kafka_producer_set_delivery_cb(kafka_producer_t *p, kafka_delivery_cb_t *cb, void *cb_opaque);

/* Queues one message for topic/partition (KAFKA_PARTITION_ANY: the partitioner picks
 * from the key). Returns once the message is in its batch; its report comes later.
 * The first message to a topic waits for its metadata, up to queue.full.timeout.ms
 * (Java's max.block.ms) or delivery.timeout.ms, whichever is shorter.
 * Errors (no report follows): KAFKA_ERR__MSG_TOO_LARGE (size and limit),
 * KAFKA_ERR__QUEUE_FULL (queue.buffering.max.messages/.kbytes reached and
 * queue.full.behavior=error) or KAFKA_ERR__TIMED_OUT (still full after
 * queue.full.timeout.ms with =block), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION /
 * KAFKA_ERR__INVALID_ARG (no such partition, or a NULL / empty topic, a NULL msg, a
 * partition below KAFKA_PARTITION_ANY), KAFKA_ERR__TIMED_OUT /
 * KAFKA_ERR__NO_KNOWN_BROKERS (no metadata for the topic), KAFKA_ERR__DESTROYED. */
kafka_err_t kafka_producer_produce(kafka_producer_t *p, const char *topic, int32_t partition,
                                   const kafka_produce_msg_t *msg, void *opaque, char *errstr, size_t errstr_size);

/* Seals every open batch and waits until every message produced so far is reported,
 * at most timeout_ms (-1: no limit). KAFKA_ERR__TIMED_OUT (errstr: how many are left). */
kafka_err_t kafka_producer_flush(kafka_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);

/* Messages produced and not reported yet. */
int64_t kafka_producer_outstanding(kafka_producer_t *p);

/* Counters since kafka_producer_new (each read atomically, not as one snapshot). */
typedef struct kafka_producer_stats_s {
    int64_t delivered;     /* messages reported delivered */
    int64_t failed;        /* messages reported with an error */
    int64_t retries;       /* batches sent again after a retriable error or a lost connection */
    int64_t requests;      /* ProduceRequests written */
    int64_t request_bytes; /* their size */
    int64_t connects;      /* broker connections opened by the workers */
    int64_t producer_ids;  /* producer ids obtained (more than 1: a sequence gap was repaired) */
    int64_t outstanding;   /* messages produced and not reported yet */
    int64_t workers;       /* broker worker threads running (one per leader broker in use) */
    int64_t disconnects;   /* worker connections lost or closed (connects - disconnects: open now) */
    int64_t retried_messages; /* messages in the batches counted by retries */
} kafka_producer_stats_t;

void kafka_producer_stats(kafka_producer_t *p, kafka_producer_stats_t *stats);

/* The request statistics of the producer's broker connections (kafka/reqstats.h): copies
 * up to max rows (one per broker and API with any request) into out; returns how many
 * rows there are (call again with a larger out when that is more than max). */
size_t kafka_producer_request_stats(kafka_producer_t *p, kafka_request_stats_t *out, size_t max);
/* The errors behind those counts, one row per broker, API and error. */
size_t kafka_producer_request_errors(kafka_producer_t *p, kafka_request_error_t *out, size_t max);

/* Sends msgs[0..n) to topic/partition and waits for their acknowledgement (the origin's
 * send). partition KAFKA_PARTITION_ANY: the partitioner picks one partition from the
 * first message's key (all n go there, as in the origin). *partition_out and
 * *base_offset (both optional) receive where they went (the first message's offset;
 * -1 with acks=0). The messages are appended in order and their batch is sealed at
 * once (no linger); other threads' messages may interleave with them.
 * Errors: as produce (KAFKA_ERR__INVALID_ARG also for n == 0 or NULL msgs), plus
 * KAFKA_ERR__TIMED_OUT (delivery.timeout.ms passed; errstr has
 * the last cause) and any non-retriable broker error (the first message's error). */
kafka_err_t kafka_producer_send(kafka_producer_t *p, const char *topic, int32_t partition,
                                const kafka_produce_msg_t *msgs, size_t n, int32_t *partition_out,
                                int64_t *base_offset, char *errstr, size_t errstr_size);

/* ---- transactions (transactional.id set) -----------------------------------------
 *
 * A transactional producer writes only inside a transaction: init once, then
 * begin -> produce/send (and send_offsets) -> commit or abort, again and again. What a
 * transaction wrote is visible to isolation.level=read_committed readers when it
 * commits, never when it aborts. Each partition is added to the transaction
 * (AddPartitionsToTxn to the transaction coordinator) before its first batch of the
 * transaction is sent: the first produce to a partition in a transaction waits for that
 * round trip. Produce outside a transaction fails with KAFKA_ERR__STATE.
 *
 * Every call below returns KAFKA_OK or an error (errstr says why), and
 * kafka_producer_txn_error_class() says what may follow an error, as Java's exceptions:
 *  - RETRIABLE: the call timed out (or its coordinator kept moving, loading, answering
 *    CONCURRENT_TRANSACTIONS past the timeout; those are retried inside with backoff):
 *    call it again.
 *  - ABORTABLE: the transaction cannot commit (a batch failed, an offset commit was
 *    refused...): kafka_producer_abort_transaction(), then begin a new one.
 *  - FATAL: fenced by a newer instance with the same transactional.id
 *    (KAFKA_ERR_PRODUCER_FENCED, KAFKA_ERR_INVALID_PRODUCER_EPOCH, also when the
 *    coordinator aborted a transaction past transaction.timeout.ms), or the cluster
 *    cannot do transactions: every later call fails; only kafka_producer_destroy().
 * Misuse (begin twice, commit without begin, no transactional.id) is KAFKA_ERR__STATE
 * with class NONE: the producer's state is unchanged. */
typedef enum kafka_txn_error_class_e {
    KAFKA_TXN_ERROR_NONE = 0,
    KAFKA_TXN_ERROR_RETRIABLE = 1,
    KAFKA_TXN_ERROR_ABORTABLE = 2,
    KAFKA_TXN_ERROR_FATAL = 3
} kafka_txn_error_class_t;

/* The class of the last transactional call's error (NONE after a success). */
kafka_txn_error_class_t kafka_producer_txn_error_class(kafka_producer_t *p);

/* Finds the transaction coordinator and gets the producer id and epoch of
 * transactional.id (InitProducerId), which fences any older instance and aborts what it
 * left open. Call once, before the first transaction; again after a RETRIABLE error. */
kafka_err_t kafka_producer_init_transactions(kafka_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);
/* Starts a transaction (no request: the first partition or offsets added start it on
 * the coordinator). */
kafka_err_t kafka_producer_begin_transaction(kafka_producer_t *p, char *errstr, size_t errstr_size);
/* Adds a consumer group's offsets to the transaction (AddOffsetsToTxn, then
 * TxnOffsetCommit to the group coordinator): stored when the transaction commits. Each
 * offset is the next one to read, as kafka_consumer_commit(). The commit is a simple
 * consumer's (generation -1, no member id; see _group below for a group member's).
 * Bounded by request.timeout.ms. */
kafka_err_t kafka_producer_send_offsets_to_transaction(kafka_producer_t *p, const kafka_topic_partition_t *offsets,
                                                       size_t n, const char *group_id, char *errstr,
                                                       size_t errstr_size);
/* The same for a group member (Java's sendOffsetsToTransaction(offsets, groupMetadata)):
 * the commit carries meta's generation, member id and group.instance.id
 * (TxnOffsetCommit v3+), so the coordinator refuses it (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID: abortable) once the member left the generation
 * whose partitions it consumed. meta from kafka_consumer_group_metadata(). */
kafka_err_t kafka_producer_send_offsets_to_transaction_group(kafka_producer_t *p,
                                                             const kafka_topic_partition_t *offsets, size_t n,
                                                             const kafka_group_metadata_t *meta, char *errstr,
                                                             size_t errstr_size);
/* Waits (at most timeout_ms, -1: no limit) until every message of the transaction is
 * acknowledged, then commits it (EndTxn). A message that failed makes the commit fail
 * ABORTABLE, naming it. */
kafka_err_t kafka_producer_commit_transaction(kafka_producer_t *p, int timeout_ms, char *errstr,
                                              size_t errstr_size);
/* Waits (at most timeout_ms) for the messages of the transaction to be reported, then
 * aborts it (EndTxn): read_committed readers never see them. After a failed batch the
 * epoch is bumped (InitProducerId with the current id and epoch, KIP-360) so sequence
 * numbers start again. */
kafka_err_t kafka_producer_abort_transaction(kafka_producer_t *p, int timeout_ms, char *errstr,
                                             size_t errstr_size);

/* The last error of a call on p (produce, send, flush), as the origin's last_error /
 * last_errorcode. The string is copied into buf. */
kafka_err_t kafka_producer_last_error(kafka_producer_t *p, char *buf, size_t buf_size);
kafka_err_t kafka_producer_last_errorcode(kafka_producer_t *p);

#ifdef __cplusplus
}
#endif
#endif
