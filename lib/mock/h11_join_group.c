/* JoinGroup (key 11), versions 0-9: the join barrier of a classic group. A new dynamic
 * member gets its id with MEMBER_ID_REQUIRED from v4 (KIP-394), before that at once; a
 * join starts a rebalance unless a known follower rejoins unchanged, and waits (parked)
 * until every member rejoined or the rebalance timeout passed. The first member to
 * join leads; the protocol is the one every member supports that most list first.
 * A static member (group.instance.id, KIP-345) that rejoins without a member id takes
 * over its old id's place: unchanged in a stable group, without a rebalance; the old
 * id is fenced (FENCED_INSTANCE_ID). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

static char *dup_str(kafka_str_t s) { return s.len >= 0 ? strndup(s.str ? s.str : "", (size_t)s.len) : NULL; }

static void new_member_id(kmock_req_t *rq, kmock_group_t *g, char *out) {
    kafka_str_t client = rq->hdr->client_id;
    int n = client.len > 0 ? (client.len > 100 ? 100 : client.len) : 0;
    g->member_seq++;
    snprintf(out, KMOCK_MEMBER_ID_MAX, "%.*s-%u-%08x", n, n ? client.str : "", g->member_seq,
             (unsigned)((uint64_t)rq->now_ms * 2654435761u) ^ g->member_seq);
}

/* Whether the request's protocols equal what mem has (names, order and metadata). */
static bool same_protocols(const kmock_member_t *mem, const kafka_join_group_request_t *req) {
    if (mem->nprotocols != req->protocols.count)
        return false;
    for (int i = 0; i < mem->nprotocols; i++) {
        const kafka_join_group_request_protocol_t *p = &req->protocols.items[i];
        if (!kafka_str_eq(p->name, mem->proto_names[i]) || p->metadata.len != mem->proto_meta[i].len ||
            (p->metadata.len > 0 && memcmp(p->metadata.data, mem->proto_meta[i].data, (size_t)p->metadata.len)))
            return false;
    }
    return true;
}

/* Takes the request's timeouts and protocols; false when out of memory. */
static bool member_update(kmock_member_t *mem, const kmock_req_t *rq, const kafka_join_group_request_t *req) {
    int n = req->protocols.count > 0 ? req->protocols.count : 0;
    char **names = calloc((size_t)n + 1, sizeof(*names));
    kafka_bytes_t *meta = calloc((size_t)n + 1, sizeof(*meta));
    bool ok = names && meta;
    for (int i = 0; ok && i < n; i++) {
        const kafka_join_group_request_protocol_t *p = &req->protocols.items[i];
        names[i] = dup_str(p->name.len >= 0 ? p->name : kafka_str(""));
        int32_t len = p->metadata.len > 0 ? p->metadata.len : 0;
        uint8_t *d = malloc((size_t)len + 1);
        if (d && len)
            memcpy(d, p->metadata.data, (size_t)len);
        meta[i] = (kafka_bytes_t){d, len};
        ok = names[i] && d;
    }
    char *client = dup_str(rq->hdr->client_id.len >= 0 ? rq->hdr->client_id : kafka_str(""));
    if (!ok || !client) {
        for (int i = 0; names && meta && i < n; i++) {
            free(names[i]);
            free((void *)meta[i].data);
        }
        free(names);
        free(meta);
        free(client);
        return false;
    }
    for (int i = 0; i < mem->nprotocols; i++) {
        free(mem->proto_names[i]);
        free((void *)mem->proto_meta[i].data);
    }
    free(mem->proto_names);
    free(mem->proto_meta);
    free(mem->client_id);
    mem->proto_names = names;
    mem->proto_meta = meta;
    mem->nprotocols = n;
    mem->client_id = client;
    mem->session_timeout_ms = req->session_timeout_ms;
    mem->rebalance_timeout_ms = rq->hdr->request_api_version >= 1 ? req->rebalance_timeout_ms : req->session_timeout_ms;
    mem->last_seen_ms = rq->now_ms;
    return true;
}

static kmock_member_t *member_add(kmock_group_t *g, const char *id, const kmock_req_t *rq,
                                  const kafka_join_group_request_t *req) {
    kmock_member_t *mem = calloc(1, sizeof(*mem));
    if (!mem || !(mem->id = strdup(id)) ||
        (req->group_instance_id.len >= 0 && !(mem->instance_id = dup_str(req->group_instance_id))) ||
        !member_update(mem, rq, req)) {
        if (mem) {
            free(mem->id);
            free(mem->instance_id);
        }
        free(mem);
        return NULL;
    }
    kmock_member_t **pp = &g->members;
    while (*pp)
        pp = &(*pp)->next;
    *pp = mem;
    return mem;
}

/* Whether the group can take a member with these protocols: the same protocol type, and
 * one protocol every member (and this one) supports. */
static bool protocols_fit(const kmock_group_t *g, const kafka_join_group_request_t *req, const kmock_member_t *self) {
    if (req->protocol_type.len <= 0 || req->protocols.count <= 0)
        return false;
    bool others = false;
    for (const kmock_member_t *mem = g->members; mem; mem = mem->next)
        others |= mem != self;
    if (!others)
        return true;
    if (g->protocol_type && !kafka_str_eq(req->protocol_type, g->protocol_type))
        return false;
    for (int32_t i = 0; i < req->protocols.count; i++) {
        bool all = true;
        for (const kmock_member_t *mem = g->members; mem && all; mem = mem->next) {
            if (mem == self)
                continue;
            bool has = false;
            for (int k = 0; k < mem->nprotocols && !has; k++)
                has = kafka_str_eq(req->protocols.items[i].name, mem->proto_names[k]);
            all = has;
        }
        if (all)
            return true;
    }
    return false;
}

/* The answer of a completed round (or of an unchanged member of a settled group). */
static void answer(kmock_req_t *rq, kmock_group_t *g, kmock_member_t *mem, kafka_join_group_response_t *r) {
    mem->parked_join = false;
    r->generation_id = g->generation;
    r->protocol_type = kafka_str(g->protocol_type);
    r->protocol_name = kafka_str(g->protocol_name ? g->protocol_name : "");
    r->leader = kafka_str(g->leader ? g->leader : "");
    r->member_id = kafka_str(mem->id);
    if (!g->leader || strcmp(g->leader, mem->id) != 0)
        return;
    int32_t n = 0;
    for (kmock_member_t *o = g->members; o; o = o->next)
        n++;
    KMOCK_ARRAY(r->members, rq, "JoinGroupResponseMember", n);
    int32_t i = 0;
    for (kmock_member_t *o = g->members; o && i < r->members.count; o = o->next, i++) {
        kafka_join_group_response_member_t *rm = &r->members.items[i];
        rm->member_id = kafka_str(o->id);
        rm->group_instance_id = kafka_str(o->instance_id);
        for (int k = 0; k < o->nprotocols; k++)
            if (g->protocol_name && strcmp(o->proto_names[k], g->protocol_name) == 0)
                rm->metadata = o->proto_meta[k];
    }
}

/* A first-time JoinGroup: returns the member now waiting at the barrier, or NULL with
 * r->error_code set (or an answer given at once, *done). */
static kmock_member_t *join(kmock_req_t *rq, kmock_group_t *g, kafka_join_group_response_t *r, bool *done) {
    const kafka_join_group_request_t *req = &rq->body->join_group;
    int16_t v = rq->hdr->request_api_version;
    char id[KMOCK_MEMBER_ID_MAX];
    kmock_member_t *st = kmock__member_find_instance(g, req->group_instance_id);
    kmock_member_t *mem = NULL;
    *done = false;
    if (req->member_id.len <= 0) {
        new_member_id(rq, g, id);
        if (st) {
            /* KIP-345: the restarted static member takes the old id's place. */
            bool unchanged = same_protocols(st, req);
            if (!protocols_fit(g, req, st)) {
                r->error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
                return NULL;
            }
            char *nid = strdup(id);
            if (!nid || !member_update(st, rq, req)) {
                free(nid);
                r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                return NULL;
            }
            if (g->leader && strcmp(g->leader, st->id) == 0) {
                free(g->leader);
                g->leader = strdup(nid);
            }
            free(st->id);
            st->id = nid;
            if (unchanged && (g->state == KMOCK_GROUP_STABLE || g->state == KMOCK_GROUP_COMPLETING)) {
                answer(rq, g, st, r);
                r->skip_assignment = g->leader && strcmp(g->leader, st->id) == 0; /* v9: keep the assignment */
                *done = true;
                return st;
            }
            mem = st;
        } else {
            if (!protocols_fit(g, req, NULL)) {
                r->error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
                return NULL;
            }
            if (v >= 4 && req->group_instance_id.len < 0) {
                /* KIP-394: the id first, the join with it next. */
                kmock_pending_t *p = calloc(1, sizeof(*p));
                if (!p || !(p->id = strdup(id))) {
                    free(p);
                    r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                    return NULL;
                }
                p->expires_ms = rq->now_ms + req->session_timeout_ms;
                p->next = g->pending;
                g->pending = p;
                r->error_code = KAFKA_ERR_MEMBER_ID_REQUIRED;
                r->member_id = kafka_str(p->id);
                return NULL;
            }
            if (!(mem = member_add(g, id, rq, req))) {
                r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                return NULL;
            }
        }
    } else {
        if (st && !kafka_str_eq(req->member_id, st->id)) {
            r->error_code = KAFKA_ERR_FENCED_INSTANCE_ID;
            return NULL;
        }
        mem = kmock__member_find(g, req->member_id);
        if (!mem) {
            kmock_pending_t **pp = &g->pending;
            while (*pp && !kafka_str_eq(req->member_id, (*pp)->id))
                pp = &(*pp)->next;
            if (!*pp) {
                r->error_code = KAFKA_ERR_UNKNOWN_MEMBER_ID;
                return NULL;
            }
            if (!protocols_fit(g, req, NULL)) {
                r->error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
                return NULL;
            }
            kmock_pending_t *p = *pp;
            mem = member_add(g, p->id, rq, req);
            if (!mem) {
                r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                return NULL;
            }
            *pp = p->next;
            free(p->id);
            free(p);
        } else {
            if (!protocols_fit(g, req, mem)) {
                r->error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
                return NULL;
            }
            bool unchanged = same_protocols(mem, req);
            bool leader = g->leader && strcmp(g->leader, mem->id) == 0;
            if (!member_update(mem, rq, req)) {
                r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                return NULL;
            }
            if (unchanged && ((g->state == KMOCK_GROUP_STABLE && !leader) || g->state == KMOCK_GROUP_COMPLETING)) {
                answer(rq, g, mem, r); /* nothing changed: the current generation */
                *done = true;
                return mem;
            }
        }
    }
    if (!g->protocol_type)
        g->protocol_type = dup_str(req->protocol_type);
    kmock__group_rebalance(rq->m, g, rq->now_ms);
    mem->joined = true;
    return mem;
}

kmock_result_t kmock__handle_join_group(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_join_group_request_t *req = &rq->body->join_group;
    kafka_join_group_response_t *r = &resp->join_group;
    r->member_id = req->member_id.len >= 0 ? req->member_id : kafka_str("");
    if (rq->inject)
        return KMOCK_RESPOND;
    if ((r->error_code = kmock__group_check(rq, req->group_id)))
        return KMOCK_RESPOND;
    if (req->session_timeout_ms <= 0) {
        r->error_code = KAFKA_ERR_INVALID_SESSION_TIMEOUT;
        return KMOCK_RESPOND;
    }
    kmock_group_t *g = kmock__group_get(rq->m, req->group_id);
    if (!g) {
        r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return KMOCK_RESPOND;
    }
    kmock__group_tick(rq->m, g, rq->now_ms);
    if (g->kip848 && g->cmembers) { /* KIP-848 members: the classic protocol may not join */
        r->error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
        return KMOCK_RESPOND;
    }
    g->kip848 = false;
    kmock_member_t *mem;
    if (!rq->deadline_ms) {
        bool done;
        if (!(mem = join(rq, g, r, &done)) || done)
            return KMOCK_RESPOND;
        snprintf(rq->park_member, KMOCK_MEMBER_ID_MAX, "%s", mem->id);
        kmock__group_tick(rq->m, g, rq->now_ms); /* the last member to join completes the round */
    } else {
        mem = kmock__member_find(g, kafka_str(rq->park_member));
        if (!mem) {
            /* expired or removed while waiting (a static member's id taken over) */
            r->member_id = kafka_str(rq->park_member);
            r->error_code = kmock__member_find_instance(g, req->group_instance_id) ? KAFKA_ERR_FENCED_INSTANCE_ID
                                                                                  : KAFKA_ERR_UNKNOWN_MEMBER_ID;
            return KMOCK_RESPOND;
        }
    }
    if (g->state == KMOCK_GROUP_PREPARING) {
        mem->parked_join = true;
        rq->deadline_ms = kmock__group_deadline(g, rq->now_ms);
        return KMOCK_PARK;
    }
    answer(rq, g, mem, r);
    return KMOCK_RESPOND;
}
