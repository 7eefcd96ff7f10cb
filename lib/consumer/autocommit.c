/* Committing the consumer loop's positions: kafka_consumer_commit_positions() (sync, or
 * async through the committer thread), the commit callback, and the bookkeeping of what
 * was committed. Auto commit (poll, assign, destroy) goes through here too.
 *
 * Ordering: every snapshot of positions is numbered when it is taken, and a snapshot
 * older than the newest one stored is not stored (it would move offsets back). A newer
 * snapshot holds every partition an older one does with a newer position, or the
 * partition's position was already stored, so skipping the older loses nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/loop.h"

kafka__commit_req_t *kafka__loop_snapshot(kafka__loop_t *loop) {
    kafka__commit_req_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->seq = ++loop->commit_seq;
    size_t moved = 0;
    for (size_t i = 0; i < loop->nparts; i++) {
        const kafka__lpart_t *lp = loop->parts[i];
        int64_t done = loop->auto_store ? lp->position : lp->stored;
        moved += done >= 0 && done != lp->committed;
    }
    if (!moved)
        return r;
    if (!(r->tps = malloc(moved * sizeof(*r->tps)))) {
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < loop->nparts; i++) {
        const kafka__lpart_t *lp = loop->parts[i];
        int64_t done = loop->auto_store ? lp->position : lp->stored;
        if (done < 0 || done == lp->committed)
            continue;
        char *topic = strdup(lp->topic);
        if (!topic) {
            kafka__commit_req_free(r);
            return NULL;
        }
        r->tps[r->n++] = (kafka_topic_partition_t){topic, lp->partition, done};
    }
    return r;
}

void kafka__commit_req_free(kafka__commit_req_t *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->tps[i].topic);
    free(r->tps);
    free(r);
}

/* Stores r unless a newer snapshot was stored already (KAFKA_OK then: its positions
 * are covered). commit_io held. */
static kafka_err_t store(kafka__loop_t *loop, const kafka__commit_req_t *r, char *why, size_t why_size) {
    if (r->seq < loop->stored_seq || !r->n)
        return KAFKA_OK;
    kafka_err_t err = kafka_consumer_commit(loop->c, r->tps, r->n, why, why_size);
    if (!err)
        loop->stored_seq = r->seq;
    pthread_mutex_lock(&loop->lock);
    if (err)
        loop->st.commit_failures++;
    else
        loop->st.commits++;
    for (size_t i = 0; i < r->n && !err; i++) {
        kafka__lpart_t *lp = kafka__loop_find(loop, r->tps[i].topic, r->tps[i].partition);
        if (lp)
            lp->committed = r->tps[i].offset;
    }
    pthread_mutex_unlock(&loop->lock);
    return err;
}

/* The committer thread: takes every waiting commit, stores the newest, and calls each
 * one's callback with the outcome (the older ones are covered by it). */
static void *committer(void *arg) {
    kafka__loop_t *loop = arg;
    kafka_consumer_t *c = loop->c;
    pthread_mutex_lock(&loop->commit_lock);
    for (;;) {
        while (!loop->queue && !loop->commit_stop)
            pthread_cond_wait(&loop->commit_cv, &loop->commit_lock);
        if (!loop->queue)
            break; /* stopping with nothing left */
        kafka__commit_req_t *batch = loop->queue;
        loop->queue = NULL;
        loop->queue_tail = &loop->queue;
        kafka_commit_cb_t *cb = loop->commit_cb;
        void *opaque = loop->commit_opaque;
        pthread_mutex_unlock(&loop->commit_lock);
        const kafka__commit_req_t *newest = batch;
        for (const kafka__commit_req_t *r = batch; r; r = r->next)
            if (r->seq > newest->seq)
                newest = r;
        char why[600] = "";
        pthread_mutex_lock(&loop->commit_io);
        kafka_err_t err = store(loop, newest, why, sizeof(why));
        pthread_mutex_unlock(&loop->commit_io);
        for (kafka__commit_req_t *r = batch, *next; r; r = next) {
            next = r->next;
            if (cb && r->n)
                cb(c, err, why, r->tps, r->n, opaque);
            kafka__commit_req_free(r);
        }
        pthread_mutex_lock(&loop->commit_lock);
    }
    pthread_mutex_unlock(&loop->commit_lock);
    return NULL;
}

kafka_err_t kafka__loop_commit_async(kafka__loop_t *loop, kafka__commit_req_t *r) {
    pthread_mutex_lock(&loop->commit_lock);
    if (!loop->committer_started) {
        loop->queue_tail = &loop->queue;
        if (pthread_create(&loop->committer, NULL, committer, loop) != 0) {
            pthread_mutex_unlock(&loop->commit_lock);
            kafka__commit_req_free(r);
            return KAFKA_ERR__NO_MEMORY;
        }
        pthread_setname_np(loop->committer, "kafka:commit");
        loop->committer_started = true;
    }
    r->next = NULL;
    *loop->queue_tail = r;
    loop->queue_tail = &r->next;
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
}

kafka_err_t kafka__loop_commit_sync(kafka__loop_t *loop, char *errstr, size_t errstr_size) {
    /* The snapshot is taken with commit_io held: one being stored lands first, and the
     * ones waiting for the committer are older, so they are not stored after it. */
    pthread_mutex_lock(&loop->commit_io);
    pthread_mutex_lock(&loop->lock);
    kafka__commit_req_t *r = kafka__loop_snapshot(loop);
    pthread_mutex_unlock(&loop->lock);
    kafka_err_t err = KAFKA_ERR__NO_MEMORY;
    if (r)
        err = store(loop, r, errstr, errstr_size);
    else if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "commit_positions: out of memory");
    pthread_mutex_unlock(&loop->commit_io);
    kafka__commit_req_free(r);
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
    if (!async) {
        char why[600];
        kafka_err_t err = kafka__loop_commit_sync(loop, why, sizeof(why));
        return err ? kafka__consumer_fail(c, err, why, errstr, errstr_size) : KAFKA_OK;
    }
    pthread_mutex_lock(&loop->lock);
    kafka__commit_req_t *r = kafka__loop_snapshot(loop);
    pthread_mutex_unlock(&loop->lock);
    if (!r)
        return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "commit_positions: out of memory", errstr, errstr_size);
    if (!r->n) {
        kafka__commit_req_free(r);
        return KAFKA_OK;
    }
    return kafka__loop_commit_async(loop, r);
}
