/* The API versions a client found undecodable, per broker (see core/bconn.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bconn.h"
#include "core/rmetrics.h"
#include "util/vec.h"

typedef struct vcap_s {
    char host[256];
    int port;
    int16_t cap[KAFKA__MAX_API_KEY + 1]; /* INT16_MAX: no cap */
} vcap_t;

struct kafka__vcaps_s {
    pthread_mutex_t lock;
    kafka__rmetrics_t *metrics; /* the client's request statistics ride along: every connection has the table */
    vcap_t *v;
    size_t n, cap;
};

kafka__vcaps_t *kafka__vcaps_new(void) {
    kafka__vcaps_t *vc = calloc(1, sizeof(*vc));
    if (!vc)
        return NULL;
    if (!(vc->metrics = kafka__rmetrics_new())) {
        free(vc);
        return NULL;
    }
    pthread_mutex_init(&vc->lock, NULL);
    return vc;
}

void kafka__vcaps_destroy(kafka__vcaps_t *vc) {
    if (!vc)
        return;
    pthread_mutex_destroy(&vc->lock);
    kafka__rmetrics_destroy(vc->metrics);
    free(vc->v);
    free(vc);
}

/* The broker's entry, added when add (NULL when absent or out of memory). */
/* @locks vc->lock held */
static vcap_t *vcap_find(kafka__vcaps_t *vc, const char *host, int port, bool add) {
    for (size_t i = 0; i < vc->n; i++)
        if (vc->v[i].port == port && strcmp(vc->v[i].host, host) == 0)
            return &vc->v[i];
    if (!add)
        return NULL;
    vcap_t *grown = kafka__vec_grow(vc->v, &vc->cap, vc->n, sizeof(*grown), 4);
    if (!grown)
        return NULL;
    vc->v = grown;
    vcap_t *e = &vc->v[vc->n++];
    snprintf(e->host, sizeof(e->host), "%s", host);
    e->port = port;
    for (int k = 0; k <= KAFKA__MAX_API_KEY; k++)
        e->cap[k] = INT16_MAX;
    return e;
}

void kafka__vcaps_apply(kafka__vcaps_t *vc, const char *host, int port, int16_t version[KAFKA__MAX_API_KEY + 1],
                        const int16_t floor[KAFKA__MAX_API_KEY + 1]) {
    if (!vc)
        return;
    pthread_mutex_lock(&vc->lock);
    const vcap_t *e = vcap_find(vc, host, port, false);
    for (int k = 0; e && k <= KAFKA__MAX_API_KEY; k++)
        if (version[k] > e->cap[k])
            version[k] = e->cap[k] >= floor[k] ? e->cap[k] : floor[k];
    pthread_mutex_unlock(&vc->lock);
}

bool kafka__vcaps_lower(kafka__vcaps_t *vc, const char *host, int port, int16_t api_key, int16_t version) {
    if (!vc)
        return true; /* without a table, each connection says it */
    pthread_mutex_lock(&vc->lock);
    vcap_t *e = vcap_find(vc, host, port, true);
    bool first = !e || e->cap[api_key] > version;
    if (e && first)
        e->cap[api_key] = version;
    pthread_mutex_unlock(&vc->lock);
    return first;
}

kafka__rmetrics_t *kafka__vcaps_metrics(kafka__vcaps_t *vc) { return vc ? vc->metrics : NULL; }
