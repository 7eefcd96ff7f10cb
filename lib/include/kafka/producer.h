/* kafka_producer_t (the origin's Kafka::Producer).
 *
 * kafka_producer_send() is the origin's synchronous call: messages to one topic and
 * partition, returning once the broker acknowledged them (acks) with the base offset,
 * or with an error that names the cause. It retries what Kafka calls retriable (leader
 * moves, a broker going away, timeouts) with retry.backoff.ms until delivery.timeout.ms,
 * and with enable.idempotence (the default) a retry can never write a message twice.
 *
 * Thread safety: a producer may be shared; kafka_producer_send() calls are serialised
 * by an internal lock (the asynchronous, batching path is kafka_producer_produce(), see
 * DESIGN.md; it is not here yet). */
#ifndef KAFKA_PRODUCER_H
#define KAFKA_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/error.h"
#include "kafka/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KAFKA_PARTITION_ANY (-1) /* let the partitioner choose (murmur2 of the key, as Java) */

typedef struct kafka_producer_s kafka_producer_t;

/* One message to send. Lengths of -1 mean null. timestamp_ms 0 means now. */
typedef struct kafka_produce_msg_s {
    const void *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
    const kafka_header_t *headers;
    size_t header_count;
    int64_t timestamp_ms;
} kafka_produce_msg_t;

/* A producer for conf (copied and validated: a bad combination is an error naming the
 * properties; bootstrap.servers is required). No connection is made until the first
 * send. NULL on error with errstr saying why. */
kafka_producer_t *kafka_producer_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size);
void kafka_producer_destroy(kafka_producer_t *p);

/* Sends msgs[0..n) to topic/partition as one batch and waits for the acknowledgement.
 * partition KAFKA_PARTITION_ANY: the partitioner picks one partition from the first
 * message's key (all n go there, as in the origin's send). *partition_out and
 * *base_offset (both optional) receive where they went; with acks=0 the offset is -1.
 * Errors: KAFKA_ERR__MSG_TOO_LARGE (size and limit), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION,
 * KAFKA_ERR__TIMED_OUT (delivery.timeout.ms passed; errstr has the last cause),
 * KAFKA_ERR__NO_KNOWN_BROKERS (none of bootstrap.servers answered), any non-retriable
 * broker error. errstr, when given, says which and why; so does
 * kafka_producer_last_error(). */
kafka_err_t kafka_producer_send(kafka_producer_t *p, const char *topic, int32_t partition,
                                const kafka_produce_msg_t *msgs, size_t n, int32_t *partition_out,
                                int64_t *base_offset, char *errstr, size_t errstr_size);

/* The last error, as the origin's last_error / last_errorcode. */
const char *kafka_producer_last_error(const kafka_producer_t *p);
kafka_err_t kafka_producer_last_errorcode(const kafka_producer_t *p);

#ifdef __cplusplus
}
#endif
#endif
