/* Topics, partitions, leaders and coordinators of the mock cluster; fault-injection
 * error filling. Callers hold m->lock unless the function is public. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "mock/mock_int.h"
#include "proto/schema.h"
#include "util/clock.h"

kmock_topic_t *kmock__topic_find(kafka_mock_t *m, const char *name, int32_t len) {
    for (kmock_topic_t *t = m->topics; t; t = t->next)
        if ((int32_t)strlen(t->name) == len && memcmp(t->name, name, (size_t)len) == 0)
            return t;
    return NULL;
}

/* Kafka's topic name rule: 1..249 of [a-zA-Z0-9._-]. */
static bool valid_topic_name(const char *name, int32_t len) {
    if (len < 1 || len > 249)
        return false;
    for (int32_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-'))
            return false;
    }
    return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

/* Sets partition i of t: its replicas (ids[0..n-1], else n of them spread round-robin
 * from a per-topic start, so topics do not all pile on broker 1) and the first live one
 * as leader. */
static void place(kafka_mock_t *m, kmock_topic_t *t, int i, int n, const int32_t *ids) {
    kmock_partition_t *p = &t->partitions[i];
    unsigned start = 0;
    for (const char *c = t->name; *c; c++)
        start = start * 31 + (unsigned char)*c;
    p->id = i;
    for (int r = 0; r < n; r++)
        p->replicas[r] = ids ? ids[r] : (int32_t)((start + (unsigned)i + (unsigned)r) % (unsigned)m->nbrokers) + 1;
    p->nreplicas = n;
    p->leader = -1;
    for (int r = 0; r < n && p->leader < 0; r++)
        if (!m->brokers[p->replicas[r] - 1].down)
            p->leader = p->replicas[r];
}

kafka_err_t kmock__topic_create(kafka_mock_t *m, const char *name, int32_t len, int partitions, int rf) {
    if (!valid_topic_name(name, len))
        return KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
    if (partitions < 1 || partitions > 100000)
        return KAFKA_ERR_INVALID_PARTITIONS;
    if (rf < 1)
        return KAFKA_ERR_INVALID_REPLICATION_FACTOR;
    if (kmock__topic_find(m, name, len))
        return KAFKA_ERR_TOPIC_ALREADY_EXISTS;
    if (rf > m->nbrokers)
        rf = m->nbrokers;
    kmock_topic_t *t = calloc(1, sizeof(*t));
    if (!t)
        return KAFKA_ERR__NO_MEMORY;
    t->name = strndup(name, (size_t)len);
    t->partitions = calloc((size_t)partitions, sizeof(*t->partitions));
    if (!t->name || !t->partitions) {
        free(t->name);
        free(t->partitions);
        free(t);
        return KAFKA_ERR__NO_MEMORY;
    }
    t->npartitions = partitions;
    kmock__uuid_random(&t->id);
    for (int i = 0; i < partitions; i++)
        place(m, t, i, rf, NULL);
    t->next = m->topics;
    m->topics = t;
    return KAFKA_OK;
}

void kmock__topic_free(kmock_topic_t *t) {
    for (int p = 0; p < t->npartitions; p++)
        kmock__log_free(&t->partitions[p]);
    for (kmock_tconfig_t *c = t->configs, *n; c; c = n) {
        n = c->next;
        free(c->name);
        free(c->value);
        free(c);
    }
    free(t->partitions);
    free(t->name);
    free(t);
}

void kmock__topic_delete(kafka_mock_t *m, kmock_topic_t *t) {
    for (kmock_topic_t **pp = &m->topics; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    kmock__topic_free(t);
}

kafka_err_t kmock__topic_grow(kafka_mock_t *m, kmock_topic_t *t, int32_t total, const int32_t *const *assign,
                              const int32_t *nassign) {
    kmock_partition_t *np = realloc(t->partitions, (size_t)total * sizeof(*np));
    if (!np)
        return KAFKA_ERR__NO_MEMORY;
    memset(np + t->npartitions, 0, (size_t)(total - t->npartitions) * sizeof(*np));
    t->partitions = np;
    int rf = t->npartitions ? t->partitions[0].nreplicas : 1;
    for (int32_t i = t->npartitions; i < total; i++) {
        int k = i - t->npartitions;
        place(m, t, i, assign ? nassign[k] : rf, assign ? assign[k] : NULL);
    }
    t->npartitions = total;
    return KAFKA_OK;
}

int kmock__live_brokers(const kafka_mock_t *m) {
    int live = 0;
    for (int i = 0; i < m->nbrokers; i++)
        live += !m->brokers[i].down;
    return live;
}

kmock_broker_t *kmock__controller(kafka_mock_t *m) {
    for (int i = 0; i < m->nbrokers; i++)
        if (!m->brokers[i].down)
            return &m->brokers[i];
    return NULL;
}

kmock_topic_t *kmock__topic_get(kafka_mock_t *m, const char *name, int32_t len, bool create) {
    kmock_topic_t *t = kmock__topic_find(m, name, len);
    if (!t && create && m->conf.auto_create &&
        kmock__topic_create(m, name, len, m->conf.default_partitions, m->nbrokers < 3 ? m->nbrokers : 3) == KAFKA_OK)
        t = kmock__topic_find(m, name, len);
    return t;
}

void kmock__uuid_random(kafka_uuid_t *id) {
    if (getrandom(id->b, sizeof(id->b), 0) != (ssize_t)sizeof(id->b)) { /* never on Linux >= 3.17 for 16 bytes */
        static _Atomic uint64_t seq;
        uint64_t x = (uint64_t)kafka__now_ms() * 0x9e3779b97f4a7c15u + ++seq;
        memcpy(id->b, &x, 8);
        memcpy(id->b + 8, &seq, 8);
    }
    id->b[6] = (uint8_t)((id->b[6] & 0x0f) | 0x40); /* version 4, as Java's Uuid.randomUuid */
    id->b[8] = (uint8_t)((id->b[8] & 0x3f) | 0x80);
}

kmock_topic_t *kmock__topic_by_id(kafka_mock_t *m, const kafka_uuid_t *id) {
    for (kmock_topic_t *t = m->topics; t; t = t->next)
        if (memcmp(t->id.b, id->b, sizeof(id->b)) == 0)
            return t;
    return NULL;
}

kmock_partition_t *kmock__partition(kmock_topic_t *t, int32_t id) {
    return t && id >= 0 && id < t->npartitions ? &t->partitions[id] : NULL;
}

kmock_broker_t *kmock__coordinator(kafka_mock_t *m, const char *key, int32_t len) {
    kmock_group_t *g = kmock__group_find(m, (kafka_str_t){key, len});
    kmock_broker_t *moved = g && g->coordinator ? kmock__broker(m, g->coordinator) : NULL;
    if (moved && !moved->down)
        return moved;
    unsigned h = 0;
    for (int32_t i = 0; i < len; i++)
        h = h * 31 + (unsigned char)key[i];
    for (int k = 0; k < m->nbrokers; k++) {
        kmock_broker_t *b = &m->brokers[(h + (unsigned)k) % (unsigned)m->nbrokers];
        if (!b->down)
            return b;
    }
    return NULL;
}

kafka_err_t kafka_mock_topic_create(kafka_mock_t *m, const char *topic, int partitions, int replication_factor) {
    pthread_mutex_lock(&m->lock);
    kafka_err_t err = kmock__topic_create(m, topic, (int32_t)strlen(topic), partitions, replication_factor);
    pthread_mutex_unlock(&m->lock);
    return err;
}

kafka_err_t kafka_mock_topic_delete(kafka_mock_t *m, const char *topic) {
    pthread_mutex_lock(&m->lock);
    kmock_topic_t *t = kmock__topic_find(m, topic, (int32_t)strlen(topic));
    if (t)
        kmock__topic_delete(m, t);
    pthread_mutex_unlock(&m->lock);
    return t ? KAFKA_OK : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

kafka_err_t kafka_mock_topic_id(kafka_mock_t *m, const char *topic, uint8_t id[16]) {
    pthread_mutex_lock(&m->lock);
    kmock_topic_t *t = kmock__topic_find(m, topic, (int32_t)strlen(topic));
    if (t)
        memcpy(id, t->id.b, sizeof(t->id.b));
    pthread_mutex_unlock(&m->lock);
    return t ? KAFKA_OK : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

kafka_err_t kafka_mock_partition_set_leader(kafka_mock_t *m, const char *topic, int partition, int broker_id) {
    pthread_mutex_lock(&m->lock);
    kafka_err_t err = KAFKA_OK;
    kmock_partition_t *p = kmock__partition(kmock__topic_find(m, topic, (int32_t)strlen(topic)), partition);
    if (!p)
        err = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (!kmock__broker(m, broker_id))
        err = KAFKA_ERR__INVALID_ARG;
    else {
        p->leader = broker_id;
        p->leader_epoch++;
        bool replica = false;
        for (int r = 0; r < p->nreplicas; r++)
            replica |= p->replicas[r] == broker_id;
        if (!replica && p->nreplicas < KMOCK_MAX_BROKERS)
            p->replicas[p->nreplicas++] = broker_id;
    }
    pthread_mutex_unlock(&m->lock);
    return err;
}

kafka_err_t kafka_mock_partition_offsets(kafka_mock_t *m, const char *topic, int partition, int64_t *log_start,
                                         int64_t *high_watermark) {
    pthread_mutex_lock(&m->lock);
    kmock_partition_t *p = kmock__partition(kmock__topic_find(m, topic, (int32_t)strlen(topic)), partition);
    if (p) {
        if (log_start)
            *log_start = p->log_start;
        if (high_watermark)
            *high_watermark = p->high_watermark;
    }
    pthread_mutex_unlock(&m->lock);
    return p ? KAFKA_OK : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

kafka_err_t kafka_mock_partition_damage(kafka_mock_t *m, const char *topic, int partition, int64_t offset,
                                       bool keep_crc) {
    pthread_mutex_lock(&m->lock);
    kmock_partition_t *p = kmock__partition(kmock__topic_find(m, topic, (int32_t)strlen(topic)), partition);
    kafka_err_t err = p ? kmock__log_damage(p, offset, keep_crc) : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    pthread_mutex_unlock(&m->lock);
    return err;
}

kafka_err_t kafka_mock_partition_truncate(kafka_mock_t *m, const char *topic, int partition, int64_t offset,
                                         int64_t *end) {
    pthread_mutex_lock(&m->lock);
    kmock_partition_t *p = kmock__partition(kmock__topic_find(m, topic, (int32_t)strlen(topic)), partition);
    int64_t e = -1;
    kafka_err_t err = p ? kmock__log_truncate(p, offset, &e) : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!err)
        p->leader_epoch++; /* an out-of-sync replica took over */
    pthread_mutex_unlock(&m->lock);
    if (end)
        *end = e;
    return err;
}

/* ---- fault injection: every ErrorCode of a response ---- */

/* "ErrorCode", or a name ending in it (AddPartitionsToTxn's PartitionErrorCode). */
static bool error_code_field(const char *name) {
    size_t n = strlen(name);
    return n >= 9 && strcmp(name + n - 9, "ErrorCode") == 0;
}

static void set_codes(const kafka__schema_t *s, uint8_t *obj, int16_t err) {
    for (unsigned i = 0; i < s->nfields; i++) {
        const kafka__field_t *f = &s->fields[i];
        uint8_t *p = obj + f->offset;
        if (f->type == KAFKA__T_INT16 && error_code_field(f->name)) {
            *(int16_t *)p = err;
        } else if (f->type == KAFKA__T_STRUCT) {
            set_codes(f->sub, p, err);
        } else if (f->type == KAFKA__T_NSTRUCT) {
            uint8_t *sub;
            memcpy(&sub, p, sizeof(sub));
            if (sub)
                set_codes(f->sub, sub, err);
        } else if (f->type == KAFKA__T_ARRAY && f->elem == KAFKA__T_STRUCT) {
            struct { uint8_t *items; int32_t count; } a;
            memcpy(&a, p, sizeof(a));
            for (int32_t k = 0; k < a.count; k++)
                set_codes(f->sub, a.items + (size_t)k * f->sub->size, err);
        }
    }
}

void kmock__set_error_codes(int16_t api_key, void *resp, kafka_err_t err) {
    const kafka__api_t *api = kafka__api_find(api_key);
    if (api)
        set_codes(api->response, resp, (int16_t)err);
}

/* ---- response arrays: elements allocated from the request's arena, at their defaults ---- */

static const kafka__schema_t *find_schema(const kafka__schema_t *s, const char *name) {
    if (strcmp(s->name, name) == 0)
        return s;
    for (unsigned i = 0; i < s->nfields; i++) {
        const kafka__field_t *f = &s->fields[i];
        const kafka__schema_t *r = f->sub ? find_schema(f->sub, name) : NULL;
        if (r)
            return r;
    }
    return NULL;
}

void *kmock__items(kmock_req_t *rq, const char *struct_name, int32_t n) {
    const kafka__api_t *api = kafka__api_find(rq->hdr->request_api_key);
    const kafka__schema_t *s = api ? find_schema(api->response, struct_name) : NULL;
    if (!s || n <= 0)
        return NULL;
    uint8_t *items = kafka__arena_alloc(rq->arena, (size_t)n * s->size);
    for (int32_t i = 0; items && i < n; i++)
        kafka__schema_defaults(s, items + (size_t)i * s->size);
    return items;
}
