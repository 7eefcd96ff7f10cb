/* Incremental fetch sessions (KIP-227): each broker's cache of sessions, keyed by id,
 * with Kafka's limit and eviction rule; h01_fetch.c serves Fetch with them. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

kmock_fsession_t *kmock__fsession_find(kafka_mock_t *m, int broker, int32_t id) {
    for (kmock_fsession_t *s = m->fsessions; s; s = s->next)
        if (s->id == id && s->broker == broker)
            return s;
    return NULL;
}

static void fsession_free(kmock_fsession_t *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->parts[i].topic);
    free(s->parts);
    free(s);
}

void kmock__fsession_remove(kafka_mock_t *m, kmock_fsession_t *s) {
    for (kmock_fsession_t **pp = &m->fsessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            m->fstats.sessions--;
            fsession_free(s);
            return;
        }
    }
}

/* Kafka's FetchSessionCache.tryEvict for a new session of n partitions: the least
 * recently used session idle past the eviction time, else the smallest one if it is
 * smaller than the new one. */
static bool evict_one(kafka_mock_t *m, int broker, size_t n, int64_t now_ms) {
    kmock_fsession_t *lru = NULL, *small = NULL;
    for (kmock_fsession_t *s = m->fsessions; s; s = s->next) {
        if (s->broker != broker)
            continue;
        if (!lru || s->last_used_ms < lru->last_used_ms)
            lru = s;
        if (!small || s->n < small->n)
            small = s;
    }
    kmock_fsession_t *victim = lru && now_ms - lru->last_used_ms > KMOCK_FSESSION_EVICTION_MS ? lru
                               : small && small->n < n                                        ? small
                                                                                              : NULL;
    if (!victim)
        return false;
    kmock__fsession_remove(m, victim);
    m->fstats.evicted++;
    return true;
}

kmock_fsession_t *kmock__fsession_create(kafka_mock_t *m, int broker, size_t n, int64_t now_ms) {
    int slots = m->conf.fetch_session_slots ? m->conf.fetch_session_slots : KMOCK_FSESSION_SLOTS;
    if (slots < 0)
        return NULL;
    int count = 0;
    for (kmock_fsession_t *s = m->fsessions; s; s = s->next)
        count += s->broker == broker;
    if (count >= slots && !evict_one(m, broker, n, now_ms))
        return NULL;
    kmock_fsession_t *s = calloc(1, sizeof(*s));
    if (!s || (n && !(s->parts = malloc(n * sizeof(*s->parts))))) {
        free(s);
        return NULL;
    }
    s->cap = n;
    s->broker = broker;
    if (m->next_fsession_id <= 0)
        m->next_fsession_id = 1;
    /* Ids unique across the cluster: a session of one broker is unknown to another. */
    while (kmock__fsession_find(m, broker, m->next_fsession_id))
        m->next_fsession_id = m->next_fsession_id == INT32_MAX ? 1 : m->next_fsession_id + 1;
    s->id = m->next_fsession_id;
    m->next_fsession_id = s->id == INT32_MAX ? 1 : s->id + 1;
    s->epoch = 1;
    s->last_used_ms = now_ms;
    s->next = m->fsessions;
    m->fsessions = s;
    m->fstats.sessions++;
    m->fstats.created++;
    return s;
}

static int cmp_key(kafka_str_t topic, int32_t partition, const kmock_fspart_t *p) {
    size_t len = topic.len > 0 ? (size_t)topic.len : 0;
    int r = strncmp(topic.str ? topic.str : "", p->topic, len);
    if (!r && p->topic[len])
        r = -1; /* topic is a prefix of p's */
    return r ? r : (partition > p->partition) - (partition < p->partition);
}

kmock_fspart_t *kmock__fsession_part(kmock_fsession_t *s, kafka_str_t topic, int32_t partition, bool add) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_key(topic, partition, &s->parts[mid]);
        if (!r)
            return &s->parts[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (!add)
        return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        kmock_fspart_t *grown = realloc(s->parts, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        s->parts = grown;
        s->cap = cap;
    }
    char *name = malloc((size_t)(topic.len > 0 ? topic.len : 0) + 1);
    if (!name)
        return NULL;
    memcpy(name, topic.str, (size_t)(topic.len > 0 ? topic.len : 0));
    name[topic.len > 0 ? topic.len : 0] = '\0';
    memmove(&s->parts[lo + 1], &s->parts[lo], (s->n - lo) * sizeof(*s->parts));
    s->n++;
    if (s->rr > lo)
        s->rr++;
    s->parts[lo] = (kmock_fspart_t){name, partition, 0, 0, -1, -1, -2, -2, -2, false};
    return &s->parts[lo];
}

void kmock__fsession_compact(kmock_fsession_t *s) {
    size_t k = 0, rr = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i == s->rr)
            rr = k;
        if (s->parts[i].forgotten) {
            free(s->parts[i].topic);
            continue;
        }
        s->parts[k++] = s->parts[i];
    }
    s->n = k;
    s->rr = rr < s->n ? rr : 0;
}

void kmock__fsessions_free(kafka_mock_t *m) {
    for (kmock_fsession_t *s = m->fsessions, *n; s; s = n) {
        n = s->next;
        fsession_free(s);
    }
    m->fsessions = NULL;
}

/* Drops (evict) or skews the sessions of broker_id (-1: all). */
static int each_session(kafka_mock_t *m, int broker_id, bool evict) {
    int n = 0;
    pthread_mutex_lock(&m->lock);
    for (kmock_fsession_t *s = m->fsessions, *next; s; s = next) {
        next = s->next;
        if (broker_id != -1 && s->broker != broker_id)
            continue;
        n++;
        if (evict) {
            kmock__fsession_remove(m, s);
            m->fstats.evicted++;
        } else {
            s->epoch = s->epoch == INT32_MAX ? 1 : s->epoch + 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

int kafka_mock_fetch_sessions_evict(kafka_mock_t *m, int broker_id) { return each_session(m, broker_id, true); }

int kafka_mock_fetch_sessions_skew(kafka_mock_t *m, int broker_id) { return each_session(m, broker_id, false); }

void kafka_mock_fetch_stats(kafka_mock_t *m, kafka_mock_fetch_stats_t *stats) {
    pthread_mutex_lock(&m->lock);
    *stats = m->fstats;
    pthread_mutex_unlock(&m->lock);
}
