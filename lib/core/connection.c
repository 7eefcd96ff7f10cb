/* The cluster handle and its metadata thread (see kafka/connection.h). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/broker.h"
#include "core/connection_int.h"
#include "core/log.h"
#include "core/metadata.h"
#include "core/rmetrics.h"
#include "kafka/connection.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/cond.h"

#define MAX_TOPICS 1024

struct kafka_connection_s {
    kafka_conf_t *conf;
    kafka__vcaps_t *vcaps; /* API versions that did not decode, per broker, for every connection of the client */
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* signals the metadata thread (requests) and waiters (new metadata) */
    bool stopping;
    bool refresh_wanted;
    char *topics[MAX_TOPICS]; /* the topics metadata is kept for */
    int ntopics;
    kafka__metadata_t *md;
    long refreshes;
    long attempts; /* refreshes tried, successful or not */
    kafka_err_t last_err;
    char last_error[1024];
    kafka__bconn_t *spare; /* kafka_connection_metadata()'s last connection, kept for its next call */
    /* Owned by the metadata thread only. */
    kafka__bconn_t *bc;
    /* The listener (a producer's router), called by the metadata thread under
     * listen_lock, never under lock. */
    pthread_mutex_t listen_lock;
    kafka__metadata_listener_t listener;
    void *listener_arg;
    /* The tick (a client's statistics), called like the listener; tick_ms and
     * next_tick are guarded by lock, tick and tick_arg by listen_lock. */
    kafka__connection_tick_t tick;
    void *tick_arg;
    int64_t tick_ms, next_tick;
};

/* Connects to each bootstrap server and each broker of the current metadata in turn
 * until one answers a Metadata request; its connection goes to *bcp. No broker is tried
 * once deadline (monotonic ms) has passed, and no request waits beyond it. Each broker's
 * failure is appended to why. Runs without the lock held over the network. */
/* @thread any  @locks connection briefly */
static kafka__metadata_t *fetch_any(kafka_connection_t *c, const char *const *topics, int ntopics, bool auto_create,
                                    int64_t deadline, kafka__bconn_t **bcp, kafka_err_t *errp, char *why,
                                    size_t why_size) {
    kafka_conf_broker_t cand[128];
    size_t n = kafka_conf_brokers(c->conf, cand, 64);
    if (n > 64)
        n = 64;
    pthread_mutex_lock(&c->lock);
    for (int32_t i = 0; c->md && i < c->md->nbrokers && n < 128; i++, n++) {
        snprintf(cand[n].host, sizeof(cand[n].host), "%s", c->md->brokers[i].host);
        cand[n].port = c->md->brokers[i].port;
    }
    pthread_mutex_unlock(&c->lock);
    char e[300];
    size_t off = 0;
    kafka_err_t fatal = KAFKA_OK; /* every broker's failure, when all were the same fatal one */
    bool all_fatal = true;
    why[0] = 0;
    *errp = KAFKA_ERR__NO_KNOWN_BROKERS;
    for (size_t i = 0; i < n; i++) {
        int64_t left = deadline - kafka__now_ms();
        if (left <= 0) {
            *errp = KAFKA_ERR__TIMED_OUT;
            break;
        }
        kafka_err_t err;
        kafka__bconn_t *bc = kafka__bconn_open(c->conf, c->vcaps, cand[i].host, cand[i].port, &err, e, sizeof(e));
        left = deadline - kafka__now_ms(); /* what the connect left */
        if (bc && bc->request_timeout_ms > left)
            bc->request_timeout_ms = left > 1 ? (int)left : 1;
        kafka__metadata_t *md = bc ? kafka__metadata_fetch(bc, topics, ntopics, auto_create, &err, e, sizeof(e)) : NULL;
        if (md) {
            *bcp = bc;
            *errp = KAFKA_OK;
            return md;
        }
        kafka__bconn_close(bc);
        /* An unreachable broker is skipped; its reason is kept for last_error. */
        off += (size_t)snprintf(why + off, off < why_size ? why_size - off : 0, "%s%s", off ? "; " : "", e);
        if (all_fatal && kafka__bconn_fatal(err) && (!fatal || fatal == err))
            fatal = err;
        else
            all_fatal = false;
    }
    /* Every broker refused TLS (a certificate not trusted, a key that does not load) or
     * SASL (a wrong password): waiting for the next refresh cannot help, and the callers
     * say so at once. */
    if (n > 0 && all_fatal && fatal && *errp == KAFKA_ERR__NO_KNOWN_BROKERS)
        *errp = fatal;
    return NULL;
}

/* One refresh from the metadata thread: the broker it is connected to, else any. */
/* @thread metadata  @locks none */
static kafka__metadata_t *fetch(kafka_connection_t *c, char **topics, int ntopics, kafka_err_t *errp, char *why,
                                size_t why_size) {
    char e[300];
    if (c->bc) {
        kafka__metadata_t *md = kafka__metadata_fetch(c->bc, (const char *const *)topics, ntopics, true, errp, e,
                                                      sizeof(e));
        if (md)
            return md;
        kafka__bconn_close(c->bc); /* that broker failed us: try the others */
        c->bc = NULL;
    }
    return fetch_any(c, (const char *const *)topics, ntopics, true, INT64_MAX, &c->bc, errp, why, why_size);
}

static void *metadata_thread(void *arg) {
    kafka_connection_t *c = arg;
    int64_t max_age = kafka_conf_int(c->conf, KAFKA_CONF_METADATA_MAX_AGE_MS);
    int64_t backoff_min = kafka_conf_int(c->conf, KAFKA_CONF_RETRY_BACKOFF_MS);
    kafka__backoff_t backoff;
    kafka__backoff_init(&backoff, backoff_min, kafka_conf_int(c->conf, KAFKA_CONF_RETRY_BACKOFF_MAX_MS));
    int64_t next_try = 0, next_periodic = 0;
    kafka__linkstate_t link = {false}; /* the cluster as logged: refreshes failing or not */
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        int64_t now = kafka__now_ms();
        if (c->tick_ms > 0 && now >= c->next_tick) {
            c->next_tick = now + c->tick_ms;
            pthread_mutex_unlock(&c->lock);
            pthread_mutex_lock(&c->listen_lock);
            if (c->tick)
                c->tick(c->tick_arg);
            pthread_mutex_unlock(&c->listen_lock);
            pthread_mutex_lock(&c->lock);
            continue;
        }
        bool due = (c->refresh_wanted && now >= next_try) || now >= next_periodic;
        if (!due) {
            int64_t until = next_periodic;
            if (c->refresh_wanted && next_try < until)
                until = next_try;
            if (c->tick_ms > 0 && c->next_tick < until)
                until = c->next_tick;
            kafka__cond_wait_until(&c->cond, &c->lock, until);
            continue;
        }
        c->refresh_wanted = false;
        char *topics[MAX_TOPICS];
        int nt = c->ntopics;
        for (int i = 0; i < nt; i++)
            topics[i] = strdup(c->topics[i]);
        pthread_mutex_unlock(&c->lock);
        kafka_err_t err;
        char why[900]; /* fits last_error with its prefix */
        kafka__metadata_t *md = fetch(c, topics, nt, &err, why, sizeof(why));
        for (int i = 0; i < nt; i++)
            free(topics[i]);
        pthread_mutex_lock(&c->lock);
        now = kafka__now_ms();
        c->attempts++;
        if (md) {
            kafka__metadata_release(c->md);
            c->md = md;
            c->refreshes++;
            c->last_err = KAFKA_OK;
            c->last_error[0] = 0;
            kafka__backoff_reset(&backoff);
            next_periodic = now + max_age;
            /* A topic that is known but not led yet (just created) is asked again soon. */
            for (int i = 0; i < md->ntopics; i++)
                if (md->topics[i].err)
                    c->refresh_wanted = true;
            next_try = now + backoff_min;
        } else {
            c->last_err = err;
            snprintf(c->last_error, sizeof(c->last_error), "metadata refresh failed: %s", why);
            c->refresh_wanted = true;
            next_try = now + kafka__backoff_next(&backoff);
        }
        bool stopping = c->stopping;
        pthread_cond_broadcast(&c->cond);
        kafka__metadata_t *cur = c->md ? kafka__metadata_keep(c->md) : NULL;
        pthread_mutex_unlock(&c->lock);
        if (md)
            kafka__log_restored(c->conf, &link, "METADATA", "cluster");
        else if (!stopping)
            kafka__log_lost(c->conf, &link, "METADATA", "cluster", why);
        pthread_mutex_lock(&c->listen_lock);
        if (c->listener)
            c->listener(cur, c->listener_arg);
        pthread_mutex_unlock(&c->listen_lock);
        kafka__metadata_release(cur);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    kafka__bconn_close(c->bc);
    return NULL;
}

kafka_connection_t *kafka_connection_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    kafka_connection_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->conf = kafka_conf_dup(conf))) {
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (kafka_conf_validate(c->conf, errstr, errstr_size) != KAFKA_OK) {
        kafka_conf_destroy(c->conf);
        free(c);
        return NULL;
    }
    if (kafka_conf_brokers(c->conf, NULL, 0) == 0) {
        snprintf(errstr, errstr_size, "bootstrap.servers: no broker given (host:port,...)");
        kafka_conf_destroy(c->conf);
        free(c);
        return NULL;
    }
    if (!(c->vcaps = kafka__vcaps_new())) {
        snprintf(errstr, errstr_size, "out of memory");
        kafka_conf_destroy(c->conf);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->listen_lock, NULL);
    kafka__cond_init(&c->cond);
    c->refresh_wanted = true;
    if (pthread_create(&c->thread, NULL, metadata_thread, c) == 0) {
        pthread_setname_np(c->thread, "kafka:metadata");
    } else {
        snprintf(errstr, errstr_size, "cannot start the metadata thread");
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        pthread_mutex_destroy(&c->listen_lock);
        kafka_conf_destroy(c->conf);
        free(c);
        return NULL;
    }
    return c;
}

void kafka_connection_destroy(kafka_connection_t *c) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    kafka__bconn_close(c->spare);
    kafka__metadata_release(c->md);
    for (int i = 0; i < c->ntopics; i++)
        free(c->topics[i]);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->listen_lock);
    kafka__vcaps_destroy(c->vcaps);
    kafka_conf_destroy(c->conf);
    free(c);
}

/* Adds topic to those refreshed (lock held); true if it was new. */
static bool add_topic(kafka_connection_t *c, const char *topic) {
    for (int i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i], topic) == 0)
            return false;
    if (c->ntopics == MAX_TOPICS)
        return false;
    char *dup = strdup(topic);
    if (!dup)
        return false;
    c->topics[c->ntopics++] = dup;
    return true;
}

kafka_err_t kafka_connection_wait_metadata(kafka_connection_t *c, const char *topic, int timeout_ms, char *errstr,
                                           size_t errstr_size) {
    int64_t deadline = kafka__now_ms() + timeout_ms;
    kafka_err_t err = KAFKA_ERR__TIMED_OUT;
    pthread_mutex_lock(&c->lock);
    if (topic && add_topic(c, topic)) {
        c->refresh_wanted = true;
        pthread_cond_broadcast(&c->cond);
    }
    long seen = c->refreshes;
    for (;;) {
        const kafka__md_topic_t *t = c->md && topic ? kafka__metadata_topic(c->md, topic) : NULL;
        if (c->md && (!topic || (t && !t->err))) {
            err = KAFKA_OK;
            break;
        }
        /* The last refresh failed in a way retrying cannot mend (TLS, SASL): it may have
         * ended before this call began (the first one races kafka_connection_new's
         * caller), but it is the cluster's current state all the same. */
        if (kafka__bconn_fatal(c->last_err)) {
            err = c->last_err;
            break;
        }
        /* The cluster answered (after the topic was asked for) without it. */
        if (t && t->err && c->refreshes > seen && !kafka_err_retriable((kafka_err_t)t->err)) {
            err = (kafka_err_t)t->err;
            break;
        }
        if (kafka__now_ms() >= deadline) {
            err = c->last_err ? c->last_err : t ? (kafka_err_t)t->err : KAFKA_ERR__TIMED_OUT;
            if (err != KAFKA_ERR__NO_KNOWN_BROKERS && err != KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION)
                err = KAFKA_ERR__TIMED_OUT;
            break;
        }
        kafka__cond_wait_until(&c->cond, &c->lock, deadline);
    }
    if (err && errstr && errstr_size)
        snprintf(errstr, errstr_size, "no metadata%s%s within %d ms: %s", topic ? " for topic " : "",
                 topic ? topic : "", timeout_ms, c->last_error[0] ? c->last_error : kafka_err2str(err));
    pthread_mutex_unlock(&c->lock);
    return err;
}

void kafka_connection_refresh(kafka_connection_t *c) {
    pthread_mutex_lock(&c->lock);
    c->refresh_wanted = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

int32_t kafka_connection_leader(kafka_connection_t *c, const char *topic, int32_t partition, char *host,
                                size_t host_size, int *port) {
    int32_t leader = -1;
    pthread_mutex_lock(&c->lock);
    const kafka__md_topic_t *t = c->md ? kafka__metadata_topic(c->md, topic) : NULL;
    if (t && partition >= 0 && partition < t->npartitions) {
        leader = t->partitions[partition].leader;
        const kafka__md_broker_t *b = leader >= 0 ? kafka__metadata_broker(c->md, leader) : NULL;
        if (b && host && host_size)
            snprintf(host, host_size, "%s", b->host);
        if (b && port)
            *port = b->port;
    }
    pthread_mutex_unlock(&c->lock);
    return leader;
}

int kafka_connection_broker_count(kafka_connection_t *c) {
    pthread_mutex_lock(&c->lock);
    int n = c->md ? c->md->nbrokers : -1;
    pthread_mutex_unlock(&c->lock);
    return n;
}

int kafka_connection_partition_count(kafka_connection_t *c, const char *topic) {
    pthread_mutex_lock(&c->lock);
    const kafka__md_topic_t *t = c->md ? kafka__metadata_topic(c->md, topic) : NULL;
    int n = t && !t->err ? t->npartitions : -1;
    pthread_mutex_unlock(&c->lock);
    return n;
}

long kafka_connection_metadata_refreshes(kafka_connection_t *c) {
    pthread_mutex_lock(&c->lock);
    long n = c->refreshes;
    pthread_mutex_unlock(&c->lock);
    return n;
}

kafka_err_t kafka_connection_last_error(kafka_connection_t *c, char *buf, size_t buf_size) {
    pthread_mutex_lock(&c->lock);
    kafka_err_t err = c->last_err;
    if (buf && buf_size)
        snprintf(buf, buf_size, "%s", c->last_error);
    pthread_mutex_unlock(&c->lock);
    return err;
}

kafka_metadata_t *kafka_connection_metadata(kafka_connection_t *c, const char *const *topics, int ntopics,
                                            int timeout_ms, kafka_err_t *errp, char *errstr, size_t errstr_size) {
    kafka_err_t dummy;
    char dummy_str[8];
    if (!errp)
        errp = &dummy;
    if (!errstr || !errstr_size) {
        errstr = dummy_str;
        errstr_size = sizeof(dummy_str);
    }
    errstr[0] = 0;
    if (!c || (ntopics > 0 && !topics) || ntopics < -1) {
        *errp = KAFKA_ERR__INVALID_ARG;
        snprintf(errstr, errstr_size, "kafka_connection_metadata: no connection, or topics do not match ntopics");
        return NULL;
    }
    for (int i = 0; i < ntopics; i++) {
        if (!topics[i]) {
            *errp = KAFKA_ERR__INVALID_ARG;
            snprintf(errstr, errstr_size, "kafka_connection_metadata: topics[%d] is NULL", i);
            return NULL;
        }
    }
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : kafka__now_ms() + timeout_ms;
    /* The previous call's connection first (a caller polling the cluster, such as a
     * health check, opens no connection per call); taken out, so that concurrent callers
     * never share it. */
    pthread_mutex_lock(&c->lock);
    kafka__bconn_t *bc = c->spare;
    c->spare = NULL;
    pthread_mutex_unlock(&c->lock);
    kafka__metadata_t *md = NULL;
    if (bc) {
        int64_t left = deadline - kafka__now_ms(), conf_ms = kafka_conf_int(c->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
        bc->request_timeout_ms = (int)(left < conf_ms ? (left > 1 ? left : 1) : conf_ms);
        char e[300];
        md = kafka__metadata_fetch(bc, topics, ntopics, false, errp, e, sizeof(e));
        if (md)
            *errp = KAFKA_OK;
        if (!md) { /* gone stale (the broker closed an idle connection, or went away): anew */
            kafka__bconn_close(bc);
            bc = NULL;
        }
    }
    char why[900];
    if (!md)
        md = fetch_any(c, topics, ntopics, false, deadline, &bc, errp, why, sizeof(why));
    if (!md) {
        snprintf(errstr, errstr_size, "no metadata%s: %s", *errp == KAFKA_ERR__TIMED_OUT ? " in time" : "",
                 why[0] ? why : kafka_err2str(*errp));
        return NULL;
    }
    kafka_metadata_t *pub = kafka__metadata_public(md, bc);
    pthread_mutex_lock(&c->lock);
    if (!c->spare) {
        c->spare = bc;
        bc = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    kafka__bconn_close(bc);
    if (!pub) {
        *errp = KAFKA_ERR__NO_MEMORY;
        snprintf(errstr, errstr_size, "out of memory");
    }
    return pub;
}

kafka_err_t kafka__connection_refresh_wait(kafka_connection_t *c, int timeout_ms, char *why, size_t why_size) {
    int64_t deadline = kafka__now_ms() + timeout_ms;
    pthread_mutex_lock(&c->lock);
    long seen = c->attempts;
    c->refresh_wanted = true;
    pthread_cond_broadcast(&c->cond);
    while (c->attempts == seen && !c->stopping && kafka__now_ms() < deadline)
        kafka__cond_wait_until(&c->cond, &c->lock, deadline);
    kafka_err_t err = c->attempts == seen ? KAFKA_ERR__TIMED_OUT : c->last_err;
    if (err && why && why_size)
        snprintf(why, why_size, "%s", c->last_error[0] ? c->last_error : "no metadata refresh ended in time");
    pthread_mutex_unlock(&c->lock);
    return err;
}

kafka__metadata_t *kafka__connection_metadata(kafka_connection_t *c) {
    pthread_mutex_lock(&c->lock);
    kafka__metadata_t *md = c->md ? kafka__metadata_keep(c->md) : NULL;
    pthread_mutex_unlock(&c->lock);
    return md;
}

void kafka__connection_listen(kafka_connection_t *c, kafka__metadata_listener_t fn, void *arg) {
    pthread_mutex_lock(&c->listen_lock);
    c->listener = fn;
    c->listener_arg = arg;
    pthread_mutex_unlock(&c->listen_lock);
}

void kafka__connection_tick(kafka_connection_t *c, int64_t interval_ms, kafka__connection_tick_t fn, void *arg) {
    pthread_mutex_lock(&c->listen_lock);
    c->tick = fn;
    c->tick_arg = arg;
    pthread_mutex_unlock(&c->listen_lock);
    pthread_mutex_lock(&c->lock);
    c->tick_ms = fn ? interval_ms : 0;
    c->next_tick = kafka__now_ms() + c->tick_ms;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

bool kafka__connection_add_topic(kafka_connection_t *c, const char *topic) {
    pthread_mutex_lock(&c->lock);
    bool added = add_topic(c, topic);
    if (added) {
        c->refresh_wanted = true;
        pthread_cond_broadcast(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
    return added;
}

kafka__vcaps_t *kafka__connection_vcaps(kafka_connection_t *c) { return c->vcaps; }

const kafka_conf_t *kafka__connection_conf(kafka_connection_t *c) { return c->conf; }

size_t kafka_connection_request_stats(kafka_connection_t *c, kafka_request_stats_t *out, size_t max) {
    return c ? kafka__rmetrics_read(kafka__vcaps_metrics(c->vcaps), out, max) : 0;
}

size_t kafka_connection_request_errors(kafka_connection_t *c, kafka_request_error_t *out, size_t max) {
    return c ? kafka__rmetrics_read_errors(kafka__vcaps_metrics(c->vcaps), out, max) : 0;
}
