/* A client's request statistics (see core/rmetrics.h). */
#include "core/rmetrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bconn.h"

const double kafka_latency_bounds_s[KAFKA_LATENCY_BUCKETS - 1] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                                  0.025,  0.05,  0.1,    0.25,  0.5,
                                                                  1,      2.5,   5,      10,    30};

typedef struct rmapi_s {
    atomic_llong requests, responses, errors, latency_sum_us, request_bytes, response_bytes;
    atomic_llong latency[KAFKA_LATENCY_BUCKETS];
} rmapi_t;

typedef struct rmerr_s {
    _Atomic uint64_t key; /* (api_key + 1) << 32 | (uint32_t)err; 0: free */
    atomic_llong count;
} rmerr_t;

struct kafka__rmbroker_s {
    char name[272]; /* host:port */
    rmapi_t api[KAFKA__MAX_API_KEY + 1];
    rmerr_t err[KAFKA__RM_MAX_ERRORS];
    atomic_llong err_dropped; /* errors of pairs past the table */
};

struct kafka__rmetrics_s {
    pthread_mutex_t lock;
    _Atomic(kafka__rmbroker_t *) b[KAFKA__RM_MAX_BROKERS];
    atomic_int n;
};

kafka__rmetrics_t *kafka__rmetrics_new(void) {
    kafka__rmetrics_t *rm = calloc(1, sizeof(*rm));
    if (rm)
        pthread_mutex_init(&rm->lock, NULL);
    return rm;
}

void kafka__rmetrics_destroy(kafka__rmetrics_t *rm) {
    if (!rm)
        return;
    for (int i = 0; i < atomic_load(&rm->n); i++)
        free(atomic_load(&rm->b[i]));
    pthread_mutex_destroy(&rm->lock);
    free(rm);
}

kafka__rmbroker_t *kafka__rmetrics_broker(kafka__rmetrics_t *rm, const char *host, int port) {
    if (!rm)
        return NULL;
    char name[272];
    snprintf(name, sizeof(name), "%s:%d", host, port);
    pthread_mutex_lock(&rm->lock);
    kafka__rmbroker_t *b = NULL;
    int n = atomic_load(&rm->n);
    for (int i = 0; i < n && !b; i++)
        if (strcmp(atomic_load(&rm->b[i])->name, name) == 0)
            b = atomic_load(&rm->b[i]);
    if (!b && n < KAFKA__RM_MAX_BROKERS && (b = calloc(1, sizeof(*b)))) {
        snprintf(b->name, sizeof(b->name), "%s", name);
        atomic_store(&rm->b[n], b);
        atomic_store(&rm->n, n + 1); /* after the slot: a reader sees it whole */
    }
    pthread_mutex_unlock(&rm->lock);
    return b;
}

static bool api_ok(int16_t api_key) { return api_key >= 0 && api_key <= KAFKA__MAX_API_KEY; }

void kafka__rm_request(kafka__rmbroker_t *b, int16_t api_key, size_t bytes) {
    if (!b || !api_ok(api_key))
        return;
    atomic_fetch_add_explicit(&b->api[api_key].requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&b->api[api_key].request_bytes, (long long)bytes, memory_order_relaxed);
}

void kafka__rm_response(kafka__rmbroker_t *b, int16_t api_key, int64_t latency_us, size_t bytes) {
    if (!b || !api_ok(api_key))
        return;
    rmapi_t *a = &b->api[api_key];
    if (latency_us < 0)
        latency_us = 0;
    int k = 0;
    while (k < KAFKA_LATENCY_BUCKETS - 1 && (double)latency_us > kafka_latency_bounds_s[k] * 1e6)
        k++;
    atomic_fetch_add_explicit(&a->latency[k], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->latency_sum_us, latency_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->response_bytes, (long long)bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->responses, 1, memory_order_relaxed);
}

void kafka__rm_error(kafka__rmbroker_t *b, int16_t api_key, kafka_err_t err, int64_t n) {
    if (!b || !api_ok(api_key) || n <= 0)
        return;
    atomic_fetch_add_explicit(&b->api[api_key].errors, n, memory_order_relaxed);
    uint64_t key = (uint64_t)(api_key + 1) << 32 | (uint32_t)err;
    for (int i = 0; i < KAFKA__RM_MAX_ERRORS; i++) {
        uint64_t cur = atomic_load_explicit(&b->err[i].key, memory_order_acquire);
        if (cur == 0) {
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&b->err[i].key, &zero, key))
                cur = key;
            else
                cur = zero; /* another thread took the slot: maybe for this key */
        }
        if (cur == key) {
            atomic_fetch_add_explicit(&b->err[i].count, n, memory_order_relaxed);
            return;
        }
    }
    atomic_fetch_add_explicit(&b->err_dropped, n, memory_order_relaxed);
}

size_t kafka__rmetrics_read(kafka__rmetrics_t *rm, kafka_request_stats_t *out, size_t max) {
    size_t rows = 0;
    int n = rm ? atomic_load(&rm->n) : 0;
    for (int i = 0; i < n; i++) {
        kafka__rmbroker_t *b = atomic_load(&rm->b[i]);
        for (int k = 0; k <= KAFKA__MAX_API_KEY; k++) {
            rmapi_t *a = &b->api[k];
            int64_t req = atomic_load_explicit(&a->requests, memory_order_relaxed);
            int64_t err = atomic_load_explicit(&a->errors, memory_order_relaxed);
            if (!req && !err)
                continue;
            if (rows < max) {
                kafka_request_stats_t *s = &out[rows];
                snprintf(s->broker, sizeof(s->broker), "%s", b->name);
                s->api_key = (int16_t)k;
                s->requests = req;
                s->responses = atomic_load_explicit(&a->responses, memory_order_relaxed);
                s->errors = err;
                s->latency_sum_s = (double)atomic_load_explicit(&a->latency_sum_us, memory_order_relaxed) / 1e6;
                for (int j = 0; j < KAFKA_LATENCY_BUCKETS; j++)
                    s->latency[j] = atomic_load_explicit(&a->latency[j], memory_order_relaxed);
                s->request_bytes = atomic_load_explicit(&a->request_bytes, memory_order_relaxed);
                s->response_bytes = atomic_load_explicit(&a->response_bytes, memory_order_relaxed);
            }
            rows++;
        }
    }
    return rows;
}

size_t kafka__rmetrics_read_errors(kafka__rmetrics_t *rm, kafka_request_error_t *out, size_t max) {
    size_t rows = 0;
    int n = rm ? atomic_load(&rm->n) : 0;
    for (int i = 0; i < n; i++) {
        kafka__rmbroker_t *b = atomic_load(&rm->b[i]);
        for (int k = 0; k < KAFKA__RM_MAX_ERRORS; k++) {
            uint64_t key = atomic_load_explicit(&b->err[k].key, memory_order_acquire);
            int64_t c = atomic_load_explicit(&b->err[k].count, memory_order_relaxed);
            if (!key || !c)
                continue;
            if (rows < max)
                out[rows] = (kafka_request_error_t){"", (int16_t)((key >> 32) - 1), (kafka_err_t)(int32_t)(uint32_t)key, c};
            if (rows < max)
                snprintf(out[rows].broker, sizeof(out[rows].broker), "%s", b->name);
            rows++;
        }
    }
    return rows;
}
