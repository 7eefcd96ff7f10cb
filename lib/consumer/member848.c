/* The group thread's KIP-848 member (group.protocol=consumer): instead of JoinGroup,
 * SyncGroup and Heartbeat it sends ConsumerGroupHeartbeat every interval the coordinator
 * asks for, with its whole state (subscribed topic names, owned partitions by topic id,
 * epoch); the coordinator assigns.
 *  - Joining: epoch 0 with a member id of its own (KIP-1082); the answer's epoch is the
 *    member's generation from then on, for commits too (OffsetCommit v9).
 *  - An assignment (topic ids, mapped to names through the metadata) is applied as the
 *    classic cooperative protocol applies one: partitions no longer assigned are posted
 *    as REVOKE (auto commit, callback) and stay owned until poll() acknowledges; then a
 *    heartbeat at once reports them gone, which is what lets the coordinator hand them
 *    to their next member. New partitions are posted as ASSIGN.
 *  - FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, or no heartbeat answered for
 *    session.timeout.ms: the partitions are LOST and it joins again with epoch 0.
 *  - UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, GROUP_ID_NOT_FOUND (a classic group
 *    of that name), INVALID_REQUEST and a coordinator that does not offer
 *    ConsumerGroupHeartbeat end membership with an error poll() returns, as Java's
 *    consumer fails (no fallback to the classic protocol).
 *  - Leaving (unsubscribe, close, max.poll.interval.ms): epoch -1; a static member
 *    (group.instance.id) sends -2 and keeps its place for the coordinator's session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "consumer/group.h"
#include "core/connection_int.h"
#include "core/log.h"
#include "core/metadata.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/cond.h"

#define NOW_AGAIN_MS 200 /* look again soon: topic ids the metadata does not know yet */

/* A member id of our own, as Java's (a random UUID, base64url without padding). */
static void new_member_id(char *out, size_t size) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        uint64_t x = (uint64_t)kafka__now_ms() * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)out;
        memcpy(r, &x, 8);
        x = x * 0xbf58476d1ce4e5b9u + 1;
        memcpy(r + 8, &x, 8);
    }
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sizeof(r) && k + 1 < size; i++) {
        acc = acc << 8 | r[i];
        bits += 8;
        while (bits >= 6 && k + 1 < size) {
            out[k++] = b64[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0 && k + 1 < size)
        out[k++] = b64[(acc << (6 - bits)) & 63];
    out[k] = 0;
}

static bool tp_has(const kafka_topic_partition_t *tps, size_t n, const kafka_topic_partition_t *tp) {
    for (size_t i = 0; i < n; i++)
        if (tps[i].topic == tp->topic && tps[i].partition == tp->partition)
            return true;
    return false;
}

/* Maps g->pending (topic ids) to g->target (names); false while an id is unknown. */
/* @thread group  @locks g->lock held */
static bool resolve_pending(kafka__group_t *g) {
    kafka__metadata_t *md = kafka__connection_metadata(g->c->cluster);
    kafka_topic_partition_t *t = malloc((g->npending + 1) * sizeof(*t));
    size_t n = 0;
    bool ok = md && t;
    for (size_t i = 0; ok && i < g->npending; i++) {
        const kafka__md_topic_t *mt = kafka__metadata_topic_by_id(md, &g->pending[i].topic);
        const char *name = mt ? kafka__consumer_intern(g->c, mt->name) : NULL;
        if (!name)
            ok = false;
        else
            t[n++] = (kafka_topic_partition_t){name, g->pending[i].partition, KAFKA_OFFSET_STORED};
    }
    kafka__metadata_release(md);
    if (!ok) {
        free(t);
        return false;
    }
    free(g->target);
    g->target = t;
    g->ntarget = n;
    g->has_pending = false;
    return true;
}

/* Brings what is owned towards g->target: REVOKE what left it (owned until
 * acknowledged), ASSIGN what is new. */
/* @thread group  @locks g->lock held */
static void apply_target(kafka__group_t *g) {
    kafka_topic_partition_t *gone = NULL, *added = NULL, *revoke = NULL;
    size_t ngone = kafka__tp_minus(g->owned, g->nowned, g->target, g->ntarget, &gone);
    size_t nrevoke = kafka__tp_minus(gone, ngone, g->revoking, g->nrevoking, &revoke);
    size_t nadded = kafka__tp_minus(g->target, g->ntarget, g->owned, g->nowned, &added);
    bool ok = true;
    if (nrevoke) {
        kafka_topic_partition_t *r = realloc(g->revoking, (g->nrevoking + nrevoke) * sizeof(*r));
        if ((ok = r && kafka__group_post_tps(g, KAFKA__GEV_REVOKE, revoke, nrevoke))) {
            memcpy(r + g->nrevoking, revoke, nrevoke * sizeof(*r));
            g->nrevoking += nrevoke;
            g->state = KAFKA__GS_REVOKING;
        }
        if (r)
            g->revoking = r;
    }
    if (nadded && ok) {
        kafka_topic_partition_t *o = realloc(g->owned, (g->nowned + nadded) * sizeof(*o));
        if ((ok = o && kafka__group_post_tps(g, KAFKA__GEV_ASSIGN, added, nadded))) {
            memcpy(o + g->nowned, added, nadded * sizeof(*o));
            g->nowned += nadded;
        }
        if (o)
            g->owned = o;
    }
    if (!ok) { /* out of memory: start again from nothing rather than own what nobody knows */
        kafka__group_lose(g, "out of memory applying the assignment");
    } else if (nrevoke || nadded) {
        g->rebalances++;
        kafka__log(g->c->conf, KAFKA__LOG_INFO, "GROUP", NULL,
                   "group %s: member epoch %d, %zu partitions assigned (%zu new, %zu to revoke)", g->group_id,
                   (int)g->generation, g->ntarget, nadded, nrevoke);
        kafka__group_wake_locked(g);
    }
    free(gone);
    free(added);
    free(revoke);
}

/* The revocation poll() acknowledged: those partitions are no longer owned. */
/* @thread group  @locks g->lock held */
static void revoked(kafka__group_t *g) {
    size_t k = 0;
    for (size_t i = 0; i < g->nowned; i++)
        if (!tp_has(g->revoking, g->nrevoking, &g->owned[i]))
            g->owned[k++] = g->owned[i];
    g->nowned = k;
    g->nrevoking = 0;
    g->state = KAFKA__GS_STABLE;
    apply_target(g); /* a partition revoked and assigned again comes back now */
}

/* The owned partitions by topic id (from arena); false when a topic's id is unknown. */
static bool owned_by_id(kafka__group_t *g, kafka_consumer_group_heartbeat_request_t *req, kafka_arena_t *arena) {
    kafka__metadata_t *md = kafka__connection_metadata(g->c->cluster);
    kafka_consumer_group_heartbeat_request_topic_partitions_t *ts =
        kafka__arena_alloc(arena, (g->nowned + 1) * sizeof(*ts));
    int32_t *parts = kafka__arena_alloc(arena, (g->nowned + 1) * sizeof(int32_t));
    bool ok = md && ts && parts;
    int32_t nt = 0;
    size_t k = 0;
    for (size_t i = 0; ok && i < g->nowned; i++) {
        const char *topic = g->owned[i].topic;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = g->owned[j].topic == topic;
        if (seen)
            continue;
        const kafka__md_topic_t *mt = kafka__metadata_topic(md, topic);
        if (!mt) {
            ok = false;
            break;
        }
        ts[nt] = (kafka_consumer_group_heartbeat_request_topic_partitions_t){mt->id, {&parts[k], 0}};
        for (size_t j = i; j < g->nowned; j++)
            if (g->owned[j].topic == topic) {
                parts[k++] = g->owned[j].partition;
                ts[nt].partitions.count++;
            }
        nt++;
    }
    kafka__metadata_release(md);
    req->topic_partitions.items = ts;
    req->topic_partitions.count = ok ? nt : 0;
    return ok;
}

/* Errors that end membership (Java's consumer fails on them). */
static bool fatal(kafka_err_t e) {
    return e == KAFKA_ERR_UNRELEASED_INSTANCE_ID || e == KAFKA_ERR_UNSUPPORTED_ASSIGNOR ||
           e == KAFKA_ERR_GROUP_ID_NOT_FOUND || e == KAFKA_ERR_INVALID_REQUEST || e == KAFKA_ERR_UNSUPPORTED_VERSION ||
           e == KAFKA_ERR_GROUP_AUTHORIZATION_FAILED || e == KAFKA_ERR_GROUP_MAX_SIZE_REACHED ||
           e == KAFKA_ERR_INVALID_REGULAR_EXPRESSION || e == KAFKA_ERR__UNKNOWN_APIKEY;
}

/* One ConsumerGroupHeartbeat at epoch (0 joins, -1/-2 leave); the answer applied for
 * epochs >= 0. An error is the coordinator's or the transport's, with why. */
/* @thread group  @locks g->lock held on entry and return, released during I/O */
static kafka_err_t heartbeat(kafka__group_t *g, int32_t epoch, char *why, size_t why_size) {
    if (!g->member_id[0])
        new_member_id(g->member_id, sizeof(g->member_id));
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    kafka_consumer_group_heartbeat_request_t req;
    kafka_request_init(KAFKA_API_CONSUMER_GROUP_HEARTBEAT, &req);
    char member[256];
    snprintf(member, sizeof(member), "%s", g->member_id);
    req.group_id = kafka_str(g->group_id);
    req.member_id = kafka_str(member);
    req.member_epoch = epoch;
    req.instance_id = kafka_str(g->instance_id);
    kafka_str_t *names = NULL;
    if (epoch >= 0) {
        req.rebalance_timeout_ms = g->max_poll_ms;
        names = kafka__arena_alloc(&arena, (g->ntopics + 1) * sizeof(*names));
        for (size_t i = 0; names && i < g->ntopics; i++)
            names[i] = kafka_str(g->topics[i]);
        req.subscribed_topic_names.items = names;
        req.subscribed_topic_names.count = names ? (int32_t)g->ntopics : 0;
        if (!owned_by_id(g, &req, &arena)) {
            kafka__arena_free(&arena);
            snprintf(why, why_size, "an owned topic's id is not in the metadata yet");
            return KAFKA_ERR__STATE;
        }
    }
    g->leaving = epoch < 0;
    pthread_mutex_unlock(&g->lock);
    kafka__bconn_t *bc = kafka__broker_up(&g->coord, kafka__now_ms());
    kafka_consumer_group_heartbeat_response_t resp;
    uint8_t *frame = NULL;
    kafka_err_t e;
    if (bc && kafka__bconn_version(bc, KAFKA_API_CONSUMER_GROUP_HEARTBEAT) < 0) {
        snprintf(why, why_size,
                 "group.protocol=consumer needs ConsumerGroupHeartbeat (KIP-848, Kafka 4.0+): coordinator %s does "
                 "not offer it (use group.protocol=classic)",
                 g->coord.who);
        e = KAFKA_ERR__UNKNOWN_APIKEY;
    } else {
        e = kafka__group_coord_call(g, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, &req, &resp, &arena, &frame, 0, why,
                                    why_size);
    }
    pthread_mutex_lock(&g->lock);
    g->leaving = false;
    if (!e && (e = (kafka_err_t)resp.error_code))
        snprintf(why, why_size, "%s%s%.*s", kafka_err_name(e), resp.error_message.len > 0 ? ": " : "",
                 resp.error_message.len > 0 ? resp.error_message.len : 0,
                 resp.error_message.str ? resp.error_message.str : "");
    if (!e && epoch >= 0 && g->nsubs) {
        if (resp.member_id.len > 0 && (size_t)resp.member_id.len < sizeof(g->member_id))
            snprintf(g->member_id, sizeof(g->member_id), "%.*s", resp.member_id.len, resp.member_id.str);
        bool joined = g->generation < 0;
        g->generation = resp.member_epoch;
        if (resp.heartbeat_interval_ms > 0)
            g->heartbeat_ms = resp.heartbeat_interval_ms;
        g->last_hb_ok_ms = kafka__now_ms();
        g->in_group848 = true;
        if (joined) {
            g->state = KAFKA__GS_STABLE;
            kafka__log(g->c->conf, KAFKA__LOG_INFO, "GROUP", NULL, "group %s: member %s joined at epoch %d",
                       g->group_id, g->member_id, (int)g->generation);
        }
        if (resp.assignment) {
            size_t n = 0;
            const kafka_consumer_group_heartbeat_response_assignment_t *a = resp.assignment;
            for (int32_t t = 0; t < a->topic_partitions.count; t++)
                n += (size_t)(a->topic_partitions.items[t].partitions.count > 0
                                  ? a->topic_partitions.items[t].partitions.count
                                  : 0);
            kafka__tp848_t *p = malloc((n + 1) * sizeof(*p));
            if (p) {
                size_t k = 0;
                for (int32_t t = 0; t < a->topic_partitions.count; t++)
                    for (int32_t i = 0; i < a->topic_partitions.items[t].partitions.count; i++)
                        p[k++] = (kafka__tp848_t){a->topic_partitions.items[t].topic_id,
                                                  a->topic_partitions.items[t].partitions.items[i]};
                free(g->pending);
                g->pending = p;
                g->npending = k;
                g->has_pending = true;
            } else {
                e = KAFKA_ERR__NO_MEMORY;
                snprintf(why, why_size, "out of memory for the assignment");
            }
        }
    }
    if (epoch >= 0)
        g->in_group848 = !e || !(e == KAFKA_ERR_FENCED_MEMBER_EPOCH || e == KAFKA_ERR_UNKNOWN_MEMBER_ID || fatal(e));
    else
        g->in_group848 = false;
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

void kafka__group848_leave(kafka__group_t *g, const char *reason) {
    bool send = g->in_group848; /* also after max.poll.interval.ms dropped the epoch */
    int32_t epoch = g->instance_id ? -2 : -1;
    g->generation = -1;
    g->leader = false;
    g->nrevoking = g->ntarget = 0;
    g->has_pending = false;
    if (!send)
        return;
    if (g->coord.bc == NULL)
        g->coord.retry_at = 0; /* leaving is worth a connection now */
    char why[600];
    kafka_err_t e = heartbeat(g, epoch, why, sizeof(why));
    kafka__log(g->c->conf, e ? KAFKA__LOG_NOTICE : KAFKA__LOG_INFO, "GROUP", NULL,
               "group %s: member %s %s with epoch %d (%s)%s%s", g->group_id, g->member_id,
               e ? "could not leave" : "left", (int)epoch, reason, e ? ": " : "", e ? why : "");
}

void kafka__group848_step(kafka__group_t *g, kafka__backoff_t *backoff) {
    kafka_consumer_t *c = g->c;
    char why[700];
    int64_t now = kafka__now_ms();
    bool member = g->generation >= 0;
    if (member && now - g->last_hb_ok_ms > g->session_ms) {
        snprintf(why, sizeof(why), "no heartbeat answered for session.timeout.ms %d", (int)g->session_ms);
        kafka__group_lose(g, why);
        return;
    }
    bool revoking = g->revoke_acked < g->revoke_seq;
    if (!revoking && g->nrevoking) {
        revoked(g);
        g->next_hb_ms = now; /* tell the coordinator at once: the partitions' next owner waits */
        return;
    }
    if (!revoking && g->state == KAFKA__GS_REVOKING)
        g->state = KAFKA__GS_STABLE;
    if (g->has_pending) {
        if (resolve_pending(g)) {
            apply_target(g);
            return;
        }
        pthread_mutex_unlock(&g->lock);
        kafka__connection_refresh_wait(c->cluster, NOW_AGAIN_MS, why, sizeof(why));
        pthread_mutex_lock(&g->lock);
    }
    if (g->rejoin) { /* a subscription change, a pattern match, a fence: heartbeat now */
        g->rejoin = false;
        g->next_hb_ms = now;
        if (!member)
            g->state = KAFKA__GS_JOINING;
    }
    if (now >= g->next_hb_ms) {
        kafka_err_t e = heartbeat(g, member ? g->generation : 0, why, sizeof(why));
        g->next_hb_ms = kafka__now_ms() + (e == KAFKA_ERR__STATE ? NOW_AGAIN_MS : g->heartbeat_ms);
        if (!e || g->stop) {
            kafka__backoff_reset(backoff);
            return;
        }
        kafka__log(c->conf, KAFKA__LOG_NOTICE, "GROUP", "heartbeat", "group %s: ConsumerGroupHeartbeat: %s",
                   g->group_id, why);
        if (e == KAFKA_ERR__STATE) {
            pthread_mutex_unlock(&g->lock);
            kafka__connection_refresh_wait(c->cluster, NOW_AGAIN_MS, why, sizeof(why));
            pthread_mutex_lock(&g->lock);
        } else if (e == KAFKA_ERR_FENCED_MEMBER_EPOCH || e == KAFKA_ERR_UNKNOWN_MEMBER_ID) {
            char msg[800];
            snprintf(msg, sizeof(msg), "ConsumerGroupHeartbeat: %s", why);
            kafka__group_lose(g, msg); /* rejoins at once with epoch 0, the same member id */
        } else if (fatal(e)) {
            g->state = KAFKA__GS_FATAL;
            kafka__group_lose(g, why);
            kafka__group_post_error(g, e, "group %s: %s", g->group_id, why);
            kafka__group_wake_locked(g);
        } else if (e < 0 || e == KAFKA_ERR_NOT_COORDINATOR || e == KAFKA_ERR_COORDINATOR_NOT_AVAILABLE ||
                   e == KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
            kafka__group_on_error(g, e, "ConsumerGroupHeartbeat", why); /* the coordinator is looked up again */
        } else {
            kafka__group_post_error(g, e, "group %s: ConsumerGroupHeartbeat: %s", g->group_id, why);
            kafka__group_wake_locked(g);
            g->next_hb_ms = kafka__now_ms() + kafka__backoff_next(backoff);
        }
        return;
    }
    int64_t until = g->next_hb_ms;
    if (until > now + 100)
        until = now + 100; /* max.poll.interval.ms and acknowledgements are looked at often enough */
    if (!g->stop)
        kafka__cond_wait_until(&g->cv, &g->lock, until > now ? until : now + 1);
}
