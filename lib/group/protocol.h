/* The "consumer" protocol type's metadata bytes (internal): what a consumer puts in
 * JoinGroup's Protocols[].Metadata (a subscription) and what the leader hands out in
 * SyncGroup's Assignments[].Assignment, byte-compatible with Java's ConsumerProtocol so
 * one group can mix Java, librdkafka and us.
 *
 * Both are classic (non-flexible) encodings, big-endian, behind an int16 version:
 *   Subscription v0: Version int16, Topics [string], UserData nullable bytes
 *                v1: + OwnedPartitions [Topic string, Partitions [int32]]
 *                v2: + GenerationId int32            v3: + RackId nullable string
 *   Assignment   v0-v3: Version int16, AssignedPartitions [Topic string, Partitions [int32]],
 *                UserData nullable bytes (v2/v3 only renumber, for the subscription's sake)
 * (strings: int16 length; bytes and arrays: int32 count; -1 is null). As Java does, a
 * version above 3 is read with the v3 layout and bytes after the last field are ignored,
 * so later versions that append fields still decode. */
#ifndef KAFKA_GROUP_PROTOCOL_H
#define KAFKA_GROUP_PROTOCOL_H

#include <stdint.h>

#include "kafka/protocol.h"
#include "util/arena.h"
#include "util/buf.h"

#define KAFKA__CONSUMER_PROTOCOL_MAX_VERSION 3

/* A topic and some of its partitions. */
typedef struct kafka__group_tps_s {
    kafka_str_t topic;
    int32_t *partitions;
    int32_t npartitions;
} kafka__group_tps_t;

typedef struct kafka__group_subscription_s {
    int16_t version;          /* 0-3 to encode; as read when decoded */
    kafka_str_t *topics;
    int32_t ntopics;
    kafka_bytes_t user_data;  /* len -1: null */
    kafka__group_tps_t *owned; /* v1+ */
    int32_t nowned;
    int32_t generation_id;    /* v2+; -1 when absent */
    kafka_str_t rack_id;      /* v3+; len -1: null */
} kafka__group_subscription_t;

typedef struct kafka__group_assignment_s {
    int16_t version;
    kafka__group_tps_t *partitions;
    int32_t npartitions;
    kafka_bytes_t user_data;  /* len -1: null */
} kafka__group_assignment_t;

/* Appends s at s->version (fields the version lacks are left out). KAFKA_ERR__INVALID_ARG
 * for a version outside 0-3, a negative count with items, or a string over 32767 bytes;
 * KAFKA_ERR__NO_MEMORY. On error out is left as it was. */
kafka_err_t kafka__group_subscription_encode(const kafka__group_subscription_t *s, kafka_buf_t *out);
kafka_err_t kafka__group_assignment_encode(const kafka__group_assignment_t *a, kafka_buf_t *out);

/* Decodes len bytes. Strings and bytes point into data, arrays come from arena. On
 * malformed input KAFKA_ERR__BAD_MSG (or __TRUNCATED) with errstr saying where; absent
 * fields get their defaults. An empty assignment (0 bytes, what a coordinator sends a
 * member its leader left out) decodes as v0 with no partitions. */
kafka_err_t kafka__group_subscription_decode(const uint8_t *data, size_t len, kafka_arena_t *arena,
                                             kafka__group_subscription_t *s, char *errstr, size_t errstr_size);
kafka_err_t kafka__group_assignment_decode(const uint8_t *data, size_t len, kafka_arena_t *arena,
                                           kafka__group_assignment_t *a, char *errstr, size_t errstr_size);

/* Whether two strings hold the same bytes (a null differs from every non-null). */
bool kafka__str_same(kafka_str_t a, kafka_str_t b);
/* memcmp-style order of two non-null strings (bytes, then length), Java's String order
 * for ASCII names. */
int kafka__str_cmp(kafka_str_t a, kafka_str_t b);

#endif
