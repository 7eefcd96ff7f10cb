/* Committing the consumer loop's positions: kafka_consumer_commit_positions() (sync, or
 * async through the committer thread), the commit callback, and the bookkeeping of what
 * was committed. Auto commit (poll, assign, destroy) goes through here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/loop.h"

kafka_topic_partition_t *kafka__loop_positions(kafka__loop_t *loop, size_t *n) {
    *n = 0;
    size_t moved = 0;
    for (size_t i = 0; i < loop->nparts; i++)
        moved += loop->parts[i]->position >= 0 && loop->parts[i]->position != loop->parts[i]->committed;
    kafka_topic_partition_t *tps = moved ? malloc(moved * sizeof(*tps)) : NULL;
    if (!tps)
        return NULL;
    for (size_t i = 0; i < loop->nparts; i++) {
        const kafka__lpart_t *lp = loop->parts[i];
        if (lp->position < 0 || lp->position == lp->committed)
            continue;
        char *topic = strdup(lp->topic);
        if (!topic)
            break; /* out of memory: the rest next time */
        tps[(*n)++] = (kafka_topic_partition_t){topic, lp->partition, lp->position};
    }
    if (!*n) {
        free(tps);
        tps = NULL;
    }
    return tps;
}

void kafka__tps_free(kafka_topic_partition_t *tps, size_t n) {
    for (size_t i = 0; i < n; i++)
        free((char *)tps[i].topic);
    free(tps);
}

void kafka__loop_committed(kafka__loop_t *loop, const kafka_topic_partition_t *tps, size_t n) {
    pthread_mutex_lock(&loop->lock);
    for (size_t i = 0; i < n; i++) {
        kafka__lpart_t *lp = kafka__loop_find(loop, tps[i].topic, tps[i].partition);
        if (lp)
            lp->committed = tps[i].offset;
    }
    pthread_mutex_unlock(&loop->lock);
}

/* The committer thread: stores the waiting commit, then calls the callback. */
static void *committer(void *arg) {
    kafka__loop_t *loop = arg;
    kafka_consumer_t *c = loop->c;
    pthread_mutex_lock(&loop->commit_lock);
    for (;;) {
        while (!loop->pending && !loop->commit_stop)
            pthread_cond_wait(&loop->commit_cv, &loop->commit_lock);
        if (!loop->pending)
            break; /* stopping with nothing left */
        kafka_topic_partition_t *tps = loop->pending;
        size_t n = loop->npending;
        loop->pending = NULL;
        loop->npending = 0;
        kafka_commit_cb_t *cb = loop->commit_cb;
        void *opaque = loop->commit_opaque;
        /* Taken before commit_lock is let go: a synchronous commit coming now waits
         * for this older one instead of being overwritten by it. */
        pthread_mutex_lock(&loop->commit_io);
        pthread_mutex_unlock(&loop->commit_lock);
        char why[600] = "";
        kafka_err_t err = kafka_consumer_commit(c, tps, n, why, sizeof(why));
        if (!err)
            kafka__loop_committed(loop, tps, n);
        pthread_mutex_unlock(&loop->commit_io);
        if (cb)
            cb(c, err, why, tps, n, opaque);
        kafka__tps_free(tps, n);
        pthread_mutex_lock(&loop->commit_lock);
    }
    pthread_mutex_unlock(&loop->commit_lock);
    return NULL;
}

kafka_err_t kafka__loop_commit_async(kafka__loop_t *loop, kafka_topic_partition_t *tps, size_t n) {
    pthread_mutex_lock(&loop->commit_lock);
    if (!loop->committer_started) {
        if (pthread_create(&loop->committer, NULL, committer, loop) != 0) {
            pthread_mutex_unlock(&loop->commit_lock);
            kafka__tps_free(tps, n);
            return KAFKA_ERR__NO_MEMORY;
        }
        pthread_setname_np(loop->committer, "kafka:commit");
        loop->committer_started = true;
    }
    /* Positions only move forward: the newer commit covers the waiting one. */
    kafka__tps_free(loop->pending, loop->npending);
    loop->pending = tps;
    loop->npending = n;
    pthread_cond_signal(&loop->commit_cv);
    pthread_mutex_unlock(&loop->commit_lock);
    return KAFKA_OK;
}

void kafka__loop_committer_stop(kafka__loop_t *loop) {
    pthread_mutex_lock(&loop->commit_lock);
    bool started = loop->committer_started;
    loop->commit_stop = true;
    pthread_cond_signal(&loop->commit_cv);
    pthread_mutex_unlock(&loop->commit_lock);
    if (started)
        pthread_join(loop->committer, NULL);
    kafka__tps_free(loop->pending, loop->npending);
    loop->pending = NULL;
    loop->npending = 0;
}

kafka_err_t kafka__loop_commit_sync(kafka__loop_t *loop, const kafka_topic_partition_t *skip, size_t nskip,
                                    char *errstr, size_t errstr_size) {
    /* Newer than any asynchronous commit: one waiting is dropped (this one stores at
     * least its positions), one being stored is waited for (it must not land after). */
    pthread_mutex_lock(&loop->commit_lock);
    if (!skip) {
        kafka__tps_free(loop->pending, loop->npending);
        loop->pending = NULL;
        loop->npending = 0;
    }
    pthread_mutex_lock(&loop->commit_io);
    pthread_mutex_unlock(&loop->commit_lock);
    size_t n = 0;
    pthread_mutex_lock(&loop->lock);
    kafka_topic_partition_t *tps = kafka__loop_positions(loop, &n);
    pthread_mutex_unlock(&loop->lock);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool skipped = false;
        for (size_t j = 0; j < nskip && !skipped; j++)
            skipped = skip[j].partition == tps[i].partition && strcmp(skip[j].topic, tps[i].topic) == 0;
        if (skipped)
            free((char *)tps[i].topic);
        else
            tps[k++] = tps[i];
    }
    kafka_err_t err = k ? kafka_consumer_commit(loop->c, tps, k, errstr, errstr_size) : KAFKA_OK;
    if (!err)
        kafka__loop_committed(loop, tps, k);
    pthread_mutex_unlock(&loop->commit_io);
    kafka__tps_free(tps, k);
    return err;
}

void kafka_consumer_set_commit_cb(kafka_consumer_t *c, kafka_commit_cb_t *cb, void *opaque) {
    kafka__loop_t *loop = c ? kafka__loop_get(c) : NULL;
    if (!loop)
        return;
    pthread_mutex_lock(&loop->commit_lock);
    loop->commit_cb = cb;
    loop->commit_opaque = opaque;
    pthread_mutex_unlock(&loop->commit_lock);
}

kafka_err_t kafka_consumer_commit_positions(kafka_consumer_t *c, bool async, char *errstr, size_t errstr_size) {
    if (!c) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "commit_positions: no consumer given");
        return KAFKA_ERR__INVALID_ARG;
    }
    kafka__loop_t *loop = kafka__loop_get(c);
    if (!loop)
        return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "commit_positions: out of memory", errstr, errstr_size);
    if (!loop->can_commit)
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_CONF,
                                    "commit_positions: no offsets storage: set group.id (offsets.storage=kafka) "
                                    "or offsets.file (offsets.storage=file)",
                                    errstr, errstr_size);
    size_t n = 0;
    if (async) {
        pthread_mutex_lock(&loop->lock);
        kafka_topic_partition_t *tps = kafka__loop_positions(loop, &n);
        pthread_mutex_unlock(&loop->lock);
        return n ? kafka__loop_commit_async(loop, tps, n) : KAFKA_OK;
    }
    return kafka__loop_commit_sync(loop, NULL, 0, errstr, errstr_size);
}
