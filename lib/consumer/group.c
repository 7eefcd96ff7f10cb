/* Group membership, the application's side: kafka_consumer_subscribe/unsubscribe, the
 * rebalance callback, the group's events served by poll() (kafka__group_serve), the
 * member's identity for commits, and the group object's life. The group thread is
 * member.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "consumer/group.h"
#include "consumer/loop.h"
#include "core/conf_int.h"
#include "group/assignor.h"
#include "util/clock.h"
#include "util/cond.h"

kafka__group_t *kafka__group_of(kafka_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    kafka__group_t *g = c->group;
    pthread_mutex_unlock(&c->lock);
    return g;
}

kafka__gevent_t *kafka__gevent_new(kafka__gev_kind_t kind, const kafka_topic_partition_t *tps, size_t n) {
    kafka__gevent_t *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->kind = kind;
    if (n) {
        if (!(ev->tps = malloc(n * sizeof(*tps)))) {
            free(ev);
            return NULL;
        }
        memcpy(ev->tps, tps, n * sizeof(*tps));
        ev->n = n;
    }
    return ev;
}

static void gevent_free(kafka__gevent_t *ev) {
    if (ev)
        free(ev->tps);
    free(ev);
}

void kafka__group_post(kafka__group_t *g, kafka__gevent_t *ev) {
    ev->next = NULL;
    *g->ev_tail = ev;
    g->ev_tail = &ev->next;
}

void kafka__group_wake_poll(kafka__group_t *g) {
    kafka__loop_t *loop = g->c->loop; /* made before the group */
    pthread_mutex_lock(&loop->lock);
    loop->group_wake = true;
    pthread_cond_broadcast(&loop->ready);
    pthread_mutex_unlock(&loop->lock);
}

bool kafka__group_active(kafka__group_t *g) {
    pthread_mutex_lock(&g->lock);
    bool active = g->nsubs > 0 || g->ev_head != NULL;
    pthread_mutex_unlock(&g->lock);
    return active;
}

/* ---- the group object ---- */

static void free_subs(kafka__gsub_t *subs, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (subs[i].is_re)
            regfree(&subs[i].re);
    free(subs);
}

static kafka__group_t *group_new(kafka_consumer_t *c) {
    kafka__group_t *g = calloc(1, sizeof(*g));
    const char *id = kafka_conf_str(c->conf, KAFKA_CONF_GROUP_ID);
    const char *instance = kafka_conf_str(c->conf, KAFKA_CONF_GROUP_INSTANCE_ID);
    if (!g || !(g->group_id = strdup(id)) || (instance && *instance && !(g->instance_id = strdup(instance)))) {
        if (g)
            free((char *)g->group_id);
        free(g);
        return NULL;
    }
    g->c = c;
    pthread_mutex_init(&g->lock, NULL);
    kafka__cond_init(&g->cv);
    g->session_ms = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_SESSION_TIMEOUT_MS);
    g->heartbeat_ms = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_HEARTBEAT_INTERVAL_MS);
    g->max_poll_ms = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_MAX_POLL_INTERVAL_MS);
    int64_t age = kafka_conf_int(c->conf, KAFKA_CONF_METADATA_MAX_AGE_MS);
    g->regex_refresh_ms = age < 5000 ? age : 5000;
    /* The property is validated and canonical: known names, one kind. */
    const char *s = kafka_conf_str(c->conf, KAFKA_CONF_PARTITION_ASSIGNMENT_STRATEGY);
    static const char *const names[] = {KAFKA__ASSIGNOR_RANGE, KAFKA__ASSIGNOR_ROUNDROBIN,
                                        KAFKA__ASSIGNOR_COOPERATIVE_STICKY};
    while (s && *s && g->nstrategies < 3) {
        size_t len = strcspn(s, ",");
        for (int k = 0; k < 3; k++)
            if (strlen(names[k]) == len && strncmp(names[k], s, len) == 0)
                g->strategies[g->nstrategies++] = names[k];
        s += len + (s[len] == ',');
    }
    if (!g->nstrategies)
        g->strategies[g->nstrategies++] = KAFKA__ASSIGNOR_RANGE;
    g->cooperative = strcmp(g->strategies[0], KAFKA__ASSIGNOR_COOPERATIVE_STICKY) == 0;
    g->kip848 = kafka_conf_int(c->conf, KAFKA_CONF_GROUP_PROTOCOL) == KAFKA_GROUP_PROTOCOL_CONSUMER;
    g->generation = -1;
    g->state = KAFKA__GS_IDLE;
    g->ev_tail = &g->ev_head;
    g->coord_fd = -1;
    atomic_init(&g->last_poll_ms, kafka__now_ms());
    atomic_init(&g->in_poll, 0);
    kafka__broker_init(&g->coord, c->conf, kafka__connection_vcaps(c->cluster), "GROUP", -1, "", 0, kafka__group_coord_state, g);
    return g;
}

void kafka__group_destroy(kafka__group_t *g) {
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    if (g->in_call && g->coord_fd >= 0 && !g->kip848) /* KIP-848 calls are short: let the leave follow */
        shutdown(g->coord_fd, SHUT_RDWR); /* a JoinGroup waiting at the barrier */
    pthread_cond_broadcast(&g->cv);
    bool started = g->started;
    pthread_mutex_unlock(&g->lock);
    if (started)
        pthread_join(g->thread, NULL);
    for (kafka__gevent_t *ev = g->ev_head, *next; ev; ev = next) {
        next = ev->next;
        gevent_free(ev);
    }
    free_subs(g->subs, g->nsubs);
    free(g->topics);
    free(g->owned);
    free(g->counts);
    free(g->target);
    free(g->revoking);
    free(g->pending);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->lock);
    free((char *)g->group_id);
    free((char *)g->instance_id);
    free(g);
}

/* ---- subscribe ---- */

void kafka_consumer_set_rebalance_cb(kafka_consumer_t *c, kafka_rebalance_cb_t *cb, void *opaque) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->rebalance_cb = cb;
    c->rebalance_opaque = opaque;
    kafka__group_t *g = c->group;
    pthread_mutex_unlock(&c->lock);
    if (g) {
        pthread_mutex_lock(&g->lock);
        g->cb = cb;
        g->cb_opaque = opaque;
        pthread_mutex_unlock(&g->lock);
    }
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool kafka__group_set_topics(kafka__group_t *g, const char **matched, size_t n) {
    const char **t = malloc((g->nsubs + n + 1) * sizeof(*t));
    if (!t)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < g->nsubs; i++)
        if (!g->subs[i].is_re)
            t[k++] = g->subs[i].name;
    for (size_t i = 0; i < n; i++)
        t[k++] = matched[i];
    qsort(t, k, sizeof(*t), cmp_name);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || t[u - 1] != t[i])
            t[u++] = t[i];
    bool changed = u != g->ntopics;
    for (size_t i = 0; i < u && !changed; i++)
        changed = t[i] != g->topics[i];
    free(g->topics);
    g->topics = t;
    g->ntopics = u;
    return changed;
}

kafka_err_t kafka_consumer_subscribe(kafka_consumer_t *c, const char *const *topics, size_t n, char *errstr,
                                     size_t errstr_size) {
    char why[600];
    if (!c || !topics || !n) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "subscribe: %s", c ? "no topics given" : "no consumer given");
        return c ? kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, "subscribe: no topics given", NULL, 0)
                 : KAFKA_ERR__INVALID_ARG;
    }
    const char *group = kafka_conf_str(c->conf, KAFKA_CONF_GROUP_ID);
    if (!group || !*group || kafka_conf_int(c->conf, KAFKA_CONF_OFFSETS_STORAGE) != KAFKA_OFFSETS_STORAGE_KAFKA)
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_CONF,
                                    "subscribe: a group member needs group.id and offsets.storage=kafka", errstr,
                                    errstr_size);
    kafka__gsub_t *subs = calloc(n, sizeof(*subs));
    if (!subs)
        return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "subscribe: out of memory", errstr, errstr_size);
    kafka_err_t err = KAFKA_OK;
    size_t made = 0;
    for (; made < n && !err; made++) {
        const char *t = topics[made];
        if (!t || !*t) {
            snprintf(why, sizeof(why), "subscribe: entry %zu: an empty topic name", made);
            err = KAFKA_ERR__INVALID_ARG;
            break;
        }
        if (!(subs[made].name = kafka__consumer_intern(c, t))) {
            snprintf(why, sizeof(why), "subscribe: out of memory");
            err = KAFKA_ERR__NO_MEMORY;
            break;
        }
        if (t[0] == '^') {
            int rc = regcomp(&subs[made].re, t, REG_EXTENDED | REG_NOSUB);
            if (rc) {
                char msg[200];
                regerror(rc, &subs[made].re, msg, sizeof(msg));
                snprintf(why, sizeof(why), "subscribe: entry %zu: the pattern %s: %s", made, t, msg);
                err = KAFKA_ERR__INVALID_ARG;
                break;
            }
            subs[made].is_re = true;
        }
    }
    if (err) {
        free_subs(subs, made);
        return kafka__consumer_fail(c, err, why, errstr, errstr_size);
    }
    kafka__loop_t *loop = kafka__loop_get(c);
    kafka__group_t *g = kafka__group_of(c);
    if (loop && !g) {
        pthread_mutex_lock(&loop->lock);
        bool assigned = loop->nparts > 0;
        pthread_mutex_unlock(&loop->lock);
        if (assigned) {
            free_subs(subs, n);
            return kafka__consumer_fail(c, KAFKA_ERR__STATE,
                                        "subscribe: partitions were assigned with kafka_consumer_assign (assign "
                                        "none first)",
                                        errstr, errstr_size);
        }
    }
    kafka__group_t *fresh = NULL;
    if (!loop || (!g && !(g = fresh = group_new(c)))) {
        free_subs(subs, n);
        return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "subscribe: out of memory", errstr, errstr_size);
    }
    pthread_mutex_lock(&c->lock);
    if (!c->group)
        c->group = g;
    g = c->group; /* another thread's subscribe may have made one meanwhile */
    kafka_rebalance_cb_t *cb = c->rebalance_cb;
    void *cb_opaque = c->rebalance_opaque;
    pthread_mutex_unlock(&c->lock);
    if (fresh && fresh != g)
        kafka__group_destroy(fresh);
    for (size_t i = 0; i < n; i++)
        if (!subs[i].is_re)
            kafka__connection_add_topic(c->cluster, subs[i].name);
    pthread_mutex_lock(&g->lock);
    g->cb = cb;
    g->cb_opaque = cb_opaque;
    free_subs(g->subs, g->nsubs);
    g->subs = subs;
    g->nsubs = n;
    g->has_re = false;
    for (size_t i = 0; i < n; i++)
        g->has_re |= subs[i].is_re;
    kafka__group_set_topics(g, NULL, 0);
    g->next_regex_ms = 0; /* patterns are matched before the next join */
    g->patterns_matched = false;
    g->rejoin = true;
    snprintf(g->rejoin_why, sizeof(g->rejoin_why), "subscription changed");
    if (g->state == KAFKA__GS_IDLE)
        g->state = KAFKA__GS_COORDINATOR;
    if (!g->started) {
        if (pthread_create(&g->thread, NULL, kafka__group_main, g) != 0) {
            pthread_mutex_unlock(&g->lock);
            return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "subscribe: cannot start the group thread", errstr,
                                        errstr_size);
        }
        pthread_setname_np(g->thread, "kafka:group");
        g->started = true;
    }
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
    return KAFKA_OK;
}

/* The loop's assignment minus tps[0..n) (plus add[0..nadd)), every start STORED. */
static kafka_err_t reassign(kafka__loop_t *loop, const kafka_topic_partition_t *drop, size_t ndrop,
                            const kafka_topic_partition_t *add, size_t nadd, char *why, size_t why_size) {
    size_t ncur;
    kafka_topic_partition_t *cur = kafka__loop_assignment(loop, &ncur);
    kafka_topic_partition_t *next = malloc((ncur + nadd + 1) * sizeof(*next));
    if (!next) {
        free(cur);
        snprintf(why, why_size, "rebalance: out of memory");
        return KAFKA_ERR__NO_MEMORY;
    }
    size_t k = 0;
    for (size_t i = 0; i < ncur; i++) {
        bool dropped = false;
        for (size_t j = 0; j < ndrop && !dropped; j++)
            dropped = drop[j].partition == cur[i].partition && strcmp(drop[j].topic, cur[i].topic) == 0;
        if (!dropped)
            next[k++] = (kafka_topic_partition_t){cur[i].topic, cur[i].partition, KAFKA_OFFSET_STORED};
    }
    for (size_t j = 0; j < nadd; j++) {
        bool have = false;
        for (size_t i = 0; i < k && !have; i++)
            have = next[i].partition == add[j].partition && strcmp(next[i].topic, add[j].topic) == 0;
        if (!have)
            next[k++] = (kafka_topic_partition_t){add[j].topic, add[j].partition, KAFKA_OFFSET_STORED};
    }
    kafka_err_t err = kafka__loop_assign(loop, next, k, false, why, why_size);
    free(next);
    free(cur);
    return err;
}

static void call_cb(kafka__group_t *g, kafka_rebalance_event_t event, const kafka_topic_partition_t *tps, size_t n) {
    pthread_mutex_lock(&g->lock);
    kafka_rebalance_cb_t *cb = g->cb;
    void *opaque = g->cb_opaque;
    pthread_mutex_unlock(&g->lock);
    if (cb)
        cb(g->c, event, tps, n, opaque);
}

/* Commits the loop's positions before partitions go (auto commit); a failure is kept
 * as the last error, the rebalance goes on. */
static void commit_before_revoke(kafka__group_t *g, kafka__loop_t *loop) {
    if (!loop->auto_commit)
        return;
    char why[700], cause[800];
    kafka_err_t err = kafka__loop_commit_sync(loop, why, sizeof(why));
    if (err) {
        snprintf(cause, sizeof(cause), "rebalance: the revoked partitions' positions were not committed: %s", why);
        kafka__consumer_fail(g->c, err, cause, NULL, 0);
    }
}

kafka_err_t kafka__group_serve(kafka__group_t *g, char *errstr, size_t errstr_size) {
    kafka__loop_t *loop = g->c->loop;
    for (;;) {
        pthread_mutex_lock(&g->lock);
        kafka__gevent_t *ev = g->ev_head;
        if (ev && !(g->ev_head = ev->next))
            g->ev_tail = &g->ev_head;
        pthread_mutex_unlock(&g->lock);
        if (!ev)
            return KAFKA_OK;
        char why[700] = "";
        kafka_err_t err = KAFKA_OK;
        switch (ev->kind) {
        case KAFKA__GEV_REVOKE:
            commit_before_revoke(g, loop);
            call_cb(g, KAFKA_REBALANCE_REVOKED, ev->tps, ev->n);
            err = reassign(loop, ev->tps, ev->n, NULL, 0, why, sizeof(why));
            pthread_mutex_lock(&g->lock);
            if (ev->seq > g->revoke_acked)
                g->revoke_acked = ev->seq;
            pthread_cond_broadcast(&g->cv);
            pthread_mutex_unlock(&g->lock);
            break;
        case KAFKA__GEV_LOST:
            call_cb(g, KAFKA_REBALANCE_LOST, ev->tps, ev->n);
            err = reassign(loop, ev->tps, ev->n, NULL, 0, why, sizeof(why));
            break;
        case KAFKA__GEV_ASSIGN:
            err = reassign(loop, NULL, 0, ev->tps, ev->n, why, sizeof(why));
            if (err) { /* tried again at the next poll */
                pthread_mutex_lock(&g->lock);
                ev->next = g->ev_head;
                if (!g->ev_head)
                    g->ev_tail = &ev->next;
                g->ev_head = ev;
                pthread_mutex_unlock(&g->lock);
                ev = NULL;
                char cause[sizeof(why)];
                snprintf(cause, sizeof(cause), "%s", why);
                snprintf(why, sizeof(why), "rebalance: the assigned partitions did not start: %.600s", cause);
            } else {
                call_cb(g, KAFKA_REBALANCE_ASSIGNED, ev->tps, ev->n);
            }
            break;
        case KAFKA__GEV_ERROR:
            err = ev->err;
            snprintf(why, sizeof(why), "%s", ev->errstr);
            break;
        }
        gevent_free(ev);
        if (err)
            return kafka__consumer_fail(g->c, err, why, errstr, errstr_size);
    }
}

kafka_err_t kafka_consumer_unsubscribe(kafka_consumer_t *c) {
    kafka__group_t *g = c ? kafka__group_of(c) : NULL;
    if (!g)
        return KAFKA_ERR__STATE;
    pthread_mutex_lock(&g->lock);
    bool sub = g->nsubs > 0;
    pthread_mutex_unlock(&g->lock);
    if (!sub)
        return KAFKA_ERR__STATE;
    /* Still in the generation: commit, tell the application, give everything up. */
    kafka__loop_t *loop = c->loop;
    size_t n;
    kafka_topic_partition_t *tps = kafka__loop_assignment(loop, &n);
    commit_before_revoke(g, loop);
    if (n)
        call_cb(g, KAFKA_REBALANCE_REVOKED, tps, n);
    char why[700];
    kafka__loop_assign(loop, NULL, 0, false, why, sizeof(why));
    free(tps);
    pthread_mutex_lock(&g->lock);
    free_subs(g->subs, g->nsubs);
    g->subs = NULL;
    g->nsubs = 0;
    g->has_re = false;
    kafka__group_set_topics(g, NULL, 0);
    for (kafka__gevent_t *ev = g->ev_head, *next; ev; ev = next) {
        next = ev->next;
        gevent_free(ev);
    }
    g->ev_head = NULL;
    g->ev_tail = &g->ev_head;
    g->revoke_acked = g->revoke_seq;
    g->nowned = 0;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
    return KAFKA_OK;
}

/* ---- identity, state ---- */

void kafka__group_identity(kafka__group_t *g, int32_t *generation, char *member_id, size_t member_size,
                           const char **instance_id) {
    pthread_mutex_lock(&g->lock);
    *generation = g->generation;
    snprintf(member_id, member_size, "%s", g->member_id);
    *instance_id = g->instance_id;
    pthread_mutex_unlock(&g->lock);
}

void kafka__group_commit_refused(kafka__group_t *g, kafka_err_t err, int32_t generation) {
    pthread_mutex_lock(&g->lock);
    if (generation == g->generation && generation >= 0 && !g->refused) {
        g->refused = err; /* the group thread takes it as a heartbeat's answer */
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->lock);
}

bool kafka__group_epoch_refresh(kafka__group_t *g, int32_t stale, int timeout_ms) {
    int64_t until = kafka__now_ms() + timeout_ms;
    pthread_mutex_lock(&g->lock);
    g->next_hb_ms = 0; /* the group thread heartbeats now */
    pthread_cond_broadcast(&g->cv);
    while (g->generation == stale && !g->stop && kafka__now_ms() < until) {
        pthread_mutex_unlock(&g->lock);
        kafka__sleep_ms(10);
        pthread_mutex_lock(&g->lock);
    }
    bool changed = g->generation != stale && g->generation >= 0;
    pthread_mutex_unlock(&g->lock);
    return changed;
}

static const char *state_name(kafka__gstate_t s) {
    switch (s) {
    case KAFKA__GS_IDLE:
        return "none";
    case KAFKA__GS_COORDINATOR:
        return "coordinator";
    case KAFKA__GS_REVOKING:
        return "revoking";
    case KAFKA__GS_JOINING:
        return "joining";
    case KAFKA__GS_STABLE:
        return "stable";
    case KAFKA__GS_POLL_EXCEEDED:
        return "poll-exceeded";
    case KAFKA__GS_FATAL:
        return "fenced";
    }
    return "?";
}

kafka_err_t kafka_consumer_group_info(kafka_consumer_t *c, kafka_consumer_group_info_t *info) {
    memset(info, 0, sizeof(*info));
    info->generation = -1;
    snprintf(info->state, sizeof(info->state), "none");
    kafka__group_t *g = c ? kafka__group_of(c) : NULL;
    if (!g)
        return KAFKA_ERR__STATE;
    pthread_mutex_lock(&g->lock);
    kafka__gstate_t st = g->state;
    if (st == KAFKA__GS_STABLE && (g->ev_head || g->rejoin))
        st = KAFKA__GS_JOINING; /* the application has not been served the assignment yet */
    snprintf(info->state, sizeof(info->state), "%s", state_name(st));
    info->generation = g->generation;
    snprintf(info->member_id, sizeof(info->member_id), "%s", g->member_id);
    snprintf(info->protocol, sizeof(info->protocol), "%s", g->protocol);
    info->leader = g->leader;
    info->rebalances = g->rebalances;
    pthread_mutex_unlock(&g->lock);
    return KAFKA_OK;
}
