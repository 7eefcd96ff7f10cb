/* kafka_producer_t: the application side (produce, send, flush), the topics and
 * partitions table, routing of partitions to broker workers from the metadata thread's
 * snapshots, delivery reports, and the idempotent producer's id. The broker side is
 * worker.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/conf_int.h"
#include "producer/producer_int.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/vec.h"

static void set_error(kafka_producer_t *p, kafka_err_t err, const char *why) {
    pthread_mutex_lock(&p->err_lock);
    p->last_err = err;
    snprintf(p->last_error, sizeof(p->last_error), "%s", why);
    pthread_mutex_unlock(&p->err_lock);
}

/* Records err (why formatted) as the last error and copies why into errstr. */
__attribute__((format(printf, 5, 6))) static kafka_err_t fail(kafka_producer_t *p, char *errstr, size_t errstr_size,
                                                              kafka_err_t err, const char *fmt, ...) {
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    set_error(p, err, why);
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", why);
    return err;
}

kafka_err_t kafka__producer_fail(kafka_producer_t *p, char *errstr, size_t errstr_size, kafka_err_t err,
                                 const char *why) {
    return fail(p, errstr, errstr_size, err, "%s", why);
}

kafka_err_t kafka_producer_last_error(kafka_producer_t *p, char *buf, size_t buf_size) {
    pthread_mutex_lock(&p->err_lock);
    kafka_err_t err = p->last_err;
    if (buf && buf_size)
        snprintf(buf, buf_size, "%s", p->last_error);
    pthread_mutex_unlock(&p->err_lock);
    return err;
}

kafka_err_t kafka_producer_last_errorcode(kafka_producer_t *p) { return kafka_producer_last_error(p, NULL, 0); }

void kafka_producer_set_delivery_cb(kafka_producer_t *p, kafka_delivery_cb_t *cb, void *cb_opaque) {
    p->dr_cb = cb;
    p->dr_opaque = cb_opaque;
}

/* ---- partitions ---- */

/* @thread any  @locks pp->ap.lock held */
void kafka__ppart_notify(kafka_producer_t *p, kafka__ppart_t *pp) {
    (void)p;
    if (!pp->owner) {
        if (pp->leader) {
            pp->owner = pp->leader;
            kafka__worker_push(pp->leader, pp);
        }
    } else if (pp->owner != kafka__worker_self()) {
        kafka__worker_kick(pp->owner);
    }
}

void kafka__ppart_sealed(kafka_producer_t *p, kafka__ppart_t *pp) {
    kafka__ptopic_t *t = pp->topic;
    pthread_mutex_lock(&t->lock);
    kafka__partitioner_batch_sealed(&t->part, pp->ap.partition);
    atomic_store_explicit(&t->sticky_hint, t->part.sticky, memory_order_relaxed);
    pthread_mutex_unlock(&t->lock);
    kafka__ppart_notify(p, pp);
}

bool kafka__ppart_ready_locked(kafka_producer_t *p, kafka__ppart_t *pp, int64_t now_ms, bool force,
                               int64_t *next_due_ms) {
    if (!kafka__accum_ready_locked(&p->acc, &pp->ap, now_ms, force, next_due_ms))
        return false;
    kafka__ppart_sealed(p, pp);
    return true;
}

int64_t kafka__ppart_expire(kafka_producer_t *p, kafka__ppart_t *pp, int64_t now, bool all,
                            kafka__pbatch_t **expired) {
    while (pp->ap.head && !pp->inflight && (all || pp->ap.head->msgs[0].enqueued_ms + p->delivery_timeout_ms <= now)) {
        kafka__pbatch_t *pb = kafka__apart_pop(&pp->ap);
        /* Sent before under the current producer id: the broker expects its sequence
         * next, and will never see it. Later batches need a new producer id. */
        if (pb->seq_gen && pb->seq_gen == atomic_load(&p->pid_gen))
            kafka__producer_pid_reset(p, pb->seq_gen);
        pb->next = *expired;
        *expired = pb;
    }
    return pp->ap.head && !pp->inflight ? pp->ap.head->msgs[0].enqueued_ms + p->delivery_timeout_ms : INT64_MAX;
}

void kafka__ppart_report_expired(kafka_producer_t *p, kafka__ppart_t *pp, kafka__pbatch_t *list, kafka_err_t cause,
                                 const char *why) {
    kafka__pbatch_t *rev = NULL;
    while (list) {
        kafka__pbatch_t *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
    }
    char msg[512];
    bool fatal = kafka__bconn_fatal(cause);
    if (fatal) /* the leader refuses our connections: TLS or SASL, which retrying cannot mend */
        snprintf(msg, sizeof(msg), "%s/%d: not delivered: the leader refuses the connection: %s%s%s",
                 pp->topic->name, pp->ap.partition, kafka_err_name(cause), why && *why ? ": " : "", why ? why : "");
    else
        snprintf(msg, sizeof(msg), "%s/%d: not delivered within delivery.timeout.ms %lld; last cause: %s%s%s",
                 pp->topic->name, pp->ap.partition, (long long)p->delivery_timeout_ms,
                 cause ? kafka_err_name(cause) : "none (never sent)", why && *why ? ": " : "", why ? why : "");
    while (rev) {
        kafka__pbatch_t *n = rev->next;
        kafka__producer_report(p, pp, rev, -1, fatal ? cause : KAFKA_ERR__TIMED_OUT, msg);
        rev = n;
    }
}

void kafka__producer_report(kafka_producer_t *p, kafka__ppart_t *pp, kafka__pbatch_t *pb, int64_t base_offset,
                            kafka_err_t err, const char *why) {
    kafka_delivery_t d = {pp->topic->name, pp->ap.partition, -1, err, err ? why : "", NULL};
    for (int32_t i = 0; i < pb->count; i++) {
        kafka__msgmeta_t *m = &pb->msgs[i];
        d.offset = !err && base_offset >= 0 ? base_offset + i : -1;
        if (m->flags & KAFKA__MSG_SYNC) {
            kafka__sync_t *s = m->opaque;
            pthread_mutex_lock(&s->lock);
            if (err && !s->err) {
                s->err = err;
                snprintf(s->why, sizeof(s->why), "%s", why ? why : kafka_err2str(err));
            }
            if (!err && (s->first_offset < 0 || (d.offset >= 0 && d.offset < s->first_offset)))
                s->first_offset = d.offset;
            if (--s->left == 0)
                pthread_cond_broadcast(&s->cond);
            pthread_mutex_unlock(&s->lock);
        } else if (p->dr_cb) {
            d.opaque = m->opaque;
            p->dr_cb(&d, p->dr_opaque);
        }
    }
    atomic_fetch_add_explicit(err ? &p->st_failed : &p->st_delivered, pb->count, memory_order_relaxed);
    if (err && p->txn_id)
        kafka__txn_batch_failed(p, err, why);
    kafka__accum_release(&p->acc, pb);
}

/* ---- idempotence ---- */

void kafka__producer_pid_reset(kafka_producer_t *p, uint32_t gen) {
    if (gen == atomic_load(&p->pid_gen))
        atomic_store(&p->pid_reset, true);
}

kafka_err_t kafka__producer_pid(kafka_producer_t *p, kafka__bconn_t *bc, const char *host, int port, int64_t *pid,
                                int16_t *epoch, uint32_t *gen, bool *broken, char *why, size_t why_size) {
    *broken = false;
    pthread_mutex_lock(&p->pid_lock);
    kafka_err_t e = KAFKA_OK;
    /* A transactional producer's id and epoch come from its transaction coordinator
     * (txn.c): a sequence gap fails the transaction instead. */
    if (!p->txn_id && (p->pid < 0 || atomic_load(&p->pid_reset))) {
        kafka__bconn_t *own = NULL;
        if (!bc) {
            own = kafka__bconn_open(p->conf, kafka__connection_vcaps(p->cluster), host, port, &e, why, why_size);
            bc = own;
        }
        if (bc && (kafka__bconn_version(bc, KAFKA_API_INIT_PRODUCER_ID) < 0 ||
                   kafka__bconn_version(bc, KAFKA_API_PRODUCE) < 3)) {
            /* No InitProducerId or no RecordBatch: this broker cannot deduplicate. */
            atomic_store(&p->idempotent, false);
        } else if (bc) {
            kafka_init_producer_id_request_t req;
            kafka_request_init(KAFKA_API_INIT_PRODUCER_ID, &req);
            req.transactional_id = kafka_str(NULL); /* idempotent, not transactional (Kafka's default is "") */
            req.transaction_timeout_ms = -1;
            kafka_init_producer_id_response_t resp;
            kafka_arena_t arena = KAFKA_ARENA_INIT;
            uint8_t *frame = NULL;
            e = kafka__bconn_request(bc, KAFKA_API_INIT_PRODUCER_ID, &req, &resp, &arena, &frame, NULL);
            /* The request itself failed (the connection broke or timed out, the response
             * did not decode, a re-authentication before it was refused): the caller's
             * connection is out of step and must go. An error code answered is not that. */
            *broken = e && !own;
            if (e)
                snprintf(why, why_size, "InitProducerId on %s:%d: %s", host, port, kafka__bconn_last_error(bc));
            else if (resp.error_code)
                snprintf(why, why_size, "InitProducerId on %s:%d: %s", host, port,
                         kafka_err_name(e = (kafka_err_t)resp.error_code));
            if (!e) {
                p->pid = resp.producer_id;
                p->epoch = resp.producer_epoch;
                atomic_store(&p->pid_reset, false);
                atomic_fetch_add(&p->pid_gen, 1);
                atomic_fetch_add(&p->st_pids, 1);
            }
            free(frame);
            kafka__arena_free(&arena);
        }
        kafka__bconn_close(own);
    }
    *pid = p->pid;
    *epoch = p->epoch;
    *gen = atomic_load(&p->pid_gen);
    pthread_mutex_unlock(&p->pid_lock);
    return e;
}

/* ---- topics ---- */

static kafka__ptopic_t *topic_find(kafka_producer_t *p, const char *name) {
    kafka__ptopics_t *ts = atomic_load_explicit(&p->topics, memory_order_acquire);
    for (size_t i = 0; ts && i < ts->n; i++)
        if (strcmp(ts->t[i]->name, name) == 0)
            return ts->t[i];
    return NULL;
}

static kafka__ppart_t *ppart_new(kafka_producer_t *p, kafka__ptopic_t *t, int32_t partition) {
    kafka__ppart_t *pp = calloc(1, sizeof(*pp));
    if (!pp)
        return NULL;
    kafka__apart_init(&pp->ap, t, partition);
    pp->topic = t;
    kafka__backoff_init(&pp->backoff, p->backoff_ms, p->backoff_max_ms);
    return pp;
}

/* Grows t to n partitions (p->lock held). */
static bool topic_grow(kafka_producer_t *p, kafka__ptopic_t *t, int32_t n) {
    kafka__pparts_t *old = atomic_load(&t->parts);
    int32_t have = old ? old->n : 0;
    if (n <= have)
        return true;
    kafka__pparts_t *np = calloc(1, sizeof(*np) + sizeof(np->p[0]) * (size_t)n);
    if (!np)
        return false;
    for (int32_t i = 0; i < n; i++) {
        np->p[i] = i < have ? old->p[i] : ppart_new(p, t, i);
        if (!np->p[i]) {
            for (int32_t j = have; j < i; j++) {
                kafka__apart_destroy(&np->p[j]->ap);
                free(np->p[j]);
            }
            free(np);
            return false;
        }
    }
    np->n = n;
    np->older = old;
    atomic_store_explicit(&t->parts, np, memory_order_release);
    return true;
}

/* Adds topic `name` with n partitions (p->lock held). */
static kafka__ptopic_t *topic_add(kafka_producer_t *p, const char *name, int32_t n) {
    kafka__ptopic_t *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    kafka__partitioner_init(&t->part, (uint64_t)kafka__wall_ms() ^ (uint64_t)(uintptr_t)t);
    atomic_init(&t->sticky_hint, -1);
    kafka__ptopics_t *old = atomic_load(&p->topics);
    size_t have = old ? old->n : 0;
    kafka__ptopics_t *nt = calloc(1, sizeof(*nt) + sizeof(nt->t[0]) * (have + 1));
    if (!nt || !topic_grow(p, t, n)) {
        free(nt);
        pthread_mutex_destroy(&t->lock);
        free(t->name);
        free(t);
        return NULL;
    }
    if (have)
        memcpy(nt->t, old->t, sizeof(nt->t[0]) * have);
    nt->t[have] = t;
    nt->n = have + 1;
    nt->older = old;
    atomic_store_explicit(&p->topics, nt, memory_order_release);
    return t;
}

/* ---- routing (p->lock held) ---- */

static kafka__worker_t *worker_for(kafka_producer_t *p, const kafka__metadata_t *md, int32_t id) {
    for (size_t i = 0; i < p->nworkers; i++)
        if (kafka__worker_broker(p->workers[i]) == id)
            return p->workers[i];
    const kafka__md_broker_t *b = kafka__metadata_broker(md, id);
    if (!b || atomic_load(&p->stopping))
        return NULL;
    kafka__worker_t **ws = kafka__vec_grow(p->workers, &p->capworkers, p->nworkers, sizeof(*ws), 8);
    if (!ws)
        return NULL;
    p->workers = ws;
    kafka__worker_t *w = kafka__worker_new(p, id, b->host, b->port);
    if (w)
        p->workers[p->nworkers++] = w;
    return w;
}

/* Points every partition at its leader's worker per md, hands work to them, seals and
 * expires what has no leader, and takes the workers of brokers that left out of the
 * table into *retired (stopped by the caller without p->lock). Expired batches are
 * reported after p->lock is released: they go onto *expired with their partition. */
typedef struct expired_s {
    kafka__ppart_t *pp;
    kafka__pbatch_t *list;
    struct expired_s *next;
} expired_t;

/* @thread metadata or app  @locks p->lock, then each partition's */
static void route(kafka_producer_t *p, kafka__metadata_t *md, expired_t **expired, kafka__worker_t ***retired,
                  size_t *nretired) {
    if (!md)
        return;
    if (p->md != md) {
        kafka__metadata_release(p->md);
        p->md = kafka__metadata_keep(md);
    }
    int64_t now = kafka__now_ms();
    bool want_refresh = false;
    kafka__ptopics_t *ts = atomic_load(&p->topics);
    for (size_t ti = 0; ts && ti < ts->n; ti++) {
        kafka__ptopic_t *t = ts->t[ti];
        const kafka__md_topic_t *mt = kafka__metadata_topic(md, t->name);
        if (mt && !mt->err)
            topic_grow(p, t, mt->npartitions);
        kafka__pparts_t *parts = atomic_load(&t->parts);
        for (int32_t i = 0; parts && i < parts->n; i++) {
            kafka__ppart_t *pp = parts->p[i];
            int32_t id = mt && !mt->err && i < mt->npartitions ? mt->partitions[i].leader : -1;
            kafka__worker_t *w = id >= 0 ? worker_for(p, md, id) : NULL;
            kafka__pbatch_t *exp = NULL;
            pthread_mutex_lock(&pp->ap.lock);
            if (pp->leader != w) {
                pp->leader = w;
                kafka__ppart_notify(p, pp);
            }
            if (!w && !pp->owner && (pp->ap.head || pp->ap.nmsgs)) {
                /* Nobody can send it now: seal what lingers, expire what waited too long,
                 * and keep asking for metadata until a leader appears. */
                kafka__ppart_ready_locked(p, pp, now, true, NULL);
                kafka__ppart_expire(p, pp, now, false, &exp);
                if (!pp->last_err) {
                    pp->last_err = KAFKA_ERR__LEADER_NOT_FOUND;
                    snprintf(pp->why, sizeof(pp->why), "%s/%d has no leader in the metadata", t->name, i);
                }
                want_refresh = true;
            }
            pthread_mutex_unlock(&pp->ap.lock);
            if (exp) {
                expired_t *e = malloc(sizeof(*e));
                if (e) {
                    *e = (expired_t){pp, exp, *expired};
                    *expired = e;
                } else {
                    kafka__ppart_report_expired(p, pp, exp, pp->last_err, pp->why); /* no memory: report under p->lock */
                }
            }
        }
    }
    /* Brokers that left the cluster: their workers lead nothing now. */
    for (size_t i = 0; i < p->nworkers;) {
        if (!kafka__metadata_broker(md, kafka__worker_broker(p->workers[i]))) {
            kafka__worker_t **r = realloc(*retired, sizeof(**retired) * (*nretired + 1));
            if (r) {
                *retired = r;
                r[(*nretired)++] = p->workers[i];
                p->workers[i] = p->workers[--p->nworkers];
                continue;
            }
        }
        i++;
    }
    if (want_refresh)
        kafka_connection_refresh(p->cluster);
}

static void route_done(kafka_producer_t *p, expired_t *expired, kafka__worker_t **retired, size_t nretired) {
    for (size_t i = 0; i < nretired; i++)
        kafka__worker_stop(retired[i]);
    free(retired);
    while (expired) {
        expired_t *n = expired->next;
        char why[200];
        pthread_mutex_lock(&expired->pp->ap.lock);
        kafka_err_t cause = expired->pp->last_err;
        snprintf(why, sizeof(why), "%s", expired->pp->why);
        pthread_mutex_unlock(&expired->pp->ap.lock);
        kafka__ppart_report_expired(p, expired->pp, expired->list, cause, why);
        free(expired);
        expired = n;
    }
}

/* The metadata thread's listener. */
static void on_metadata(kafka__metadata_t *md, void *arg) {
    kafka_producer_t *p = arg;
    expired_t *expired = NULL;
    kafka__worker_t **retired = NULL;
    size_t nretired = 0;
    pthread_mutex_lock(&p->lock);
    route(p, md, &expired, &retired, &nretired);
    pthread_mutex_unlock(&p->lock);
    route_done(p, expired, retired, nretired);
}

/* The metadata thread's tick: statistics.interval.ms passed. */
static void on_tick(void *arg) {
    kafka_producer_t *p = arg;
    const kafka__conf_cbs_t *cbs = kafka__conf_cbs(p->conf);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    cbs->stats(&st, cbs->stats_opaque);
}

/* The topic's state, added (after its metadata arrived) on first use. */
static kafka__ptopic_t *topic_get(kafka_producer_t *p, const char *name, char *errstr, size_t errstr_size,
                                  kafka_err_t *errp) {
    kafka__ptopic_t *t = topic_find(p, name);
    if (t)
        return t;
    char why[1024];
    /* As Java's max.block.ms: queue.full.timeout.ms bounds the wait too, so a caller is
     * never held longer than either (kafka-agent run sets delivery.timeout.ms to its
     * maximum and relies on this to see its signals). */
    int64_t bound = p->delivery_timeout_ms;
    if (p->acc.full_timeout_ms > 0 && p->acc.full_timeout_ms < bound)
        bound = p->acc.full_timeout_ms;
    int wait = (int)(bound < INT32_MAX ? bound : INT32_MAX);
    kafka_err_t e = kafka_connection_wait_metadata(p->cluster, name, wait, why, sizeof(why));
    if (e) {
        /* Java's "Topic not present in metadata after N ms": a timeout, naming why. */
        kafka_err_t cause = e;
        if (e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION && kafka_err_retriable(e))
            e = KAFKA_ERR__TIMED_OUT;
        *errp = fail(p, errstr, errstr_size, e, "%s: %s", kafka_err_name(cause), why);
        return NULL;
    }
    kafka__metadata_t *md = kafka__connection_metadata(p->cluster);
    const kafka__md_topic_t *mt = md ? kafka__metadata_topic(md, name) : NULL;
    if (!mt || mt->err || mt->npartitions <= 0) {
        *errp = fail(p, errstr, errstr_size, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, "topic %s: %s", name,
                     mt ? kafka_err_name((kafka_err_t)mt->err) : "not in the metadata");
        kafka__metadata_release(md);
        return NULL;
    }
    expired_t *expired = NULL;
    kafka__worker_t **retired = NULL;
    size_t nretired = 0;
    pthread_mutex_lock(&p->lock);
    if (!(t = topic_find(p, name)) && (t = topic_add(p, name, mt->npartitions)))
        route(p, md, &expired, &retired, &nretired);
    pthread_mutex_unlock(&p->lock);
    route_done(p, expired, retired, nretired);
    kafka__metadata_release(md);
    if (!t)
        *errp = fail(p, errstr, errstr_size, KAFKA_ERR__NO_MEMORY, "out of memory adding topic %s", name);
    return t;
}

/* ---- the producer ---- */

kafka_producer_t *kafka_producer_new(const kafka_conf_t *conf, char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    kafka_producer_t *p = calloc(1, sizeof(*p));
    if (!p || !(p->conf = kafka_conf_dup(conf))) {
        free(p);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    /* The connection validates conf and requires bootstrap.servers. */
    if (kafka_conf_validate(p->conf, errstr, errstr_size) != KAFKA_OK ||
        !(p->cluster = kafka_connection_new(p->conf, errstr, errstr_size))) {
        kafka_conf_destroy(p->conf);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->pid_lock, NULL);
    pthread_mutex_init(&p->err_lock, NULL);
    pthread_mutex_init(&p->txn_lock, NULL);
    const char *txn_id = kafka_conf_str(p->conf, KAFKA_CONF_TRANSACTIONAL_ID);
    p->txn_id = txn_id && *txn_id ? strdup(txn_id) : NULL;
    p->txn_timeout_ms = (int32_t)kafka_conf_int(p->conf, KAFKA_CONF_TRANSACTION_TIMEOUT_MS);
    atomic_init(&p->txn_state, KAFKA__TXN_UNINIT);
    atomic_init(&p->txn_batch_err, 0);
    kafka__accum_init(&p->acc, p->conf);
    p->acc.coarse_now = true;
    atomic_init(&p->topics, NULL);
    atomic_init(&p->flushing, 0);
    atomic_init(&p->stopping, false);
    atomic_init(&p->idempotent, kafka_conf_bool(p->conf, KAFKA_CONF_ENABLE_IDEMPOTENCE));
    atomic_init(&p->pid_gen, 0);
    atomic_init(&p->pid_reset, false);
    p->pid = -1;
    p->epoch = -1;
    p->acks = (int)kafka_conf_int(p->conf, KAFKA_CONF_ACKS);
    p->partitioner = (int)kafka_conf_int(p->conf, KAFKA_CONF_PARTITIONER);
    p->max_in_flight = (int)kafka_conf_int(p->conf, KAFKA_CONF_MAX_IN_FLIGHT);
    p->retries = kafka_conf_int(p->conf, KAFKA_CONF_RETRIES);
    p->delivery_timeout_ms = kafka_conf_int(p->conf, KAFKA_CONF_DELIVERY_TIMEOUT_MS);
    p->request_timeout_ms = kafka_conf_int(p->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    p->backoff_ms = kafka_conf_int(p->conf, KAFKA_CONF_RETRY_BACKOFF_MS);
    p->backoff_max_ms = kafka_conf_int(p->conf, KAFKA_CONF_RETRY_BACKOFF_MAX_MS);
    p->message_max = (size_t)kafka_conf_int(p->conf, KAFKA_CONF_MESSAGE_MAX_BYTES);
    p->codec = (kafka_compression_t)kafka_conf_int(p->conf, KAFKA_CONF_COMPRESSION_TYPE);
    kafka__connection_listen(p->cluster, on_metadata, p);
    if (kafka__conf_cbs(p->conf)->stats)
        kafka__connection_tick(p->cluster, kafka_conf_int(p->conf, KAFKA_CONF_STATISTICS_INTERVAL_MS), on_tick, p);
    return p;
}

void kafka_producer_destroy(kafka_producer_t *p) {
    if (!p)
        return;
    atomic_store(&p->stopping, true);
    kafka__connection_listen(p->cluster, NULL, NULL); /* no routing from here on */
    kafka__connection_tick(p->cluster, 0, NULL, NULL);
    kafka__ptopics_t *ts = atomic_load(&p->topics);
    /* No partition has a leader any more: workers hand back what they track to nobody. */
    for (size_t ti = 0; ts && ti < ts->n; ti++) {
        kafka__pparts_t *parts = atomic_load(&ts->t[ti]->parts);
        for (int32_t i = 0; parts && i < parts->n; i++) {
            pthread_mutex_lock(&parts->p[i]->ap.lock);
            parts->p[i]->leader = NULL;
            pthread_mutex_unlock(&parts->p[i]->ap.lock);
        }
    }
    for (size_t i = 0; i < p->nworkers; i++)
        kafka__worker_stop(p->workers[i]);
    free(p->workers);
    /* What was never delivered is reported as such, never dropped in silence. */
    for (size_t ti = 0; ts && ti < ts->n; ti++) {
        kafka__ptopic_t *t = ts->t[ti];
        kafka__pparts_t *parts = atomic_load(&t->parts);
        for (int32_t i = 0; parts && i < parts->n; i++) {
            kafka__ppart_t *pp = parts->p[i];
            pthread_mutex_lock(&pp->ap.lock);
            kafka__ppart_ready_locked(p, pp, kafka__now_ms(), true, NULL);
            kafka__pbatch_t *list = pp->ap.head;
            pp->ap.head = pp->ap.tail = NULL;
            pthread_mutex_unlock(&pp->ap.lock);
            while (list) {
                kafka__pbatch_t *n = list->next;
                kafka__producer_report(p, pp, list, -1, KAFKA_ERR__DESTROYED,
                                       "the producer was destroyed before this message was delivered");
                list = n;
            }
        }
    }
    kafka_connection_destroy(p->cluster);
    for (size_t ti = 0; ts && ti < ts->n; ti++) {
        kafka__ptopic_t *t = ts->t[ti];
        kafka__pparts_t *parts = atomic_load(&t->parts);
        for (int32_t i = 0; parts && i < parts->n; i++) {
            kafka__apart_destroy(&parts->p[i]->ap);
            free(parts->p[i]);
        }
        while (parts) {
            kafka__pparts_t *o = parts->older;
            free(parts);
            parts = o;
        }
        pthread_mutex_destroy(&t->lock);
        free(t->name);
        free(t);
    }
    while (ts) {
        kafka__ptopics_t *o = ts->older;
        free(ts);
        ts = o;
    }
    kafka__metadata_release(p->md);
    kafka__txn_destroy(p);
    kafka__accum_destroy(&p->acc);
    kafka_conf_destroy(p->conf);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->pid_lock);
    pthread_mutex_destroy(&p->err_lock);
    free(p);
}

/* Appends one message; *ppp receives its partition. */
static kafka_err_t produce_one(kafka_producer_t *p, kafka__ptopic_t *t, int32_t partition,
                               const kafka_produce_msg_t *msg, void *opaque, uint32_t flags, kafka__ppart_t **ppp,
                               char *errstr, size_t errstr_size) {
    kafka__pparts_t *parts = atomic_load_explicit(&t->parts, memory_order_acquire);
    if (partition == KAFKA_PARTITION_ANY) {
        if ((p->partitioner == KAFKA_PARTITIONER_MURMUR2_RANDOM && msg->key_len >= 0) ||
            p->partitioner == KAFKA_PARTITIONER_MURMUR2) {
            partition = kafka__partition_murmur2(msg->key, msg->key_len > 0 ? (size_t)msg->key_len : 0, parts->n);
        } else if (msg->key_len < 0 && (partition = atomic_load_explicit(&t->sticky_hint, memory_order_relaxed)) >= 0 &&
                   partition < parts->n) {
            /* Unkeyed: the sticky partition, until its batch is sealed (KIP-480). */
        } else {
            pthread_mutex_lock(&t->lock);
            partition = kafka__partitioner_choose(&t->part, p->partitioner, msg->key, msg->key_len, parts->n);
            atomic_store_explicit(&t->sticky_hint, t->part.sticky, memory_order_relaxed);
            pthread_mutex_unlock(&t->lock);
        }
    }
    if (partition < 0 || partition >= parts->n)
        return fail(p, errstr, errstr_size, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION,
                    "topic %s has partitions 0..%d, not %d", t->name, parts->n - 1, partition);
    kafka__ppart_t *pp = parts->p[partition];
    *ppp = pp;
    if (p->txn_id) {
        kafka_err_t te = kafka__txn_add_partition(p, pp, errstr, errstr_size);
        if (te)
            return te;
    }
    char why[300];
    unsigned ev;
    kafka_err_t e = kafka__accum_append(&p->acc, &pp->ap, msg->timestamp_ms ? msg->timestamp_ms : kafka__wall_ms(),
                                        msg->key, msg->key_len, msg->value, msg->value_len, msg->headers,
                                        msg->header_count, opaque, flags, kafka__now_coarse_ms(), &ev, why,
                                        sizeof(why));
    if (ev) {
        /* A sealed batch must be sent, an opened one's linger watched: by a worker. */
        pthread_mutex_lock(&pp->ap.lock);
        if (ev & KAFKA__ACCUM_SEALED)
            kafka__ppart_sealed(p, pp);
        else
            kafka__ppart_notify(p, pp);
        pthread_mutex_unlock(&pp->ap.lock);
    }
    if (e)
        return fail(p, errstr, errstr_size, e, "%s/%d: %s", t->name, partition, why);
    return KAFKA_OK;
}

kafka_err_t kafka_producer_produce(kafka_producer_t *p, const char *topic, int32_t partition,
                                   const kafka_produce_msg_t *msg, void *opaque, char *errstr, size_t errstr_size) {
    if (!topic || !*topic || !msg || partition < KAFKA_PARTITION_ANY)
        return fail(p, errstr, errstr_size, KAFKA_ERR__INVALID_ARG,
                    "produce: a topic, a message and a partition >= -1 are required");
    if (atomic_load(&p->stopping))
        return fail(p, errstr, errstr_size, KAFKA_ERR__DESTROYED, "produce: the producer is being destroyed");
    kafka_err_t e;
    kafka__ptopic_t *t = topic_get(p, topic, errstr, errstr_size, &e);
    if (!t)
        return e;
    kafka__ppart_t *pp;
    return produce_one(p, t, partition, msg, opaque, 0, &pp, errstr, errstr_size);
}

int64_t kafka_producer_outstanding(kafka_producer_t *p) {
    return atomic_load(&p->acc.msgs);
}

void kafka_producer_stats(kafka_producer_t *p, kafka_producer_stats_t *st) {
    st->delivered = atomic_load(&p->st_delivered);
    st->failed = atomic_load(&p->st_failed);
    st->retries = atomic_load(&p->st_retries);
    st->requests = atomic_load(&p->st_requests);
    st->request_bytes = atomic_load(&p->st_request_bytes);
    st->connects = atomic_load(&p->st_connects);
    st->disconnects = atomic_load(&p->st_disconnects);
    st->retried_messages = atomic_load(&p->st_retried_msgs);
    st->producer_ids = atomic_load(&p->st_pids);
    st->outstanding = kafka_producer_outstanding(p);
    pthread_mutex_lock(&p->lock);
    st->workers = (int64_t)p->nworkers;
    pthread_mutex_unlock(&p->lock);
}

static void kick_all(kafka_producer_t *p) {
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nworkers; i++)
        kafka__worker_kick(p->workers[i]);
    pthread_mutex_unlock(&p->lock);
}

kafka_err_t kafka_producer_flush(kafka_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
    atomic_fetch_add(&p->flushing, 1);
    kick_all(p);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    int64_t left = kafka__accum_wait_empty(&p->acc, timeout_ms < 0 ? NULL : &until);
    atomic_fetch_sub(&p->flushing, 1);
    if (left > 0)
        return fail(p, errstr, errstr_size, KAFKA_ERR__TIMED_OUT, "flush: %lld messages still undelivered after %d ms",
                    (long long)left, timeout_ms);
    return KAFKA_OK;
}

kafka_err_t kafka_producer_send(kafka_producer_t *p, const char *topic, int32_t partition,
                                const kafka_produce_msg_t *msgs, size_t n, int32_t *partition_out,
                                int64_t *base_offset, char *errstr, size_t errstr_size) {
    if (!topic || !*topic || (n > 0 && !msgs) || partition < KAFKA_PARTITION_ANY)
        return fail(p, errstr, errstr_size, KAFKA_ERR__INVALID_ARG,
                    "send: topic, messages and a partition >= -1 are required");
    if (n == 0)
        return fail(p, errstr, errstr_size, KAFKA_ERR__INVALID_ARG, "send: no messages");
    if (atomic_load(&p->stopping))
        return fail(p, errstr, errstr_size, KAFKA_ERR__DESTROYED, "send: the producer is being destroyed");
    kafka_err_t e;
    kafka__ptopic_t *t = topic_get(p, topic, errstr, errstr_size, &e);
    if (!t)
        return e;
    kafka__sync_t s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    s.left = n;
    s.first_offset = -1;
    kafka__ppart_t *pp = NULL;
    size_t appended = 0;
    e = KAFKA_OK;
    for (; appended < n; appended++) {
        /* All n go where the first went (the origin's one partition per call). */
        int32_t part = pp ? pp->ap.partition : partition;
        if ((e = produce_one(p, t, part, &msgs[appended], &s, KAFKA__MSG_SYNC, &pp, errstr, errstr_size)))
            break;
    }
    pthread_mutex_lock(&s.lock);
    s.left -= n - appended;
    pthread_mutex_unlock(&s.lock);
    if (pp && appended) {
        /* No linger for a synchronous send: seal now. */
        pthread_mutex_lock(&pp->ap.lock);
        kafka__ppart_ready_locked(p, pp, kafka__now_ms(), true, NULL);
        pthread_mutex_unlock(&pp->ap.lock);
    }
    pthread_mutex_lock(&s.lock);
    while (s.left > 0)
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    if (partition_out)
        *partition_out = pp ? pp->ap.partition : -1;
    if (base_offset)
        *base_offset = s.first_offset;
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    if (e) /* an append failed: fail() recorded it */
        return e;
    if (s.err)
        return fail(p, errstr, errstr_size, s.err, "%s", s.why);
    return KAFKA_OK;
}

size_t kafka_producer_request_stats(kafka_producer_t *p, kafka_request_stats_t *out, size_t max) {
    return p ? kafka_connection_request_stats(p->cluster, out, max) : 0;
}

size_t kafka_producer_request_errors(kafka_producer_t *p, kafka_request_error_t *out, size_t max) {
    return p ? kafka_connection_request_errors(p->cluster, out, max) : 0;
}
