/* A consumer's membership of a classic consumer group (kafka_consumer_subscribe): the
 * group object shared by the application's thread (subscribe, poll, the rebalance
 * callback) and the group thread "kafka:group", which owns the coordinator connection
 * and runs FindCoordinator, JoinGroup, SyncGroup, Heartbeat and LeaveGroup (member.c);
 * the leader's assignment is leader.c.
 *
 * The group thread never touches the consumer loop: what changes the assignment goes to
 * the application as events (broker -> application), served by poll() in order
 * (kafka__group_serve): REVOKE (commit with auto commit, callback, unassign, then an
 * acknowledgement the group thread waits for before it rejoins), LOST (callback,
 * unassign, no commit), ASSIGN (assign from the committed offsets, callback) and ERROR
 * (returned once by poll).
 *
 * Locks: g->lock guards every field below not marked otherwise; it is a leaf (nothing
 * else is taken while it is held), so the loop's listener may take it under loop->lock.
 * No lock is held during I/O or callbacks. */
#ifndef KAFKA_CONSUMER_GROUP_H
#define KAFKA_CONSUMER_GROUP_H

#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "consumer/consumer_int.h"
#include "core/broker.h"

/* A topic's partition count as the leader saw it. */
typedef struct kafka__assign_counts_s {
    const char *topic; /* interned */
    int32_t partitions;
} kafka__assign_counts_t;

typedef enum {
    KAFKA__GEV_REVOKE, /* application -> acknowledges (revoke_acked) */
    KAFKA__GEV_LOST,
    KAFKA__GEV_ASSIGN,
    KAFKA__GEV_ERROR
} kafka__gev_kind_t;

/* An event for the application's thread (group thread -> application). Topic names are
 * the consumer's interned ones. */
typedef struct kafka__gevent_s {
    struct kafka__gevent_s *next;
    kafka__gev_kind_t kind;
    kafka_topic_partition_t *tps;
    size_t n;
    uint64_t seq; /* REVOKE: what to acknowledge */
    kafka_err_t err;
    char errstr[600];
} kafka__gevent_t;

/* A partition of a KIP-848 assignment, by topic id. */
typedef struct kafka__tp848_s {
    kafka_uuid_t topic;
    int32_t partition;
} kafka__tp848_t;

typedef enum {
    KAFKA__GS_IDLE,          /* no subscription */
    KAFKA__GS_COORDINATOR,   /* looking for the coordinator */
    KAFKA__GS_REVOKING,      /* waiting for the application to give partitions up */
    KAFKA__GS_JOINING,       /* JoinGroup / SyncGroup */
    KAFKA__GS_STABLE,        /* heartbeating */
    KAFKA__GS_POLL_EXCEEDED, /* left for max.poll.interval.ms; rejoins at the next poll */
    KAFKA__GS_FATAL          /* fenced static member, or no group APIs: no more joins */
} kafka__gstate_t;

/* One subscription entry: a topic name, or a "^regex" (POSIX extended). */
typedef struct kafka__gsub_s {
    const char *name; /* interned */
    bool is_re;
    regex_t re;
} kafka__gsub_t;

typedef struct kafka__group_s {
    kafka_consumer_t *c;
    pthread_t thread; /* started with the first subscribe */
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cv; /* the group thread: subscription, acknowledgements, polls, stop */
    bool stop;
    /* Settings (immutable). */
    const char *group_id, *instance_id; /* instance_id NULL: dynamic member */
    int32_t session_ms, heartbeat_ms, max_poll_ms;
    int64_t regex_refresh_ms;
    const char *strategies[3];
    int nstrategies;
    bool cooperative;
    /* The subscription. */
    kafka__gsub_t *subs;
    size_t nsubs;
    bool has_re;
    const char **topics; /* what it stands for now (interned, sorted); regexes matched on metadata */
    size_t ntopics;
    int64_t next_regex_ms;
    bool patterns_matched; /* once since subscribe: the first join waits for it */
    /* Membership. */
    kafka__gstate_t state;
    char member_id[256];
    int32_t generation;
    char protocol[32];
    bool leader;
    bool rejoin;
    char rejoin_why[720];
    kafka_topic_partition_t *owned; /* the assignment of the current generation */
    size_t nowned;
    /* The leader's view at its last assignment: topics and partition counts (rebalance
     * when they change). */
    kafka__assign_counts_t *counts;
    size_t ncounts;
    int64_t last_hb_ok_ms;
    kafka_err_t refused; /* a commit of this generation was refused with it (kafka__group_commit_refused) */
    int64_t exceeded_at_ms; /* POLL_EXCEEDED: when the group was left */
    /* Events for poll(), oldest first. */
    kafka__gevent_t *ev_head, **ev_tail;
    uint64_t revoke_seq, revoke_acked;
    int64_t rebalances; /* assignments received */
    /* The application's side. */
    _Atomic int64_t last_poll_ms;
    _Atomic int in_poll;
    kafka_rebalance_cb_t *cb;
    void *cb_opaque;
    /* The coordinator (group thread only, but coord_fd: lock). */
    kafka__broker_t coord;
    bool coord_known;
    uint32_t find_rr; /* the broker asked next (FindCoordinator, patterns' metadata) */
    int coord_fd;
    bool in_call; /* a JoinGroup/SyncGroup may wait long: destroy shuts coord_fd */
    /* KIP-848, group.protocol=consumer (member848.c): generation is the member epoch. */
    bool kip848;                         /* immutable */
    bool leaving;                        /* the leave heartbeat may go out while stopping */
    bool in_group848;                    /* the coordinator counts it a member (leave tells it) */
    kafka_topic_partition_t *target;     /* the coordinator's last assignment (interned names) */
    size_t ntarget;
    kafka_topic_partition_t *revoking;   /* posted as REVOKE: still owned until acknowledged */
    size_t nrevoking;
    kafka__tp848_t *pending;             /* an assignment with topic ids the metadata does not know yet */
    size_t npending;
    bool has_pending;
    int64_t next_hb_ms;
} kafka__group_t;

/* ---- group.c: the application's side ---- */

/* c's group, or NULL before the first subscribe. */
/* @thread any  @locks c->lock briefly */
kafka__group_t *kafka__group_of(kafka_consumer_t *c);

/* Serves the events waiting (see above), in order, on the application's thread; the
 * first ERROR (or a failed assign) is returned with errstr, the rest wait for the next
 * call. */
/* @thread application (poll)  @locks g->lock briefly, the loop's as assign does */
kafka_err_t kafka__group_serve(kafka__group_t *g, char *errstr, size_t errstr_size);
/* Whether the consumer is subscribed, or events still wait for poll(). */
/* @thread any  @locks g->lock */
bool kafka__group_active(kafka__group_t *g);

/* The member's identity for an OffsetCommit: generation (-1 when not in one), member id
 * and group.instance.id (NULL: none) copied into the buffers. */
/* @thread any  @locks g->lock */
void kafka__group_identity(kafka__group_t *g, int32_t *generation, char *member_id, size_t member_size,
                           const char **instance_id);
/* A commit was refused for the member's generation (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID): the group thread acts
 * as on a heartbeat with that error (rejoin; partitions lost when fenced). */
/* @thread any  @locks g->lock */
void kafka__group_commit_refused(kafka__group_t *g, kafka_err_t err, int32_t generation);

/* A commit was refused with STALE_MEMBER_EPOCH for epoch stale (KIP-848: the coordinator
 * moved the member on in a heartbeat whose answer has not come yet): asks the group
 * thread for a heartbeat now and waits up to timeout_ms for a newer epoch; true when
 * one came (commit again with it). */
/* @thread application  @locks g->lock */
bool kafka__group_epoch_refresh(kafka__group_t *g, int32_t stale, int timeout_ms);

/* Stops the group thread; a dynamic member leaves the group first (destroy). */
/* @thread destroy  @locks g->lock */
void kafka__group_destroy(kafka__group_t *g);

/* Queues an event (taken) and wakes poll(). */
/* @thread group  @locks g->lock held; takes the loop's lock after it is released: call
 * kafka__group_wake_poll after unlocking */
void kafka__group_post(kafka__group_t *g, kafka__gevent_t *ev);
/* @thread group  @locks loop->lock */
void kafka__group_wake_poll(kafka__group_t *g);
/* A new event with a copy of tps[0..n) (NULL when out of memory). */
kafka__gevent_t *kafka__gevent_new(kafka__gev_kind_t kind, const kafka_topic_partition_t *tps, size_t n);

/* Sets g->topics to the subscription's names plus matched[0..n) (interned), sorted and
 * unique; true when that changed them. */
/* @thread any  @locks g->lock held */
bool kafka__group_set_topics(kafka__group_t *g, const char **matched, size_t n);

/* ---- member.c: the group thread ---- */

/* @thread group */
void *kafka__group_main(void *arg);
/* The coordinator connection's state callback: keeps g->coord_fd. */
/* @thread group  @locks g->lock */
void kafka__group_coord_state(kafka__broker_t *b, kafka__bconn_t *bc, kafka_err_t err, const char *why, void *arg);

/* Shared with member848.c, g->lock held unless said otherwise: */
/* A request to the coordinator (not held on entry; a broken connection is dropped). */
kafka_err_t kafka__group_coord_call(kafka__group_t *g, int16_t api, const void *req, void *resp, kafka_arena_t *arena,
                                    uint8_t **frame, int timeout_ms, char *why, size_t why_size);
/* Releases g->lock while poll() is woken. */
void kafka__group_wake_locked(kafka__group_t *g);
/* Posts an event for tps (a copy; REVOKE gets its sequence); false when out of memory. */
bool kafka__group_post_tps(kafka__group_t *g, kafka__gev_kind_t kind, const kafka_topic_partition_t *tps, size_t n);
__attribute__((format(printf, 3, 4))) void kafka__group_post_error(kafka__group_t *g, kafka_err_t err,
                                                                   const char *fmt, ...);
/* The partitions owned are gone: LOST, no generation, rejoin. */
void kafka__group_lose(kafka__group_t *g, const char *why);
/* What an error answered to `what` means for the member (coordinator errors, fenced...). */
void kafka__group_on_error(kafka__group_t *g, kafka_err_t e, const char *what, const char *why);
/* a[0..na) minus b[0..nb) (interned topics), malloc'd into *out (NULL when empty). */
size_t kafka__tp_minus(const kafka_topic_partition_t *a, size_t na, const kafka_topic_partition_t *b, size_t nb,
                       kafka_topic_partition_t **out);

/* ---- member848.c: the group thread, group.protocol=consumer ---- */

/* One turn of the KIP-848 member: heartbeat when due (at once after a subscription
 * change, a rejoin or an acknowledged revocation), apply the assignment, wait. */
/* @thread group  @locks g->lock held on entry and return, released during I/O */
void kafka__group848_step(kafka__group_t *g, kafka__backoff_t *backoff);
/* Leaves with epoch -1 (a static member: -2, it keeps its place for the session). */
/* @thread group  @locks g->lock held on entry and return, released during I/O */
void kafka__group848_leave(kafka__group_t *g, const char *reason);

/* ---- leader.c: the leader's assignment ---- */

struct kafka_join_group_response_s;
struct kafka_sync_group_request_assignment_s;

/* The assignments the leader hands out for protocol (an assignor name) to the members
 * of resp, each encoded as the ConsumerProtocol Assignment (from arena); the topics and
 * partition counts it used go to *counts (malloc'd). A member whose metadata does not
 * decode subscribes to nothing. KAFKA_ERR__NO_MEMORY, KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL
 * (an assignor we do not have) with why. */
/* @thread group  @locks none (waits for metadata) */
kafka_err_t kafka__group_leader_assign(kafka__group_t *g, const char *protocol,
                                       const struct kafka_join_group_response_s *resp,
                                       struct kafka_sync_group_request_assignment_s **out, int32_t *nout,
                                       kafka__assign_counts_t **counts, size_t *ncounts, kafka_arena_t *arena,
                                       char *why, size_t why_size);

#endif
