/* The record accumulator: per-partition open batches that application threads append to
 * (each record encoded once, on append), sealed when full (batch.size), when linger.ms
 * has passed, or on flush; plus the producer's memory bound (queue.buffering.max.messages
 * / .kbytes): an append blocks up to queue.full.timeout.ms or fails with QUEUE_FULL.
 *
 * A sealed kafka__pbatch_t travels application -> broker worker: it joins the tail of
 * its partition's list (ap->head..tail) while the partition lock is held, so the list
 * is in seal order whichever thread sealed it. The calls that seal or open a batch say
 * so (KAFKA__ACCUM_SEALED / _OPENED, or true from kafka__accum_ready*) and their caller
 * tells whoever sends the list; the worker takes batches from the head under the
 * partition lock and gives each back with kafka__accum_release() once every record in
 * it is reported. */
#ifndef KAFKA_PRODUCER_ACCUMULATOR_H
#define KAFKA_PRODUCER_ACCUMULATOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/protocol.h"

/* One record's delivery bookkeeping, in append order within its batch. */
typedef struct kafka__msgmeta_s {
    void *opaque;
    int64_t enqueued_ms;
    uint32_t size;  /* bytes it counts against queue.buffering.max.kbytes */
    uint32_t flags; /* the producer's (KAFKA__MSG_SYNC: opaque is a synchronous send's waiter) */
} kafka__msgmeta_t;

#define KAFKA__MSG_SYNC 1u

#define KAFKA__ACCUM_POOL 1024 /* released batches kept for reuse, at most */

/* A sealed batch: application -> broker worker. */
typedef struct kafka__pbatch_s {
    struct kafka__pbatch_s *next; /* the owner's list link (worker queue, retry list) */
    kafka_batch_t *batch;
    const uint8_t *data; /* the sealed wire bytes (valid while batch lives) */
    size_t len;
    int32_t count;
    kafka__msgmeta_t *msgs;
    int32_t capmsgs;
    int attempts;
    /* The producer's, while the batch waits or flies (broker worker, under the
     * partition lock): */
    uint32_t seq_gen;   /* producer id generation of base_seq; 0: not stamped */
    int32_t base_seq;
    uint8_t *alt;       /* the records as MessageSet v0/v1 for an old broker (malloc'd) */
    size_t altlen;
    int8_t alt_magic;   /* -1: no alt */
} kafka__pbatch_t;

/* A partition's open batch and its sealed ones; app threads append under its lock. */
typedef struct kafka__apart_s {
    pthread_mutex_t lock;
    kafka__pbatch_t *head, *tail; /* sealed, not yet reported, in seal order (the owner takes from head) */
    kafka_batch_t *open;
    kafka__msgmeta_t *msgs;
    int32_t nmsgs, capmsgs;
    int64_t opened_ms;
    int32_t partition;
    void *topic;
    size_t refused_max; /* learned from the broker refusing a batch as too large: batches stay
                           below this (uncompressed bytes); 0: nothing learned */
} kafka__apart_t;

/* What an append did besides adding the record (kafka__accum_append's *events). */
#define KAFKA__ACCUM_SEALED 1u /* the open batch was sealed onto ap->tail */
#define KAFKA__ACCUM_OPENED 2u /* the record opened a new batch: its linger runs */

typedef struct kafka__accum_s {
    size_t batch_size;
    size_t batch_max; /* min(batch.size, message.max.bytes): a batch is sealed before it would pass it */
    int64_t linger_ms;
    size_t message_max_bytes;
    kafka_compression_t codec;
    int64_t max_msgs;
    int64_t max_bytes;
    bool block_when_full;
    int64_t full_timeout_ms;
    /* Records and bytes held (open, sealed and in flight): atomics, so an append that
     * fits costs no lock. mem_lock + mem_cond serve only those who wait for room (or for
     * zero: flush); waiters counts them, and a release takes the lock to wake them only
     * when there are some. */
    _Atomic int64_t msgs, bytes;
    atomic_int waiters;
    pthread_mutex_t mem_lock;
    pthread_cond_t mem_cond;
    bool coarse_now; /* append's now_ms is kafka__now_coarse_ms(): read the precise clock when a batch opens */
    /* Released batches and bookkeeping arrays kept for reuse: a new batch then writes
     * into memory already mapped instead of faulting fresh pages in. */
    pthread_mutex_t pool_lock;
    int npool, cappool; /* cappool: as many batches as queue.buffering.max.kbytes holds, at most KAFKA__ACCUM_POOL */
    struct kafka__accum_pooled_s {
        kafka_batch_t *batch;
        kafka__msgmeta_t *msgs;
        int32_t capmsgs;
    } *pool;
} kafka__accum_t;

/* @thread any  @locks none */
void kafka__accum_init(kafka__accum_t *acc, const kafka_conf_t *conf);
void kafka__accum_destroy(kafka__accum_t *acc);
void kafka__apart_init(kafka__apart_t *ap, void *topic, int32_t partition);
void kafka__apart_destroy(kafka__apart_t *ap);

/* Appends one record to the partition's open batch. When the record would take the
 * batch past batch.size or message.max.bytes (or below what the broker refused, see
 * kafka__apart_refused) the open batch is sealed onto ap->tail first (then the record
 * opens the next batch), so a sealed batch of more than one record, header included,
 * never exceeds message.max.bytes; compressed, it is sent uncompressed when compression
 * would make it larger. KAFKA_ERR__MSG_TOO_LARGE (errstr: size and limit) for a record
 * over message.max.bytes; KAFKA_ERR__QUEUE_FULL / KAFKA_ERR__TIMED_OUT when the memory
 * bound is reached (non-blocking / after queue.full.timeout.ms). *events (optional) gets
 * KAFKA__ACCUM_SEALED and/or _OPENED, also on error (a seal before a failed append). */
/* @thread app  @locks ap->lock, acc->mem_lock (not together) */
kafka_err_t kafka__accum_append(kafka__accum_t *acc, kafka__apart_t *ap, int64_t timestamp_ms, const void *key,
                                int32_t keylen, const void *value, int32_t valuelen, const kafka_header_t *headers,
                                size_t nheaders, void *opaque, uint32_t flags, int64_t now_ms, unsigned *events,
                                char *errstr, size_t errstr_size);

/* Seals the open batch onto ap->tail when it is due (linger.ms passed since it opened,
 * or force); true if it did. *next_due_ms gets when it will be due (INT64_MAX: no open
 * batch). */
/* @thread worker or flusher  @locks ap->lock */
bool kafka__accum_ready(kafka__accum_t *acc, kafka__apart_t *ap, int64_t now_ms, bool force, int64_t *next_due_ms);
/* The same with ap->lock already held by the caller. */
/* @thread worker  @locks none (ap->lock held) */
bool kafka__accum_ready_locked(kafka__accum_t *acc, kafka__apart_t *ap, int64_t now_ms, bool force,
                               int64_t *next_due_ms);

/* Gives back a batch whose records are all reported: its memory leaves the bound and
 * blocked appends wake up. */
/* @thread worker  @locks acc->mem_lock */
void kafka__accum_release(kafka__accum_t *acc, kafka__pbatch_t *pb);

/* Splits sealed pb (count >= 2), which the broker refused as too large, into two new
 * sealed batches in order, *first holding the first half of its records and linked to
 * *second holding the rest: each record re-encoded from pb's wire bytes (decompressed
 * when needed) with its timestamp, key, value and headers, compressed as configured,
 * with its bookkeeping; no producer id or sequence yet; attempts 0. pb is untouched: the
 * caller puts the two in its place and retires it. KAFKA_ERR__NO_MEMORY, or the reader's
 * error with why when pb's bytes do not decode. */
/* @thread worker  @locks acc->pool_lock (pb is the caller's) */
kafka_err_t kafka__accum_split(kafka__accum_t *acc, const kafka__pbatch_t *pb, kafka__pbatch_t **first,
                               kafka__pbatch_t **second, char *why, size_t why_size);

/* Frees pb whose records now live in other batches (split): their memory stays held. */
/* @thread worker  @locks acc->pool_lock */
void kafka__accum_retire(kafka__accum_t *acc, kafka__pbatch_t *pb);

/* The broker refused pb as too large: the partition's later batches are sealed below
 * 15/16 of pb's uncompressed size (and of what it learned before), so one refusal per
 * partition is the usual cost of a batch.size over the broker's message.max.bytes. */
/* @thread worker  @locks none (ap->lock held) */
void kafka__apart_refused(kafka__apart_t *ap, const kafka__pbatch_t *pb);

/* Unlinks and returns the oldest sealed batch (ap->lock held); NULL when none. */
static inline kafka__pbatch_t *kafka__apart_pop(kafka__apart_t *ap) {
    kafka__pbatch_t *pb = ap->head;
    if (pb) {
        ap->head = pb->next;
        if (!ap->head)
            ap->tail = NULL;
        pb->next = NULL;
    }
    return pb;
}

/* Waits until no record is held, at most until the CLOCK_MONOTONIC deadline (NULL: no
 * limit); returns how many are still held. */
/* @thread any  @locks acc->mem_lock */
int64_t kafka__accum_wait_empty(kafka__accum_t *acc, const struct timespec *deadline);

#endif
