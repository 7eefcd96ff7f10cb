/* kafka_message_t (the origin's Kafka::Message): one message fetched from a partition.
 *
 * A message is a view: its key, payload and headers point into the Fetch response it
 * came in (or, for a compressed batch, into a copy of the batch's decompressed records),
 * which the messages of one fetch share by reference count. Nothing is copied per
 * message; the response is freed when its last message is destroyed.
 *
 * A message that could not be decoded (a CRC mismatch, a corrupt compressed payload, a
 * malformed record) is still returned, with valid false and the error: its offset and
 * next_offset then span what was lost, and the messages after it are returned as usual.
 *
 * Thread safety: a message is immutable; the accessors may be called from any thread.
 * Messages of one fetch may be destroyed from different threads. */
#ifndef KAFKA_MESSAGE_H
#define KAFKA_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/error.h"
#include "kafka/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_message_s kafka_message_t;

const char *kafka_message_topic(const kafka_message_t *m);
int32_t kafka_message_partition(const kafka_message_t *m);
/* The message's offset. For an invalid message: the first offset of what was lost. */
int64_t kafka_message_offset(const kafka_message_t *m);
/* Where to fetch from to continue after this message: offset + 1, or for an invalid
 * message the offset after the corrupt batch. */
int64_t kafka_message_next_offset(const kafka_message_t *m);
/* The partition's high watermark when the message was fetched (the origin's
 * HighwaterMarkOffset). */
int64_t kafka_message_high_watermark(const kafka_message_t *m);

/* The key and the payload (the record's value). A null one is NULL with *len -1; an
 * empty one is a non-NULL pointer with *len 0. len may be NULL. Valid as long as m. */
const void *kafka_message_key(const kafka_message_t *m, int32_t *len);
const void *kafka_message_payload(const kafka_message_t *m, int32_t *len);

/* Record headers (RecordBatch v2; MessageSet messages have none). */
int kafka_message_header_count(const kafka_message_t *m);
/* The index'th header: key (never null, not NUL-terminated) and value (len -1: null),
 * pointing into the message's buffer. KAFKA_ERR__INVALID_ARG when index is out of range. */
kafka_err_t kafka_message_header(const kafka_message_t *m, int index, kafka_str_t *key, kafka_bytes_t *value);
/* All headers at once: fills out[0..max) and returns how many were written. */
int kafka_message_headers(const kafka_message_t *m, kafka_header_t *out, int max);

/* The timestamp in ms since the epoch, and its type (optional out): CreateTime,
 * LogAppendTime, or KAFKA_TIMESTAMP_NONE (-1 returned) for MessageSet v0. */
int64_t kafka_message_timestamp(const kafka_message_t *m, kafka_timestamp_type_t *type);
/* 0 for MessageSet v0, 1 for v1, 2 for RecordBatch v2 (the origin's MagicByte); -1 for
 * an invalid message. */
int kafka_message_magic(const kafka_message_t *m);

/* Whether the message was decoded intact (the origin's valid). */
bool kafka_message_valid(const kafka_message_t *m);
/* KAFKA_OK for a valid message, else why it is not (KAFKA_ERR__BAD_CRC,
 * KAFKA_ERR__BAD_COMPRESSION, KAFKA_ERR__BAD_MSG, ...). */
kafka_err_t kafka_message_error(const kafka_message_t *m);
/* The cause in words, naming topic, partition and offset ("" for a valid message). */
const char *kafka_message_errstr(const kafka_message_t *m);

/* Drops the message's reference to its response buffer. NULL is a no-op. */
void kafka_message_destroy(kafka_message_t *m);
/* Destroys msgs[0..count) and frees the array itself (as kafka_consumer_fetch() hands it
 * out). NULL is a no-op. */
void kafka_messages_destroy(kafka_message_t **msgs, size_t count);

#ifdef __cplusplus
}
#endif
#endif
