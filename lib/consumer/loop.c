/* The consumer loop: kafka_consumer_assign() (starts resolved, partitions routed to
 * their leaders' fetchers), kafka_consumer_poll() (messages handed out partition by
 * partition, positions moved), kafka_consumer_position()/high_watermark(). The fetchers
 * are fetcher.c, commits autocommit.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/group.h"
#include "consumer/loop.h"
#include "consumer/outcome.h"
#include "util/clock.h"
#include "util/cond.h"
#include "util/vec.h"

/* ---- the loop object ---- */

static void on_metadata(kafka__metadata_t *md, void *arg) {
    kafka__loop_t *loop = arg;
    pthread_mutex_lock(&loop->lock);
    if (md && !loop->stopping)
        kafka__loop_route(loop, md);
    pthread_mutex_unlock(&loop->lock);
}

kafka__loop_t *kafka__loop_get(kafka_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    kafka__loop_t *loop = c->loop;
    if (!loop && (loop = calloc(1, sizeof(*loop))) != NULL) {
        loop->c = c;
        pthread_mutex_init(&loop->assign_lock, NULL);
        pthread_mutex_init(&loop->lock, NULL);
        pthread_mutex_init(&loop->commit_lock, NULL);
        pthread_mutex_init(&loop->commit_io, NULL);
        kafka__cond_init(&loop->work);
        kafka__cond_init(&loop->ready);
        kafka__cond_init(&loop->commit_cv);
        loop->max_buffered = (size_t)kafka_conf_int(c->conf, KAFKA_CONF_QUEUED_MAX_MESSAGES_KBYTES) * 1024;
        loop->fetch_max_bytes = (int32_t)kafka_conf_int(c->conf, KAFKA_CONF_FETCH_MAX_BYTES);
        const char *group = kafka_conf_str(c->conf, KAFKA_CONF_GROUP_ID);
        const char *file = kafka_conf_str(c->conf, KAFKA_CONF_OFFSETS_FILE);
        loop->can_commit = kafka_conf_int(c->conf, KAFKA_CONF_OFFSETS_STORAGE) == KAFKA_OFFSETS_STORAGE_FILE
                               ? file && *file
                               : group && *group;
        loop->auto_commit = loop->can_commit && kafka_conf_bool(c->conf, KAFKA_CONF_ENABLE_AUTO_COMMIT);
        loop->auto_commit_ms = kafka_conf_int(c->conf, KAFKA_CONF_AUTO_COMMIT_INTERVAL_MS);
        loop->auto_store = kafka_conf_bool(c->conf, KAFKA_CONF_ENABLE_AUTO_OFFSET_STORE);
        loop->next_auto_commit_ms = kafka__now_ms() + loop->auto_commit_ms;
        c->loop = loop;
    }
    pthread_mutex_unlock(&c->lock);
    if (loop) {
        /* Outside c->lock: the metadata thread calls the listener under listen_lock. */
        pthread_mutex_lock(&loop->lock);
        bool first = !loop->listening;
        loop->listening = true;
        pthread_mutex_unlock(&loop->lock);
        if (first)
            kafka__connection_listen(c->cluster, on_metadata, loop);
    }
    return loop;
}

/* c's loop, or NULL before the first loop call (none is made). */
static kafka__loop_t *loop_of(kafka_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    kafka__loop_t *loop = c->loop;
    pthread_mutex_unlock(&c->lock);
    return loop;
}

void kafka__lpart_destroy(kafka__lpart_t *lp) {
    if (lp)
        free(lp->topic);
    free(lp);
}

static void lpart_free(kafka__loop_t *loop, kafka__lpart_t *lp) {
    kafka__lpart_drop_buffered(loop, lp);
    if (lp->in_flight) {
        lp->removed = true; /* its fetcher frees it */
        return;
    }
    kafka__lpart_destroy(lp);
}

void kafka__loop_destroy(kafka__loop_t *loop) {
    if (!loop)
        return;
    kafka_consumer_t *c = loop->c;
    kafka__connection_listen(c->cluster, NULL, NULL);
    if (loop->auto_commit)
        kafka_consumer_commit_positions(c, false, NULL, 0);
    pthread_mutex_lock(&loop->lock);
    loop->stopping = true;
    for (size_t i = 0; i < loop->nfetchers; i++)
        kafka__fetcher_interrupt(loop->fetchers[i]);
    pthread_cond_broadcast(&loop->work);
    pthread_cond_broadcast(&loop->ready);
    pthread_mutex_unlock(&loop->lock);
    for (size_t i = 0; i < loop->nfetchers; i++)
        kafka__fetcher_join(loop->fetchers[i]);
    free(loop->fetchers);
    kafka__loop_committer_stop(loop);
    for (size_t i = 0; i < loop->nparts; i++)
        lpart_free(loop, loop->parts[i]);
    free(loop->parts);
    pthread_cond_destroy(&loop->work);
    pthread_cond_destroy(&loop->ready);
    pthread_cond_destroy(&loop->commit_cv);
    pthread_mutex_destroy(&loop->assign_lock);
    pthread_mutex_destroy(&loop->lock);
    pthread_mutex_destroy(&loop->commit_lock);
    pthread_mutex_destroy(&loop->commit_io);
    free(loop);
}

kafka__lpart_t *kafka__loop_find(kafka__loop_t *loop, const char *topic, int32_t partition) {
    for (size_t i = 0; i < loop->nparts; i++)
        if (loop->parts[i]->partition == partition && strcmp(loop->parts[i]->topic, topic) == 0)
            return loop->parts[i];
    return NULL;
}

void kafka__lpart_drop_buffered(kafka__loop_t *loop, kafka__lpart_t *lp) {
    for (kafka__lbuf_t *lb = lp->head, *next; lb; lb = next) {
        next = lb->next;
        if (lb->set) {
            /* The last reference frees the set: n and msgs are read before. */
            size_t n = lb->set->n;
            kafka_message_t *msgs = lb->set->msgs;
            loop->buffered -= lb->set->bytes;
            for (size_t i = lb->taken; i < n; i++)
                kafka_message_destroy(&msgs[i]);
        }
        free(lb);
    }
    lp->head = lp->tail = NULL;
    lp->buffered = 0;
    lp->notice_due = false; /* the position is set anew */
    pthread_cond_broadcast(&loop->work);
}

/* ---- routing ---- */

static kafka__fetcher_t *fetcher_for(kafka__loop_t *loop, int32_t broker_id) {
    for (size_t i = 0; i < loop->nfetchers; i++)
        if (kafka__fetcher_broker(loop->fetchers[i]) == broker_id)
            return loop->fetchers[i];
    kafka__fetcher_t **grown =
        kafka__vec_grow(loop->fetchers, &loop->capfetchers, loop->nfetchers, sizeof(*loop->fetchers), 4);
    if (!grown)
        return NULL;
    loop->fetchers = grown;
    kafka__fetcher_t *f = kafka__fetcher_start(loop, broker_id);
    if (f)
        loop->fetchers[loop->nfetchers++] = f;
    return f;
}

void kafka__loop_route(kafka__loop_t *loop, kafka__metadata_t *md) {
    bool leaderless = false;
    for (size_t i = 0; i < loop->nparts; i++) {
        kafka__lpart_t *lp = loop->parts[i];
        const kafka__md_topic_t *t = kafka__metadata_topic(md, lp->topic);
        int32_t leader = t && !t->err && lp->partition < t->npartitions ? t->partitions[lp->partition].leader : -1;
        if (leader < 0 || !kafka__metadata_broker(md, leader)) {
            /* Fetching it (if it has a fetcher) fails and backs off until the metadata
             * names a leader; ask for that metadata soon (the metadata thread spaces
             * refreshes by retry.backoff.ms). */
            leaderless = true;
            continue;
        }
        kafka__lpart_topic_id(loop, lp, &t->id); /* first: a re-created topic's epochs start anew */
        int32_t epoch = t->partitions[lp->partition].leader_epoch;
        if (epoch > lp->leader_epoch) {
            /* A new leader epoch (KIP-320): what was fetched under an older one is checked
             * against the log before fetching on (the fetcher's OffsetForLeaderEpoch). */
            if (lp->leader_epoch >= 0 && lp->last_epoch >= 0 && lp->state == LP_FETCH)
                lp->state = LP_VALIDATE;
            lp->leader_epoch = epoch;
            lp->not_before_ms = 0;
        }
        if (leader != lp->leader && fetcher_for(loop, leader)) {
            lp->leader = leader;
            lp->not_before_ms = 0; /* a new leader: no reason to wait */
        }
    }
    if (leaderless)
        kafka_connection_refresh(loop->c->cluster);
    pthread_cond_broadcast(&loop->work);
}

/* ---- assign ---- */

/* The offset start stands for (see kafka_consumer_assign()). */
static kafka_err_t resolve_start(kafka_consumer_t *c, const kafka_topic_partition_t *tp, int64_t *offset,
                                 int64_t *committed, char *why, size_t why_size) {
    int64_t start = tp->offset;
    *committed = -1;
    if (start >= 0) {
        *offset = start;
        return KAFKA_OK;
    }
    if (start == KAFKA_OFFSET_STORED) {
        kafka_err_t err = kafka_consumer_committed(c, tp->topic, tp->partition, committed, why, why_size);
        if (err)
            return err;
        if (*committed >= 0) {
            *offset = *committed;
            return KAFKA_OK;
        }
        if (!kafka__fetch_outcome_reset(c, &start, NULL)) {
            snprintf(why, why_size, "%s/%d: no committed offset, and auto.offset.reset=error", tp->topic,
                     (int)tp->partition);
            return KAFKA_ERR__NO_OFFSET;
        }
    }
    int64_t time = start <= KAFKA_OFFSET_TIME_BASE ? KAFKA_OFFSET_TIME_BASE - start : start;
    int64_t *offs = NULL;
    size_t n = 0;
    kafka_err_t err = kafka_consumer_offsets(c, tp->topic, tp->partition, time, 1, &offs, &n, why, why_size);
    if (!err && !n && start <= KAFKA_OFFSET_TIME_BASE) /* nothing at or after the time: the end */
        err = kafka_consumer_offsets(c, tp->topic, tp->partition, KAFKA_OFFSET_LATEST, 1, &offs, &n, why, why_size);
    if (!err && !n) {
        snprintf(why, why_size, "ListOffsets of %s/%d gave no offset", tp->topic, (int)tp->partition);
        err = KAFKA_ERR__REQUEST_OR_RESPONSE;
    }
    if (!err)
        *offset = offs[0];
    free(offs);
    return err;
}

static const char *bad_entry(const kafka_topic_partition_t *tps, size_t i) {
    const kafka_topic_partition_t *tp = &tps[i];
    if (!tp->topic || !*tp->topic)
        return "no topic";
    if (tp->partition < 0)
        return "negative partition";
    if (tp->offset < 0 && tp->offset != KAFKA_OFFSET_BEGINNING && tp->offset != KAFKA_OFFSET_END &&
        tp->offset != KAFKA_OFFSET_STORED && tp->offset > KAFKA_OFFSET_TIME_BASE)
        return "the start is none of: an offset >= 0, BEGINNING, END, STORED, AT_TIME(ms)";
    for (size_t j = 0; j < i; j++)
        if (tps[j].partition == tp->partition && strcmp(tps[j].topic, tp->topic) == 0)
            return "listed twice";
    return NULL;
}

/* The partition exists per (fresh) metadata. */
static kafka_err_t check_exists(kafka_consumer_t *c, const kafka_topic_partition_t *tp, char *why, size_t why_size) {
    char cause[400];
    kafka_err_t err =
        kafka_connection_wait_metadata(c->cluster, tp->topic, (int)c->request_timeout_ms, cause, sizeof(cause));
    if (err) {
        snprintf(why, why_size, "assign %s/%d: %s", tp->topic, (int)tp->partition, cause);
        return err;
    }
    int n = kafka_connection_partition_count(c->cluster, tp->topic);
    if (tp->partition >= n) {
        snprintf(why, why_size, "assign %s/%d: topic %s has %d partitions", tp->topic, (int)tp->partition, tp->topic,
                 n);
        return KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return KAFKA_OK;
}

/* Whether tp stays assigned with its current position (assigned and not failed). */
static bool keeps_position(kafka__loop_t *loop, const kafka_topic_partition_t *tp) {
    pthread_mutex_lock(&loop->lock);
    const kafka__lpart_t *lp = kafka__loop_find(loop, tp->topic, tp->partition);
    bool keep = lp && lp->state != LP_FAILED;
    pthread_mutex_unlock(&loop->lock);
    return keep;
}

static kafka__lpart_t *lpart_new(const kafka_consumer_t *c, const kafka_topic_partition_t *tp, int64_t offset,
                                 int64_t committed) {
    kafka__lpart_t *lp = calloc(1, sizeof(*lp));
    if (!lp || !(lp->topic = strdup(tp->topic))) {
        free(lp);
        return NULL;
    }
    lp->partition = tp->partition;
    kafka__backoff_init(&lp->backoff, c->backoff_ms, c->backoff_max_ms);
    lp->state = LP_FETCH;
    lp->fetch_offset = lp->position = offset;
    lp->committed = committed;
    lp->stored = -1;
    lp->high_watermark = -1;
    lp->leader = -1;
    lp->leader_epoch = lp->last_epoch = -1;
    return lp;
}

/* kafka_consumer_assign() with loop->assign_lock held: which partitions keep their
 * position cannot change between the look and the swap. */
static kafka_err_t assign_locked(kafka_consumer_t *c, kafka__loop_t *loop, const kafka_topic_partition_t *tps,
                                 size_t n, bool commit_leaving, char *errstr, size_t errstr_size);

/* Whether c is a group member (subscribed): then only the group assigns. */
static bool subscribed(kafka_consumer_t *c) {
    kafka__group_t *g = kafka__group_of(c);
    if (!g)
        return false;
    pthread_mutex_lock(&g->lock);
    bool sub = g->nsubs > 0;
    pthread_mutex_unlock(&g->lock);
    return sub;
}

kafka_err_t kafka_consumer_assign(kafka_consumer_t *c, const kafka_topic_partition_t *tps, size_t n, char *errstr,
                                  size_t errstr_size) {
    if (!c || (n && !tps)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "assign: %s", c ? "no partitions given" : "no consumer given");
        return KAFKA_ERR__INVALID_ARG;
    }
    char why[700];
    for (size_t i = 0; i < n; i++) {
        const char *bad = bad_entry(tps, i);
        if (bad) {
            snprintf(why, sizeof(why), "assign: entry %zu (%s/%d): %s", i, tps[i].topic ? tps[i].topic : "(null)",
                     (int)tps[i].partition, bad);
            return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
        }
    }
    if (subscribed(c))
        return kafka__consumer_fail(c, KAFKA_ERR__STATE,
                                    "assign: the consumer is subscribed to a group, which assigns its partitions "
                                    "(kafka_consumer_unsubscribe first)",
                                    errstr, errstr_size);
    kafka__loop_t *loop = kafka__loop_get(c);
    if (!loop)
        return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "assign: out of memory", errstr, errstr_size);
    pthread_mutex_lock(&loop->assign_lock);
    kafka_err_t err = assign_locked(c, loop, tps, n, true, errstr, errstr_size);
    pthread_mutex_unlock(&loop->assign_lock);
    return err;
}

kafka_err_t kafka__loop_assign(kafka__loop_t *loop, const kafka_topic_partition_t *tps, size_t n, bool commit_leaving,
                               char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&loop->assign_lock);
    kafka_err_t err = assign_locked(loop->c, loop, tps, n, commit_leaving, errstr, errstr_size);
    pthread_mutex_unlock(&loop->assign_lock);
    return err;
}

kafka_topic_partition_t *kafka__loop_assignment(kafka__loop_t *loop, size_t *n) {
    pthread_mutex_lock(&loop->lock);
    kafka_topic_partition_t *tps = loop->nparts ? malloc(loop->nparts * sizeof(*tps)) : NULL;
    *n = 0;
    for (size_t i = 0; tps && i < loop->nparts; i++) {
        const kafka__lpart_t *lp = loop->parts[i];
        const char *topic = kafka__consumer_intern(loop->c, lp->topic);
        if (topic)
            tps[(*n)++] = (kafka_topic_partition_t){topic, lp->partition, lp->position};
    }
    pthread_mutex_unlock(&loop->lock);
    return tps;
}

size_t kafka_consumer_assignment(kafka_consumer_t *c, kafka_topic_partition_t *out, size_t max) {
    kafka__loop_t *loop = c ? loop_of(c) : NULL;
    if (!loop)
        return 0;
    size_t n;
    kafka_topic_partition_t *tps = kafka__loop_assignment(loop, &n);
    for (size_t i = 0; i < n && i < max && out; i++)
        out[i] = tps[i];
    free(tps);
    return n;
}

kafka_err_t kafka_consumer_store_offset(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t offset) {
    if (!c || !topic || offset < 0)
        return KAFKA_ERR__INVALID_ARG;
    kafka__loop_t *loop = loop_of(c);
    if (!loop)
        return KAFKA_ERR__STATE;
    pthread_mutex_lock(&loop->lock);
    kafka__lpart_t *lp = kafka__loop_find(loop, topic, partition);
    if (lp)
        lp->stored = offset;
    pthread_mutex_unlock(&loop->lock);
    return lp ? KAFKA_OK : KAFKA_ERR__STATE;
}

static kafka_err_t assign_locked(kafka_consumer_t *c, kafka__loop_t *loop, const kafka_topic_partition_t *tps,
                                 size_t n, bool commit_leaving, char *errstr, size_t errstr_size) {
    char why[700];
    /* Starts first, without the lock (network): nothing changes when one fails. */
    kafka__lpart_t **fresh = n ? calloc(n, sizeof(*fresh)) : NULL;
    if (n && !fresh)
        return kafka__consumer_fail(c, KAFKA_ERR__NO_MEMORY, "assign: out of memory", errstr, errstr_size);
    kafka_err_t err = KAFKA_OK;
    /* BEGINNING and END of many partitions: one ListOffsets per leader, not one each. */
    bool *batch = n ? calloc(n, sizeof(*batch)) : NULL;
    int64_t *starts = n ? malloc(n * sizeof(*starts)) : NULL;
    bool any = false;
    for (size_t i = 0; batch && starts && i < n; i++) {
        bool keep = keeps_position(loop, &tps[i]);
        batch[i] = !keep && (tps[i].offset == KAFKA_OFFSET_BEGINNING || tps[i].offset == KAFKA_OFFSET_END);
        any |= batch[i];
    }
    if (batch && starts && any && n > 1)
        kafka__list_offsets_batch(c, tps, batch, n, starts);
    else if (starts)
        for (size_t i = 0; i < n; i++)
            starts[i] = -1;
    for (size_t i = 0; i < n && !err; i++) {
        if (keeps_position(loop, &tps[i]))
            continue;
        int64_t offset = -1, committed = -1;
        err = check_exists(c, &tps[i], why, sizeof(why));
        if (!err && starts && starts[i] >= 0)
            offset = starts[i];
        else if (!err)
            err = resolve_start(c, &tps[i], &offset, &committed, why, sizeof(why));
        if (!err && !(fresh[i] = lpart_new(c, &tps[i], offset, committed))) {
            err = KAFKA_ERR__NO_MEMORY;
            snprintf(why, sizeof(why), "assign: out of memory");
        }
    }
    free(batch);
    free(starts);
    kafka__lpart_t **parts = n ? malloc(n * sizeof(*parts)) : NULL;
    if (!err && n && !parts) {
        err = KAFKA_ERR__NO_MEMORY;
        snprintf(why, sizeof(why), "assign: out of memory");
    }
    if (err) {
        for (size_t i = 0; i < n; i++)
            kafka__lpart_destroy(fresh[i]);
        free(fresh);
        free(parts);
        return kafka__consumer_fail(c, err, why, errstr, errstr_size);
    }
    /* Positions of the partitions leaving are committed before they go (with the
     * others': all are what poll() returned). A failure does not stop the assignment;
     * last_error says what was not stored. */
    kafka_err_t cerr = loop->auto_commit && commit_leaving ? kafka__loop_commit_sync(loop, why, sizeof(why)) : KAFKA_OK;
    if (cerr) {
        char cause[800];
        snprintf(cause, sizeof(cause), "assign: the positions of the partitions leaving were not committed: %s", why);
        kafka__consumer_fail(c, cerr, cause, NULL, 0);
    }
    for (size_t i = 0; i < n; i++)
        kafka__connection_add_topic(c->cluster, tps[i].topic);
    pthread_mutex_lock(&loop->lock);
    for (size_t i = 0; i < n; i++) {
        kafka__lpart_t *old = kafka__loop_find(loop, tps[i].topic, tps[i].partition);
        if (fresh[i] && old) /* a failed partition started again */
            fresh[i]->leader = old->leader;
        parts[i] = fresh[i] ? fresh[i] : old; /* an old one replaced is freed below */
    }
    for (size_t i = 0; i < loop->nparts; i++) {
        kafka__lpart_t *lp = loop->parts[i];
        bool kept = false;
        for (size_t j = 0; j < n && !kept; j++)
            kept = parts[j] == lp;
        if (!kept)
            lpart_free(loop, lp);
    }
    free(loop->parts);
    loop->parts = parts;
    loop->nparts = loop->capparts = n;
    loop->rr = 0;
    kafka__metadata_t *md = kafka__connection_metadata(c->cluster);
    if (md)
        kafka__loop_route(loop, md);
    pthread_cond_broadcast(&loop->work);
    pthread_cond_broadcast(&loop->ready);
    pthread_mutex_unlock(&loop->lock);
    kafka__metadata_release(md);
    free(fresh);
    return KAFKA_OK;
}

kafka_err_t kafka_consumer_seek(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t start,
                               char *errstr, size_t errstr_size) {
    if (!c) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "seek: no consumer given");
        return KAFKA_ERR__INVALID_ARG;
    }
    char why[700];
    kafka_topic_partition_t tp = {topic, partition, start};
    const char *bad = bad_entry(&tp, 0);
    if (bad) {
        snprintf(why, sizeof(why), "seek %s/%d: %s", topic ? topic : "(null)", (int)partition, bad);
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
    }
    kafka__loop_t *loop = loop_of(c);
    bool assigned = false;
    if (loop) {
        pthread_mutex_lock(&loop->lock);
        assigned = kafka__loop_find(loop, topic, partition) != NULL;
        pthread_mutex_unlock(&loop->lock);
    }
    if (!assigned) {
        snprintf(why, sizeof(why), "seek %s/%d: the partition is not assigned", topic, (int)partition);
        return kafka__consumer_fail(c, KAFKA_ERR__STATE, why, errstr, errstr_size);
    }
    int64_t offset, committed;
    kafka_err_t err = resolve_start(c, &tp, &offset, &committed, why, sizeof(why));
    if (err)
        return kafka__consumer_fail(c, err, why, errstr, errstr_size);
    pthread_mutex_lock(&loop->lock);
    kafka__lpart_t *lp = kafka__loop_find(loop, topic, partition);
    if (lp) {
        kafka__lpart_drop_buffered(loop, lp);
        lp->fetch_offset = lp->position = offset;
        lp->last_epoch = -1; /* a position of unknown history: nothing to validate */
        lp->epoch++; /* a fetch in flight is dropped when it comes back */
        lp->state = LP_FETCH;
        lp->not_before_ms = 0;
        kafka__backoff_reset(&lp->backoff);
        if (committed >= 0)
            lp->committed = committed;
        pthread_cond_broadcast(&loop->work);
    }
    pthread_mutex_unlock(&loop->lock);
    if (!lp) {
        snprintf(why, sizeof(why), "seek %s/%d: the partition was unassigned meanwhile", topic, (int)partition);
        return kafka__consumer_fail(c, KAFKA_ERR__STATE, why, errstr, errstr_size);
    }
    return KAFKA_OK;
}

/* ---- poll ---- */

/* Hands out up to max messages, partitions taking turns from loop->rr. */
static size_t take(kafka__loop_t *loop, kafka_message_t **msgs, size_t max) {
    size_t count = 0, np = loop->nparts;
    bool freed = false;
    for (size_t k = 0; k < np && count < max; k++) {
        size_t idx = (loop->rr + k) % np;
        kafka__lpart_t *lp = loop->parts[idx];
        while (lp->head && count < max) {
            kafka__lbuf_t *lb = lp->head;
            if (lb->set) {
                size_t n = lb->set->n;
                kafka_message_t *m = lb->set->msgs;
                size_t i = lb->taken;
                for (; i < n && count < max; i++)
                    msgs[count++] = &m[i];
                lb->taken = i;
                lp->position = m[i - 1].next_offset;
                if (i < n)
                    break;
                lp->buffered -= lb->set->bytes;
                loop->buffered -= lb->set->bytes;
                loop->st.bytes += (int64_t)lb->set->bytes;
            }
            lp->position = lb->end_offset;
            lp->head = lb->next;
            if (!lp->head)
                lp->tail = NULL;
            bool notice = lb->notice;
            free(lb);
            freed = true;
            if (notice) { /* reported before what comes after the jump */
                lp->notice_due = true;
                break;
            }
        }
    }
    loop->rr = np ? (loop->rr + 1) % np : 0;
    loop->st.messages += (int64_t)count;
    if (freed)
        pthread_cond_broadcast(&loop->work);
    return count;
}

/* A partition whose position reached the jump of a reset that skipped messages. */
static kafka__lpart_t *noticed(kafka__loop_t *loop) {
    for (size_t i = 0; i < loop->nparts; i++)
        if (loop->parts[i]->notice_due)
            return loop->parts[i];
    return NULL;
}

/* A failure not reported yet, of a partition with nothing left to hand out. */
static kafka__lpart_t *unreported(kafka__loop_t *loop) {
    for (size_t i = 0; i < loop->nparts; i++) {
        kafka__lpart_t *lp = loop->parts[i];
        if (lp->state == LP_FAILED && !lp->reported && !lp->head)
            return lp;
    }
    return NULL;
}

kafka_err_t kafka_consumer_poll(kafka_consumer_t *c, int timeout_ms, kafka_message_t **msgs, size_t max,
                                size_t *count, char *errstr, size_t errstr_size) {
    if (!c || !count || (max && !msgs)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "poll: %s", !c ? "no consumer given" : "msgs and count are required");
        if (count)
            *count = 0;
        return KAFKA_ERR__INVALID_ARG;
    }
    *count = 0;
    kafka__loop_t *loop = loop_of(c);
    if (!loop)
        return kafka__consumer_fail(c, KAFKA_ERR__STATE, "poll: no partitions are assigned", errstr, errstr_size);
    kafka__group_t *g = kafka__group_of(c);
    if (g && !kafka__group_active(g))
        g = NULL; /* unsubscribed: a consumer with nothing assigned */
    int64_t now = kafka__now_ms();
    if (g) {
        atomic_store(&g->last_poll_ms, now);
        atomic_store(&g->in_poll, 1);
    }
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now + timeout_ms;
    if (loop->auto_commit) {
        /* What the previous polls returned counts as processed now. */
        pthread_mutex_lock(&loop->lock);
        bool due = now >= loop->next_auto_commit_ms;
        if (due)
            loop->next_auto_commit_ms = now + loop->auto_commit_ms;
        pthread_mutex_unlock(&loop->lock);
        if (due)
            kafka_consumer_commit_positions(c, true, NULL, 0);
    }
    pthread_mutex_lock(&loop->lock);
    kafka_err_t err = KAFKA_OK;
    bool serve = g != NULL;
    for (;;) {
        if (g && (serve || loop->group_wake)) {
            /* Rebalances first: what was revoked is not handed out any more. */
            serve = loop->group_wake = false;
            pthread_mutex_unlock(&loop->lock);
            err = kafka__group_serve(g, errstr, errstr_size);
            pthread_mutex_lock(&loop->lock);
            if (err)
                break;
            continue;
        }
        if (!loop->nparts && !g) {
            err = KAFKA_ERR__STATE;
            break;
        }
        kafka__lpart_t *lp = noticed(loop);
        if (lp) {
            lp->notice_due = false;
            err = lp->notice_err ? lp->notice_err : KAFKA_ERR__AUTO_OFFSET_RESET;
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "%s", lp->notice);
            break;
        }
        if ((*count = take(loop, msgs, max)) > 0)
            break;
        lp = unreported(loop);
        if (lp) {
            lp->reported = true;
            err = lp->err;
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "%s", lp->errstr);
            break;
        }
        if (loop->stopping || kafka__now_ms() >= deadline)
            break;
        int64_t until = deadline;
        if (until - kafka__now_ms() > 1000)
            until = kafka__now_ms() + 1000;
        kafka__cond_wait_until(&loop->ready, &loop->lock, until);
    }
    pthread_mutex_unlock(&loop->lock);
    if (g) {
        atomic_store(&g->last_poll_ms, kafka__now_ms());
        atomic_store(&g->in_poll, 0);
    }
    if (err == KAFKA_ERR__STATE)
        return kafka__consumer_fail(c, err, "poll: no partitions are assigned", errstr, errstr_size);
    if (err) {
        char why[800];
        snprintf(why, sizeof(why), "%s", errstr && errstr_size ? errstr : kafka_err_name(err));
        kafka__consumer_fail(c, err, why, NULL, 0);
    }
    return err;
}

/* ---- position ---- */

static int64_t part_value(kafka_consumer_t *c, const char *topic, int32_t partition, bool hw) {
    if (!c || !topic)
        return -1;
    kafka__loop_t *loop = loop_of(c);
    if (!loop)
        return -1;
    pthread_mutex_lock(&loop->lock);
    const kafka__lpart_t *lp = kafka__loop_find(loop, topic, partition);
    int64_t v = !lp ? -1 : hw ? lp->high_watermark : lp->position;
    pthread_mutex_unlock(&loop->lock);
    return v;
}

int64_t kafka_consumer_position(kafka_consumer_t *c, const char *topic, int32_t partition) {
    return part_value(c, topic, partition, false);
}

int64_t kafka_consumer_high_watermark(kafka_consumer_t *c, const char *topic, int32_t partition) {
    return part_value(c, topic, partition, true);
}

size_t kafka_consumer_buffered_bytes(kafka_consumer_t *c) {
    if (!c)
        return 0;
    kafka__loop_t *loop = loop_of(c);
    if (!loop)
        return 0;
    pthread_mutex_lock(&loop->lock);
    size_t n = loop->buffered;
    pthread_mutex_unlock(&loop->lock);
    return n;
}

void kafka_consumer_stats(kafka_consumer_t *c, kafka_consumer_stats_t *st) {
    memset(st, 0, sizeof(*st));
    kafka__loop_t *loop = c ? loop_of(c) : NULL;
    if (!loop)
        return;
    pthread_mutex_lock(&loop->lock);
    *st = loop->st;
    st->assigned = (int64_t)loop->nparts;
    st->fetchers = (int64_t)loop->nfetchers;
    st->buffered_bytes = (int64_t)loop->buffered;
    for (size_t i = 0; i < loop->nparts; i++) {
        const kafka__lpart_t *lp = loop->parts[i];
        st->failed += lp->state == LP_FAILED;
        /* A buffer stays listed while messages of its set are left (they keep it). */
        for (const kafka__lbuf_t *lb = lp->head; lb; lb = lb->next)
            if (lb->set)
                st->buffered_messages += (int64_t)(lb->set->n - lb->taken);
        int64_t lag = lp->high_watermark - lp->position;
        if (lp->high_watermark >= 0 && lag > 0) {
            st->lag += lag;
            if (lag > st->max_lag)
                st->max_lag = lag;
        }
    }
    pthread_mutex_unlock(&loop->lock);
}

size_t kafka_consumer_lags(kafka_consumer_t *c, kafka_partition_lag_t *out, size_t max) {
    kafka__loop_t *loop = c ? loop_of(c) : NULL;
    if (!loop)
        return 0;
    pthread_mutex_lock(&loop->lock);
    size_t n = loop->nparts;
    for (size_t i = 0; i < n && i < max; i++) {
        const kafka__lpart_t *lp = loop->parts[i];
        kafka_partition_lag_t *o = &out[i];
        snprintf(o->topic, sizeof(o->topic), "%s", lp->topic);
        o->partition = lp->partition;
        o->position = lp->position;
        o->high_watermark = lp->high_watermark;
        o->lag = lp->high_watermark >= 0 && lp->position >= 0 && lp->high_watermark > lp->position
                     ? lp->high_watermark - lp->position
                     : 0;
    }
    pthread_mutex_unlock(&loop->lock);
    return n;
}

size_t kafka_consumer_request_stats(kafka_consumer_t *c, kafka_request_stats_t *out, size_t max) {
    return c ? kafka_connection_request_stats(c->cluster, out, max) : 0;
}

size_t kafka_consumer_request_errors(kafka_consumer_t *c, kafka_request_error_t *out, size_t max) {
    return c ? kafka_connection_request_errors(c->cluster, out, max) : 0;
}
