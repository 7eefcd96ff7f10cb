/* The group thread ("kafka:group"): a classic consumer group member's side of the
 * protocol, over one kafka__broker to the coordinator (FindCoordinator on any broker
 * first).
 *
 * It joins (JoinGroup with the ConsumerProtocol subscription, once more with the member
 * id the coordinator asks for, MEMBER_ID_REQUIRED, v4+), assigns as the leader
 * (leader.c), takes its assignment (SyncGroup), then heartbeats every
 * heartbeat.interval.ms. What it learns goes to poll() as events (group.h):
 *  - a rebalance (REBALANCE_IN_PROGRESS, a subscription or pattern match that changed,
 *    a partition count the leader sees change): eager assignors revoke everything and
 *    wait for the application's acknowledgement before rejoining; cooperative-sticky
 *    rejoins keeping its partitions, and after the assignment revokes only what moved
 *    (then rejoins once more, KIP-429);
 *  - fenced out of the generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, no heartbeat
 *    answered for session.timeout.ms): partitions LOST, rejoin (as a new member for
 *    UNKNOWN_MEMBER_ID); FENCED_INSTANCE_ID ends membership (an error poll() returns);
 *  - a coordinator that speaks no JoinGroup/SyncGroup/Heartbeat version (Kafka 0.8):
 *    an error poll() returns, naming the API; no more joins;
 *  - NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS and broken
 *    connections: find the coordinator again with backoff;
 *  - no poll() for max.poll.interval.ms: LOST, LeaveGroup, MAX_POLL_EXCEEDED for the
 *    next poll, which makes it join again.
 * A dynamic member sends LeaveGroup on unsubscribe and close; a static one does not.
 * With group.protocol=consumer the member speaks KIP-848 instead (member848.c), after the
 * same coordinator lookup, poll-interval and pattern handling. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/group.h"
#include "core/log.h"
#include "group/protocol.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/cond.h"

#define LONG_CALL_MARGIN_MS 5000 /* JoinGroup/SyncGroup wait up to the rebalance timeout, plus this */

/* @thread group  @locks g->lock held (released while poll() is woken) */
void kafka__group_wake_locked(kafka__group_t *g) {
    pthread_mutex_unlock(&g->lock);
    kafka__group_wake_poll(g);
    pthread_mutex_lock(&g->lock);
}

static bool is_member(const kafka__group_t *g) {
    return g->generation >= 0;
}

/* A request to the coordinator; a broken connection is dropped (reconnect with
 * backoff). timeout_ms: the longest wait for the answer. */
/* @thread group  @locks g->lock briefly (not held on entry) */
kafka_err_t kafka__group_coord_call(kafka__group_t *g, int16_t api, const void *req, void *resp, kafka_arena_t *arena,
                                    uint8_t **frame, int timeout_ms, char *why, size_t why_size) {
    kafka__bconn_t *bc = kafka__broker_up(&g->coord, kafka__now_ms());
    if (!bc) {
        snprintf(why, why_size, "coordinator %s: %s", g->coord.who, g->coord.why[0] ? g->coord.why : "backing off");
        return g->coord.err ? g->coord.err : KAFKA_ERR__TRANSPORT;
    }
    pthread_mutex_lock(&g->lock);
    bool stop = g->stop && api != KAFKA_API_LEAVE_GROUP && !g->leaving;
    g->in_call = !stop;
    pthread_mutex_unlock(&g->lock);
    if (stop) {
        snprintf(why, why_size, "the consumer is closing");
        return KAFKA_ERR__DESTROYED;
    }
    int saved = bc->request_timeout_ms;
    if (timeout_ms > saved)
        bc->request_timeout_ms = timeout_ms;
    kafka_err_t e = kafka__bconn_request(bc, api, req, resp, arena, frame, NULL);
    bc->request_timeout_ms = saved;
    pthread_mutex_lock(&g->lock);
    g->in_call = false;
    pthread_mutex_unlock(&g->lock);
    if (e == KAFKA_ERR__UNKNOWN_APIKEY) { /* nothing was sent: the connection is fine */
        snprintf(why, why_size, "%s", kafka__bconn_last_error(bc));
    } else if (e) {
        snprintf(why, why_size, "%s", kafka__bconn_last_error(bc));
        kafka__broker_down(&g->coord, e, why);
    } else {
        kafka__broker_ok(&g->coord);
    }
    return e;
}

/* The version the coordinator connection speaks of api (-1: no connection now). */
/* @thread group  @locks none held on entry */
static int16_t coord_version(kafka__group_t *g, int16_t api) {
    kafka__bconn_t *bc = kafka__broker_up(&g->coord, kafka__now_ms());
    return bc ? kafka__bconn_version(bc, api) : -1;
}

void kafka__group_coord_state(kafka__broker_t *b, kafka__bconn_t *bc, kafka_err_t err, const char *why, void *arg) {
    kafka__group_t *g = arg;
    (void)b, (void)err, (void)why;
    pthread_mutex_lock(&g->lock);
    g->coord_fd = bc ? kafka_io_fd(bc->io) : -1;
    pthread_mutex_unlock(&g->lock);
}

/* FindCoordinator through any broker; the coordinator's kafka__broker is set to it. */
/* @thread group  @locks none held on entry */
static kafka_err_t find_coordinator(kafka__group_t *g, char *why, size_t why_size) {
    kafka_consumer_t *c = g->c;
    kafka__metadata_t *md = kafka__connection_metadata(c->cluster);
    if (!md || md->nbrokers == 0) {
        kafka__metadata_release(md);
        kafka_connection_wait_metadata(c->cluster, NULL, 2000, why, why_size);
        md = kafka__connection_metadata(c->cluster);
    }
    if (!md || md->nbrokers == 0) {
        kafka__metadata_release(md);
        snprintf(why, why_size, "FindCoordinator: no broker known");
        return KAFKA_ERR__NO_KNOWN_BROKERS;
    }
    const kafka__md_broker_t *b = &md->brokers[g->find_rr++ % (uint32_t)md->nbrokers];
    int32_t any = b->id;
    kafka_err_t e = KAFKA_OK;
    kafka__bconn_t *bc = kafka__conn_take(c, b->id, b->host, b->port, &e, why, why_size);
    kafka__metadata_release(md);
    if (!bc)
        return e ? e : KAFKA_ERR__TRANSPORT;
    int32_t id = -1;
    char host[256];
    int port = 0;
    bool conn_ok = false;
    e = kafka__find_coordinator(bc, g->group_id, &id, host, sizeof(host), &port, &conn_ok, why, why_size);
    if (conn_ok)
        kafka__conn_give(c, any, bc);
    else
        kafka__bconn_close(bc);
    if (e)
        return e;
    if (id != g->coord.id || port != g->coord.port || strcmp(host, g->coord.host) != 0) {
        kafka__broker_close(&g->coord);
        kafka__broker_init(&g->coord, c->conf, kafka__connection_vcaps(c->cluster), "GROUP", id, host, port,
                           kafka__group_coord_state, g);
        kafka__log(c->conf, KAFKA__LOG_INFO, "GROUP", NULL, "group %s: coordinator is %s", g->group_id,
                   g->coord.who);
    }
    return KAFKA_OK;
}

/* ---- partition lists ---- */

static bool tp_in(const kafka_topic_partition_t *tps, size_t n, const kafka_topic_partition_t *tp) {
    for (size_t i = 0; i < n; i++)
        if (tps[i].topic == tp->topic && tps[i].partition == tp->partition) /* interned names */
            return true;
    return false;
}

/* a[0..na) minus b[0..nb), malloc'd into *out (NULL when empty). */
size_t kafka__tp_minus(const kafka_topic_partition_t *a, size_t na, const kafka_topic_partition_t *b, size_t nb,
                       kafka_topic_partition_t **out) {
    *out = na ? malloc(na * sizeof(**out)) : NULL;
    size_t k = 0;
    for (size_t i = 0; *out && i < na; i++)
        if (!tp_in(b, nb, &a[i]))
            (*out)[k++] = a[i];
    return k;
}

/* Posts kind for tps (a copy); false when out of memory. g->lock held. */
bool kafka__group_post_tps(kafka__group_t *g, kafka__gev_kind_t kind, const kafka_topic_partition_t *tps, size_t n) {
    kafka__gevent_t *ev = kafka__gevent_new(kind, tps, n);
    if (!ev)
        return false;
    if (kind == KAFKA__GEV_REVOKE)
        ev->seq = ++g->revoke_seq;
    kafka__group_post(g, ev);
    return true;
}

void kafka__group_post_error(kafka__group_t *g, kafka_err_t err, const char *fmt, ...) {
    kafka__gevent_t *ev = kafka__gevent_new(KAFKA__GEV_ERROR, NULL, 0);
    if (!ev)
        return;
    ev->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->errstr, sizeof(ev->errstr), fmt, ap);
    va_end(ap);
    kafka__group_post(g, ev);
}

/* The partitions owned are gone (fenced, timed out, left): LOST for the application,
 * no revoke waited for. g->lock held. */
void kafka__group_lose(kafka__group_t *g, const char *why) {
    if (g->nowned) {
        kafka__log(g->c->conf, KAFKA__LOG_NOTICE, "GROUP", NULL, "group %s: %zu partitions lost: %s", g->group_id,
                   g->nowned, why);
        kafka__group_post_tps(g, KAFKA__GEV_LOST, g->owned, g->nowned);
    }
    g->nowned = 0;
    g->nrevoking = g->ntarget = 0; /* KIP-848: the assignment being reconciled is gone too */
    g->has_pending = false;
    g->revoke_acked = g->revoke_seq; /* nothing to wait for */
    g->generation = -1;
    g->leader = false;
    g->rejoin = true;
    snprintf(g->rejoin_why, sizeof(g->rejoin_why), "%s", why);
    if (g->state != KAFKA__GS_FATAL)
        g->state = KAFKA__GS_JOINING;
    kafka__group_wake_locked(g);
}

static bool coordinator_error(kafka_err_t e) {
    return e == KAFKA_ERR_NOT_COORDINATOR || e == KAFKA_ERR_COORDINATOR_NOT_AVAILABLE ||
           e == KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

/* What an error answered to what (JoinGroup, SyncGroup, Heartbeat) means for the
 * member. g->lock held. */
void kafka__group_on_error(kafka__group_t *g, kafka_err_t e, const char *what, const char *why) {
    char msg[700];
    snprintf(msg, sizeof(msg), "%s: %s", what, why);
    if (e == KAFKA_ERR__UNKNOWN_APIKEY) { /* a coordinator before Kafka 0.9: asking again cannot help */
        g->state = KAFKA__GS_FATAL;
        kafka__group_post_error(g, e, "group %s: %s", g->group_id, msg);
        kafka__group_wake_locked(g);
    } else if (e < 0 || coordinator_error(e)) {
        g->coord_known = false; /* found again, with backoff */
        g->state = KAFKA__GS_COORDINATOR;
        if (e == KAFKA_ERR__TRANSPORT || e < 0)
            g->rejoin |= !is_member(g);
    } else if (e == KAFKA_ERR_REBALANCE_IN_PROGRESS) {
        if (!g->rejoin)
            snprintf(g->rejoin_why, sizeof(g->rejoin_why), "%s", msg);
        g->rejoin = true;
    } else if (e == KAFKA_ERR_UNKNOWN_MEMBER_ID) {
        g->member_id[0] = 0;
        kafka__group_lose(g, msg);
    } else if (e == KAFKA_ERR_ILLEGAL_GENERATION) {
        kafka__group_lose(g, msg);
    } else if (e == KAFKA_ERR_FENCED_INSTANCE_ID) {
        g->state = KAFKA__GS_FATAL;
        kafka__group_lose(g, msg);
        kafka__group_post_error(g, e, "group %s: static member %s was fenced by another member with the same "
                         "group.instance.id: %s", g->group_id, g->instance_id ? g->instance_id : "", msg);
        kafka__group_wake_locked(g);
    } else {
        kafka__group_post_error(g, e, "group %s: %s", g->group_id, msg);
        g->rejoin = true;
        kafka__group_wake_locked(g);
    }
}

/* ---- JoinGroup, SyncGroup ---- */

/* The subscription metadata: topics and, for cooperative-sticky, what is owned. */
/* @thread group  @locks g->lock held */
static kafka_err_t subscription(kafka__group_t *g, kafka_buf_t *out, kafka_arena_t *arena) {
    kafka__group_subscription_t s = {.version = 1, .user_data = {NULL, -1}, .generation_id = -1,
                                     .rack_id = {NULL, -1}};
    s.topics = kafka__arena_alloc(arena, (g->ntopics + 1) * sizeof(*s.topics));
    s.owned = kafka__arena_alloc(arena, (g->nowned + 1) * sizeof(*s.owned));
    int32_t *parts = kafka__arena_alloc(arena, (g->nowned + 1) * sizeof(*parts));
    if (!s.topics || !s.owned || !parts)
        return KAFKA_ERR__NO_MEMORY;
    for (size_t i = 0; i < g->ntopics; i++)
        s.topics[s.ntopics++] = kafka_str(g->topics[i]);
    size_t k = 0;
    for (size_t i = 0; g->cooperative && i < g->nowned; i++) {
        const char *topic = g->owned[i].topic;
        int32_t t = 0;
        while (t < s.nowned && s.owned[t].topic.str != topic)
            t++;
        if (t < s.nowned)
            continue; /* its partitions went with the first */
        s.owned[s.nowned] = (kafka__group_tps_t){kafka_str(topic), &parts[k], 0};
        for (size_t j = i; j < g->nowned; j++)
            if (g->owned[j].topic == topic) {
                parts[k++] = g->owned[j].partition;
                s.owned[s.nowned].npartitions++;
            }
        s.nowned++;
    }
    return kafka__group_subscription_encode(&s, out);
}

/* JoinGroup then SyncGroup; on success the generation's assignment in *tps (malloc'd,
 * interned topics). An error is what the coordinator answered (or the transport's),
 * with why. */
/* @thread group  @locks g->lock held on entry and return, released during I/O */
static kafka_err_t join_sync(kafka__group_t *g, kafka_topic_partition_t **tps, size_t *ntps, const char **what,
                             char *why, size_t why_size) {
    kafka_consumer_t *c = g->c;
    kafka_arena_t sub_arena = KAFKA_ARENA_INIT;
    kafka_buf_t meta = KAFKA_BUF_INIT;
    *tps = NULL;
    *ntps = 0;
    *what = "JoinGroup";
    kafka_err_t e = subscription(g, &meta, &sub_arena);
    char member[256];
    snprintf(member, sizeof(member), "%s", g->member_id);
    kafka_join_group_request_protocol_t protos[3];
    for (int i = 0; i < g->nstrategies; i++)
        protos[i] = (kafka_join_group_request_protocol_t){kafka_str(g->strategies[i]),
                                                           {meta.data, (int32_t)meta.len}};
    char reason[720];
    snprintf(reason, sizeof(reason), "%s", g->rejoin_why[0] ? g->rejoin_why : "joining");
    int long_ms = g->max_poll_ms + LONG_CALL_MARGIN_MS;
    pthread_mutex_unlock(&g->lock);
    if (e) {
        snprintf(why, why_size, "the subscription did not encode: %s", kafka_err_name(e));
        goto out;
    }
    kafka_join_group_request_t req;
    kafka_request_init(KAFKA_API_JOIN_GROUP, &req);
    req.group_id = kafka_str(g->group_id);
    req.session_timeout_ms = g->session_ms;
    req.rebalance_timeout_ms = g->max_poll_ms;
    if (coord_version(g, KAFKA_API_JOIN_GROUP) >= 5) /* older brokers know no static members */
        req.group_instance_id = kafka_str(g->instance_id);
    req.protocol_type = kafka_str("consumer");
    req.protocols.items = protos;
    req.protocols.count = g->nstrategies;
    req.reason = kafka_str(reason);
    kafka_join_group_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    for (int attempt = 0;; attempt++) {
        req.member_id = kafka_str(member);
        e = kafka__group_coord_call(g, KAFKA_API_JOIN_GROUP, &req, &resp, &arena, &frame, long_ms, why, why_size);
        if (!e && (e = (kafka_err_t)resp.error_code) == KAFKA_ERR_MEMBER_ID_REQUIRED && attempt < 2 &&
            resp.member_id.len > 0 && (size_t)resp.member_id.len < sizeof(member)) {
            /* KIP-394: the coordinator named us; join again with that id. */
            snprintf(member, sizeof(member), "%.*s", resp.member_id.len, resp.member_id.str);
            pthread_mutex_lock(&g->lock);
            snprintf(g->member_id, sizeof(g->member_id), "%s", member);
            pthread_mutex_unlock(&g->lock);
            free(frame);
            frame = NULL;
            kafka__arena_free(&arena);
            continue;
        }
        break;
    }
    if (e) {
        if (e > 0)
            snprintf(why, why_size, "%s", kafka_err_name(e));
        goto done;
    }
    if (resp.member_id.len <= 0 || (size_t)resp.member_id.len >= sizeof(member) || resp.generation_id < 0) {
        e = KAFKA_ERR__REQUEST_OR_RESPONSE;
        snprintf(why, why_size, "JoinGroup answered without a member id or generation");
        goto done;
    }
    snprintf(member, sizeof(member), "%.*s", resp.member_id.len, resp.member_id.str);
    char protocol[32];
    snprintf(protocol, sizeof(protocol), "%.*s", resp.protocol_name.len > 0 ? resp.protocol_name.len : 0,
             resp.protocol_name.str ? resp.protocol_name.str : "");
    bool leader = resp.leader.len > 0 && kafka__str_same(resp.leader, resp.member_id);
    int32_t generation = resp.generation_id;
    pthread_mutex_lock(&g->lock);
    snprintf(g->member_id, sizeof(g->member_id), "%s", member);
    snprintf(g->protocol, sizeof(g->protocol), "%s", protocol);
    pthread_mutex_unlock(&g->lock);
    kafka_sync_group_request_t sreq;
    kafka_request_init(KAFKA_API_SYNC_GROUP, &sreq);
    sreq.group_id = kafka_str(g->group_id);
    sreq.generation_id = generation;
    sreq.member_id = kafka_str(member);
    if (coord_version(g, KAFKA_API_SYNC_GROUP) >= 3)
        sreq.group_instance_id = kafka_str(g->instance_id);
    sreq.protocol_type = kafka_str("consumer");
    sreq.protocol_name = kafka_str(protocol);
    kafka__assign_counts_t *counts = NULL;
    size_t ncounts = 0;
    if (leader && !resp.skip_assignment) {
        kafka_sync_group_request_assignment_t *items = NULL;
        int32_t nitems = 0;
        e = kafka__group_leader_assign(g, protocol, &resp, &items, &nitems, &counts, &ncounts, &arena, why,
                                       why_size);
        if (e) {
            *what = "the leader's assignment";
            goto done;
        }
        sreq.assignments.items = items;
        sreq.assignments.count = nitems;
    }
    *what = "SyncGroup";
    kafka_sync_group_response_t sresp;
    uint8_t *sframe = NULL;
    e = kafka__group_coord_call(g, KAFKA_API_SYNC_GROUP, &sreq, &sresp, &arena, &sframe, long_ms, why, why_size);
    if (!e && (e = (kafka_err_t)sresp.error_code))
        snprintf(why, why_size, "%s", kafka_err_name(e));
    kafka__group_assignment_t a = {0};
    if (!e && sresp.assignment.len > 0)
        e = kafka__group_assignment_decode(sresp.assignment.data, (size_t)sresp.assignment.len, &arena, &a, why,
                                           why_size);
    size_t total = 0;
    for (int32_t i = 0; !e && i < a.npartitions; i++)
        total += a.partitions[i].npartitions > 0 ? (size_t)a.partitions[i].npartitions : 0;
    if (!e && total && !(*tps = malloc(total * sizeof(**tps))))
        e = KAFKA_ERR__NO_MEMORY;
    for (int32_t i = 0; !e && i < a.npartitions; i++) {
        const kafka__group_tps_t *t = &a.partitions[i];
        const char *topic = t->topic.len > 0 ? kafka__consumer_intern_n(c, t->topic.str, (size_t)t->topic.len) : NULL;
        for (int32_t p = 0; topic && p < t->npartitions; p++)
            if (t->partitions[p] >= 0 && !tp_in(*tps, *ntps, &(kafka_topic_partition_t){topic, t->partitions[p], 0}))
                (*tps)[(*ntps)++] = (kafka_topic_partition_t){topic, t->partitions[p], KAFKA_OFFSET_STORED};
    }
    free(sframe);
    if (!e) {
        pthread_mutex_lock(&g->lock);
        g->generation = generation;
        g->leader = leader;
        if (leader && !resp.skip_assignment) {
            free(g->counts);
            g->counts = counts;
            g->ncounts = ncounts;
            counts = NULL;
        }
        pthread_mutex_unlock(&g->lock);
    } else {
        free(*tps);
        *tps = NULL;
        *ntps = 0;
    }
    free(counts);
done:
    free(frame);
    kafka__arena_free(&arena);
out:
    kafka__buf_free(&meta);
    kafka__arena_free(&sub_arena);
    pthread_mutex_lock(&g->lock);
    return e;
}

/* The generation's assignment came: events for the application. g->lock held. */
static void assigned(kafka__group_t *g, kafka_topic_partition_t *tps, size_t n) {
    if (!g->nsubs) { /* unsubscribed meanwhile: the thread leaves next */
        free(tps);
        return;
    }
    kafka_topic_partition_t *revoked = NULL, *added = NULL;
    size_t nrevoked = kafka__tp_minus(g->owned, g->nowned, tps, n, &revoked);
    size_t nadded = kafka__tp_minus(tps, n, g->owned, g->nowned, &added);
    if (nrevoked) { /* cooperative only: eager ones owned nothing when they joined */
        kafka__group_post_tps(g, KAFKA__GEV_REVOKE, revoked, nrevoked);
        g->state = KAFKA__GS_REVOKING;
        g->rejoin = true; /* KIP-429: the partitions given up go to their new owner next round */
        snprintf(g->rejoin_why, sizeof(g->rejoin_why), "%zu partitions revoked (cooperative)", nrevoked);
    } else {
        g->state = KAFKA__GS_STABLE;
    }
    kafka__group_post_tps(g, KAFKA__GEV_ASSIGN, added, nadded);
    free(g->owned);
    g->owned = tps;
    g->nowned = n;
    g->rebalances++;
    g->last_hb_ok_ms = kafka__now_ms();
    kafka__log(g->c->conf, KAFKA__LOG_INFO, "GROUP", NULL,
               "group %s: generation %d (%s%s), %zu partitions assigned (%zu new, %zu revoked)", g->group_id,
               (int)g->generation, g->protocol, g->leader ? ", leader" : "", n, nadded, nrevoked);
    free(revoked);
    free(added);
    kafka__group_wake_locked(g);
}

/* ---- Heartbeat, LeaveGroup ---- */

/* @thread group  @locks g->lock held on entry and return, released during I/O */
static kafka_err_t heartbeat(kafka__group_t *g, char *why, size_t why_size) {
    kafka_heartbeat_request_t req;
    kafka_request_init(KAFKA_API_HEARTBEAT, &req);
    char member[256];
    snprintf(member, sizeof(member), "%s", g->member_id);
    req.group_id = kafka_str(g->group_id);
    req.generation_id = g->generation;
    req.member_id = kafka_str(member);
    const char *instance = g->instance_id;
    pthread_mutex_unlock(&g->lock);
    if (coord_version(g, KAFKA_API_HEARTBEAT) >= 3)
        req.group_instance_id = kafka_str(instance);
    kafka_heartbeat_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__group_coord_call(g, KAFKA_API_HEARTBEAT, &req, &resp, &arena, &frame, 0, why, why_size);
    if (!e && (e = (kafka_err_t)resp.error_code))
        snprintf(why, why_size, "%s", kafka_err_name(e));
    free(frame);
    kafka__arena_free(&arena);
    pthread_mutex_lock(&g->lock);
    return e;
}

/* A dynamic member leaves (static ones keep their place for session.timeout.ms); the
 * member id and generation are forgotten either way. KIP-848 members: member848.c. */
/* @thread group  @locks g->lock held on entry and return, released during I/O */
static void leave(kafka__group_t *g, const char *reason) {
    if (g->kip848) {
        kafka__group848_leave(g, reason);
        return;
    }
    char member[256];
    snprintf(member, sizeof(member), "%s", g->member_id);
    bool send = member[0] && !g->instance_id;
    if (!g->instance_id)
        g->member_id[0] = 0;
    g->generation = -1;
    g->leader = false;
    if (!send)
        return;
    pthread_mutex_unlock(&g->lock);
    kafka_leave_group_request_t req;
    kafka_request_init(KAFKA_API_LEAVE_GROUP, &req);
    req.group_id = kafka_str(g->group_id);
    kafka_leave_group_request_member_identity_t who = {kafka_str(member), kafka_str(NULL), kafka_str(reason)};
    if (g->coord.bc == NULL)
        g->coord.retry_at = 0; /* leaving is worth a connection now */
    if (coord_version(g, KAFKA_API_LEAVE_GROUP) >= 3) {
        req.members.items = &who;
        req.members.count = 1;
    } else {
        req.member_id = kafka_str(member);
    }
    kafka_leave_group_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    char why[600];
    kafka_err_t e = kafka__group_coord_call(g, KAFKA_API_LEAVE_GROUP, &req, &resp, &arena, &frame, 0, why, sizeof(why));
    if (!e)
        e = (kafka_err_t)resp.error_code;
    kafka__log(g->c->conf, e ? KAFKA__LOG_NOTICE : KAFKA__LOG_INFO, "GROUP", NULL, "group %s: member %s %s (%s)%s%s",
               g->group_id, member, e ? "could not leave" : "left", reason, e ? ": " : "",
               e ? (e > 0 ? kafka_err_name(e) : why) : "");
    free(frame);
    kafka__arena_free(&arena);
    pthread_mutex_lock(&g->lock);
}

/* ---- patterns, partition counts ---- */

/* Matches the subscription's patterns against every topic of the cluster. */
/* @thread group  @locks g->lock held on entry and return, released during I/O */
static void match_patterns(kafka__group_t *g) {
    g->next_regex_ms = kafka__now_ms() + g->regex_refresh_ms;
    pthread_mutex_unlock(&g->lock);
    kafka_consumer_t *c = g->c;
    kafka__metadata_t *known = kafka__connection_metadata(c->cluster);
    if (!known || known->nbrokers == 0) { /* just started: wait for the brokers */
        char why[400];
        kafka__metadata_release(known);
        kafka_connection_wait_metadata(c->cluster, NULL, 2000, why, sizeof(why));
        known = kafka__connection_metadata(c->cluster);
    }
    kafka__metadata_t *md = NULL;
    if (known && known->nbrokers > 0) {
        const kafka__md_broker_t *b = &known->brokers[g->find_rr++ % (uint32_t)known->nbrokers];
        kafka_err_t e = KAFKA_OK;
        char why[400];
        int32_t id = b->id;
        kafka__bconn_t *bc = kafka__conn_take(c, b->id, b->host, b->port, &e, why, sizeof(why));
        if (bc) {
            md = kafka__metadata_fetch(bc, NULL, -1, false, &e, why, sizeof(why));
            if (md)
                kafka__conn_give(c, id, bc);
            else
                kafka__bconn_close(bc);
        }
    }
    kafka__metadata_release(known);
    pthread_mutex_lock(&g->lock);
    if (!md) { /* again soon: no join before the patterns were matched once */
        if (!g->patterns_matched)
            g->next_regex_ms = kafka__now_ms() + 200;
        return;
    }
    g->patterns_matched = true;
    const char **matched = md->ntopics ? malloc((size_t)md->ntopics * sizeof(*matched)) : NULL;
    size_t n = 0;
    for (int32_t t = 0; matched && t < md->ntopics; t++) {
        const char *name = md->topics[t].name;
        if (md->topics[t].err || !name || strncmp(name, "__", 2) == 0) /* internal topics are not matched */
            continue;
        bool hit = false;
        for (size_t s = 0; s < g->nsubs && !hit; s++)
            hit = g->subs[s].is_re && regexec(&g->subs[s].re, name, 0, NULL, 0) == 0;
        if (hit && (matched[n] = kafka__consumer_intern(c, name)) != NULL)
            n++;
    }
    kafka__metadata_release(md);
    if (kafka__group_set_topics(g, matched, n) && is_member(g)) {
        g->rejoin = true;
        snprintf(g->rejoin_why, sizeof(g->rejoin_why), "the topics the subscription's patterns match changed");
    }
    pthread_mutex_unlock(&g->lock);
    for (size_t i = 0; i < n; i++)
        kafka__connection_add_topic(c->cluster, matched[i]);
    pthread_mutex_lock(&g->lock);
    free(matched);
}

/* The leader rebalances when a topic it assigned changed its partition count. */
/* @thread group  @locks g->lock held */
static void check_counts(kafka__group_t *g) {
    for (size_t i = 0; g->leader && i < g->ncounts && !g->rejoin; i++) {
        int n = kafka_connection_partition_count(g->c->cluster, g->counts[i].topic);
        if (n >= 0 && n != g->counts[i].partitions) {
            g->rejoin = true;
            snprintf(g->rejoin_why, sizeof(g->rejoin_why), "topic %s has %d partitions, was %d", g->counts[i].topic,
                     n, (int)g->counts[i].partitions);
        }
    }
}

/* ---- the thread ---- */

/* Waits on g->cv until ms (absolute, monotonic) at most. g->lock held. */
static void wait_until(kafka__group_t *g, int64_t ms) {
    if (!g->stop)
        kafka__cond_wait_until(&g->cv, &g->lock, ms);
}

void *kafka__group_main(void *arg) {
    kafka__group_t *g = arg;
    kafka_consumer_t *c = g->c;
    kafka__backoff_t backoff;
    kafka__backoff_init(&backoff, kafka_conf_int(c->conf, KAFKA_CONF_RETRY_BACKOFF_MS),
                        kafka_conf_int(c->conf, KAFKA_CONF_RETRY_BACKOFF_MAX_MS));
    int64_t next_hb = 0;
    char why[700];
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        int64_t now = kafka__now_ms();
        if (!g->nsubs) { /* unsubscribed: leave, then wait for a subscription */
            if (g->member_id[0] || is_member(g))
                leave(g, "unsubscribed");
            g->state = KAFKA__GS_IDLE;
            g->rejoin = false;
            wait_until(g, now + 1000);
            continue;
        }
        if (g->state == KAFKA__GS_IDLE)
            g->state = KAFKA__GS_COORDINATOR;
        if (g->state == KAFKA__GS_FATAL) {
            wait_until(g, now + 1000);
            continue;
        }
        if (g->state == KAFKA__GS_POLL_EXCEEDED) {
            if (!atomic_load(&g->in_poll) && atomic_load(&g->last_poll_ms) <= g->exceeded_at_ms) {
                wait_until(g, now + 50); /* poll() does not signal: look again soon */
                continue;
            }
            g->state = g->coord_known ? KAFKA__GS_JOINING : KAFKA__GS_COORDINATOR;
            g->rejoin = true;
            snprintf(g->rejoin_why, sizeof(g->rejoin_why), "polling again after max.poll.interval.ms");
        }
        int64_t idle = now - atomic_load(&g->last_poll_ms);
        if ((is_member(g) || g->nowned) && !atomic_load(&g->in_poll) && idle > g->max_poll_ms) {
            snprintf(why, sizeof(why),
                     "group %s: no poll() for %lld ms, more than max.poll.interval.ms %d: member %s left the group "
                     "and its partitions were lost; it rejoins now",
                     g->group_id, (long long)idle, (int)g->max_poll_ms, g->member_id);
            kafka__log(c->conf, KAFKA__LOG_WARNING, "GROUP", NULL, "%s", why);
            kafka__group_lose(g, "max.poll.interval.ms passed");
            kafka__group_post_error(g, KAFKA_ERR__MAX_POLL_EXCEEDED, "%s", why);
            g->state = KAFKA__GS_POLL_EXCEEDED;
            g->exceeded_at_ms = now;
            kafka__group_wake_locked(g);
            leave(g, "max.poll.interval.ms passed");
            continue;
        }
        if (g->has_re && now >= g->next_regex_ms) {
            match_patterns(g);
            continue;
        }
        if (g->has_re && !g->patterns_matched) {
            wait_until(g, g->next_regex_ms);
            continue;
        }
        if (!g->coord_known) {
            g->state = KAFKA__GS_COORDINATOR;
            pthread_mutex_unlock(&g->lock);
            kafka_err_t e = find_coordinator(g, why, sizeof(why));
            pthread_mutex_lock(&g->lock);
            if (e) {
                kafka__log(c->conf, KAFKA__LOG_NOTICE, "GROUP", "coordinator", "group %s: %s", g->group_id, why);
                wait_until(g, kafka__now_ms() + kafka__backoff_next(&backoff));
                continue;
            }
            g->coord_known = true;
            kafka__backoff_reset(&backoff);
            if (g->state == KAFKA__GS_COORDINATOR)
                g->state = is_member(g) ? KAFKA__GS_STABLE : KAFKA__GS_JOINING;
            continue;
        }
        if (g->refused) {
            kafka_err_t e = g->refused;
            g->refused = KAFKA_OK;
            if (is_member(g))
                kafka__group_on_error(g, e, "OffsetCommit", kafka_err_name(e));
            continue;
        }
        if (g->kip848) {
            kafka__group848_step(g, &backoff);
            continue;
        }
        if (is_member(g) && now - g->last_hb_ok_ms > g->session_ms) {
            snprintf(why, sizeof(why), "no heartbeat answered for session.timeout.ms %d", (int)g->session_ms);
            kafka__group_lose(g, why);
            continue;
        }
        bool revoking = g->revoke_acked < g->revoke_seq;
        if (!revoking && g->state == KAFKA__GS_REVOKING)
            g->state = g->rejoin ? KAFKA__GS_JOINING : KAFKA__GS_STABLE;
        if (!revoking && (g->rejoin || !is_member(g))) {
            if (!g->cooperative && g->nowned) { /* eager: give everything up before joining */
                kafka__group_post_tps(g, KAFKA__GEV_REVOKE, g->owned, g->nowned);
                g->nowned = 0;
                g->state = KAFKA__GS_REVOKING;
                kafka__group_wake_locked(g);
                continue;
            }
            g->state = KAFKA__GS_JOINING;
            g->rejoin = false;
            kafka_topic_partition_t *tps;
            size_t n;
            const char *what;
            kafka_err_t e = join_sync(g, &tps, &n, &what, why, sizeof(why));
            if (g->stop) {
                free(tps);
                break;
            }
            if (e) {
                kafka__log(c->conf, KAFKA__LOG_NOTICE, "GROUP", "join", "group %s: %s: %s", g->group_id, what, why);
                g->rejoin = true;
                kafka__group_on_error(g, e, what, why);
                if (e != KAFKA_ERR_REBALANCE_IN_PROGRESS && e != KAFKA_ERR_UNKNOWN_MEMBER_ID)
                    wait_until(g, kafka__now_ms() + kafka__backoff_next(&backoff));
                continue;
            }
            kafka__backoff_reset(&backoff);
            assigned(g, tps, n);
            next_hb = kafka__now_ms() + g->heartbeat_ms;
            continue;
        }
        if (is_member(g) && now >= next_hb) {
            kafka_err_t e = heartbeat(g, why, sizeof(why));
            next_hb = kafka__now_ms() + g->heartbeat_ms;
            if (!e || e == KAFKA_ERR_REBALANCE_IN_PROGRESS) /* the session is alive either way */
                g->last_hb_ok_ms = kafka__now_ms();
            if (!e) {
                check_counts(g);
            } else if (!g->stop) {
                kafka__group_on_error(g, e, "Heartbeat", why);
            }
            continue;
        }
        int64_t until = next_hb;
        if (g->has_re && g->next_regex_ms < until)
            until = g->next_regex_ms;
        if (until > now + 100 && !revoking)
            until = now + 100; /* max.poll.interval.ms is looked at often enough */
        wait_until(g, until > now ? until : now + 1);
    }
    if (g->member_id[0] || is_member(g))
        leave(g, "the consumer is closing");
    pthread_mutex_unlock(&g->lock);
    kafka__broker_close(&g->coord);
    return NULL;
}
