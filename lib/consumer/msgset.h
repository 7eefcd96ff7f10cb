/* The messages of one partition of one Fetch response (kafka__msgset_t), and the
 * decoder that turns the partition's record data into them. Internal to lib/consumer;
 * no I/O, no threads, so tests and the fuzz target drive it on bytes alone. */
#ifndef KAFKA_CONSUMER_MSGSET_H
#define KAFKA_CONSUMER_MSGSET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/message.h"
#include "kafka/protocol.h"

/* The messages of one fetch share one reference count: the response frame they point
 * into, copies of compressed batches' records, and the message structs themselves.
 * Built by one thread, then handed out; each message holds a reference and the last
 * kafka_message_destroy() frees everything. */
typedef struct kafka__msgset_s kafka__msgset_t;

typedef struct kafka__chunk_s kafka__chunk_t; /* copied bytes (msgset.c) */

/* A response frame shared by the sets of its partitions (the consumer loop fetches many
 * partitions in one response): freed with its last reference. */
typedef struct kafka__frame_s {
    atomic_int refcnt;
    uint8_t *data;
} kafka__frame_t;

/* Wraps data (malloc'd; freed with the frame) with one reference; NULL on ENOMEM (data
 * is then freed). */
kafka__frame_t *kafka__frame_wrap(uint8_t *data);
kafka__frame_t *kafka__frame_keep(kafka__frame_t *f);
/* Drops a reference (NULL: no-op). */
void kafka__frame_release(kafka__frame_t *f);

struct kafka__msgset_s {
    atomic_int refcnt; /* the builder's reference until hand-out, then one per message */
    uint8_t *frame;         /* owned (one partition's fetch), or NULL */
    kafka__frame_t *shared; /* a reference to a shared frame, or NULL */
    size_t bytes;           /* record bytes it came from (the consumer loop's accounting) */
    char *topic;
    int32_t partition;
    int64_t high_watermark;
    kafka_message_t *msgs;
    size_t n, cap;
    kafka__chunk_t *chunks;
};

struct kafka_message_s {
    kafka__msgset_t *set;
    int64_t offset;
    int64_t next_offset;
    int64_t timestamp;
    const uint8_t *key, *value, *headers; /* NULL when null (len -1) or empty (len 0) */
    int32_t key_len, value_len;
    int32_t header_count;
    uint32_t headers_len;
    int8_t timestamp_type; /* kafka_timestamp_type_t */
    int8_t magic;
    kafka_err_t err;
    const char *errstr; /* "" when valid; else copied into the set */
};

/* A set for topic/partition that takes frame (freed with the set; may be NULL).
 * NULL on ENOMEM (frame is then freed). */
kafka__msgset_t *kafka__msgset_new(const char *topic, int32_t partition, int64_t high_watermark, uint8_t *frame);
/* A set whose records are in shared (a reference is taken). NULL on ENOMEM. */
kafka__msgset_t *kafka__msgset_new_shared(const char *topic, int32_t partition, int64_t high_watermark,
                                          kafka__frame_t *shared);
/* Frees a set whose messages were not handed out (NULL: no-op). */
void kafka__msgset_free(kafka__msgset_t *s);
size_t kafka__msgset_count(const kafka__msgset_t *s);
/* The index'th message (index < count); valid until the next add or the hand-out. */
kafka_message_t *kafka__msgset_at(kafka__msgset_t *s, size_t index);
/* Appends a message (zeroed but for its set); NULL on ENOMEM. Valid until the next add. */
/* @thread builder  @locks none */
kafka_message_t *kafka__msgset_add(kafka__msgset_t *s);
/* Copies n bytes into memory the set owns (never moved); NULL on ENOMEM. */
/* @thread builder  @locks none */
void *kafka__msgset_copy(kafka__msgset_t *s, const void *src, size_t n);
/* Hands the messages out as a malloc'd array of pointers (*msgs NULL when there are
 * none) and gives up the builder's reference: the set then lives as long as its
 * messages (it is freed at once when there are none). KAFKA_ERR__NO_MEMORY (the set is
 * then freed). */
/* @thread builder  @locks none */
kafka_err_t kafka__msgset_hand_out(kafka__msgset_t *s, kafka_message_t ***msgs, size_t *count);

/* Gives each message of s one reference (instead of the builder's) so that the
 * messages can be handed out one at a time, each destroyed with
 * kafka_message_destroy(). Returns the count; a set without messages is freed. */
/* @thread builder  @locks none */
size_t kafka__msgset_share(kafka__msgset_t *s);

/* What a decode saw besides the messages. */
typedef struct kafka__scan_s {
    int64_t next_offset;    /* after every record, batch or corrupt range seen; fetch_offset if none */
    size_t partial;         /* bytes of a trailing partial batch or message (0: none) */
    int64_t partial_offset; /* its (base) offset; -1 when fewer than 8 bytes came */
    int64_t partial_size;   /* its whole size from its header; -1 when fewer than 12 bytes came */
    int32_t last_epoch;     /* the partition leader epoch of the last RecordBatch passed; -1 none */
} kafka__scan_t;

/* A transaction the broker reported aborted (Fetch v4+, read_committed). */
typedef struct kafka__aborted_s {
    int64_t producer_id;
    int64_t first_offset;
} kafka__aborted_t;

/* Decodes one partition's record data (any mix of MessageSet v0/v1 and RecordBatch v2,
 * compressed or not) into messages of s, in order:
 *  - records before fetch_offset and control records are dropped; with aborted
 *    (naborted entries, any order; NULL: read uncommitted) so are the records of
 *    aborted transactions;
 *  - a corrupt batch (CRC, compression, malformed record) becomes one invalid message
 *    spanning its offsets, and decoding goes on with the next batch;
 *  - a trailing partial batch is reported in *scan, not as a message.
 * Records of compressed batches are copied into s (the decompression buffer is reused
 * per batch); the others point into records, which must live as long as s (normally it
 * is inside s's frame). KAFKA_ERR__NO_MEMORY is the only error (the messages decoded so
 * far stay in s). */
/* @thread builder  @locks none */
kafka_err_t kafka__msgset_decode(kafka__msgset_t *s, const uint8_t *records, size_t len, int64_t fetch_offset,
                                 bool check_crcs, const kafka__aborted_t *aborted, size_t naborted,
                                 kafka__scan_t *scan);

/* kafka__msgset_decode() of one partition of a Fetch response: its records, with its
 * aborted transactions when read_committed. */
/* @thread builder  @locks none */
kafka_err_t kafka__msgset_decode_partition(kafka__msgset_t *s, const kafka_fetch_response_partition_data_t *pr,
                                           int64_t fetch_offset, bool check_crcs, bool read_committed,
                                           kafka__scan_t *scan);

#endif
