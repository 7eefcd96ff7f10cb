/* The producer's partitioners: where a record sent to KAFKA_PARTITION_ANY goes.
 * Keyed records land where Kafka's Java client and librdkafka put them (murmur2, or
 * CRC-32 for librdkafka's consistent kinds); unkeyed records stick to one partition
 * until that partition's batch is sealed (KIP-480), so they fill whole batches instead
 * of spreading one record per batch across every partition. Internal to lib/.
 *
 * The hash functions are pure and thread-safe. A kafka__partitioner_t is the sticky
 * and random state of one topic: the producer embeds one per topic and calls it under
 * that topic's lock. */
#ifndef KAFKA_PRODUCER_PARTITIONER_H
#define KAFKA_PRODUCER_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/conf.h" /* kafka_partitioner_t: the kinds of the `partitioner` property */

typedef struct kafka__partitioner_s {
    uint64_t rng;   /* xorshift64* state, never 0 */
    int32_t sticky; /* the partition unkeyed records go to; -1 until chosen or after a seal */
    int32_t avoid;  /* the partition whose batch was just sealed; -1 none */
} kafka__partitioner_t;

/* Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) as an unsigned value:
 * (int32_t)kafka__murmur2(k, n) is what Java returns. key may be NULL when len is 0. */
uint32_t kafka__murmur2(const void *key, size_t len);

/* Java's keyed placement, toPositive(murmur2(key)) % partition_cnt; partition_cnt > 0. */
int32_t kafka__partition_murmur2(const void *key, size_t len, int32_t partition_cnt);

/* Sets up the state; the same seed gives the same sequence of random choices. */
/* @thread any  @locks none (p is not shared yet) */
void kafka__partitioner_init(kafka__partitioner_t *p, uint64_t seed);

/* The partition in [0, partition_cnt) for a record with this key; keylen -1 is a null
 * key (key is then ignored), keylen 0 an empty one (key may be NULL). kind is a
 * kafka_partitioner_t:
 *   MURMUR2_RANDOM      keyed: murmur2 (empty keys too); null key: sticky
 *   MURMUR2             murmur2 always, a null key hashing as an empty one
 *   CONSISTENT_RANDOM   non-empty key: CRC-32 % partition_cnt (librdkafka's
 *                       consistent); empty key: random; null key: sticky
 *   RANDOM              keyed: random per record; null key: sticky
 * Null-key and empty-key handling follow librdkafka's murmur2_random and
 * consistent_random, with its time-based stickiness replaced by KIP-480's batch-based.
 * Returns -1 when partition_cnt <= 0 or kind is unknown; the state is then unaltered. */
/* @thread app  @locks topic */
int32_t kafka__partitioner_choose(kafka__partitioner_t *p, int kind, const void *key, int32_t keylen,
                                  int32_t partition_cnt);

/* Tells the state that the batch of `partition` was sealed. When that is the sticky
 * partition, the next unkeyed record goes to a new random partition, different from
 * this one whenever there is more than one; other partitions' seals change nothing
 * (as the Java client's StickyPartitionCache.nextPartition(prevPartition)). */
/* @thread app  @locks topic */
void kafka__partitioner_batch_sealed(kafka__partitioner_t *p, int32_t partition);

#endif
