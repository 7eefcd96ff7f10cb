/* The library's log (see core/log.h): level filter, rate limit, sink. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_int.h"
#include "util/clock.h"

#define SLOTS 64

typedef struct slot_s {
    char key[192]; /* "facility|key"; "" when free */
    int64_t window_start, last_used;
    int passed;      /* lines let through in this window */
    long suppressed; /* lines dropped since the last one let through */
} slot_t;

struct kafka__logger_s {
    pthread_mutex_t lock;
    int burst;
    int interval_ms;
    slot_t slot[SLOTS];
};

kafka__logger_t *kafka__logger_new(int burst, int interval_ms) {
    kafka__logger_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->burst = burst;
    l->interval_ms = interval_ms;
    return l;
}

kafka__logger_t *kafka__logger_clone(const kafka__logger_t *l) {
    return kafka__logger_new(l ? l->burst : KAFKA__LOG_BURST, l ? l->interval_ms : KAFKA__LOG_INTERVAL_MS);
}

void kafka__logger_destroy(kafka__logger_t *l) {
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

void kafka__logger_set_rate(kafka__logger_t *l, int burst, int interval_ms) {
    pthread_mutex_lock(&l->lock);
    l->burst = burst;
    l->interval_ms = interval_ms;
    pthread_mutex_unlock(&l->lock);
}

/* -1 when the line is suppressed, else how many similar lines were suppressed before it.
 * A new key takes a free slot or the least recently used one (whose count is lost). */
/* @thread any  @locks l->lock */
static long admit(kafka__logger_t *l, const char *key, int64_t now) {
    pthread_mutex_lock(&l->lock);
    slot_t *s = NULL, *lru = &l->slot[0];
    for (int i = 0; i < SLOTS && !s; i++) {
        if (strcmp(l->slot[i].key, key) == 0)
            s = &l->slot[i];
        else if (l->slot[i].last_used < lru->last_used)
            lru = &l->slot[i];
    }
    if (!s) {
        s = lru;
        memset(s, 0, sizeof(*s));
        snprintf(s->key, sizeof(s->key), "%s", key);
        s->window_start = now;
    }
    s->last_used = now;
    if (now - s->window_start >= l->interval_ms) {
        s->window_start = now;
        s->passed = 0;
    }
    long n = -1;
    if (s->passed < l->burst) {
        s->passed++;
        n = s->suppressed;
        s->suppressed = 0;
    } else {
        s->suppressed++;
    }
    pthread_mutex_unlock(&l->lock);
    return n;
}

int kafka__log_level(const kafka_conf_t *conf) {
    int level = (int)kafka_conf_int(conf, KAFKA_CONF_LOG_LEVEL);
    if (kafka__conf_is_set(conf, KAFKA_CONF_LOG_LEVEL) || kafka__conf_cbs(conf)->log)
        return level;
    return level < KAFKA__LOG_STDERR_DEFAULT ? level : KAFKA__LOG_STDERR_DEFAULT;
}

void kafka__log(const kafka_conf_t *conf, int level, const char *fac, const char *key, const char *fmt, ...) {
    if (!conf || level > kafka__log_level(conf))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kafka__logger_t *l = kafka__conf_logger(conf);
    if (l) {
        char k[192];
        snprintf(k, sizeof(k), "%.31s|%.159s", fac, key ? key : msg);
        long n = admit(l, k, kafka__now_ms());
        if (n < 0)
            return;
        if (n > 0 && len >= 0 && (size_t)len < sizeof(msg))
            snprintf(msg + len, sizeof(msg) - (size_t)len, " (%ld similar message%s suppressed)", n,
                     n == 1 ? "" : "s");
    }
    const kafka__conf_cbs_t *cbs = kafka__conf_cbs(conf);
    if (cbs->log)
        cbs->log(level, fac, msg, cbs->log_opaque);
    else
        fprintf(stderr, "%%%d|libkafka|%s| %s\n", level, fac, msg); /* one write per line */
}

void kafka__log_lost(const kafka_conf_t *conf, kafka__linkstate_t *s, const char *fac, const char *who,
                     const char *why) {
    if (s->down)
        return;
    s->down = true;
    char key[160];
    snprintf(key, sizeof(key), "%s lost", who);
    kafka__log(conf, KAFKA__LOG_WARNING, fac, key, "%s: connection lost: %s", who, why && *why ? why : "unknown cause");
}

void kafka__log_restored(const kafka_conf_t *conf, kafka__linkstate_t *s, const char *fac, const char *who) {
    if (!s->down)
        return;
    s->down = false;
    char key[160];
    snprintf(key, sizeof(key), "%s restored", who);
    kafka__log(conf, KAFKA__LOG_WARNING, fac, key, "%s: connection restored", who);
}
