/* kafka_consumer_t: creation, settings, the last error, and where each partition's next
 * fetch starts. The calls are offsets.c and fetch.c; their retries call.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "consumer/group.h"
#include "consumer/loop.h"
#include "core/conf_int.h"
#include "util/vec.h"

/* The metadata thread's tick: statistics.interval.ms passed. */
static void on_tick(void *arg) {
    kafka_consumer_t *c = arg;
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    c->stats_cb(&st, c->stats_opaque);
}

kafka_consumer_t *kafka_consumer_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    if (!conf) {
        snprintf(errstr, errstr_size, "no configuration given");
        return NULL;
    }
    kafka_consumer_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->conf = kafka_conf_dup(conf))) {
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    /* The connection requires bootstrap.servers and starts the metadata thread. */
    if (kafka_conf_validate(c->conf, errstr, errstr_size) != KAFKA_OK ||
        !(c->cluster = kafka_connection_new(c->conf, errstr, errstr_size))) {
        kafka_conf_destroy(c->conf);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->err_lock, NULL);
    c->request_timeout_ms = kafka_conf_int(c->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    c->backoff_ms = kafka_conf_int(c->conf, KAFKA_CONF_RETRY_BACKOFF_MS);
    c->backoff_max_ms = kafka_conf_int(c->conf, KAFKA_CONF_RETRY_BACKOFF_MAX_MS);
    c->fetch_min_bytes = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_FETCH_MIN_BYTES);
    c->fetch_max_wait_ms = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_FETCH_MAX_WAIT_MS);
    c->max_partition_fetch_bytes = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_MAX_PARTITION_FETCH_BYTES);
    c->check_crcs = kafka_conf_bool(c->conf, KAFKA_CONF_CHECK_CRCS);
    c->offset_reset = (kafka_offset_reset_t)kafka_conf_int(c->conf, KAFKA_CONF_AUTO_OFFSET_RESET);
    c->isolation_level = (int8_t)kafka_conf_int(c->conf, KAFKA_CONF_ISOLATION_LEVEL);
    c->stats_cb = kafka__conf_cbs(c->conf)->consumer_stats;
    c->stats_opaque = kafka__conf_cbs(c->conf)->consumer_stats_opaque;
    if (c->stats_cb)
        kafka__connection_tick(c->cluster, kafka_conf_int(c->conf, KAFKA_CONF_STATISTICS_INTERVAL_MS), on_tick, c);
    return c;
}

void kafka_consumer_destroy(kafka_consumer_t *c) {
    if (!c)
        return;
    kafka__connection_tick(c->cluster, 0, NULL, NULL); /* it reads the loop */
    kafka__loop_t *loop = c->loop;
    if (c->group && loop && loop->auto_commit) /* while still in the generation */
        kafka_consumer_commit_positions(c, false, NULL, 0);
    pthread_mutex_lock(&c->lock);
    kafka__group_t *g = c->group;
    c->group = NULL; /* the loop's last commit is a simple one */
    pthread_mutex_unlock(&c->lock);
    kafka__group_destroy(g); /* leaves the group (a dynamic member) */
    kafka__loop_destroy(loop);      /* before the connections its fetchers use */
    kafka__conn_close_all(c);
    kafka_connection_destroy(c->cluster);
    for (size_t i = 0; i < c->npos; i++)
        free(c->pos[i].topic);
    free(c->pos);
    for (size_t i = 0; i < c->nnames; i++)
        free(c->names[i]);
    free(c->names);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->err_lock);
    kafka_conf_destroy(c->conf);
    free(c);
}

kafka_err_t kafka__consumer_fail(kafka_consumer_t *c, kafka_err_t err, const char *why, char *errstr,
                                 size_t errstr_size) {
    pthread_mutex_lock(&c->err_lock);
    c->last_err = err;
    snprintf(c->last_error, sizeof(c->last_error), "%s", why);
    pthread_mutex_unlock(&c->err_lock);
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", why);
    return err;
}

kafka_err_t kafka_consumer_last_error(kafka_consumer_t *c, char *buf, size_t buf_size) {
    pthread_mutex_lock(&c->err_lock);
    kafka_err_t err = c->last_err;
    if (buf && buf_size)
        snprintf(buf, buf_size, "%s", c->last_error);
    pthread_mutex_unlock(&c->err_lock);
    return err;
}

kafka_err_t kafka_consumer_last_errorcode(kafka_consumer_t *c) { return kafka_consumer_last_error(c, NULL, 0); }

/* @thread any  @locks c->lock held */
static kafka__cpos_t *find_pos(kafka_consumer_t *c, const char *topic, int32_t partition) {
    for (size_t i = 0; i < c->npos; i++)
        if (c->pos[i].partition == partition && strcmp(c->pos[i].topic, topic) == 0)
            return &c->pos[i];
    return NULL;
}

void kafka__consumer_set_next(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t next) {
    pthread_mutex_lock(&c->lock);
    kafka__cpos_t *p = find_pos(c, topic, partition);
    if (!p) {
        char *name = strdup(topic);
        kafka__cpos_t *grown = name ? kafka__vec_grow(c->pos, &c->cappos, c->npos, sizeof(*c->pos), 8) : NULL;
        if (grown) {
            c->pos = grown;
            p = &c->pos[c->npos++];
            p->topic = name;
            p->partition = partition;
        } else {
            free(name); /* out of memory: the position is not kept (next_offset says -1) */
        }
    }
    if (p)
        p->next = next;
    pthread_mutex_unlock(&c->lock);
}

int64_t kafka_consumer_next_offset(kafka_consumer_t *c, const char *topic, int32_t partition) {
    if (!c || !topic)
        return -1;
    pthread_mutex_lock(&c->lock);
    const kafka__cpos_t *p = find_pos(c, topic, partition);
    int64_t next = p ? p->next : -1;
    pthread_mutex_unlock(&c->lock);
    return next;
}

const char *kafka__consumer_intern_n(kafka_consumer_t *c, const char *topic, size_t len) {
    pthread_mutex_lock(&c->lock);
    const char *found = NULL;
    for (size_t i = 0; i < c->nnames && !found; i++)
        if (strncmp(c->names[i], topic, len) == 0 && c->names[i][len] == 0)
            found = c->names[i];
    if (!found) {
        char *name = strndup(topic, len);
        char **grown = name ? kafka__vec_grow(c->names, &c->capnames, c->nnames, sizeof(*c->names), 8) : NULL;
        if (grown) {
            c->names = grown;
            c->names[c->nnames++] = name;
            found = name;
        } else {
            free(name);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

const char *kafka__consumer_intern(kafka_consumer_t *c, const char *topic) {
    return kafka__consumer_intern_n(c, topic, strlen(topic));
}
