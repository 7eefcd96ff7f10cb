/* Metadata snapshots built from Metadata responses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metadata.h"
#include "util/arena.h"
#include "util/clock.h"

static char *dup_str(kafka_str_t s) {
    char *d = malloc(s.len > 0 ? (size_t)s.len + 1 : 1);
    if (d) {
        if (s.len > 0)
            memcpy(d, s.str, (size_t)s.len);
        d[s.len > 0 ? s.len : 0] = 0;
    }
    return d;
}

static int32_t *dup_ints(const int32_t *v, int32_t n) {
    int32_t *d = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (d && n > 0)
        memcpy(d, v, sizeof(int32_t) * (size_t)n);
    return d;
}

static int cmp_topic(const void *a, const void *b) {
    return strcmp(((const kafka__md_topic_t *)a)->name, ((const kafka__md_topic_t *)b)->name);
}
static int cmp_part(const void *a, const void *b) {
    return ((const kafka__md_partition_t *)a)->id - ((const kafka__md_partition_t *)b)->id;
}
static int cmp_broker(const void *a, const void *b) {
    return ((const kafka__md_broker_t *)a)->id - ((const kafka__md_broker_t *)b)->id;
}

static void md_free(kafka__metadata_t *md) {
    for (int32_t i = 0; i < md->nbrokers; i++)
        free(md->brokers[i].host);
    for (int32_t t = 0; t < md->ntopics; t++) {
        for (int32_t p = 0; p < md->topics[t].npartitions; p++) {
            free(md->topics[t].partitions[p].replicas);
            free(md->topics[t].partitions[p].isr);
        }
        free(md->topics[t].partitions);
        free(md->topics[t].name);
    }
    free(md->brokers);
    free(md->topics);
    free(md->cluster_id);
    free(md);
}

/* Copies the response into a snapshot; false on ENOMEM or on partition ids that are
 * not exactly 0..n-1 (a broker bug we refuse to route on). */
static bool build(kafka__metadata_t *md, const kafka_metadata_response_t *r, char *errstr, size_t errstr_size) {
    md->controller_id = r->controller_id;
    md->cluster_id = dup_str(r->cluster_id);
    md->brokers = calloc((size_t)(r->brokers.count > 0 ? r->brokers.count : 1), sizeof(*md->brokers));
    md->topics = calloc((size_t)(r->topics.count > 0 ? r->topics.count : 1), sizeof(*md->topics));
    if (!md->cluster_id || !md->brokers || !md->topics)
        return false;
    for (int32_t i = 0; i < r->brokers.count; i++) {
        md->brokers[i].id = r->brokers.items[i].node_id;
        md->brokers[i].port = r->brokers.items[i].port;
        if (!(md->brokers[i].host = dup_str(r->brokers.items[i].host)))
            return false;
        md->nbrokers++;
    }
    qsort(md->brokers, (size_t)md->nbrokers, sizeof(*md->brokers), cmp_broker);
    for (int32_t t = 0; t < r->topics.count; t++) {
        const kafka_metadata_response_topic_t *rt = &r->topics.items[t];
        kafka__md_topic_t *mt = &md->topics[md->ntopics];
        if (!(mt->name = dup_str(rt->name)))
            return false;
        md->ntopics++;
        mt->err = rt->error_code;
        mt->id = rt->topic_id;
        int32_t np = rt->partitions.count > 0 ? rt->partitions.count : 0;
        mt->partitions = calloc((size_t)(np ? np : 1), sizeof(*mt->partitions));
        if (!mt->partitions)
            return false;
        for (int32_t p = 0; p < np; p++) {
            const kafka_metadata_response_partition_t *rp = &rt->partitions.items[p];
            kafka__md_partition_t *mp = &mt->partitions[p];
            mp->id = rp->partition_index;
            mp->err = rp->error_code;
            mp->leader = rp->leader_id;
            mp->leader_epoch = rp->leader_epoch;
            mp->nreplicas = rp->replica_nodes.count > 0 ? rp->replica_nodes.count : 0;
            mp->nisr = rp->isr_nodes.count > 0 ? rp->isr_nodes.count : 0;
            mp->replicas = dup_ints(rp->replica_nodes.items, mp->nreplicas);
            mp->isr = dup_ints(rp->isr_nodes.items, mp->nisr);
            mt->npartitions++;
            if (!mp->replicas || !mp->isr)
                return false;
        }
        qsort(mt->partitions, (size_t)np, sizeof(*mt->partitions), cmp_part);
        for (int32_t p = 0; p < np; p++) {
            if (mt->partitions[p].id != p) {
                snprintf(errstr, errstr_size, "topic %s: partition ids are not 0..%d", mt->name, np - 1);
                return false;
            }
        }
    }
    qsort(md->topics, (size_t)md->ntopics, sizeof(*md->topics), cmp_topic);
    return true;
}

kafka__metadata_t *kafka__metadata_fetch(kafka__bconn_t *bc, const char *const *topics, int ntopics, bool auto_create,
                                         kafka_err_t *errp, char *errstr, size_t errstr_size) {
    kafka_err_t dummy;
    char dummy_str[8];
    if (!errp)
        errp = &dummy;
    if (!errstr) {
        errstr = dummy_str;
        errstr_size = sizeof(dummy_str);
    }
    errstr[0] = 0;
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    kafka_metadata_request_topic_t *rt = NULL;
    int16_t v = kafka__bconn_version(bc, KAFKA_API_METADATA);
    if (ntopics > 0) {
        rt = calloc((size_t)ntopics, sizeof(*rt));
        if (!rt) {
            *errp = KAFKA_ERR__NO_MEMORY;
            return NULL;
        }
        for (int i = 0; i < ntopics; i++)
            rt[i].name = kafka_str(topics[i]);
        req.topics.items = rt;
        req.topics.count = ntopics;
    } else if (ntopics < 0) {
        req.topics.count = v >= 1 ? -1 : 0; /* v0: an empty list means every topic */
    }
    /* Before v4 the broker's own setting decides and the field cannot be sent. */
    if (v >= 4)
        req.allow_auto_topic_creation = auto_create;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_metadata_response_t resp;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_METADATA, &req, &resp, &arena, &frame, NULL);
    free(rt);
    kafka__metadata_t *md = NULL;
    if (e) {
        *errp = e;
        snprintf(errstr, errstr_size, "%s:%d: Metadata request failed: %s", bc->host, bc->port,
                 e == KAFKA_ERR__UNKNOWN_APIKEY ? "the broker speaks no Metadata version we do"
                                                : kafka__bconn_last_error(bc));
    } else if (!(md = calloc(1, sizeof(*md))) || !build(md, &resp, errstr, errstr_size)) {
        *errp = md ? KAFKA_ERR__REQUEST_OR_RESPONSE : KAFKA_ERR__NO_MEMORY;
        if (md && !errstr[0])
            snprintf(errstr, errstr_size, "out of memory");
        if (md)
            md_free(md);
        md = NULL;
    } else {
        md->taken_ms = kafka__now_ms();
        atomic_init(&md->refcnt, 1);
        *errp = KAFKA_OK;
    }
    free(frame);
    kafka__arena_free(&arena);
    return md;
}

kafka__metadata_t *kafka__metadata_keep(kafka__metadata_t *md) {
    atomic_fetch_add_explicit(&md->refcnt, 1, memory_order_relaxed);
    return md;
}

void kafka__metadata_release(kafka__metadata_t *md) {
    /* acq_rel: the last releaser must see every other holder's reads done before freeing. */
    if (md && atomic_fetch_sub_explicit(&md->refcnt, 1, memory_order_acq_rel) == 1)
        md_free(md);
}

const kafka__md_topic_t *kafka__metadata_topic(const kafka__metadata_t *md, const char *name) {
    kafka__md_topic_t key = {.name = (char *)name};
    return bsearch(&key, md->topics, (size_t)md->ntopics, sizeof(*md->topics), cmp_topic);
}

const kafka__md_topic_t *kafka__metadata_topic_by_id(const kafka__metadata_t *md, const kafka_uuid_t *id) {
    static const kafka_uuid_t zero;
    if (memcmp(id->b, zero.b, sizeof(zero.b)) == 0)
        return NULL;
    for (int32_t t = 0; t < md->ntopics; t++)
        if (memcmp(md->topics[t].id.b, id->b, sizeof(id->b)) == 0)
            return &md->topics[t];
    return NULL;
}

const kafka__md_broker_t *kafka__metadata_broker(const kafka__metadata_t *md, int32_t id) {
    kafka__md_broker_t key = {id, NULL, 0};
    return bsearch(&key, md->brokers, (size_t)md->nbrokers, sizeof(*md->brokers), cmp_broker);
}

/* ---- kafka_metadata_t: the snapshot as the application sees it ------------------- */

_Static_assert(KAFKA_API_KEY_MAX == KAFKA__MAX_API_KEY, "kafka/connection.h and core/broker.h disagree");

struct kafka_metadata_s {
    atomic_int refcnt;
    kafka__metadata_t *md;
    char host[256]; /* the broker that answered */
    int port;
    bool negotiated;
    int16_t version[KAFKA__MAX_API_KEY + 1];
};

kafka_metadata_t *kafka__metadata_public(kafka__metadata_t *md, const kafka__bconn_t *bc) {
    kafka_metadata_t *pub = calloc(1, sizeof(*pub));
    if (!pub) {
        kafka__metadata_release(md);
        return NULL;
    }
    atomic_init(&pub->refcnt, 1);
    pub->md = md;
    snprintf(pub->host, sizeof(pub->host), "%s", bc->host);
    pub->port = bc->port;
    pub->negotiated = bc->negotiated;
    memcpy(pub->version, bc->version, sizeof(pub->version));
    return pub;
}

kafka_metadata_t *kafka_metadata_keep(kafka_metadata_t *md) {
    atomic_fetch_add_explicit(&md->refcnt, 1, memory_order_relaxed);
    return md;
}

void kafka_metadata_release(kafka_metadata_t *md) {
    if (md && atomic_fetch_sub_explicit(&md->refcnt, 1, memory_order_acq_rel) == 1) {
        kafka__metadata_release(md->md);
        free(md);
    }
}

const char *kafka_metadata_origin(const kafka_metadata_t *md, int *port) {
    if (port)
        *port = md->port;
    return md->host;
}

const char *kafka_metadata_cluster_id(const kafka_metadata_t *md) { return md->md->cluster_id; }

int32_t kafka_metadata_controller(const kafka_metadata_t *md) { return md->md->controller_id; }

int kafka_metadata_broker_count(const kafka_metadata_t *md) { return md->md->nbrokers; }

int32_t kafka_metadata_broker(const kafka_metadata_t *md, int i, const char **host, int *port) {
    if (i < 0 || i >= md->md->nbrokers)
        return -1;
    if (host)
        *host = md->md->brokers[i].host;
    if (port)
        *port = md->md->brokers[i].port;
    return md->md->brokers[i].id;
}

int kafka_metadata_topic_count(const kafka_metadata_t *md) { return md->md->ntopics; }

const char *kafka_metadata_topic(const kafka_metadata_t *md, int t, kafka_err_t *err) {
    if (t < 0 || t >= md->md->ntopics)
        return NULL;
    if (err)
        *err = (kafka_err_t)md->md->topics[t].err;
    return md->md->topics[t].name;
}

int kafka_metadata_topic_index(const kafka_metadata_t *md, const char *name) {
    const kafka__md_topic_t *mt = name ? kafka__metadata_topic(md->md, name) : NULL;
    return mt ? (int)(mt - md->md->topics) : -1;
}

/* Partition p of the t-th topic, NULL when either is out of range. */
static const kafka__md_partition_t *partition_at(const kafka_metadata_t *md, int t, int p) {
    if (t < 0 || t >= md->md->ntopics || p < 0 || p >= md->md->topics[t].npartitions)
        return NULL;
    return &md->md->topics[t].partitions[p];
}

int kafka_metadata_partition_count(const kafka_metadata_t *md, int t) {
    return t >= 0 && t < md->md->ntopics ? md->md->topics[t].npartitions : -1;
}

int32_t kafka_metadata_partition(const kafka_metadata_t *md, int t, int p, int32_t *leader, kafka_err_t *err) {
    const kafka__md_partition_t *mp = partition_at(md, t, p);
    if (!mp)
        return -1;
    if (leader)
        *leader = mp->leader;
    if (err)
        *err = (kafka_err_t)mp->err;
    return mp->id;
}

int kafka_metadata_replicas(const kafka_metadata_t *md, int t, int p, const int32_t **ids) {
    const kafka__md_partition_t *mp = partition_at(md, t, p);
    if (!mp)
        return -1;
    if (ids)
        *ids = mp->replicas;
    return mp->nreplicas;
}

int kafka_metadata_isrs(const kafka_metadata_t *md, int t, int p, const int32_t **ids) {
    const kafka__md_partition_t *mp = partition_at(md, t, p);
    if (!mp)
        return -1;
    if (ids)
        *ids = mp->isr;
    return mp->nisr;
}

bool kafka_metadata_api_negotiated(const kafka_metadata_t *md) { return md->negotiated; }

int16_t kafka_metadata_api_version(const kafka_metadata_t *md, int16_t api_key) {
    return api_key >= 0 && api_key <= KAFKA__MAX_API_KEY ? md->version[api_key] : -1;
}
