/* Classic consumer groups of the group coordinator (KIP-848 ones: group848.c): members, sessions, the join round
 * (PreparingRebalance -> CompletingRebalance -> Stable) and its completion. The
 * handlers (h11-h16, h08) drive it; parked JoinGroup/SyncGroup requests look again
 * whenever a group changes (m->parked_recheck) and at kmock__group_deadline(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"
#include "util/clock.h"

static bool str_is(kafka_str_t s, const char *c) { return c && s.len >= 0 && kafka_str_eq(s, c); }

kmock_group_t *kmock__group_find(kafka_mock_t *m, kafka_str_t id) {
    for (kmock_group_t *g = m->groups; g; g = g->next)
        if (str_is(id, g->id))
            return g;
    return NULL;
}

kmock_group_t *kmock__group_get(kafka_mock_t *m, kafka_str_t id) {
    kmock_group_t *g = kmock__group_find(m, id);
    if (g || id.len < 0)
        return g;
    g = calloc(1, sizeof(*g));
    if (!g || !(g->id = strndup(id.str ? id.str : "", (size_t)id.len))) {
        free(g);
        return NULL;
    }
    g->next = m->groups;
    m->groups = g;
    return g;
}

kmock_member_t *kmock__member_find(kmock_group_t *g, kafka_str_t id) {
    for (kmock_member_t *mem = g ? g->members : NULL; mem; mem = mem->next)
        if (str_is(id, mem->id))
            return mem;
    return NULL;
}

kmock_member_t *kmock__member_find_instance(kmock_group_t *g, kafka_str_t instance_id) {
    if (instance_id.len < 0)
        return NULL;
    for (kmock_member_t *mem = g ? g->members : NULL; mem; mem = mem->next)
        if (mem->instance_id && str_is(instance_id, mem->instance_id))
            return mem;
    return NULL;
}

int16_t kmock__group_check(kmock_req_t *rq, kafka_str_t group_id) {
    if (group_id.len <= 0)
        return KAFKA_ERR_INVALID_GROUP_ID;
    return kmock__coordinator(rq->m, group_id.str, group_id.len) == rq->broker ? 0 : KAFKA_ERR_NOT_COORDINATOR;
}

int16_t kmock__member_check(kmock_group_t *g, kafka_str_t member_id, kafka_str_t instance_id, int32_t generation,
                            kmock_member_t **out) {
    *out = NULL;
    kmock_member_t *st = kmock__member_find_instance(g, instance_id);
    if (st && !str_is(member_id, st->id))
        return KAFKA_ERR_FENCED_INSTANCE_ID;
    kmock_member_t *mem = kmock__member_find(g, member_id);
    if (!mem)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (generation >= -1 && generation != g->generation)
        return KAFKA_ERR_ILLEGAL_GENERATION;
    *out = mem;
    return 0;
}

const char *kmock__group_state_name(kmock_group_state_t s) {
    switch (s) {
    case KMOCK_GROUP_EMPTY: return "Empty";
    case KMOCK_GROUP_PREPARING: return "PreparingRebalance";
    case KMOCK_GROUP_COMPLETING: return "CompletingRebalance";
    case KMOCK_GROUP_STABLE: return "Stable";
    }
    return "Dead";
}

static void member_free(kmock_member_t *mem) {
    for (int i = 0; i < mem->nprotocols; i++) {
        free(mem->proto_names[i]);
        free((void *)mem->proto_meta[i].data);
    }
    free(mem->proto_names);
    free(mem->proto_meta);
    free(mem->assignment);
    free(mem->id);
    free(mem->instance_id);
    free(mem->client_id);
    free(mem);
}

void kmock__member_remove(kmock_group_t *g, kmock_member_t *mem) {
    for (kmock_member_t **pp = &g->members; *pp; pp = &(*pp)->next) {
        if (*pp == mem) {
            *pp = mem->next;
            break;
        }
    }
    if (g->leader && strcmp(g->leader, mem->id) == 0) {
        free(g->leader);
        g->leader = NULL;
    }
    member_free(mem);
}

/* A member's session is not running while its JoinGroup waits at the barrier (Kafka
 * does not expire members awaiting a join answer). */
static bool session_runs(const kmock_group_t *g, const kmock_member_t *mem) {
    return !(g->state == KMOCK_GROUP_PREPARING && mem->joined);
}

void kmock__group_rebalance(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms) {
    m->parked_recheck = true;
    if (g->state == KMOCK_GROUP_PREPARING)
        return;
    g->state = KMOCK_GROUP_PREPARING;
    int32_t longest = 0;
    for (kmock_member_t *mem = g->members; mem; mem = mem->next) {
        mem->joined = mem->parked_join;
        int32_t t = mem->rebalance_timeout_ms > 0 ? mem->rebalance_timeout_ms : mem->session_timeout_ms;
        longest = t > longest ? t : longest;
    }
    g->rebalance_deadline_ms = now_ms + longest;
}

/* The protocol every member supports that most members list first among those (Kafka's
 * vote); ties go to the leader's (first member's) preference. */
static const char *select_protocol(const kmock_group_t *g) {
    const kmock_member_t *first = g->members;
    const char *best = NULL;
    int best_votes = -1;
    for (int i = 0; i < first->nprotocols; i++) {
        const char *cand = first->proto_names[i];
        bool all = true;
        for (const kmock_member_t *mem = g->members; mem && all; mem = mem->next) {
            bool has = false;
            for (int k = 0; k < mem->nprotocols && !has; k++)
                has = strcmp(mem->proto_names[k], cand) == 0;
            all = has;
        }
        if (!all)
            continue;
        int votes = 0;
        for (const kmock_member_t *mem = g->members; mem; mem = mem->next) {
            /* mem's vote: its first protocol that every member supports */
            for (int k = 0; k < mem->nprotocols; k++) {
                bool everyone = true;
                for (const kmock_member_t *o = g->members; o && everyone; o = o->next) {
                    bool has = false;
                    for (int j = 0; j < o->nprotocols && !has; j++)
                        has = strcmp(o->proto_names[j], mem->proto_names[k]) == 0;
                    everyone = has;
                }
                if (everyone) {
                    votes += strcmp(mem->proto_names[k], cand) == 0;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

/* Ends the join round: members that did not rejoin leave, the generation moves on and
 * the leader and protocol are chosen. */
static void complete_join(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms) {
    for (kmock_member_t *mem = g->members, *n; mem; mem = n) {
        n = mem->next;
        if (!mem->joined)
            kmock__member_remove(g, mem);
    }
    g->generation++;
    m->parked_recheck = true;
    free(g->protocol_name);
    g->protocol_name = NULL;
    if (!g->members) {
        g->state = KMOCK_GROUP_EMPTY;
        free(g->protocol_type);
        g->protocol_type = NULL;
        free(g->leader);
        g->leader = NULL;
        return;
    }
    const char *proto = select_protocol(g);
    g->protocol_name = strdup(proto ? proto : "");
    if (!g->leader)
        g->leader = strdup(g->members->id);
    g->state = KMOCK_GROUP_COMPLETING;
    for (kmock_member_t *mem = g->members; mem; mem = mem->next) {
        free(mem->assignment);
        mem->assignment = NULL;
        mem->assignment_len = 0;
        mem->joined = false;
        mem->last_seen_ms = now_ms;
    }
}

void kmock__group_tick(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms) {
    if (g->kip848)
        kmock__group848_tick(m, g, now_ms);
    for (kmock_pending_t **pp = &g->pending; *pp;) {
        kmock_pending_t *p = *pp;
        if (p->expires_ms <= now_ms) {
            *pp = p->next;
            free(p->id);
            free(p);
        } else {
            pp = &p->next;
        }
    }
    bool left = false;
    for (kmock_member_t *mem = g->members, *n; mem; mem = n) {
        n = mem->next;
        if (session_runs(g, mem) && now_ms - mem->last_seen_ms > mem->session_timeout_ms) {
            kmock__member_remove(g, mem);
            left = true;
        }
    }
    if (left && g->state != KMOCK_GROUP_PREPARING)
        kmock__group_rebalance(m, g, now_ms);
    if (g->state != KMOCK_GROUP_PREPARING)
        return;
    bool all = true;
    for (kmock_member_t *mem = g->members; mem && all; mem = mem->next)
        all = mem->joined;
    if (all || now_ms >= g->rebalance_deadline_ms)
        complete_join(m, g, now_ms);
}

int64_t kmock__group_deadline(const kmock_group_t *g, int64_t now_ms) {
    int64_t t = g->state == KMOCK_GROUP_PREPARING ? g->rebalance_deadline_ms : INT64_MAX;
    for (const kmock_member_t *mem = g->members; mem; mem = mem->next) {
        int64_t end = mem->last_seen_ms + mem->session_timeout_ms + 1;
        if (session_runs(g, mem) && end < t)
            t = end;
    }
    return t > now_ms ? t : now_ms + 1;
}

static void group_free(kmock_group_t *g) {
    while (g->members)
        kmock__member_remove(g, g->members);
    kmock__group848_free(g);
    for (kmock_pending_t *p = g->pending, *n; p; p = n) {
        n = p->next;
        free(p->id);
        free(p);
    }
    free(g->id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader);
    free(g);
}

void kmock__groups_free(kafka_mock_t *m) {
    for (kmock_group_t *g = m->groups, *n; g; g = n) {
        n = g->next;
        group_free(g);
    }
    m->groups = NULL;
}

/* ---- control (kafka/mock.h) ---- */

kafka_err_t kafka_mock_group_move(kafka_mock_t *m, const char *group, int broker_id) {
    pthread_mutex_lock(&m->lock);
    kafka_err_t err = KAFKA_OK;
    kmock_group_t *g = NULL;
    if (!group || !*group || !kmock__broker(m, broker_id))
        err = KAFKA_ERR__INVALID_ARG;
    else if (!(g = kmock__group_get(m, kafka_str(group))))
        err = KAFKA_ERR__NO_MEMORY;
    else
        g->coordinator = broker_id;
    m->parked_recheck = true;
    pthread_mutex_unlock(&m->lock);
    kmock__wake(m);
    return err;
}

kafka_err_t kafka_mock_group_expire(kafka_mock_t *m, const char *group, const char *member_id) {
    pthread_mutex_lock(&m->lock);
    kmock_group_t *g = group ? kmock__group_find(m, kafka_str(group)) : NULL;
    kafka_err_t err = g ? KAFKA_OK : KAFKA_ERR_GROUP_ID_NOT_FOUND;
    if (g && g->kip848) {
        err = (kafka_err_t)kmock__group848_expire(g, member_id);
        pthread_mutex_unlock(&m->lock);
        kmock__wake(m);
        return err;
    }
    if (g && member_id) {
        kmock_member_t *mem = kmock__member_find(g, kafka_str(member_id));
        if (mem)
            kmock__member_remove(g, mem);
        else
            err = KAFKA_ERR_UNKNOWN_MEMBER_ID;
    } else if (g) {
        while (g->members)
            kmock__member_remove(g, g->members);
    }
    if (!err) {
        int64_t now = kafka__now_ms();
        kmock__group_rebalance(m, g, now);
        kmock__group_tick(m, g, now);
    }
    pthread_mutex_unlock(&m->lock);
    kmock__wake(m);
    return err;
}

kafka_err_t kafka_mock_group_state(kafka_mock_t *m, const char *group, char *state, size_t state_size,
                                   int32_t *generation, int *members) {
    pthread_mutex_lock(&m->lock);
    kmock_group_t *g = group ? kmock__group_find(m, kafka_str(group)) : NULL;
    if (g) {
        kmock__group_tick(m, g, kafka__now_ms());
        if (state && state_size)
            snprintf(state, state_size, "%s", g->kip848 ? kmock__group848_state(g) : kmock__group_state_name(g->state));
        if (generation)
            *generation = g->kip848 ? g->group_epoch : g->generation;
        if (members && g->kip848) {
            *members = kmock__group848_count(g);
        } else if (members) {
            *members = 0;
            for (kmock_member_t *mem = g->members; mem; mem = mem->next)
                (*members)++;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return g ? KAFKA_OK : KAFKA_ERR_GROUP_ID_NOT_FOUND;
}
