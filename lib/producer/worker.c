/* A broker worker: one thread per broker that leads partitions we produce to. It owns
 * the broker's connection, tracks the partitions pushed to its queue, seals their
 * batches when linger.ms passes (or on flush), packs one batch per partition into a
 * ProduceRequest written with scatter-gather I/O, keeps up to
 * max.in.flight.requests.per.connection requests in flight, matches responses in order
 * (Kafka answers a connection's requests in order; the correlation id is checked), and
 * completes delivery reports.
 *
 * Order within a partition: only the partition's oldest unreported batch is ever sent,
 * and only once at a time, so a retry can neither overtake nor be overtaken. With
 * idempotence a batch's producer id, epoch and sequence are stamped when it is first
 * sent and kept across its retries; a gap (a batch given up after it was sent) or the
 * broker's OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID / INVALID_PRODUCER_EPOCH
 * gets a new producer id, under which sequences start again at 0. A batch the broker
 * refuses as too large (MESSAGE_TOO_LARGE: batch.size over its message.max.bytes) is
 * split in two in its place, re-stamped from its own first sequence, until single
 * records remain; only a record too large by itself fails. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "producer/envelope.h"
#include "producer/producer_int.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/vec.h"

#define MAX_REQUEST_BYTES (8u << 20) /* a request carries batches up to this many bytes */

typedef struct wentry_s {
    kafka__ppart_t *pp;
    kafka__pbatch_t *pb;
} wentry_t;

/* A request in flight. */
typedef struct wreq_s {
    int64_t sent_ms;
    wentry_t *e;
    size_t n, cap;
} wreq_t;

struct kafka__worker_s {
    kafka_producer_t *p;
    pthread_t thread;
    kafka__mpscq_t q; /* kafka__ppart_t.to_broker: application -> broker */
    atomic_bool stop;
    /* The worker thread's own: */
    kafka__broker_t broker; /* its connection (broker.bc), reconnect backoff, last failure */
    bool up;                /* broker.bc was open at the last state change (counts disconnects) */
    kafka__ppart_t **tracked;
    size_t ntracked, captracked;
    wreq_t *ring; /* in flight, oldest at ring_head */
    int ring_cap, ring_head, ring_n;
    kafka__penv_t env;
    kafka__penv_part_t *parts;
    size_t capparts;
    wreq_t build; /* the request being collected */
};

static _Thread_local kafka__worker_t *tls_self;

kafka__worker_t *kafka__worker_self(void) { return tls_self; }
int32_t kafka__worker_broker(const kafka__worker_t *w) { return w->broker.id; }

void kafka__worker_push(kafka__worker_t *w, kafka__ppart_t *pp) { kafka__mpscq_push(&w->q, &pp->to_broker); }
void kafka__worker_kick(kafka__worker_t *w) { kafka__mpscq_kick(&w->q); }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- connection ---- */

/* The connection's state changed (core/broker.h): when it went down, every batch in
 * flight goes back to its partition, to be sent again after a backoff, and the metadata
 * thread is asked to look at the cluster (unless the worker is stopping). */
/* @thread worker  @locks each partition's in turn */
static void on_state(kafka__broker_t *b, kafka__bconn_t *bc, kafka_err_t err, const char *why, void *arg) {
    kafka__worker_t *w = arg;
    kafka_producer_t *p = w->p;
    (void)b;
    if (bc) {
        w->up = true;
        atomic_fetch_add_explicit(&p->st_connects, 1, memory_order_relaxed);
        return;
    }
    if (w->up) { /* a connect that failed was never open */
        w->up = false;
        atomic_fetch_add_explicit(&p->st_disconnects, 1, memory_order_relaxed);
    }
    int64_t now = kafka__now_ms();
    for (; w->ring_n > 0; w->ring_n--) {
        wreq_t *r = &w->ring[w->ring_head];
        w->ring_head = (w->ring_head + 1) % w->ring_cap;
        for (size_t i = 0; i < r->n; i++) {
            kafka__ppart_t *pp = r->e[i].pp;
            pthread_mutex_lock(&pp->ap.lock);
            pp->inflight = false;
            pp->retry_at = now + kafka__backoff_peek(&pp->backoff);
            pp->last_err = err;
            snprintf(pp->why, sizeof(pp->why), "%.199s", why);
            pthread_mutex_unlock(&pp->ap.lock);
        }
        r->n = 0;
    }
    if (err != KAFKA_ERR__DESTROYED && !atomic_load(&w->stop))
        kafka_connection_refresh(p->cluster);
}

/* ---- responses ---- */

static bool idempotence_error(kafka_err_t e) {
    return e == KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER || e == KAFKA_ERR_UNKNOWN_PRODUCER_ID ||
           e == KAFKA_ERR_INVALID_PRODUCER_EPOCH;
}

static bool leader_error(kafka_err_t e) {
    return e == KAFKA_ERR_NOT_LEADER_OR_FOLLOWER || e == KAFKA_ERR_LEADER_NOT_AVAILABLE ||
           e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == KAFKA_ERR_NOT_ENOUGH_REPLICAS ||
           e == KAFKA_ERR_FENCED_LEADER_EPOCH || e == KAFKA_ERR_KAFKA_STORAGE_ERROR;
}

/* The broker refused pb without writing it (MESSAGE_TOO_LARGE comes before Kafka's
 * sequence checks): its sequence numbers are the partition's next again, as no later
 * batch was stamped (only the head is ever sent). */
/* @thread worker  @locks none (pp->ap.lock held) */
static void unstamp(kafka_producer_t *p, kafka__ppart_t *pp, const kafka__pbatch_t *pb) {
    if (!pb->seq_gen)
        return;
    if (pp->seq_gen == pb->seq_gen && pp->next_seq == (int32_t)(((int64_t)pb->base_seq + pb->count) & INT32_MAX))
        pp->next_seq = pb->base_seq;
    else
        kafka__producer_pid_reset(p, pb->seq_gen);
}

/* The broker refused pb as larger than its message.max.bytes (pb still in flight, so
 * read outside the lock). Several records: pb is split in two that take its place at the
 * head, to go at once, before anything later of the partition; with idempotence they
 * take its sequence numbers. When it cannot be split (out of memory) it is sent again
 * after a backoff. One record: that record is reported as too large. */
/* @thread worker  @locks pp->ap.lock */
static void too_large(kafka__worker_t *w, kafka__ppart_t *pp, kafka__pbatch_t *pb, const char *msg) {
    kafka_producer_t *p = w->p;
    char why[400], swhy[200] = "";
    const char *sep = msg && *msg ? ": " : "";
    msg = msg ? msg : "";
    size_t sent = pb->alt_magic >= 0 ? pb->altlen : pb->len;
    kafka__pbatch_t *first = NULL, *second = NULL;
    if (pb->count > 1 && kafka__accum_split(&p->acc, pb, &first, &second, swhy, sizeof(swhy)) == KAFKA_OK)
        snprintf(why, sizeof(why), "%s/%d on broker %d: MESSAGE_TOO_LARGE: a batch of %d records, %zu bytes, "
                 "split in two%s%s", pp->topic->name, pp->ap.partition, w->broker.id, pb->count, sent, sep, msg);
    else if (pb->count > 1)
        snprintf(why, sizeof(why), "%s/%d on broker %d: MESSAGE_TOO_LARGE: a batch of %d records, %zu bytes, "
                 "not split: %s%s%s", pp->topic->name, pp->ap.partition, w->broker.id, pb->count, sent, swhy, sep, msg);
    else
        snprintf(why, sizeof(why), "%s/%d on broker %d: MESSAGE_TOO_LARGE: a record of %u bytes (%zu with its batch "
                 "header) is over the broker's message.max.bytes or the topic's max.message.bytes (this producer's "
                 "message.max.bytes is %zu)%s%s",
                 pp->topic->name, pp->ap.partition, w->broker.id, pb->msgs[0].size, sent, p->message_max, sep, msg);
    int64_t now = kafka__now_ms();
    pthread_mutex_lock(&pp->ap.lock);
    pp->inflight = false;
    pp->last_err = KAFKA_ERR_MESSAGE_TOO_LARGE;
    snprintf(pp->why, sizeof(pp->why), "%.199s", why);
    if (pb->count > 1)
        kafka__apart_refused(&pp->ap, pb);
    if (pb->count > 1 && !first) {
        pp->retry_at = now + kafka__backoff_next(&pp->backoff);
        pthread_mutex_unlock(&pp->ap.lock);
        return;
    }
    unstamp(p, pp, pb);
    if (first) {
        second->next = pb->next;
        pp->ap.head = first;
        if (pp->ap.tail == pb)
            pp->ap.tail = second;
        pp->retry_at = now;
        pb->next = NULL;
    } else {
        kafka__apart_pop(&pp->ap); /* pb */
    }
    pthread_mutex_unlock(&pp->ap.lock);
    if (first) {
        atomic_fetch_add_explicit(&p->st_retries, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->st_retried_msgs, pb->count, memory_order_relaxed);
        kafka__accum_retire(&p->acc, pb);
    } else {
        kafka__producer_report(p, pp, pb, -1, KAFKA_ERR_MESSAGE_TOO_LARGE, why);
    }
}

/* The broker answered for one batch: done (reported), or back for a retry. */
/* @thread worker  @locks pp->ap.lock */
static void complete(kafka__worker_t *w, kafka__ppart_t *pp, kafka__pbatch_t *pb, kafka_err_t err, int64_t base,
                     const char *msg) {
    kafka_producer_t *p = w->p;
    char why[300] = "";
    bool done;
    int64_t now = kafka__now_ms();
    if (err == KAFKA_ERR_DUPLICATE_SEQUENCE_NUMBER)
        err = KAFKA_OK; /* Kafka 0.11 answers a retried batch it already has this way: it is written */
    if (err == KAFKA_ERR_MESSAGE_TOO_LARGE) {
        too_large(w, pp, pb, msg);
        return;
    }
    if (err)
        snprintf(why, sizeof(why), "%s/%d on broker %d: %s%s%s", pp->topic->name, pp->ap.partition, w->broker.id,
                 kafka_err_name(err), msg && *msg ? ": " : "", msg ? msg : "");
    pthread_mutex_lock(&pp->ap.lock);
    pp->inflight = false;
    if (!err) {
        done = true;
        kafka__backoff_reset(&pp->backoff);
        pp->retry_at = 0;
        pp->last_err = KAFKA_OK;
        pp->why[0] = 0;
    } else {
        pp->last_err = err;
        snprintf(pp->why, sizeof(pp->why), "%.199s", why);
        /* A transactional producer cannot take a new producer id mid-transaction: a
         * sequence or epoch error fails the batch, and the transaction with it. */
        bool renew = idempotence_error(err) && !p->txn_id;
        bool retry = (kafka_err_retriable(err) || renew) && pb->attempts <= p->retries;
        if (renew)
            kafka__producer_pid_reset(p, pb->seq_gen);
        if (retry) {
            done = false;
            int64_t wait = kafka__backoff_next(&pp->backoff);
            pp->retry_at = renew ? now : now + wait;
            if (leader_error(err))
                kafka_connection_refresh(p->cluster);
        } else {
            done = true;
            /* The broker did not take it: later batches would leave a gap. */
            if (pb->seq_gen)
                kafka__producer_pid_reset(p, pb->seq_gen);
        }
    }
    if (done)
        kafka__apart_pop(&pp->ap); /* pb, the head */
    pthread_mutex_unlock(&pp->ap.lock);
    if (done)
        kafka__producer_report(p, pp, pb, base, err, why);
}

/* Reads one response and completes the oldest request with it. */
/* @thread worker  @locks each partition's in turn */
static void receive(kafka__worker_t *w) {
    kafka_producer_t *p = w->p;
    kafka__bconn_t *bc = w->broker.bc;
    wreq_t *r = &w->ring[w->ring_head];
    kafka_produce_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_receive(bc, &resp, &arena, &frame, (int)p->request_timeout_ms, NULL);
    if (e) {
        /* The stream cannot be trusted past this: reconnect and send again. */
        char why[600];
        snprintf(why, sizeof(why), "Produce: %s", kafka__bconn_last_error(bc));
        free(frame);
        kafka__arena_free(&arena);
        kafka__broker_down(&w->broker, e, why);
        return;
    }
    w->ring_head = (w->ring_head + 1) % w->ring_cap;
    w->ring_n--;
    kafka__broker_ok(&w->broker);
    for (size_t i = 0; i < r->n; i++) {
        kafka__ppart_t *pp = r->e[i].pp;
        const kafka_produce_response_partition_produce_response_t *pr = NULL;
        for (int32_t t = 0; t < resp.responses.count && !pr; t++) {
            const kafka_produce_response_topic_produce_response_t *tr = &resp.responses.items[t];
            if (!kafka_str_eq(tr->name, pp->topic->name))
                continue;
            for (int32_t k = 0; k < tr->partition_responses.count; k++)
                if (tr->partition_responses.items[k].index == pp->ap.partition) {
                    pr = &tr->partition_responses.items[k];
                    break;
                }
        }
        if (!pr) {
            kafka__bconn_note_error(w->broker.bc, KAFKA_API_PRODUCE, KAFKA_ERR__PARTITION_DOES_NOT_MATCH);
            complete(w, pp, r->e[i].pb, KAFKA_ERR__PARTITION_DOES_NOT_MATCH, -1, "the partition is missing from the response");
            continue;
        }
        kafka__bconn_note_error(w->broker.bc, KAFKA_API_PRODUCE, (kafka_err_t)pr->error_code);
        char msg[200] = "";
        if (pr->error_message.len > 0)
            snprintf(msg, sizeof(msg), "%.*s", pr->error_message.len, pr->error_message.str);
        complete(w, pp, r->e[i].pb, (kafka_err_t)pr->error_code, pr->base_offset, msg);
    }
    r->n = 0;
    free(frame);
    kafka__arena_free(&arena);
}

/* ---- requests ---- */

static int cmp_entry_topic(const void *a, const void *b) {
    const wentry_t *x = a, *y = b;
    uintptr_t tx = (uintptr_t)x->pp->topic, ty = (uintptr_t)y->pp->topic;
    return tx < ty ? -1 : tx > ty;
}

/* Takes the collected entries off w->build, fails those that cannot go, and writes the
 * request. */
/* @thread worker  @locks each partition's in turn */
static void send_request(kafka__worker_t *w) {
    kafka_producer_t *p = w->p;
    wreq_t *b = &w->build;
    int64_t now = kafka__now_ms();
    kafka__bconn_t *bc = w->broker.bc;
    int16_t version = kafka__bconn_version(bc, KAFKA_API_PRODUCE);
    char why[300] = "";
    bool idem = atomic_load(&p->idempotent) && version >= 3;
    int64_t pid = -1;
    int16_t epoch = -1;
    uint32_t gen = 0;
    kafka_err_t perr = KAFKA_OK;
    bool pbroken = false;
    if (version < 0) {
        perr = KAFKA_ERR__UNKNOWN_APIKEY;
        snprintf(why, sizeof(why), "%.250s speaks no Produce version this client does", w->broker.who);
    } else if (idem) {
        /* The producer id, over this connection while nothing is in flight on it. */
        perr = kafka__producer_pid(p, w->ring_n == 0 ? bc : NULL, bc->host, bc->port, &pid, &epoch, &gen, &pbroken,
                                   why, sizeof(why));
        idem = atomic_load(&p->idempotent) && pid >= 0;
    }
    qsort(b->e, b->n, sizeof(b->e[0]), cmp_entry_topic);
    size_t keep = 0;
    for (size_t i = 0; i < b->n; i++) {
        kafka__ppart_t *pp = b->e[i].pp;
        kafka__pbatch_t *pb = b->e[i].pb;
        kafka_err_t e = perr;
        char ewhy[300];
        snprintf(ewhy, sizeof(ewhy), "%s", why);
        pthread_mutex_lock(&pp->ap.lock);
        if (!e && version >= 3) {
            if (idem && pb->seq_gen != gen) {
                if (pp->seq_gen != gen) {
                    pp->seq_gen = gen;
                    pp->next_seq = 0;
                }
                pb->base_seq = pp->next_seq;
                pp->next_seq = (int32_t)(((int64_t)pp->next_seq + pb->count) & INT32_MAX); /* wraps to 0 as Kafka's */
                pb->seq_gen = gen;
                if (p->txn_id) /* every batch of a transactional producer belongs to its transaction */
                    kafka_batch_set_producer(pb->batch, pid, epoch, pb->base_seq, true);
                kafka_batch_restamp(pb->batch, pid, epoch, pb->base_seq, &pb->data, &pb->len);
            }
        } else if (!e && pb->alt_magic != (version >= 2 ? 1 : 0)) {
            e = kafka__pbatch_to_msgset(pb, version >= 2 ? 1 : 0, p->codec, ewhy, sizeof(ewhy));
        }
        bool fatal = e && !kafka_err_retriable(e);
        if (e) {
            pp->inflight = false;
            pp->last_err = e;
            snprintf(pp->why, sizeof(pp->why), "%.199s", ewhy);
            if (!fatal)
                pp->retry_at = now + kafka__backoff_peek(&pp->backoff);
            else
                kafka__apart_pop(&pp->ap); /* pb, the head */
        }
        pthread_mutex_unlock(&pp->ap.lock);
        if (fatal)
            kafka__producer_report(p, pp, pb, -1, e, ewhy);
        else if (!e)
            b->e[keep++] = b->e[i];
    }
    b->n = keep;
    if (pbroken) /* every batch took perr above: none is in flight on it */
        kafka__broker_down(&w->broker, perr, why);
    if (keep == 0)
        return;
    if (w->capparts < keep) {
        kafka__penv_part_t *np = realloc(w->parts, sizeof(*np) * keep);
        if (!np) {
            kafka__broker_down(&w->broker, KAFKA_ERR__NO_MEMORY, "out of memory building a Produce request");
            return;
        }
        w->parts = np;
        w->capparts = keep;
    }
    for (size_t i = 0; i < keep; i++) {
        kafka__pbatch_t *pb = b->e[i].pb;
        bool alt = version < 3;
        w->parts[i] = (kafka__penv_part_t){b->e[i].pp->topic->name, b->e[i].pp->ap.partition, alt ? pb->alt : pb->data,
                                           alt ? pb->altlen : pb->len};
    }
    int32_t corr = kafka__bconn_corr(bc);
    kafka_err_t e = kafka__penv_build(&w->env, version, corr, bc->client_id[0] ? bc->client_id : NULL,
                                      (int16_t)p->acks, (int32_t)p->request_timeout_ms, w->parts, keep);
    /* The request joins the ring before it is written, so a failed write puts its
     * batches back with the others. */
    wreq_t *r = &w->ring[(w->ring_head + w->ring_n) % w->ring_cap];
    wreq_t tmp = *r;
    *r = *b;
    r->sent_ms = now;
    *b = tmp;
    b->n = 0;
    w->ring_n++;
    if (e) {
        snprintf(why, sizeof(why), "cannot build a Produce v%d request: %s", version, kafka_err2str(e));
        kafka__broker_down(&w->broker, e, why);
        return;
    }
    atomic_fetch_add_explicit(&p->st_requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->st_request_bytes, (int64_t)w->env.frame_len, memory_order_relaxed);
    e = kafka__bconn_sendv(bc, KAFKA_API_PRODUCE, version, corr, w->env.iov, w->env.iovcnt, p->acks != 0);
    if (e) {
        kafka__broker_down(&w->broker, e, kafka__bconn_last_error(bc));
        return;
    }
    if (p->acks == 0) {
        /* No response will come: written is delivered, offsets unknown. */
        w->ring_n--;
        for (size_t i = 0; i < r->n; i++)
            complete(w, r->e[i].pp, r->e[i].pb, KAFKA_OK, -1, NULL);
        r->n = 0;
    }
}

static bool build_add(kafka__worker_t *w, kafka__ppart_t *pp, kafka__pbatch_t *pb) {
    wreq_t *b = &w->build;
    wentry_t *e = kafka__vec_grow(b->e, &b->cap, b->n, sizeof(*e), 16);
    if (!e)
        return false;
    b->e = e;
    b->e[b->n++] = (wentry_t){pp, pb};
    return true;
}

/* ---- the loop ---- */

/* Takes what the queue holds into the tracked set. */
static void drain(kafka__worker_t *w) {
    kafka__mpscq_node_t *n;
    while ((n = kafka__mpscq_pop(&w->q))) {
        kafka__ppart_t *pp = KAFKA__MPSCQ_ENTRY(n, kafka__ppart_t, to_broker);
        kafka__ppart_t **t = kafka__vec_grow(w->tracked, &w->captracked, w->ntracked, sizeof(*t), 16);
        if (!t) { /* cannot track it: give it back (owner NULL) and let the next event push it again */
            pthread_mutex_lock(&pp->ap.lock);
            pp->owner = NULL;
            pthread_mutex_unlock(&pp->ap.lock);
            continue;
        }
        w->tracked = t;
        w->tracked[w->ntracked++] = pp;
    }
}

/* One pass over the tracked partitions: hand over those led elsewhere, seal lingering
 * batches, expire, collect sendable heads, drop idle partitions. Returns when the next
 * timer is due. */
/* @thread worker  @locks each partition's in turn */
static int64_t service(kafka__worker_t *w, int64_t now) {
    kafka_producer_t *p = w->p;
    bool flushing = atomic_load(&p->flushing) > 0;
    bool connected = w->broker.bc != NULL;
    /* A re-authentication that is due waits for the responses in flight (KIP-368). */
    bool room = w->ring_n < w->ring_cap && (!connected || kafka__bconn_may_send(w->broker.bc, now));
    size_t bytes = 0;
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < w->ntracked;) {
        kafka__ppart_t *pp = w->tracked[i];
        kafka__pbatch_t *expired = NULL;
        pthread_mutex_lock(&pp->ap.lock);
        if (pp->leader != w) {
            if (pp->inflight) { /* ours: wait for its answer before handing over */
                pthread_mutex_unlock(&pp->ap.lock);
                i++;
                continue;
            }
            pp->owner = NULL;
            if (pp->leader)
                kafka__ppart_notify(p, pp);
            else /* nobody leads it: the router takes care of it on the next metadata */
                kafka_connection_refresh(p->cluster);
            pthread_mutex_unlock(&pp->ap.lock);
            w->tracked[i] = w->tracked[--w->ntracked];
            continue;
        }
        int64_t d;
        kafka__ppart_ready_locked(p, pp, now, flushing, &d);
        due = min64(due, d);
        if (pp->ap.head && !pp->inflight) {
            bool refused = !connected && kafka__bconn_fatal(w->broker.err);
            if (!connected && w->broker.err) {
                pp->last_err = w->broker.err;
                snprintf(pp->why, sizeof(pp->why), "%.199s", w->broker.why);
            }
            /* A leader that refuses us (TLS, SASL) fails what waits for it at once. */
            due = min64(due, kafka__ppart_expire(p, pp, now, refused, &expired));
        }
        if (pp->ap.head && !pp->inflight) {
            if (pp->retry_at > now)
                due = min64(due, pp->retry_at);
            else if (connected && room && bytes < MAX_REQUEST_BYTES && build_add(w, pp, pp->ap.head)) {
                pp->inflight = true;
                if (pp->ap.head->attempts++) {
                    atomic_fetch_add_explicit(&p->st_retries, 1, memory_order_relaxed);
                    atomic_fetch_add_explicit(&p->st_retried_msgs, pp->ap.head->count, memory_order_relaxed);
                }
                bytes += pp->ap.head->len;
            } else if (!connected)
                due = min64(due, w->broker.retry_at);
        }
        bool idle = !pp->ap.head && !pp->inflight && pp->ap.nmsgs == 0;
        kafka_err_t cause = pp->last_err;
        char why[200];
        if (expired)
            snprintf(why, sizeof(why), "%s", pp->why);
        if (idle)
            pp->owner = NULL;
        pthread_mutex_unlock(&pp->ap.lock);
        if (expired)
            kafka__ppart_report_expired(p, pp, expired, cause, why);
        if (idle)
            w->tracked[i] = w->tracked[--w->ntracked];
        else
            i++;
    }
    return due;
}

static void *worker_main(void *arg) {
    kafka__worker_t *w = arg;
    kafka_producer_t *p = w->p;
    tls_self = w;
    while (!atomic_load(&w->stop)) {
        drain(w);
        bool armed = kafka__mpscq_arm(&w->q);
        if (armed && atomic_load(&w->stop))
            break;
        int64_t now = kafka__now_ms();
        if (w->ring_n > 0 && now - w->ring[w->ring_head].sent_ms >= p->request_timeout_ms) {
            char why[300];
            snprintf(why, sizeof(why), "%.250s: no Produce response within request.timeout.ms %lld", w->broker.who,
                     (long long)p->request_timeout_ms);
            kafka__broker_down(&w->broker, KAFKA_ERR_REQUEST_TIMED_OUT, why);
        }
        if (w->ntracked)
            kafka__broker_up(&w->broker, now);
        int64_t due = service(w, now);
        if (w->build.n)
            send_request(w);
        if (w->ring_n > 0)
            due = min64(due, w->ring[w->ring_head].sent_ms + p->request_timeout_ms);
        now = kafka__now_ms();
        int timeout = !armed || w->build.n ? 0 : due == INT64_MAX ? 1000 : (int)min64(due > now ? due - now : 0, 1000);
        struct pollfd fds[2] = {{kafka__mpscq_fd(&w->q), POLLIN, 0}, {-1, POLLIN, 0}};
        int nfds = 1;
        if (w->broker.bc && w->ring_n > 0) {
            fds[1].fd = kafka_io_fd(w->broker.bc->io);
            nfds = 2;
        }
        /* TLS may hold a response it read ahead, which poll() would not announce. */
        bool pending = nfds == 2 && kafka_io_pending(w->broker.bc->io);
        int r = poll(fds, (nfds_t)nfds, pending ? 0 : timeout);
        if (r < 0 && errno != EINTR)
            kafka__sleep_ms(1);
        if (r > 0 && (fds[0].revents & POLLIN))
            kafka__mpscq_ack(&w->q);
        if (pending || (r > 0 && nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))))
            receive(w);
    }
    /* Stopping: batches in flight go back to their partitions, tracked partitions to
     * their leaders (none when the producer is being destroyed). */
    kafka__broker_close(&w->broker);
    drain(w);
    for (size_t i = 0; i < w->ntracked; i++) {
        kafka__ppart_t *pp = w->tracked[i];
        pthread_mutex_lock(&pp->ap.lock);
        pp->owner = NULL;
        if (pp->leader == w)
            pp->leader = NULL;
        kafka__ppart_notify(p, pp);
        pthread_mutex_unlock(&pp->ap.lock);
    }
    w->ntracked = 0;
    tls_self = NULL;
    return NULL;
}

kafka__worker_t *kafka__worker_new(kafka_producer_t *p, int32_t broker_id, const char *host, int port) {
    kafka__worker_t *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->p = p;
    kafka__broker_init(&w->broker, p->conf, kafka__connection_vcaps(p->cluster), "PRODUCE", broker_id, host, port,
                       on_state, w);
    w->ring_cap = p->max_in_flight > 0 ? p->max_in_flight : 1;
    w->ring = calloc((size_t)w->ring_cap, sizeof(*w->ring));
    atomic_init(&w->stop, false);
    if (!w->ring || kafka__mpscq_init(&w->q) != 0) {
        free(w->ring);
        free(w);
        return NULL;
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        kafka__mpscq_destroy(&w->q);
        free(w->ring);
        free(w);
        return NULL;
    }
    char name[16]; /* as top -H and perf show it */
    snprintf(name, sizeof(name), "kafka:b%d", broker_id);
    pthread_setname_np(w->thread, name);
    return w;
}

void kafka__worker_stop(kafka__worker_t *w) {
    if (!w)
        return;
    atomic_store(&w->stop, true);
    kafka__mpscq_kick(&w->q);
    pthread_join(w->thread, NULL);
    kafka__mpscq_destroy(&w->q);
    kafka__broker_close(&w->broker);
    for (int i = 0; i < w->ring_cap; i++)
        free(w->ring[i].e);
    free(w->ring);
    free(w->build.e);
    free(w->tracked);
    free(w->parts);
    kafka__penv_free(&w->env);
    free(w);
}
