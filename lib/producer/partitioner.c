/* The producer's partitioners: Kafka's murmur2, librdkafka's CRC-32 "consistent",
 * random, and KIP-480 sticky placement of unkeyed records. */
#include "producer/partitioner.h"

#include "kafka/protocol.h" /* kafka_crc32 */

#define MURMUR2_SEED 0x9747b28cu
#define MURMUR2_M 0x5bd1e995u
#define MURMUR2_R 24

/* All arithmetic is on uint32_t so the multiplications wrap as Java's int ones do,
 * without signed overflow; Java's >>> is the unsigned >> here. */
uint32_t kafka__murmur2(const void *key, size_t len) {
    const uint8_t *d = key;
    /* Java hashes an int length; the truncation keeps its value for any length it has. */
    uint32_t h = MURMUR2_SEED ^ (uint32_t)len;
    size_t nblocks = len / 4;

    for (size_t i = 0; i < nblocks; i++) {
        const uint8_t *b = d + 4 * i;
        uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= MURMUR2_M;
        k ^= k >> MURMUR2_R;
        k *= MURMUR2_M;
        h *= MURMUR2_M;
        h ^= k;
    }

    /* Java's switch falls through from the third tail byte to the first; so do these
     * ifs. Indexes, not d + t: d may be NULL when len is 0. */
    size_t rem = len & 3, t = len - rem;
    if (rem == 3)
        h ^= (uint32_t)d[t + 2] << 16;
    if (rem >= 2)
        h ^= (uint32_t)d[t + 1] << 8;
    if (rem >= 1) {
        h ^= (uint32_t)d[t];
        h *= MURMUR2_M;
    }

    h ^= h >> 13;
    h *= MURMUR2_M;
    h ^= h >> 15;
    return h;
}

int32_t kafka__partition_murmur2(const void *key, size_t len, int32_t partition_cnt) {
    return (int32_t)((kafka__murmur2(key, len) & 0x7fffffffu) % (uint32_t)partition_cnt);
}

/* xorshift64* (Vigna): small, fast, and good enough to scatter partitions. */
static uint32_t rng_next(kafka__partitioner_t *p) {
    uint64_t x = p->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Uniform in [0, n), n > 0: Lemire's multiply-shift, rejecting the few low products
 * that would bias it. */
static uint32_t rng_below(kafka__partitioner_t *p, uint32_t n) {
    uint64_t m = (uint64_t)rng_next(p) * n;
    if ((uint32_t)m < n) {
        uint32_t threshold = (0u - n) % n;
        while ((uint32_t)m < threshold)
            m = (uint64_t)rng_next(p) * n;
    }
    return (uint32_t)(m >> 32);
}

void kafka__partitioner_init(kafka__partitioner_t *p, uint64_t seed) {
    /* splitmix64 spreads nearby seeds apart and maps only one seed to 0, which
     * xorshift cannot leave. */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    p->rng = z ? z : 0x9E3779B97F4A7C15ull;
    p->sticky = -1;
    p->avoid = -1;
}

static int32_t sticky_partition(kafka__partitioner_t *p, int32_t partition_cnt) {
    /* Also re-chosen when the partition count shrank under the sticky one. */
    if (p->sticky >= 0 && p->sticky < partition_cnt)
        return p->sticky;
    int32_t next;
    if (p->avoid >= 0 && p->avoid < partition_cnt && partition_cnt > 1) {
        /* One of the other partition_cnt - 1, each equally likely. */
        next = (int32_t)rng_below(p, (uint32_t)partition_cnt - 1);
        if (next >= p->avoid)
            next++;
    } else {
        next = (int32_t)rng_below(p, (uint32_t)partition_cnt);
    }
    p->sticky = next;
    p->avoid = -1;
    return next;
}

int32_t kafka__partitioner_choose(kafka__partitioner_t *p, int kind, const void *key, int32_t keylen,
                                  int32_t partition_cnt) {
    if (partition_cnt <= 0)
        return -1;
    switch (kind) {
    case KAFKA_PARTITIONER_MURMUR2_RANDOM:
        if (keylen < 0)
            return sticky_partition(p, partition_cnt);
        return kafka__partition_murmur2(key, (size_t)keylen, partition_cnt);
    case KAFKA_PARTITIONER_MURMUR2:
        return kafka__partition_murmur2(key, keylen < 0 ? 0 : (size_t)keylen, partition_cnt);
    case KAFKA_PARTITIONER_CONSISTENT_RANDOM:
        if (keylen < 0)
            return sticky_partition(p, partition_cnt);
        if (keylen == 0)
            return (int32_t)rng_below(p, (uint32_t)partition_cnt);
        return (int32_t)(kafka_crc32(0, key, (size_t)keylen) % (uint32_t)partition_cnt);
    case KAFKA_PARTITIONER_RANDOM:
        if (keylen < 0)
            return sticky_partition(p, partition_cnt);
        return (int32_t)rng_below(p, (uint32_t)partition_cnt);
    default:
        return -1;
    }
}

void kafka__partitioner_batch_sealed(kafka__partitioner_t *p, int32_t partition) {
    if (p->sticky < 0 || partition != p->sticky)
        return;
    p->avoid = p->sticky;
    p->sticky = -1;
}
