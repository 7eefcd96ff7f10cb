/* KIP-848 consumer groups of the group coordinator: members heartbeat
 * (ConsumerGroupHeartbeat, h68) with their subscription and the partitions they own; the
 * coordinator keeps a group epoch (bumped when members join or leave, subscriptions or
 * the subscribed topics change), computes a target assignment with a server-side
 * assignor (assign848.c) at that epoch, and reconciles each member towards its target as
 * Kafka's CurrentAssignmentBuilder does:
 *  - a member holding partitions its target no longer has keeps its epoch and is told
 *    to give them up (UNREVOKED); the heartbeat whose owned partitions no longer list
 *    them acknowledges the revocation;
 *  - then it moves to the assignment epoch and gets its target minus what other members
 *    still hold (UNRELEASED until those are released), so a partition never has two
 *    owners;
 *  - members past their session timeout, or revoking for longer than their rebalance
 *    timeout, are removed; a static member (InstanceId) leaving with epoch -2 keeps its
 *    place until its session ends, and a new member with its instance id takes it over. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"
#include "util/clock.h"

#define DEFAULT_REBALANCE_TIMEOUT_MS 300000 /* Java's max.poll.interval.ms default */

/* ---- partition sets ---- */

static bool tp_eq(const kmock_tp848_t *a, const kmock_tp848_t *b) {
    return a->partition == b->partition && memcmp(a->topic.b, b->topic.b, 16) == 0;
}

bool kmock__tpset_has(const kmock_tpset_t *s, const kmock_tp848_t *tp) {
    for (int i = 0; i < s->n; i++)
        if (tp_eq(&s->v[i], tp))
            return true;
    return false;
}

bool kmock__tpset_add(kmock_tpset_t *s, const kmock_tp848_t *tp) {
    if (kmock__tpset_has(s, tp))
        return true;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        kmock_tp848_t *v = realloc(s->v, (size_t)cap * sizeof(*v));
        if (!v)
            return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *tp;
    return true;
}

void kmock__tpset_clear(kmock_tpset_t *s) {
    s->n = 0;
}

void kmock__tpset_free(kmock_tpset_t *s) {
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static bool tpset_same(const kmock_tpset_t *a, const kmock_tpset_t *b) {
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (!kmock__tpset_has(b, &a->v[i]))
            return false;
    return true;
}

/* ---- members ---- */

static void subscription_free(kmock_cmember_t *mem) {
    for (int i = 0; i < mem->ntopics; i++)
        free(mem->topics[i]);
    free(mem->topics);
    mem->topics = NULL;
    mem->ntopics = 0;
}

static void regex_free(kmock_cmember_t *mem) {
    if (mem->re) {
        regfree(mem->re);
        free(mem->re);
    }
    mem->re = NULL;
    free(mem->regex);
    mem->regex = NULL;
}

static void cmember_free(kmock_cmember_t *mem) {
    subscription_free(mem);
    regex_free(mem);
    kmock__tpset_free(&mem->assigned);
    kmock__tpset_free(&mem->revoking);
    kmock__tpset_free(&mem->target);
    free(mem->id);
    free(mem->instance_id);
    free(mem->client_id);
    free(mem->rack_id);
    free(mem->assignor);
    free(mem);
}

static kmock_cmember_t *cmember_find(kmock_group_t *g, kafka_str_t id) {
    for (kmock_cmember_t *mem = g->cmembers; mem; mem = mem->next)
        if (id.len >= 0 && kafka_str_eq(id, mem->id))
            return mem;
    return NULL;
}

static kmock_cmember_t *cmember_find_instance(kmock_group_t *g, kafka_str_t instance_id) {
    if (instance_id.len < 0)
        return NULL;
    for (kmock_cmember_t *mem = g->cmembers; mem; mem = mem->next)
        if (mem->instance_id && kafka_str_eq(instance_id, mem->instance_id))
            return mem;
    return NULL;
}

static void cmember_unlink(kmock_group_t *g, kmock_cmember_t *mem) {
    for (kmock_cmember_t **pp = &g->cmembers; *pp; pp = &(*pp)->next) {
        if (*pp == mem) {
            *pp = mem->next;
            return;
        }
    }
}

static void cmember_remove(kmock_group_t *g, kmock_cmember_t *mem) {
    cmember_unlink(g, mem);
    cmember_free(mem);
    g->group_epoch++;
}

int kmock__group848_count(const kmock_group_t *g) {
    int n = 0;
    for (const kmock_cmember_t *mem = g->cmembers; mem; mem = mem->next)
        n++;
    return n;
}

void kmock__group848_free(kmock_group_t *g) {
    for (kmock_cmember_t *mem = g->cmembers, *n; mem; mem = n) {
        n = mem->next;
        cmember_free(mem);
    }
    g->cmembers = NULL;
}

int16_t kmock__group848_expire(kmock_group_t *g, const char *member_id) {
    if (!member_id) {
        bool any = g->cmembers != NULL;
        kmock__group848_free(g);
        g->group_epoch += any;
        return 0;
    }
    kmock_cmember_t *mem = cmember_find(g, kafka_str(member_id));
    if (!mem)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    cmember_remove(g, mem);
    return 0;
}

void kmock__group848_tick(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms) {
    for (kmock_cmember_t *mem = g->cmembers, *n; mem; mem = n) {
        n = mem->next;
        bool expired = now_ms - mem->last_seen_ms > m->conf.consumer_session_timeout_ms;
        int32_t rt = mem->rebalance_timeout_ms > 0 ? mem->rebalance_timeout_ms : DEFAULT_REBALANCE_TIMEOUT_MS;
        bool stuck = mem->state == KMOCK_CM_UNREVOKED && now_ms - mem->revoking_since_ms > rt;
        if (expired || stuck)
            cmember_remove(g, mem);
    }
}

const char *kmock__group848_state(const kmock_group_t *g) {
    if (!g->cmembers)
        return "Empty";
    if (g->assignment_epoch < g->group_epoch)
        return "Assigning";
    for (const kmock_cmember_t *mem = g->cmembers; mem; mem = mem->next)
        if (mem->epoch != g->assignment_epoch || mem->state != KMOCK_CM_STABLE)
            return "Reconciling";
    return "Stable";
}

int16_t kmock__group848_commit_check(kmock_group_t *g, kafka_str_t member_id, int32_t epoch, int16_t version) {
    if (epoch < 0 && !g->cmembers)
        return 0;
    kmock_cmember_t *mem = cmember_find(g, member_id);
    if (!mem)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (version < 9)
        return KAFKA_ERR_UNSUPPORTED_VERSION;
    return epoch == mem->epoch ? 0 : KAFKA_ERR_STALE_MEMBER_EPOCH;
}

/* ---- the subscribed topics ---- */

bool kmock__cmember_subscribes(const kmock_cmember_t *mem, const kmock_topic_t *t) {
    for (int i = 0; i < mem->ntopics; i++)
        if (strcmp(mem->topics[i], t->name) == 0)
            return true;
    return mem->re && regexec(mem->re, t->name, 0, NULL, 0) == 0;
}

/* What the target assignment depends on besides the members: the ids and partition
 * counts of the topics someone subscribes to (FNV-1a). */
static uint64_t subscribed_sig(kafka_mock_t *m, const kmock_group_t *g) {
    uint64_t h = 1469598103934665603u;
    for (const kmock_topic_t *t = m->topics; t; t = t->next) {
        bool any = false;
        for (const kmock_cmember_t *mem = g->cmembers; mem && !any; mem = mem->next)
            any = kmock__cmember_subscribes(mem, t);
        if (!any)
            continue;
        for (int i = 0; i < 16; i++)
            h = (h ^ t->id.b[i]) * 1099511628211u;
        h = (h ^ (uint64_t)(uint32_t)t->npartitions) * 1099511628211u;
    }
    return h;
}

/* ---- reconciliation ---- */

/* Whether a member other than mem holds tp (assigned or still revoking). */
static bool held_by_other(const kmock_group_t *g, const kmock_cmember_t *mem, const kmock_tp848_t *tp) {
    for (const kmock_cmember_t *o = g->cmembers; o; o = o->next)
        if (o != mem && (kmock__tpset_has(&o->assigned, tp) || kmock__tpset_has(&o->revoking, tp)))
            return true;
    return false;
}

/* Moves mem towards its target (see the top). owned: what the request says it owns
 * (NULL: not told). false when out of memory. */
static bool reconcile(kmock_group_t *g, kmock_cmember_t *mem, const kmock_tpset_t *owned, int64_t now_ms) {
    if (mem->state == KMOCK_CM_UNREVOKED) {
        bool released = owned != NULL;
        for (int i = 0; released && i < mem->revoking.n; i++)
            released = !kmock__tpset_has(owned, &mem->revoking.v[i]);
        if (!released)
            return true;
        kmock__tpset_clear(&mem->revoking);
        mem->state = KMOCK_CM_STABLE;
    }
    if (mem->epoch == g->assignment_epoch && mem->state == KMOCK_CM_STABLE)
        return true;
    /* What it holds that the target moved elsewhere goes first. */
    kmock_tpset_t keep = {0};
    bool ok = true;
    for (int i = 0; i < mem->assigned.n; i++) {
        if (kmock__tpset_has(&mem->target, &mem->assigned.v[i]))
            ok &= kmock__tpset_add(&keep, &mem->assigned.v[i]);
        else
            ok &= kmock__tpset_add(&mem->revoking, &mem->assigned.v[i]);
    }
    if (mem->revoking.n) {
        kmock__tpset_free(&mem->assigned);
        mem->assigned = keep;
        mem->state = KMOCK_CM_UNREVOKED;
        mem->revoking_since_ms = now_ms;
        mem->changed = true;
        return ok;
    }
    /* Nothing to give up: the new epoch, with what the others have released. */
    bool missing = false;
    for (int i = 0; i < mem->target.n; i++) {
        if (held_by_other(g, mem, &mem->target.v[i]))
            missing = true;
        else
            ok &= kmock__tpset_add(&keep, &mem->target.v[i]);
    }
    if (!tpset_same(&keep, &mem->assigned))
        mem->changed = true;
    kmock__tpset_free(&mem->assigned);
    mem->assigned = keep;
    if (mem->epoch != g->assignment_epoch) {
        mem->prev_epoch = mem->epoch;
        mem->epoch = g->assignment_epoch;
    }
    mem->state = missing ? KMOCK_CM_UNRELEASED : KMOCK_CM_STABLE;
    return ok;
}

/* ---- the heartbeat ---- */

static bool str_differs(const char *have, kafka_str_t s) {
    return s.len >= 0 && (!have || !kafka_str_eq(s, have));
}

/* Takes the request's subscription fields that are set; true when they changed it. *err
 * on a bad regex or no memory. */
static bool take_subscription(kmock_cmember_t *mem, const kafka_consumer_group_heartbeat_request_t *req,
                              int16_t *err) {
    bool changed = false;
    if (req->subscribed_topic_names.count >= 0) {
        bool same = req->subscribed_topic_names.count == mem->ntopics;
        for (int i = 0; same && i < mem->ntopics; i++) {
            bool found = false;
            for (int k = 0; k < req->subscribed_topic_names.count && !found; k++)
                found = kafka_str_eq(req->subscribed_topic_names.items[k], mem->topics[i]);
            same = found;
        }
        if (!same) {
            subscription_free(mem);
            int n = req->subscribed_topic_names.count;
            mem->topics = calloc((size_t)(n ? n : 1), sizeof(char *));
            for (int k = 0; mem->topics && k < n; k++) {
                kafka_str_t s = req->subscribed_topic_names.items[k];
                if (!(mem->topics[k] = strndup(s.str ? s.str : "", (size_t)(s.len > 0 ? s.len : 0))))
                    break;
                mem->ntopics++;
            }
            if (mem->ntopics != n)
                *err = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            changed = true;
        }
    }
    if (str_differs(mem->regex, req->subscribed_topic_regex)) {
        regex_free(mem);
        kafka_str_t s = req->subscribed_topic_regex;
        if (s.len > 0) {
            /* Kafka matches the whole name (RE2J); POSIX extended is close enough for tests. */
            char *anchored = malloc((size_t)s.len + 5);
            mem->regex = strndup(s.str, (size_t)s.len);
            mem->re = malloc(sizeof(regex_t));
            if (!anchored || !mem->regex || !mem->re) {
                free(anchored);
                regex_free(mem);
                *err = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                return true;
            }
            snprintf(anchored, (size_t)s.len + 5, "^(%s)$", mem->regex);
            int rc = regcomp(mem->re, anchored, REG_EXTENDED | REG_NOSUB);
            free(anchored);
            if (rc) {
                free(mem->re);
                mem->re = NULL;
                regex_free(mem);
                *err = KAFKA_ERR_INVALID_REGULAR_EXPRESSION;
            }
        }
        changed = true;
    }
    if (str_differs(mem->assignor, req->server_assignor)) {
        kafka_str_t a = req->server_assignor;
        free(mem->assignor);
        mem->assignor = a.len > 0 ? strndup(a.str, (size_t)a.len) : NULL;
        changed = true;
    }
    if (req->rebalance_timeout_ms > 0)
        mem->rebalance_timeout_ms = req->rebalance_timeout_ms;
    return changed;
}

static int16_t fail(kafka_consumer_group_heartbeat_response_t *r, int16_t err, const char *msg) {
    r->error_code = err;
    r->error_message = kafka_str(msg);
    return err;
}

/* Epoch 0: a new member, or a static member taking its instance's place over. */
static kmock_cmember_t *join(kmock_req_t *rq, kmock_group_t *g, const kafka_consumer_group_heartbeat_request_t *req,
                             kafka_consumer_group_heartbeat_response_t *r) {
    if (req->subscribed_topic_names.count < 0 && req->subscribed_topic_regex.len <= 0) {
        fail(r, KAFKA_ERR_INVALID_REQUEST, "SubscribedTopicNames or SubscribedTopicRegex must be set when joining");
        return NULL;
    }
    kmock_cmember_t *old = req->member_id.len > 0 ? cmember_find(g, req->member_id) : NULL;
    kmock_cmember_t *st = cmember_find_instance(g, req->instance_id);
    if (st && !st->left_static && st != old) {
        fail(r, KAFKA_ERR_UNRELEASED_INSTANCE_ID, "the instance id is in use by another member: it must leave first");
        return NULL;
    }
    if (old && old != st) /* rejoins after a fence: what it held is gone */
        cmember_remove(g, old);
    kmock_cmember_t *mem = calloc(1, sizeof(*mem));
    if (!mem) {
        fail(r, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
        return NULL;
    }
    char id[KMOCK_MEMBER_ID_MAX];
    if (req->member_id.len > 0) {
        snprintf(id, sizeof(id), "%.*s", req->member_id.len, req->member_id.str);
    } else { /* v0 clients let the coordinator name them */
        kafka_uuid_t u;
        kmock__uuid_random(&u);
        int k = 0;
        for (int i = 0; i < 16; i++)
            k += snprintf(id + k, sizeof(id) - (size_t)k, "%02x", u.b[i]);
    }
    mem->id = strdup(id);
    mem->instance_id = req->instance_id.len > 0 ? strndup(req->instance_id.str, (size_t)req->instance_id.len) : NULL;
    kafka_str_t client = rq->hdr->client_id;
    mem->client_id = strndup(client.len > 0 ? client.str : "", client.len > 0 ? (size_t)client.len : 0);
    mem->rack_id = req->rack_id.len >= 0 && req->rack_id.str ? strndup(req->rack_id.str, (size_t)req->rack_id.len) : NULL;
    if (!mem->id || (req->instance_id.len > 0 && !mem->instance_id) || !mem->client_id ||
        (req->rack_id.len >= 0 && req->rack_id.str && !mem->rack_id)) {
        cmember_free(mem);
        fail(r, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
        return NULL;
    }
    if (st) { /* KIP-848 static membership: the same assignment and epoch, no rebalance */
        mem->epoch = st->epoch;
        mem->prev_epoch = st->prev_epoch;
        mem->state = st->state;
        mem->assigned = st->assigned;
        mem->revoking = st->revoking;
        mem->target = st->target;
        memset(&st->assigned, 0, sizeof(st->assigned));
        memset(&st->revoking, 0, sizeof(st->revoking));
        memset(&st->target, 0, sizeof(st->target));
        mem->topics = st->topics;
        mem->ntopics = st->ntopics;
        mem->regex = st->regex;
        mem->re = st->re;
        mem->assignor = st->assignor;
        st->topics = NULL;
        st->ntopics = 0;
        st->regex = st->assignor = NULL;
        st->re = NULL;
        mem->rebalance_timeout_ms = st->rebalance_timeout_ms;
        mem->revoking_since_ms = st->revoking_since_ms;
        cmember_unlink(g, st);
        cmember_free(st);
    } else {
        g->group_epoch++;
    }
    mem->changed = true;
    mem->last_seen_ms = rq->now_ms;
    mem->next = g->cmembers;
    g->cmembers = mem;
    return mem;
}

/* The request's owned partitions as a set (NULL when it did not say). */
static const kmock_tpset_t *owned_of(const kafka_consumer_group_heartbeat_request_t *req, kmock_tpset_t *set) {
    if (req->topic_partitions.count < 0)
        return NULL;
    for (int32_t t = 0; t < req->topic_partitions.count; t++) {
        const kafka_consumer_group_heartbeat_request_topic_partitions_t *tp = &req->topic_partitions.items[t];
        for (int32_t p = 0; p < tp->partitions.count; p++)
            kmock__tpset_add(set, &(kmock_tp848_t){tp->topic_id, tp->partitions.items[p]});
    }
    return set;
}

static bool subset(const kmock_tpset_t *a, const kmock_tpset_t *b) {
    for (int i = 0; a && i < a->n; i++)
        if (!kmock__tpset_has(b, &a->v[i]))
            return false;
    return true;
}

/* The member's assignment, by topic id. */
static void fill_assignment(kmock_req_t *rq, const kmock_cmember_t *mem, kafka_consumer_group_heartbeat_response_t *r) {
    kafka_consumer_group_heartbeat_response_assignment_t *a = kafka__arena_alloc(rq->arena, sizeof(*a));
    if (!a)
        return;
    memset(a, 0, sizeof(*a));
    int ntopics = 0;
    kafka_uuid_t *ids = kafka__arena_alloc(rq->arena, (size_t)(mem->assigned.n + 1) * sizeof(*ids));
    for (int i = 0; ids && i < mem->assigned.n; i++) {
        int k = 0;
        while (k < ntopics && memcmp(ids[k].b, mem->assigned.v[i].topic.b, 16) != 0)
            k++;
        if (k == ntopics)
            ids[ntopics++] = mem->assigned.v[i].topic;
    }
    KMOCK_ARRAY(a->topic_partitions, rq, "TopicPartitions", ntopics);
    for (int32_t k = 0; k < a->topic_partitions.count; k++) {
        kafka_consumer_group_heartbeat_response_topic_partitions_t *tp = &a->topic_partitions.items[k];
        tp->topic_id = ids[k];
        int32_t *parts = kafka__arena_alloc(rq->arena, (size_t)mem->assigned.n * sizeof(int32_t));
        int32_t n = 0;
        for (int i = 0; parts && i < mem->assigned.n; i++) {
            if (memcmp(mem->assigned.v[i].topic.b, ids[k].b, 16) != 0)
                continue;
            /* ascending, as Kafka sends them */
            int32_t p = mem->assigned.v[i].partition, j = n++;
            for (; j > 0 && parts[j - 1] > p; j--)
                parts[j] = parts[j - 1];
            parts[j] = p;
        }
        tp->partitions.items = parts;
        tp->partitions.count = parts ? n : 0;
    }
    r->assignment = a;
}

void kmock__group848_heartbeat(kmock_req_t *rq, kmock_group_t *g, const kafka_consumer_group_heartbeat_request_t *req,
                               kafka_consumer_group_heartbeat_response_t *r) {
    kafka_mock_t *m = rq->m;
    r->heartbeat_interval_ms = m->conf.consumer_heartbeat_interval_ms;
    r->member_epoch = req->member_epoch;
    kmock__group848_tick(m, g, rq->now_ms);
    int32_t epoch = req->member_epoch;
    kmock_cmember_t *mem = NULL;
    if (epoch == -1 || epoch == -2) { /* leave; -2: a static member that comes back */
        mem = cmember_find(g, req->member_id);
        if (!mem) {
            fail(r, KAFKA_ERR_UNKNOWN_MEMBER_ID, "the member is not in the group");
            return;
        }
        r->member_id = kafka_str(NULL);
        if (epoch == -2 && mem->instance_id) {
            mem->left_static = true;
            mem->last_seen_ms = rq->now_ms;
        } else {
            cmember_remove(g, mem);
            epoch = -1;
        }
        r->member_epoch = epoch;
        r->member_id = req->member_id;
        return;
    }
    if (epoch < 0) {
        fail(r, KAFKA_ERR_INVALID_REQUEST, "MemberEpoch must be 0 to join, -1 or -2 to leave, else the member's");
        return;
    }
    kmock_tpset_t owned_set = {0};
    const kmock_tpset_t *owned = owned_of(req, &owned_set);
    int16_t err = 0;
    if (epoch == 0) {
        if (!(mem = join(rq, g, req, r)))
            goto out;
    } else {
        mem = cmember_find(g, req->member_id);
        if (!mem || mem->left_static) {
            fail(r, KAFKA_ERR_UNKNOWN_MEMBER_ID, "the member is not in the group (its session may have expired)");
            goto out;
        }
        /* ConsumerGroupMember epoch check: a member that lost our last answer may retry
         * with its previous epoch when it owns nothing beyond what it has now. */
        bool previous_ok = epoch == mem->prev_epoch && subset(owned, &mem->assigned);
        if (epoch > mem->epoch || (epoch < mem->epoch && !previous_ok)) {
            fail(r, KAFKA_ERR_FENCED_MEMBER_EPOCH, "the member epoch is not the member's: it must rejoin with epoch 0");
            goto out;
        }
        if (epoch < mem->epoch)
            mem->changed = true; /* it missed the answer that carried the assignment */
    }
    mem->last_seen_ms = rq->now_ms;
    if (take_subscription(mem, req, &err))
        g->group_epoch++;
    if (err) {
        fail(r, err, err == KAFKA_ERR_INVALID_REGULAR_EXPRESSION ? "SubscribedTopicRegex does not compile"
                                                                 : "out of memory");
        goto out;
    }
    const char *assignor = mem->assignor ? mem->assignor : m->conf.consumer_assignor;
    if (strcmp(assignor, "uniform") != 0 && strcmp(assignor, "range") != 0) {
        fail(r, KAFKA_ERR_UNSUPPORTED_ASSIGNOR, "the coordinator has the uniform and range assignors");
        goto out;
    }
    uint64_t sig = subscribed_sig(m, g);
    if (sig != g->subscribed_sig) {
        g->subscribed_sig = sig;
        g->group_epoch++;
    }
    if (g->assignment_epoch < g->group_epoch) {
        if (!kmock__assign848(m, g, assignor)) {
            fail(r, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
            goto out;
        }
        g->assignment_epoch = g->group_epoch;
        g->assignor848 = strcmp(assignor, "range") == 0 ? "range" : "uniform";
    }
    if (!reconcile(g, mem, owned, rq->now_ms)) {
        fail(r, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
        goto out;
    }
    r->member_id = kafka_str(mem->id);
    r->member_epoch = mem->epoch;
    bool owned_differs = owned && !tpset_same(owned, &mem->assigned) && mem->state != KMOCK_CM_UNREVOKED;
    if (mem->changed || epoch == 0 || owned_differs) {
        fill_assignment(rq, mem, r);
        mem->changed = false;
    }
out:
    kmock__tpset_free(&owned_set);
}
