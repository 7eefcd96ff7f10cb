/* The producer's inside: topics and partitions (each partition's accumulator state,
 * its sealed batches waiting for the broker, its leader's worker), the broker worker
 * threads, and the producer id of the idempotent producer. Internal to lib/producer.
 *
 * Locks, in the order they may nest: p->lock (topics table, workers table, routing)
 * -> a partition's ap.lock -> a topic's lock (sticky partitioner) / p->pid_lock.
 * Delivery callbacks run with no lock held, on a broker worker thread; the stats
 * callback on the metadata thread, with only the connection's listen_lock held (which
 * is taken before p->lock, as for routing). */
#ifndef KAFKA_PRODUCER_INT_H
#define KAFKA_PRODUCER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/broker.h"
#include "core/connection_int.h"
#include "kafka/producer.h"
#include "producer/accumulator.h"
#include "producer/partitioner.h"
#include "util/backoff.h"
#include "util/mpscq.h"

typedef struct kafka__worker_s kafka__worker_t;
typedef struct kafka__ptopic_s kafka__ptopic_t;

/* One partition the producer writes to. ap.lock guards every field below ap. */
typedef struct kafka__ppart_s {
    kafka__apart_t ap; /* open batch (app threads append), sealed ones in ap.head..tail */
    /* queue element: application -> broker ("this partition has work for you") */
    kafka__mpscq_node_t to_broker;
    kafka__ptopic_t *topic;
    bool inflight;                /* ap.head is in a request on its owner's connection */
    kafka__worker_t *owner;       /* the worker tracking this partition; NULL: none */
    kafka__worker_t *leader;      /* the worker of the leader broker; NULL: unknown */
    int64_t retry_at;             /* ap.head is not sent again before this (backoff) */
    kafka__backoff_t backoff;     /* retries of the partition's head batch */
    uint32_t seq_gen;             /* producer id generation next_seq counts in */
    int32_t next_seq;             /* idempotence: the next batch's base sequence */
    kafka_err_t last_err;         /* the last failure's code and cause, for reports */
    char why[200];
    uint32_t txn_seq;             /* p->txn_seq of the transaction it was added to (p->txn_lock) */
    uint32_t txn_written;         /* p->txn_seq of the last transaction that produced to it (p->txn_lock) */
} kafka__ppart_t;

/* The partitions of a topic: replaced as a whole when the count grows. */
typedef struct kafka__pparts_s {
    int32_t n;
    struct kafka__pparts_s *older; /* retired arrays, freed with the topic */
    kafka__ppart_t *p[];
} kafka__pparts_t;

struct kafka__ptopic_s {
    char *name;
    pthread_mutex_t lock; /* the sticky partitioner's */
    kafka__partitioner_t part;
    atomic_int sticky_hint; /* part.sticky as last seen under lock: unkeyed records go there without it */
    _Atomic(kafka__pparts_t *) parts;
};

/* The topics table: copied on write under p->lock, read without a lock. */
typedef struct kafka__ptopics_s {
    size_t n;
    struct kafka__ptopics_s *older;
    kafka__ptopic_t *t[];
} kafka__ptopics_t;

/* A synchronous send's completion: its records carry KAFKA__MSG_SYNC and point here. */
typedef struct kafka__sync_s {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t left;
    kafka_err_t err;
    int64_t first_offset;
    int32_t partition;
    char why[512];
} kafka__sync_t;

struct kafka_producer_s {
    kafka_conf_t *conf;
    kafka_connection_t *cluster;
    kafka__accum_t acc;
    pthread_mutex_t lock; /* topics and workers tables, routing */
    _Atomic(kafka__ptopics_t *) topics;
    kafka__worker_t **workers;
    size_t nworkers, capworkers;
    kafka__metadata_t *md; /* the snapshot last routed with (p->lock) */
    kafka_delivery_cb_t *dr_cb;
    void *dr_opaque;
    atomic_int flushing; /* > 0: workers seal open batches at once */
    atomic_bool stopping;
    /* Idempotence. */
    atomic_bool idempotent;
    pthread_mutex_t pid_lock;
    int64_t pid;
    int16_t epoch;
    _Atomic uint32_t pid_gen;   /* bumped with every new producer id; 0: none yet */
    atomic_bool pid_reset;      /* a sequence gap: get a new producer id before the next stamp */
    /* Transactions (txn.c). txn_lock serialises the transactional calls and partition
     * adds; it is taken before p->pid_lock and never inside a partition's lock. */
    char *txn_id;                  /* transactional.id; NULL: not transactional */
    int32_t txn_timeout_ms;
    pthread_mutex_t txn_lock;
    atomic_int txn_state;          /* kafka__txn_state_t */
    uint32_t txn_seq;              /* counts transactions begun (txn_lock) */
    kafka_txn_error_class_t txn_class; /* of the last transactional call (txn_lock) */
    atomic_int txn_batch_err;      /* the first failed batch of the transaction, 0: none */
    char txn_batch_why[300];       /* its cause (err_lock) */
    kafka__bconn_t *txn_bc;        /* the transaction coordinator's connection (txn_lock), or NULL */
    bool txn_started;              /* partitions or offsets were added to this transaction (txn_lock) */
    bool txn_ending_commit;        /* KAFKA__TXN_ENDING: a commit, else an abort (txn_lock) */
    /* Counters (kafka_producer_stats). */
    _Atomic int64_t st_delivered, st_failed, st_retries, st_requests, st_request_bytes, st_connects, st_pids;
    _Atomic int64_t st_disconnects, st_retried_msgs;
    /* Settings. */
    int acks;
    int partitioner;
    int max_in_flight;
    int64_t retries;
    int64_t delivery_timeout_ms, request_timeout_ms, backoff_ms, backoff_max_ms;
    size_t message_max;
    kafka_compression_t codec;
    /* last_error (the origin's), guarded by err_lock. */
    pthread_mutex_t err_lock;
    kafka_err_t last_err;
    char last_error[512];
};

/* ---- routing and partitions (producer.c) ---- */

/* Tells the partition's worker that it has work: pushes it to its leader's queue when
 * nobody tracks it, else wakes the tracking worker. */
/* @thread any  @locks pp->ap.lock held */
void kafka__ppart_notify(kafka_producer_t *p, kafka__ppart_t *pp);

/* The accumulator sealed a batch onto pp->ap.tail: the topic's sticky partitioner moves
 * on (its lock is ordered after a partition lock) and the partition's worker is told. */
/* @thread any  @locks pp->ap.lock held, the topic's lock */
void kafka__ppart_sealed(kafka_producer_t *p, kafka__ppart_t *pp);

/* Seals pp's open batch if due (or force) as kafka__accum_ready_locked does, telling the
 * partitioner and the worker when it did; true when a batch was sealed. */
/* @thread any  @locks pp->ap.lock held, the topic's lock */
bool kafka__ppart_ready_locked(kafka_producer_t *p, kafka__ppart_t *pp, int64_t now_ms, bool force,
                               int64_t *next_due_ms);

/* Reports the records of pb (the batch is unlinked, no lock held): err 0 with offsets
 * base_offset + i (-1 each when unknown), or the error and why; then releases it. */
/* @thread worker or router  @locks none */
void kafka__producer_report(kafka_producer_t *p, kafka__ppart_t *pp, kafka__pbatch_t *pb, int64_t base_offset,
                            kafka_err_t err, const char *why);

/* Takes the expired batches off the head of pp (those whose oldest record has waited
 * delivery.timeout.ms and that are not in flight; all of them not in flight when all:
 * the leader refuses us) onto *expired; the next expiry time. */
/* @thread worker or router  @locks pp->ap.lock held */
int64_t kafka__ppart_expire(kafka_producer_t *p, kafka__ppart_t *pp, int64_t now, bool all,
                            kafka__pbatch_t **expired);

/* Reports the batches kafka__ppart_expire took (newest first) with KAFKA_ERR__TIMED_OUT,
 * naming the last cause; with the cause itself when it is a refusal retrying cannot mend
 * (kafka__bconn_fatal: TLS or SASL), for which the worker expires them at once. */
/* @thread worker or router  @locks none */
void kafka__ppart_report_expired(kafka_producer_t *p, kafka__ppart_t *pp, kafka__pbatch_t *list, kafka_err_t cause,
                                 const char *why);

/* The producer id and epoch to stamp with (getting one when there is none or a reset
 * was asked for), over bc when the caller may use it for a round trip, else over a new
 * connection to host:port. *gen receives their generation; *broken is true when the
 * request failed on bc itself (the caller must drop that connection). */
/* @thread worker  @locks p->pid_lock */
kafka_err_t kafka__producer_pid(kafka_producer_t *p, kafka__bconn_t *bc, const char *host, int port, int64_t *pid,
                                int16_t *epoch, uint32_t *gen, bool *broken, char *why, size_t why_size);
/* Asks for a new producer id before the next stamp (a sequence gap). */
void kafka__producer_pid_reset(kafka_producer_t *p, uint32_t gen);

/* Re-encodes pb's records as a MessageSet of `magic` (0 or 1) for an old broker, into
 * pb->alt (legacy.c). Headers and zstd cannot go there: KAFKA_ERR__INVALID_ARG /
 * KAFKA_ERR__UNSUPPORTED_COMPRESSION with why. */
/* @thread worker  @locks pp->ap.lock held */
kafka_err_t kafka__pbatch_to_msgset(kafka__pbatch_t *pb, int magic, kafka_compression_t codec, char *why,
                                    size_t why_size);

/* Records err and why as the last error (kafka_producer_last_error) and copies why into
 * errstr; returns err. */
kafka_err_t kafka__producer_fail(kafka_producer_t *p, char *errstr, size_t errstr_size, kafka_err_t err,
                                 const char *why);

/* ---- transactions (txn.c) ---- */

typedef enum kafka__txn_state_e {
    KAFKA__TXN_UNINIT = 0, /* init_transactions() not done */
    KAFKA__TXN_READY,      /* between transactions */
    KAFKA__TXN_OPEN,       /* begun: produce and send_offsets allowed */
    KAFKA__TXN_ENDING,     /* commit or abort under way (or to be called again after a timeout) */
    KAFKA__TXN_ABORTABLE,  /* open, but only abort is possible */
    KAFKA__TXN_FATAL       /* fenced or unsupported: only destroy */
} kafka__txn_state_t;

/* A transactional producer's check before appending to pp: KAFKA_ERR__STATE outside a
 * transaction; the partition added to the transaction (AddPartitionsToTxn) when it is
 * not yet. Not transactional: KAFKA_OK at once. */
/* @thread application  @locks p->txn_lock (a round trip to the coordinator under it) */
kafka_err_t kafka__txn_add_partition(kafka_producer_t *p, kafka__ppart_t *pp, char *errstr, size_t errstr_size);
/* A batch of the transaction failed (its report carries err): the transaction can only
 * be aborted now (fatal when the producer was fenced). */
/* @thread worker or router  @locks none */
void kafka__txn_batch_failed(kafka_producer_t *p, kafka_err_t err, const char *why);
void kafka__txn_destroy(kafka_producer_t *p);

/* ---- broker workers (worker.c) ---- */

kafka__worker_t *kafka__worker_new(kafka_producer_t *p, int32_t broker_id, const char *host, int port);
/* Stops the thread: in-flight batches go back to their partitions, tracked partitions
 * are handed to their leaders; then frees. */
/* @thread router or destroy  @locks none (p->lock may be held) */
void kafka__worker_stop(kafka__worker_t *w);
int32_t kafka__worker_broker(const kafka__worker_t *w);
/* Queues pp (its owner just became w). */
/* @thread any  @locks pp->ap.lock held */
void kafka__worker_push(kafka__worker_t *w, kafka__ppart_t *pp);
/* Wakes w if it sleeps (a tracked partition changed). */
void kafka__worker_kick(kafka__worker_t *w);
/* The worker whose thread is running this call, or NULL. */
kafka__worker_t *kafka__worker_self(void);

#endif
