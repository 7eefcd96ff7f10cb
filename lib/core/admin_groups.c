/* The admin calls on consumer groups (kafka/admin.h): ListGroups on every broker, and one
 * group described as kafka-consumer-groups.sh --describe does: FindCoordinator,
 * DescribeGroups, OffsetFetch at the coordinator, ListOffsets (latest) at each
 * partition's leader, and the lag between them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/admin_int.h"
#include "core/connection_int.h"
#include "core/coord.h"
#include "group/protocol.h"
#include "kafka/admin.h"
#include "util/arena.h"
#include "util/backoff.h"
#include "util/clock.h"

/* ---- ListGroups ---------------------------------------------------------------------- */

struct kafka_group_list_s {
    int n, cap;
    kafka_group_listing_t *e; /* strings malloc'ed */
};

int kafka_group_list_count(const kafka_group_list_t *gl) { return gl ? gl->n : 0; }

const kafka_group_listing_t *kafka_group_list_entry(const kafka_group_list_t *gl, int i) {
    return gl && i >= 0 && i < gl->n ? &gl->e[i] : NULL;
}

void kafka_group_list_destroy(kafka_group_list_t *gl) {
    if (!gl)
        return;
    for (int i = 0; i < gl->n; i++) {
        free((char *)gl->e[i].group_id);
        free((char *)gl->e[i].protocol_type);
        free((char *)gl->e[i].state);
    }
    free(gl->e);
    free(gl);
}

static char *dup_str(kafka_str_t s) {
    return strndup(s.str && s.len > 0 ? s.str : "", s.len > 0 ? (size_t)s.len : 0);
}

static int listing_by_id(const void *a, const void *b) {
    return strcmp(((const kafka_group_listing_t *)a)->group_id, ((const kafka_group_listing_t *)b)->group_id);
}

/* Whether a coordinator's error is worth asking again (it is starting, or moved). */
static bool coord_retriable(kafka_err_t e) {
    return e == KAFKA_ERR_COORDINATOR_NOT_AVAILABLE || e == KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           e == KAFKA_ERR_NOT_COORDINATOR || e < KAFKA_ERR_UNKNOWN_SERVER_ERROR;
}

/* Whether a failure ends the call at once. */
static bool call_fatal(kafka_err_t e) {
    return e == KAFKA_ERR__UNKNOWN_APIKEY || e == KAFKA_ERR__INVALID_ARG || e == KAFKA_ERR__NO_MEMORY ||
           kafka__bconn_fatal(e);
}

/* Sleeps the next backoff step, not past deadline; false when the deadline has passed. */
static bool backoff_sleep(kafka__backoff_t *b, int64_t deadline) {
    int64_t now = kafka__now_ms();
    if (now >= deadline)
        return false;
    int64_t ms = kafka__backoff_next(b);
    if (ms > deadline - now)
        ms = deadline - now;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return true;
}

static void backoff_init(kafka_connection_t *c, kafka__backoff_t *b) {
    const kafka_conf_t *conf = kafka__connection_conf(c);
    kafka__backoff_init(b, kafka_conf_int(conf, KAFKA_CONF_RETRY_BACKOFF_MS),
                        kafka_conf_int(conf, KAFKA_CONF_RETRY_BACKOFF_MAX_MS));
}

/* One ListGroups of broker id into gl; the broker's error or the call's with why. */
static kafka_err_t list_one(kafka_connection_t *c, int32_t id, int64_t deadline, kafka_group_list_t *gl, char *why,
                            size_t why_size) {
    kafka_err_t e;
    kafka_conf_t *own;
    kafka__bconn_t *bc = kafka__admin_open(c, id, deadline, NULL, &own, &e, why, why_size);
    if (!bc)
        return e;
    int16_t v = kafka__bconn_version(bc, KAFKA_API_LIST_GROUPS);
    if (v < 0) {
        snprintf(why, why_size, "%s:%d speaks no ListGroups version this client does", bc->host, bc->port);
        kafka__admin_close(bc, own);
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    kafka_list_groups_request_t req;
    kafka_request_init(KAFKA_API_LIST_GROUPS, &req);
    kafka_list_groups_response_t resp;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    int16_t used = 0;
    e = kafka__bconn_request(bc, KAFKA_API_LIST_GROUPS, &req, &resp, &a, &frame, &used);
    if (e) {
        snprintf(why, why_size, "%s", kafka__bconn_last_error(bc));
    } else if (resp.error_code) {
        e = (kafka_err_t)resp.error_code;
        kafka__bconn_note_error(bc, KAFKA_API_LIST_GROUPS, e);
        snprintf(why, why_size, "%s:%d: ListGroups: %s", bc->host, bc->port, kafka_err_name(e));
    } else {
        for (int32_t i = 0; i < resp.groups.count && !e; i++) {
            const kafka_list_groups_response_listed_group_t *lg = &resp.groups.items[i];
            if (gl->n == gl->cap) {
                int cap = gl->cap ? gl->cap * 2 : 16;
                kafka_group_listing_t *ne = realloc(gl->e, sizeof(*ne) * (size_t)cap);
                if (!ne) {
                    e = KAFKA_ERR__NO_MEMORY;
                    break;
                }
                gl->e = ne, gl->cap = cap;
            }
            kafka_group_listing_t *l = &gl->e[gl->n];
            l->group_id = dup_str(lg->group_id);
            l->protocol_type = dup_str(lg->protocol_type);
            l->state = dup_str(used >= 4 ? lg->group_state : (kafka_str_t){NULL, 0});
            l->coordinator = id;
            if (!l->group_id || !l->protocol_type || !l->state) {
                free((char *)l->group_id);
                free((char *)l->protocol_type);
                free((char *)l->state);
                e = KAFKA_ERR__NO_MEMORY;
            } else {
                gl->n++;
            }
        }
        if (e)
            snprintf(why, why_size, "out of memory");
    }
    free(frame);
    kafka__arena_free(&a);
    kafka__admin_close(bc, own);
    return e;
}

kafka_group_list_t *kafka_connection_list_groups(kafka_connection_t *c, int timeout_ms, kafka_err_t *errp,
                                                 char *errstr, size_t errstr_size) {
    kafka_err_t dummy;
    char dummy_str[8];
    if (!errp)
        errp = &dummy;
    if (!errstr || !errstr_size)
        errstr = dummy_str, errstr_size = sizeof(dummy_str);
    errstr[0] = 0;
    if (!c) {
        *errp = KAFKA_ERR__INVALID_ARG;
        snprintf(errstr, errstr_size, "ListGroups: no connection");
        return NULL;
    }
    int64_t deadline = kafka__admin_deadline(c, timeout_ms);
    kafka_metadata_t *md =
        kafka_connection_metadata(c, NULL, 0, kafka__admin_left(deadline), errp, errstr, errstr_size);
    if (!md)
        return NULL;
    int nb = kafka_metadata_broker_count(md);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(nb > 0 ? nb : 1));
    kafka_group_list_t *gl = calloc(1, sizeof(*gl));
    if (!ids || !gl) {
        free(ids);
        free(gl);
        kafka_metadata_release(md);
        *errp = KAFKA_ERR__NO_MEMORY;
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    for (int i = 0; i < nb; i++)
        ids[i] = kafka_metadata_broker(md, i, NULL, NULL);
    kafka_metadata_release(md);
    kafka__backoff_t bo;
    backoff_init(c, &bo);
    kafka_err_t first = KAFKA_OK;
    size_t off = 0;
    for (int i = 0; i < nb; i++) {
        char why[600] = "";
        kafka_err_t e;
        /* A broker still loading its groups, or one briefly away, is asked again. */
        while ((e = list_one(c, ids[i], deadline, gl, why, sizeof(why))) && !call_fatal(e) &&
               (e == KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS || e == KAFKA_ERR_COORDINATOR_NOT_AVAILABLE ||
                e < KAFKA_ERR_UNKNOWN_SERVER_ERROR) &&
               backoff_sleep(&bo, deadline))
            ;
        if (!e)
            continue;
        if (!first)
            first = e;
        if (off < errstr_size)
            off += (size_t)snprintf(errstr + off, errstr_size - off, "%sbroker %d: %s", off ? "; " : "", ids[i],
                                    why[0] ? why : kafka_err_name(e));
        if (call_fatal(e))
            break;
    }
    free(ids);
    if (first) {
        kafka_group_list_destroy(gl);
        *errp = first;
        return NULL;
    }
    if (gl->n > 1)
        qsort(gl->e, (size_t)gl->n, sizeof(*gl->e), listing_by_id);
    /* A group that moved while we asked is listed by two brokers: keep one. */
    int w = 0;
    for (int i = 0; i < gl->n; i++) {
        if (w > 0 && strcmp(gl->e[w - 1].group_id, gl->e[i].group_id) == 0) {
            free((char *)gl->e[i].group_id);
            free((char *)gl->e[i].protocol_type);
            free((char *)gl->e[i].state);
            continue;
        }
        gl->e[w++] = gl->e[i];
    }
    gl->n = w;
    *errp = KAFKA_OK;
    return gl;
}

/* ---- DescribeGroups + OffsetFetch + ListOffsets ---------------------------------------- */

struct kafka_group_s {
    char *id, *state, *protocol_type, *protocol;
    bool kip848;
    int32_t group_epoch, assignment_epoch; /* -1 unless kip848 */
    int32_t coordinator;
    int nmembers;
    kafka_group_member_t *members; /* strings and assigned[] malloc'ed */
    int nparts, capparts;
    kafka_group_partition_t *parts; /* topic strings malloc'ed */
};

const char *kafka_group_id(const kafka_group_t *g) { return g ? g->id : NULL; }
const char *kafka_group_state(const kafka_group_t *g) { return g ? g->state : NULL; }
const char *kafka_group_protocol_type(const kafka_group_t *g) { return g ? g->protocol_type : NULL; }
const char *kafka_group_protocol(const kafka_group_t *g) { return g ? g->protocol : NULL; }
const char *kafka_group_type(const kafka_group_t *g) { return g ? g->kip848 ? "consumer" : "classic" : NULL; }
int32_t kafka_group_epoch(const kafka_group_t *g) { return g ? g->group_epoch : -1; }
int32_t kafka_group_assignment_epoch(const kafka_group_t *g) { return g ? g->assignment_epoch : -1; }
int32_t kafka_group_coordinator(const kafka_group_t *g) { return g ? g->coordinator : -1; }
int kafka_group_member_count(const kafka_group_t *g) { return g ? g->nmembers : 0; }
const kafka_group_member_t *kafka_group_member(const kafka_group_t *g, int i) {
    return g && i >= 0 && i < g->nmembers ? &g->members[i] : NULL;
}
int kafka_group_partition_count(const kafka_group_t *g) { return g ? g->nparts : 0; }
const kafka_group_partition_t *kafka_group_partition(const kafka_group_t *g, int i) {
    return g && i >= 0 && i < g->nparts ? &g->parts[i] : NULL;
}

int64_t kafka_group_total_lag(const kafka_group_t *g) {
    int64_t sum = 0;
    for (int i = 0; g && i < g->nparts; i++)
        if (g->parts[i].lag > 0)
            sum += g->parts[i].lag;
    return sum;
}

void kafka_group_destroy(kafka_group_t *g) {
    if (!g)
        return;
    for (int i = 0; i < g->nmembers; i++) {
        kafka_group_member_t *m = &g->members[i];
        free((char *)m->member_id);
        free((char *)m->group_instance_id);
        free((char *)m->client_id);
        free((char *)m->client_host);
        free((char *)m->rack_id);
        for (int k = 0; k < m->nassigned; k++)
            free((char *)m->assigned[k].topic);
        free((void *)m->assigned);
        for (int k = 0; k < m->ntarget; k++)
            free((char *)m->target[k].topic);
        free((void *)m->target);
    }
    free(g->members);
    for (int i = 0; i < g->nparts; i++)
        free((char *)g->parts[i].topic);
    free(g->parts);
    free(g->id);
    free(g->state);
    free(g->protocol_type);
    free(g->protocol);
    free(g);
}

/* The partition topic/partition of g, added (committed, end, lag -1, no member) when new;
 * NULL when out of memory. Linear: a group's partitions are few hundred at most. */
static kafka_group_partition_t *part_get(kafka_group_t *g, kafka_str_t topic, int32_t partition) {
    for (int i = 0; i < g->nparts; i++)
        if (g->parts[i].partition == partition && kafka_str_eq(topic, g->parts[i].topic))
            return &g->parts[i];
    if (g->nparts == g->capparts) {
        int cap = g->capparts ? g->capparts * 2 : 32;
        kafka_group_partition_t *np = realloc(g->parts, sizeof(*np) * (size_t)cap);
        if (!np)
            return NULL;
        g->parts = np, g->capparts = cap;
    }
    char *t = dup_str(topic);
    if (!t)
        return NULL;
    g->parts[g->nparts] = (kafka_group_partition_t){t, partition, -1, -1, -1, -1, KAFKA_OK};
    return &g->parts[g->nparts++];
}

static int tp_cmp(const char *ta, int32_t pa, const char *tb, int32_t pb) {
    int c = strcmp(ta, tb);
    return c ? c : pa < pb ? -1 : pa > pb;
}
static int part_by_tp(const void *a, const void *b) {
    const kafka_group_partition_t *x = a, *y = b;
    return tp_cmp(x->topic, x->partition, y->topic, y->partition);
}
static int gtp_by_tp(const void *a, const void *b) {
    const kafka_group_tp_t *x = a, *y = b;
    return tp_cmp(x->topic, x->partition, y->topic, y->partition);
}
static int member_by_id(const void *a, const void *b) {
    return strcmp(((const kafka_group_member_t *)a)->member_id, ((const kafka_group_member_t *)b)->member_id);
}

/* Takes a DescribeGroups answer's group into g; KAFKA_ERR__NO_MEMORY or OK. */
static kafka_err_t take_described(kafka_group_t *g, const kafka_describe_groups_response_described_group_t *dg) {
    if (!(g->state = dup_str(dg->group_state)) || !(g->protocol_type = dup_str(dg->protocol_type)) ||
        !(g->protocol = dup_str(dg->protocol_data)))
        return KAFKA_ERR__NO_MEMORY;
    bool consumer = kafka_str_eq(dg->protocol_type, "consumer");
    if (dg->members.count > 0 && !(g->members = calloc((size_t)dg->members.count, sizeof(*g->members))))
        return KAFKA_ERR__NO_MEMORY;
    for (int32_t i = 0; i < dg->members.count; i++) {
        const kafka_describe_groups_response_described_group_member_t *dm = &dg->members.items[i];
        kafka_group_member_t *m = &g->members[g->nmembers++];
        m->member_epoch = -1;
        if (!(m->member_id = dup_str(dm->member_id)) || !(m->client_id = dup_str(dm->client_id)) ||
            !(m->client_host = dup_str(dm->client_host)) ||
            (dm->group_instance_id.len >= 0 && dm->group_instance_id.str &&
             !(m->group_instance_id = dup_str(dm->group_instance_id))))
            return KAFKA_ERR__NO_MEMORY;
        if (!consumer)
            continue;
        kafka_arena_t a = KAFKA_ARENA_INIT;
        kafka__group_assignment_t asg;
        char why[256];
        if (kafka__group_assignment_decode(dm->member_assignment.data,
                                           dm->member_assignment.len > 0 ? (size_t)dm->member_assignment.len : 0, &a,
                                           &asg, why, sizeof(why)) == KAFKA_OK) {
            int n = 0;
            for (int32_t t = 0; t < asg.npartitions; t++)
                n += asg.partitions[t].npartitions;
            kafka_group_tp_t *tps = n ? calloc((size_t)n, sizeof(*tps)) : NULL;
            if (n && !tps) {
                kafka__arena_free(&a);
                return KAFKA_ERR__NO_MEMORY;
            }
            m->assigned = tps;
            for (int32_t t = 0; t < asg.npartitions; t++)
                for (int32_t p = 0; p < asg.partitions[t].npartitions; p++) {
                    if (!(tps[m->nassigned].topic = dup_str(asg.partitions[t].topic))) {
                        kafka__arena_free(&a);
                        return KAFKA_ERR__NO_MEMORY;
                    }
                    tps[m->nassigned++].partition = asg.partitions[t].partitions[p];
                }
            if (m->nassigned > 1)
                qsort(tps, (size_t)m->nassigned, sizeof(*tps), gtp_by_tp);
            m->assignment_decoded = true;
        }
        kafka__arena_free(&a);
    }
    if (g->nmembers > 1)
        qsort(g->members, (size_t)g->nmembers, sizeof(*g->members), member_by_id);
    return KAFKA_OK;
}

/* A KIP-848 assignment (topic names and partitions) as sorted topic-partitions; false when
 * out of memory. */
static bool take_tps(const kafka_consumer_group_describe_response_assignment_t *a, const kafka_group_tp_t **out,
                     int *nout) {
    int n = 0;
    for (int32_t t = 0; t < a->topic_partitions.count; t++)
        n += a->topic_partitions.items[t].partitions.count > 0 ? a->topic_partitions.items[t].partitions.count : 0;
    if (!n)
        return true;
    kafka_group_tp_t *tps = calloc((size_t)n, sizeof(*tps));
    if (!tps)
        return false;
    *out = tps;
    for (int32_t t = 0; t < a->topic_partitions.count; t++) {
        const kafka_consumer_group_describe_response_topic_partitions_t *tp = &a->topic_partitions.items[t];
        for (int32_t p = 0; p < tp->partitions.count; p++) {
            if (!(tps[*nout].topic = dup_str(tp->topic_name)))
                return false;
            tps[(*nout)++].partition = tp->partitions.items[p];
        }
    }
    if (*nout > 1)
        qsort(tps, (size_t)*nout, sizeof(*tps), gtp_by_tp);
    return true;
}

/* Takes a ConsumerGroupDescribe answer's group into g; KAFKA_ERR__NO_MEMORY or OK. */
static kafka_err_t take_described848(kafka_group_t *g,
                                     const kafka_consumer_group_describe_response_described_group_t *dg) {
    g->kip848 = true;
    g->group_epoch = dg->group_epoch;
    g->assignment_epoch = dg->assignment_epoch;
    if (!(g->state = dup_str(dg->group_state)) || !(g->protocol_type = strdup("consumer")) ||
        !(g->protocol = dup_str(dg->assignor_name)))
        return KAFKA_ERR__NO_MEMORY;
    if (dg->members.count > 0 && !(g->members = calloc((size_t)dg->members.count, sizeof(*g->members))))
        return KAFKA_ERR__NO_MEMORY;
    for (int32_t i = 0; i < dg->members.count; i++) {
        const kafka_consumer_group_describe_response_member_t *dm = &dg->members.items[i];
        kafka_group_member_t *m = &g->members[g->nmembers++];
        m->member_epoch = dm->member_epoch;
        m->assignment_decoded = true;
        if (!(m->member_id = dup_str(dm->member_id)) || !(m->client_id = dup_str(dm->client_id)) ||
            !(m->client_host = dup_str(dm->client_host)) ||
            (dm->instance_id.len >= 0 && dm->instance_id.str && !(m->group_instance_id = dup_str(dm->instance_id))) ||
            (dm->rack_id.len >= 0 && dm->rack_id.str && !(m->rack_id = dup_str(dm->rack_id))) ||
            !take_tps(&dm->assignment, &m->assigned, &m->nassigned) ||
            !take_tps(&dm->target_assignment, &m->target, &m->ntarget))
            return KAFKA_ERR__NO_MEMORY;
    }
    if (g->nmembers > 1)
        qsort(g->members, (size_t)g->nmembers, sizeof(*g->members), member_by_id);
    return KAFKA_OK;
}

/* Takes one committed partition of an OffsetFetch answer. */
static kafka_err_t take_committed(kafka_group_t *g, kafka_str_t topic, int32_t partition, int64_t offset,
                                  int16_t err) {
    if (offset < 0 && !err)
        return KAFKA_OK; /* asked about (v0-1) but never committed */
    kafka_group_partition_t *p = part_get(g, topic, partition);
    if (!p)
        return KAFKA_ERR__NO_MEMORY;
    p->committed = err ? -1 : offset;
    p->err = (kafka_err_t)err;
    return KAFKA_OK;
}

/* OffsetFetch of every committed partition of g at its coordinator. v0-1 cannot ask for
 * all topics: they ask for the assigned topics'. A group-level error with why. */
static kafka_err_t fetch_committed(kafka__bconn_t *bc, kafka_group_t *g, char *why, size_t why_size) {
    int16_t v = kafka__bconn_version(bc, KAFKA_API_OFFSET_FETCH);
    if (v < 0) {
        snprintf(why, why_size, "%s:%d speaks no OffsetFetch version this client does", bc->host, bc->port);
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    kafka_offset_fetch_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_FETCH, &req);
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_offset_fetch_request_group_t rg;
    if (v >= 8) {
        memset(&rg, 0, sizeof(rg));
        rg.group_id = kafka_str(g->id);
        rg.member_id = (kafka_str_t){NULL, -1};
        rg.member_epoch = -1;
        rg.topics.count = -1; /* null: every topic */
        req.groups.items = &rg;
        req.groups.count = 1;
    } else {
        req.group_id = kafka_str(g->id);
        if (v >= 2) {
            req.topics.count = -1;
        } else {
            /* The assigned partitions, by topic (assignments are sorted). */
            int n = 0;
            for (int i = 0; i < g->nmembers; i++)
                n += g->members[i].nassigned;
            kafka_offset_fetch_request_topic_t *ts = kafka__arena_alloc(&a, sizeof(*ts) * (size_t)(n ? n : 1));
            int32_t *ps = kafka__arena_alloc(&a, sizeof(int32_t) * (size_t)(n ? n : 1));
            if (!ts || !ps) {
                kafka__arena_free(&a);
                snprintf(why, why_size, "out of memory");
                return KAFKA_ERR__NO_MEMORY;
            }
            int nt = 0, np = 0;
            for (int i = 0; i < g->nmembers; i++)
                for (int k = 0; k < g->members[i].nassigned; k++) {
                    const kafka_group_tp_t *tp = &g->members[i].assigned[k];
                    if (!nt || !kafka_str_eq(ts[nt - 1].name, tp->topic)) {
                        ts[nt].name = kafka_str(tp->topic);
                        ts[nt].partition_indexes.items = &ps[np];
                        ts[nt++].partition_indexes.count = 0;
                    }
                    ps[np++] = tp->partition;
                    ts[nt - 1].partition_indexes.count++;
                }
            req.topics.items = ts;
            req.topics.count = nt;
        }
    }
    kafka_offset_fetch_response_t resp;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_OFFSET_FETCH, &req, &resp, &a, &frame, NULL);
    if (e) {
        snprintf(why, why_size, "OffsetFetch: %s", kafka__bconn_last_error(bc));
    } else if (v >= 8) {
        const kafka_offset_fetch_response_group_t *rgp = NULL;
        for (int32_t i = 0; i < resp.groups.count; i++)
            if (kafka_str_eq(resp.groups.items[i].group_id, g->id))
                rgp = &resp.groups.items[i];
        if (!rgp) {
            e = KAFKA_ERR__REQUEST_OR_RESPONSE;
            snprintf(why, why_size, "%s:%d's OffsetFetch response does not name group \"%s\"", bc->host, bc->port,
                     g->id);
        } else if (!(e = (kafka_err_t)rgp->error_code)) {
            for (int32_t t = 0; t < rgp->topics.count && !e; t++)
                for (int32_t p = 0; p < rgp->topics.items[t].partitions.count && !e; p++) {
                    const kafka_offset_fetch_response_partitions_t *rp = &rgp->topics.items[t].partitions.items[p];
                    e = take_committed(g, rgp->topics.items[t].name, rp->partition_index, rp->committed_offset,
                                       rp->error_code);
                }
        }
    } else if (!(e = (kafka_err_t)resp.error_code)) {
        for (int32_t t = 0; t < resp.topics.count && !e; t++)
            for (int32_t p = 0; p < resp.topics.items[t].partitions.count && !e; p++) {
                const kafka_offset_fetch_response_partition_t *rp = &resp.topics.items[t].partitions.items[p];
                /* Before v2 a group-level error comes on every partition. */
                if (v < 2 && coord_retriable((kafka_err_t)rp->error_code)) {
                    e = (kafka_err_t)rp->error_code;
                    break;
                }
                e = take_committed(g, resp.topics.items[t].name, rp->partition_index, rp->committed_offset,
                                   rp->error_code);
            }
    }
    if (e > KAFKA_OK) {
        kafka__bconn_note_error(bc, KAFKA_API_OFFSET_FETCH, e);
        snprintf(why, why_size, "OffsetFetch of group \"%s\" at broker %d: %s", g->id, g->coordinator,
                 kafka_err_name(e));
    } else if (e == KAFKA_ERR__NO_MEMORY) {
        snprintf(why, why_size, "out of memory");
    }
    free(frame);
    kafka__arena_free(&a);
    return e;
}

/* A new group of id described by broker coordinator; NULL when out of memory. */
static kafka_group_t *group_new(const char *group_id, int32_t coordinator) {
    kafka_group_t *g = calloc(1, sizeof(*g));
    if (!g || !(g->id = strdup(group_id))) {
        free(g);
        return NULL;
    }
    g->coordinator = coordinator;
    g->group_epoch = g->assignment_epoch = -1;
    return g;
}

/* ConsumerGroupDescribe of group_id at its coordinator bc (broker id): the KIP-848 group
 * into *out; GROUP_ID_NOT_FOUND (with why) for a group that is not one, classic or none;
 * the coordinator's or the call's error with why. */
static kafka_err_t describe848(kafka__bconn_t *bc, const char *group_id, int32_t id, kafka_group_t **out, char *why,
                               size_t why_size) {
    kafka_consumer_group_describe_request_t req;
    kafka_request_init(KAFKA_API_CONSUMER_GROUP_DESCRIBE, &req);
    kafka_str_t gid = kafka_str(group_id);
    req.group_ids.items = &gid;
    req.group_ids.count = 1;
    kafka_consumer_group_describe_response_t resp;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_CONSUMER_GROUP_DESCRIBE, &req, &resp, &a, &frame, NULL);
    if (e) {
        snprintf(why, why_size, "ConsumerGroupDescribe: %s", kafka__bconn_last_error(bc));
    } else if (resp.groups.count != 1 || !kafka_str_eq(resp.groups.items[0].group_id, group_id)) {
        e = KAFKA_ERR__REQUEST_OR_RESPONSE;
        snprintf(why, why_size, "%s:%d's ConsumerGroupDescribe response does not describe group \"%s\"", bc->host,
                 bc->port, group_id);
    } else if (resp.groups.items[0].error_code) {
        const kafka_consumer_group_describe_response_described_group_t *dg = &resp.groups.items[0];
        e = (kafka_err_t)dg->error_code;
        /* Kafka lists API 69 even where the consumer protocol is off (group.version not
         * finalized, rebalance protocols classic only) and answers each group
         * UNSUPPORTED_VERSION there: ask the classic way, as for a classic group. */
        if (e == KAFKA_ERR_UNSUPPORTED_VERSION)
            e = KAFKA_ERR_GROUP_ID_NOT_FOUND;
        if (e != KAFKA_ERR_GROUP_ID_NOT_FOUND)
            kafka__bconn_note_error(bc, KAFKA_API_CONSUMER_GROUP_DESCRIBE, e);
        snprintf(why, why_size, "ConsumerGroupDescribe of group \"%s\" at broker %d: %s%s%.*s", group_id, id,
                 kafka_err_name(e), dg->error_message.len > 0 ? ": " : "",
                 dg->error_message.len > 0 ? (int)dg->error_message.len : 0,
                 dg->error_message.str ? dg->error_message.str : "");
    } else if (!(*out = group_new(group_id, id)) || take_described848(*out, &resp.groups.items[0]) != KAFKA_OK) {
        e = KAFKA_ERR__NO_MEMORY;
        snprintf(why, why_size, "out of memory");
    }
    free(frame);
    kafka__arena_free(&a);
    return e;
}

/* DescribeGroups of group_id at its coordinator bc (broker id): the group into *out,
 * *gone when the coordinator does not know it (state Dead, or GROUP_ID_NOT_FOUND from v6);
 * the coordinator's or the call's error with why. */
static kafka_err_t describe_classic(kafka__bconn_t *bc, const char *group_id, int32_t id, kafka_group_t **out,
                                    bool *gone, char *why, size_t why_size) {
    if (kafka__bconn_version(bc, KAFKA_API_DESCRIBE_GROUPS) < 0) {
        snprintf(why, why_size, "%s:%d speaks no DescribeGroups version this client does", bc->host, bc->port);
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    kafka_describe_groups_request_t req;
    kafka_request_init(KAFKA_API_DESCRIBE_GROUPS, &req);
    kafka_str_t gid = kafka_str(group_id);
    req.groups.items = &gid;
    req.groups.count = 1;
    kafka_describe_groups_response_t resp;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_DESCRIBE_GROUPS, &req, &resp, &a, &frame, NULL);
    if (e) {
        snprintf(why, why_size, "DescribeGroups: %s", kafka__bconn_last_error(bc));
    } else if (resp.groups.count != 1 || !kafka_str_eq(resp.groups.items[0].group_id, group_id)) {
        e = KAFKA_ERR__REQUEST_OR_RESPONSE;
        snprintf(why, why_size, "%s:%d's DescribeGroups response does not describe group \"%s\"", bc->host, bc->port,
                 group_id);
    } else if (resp.groups.items[0].error_code && resp.groups.items[0].error_code != KAFKA_ERR_GROUP_ID_NOT_FOUND) {
        const kafka_describe_groups_response_described_group_t *dg = &resp.groups.items[0];
        e = (kafka_err_t)dg->error_code;
        kafka__bconn_note_error(bc, KAFKA_API_DESCRIBE_GROUPS, e);
        snprintf(why, why_size, "DescribeGroups of group \"%s\" at broker %d: %s%s%.*s", group_id, id,
                 kafka_err_name(e), dg->error_message.len > 0 ? ": " : "",
                 dg->error_message.len > 0 ? (int)dg->error_message.len : 0,
                 dg->error_message.str ? dg->error_message.str : "");
    } else if (!(*out = group_new(group_id, id)) || take_described(*out, &resp.groups.items[0]) != KAFKA_OK) {
        e = KAFKA_ERR__NO_MEMORY;
        snprintf(why, why_size, "out of memory");
    } else {
        *gone = resp.groups.items[0].error_code == KAFKA_ERR_GROUP_ID_NOT_FOUND || strcmp((*out)->state, "Dead") == 0;
    }
    free(frame);
    kafka__arena_free(&a);
    return e;
}

/* One round at the coordinator: FindCoordinator through any broker, ConsumerGroupDescribe
 * (when it speaks it) or DescribeGroups, and OffsetFetch at it. The group into *out, or
 * the error with why. */
static kafka_err_t describe_at_coordinator(kafka_connection_t *c, const char *group_id, int64_t deadline,
                                           kafka_group_t **out, char *why, size_t why_size) {
    kafka_err_t e;
    kafka_conf_t *own;
    kafka__bconn_t *bc = kafka__admin_open(c, -1, deadline, NULL, &own, &e, why, why_size);
    if (!bc)
        return e;
    int32_t id = -1;
    char host[256];
    int port;
    bool conn_ok;
    e = kafka__find_coordinator(bc, group_id, &id, host, sizeof(host), &port, &conn_ok, why, why_size);
    kafka__admin_close(bc, own);
    if (e)
        return e;
    if (!(bc = kafka__admin_open(c, id, deadline, NULL, &own, &e, why, why_size)))
        return e;
    kafka_group_t *g = NULL;
    bool gone = false;
    e = KAFKA_ERR_GROUP_ID_NOT_FOUND;
    if (kafka__bconn_version(bc, KAFKA_API_CONSUMER_GROUP_DESCRIBE) >= 0)
        e = describe848(bc, group_id, id, &g, why, why_size);
    if (e == KAFKA_ERR_GROUP_ID_NOT_FOUND) /* not a KIP-848 group (or none): ask the classic way */
        e = describe_classic(bc, group_id, id, &g, &gone, why, why_size);
    if (!e) {
        e = fetch_committed(bc, g, why, why_size);
        if (!e && gone && g->nparts == 0) {
            e = KAFKA_ERR_GROUP_ID_NOT_FOUND;
            snprintf(why, why_size,
                     "group \"%s\" does not exist: its coordinator (broker %d) knows no such group (state Dead) and "
                     "it has no committed offsets",
                     group_id, id);
        } else if (!e && gone) {
            /* Only committed offsets: what Kafka shows as an empty group. */
            free(g->state);
            if (!(g->state = strdup("Empty")))
                e = KAFKA_ERR__NO_MEMORY;
        }
    }
    kafka__admin_close(bc, own);
    if (e) {
        kafka_group_destroy(g);
        return e;
    }
    *out = g;
    return KAFKA_OK;
}

/* Sets each partition's end offset: ListOffsets (latest) at its leader, one request per
 * leader. A partition whose leader cannot be had keeps end -1 with its err. */
static void fetch_ends(kafka_connection_t *c, kafka_group_t *g, int64_t deadline) {
    if (g->nparts == 0)
        return;
    const char **topics = malloc(sizeof(char *) * (size_t)g->nparts);
    int32_t *leader = malloc(sizeof(int32_t) * (size_t)g->nparts);
    if (!topics || !leader) {
        free(topics);
        free(leader);
        for (int i = 0; i < g->nparts; i++)
            g->parts[i].err = KAFKA_ERR__NO_MEMORY;
        return;
    }
    int nt = 0;
    for (int i = 0; i < g->nparts; i++) /* sorted: one name per run */
        if (!nt || strcmp(topics[nt - 1], g->parts[i].topic) != 0)
            topics[nt++] = g->parts[i].topic;
    kafka_err_t e;
    char why[512];
    kafka_metadata_t *md = kafka_connection_metadata(c, (const char *const *)topics, nt, kafka__admin_left(deadline),
                                                     &e, why, sizeof(why));
    for (int i = 0; i < g->nparts; i++) {
        kafka_group_partition_t *p = &g->parts[i];
        leader[i] = -1;
        if (!md) {
            p->err = e;
            continue;
        }
        int t = kafka_metadata_topic_index(md, p->topic);
        kafka_err_t terr = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, perr = KAFKA_OK;
        if (t >= 0)
            kafka_metadata_topic(md, t, &terr);
        if (t < 0 || terr || p->partition >= kafka_metadata_partition_count(md, t)) {
            p->err = terr ? terr : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        kafka_metadata_partition(md, t, p->partition, &leader[i], &perr);
        if (leader[i] < 0)
            p->err = perr ? perr : KAFKA_ERR_LEADER_NOT_AVAILABLE;
    }
    kafka_metadata_release(md);
    for (int i = 0; i < g->nparts; i++) {
        if (leader[i] < 0)
            continue;
        int32_t id = leader[i];
        kafka_conf_t *own;
        kafka__bconn_t *bc = kafka__admin_open(c, id, deadline, NULL, &own, &e, why, sizeof(why));
        int16_t v = bc ? kafka__bconn_version(bc, KAFKA_API_LIST_OFFSETS) : -1;
        kafka_arena_t a = KAFKA_ARENA_INIT;
        kafka_list_offsets_request_t req;
        kafka_request_init(KAFKA_API_LIST_OFFSETS, &req);
        kafka_list_offsets_request_topic_t *ts = kafka__arena_alloc(&a, sizeof(*ts) * (size_t)g->nparts);
        kafka_list_offsets_request_partition_t *ps = kafka__arena_alloc(&a, sizeof(*ps) * (size_t)g->nparts);
        if (bc && v < 0)
            e = KAFKA_ERR__UNKNOWN_APIKEY;
        else if (bc && (!ts || !ps))
            e = KAFKA_ERR__NO_MEMORY;
        if (bc && v >= 0 && ts && ps) {
            int n = 0, np = 0;
            for (int j = i; j < g->nparts; j++) {
                if (leader[j] != id)
                    continue;
                if (!n || strcmp(ts[n - 1].name.str, g->parts[j].topic) != 0) {
                    ts[n].name = kafka_str(g->parts[j].topic);
                    ts[n].partitions.items = &ps[np];
                    ts[n++].partitions.count = 0;
                }
                ps[np++] = (kafka_list_offsets_request_partition_t){g->parts[j].partition, -1, -1 /* latest */, 1};
                ts[n - 1].partitions.count++;
            }
            req.replica_id = -1;
            req.topics.items = ts;
            req.topics.count = n;
            kafka_list_offsets_response_t resp;
            uint8_t *frame = NULL;
            if (!(e = kafka__bconn_request(bc, KAFKA_API_LIST_OFFSETS, &req, &resp, &a, &frame, NULL))) {
                for (int32_t t = 0; t < resp.topics.count; t++)
                    for (int32_t k = 0; k < resp.topics.items[t].partitions.count; k++) {
                        const kafka_list_offsets_response_partition_response_t *rp =
                            &resp.topics.items[t].partitions.items[k];
                        for (int j = i; j < g->nparts; j++) {
                            kafka_group_partition_t *p = &g->parts[j];
                            if (leader[j] != id || p->partition != rp->partition_index ||
                                !kafka_str_eq(resp.topics.items[t].name, p->topic))
                                continue;
                            if (rp->error_code) {
                                p->err = (kafka_err_t)rp->error_code;
                                kafka__bconn_note_error(bc, KAFKA_API_LIST_OFFSETS, p->err);
                            } else if (v == 0) {
                                p->end = rp->old_style_offsets.count > 0 ? rp->old_style_offsets.items[0] : -1;
                            } else {
                                p->end = rp->offset;
                            }
                            leader[j] = -2; /* answered */
                        }
                    }
            }
            free(frame);
        }
        for (int j = i; j < g->nparts; j++) {
            if (leader[j] != id)
                continue;
            if (!g->parts[j].err)
                g->parts[j].err = e ? e : KAFKA_ERR__REQUEST_OR_RESPONSE; /* the broker left it out */
            leader[j] = -2;
        }
        kafka__arena_free(&a);
        if (bc)
            kafka__admin_close(bc, own);
    }
    for (int i = 0; i < g->nparts; i++) {
        kafka_group_partition_t *p = &g->parts[i];
        if (p->committed >= 0 && p->end >= 0)
            p->lag = p->end > p->committed ? p->end - p->committed : 0;
    }
    free(topics);
    free(leader);
}

kafka_group_t *kafka_connection_describe_group(kafka_connection_t *c, const char *group_id, int timeout_ms,
                                               kafka_err_t *errp, char *errstr, size_t errstr_size) {
    kafka_err_t dummy;
    char dummy_str[8];
    if (!errp)
        errp = &dummy;
    if (!errstr || !errstr_size)
        errstr = dummy_str, errstr_size = sizeof(dummy_str);
    errstr[0] = 0;
    if (!c || !group_id || !*group_id) {
        *errp = KAFKA_ERR__INVALID_ARG;
        snprintf(errstr, errstr_size, "DescribeGroups: no connection, or no group id");
        return NULL;
    }
    int64_t start = kafka__now_ms(), deadline = kafka__admin_deadline(c, timeout_ms);
    kafka__backoff_t bo;
    backoff_init(c, &bo);
    kafka_group_t *g = NULL;
    char why[700] = "";
    kafka_err_t e;
    int attempts = 0;
    kafka_err_t broker_e = KAFKA_OK; /* the coordinator's last answer, what a last attempt cut short by the */
    char broker_why[700] = "";       /* deadline would otherwise hide */
    for (;;) {
        attempts++;
        e = describe_at_coordinator(c, group_id, deadline, &g, why, sizeof(why));
        if (!e || !coord_retriable(e) || call_fatal(e))
            break;
        if (e > KAFKA_OK) {
            broker_e = e;
            snprintf(broker_why, sizeof(broker_why), "%s", why);
        }
        if (!backoff_sleep(&bo, deadline)) {
            if (e < KAFKA_OK && broker_e) {
                e = broker_e;
                snprintf(why, sizeof(why), "%s", broker_why);
            }
            size_t n = strlen(why);
            snprintf(why + n, sizeof(why) - n,
                     " (the coordinator of group \"%s\" still not available after %d attempts over %lld ms)", group_id,
                     attempts, (long long)(kafka__now_ms() - start));
            break;
        }
        /* The coordinator may have moved: ask the cluster where the brokers are now. */
        kafka__connection_refresh_wait(c, kafka__admin_left(deadline), NULL, 0);
    }
    if (e) {
        *errp = e;
        snprintf(errstr, errstr_size, "%s", why[0] ? why : kafka_err2str(e));
        return NULL;
    }
    /* Every assigned partition is one of the group's, committed or not. */
    for (int i = 0; i < g->nmembers; i++)
        for (int k = 0; k < g->members[i].nassigned; k++) {
            kafka_group_partition_t *p =
                part_get(g, kafka_str(g->members[i].assigned[k].topic), g->members[i].assigned[k].partition);
            if (!p) {
                kafka_group_destroy(g);
                *errp = KAFKA_ERR__NO_MEMORY;
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
            }
            p->member = i;
        }
    if (g->nparts > 1)
        qsort(g->parts, (size_t)g->nparts, sizeof(*g->parts), part_by_tp);
    fetch_ends(c, g, deadline);
    *errp = KAFKA_OK;
    return g;
}
