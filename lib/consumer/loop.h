/* The consumer loop's inside (kafka_consumer_assign/poll/position/commit_positions):
 * the assigned partitions with their fetch state and buffered messages, one fetcher
 * thread per leader broker, and the committer thread of asynchronous commits.
 *
 * Locks: loop->lock guards everything in kafka__loop_t and kafka__lpart_t (fetchers
 * hold it only to pick partitions and to file results, never during I/O);
 * loop->assign_lock makes assigns one at a time; loop->commit_lock guards the
 * committer's queue (never held during I/O); loop->commit_io is held while positions
 * are stored, one commit at a time. Each snapshot of positions gets a sequence number,
 * and one older than the newest stored is never stored: commits land in the order their
 * positions were taken. Order: assign_lock, commit_lock, commit_io, lock (commit_lock
 * and commit_io are never held together). c->lock and c->err_lock (consumer_int.h) may
 * be taken with loop->lock held (they are leaves). */
#ifndef KAFKA_CONSUMER_LOOP_H
#define KAFKA_CONSUMER_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "consumer/consumer_int.h"
#include "consumer/msgset.h"

/* Fetched messages of one partition waiting for poll(), in offset order. */
typedef struct kafka__lbuf_s {
    struct kafka__lbuf_s *next;
    kafka__msgset_t *set; /* its messages [taken, set->n) are not handed out yet */
    size_t taken;
    int64_t end_offset; /* the position once all are handed out (past skipped batches) */
    bool notice;        /* the jump of an auto.offset.reset that skipped messages: poll() says so here */
} kafka__lbuf_t;

/* LP_VALIDATE: the leader's epoch moved on since the last batch fetched; before the
 * next Fetch, OffsetForLeaderEpoch checks the log still holds what was read (epochs.c). */
typedef enum { LP_FETCH, LP_RESET, LP_FAILED, LP_VALIDATE } kafka__lstate_t;

/* An assigned partition. Freed by unassign, or, while a fetcher has it in a request
 * (in_flight), by that fetcher when the response is filed (removed set). */
typedef struct kafka__lpart_s {
    char *topic;
    int32_t partition;
    kafka__lstate_t state;
    int64_t fetch_offset;     /* where the next Fetch starts */
    int64_t position;         /* after the last message poll() returned */
    int64_t committed;        /* the last position stored by a commit; -1 none */
    int64_t stored;           /* enable.auto.offset.store=false: what kafka_consumer_store_offset() marked; -1 none */
    int64_t high_watermark;   /* from the last response; -1 none */
    int32_t leader;           /* the broker fetching it (routed by metadata); -1 none */
    int32_t leader_epoch;     /* the metadata's epoch of that leader, sent as CurrentLeaderEpoch; -1 unknown */
    int32_t last_epoch;       /* the leader epoch of the last batch fetched; -1 none (no validation) */
    uint64_t epoch;           /* changes when fetch_offset is set other than by a fetch */
    bool in_flight, removed;
    int64_t not_before_ms;     /* retry backoff after an error */
    kafka__backoff_t backoff;
    kafka__lbuf_t *head, *tail;
    size_t buffered; /* record bytes in head..tail */
    kafka_err_t err; /* LP_FAILED: reported by poll once (reported set) */
    bool reported;
    char errstr[1100];
    /* OFFSET_OUT_OF_RANGE of a Fetch: where it was, and the log's range the broker said. */
    int64_t oor_offset, oor_log_start, oor_high_watermark;
    /* An auto.offset.reset that skipped messages, or a truncation that took back messages
     * already returned (notice): poll() reports it once (notice_err:
     * KAFKA_ERR__AUTO_OFFSET_RESET, KAFKA_ERR__LOG_TRUNCATION) when the position reaches
     * the jump (notice_due). */
    bool notice_due;
    kafka_err_t notice_err;
    char notice[700];
    /* The topic's id (Metadata v10+; zero: not known), sent in Fetch v13+. A new id for
     * the name is a topic deleted and re-created: recreated until the position is reset. */
    kafka_uuid_t topic_id;
    kafka_uuid_t replaced_id; /* the id topic_id replaced: metadata naming it again is stale */
    bool recreated;
    uint64_t recreated_epoch; /* the epoch recreated belongs to: a seek since (epoch moved) ends it */
} kafka__lpart_t;

typedef struct kafka__fetcher_s kafka__fetcher_t; /* fetcher.c */

/* Positions to commit: a snapshot, numbered in the order snapshots were taken. */
typedef struct kafka__commit_req_s {
    struct kafka__commit_req_s *next;
    kafka_topic_partition_t *tps; /* topics strdup'd */
    size_t n;
    uint64_t seq;
} kafka__commit_req_t;

typedef struct kafka__loop_s {
    kafka_consumer_t *c;
    pthread_mutex_t assign_lock; /* one assign at a time (taken before all the others) */
    pthread_mutex_t lock;
    pthread_cond_t work;  /* fetchers: assignment, routing, room in the buffer, stop */
    pthread_cond_t ready; /* poll(): messages or an error to report */
    kafka__lpart_t **parts;
    size_t nparts, capparts;
    size_t rr; /* where poll() starts its round over the partitions */
    kafka__fetcher_t **fetchers;
    size_t nfetchers, capfetchers;
    size_t buffered, max_buffered; /* record bytes waiting for poll(), queued.max.messages.kbytes */
    bool stopping;
    bool listening; /* the metadata listener is set */
    kafka_consumer_stats_t st; /* its totals, counted where lock is held anyway */
    /* Settings. */
    int32_t fetch_max_bytes;
    bool auto_commit, can_commit;
    bool auto_store; /* enable.auto.offset.store: commits take positions, else stored offsets */
    bool group_wake; /* group events wait for poll() (set by the group thread, cleared by poll) */
    int64_t auto_commit_ms, next_auto_commit_ms;
    uint64_t commit_seq; /* the last snapshot's number (lock) */
    /* The committer thread and its queue (commit_lock). */
    pthread_mutex_t commit_lock;
    pthread_mutex_t commit_io;
    uint64_t stored_seq; /* the newest snapshot stored (commit_io) */
    pthread_cond_t commit_cv;
    pthread_t committer;
    bool committer_started, commit_stop;
    kafka__commit_req_t *queue, **queue_tail; /* asynchronous commits waiting, oldest first */
    kafka_commit_cb_t *commit_cb;
    void *commit_opaque;
} kafka__loop_t;

/* The loop of c, made at the first loop call (NULL on ENOMEM). */
/* @thread any  @locks c->lock briefly */
kafka__loop_t *kafka__loop_get(kafka_consumer_t *c);
/* Stops the fetchers and the committer and frees the loop (auto commit first). */
/* @thread destroy  @locks loop->lock, commit_lock */
void kafka__loop_destroy(kafka__loop_t *loop);

/* Replaces the assignment by tps[0..n) as kafka_consumer_assign() does, for the group's
 * events: commit_leaving false leaves positions uncommitted (partitions lost). */
/* @thread application  @locks loop->assign_lock, then as assign */
kafka_err_t kafka__loop_assign(kafka__loop_t *loop, const kafka_topic_partition_t *tps, size_t n, bool commit_leaving,
                               char *errstr, size_t errstr_size);

/* The assigned partitions (topics interned), offsets their positions: a malloc'd array
 * of *n (NULL when none or out of memory). */
/* @thread any  @locks loop->lock */
kafka_topic_partition_t *kafka__loop_assignment(kafka__loop_t *loop, size_t *n);

/* The assigned partition topic/partition or NULL. */
/* @thread any  @locks loop->lock held */
kafka__lpart_t *kafka__loop_find(kafka__loop_t *loop, const char *topic, int32_t partition);

/* Frees an assigned partition that no fetcher has in flight (NULL: no-op). */
void kafka__lpart_destroy(kafka__lpart_t *lp);

/* Drops lp's buffered messages (never handed out) and unaccounts their bytes. */
/* @thread any  @locks loop->lock held */
void kafka__lpart_drop_buffered(kafka__loop_t *loop, kafka__lpart_t *lp);

/* The metadata gives lp's topic the id `id` (zero: the metadata has none): taken when
 * lp has none; another id than lp's is the topic deleted and re-created under its name,
 * whose offsets belong to another log: what waits for poll() goes, the position is
 * reset per auto.offset.reset (poll() reports KAFKA_ERR__TOPIC_RECREATED once, naming
 * both ids; under auto.offset.reset=error the partition fails with it). (topicid.c) */
/* @thread any  @locks loop->lock held */
void kafka__lpart_topic_id(kafka__loop_t *loop, kafka__lpart_t *lp, const kafka_uuid_t *id);

/* Whether lp's topic id is known. */
bool kafka__lpart_has_topic_id(const kafka__lpart_t *lp);

/* Whether an auto.offset.reset of lp (OFFSET_OUT_OF_RANGE) looks at fresh metadata
 * first: a Fetch by name (below v13) of a topic re-created under its name sees only
 * offsets out of range, and the new id is what tells (lp's topic id known, and lp not
 * reset for a re-creation already). */
/* @locks loop->lock held */
bool kafka__lpart_check_id_first(const kafka__lpart_t *lp);
/* The connection's metadata's id for lp's topic, through kafka__lpart_topic_id. */
/* @locks loop->lock held (takes the connection's briefly) */
void kafka__lpart_check_recreated(kafka__loop_t *loop, kafka__lpart_t *lp);

/* A topic id as Kafka prints it (base64url, no padding: 22 characters). */
void kafka__uuid_format(const kafka_uuid_t *id, char out[23]);

/* Routes every partition to its leader per md (starting fetchers as needed) and wakes
 * the fetchers. */
/* @thread any  @locks loop->lock held */
void kafka__loop_route(kafka__loop_t *loop, kafka__metadata_t *md);

/* ---- fetchers (fetcher.c) ---- */

/* A started fetcher thread for broker_id; NULL on failure. */
/* @thread any  @locks loop->lock held */
kafka__fetcher_t *kafka__fetcher_start(kafka__loop_t *loop, int32_t broker_id);
int32_t kafka__fetcher_broker(const kafka__fetcher_t *f);
/* Cuts the fetcher's connection short (destroy: a long-polling Fetch returns at once). */
/* @thread any  @locks loop->lock held */
void kafka__fetcher_interrupt(kafka__fetcher_t *f);
/* Joins a fetcher (loop->stopping set and broadcast before) and frees it. */
/* @thread destroy  @locks none */
void kafka__fetcher_join(kafka__fetcher_t *f);

/* ---- commits (autocommit.c) ---- */

/* A snapshot of the positions of the assigned partitions that moved since their last
 * commit, numbered (loop->commit_seq); NULL when out of memory. Its n is 0 when
 * nothing moved. */
/* @thread any  @locks loop->lock held */
kafka__commit_req_t *kafka__loop_snapshot(kafka__loop_t *loop);
void kafka__commit_req_free(kafka__commit_req_t *r);
/* Hands r (taken) to the committer thread. */
/* @thread any  @locks commit_lock */
kafka_err_t kafka__loop_commit_async(kafka__loop_t *loop, kafka__commit_req_t *r);
/* Stores the positions that moved, now; asynchronous commits taken before are then
 * not stored (their callbacks still come). */
/* @thread any  @locks commit_io, lock */
kafka_err_t kafka__loop_commit_sync(kafka__loop_t *loop, char *errstr, size_t errstr_size);
/* Stops the committer after it handled what waits. */
/* @thread destroy  @locks commit_lock */
void kafka__loop_committer_stop(kafka__loop_t *loop);

#endif
