/* The consumer's inside: the consumer object, one call's retry state (leader lookup,
 * backoff, deadline) and the idle broker connections. Internal to lib/consumer; the
 * response -> messages decoder is msgset.h.
 *
 * Locks: c->lock (idle connections, next offsets) and c->err_lock (last error); neither
 * is held during I/O, and they never nest. */
#ifndef KAFKA_CONSUMER_INT_H
#define KAFKA_CONSUMER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/broker.h"
#include "core/connection_int.h"
#include "core/coord.h"
#include "kafka/consumer.h"
#include "util/backoff.h"

/* An idle connection to a broker, kept for the next call. */
typedef struct kafka__cconn_s {
    int32_t broker_id;
    kafka__bconn_t *bc;
} kafka__cconn_t;

/* Where the next fetch of a partition starts (kafka_consumer_next_offset()). */
typedef struct kafka__cpos_s {
    char *topic;
    int32_t partition;
    int64_t next;
} kafka__cpos_t;

struct kafka__loop_s;  /* the consumer loop (loop.h), made by the first loop call */
struct kafka__group_s; /* group membership (group.h), made by the first subscribe */

struct kafka_consumer_s {
    kafka_conf_t *conf;
    struct kafka__loop_s *loop; /* set once under lock */
    struct kafka__group_s *group; /* set once under lock */
    char **names;                 /* interned topic names (lock), freed by destroy */
    kafka_rebalance_cb_t *rebalance_cb; /* lock; the group takes them at subscribe */
    void *rebalance_opaque;
    size_t nnames, capnames;
    kafka_connection_t *cluster;
    pthread_mutex_t lock; /* idle, pos */
    kafka__cconn_t *idle;
    size_t nidle, capidle;
    kafka__cpos_t *pos;
    size_t npos, cappos;
    /* Settings. */
    int64_t request_timeout_ms, backoff_ms, backoff_max_ms;
    int32_t fetch_min_bytes, fetch_max_wait_ms, max_partition_fetch_bytes;
    bool check_crcs;
    kafka_offset_reset_t offset_reset;
    int8_t isolation_level;
    kafka_consumer_stats_cb_t *stats_cb; /* with statistics.interval.ms, from the metadata thread */
    void *stats_opaque;
    /* last_error (the origin's), guarded by err_lock. */
    pthread_mutex_t err_lock;
    kafka_err_t last_err;
    char last_error[512];
};

/* ---- one call: leader connection, retries (call.c) ---- */

/* The state of one kafka_consumer_offsets()/fetch() call: its deadline
 * (request.timeout.ms from the start), backoff, the leader connection in use and the
 * last retriable failure. Lives on the caller's stack. */
typedef struct kafka__call_s {
    kafka_consumer_t *c;
    const char *topic;
    int32_t partition;
    int64_t start_ms, deadline_ms;
    kafka__backoff_t backoff;
    int attempts;
    kafka__bconn_t *bc; /* the leader's connection while one is taken */
    int32_t broker_id;
    char broker[300]; /* "broker N (host:port)" for messages */
    bool final;       /* the last error is not worth a retry */
    char last_why[400];
} kafka__call_t;

/* Starts a call: its deadline, and topic among those whose metadata the connection
 * keeps (a topic new to it: after one refresh that asked for it). */
/* @thread any  @locks none */
void kafka__call_begin(kafka__call_t *k, kafka_consumer_t *c, const char *topic, int32_t partition);

/* Takes a connection to the partition's current leader into k->bc. Errors come with
 * why: retriable ones (leader unknown, connection refused) and, with k->final set, those
 * that fresh metadata confirms (no such topic or partition). */
/* @thread any  @locks c->lock briefly */
kafka_err_t kafka__call_leader(kafka__call_t *k, char *why, size_t why_size);

/* Gives k->bc back to the idle table (healthy) or closes it. */
/* @thread any  @locks c->lock briefly */
void kafka__call_release(kafka__call_t *k, bool healthy);

/* After a retriable failure (why): asks for fresh metadata and sleeps the backoff.
 * Returns false, with the cause in out_why (the caller returns KAFKA_ERR__TIMED_OUT),
 * when the deadline leaves no room for another attempt. why and out_why may be the same
 * buffer. */
/* @thread any  @locks none */
bool kafka__call_retry(kafka__call_t *k, const char *why, char *out_why, size_t out_why_size);

/* Whether a broker or transport error is worth a retry with fresh metadata. */
bool kafka__call_retriable(kafka_err_t err);

/* ---- consumer state (consumer.c) ---- */

/* Records err/why as the last error and copies why into errstr; returns err. */
/* @thread any  @locks c->err_lock */
kafka_err_t kafka__consumer_fail(kafka_consumer_t *c, kafka_err_t err, const char *why, char *errstr,
                                 size_t errstr_size);
/* Sets where the next fetch of topic/partition starts. */
/* @thread any  @locks c->lock */
void kafka__consumer_set_next(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t next);

/* topic, interned: the same pointer for the same name until destroy (NULL when out of
 * memory). */
/* @thread any  @locks c->lock */
const char *kafka__consumer_intern(kafka_consumer_t *c, const char *topic);
const char *kafka__consumer_intern_n(kafka_consumer_t *c, const char *topic, size_t len);

/* ---- idle connections (conns.c) ---- */

/* An idle connection to broker_id at host:port, or a new one (NULL with *errp / why). An
 * idle one whose address changed is closed. */
/* @thread any  @locks c->lock briefly (not during connect) */
kafka__bconn_t *kafka__conn_take(kafka_consumer_t *c, int32_t broker_id, const char *host, int port, kafka_err_t *errp,
                                 char *why, size_t why_size);
/* Keeps bc as broker_id's idle connection (one per broker; an extra one is closed). */
/* @thread any  @locks c->lock briefly */
void kafka__conn_give(kafka_consumer_t *c, int32_t broker_id, kafka__bconn_t *bc);
/* Closes every idle connection. */
/* @thread destroy  @locks c->lock */
void kafka__conn_close_all(kafka_consumer_t *c);

/* ---- ListOffsets (offsets.c) ---- */

/* ListOffsets of k's partition at time with the call's retries; *offsets (malloc'd, or
 * NULL when *count is 0) on success, else the error with why. */
/* @thread any  @locks none */
kafka_err_t kafka__list_offsets(kafka__call_t *k, int64_t time, int max_number, int64_t **offsets, size_t *count,
                                char *why, size_t why_size);
/* One ListOffsets round trip on bc (the partition's leader, named broker in why), no
 * retry: *final when trying again cannot help, *broken when the connection is to be
 * closed. */
/* @thread owner of bc  @locks none */
kafka_err_t kafka__list_offsets_on(kafka__bconn_t *bc, kafka_consumer_t *c, const char *broker, const char *topic,
                                   int32_t partition, int64_t time, int max_number, int64_t **offsets, size_t *count,
                                   bool *final, bool *broken, char *why, size_t why_size);

/* One partition of kafka__list_offsets_many_on(): topic/partition asked (q sorted by
 * topic, then partition); offset (-1: none) or err with why (the cause alone: the
 * caller names the partition and broker), final when trying again cannot help. */
typedef struct kafka__lo_q_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    kafka_err_t err;
    bool final;
    char why[64];
} kafka__lo_q_t;

/* q[0..n) (sorted, all led by bc's broker) in one ListOffsets round trip at time on bc,
 * no retry: each q[i] gets its own answer; a transport error (returned, with why, in
 * *version the version tried) is everyone's: *final when trying again cannot help,
 * *broken when the connection is to be closed. */
/* @thread owner of bc  @locks none */
kafka_err_t kafka__list_offsets_many_on(kafka__bconn_t *bc, kafka_consumer_t *c, const char *broker, kafka__lo_q_t *q,
                                        size_t n, int64_t time, int16_t *version, bool *final, bool *broken, char *why,
                                        size_t why_size);

/* The offsets of many partitions at once, for an assignment's start: tps[i] with want[i]
 * (offset BEGINNING or END) asked in one ListOffsets per leader broker; out[i] the
 * offset, or -1 when it was not asked or not answered (then resolved alone, with the
 * retries and the error a single partition gets). */
/* @thread any  @locks c->lock briefly */
void kafka__list_offsets_batch(kafka_consumer_t *c, const kafka_topic_partition_t *tps, const bool *want, size_t n,
                               int64_t *out);

/* ---- leader epochs (epochs.c) ---- */

/* One partition of an OffsetForLeaderEpoch request: where leader epoch `epoch` ended in
 * its log (end, and in end_epoch the largest epoch at or below it the log has; -1 both
 * when the broker does not know it), with current as CurrentLeaderEpoch; or the
 * partition's error (FENCED or UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER...) with
 * why. */
typedef struct kafka__epoch_q_s {
    const char *topic; /* in: borrowed */
    int32_t partition, current, epoch;
    int64_t end; /* out */
    int32_t end_epoch;
    kafka_err_t err;
    char why[400];
} kafka__epoch_q_t;

/* One OffsetForLeaderEpoch round trip on bc (the partitions' leader, named broker in
 * why) for all n partitions of q, which are sorted by topic; no retry. A failure of the
 * whole request is returned with why (the entries' results then mean nothing):
 * *unsupported when the broker does not speak the API, *broken when the connection is
 * to be closed. Otherwise each entry has its own result. */
/* @thread owner of bc  @locks none */
kafka_err_t kafka__epoch_ends_on(kafka__bconn_t *bc, const char *broker, kafka__epoch_q_t *q, size_t n,
                                 bool *unsupported, bool *broken, char *why, size_t why_size);

/* ---- Fetch (fetch.c) ---- */

/* A Fetch request with the consumer's settings (fetch.min.bytes, fetch.max.wait.ms at
 * most half of request.timeout.ms, isolation.level) and max_bytes; no topics yet. */
void kafka__fetch_request_init(const kafka_consumer_t *c, kafka_fetch_request_t *req, int32_t max_bytes);

#endif
