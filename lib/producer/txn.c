/* The transactional producer: the transaction coordinator (FindCoordinator key type 1,
 * then InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn over one kafka__bconn
 * kept while it works), TxnOffsetCommit to the group coordinator, and the state machine
 * of kafka/producer.h with Java's error classes.
 *
 * Versions: the transaction protocol of Kafka before KIP-890 part 2 ("transaction
 * version 1"), which every broker since 0.11 serves: AddPartitionsToTxn up to v3 (v4+ is
 * broker to broker), EndTxn and TxnOffsetCommit up to v4 (v5 means "transaction version
 * 2", whose partitions are added implicitly by Produce v12, not spoken here).
 *
 * Every call runs on the application's thread under p->txn_lock, with the round trips
 * to the coordinator inside; retriable answers (the coordinator moved or is loading,
 * CONCURRENT_TRANSACTIONS, a lost connection) are retried with backoff until the call's
 * deadline. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "producer/producer_int.h"
#include "util/arena.h"
#include "util/clock.h"

#define ADD_PARTITIONS_MAX_VERSION 3
#define END_TXN_MAX_VERSION 4
#define TXN_OFFSET_COMMIT_MAX_VERSION 4

static bool fenced(kafka_err_t e) {
    return e == KAFKA_ERR_PRODUCER_FENCED || e == KAFKA_ERR_INVALID_PRODUCER_EPOCH ||
           e == KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED || e == KAFKA_ERR__UNKNOWN_APIKEY;
}

static bool coordinator_moved(kafka_err_t e) {
    return e == KAFKA_ERR_NOT_COORDINATOR || e == KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
}

/* Answers worth the same request again after a backoff. */
static bool retry_answer(kafka_err_t e) {
    return coordinator_moved(e) || e == KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           e == KAFKA_ERR_CONCURRENT_TRANSACTIONS || (e < 0 && kafka_err_retriable(e));
}

static void cap_version(kafka__bconn_t *bc, int16_t key, int16_t max) {
    if (bc->version[key] > max)
        bc->version[key] = max;
}

/* Records the outcome of a transactional call: class, last error, errstr. */
__attribute__((format(printf, 6, 7))) static kafka_err_t done(kafka_producer_t *p, char *errstr, size_t errstr_size,
                                                              kafka_err_t err, kafka_txn_error_class_t cls,
                                                              const char *fmt, ...) {
    p->txn_class = err ? cls : KAFKA_TXN_ERROR_NONE;
    if (!err)
        return KAFKA_OK;
    char why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    int st = atomic_load(&p->txn_state);
    if (cls == KAFKA_TXN_ERROR_FATAL)
        atomic_store(&p->txn_state, KAFKA__TXN_FATAL);
    else if (cls == KAFKA_TXN_ERROR_ABORTABLE && (st == KAFKA__TXN_OPEN || st == KAFKA__TXN_ENDING))
        atomic_store(&p->txn_state, KAFKA__TXN_ABORTABLE);
    return kafka__producer_fail(p, errstr, errstr_size, err, why);
}

static kafka_txn_error_class_t classify(kafka_err_t e) {
    if (fenced(e))
        return KAFKA_TXN_ERROR_FATAL;
    if (e == KAFKA_ERR__TIMED_OUT || retry_answer(e))
        return KAFKA_TXN_ERROR_RETRIABLE;
    return KAFKA_TXN_ERROR_ABORTABLE;
}

/* ---- coordinators ---- */

/* FindCoordinator for key (key_type 0 group, 1 transactional id) over any known broker,
 * then a connection to the coordinator in *out. */
static kafka_err_t coordinator_open(kafka_producer_t *p, int8_t key_type, const char *key, kafka__bconn_t **out,
                                    char *why, size_t why_size) {
    *out = NULL;
    kafka__metadata_t *md = kafka__connection_metadata(p->cluster);
    if (!md || md->nbrokers == 0) {
        kafka__metadata_release(md);
        kafka_connection_wait_metadata(p->cluster, NULL, (int)p->request_timeout_ms, why, why_size);
        md = kafka__connection_metadata(p->cluster);
    }
    if (!md || md->nbrokers == 0) {
        kafka__metadata_release(md);
        snprintf(why, why_size, "no broker known to ask for the coordinator of %s", key);
        return KAFKA_ERR__NO_KNOWN_BROKERS;
    }
    const kafka__md_broker_t *b = &md->brokers[(size_t)kafka__now_ms() % (size_t)md->nbrokers];
    kafka_err_t e = KAFKA_OK;
    kafka__bconn_t *bc = kafka__bconn_open(p->conf, kafka__connection_vcaps(p->cluster), b->host, b->port, &e, why,
                                           why_size);
    kafka__metadata_release(md);
    if (!bc)
        return e;
    int16_t v = kafka__bconn_version(bc, KAFKA_API_FIND_COORDINATOR);
    if (v < (key_type ? 1 : 0)) { /* Kafka before 0.11 */
        if (key_type && kafka__bconn_version(bc, KAFKA_API_INIT_PRODUCER_ID) < 0)
            snprintf(why, why_size,
                     "%s:%d: the broker speaks no InitProducerId version this client does, and FindCoordinator v%d "
                     "finds no transaction coordinator: transactions need Kafka 0.11 or later",
                     bc->host, bc->port, v);
        else
            snprintf(why, why_size, "%s:%d: the broker cannot find a %s coordinator (FindCoordinator v%d)", bc->host,
                     bc->port, key_type ? "transaction" : "group", v);
        kafka__bconn_close(bc);
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    kafka_find_coordinator_request_t req;
    kafka_request_init(KAFKA_API_FIND_COORDINATOR, &req);
    kafka_str_t k = kafka_str(key);
    req.key_type = key_type;
    if (v >= 4) {
        req.coordinator_keys.items = &k;
        req.coordinator_keys.count = 1;
    } else {
        req.key = k;
    }
    kafka_find_coordinator_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    char host[256] = "";
    int port = 0;
    e = kafka__bconn_request(bc, KAFKA_API_FIND_COORDINATOR, &req, &resp, &arena, &frame, NULL);
    if (e) {
        snprintf(why, why_size, "FindCoordinator: %s", kafka__bconn_last_error(bc));
    } else if (v >= 4 && resp.coordinators.count < 1) {
        e = KAFKA_ERR__REQUEST_OR_RESPONSE;
        snprintf(why, why_size, "FindCoordinator: no coordinator in the answer");
    } else {
        kafka_str_t h = v >= 4 ? resp.coordinators.items[0].host : resp.host;
        e = (kafka_err_t)(v >= 4 ? resp.coordinators.items[0].error_code : resp.error_code);
        port = v >= 4 ? resp.coordinators.items[0].port : resp.port;
        snprintf(host, sizeof(host), "%.*s", h.len > 0 ? h.len : 0, h.str ? h.str : "");
        if (e)
            snprintf(why, why_size, "FindCoordinator for %s %s: %s", key_type ? "transactional id" : "group", key,
                     kafka_err_name(e));
    }
    free(frame);
    kafka__arena_free(&arena);
    kafka__bconn_close(bc);
    if (e)
        return e;
    *out = kafka__bconn_open(p->conf, kafka__connection_vcaps(p->cluster), host, port, &e, why, why_size);
    return *out ? KAFKA_OK : e;
}

/* The transaction coordinator's connection (found when there is none). */
static kafka_err_t txn_conn(kafka_producer_t *p, char *why, size_t why_size) {
    if (p->txn_bc)
        return KAFKA_OK;
    kafka_err_t e = coordinator_open(p, 1, p->txn_id, &p->txn_bc, why, why_size);
    if (e)
        return e;
    kafka__bconn_t *bc = p->txn_bc;
    if (kafka__bconn_version(bc, KAFKA_API_INIT_PRODUCER_ID) < 0 || kafka__bconn_version(bc, KAFKA_API_END_TXN) < 0 ||
        kafka__bconn_version(bc, KAFKA_API_ADD_PARTITIONS_TO_TXN) < 0 || kafka__bconn_version(bc, KAFKA_API_PRODUCE) < 3) {
        snprintf(why, why_size, "%s: the broker does not support transactions (Kafka >= 0.11 does)",
                 kafka__bconn_last_error(bc));
        kafka__bconn_close(p->txn_bc);
        p->txn_bc = NULL;
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    cap_version(bc, KAFKA_API_ADD_PARTITIONS_TO_TXN, ADD_PARTITIONS_MAX_VERSION);
    cap_version(bc, KAFKA_API_END_TXN, END_TXN_MAX_VERSION);
    return KAFKA_OK;
}

/* After a failed attempt with e: whether to try again (the coordinator connection is
 * dropped when the coordinator moved or the connection failed), having slept a backoff
 * that ends before deadline. */
static bool again(kafka_producer_t *p, kafka_err_t e, int64_t deadline, kafka__backoff_t *bo) {
    if (!retry_answer(e))
        return false;
    if (coordinator_moved(e) || e < 0) {
        kafka__bconn_close(p->txn_bc);
        p->txn_bc = NULL;
    }
    int64_t wait = kafka__backoff_next(bo);
    if (kafka__now_ms() + wait >= deadline)
        return false;
    kafka__sleep_ms(wait);
    return true;
}

static int64_t deadline_of(int timeout_ms) {
    return timeout_ms < 0 ? INT64_MAX : kafka__now_ms() + timeout_ms;
}

/* One request to the transaction coordinator, retried; *errc receives the answer's
 * error code (through the caller's err_of). KAFKA_OK with resp decoded (frame and arena
 * to free), else the transport or last answer's error with why. */
static kafka_err_t txn_request(kafka_producer_t *p, int16_t key, const void *req, void *resp, kafka_arena_t *arena,
                               uint8_t **frame, kafka_err_t (*err_of)(const void *resp), int64_t deadline, char *why,
                               size_t why_size) {
    kafka__backoff_t bo;
    kafka__backoff_init(&bo, p->backoff_ms, p->backoff_max_ms);
    for (;;) {
        kafka_err_t e = txn_conn(p, why, why_size);
        if (!e) {
            free(*frame);
            *frame = NULL;
            kafka__arena_free(arena);
            e = kafka__bconn_request(p->txn_bc, key, req, resp, arena, frame, NULL);
            if (e)
                snprintf(why, why_size, "%s: %s", kafka_api_name(key), kafka__bconn_last_error(p->txn_bc));
            else if ((e = err_of(resp)))
                snprintf(why, why_size, "%s for transactional id %s: %s", kafka_api_name(key), p->txn_id,
                         kafka_err_name(e));
        }
        if (!e || !again(p, e, deadline, &bo))
            return e;
    }
}

static kafka_err_t init_err(const void *r) {
    return (kafka_err_t)((const kafka_init_producer_id_response_t *)r)->error_code;
}
static kafka_err_t end_err(const void *r) { return (kafka_err_t)((const kafka_end_txn_response_t *)r)->error_code; }
static kafka_err_t add_offsets_err(const void *r) {
    return (kafka_err_t)((const kafka_add_offsets_to_txn_response_t *)r)->error_code;
}
/* AddPartitionsToTxn v0-3: the one partition's error. */
/* The first partition error, one other than OPERATION_NOT_ATTEMPTED (what the broker
 * answers the rest of a request one partition failed) when there is one. */
static kafka_err_t add_partitions_err(const void *r) {
    const kafka_add_partitions_to_txn_response_t *a = r;
    kafka_err_t first = KAFKA_OK;
    for (int32_t t = 0; t < a->results_by_topic_v3_and_below.count; t++)
        for (int32_t i = 0; i < a->results_by_topic_v3_and_below.items[t].results_by_partition.count; i++) {
            int16_t e = a->results_by_topic_v3_and_below.items[t].results_by_partition.items[i].partition_error_code;
            if (e && e != KAFKA_ERR_OPERATION_NOT_ATTEMPTED)
                return (kafka_err_t)e;
            if (e && !first)
                first = (kafka_err_t)e;
        }
    if (first)
        return first;
    return a->results_by_topic_v3_and_below.count == 1 ? KAFKA_OK : KAFKA_ERR__PARTITION_DOES_NOT_MATCH;
}

/* InitProducerId for transactional.id: a first one, or (bump) the next epoch of the
 * current id (KIP-360). The producer id, epoch and a new sequence generation on success. */
static kafka_err_t init_pid(kafka_producer_t *p, bool bump, int64_t deadline, char *why, size_t why_size) {
    kafka_init_producer_id_request_t req;
    kafka_request_init(KAFKA_API_INIT_PRODUCER_ID, &req);
    req.transactional_id = kafka_str(p->txn_id);
    req.transaction_timeout_ms = p->txn_timeout_ms;
    pthread_mutex_lock(&p->pid_lock);
    if (bump) {
        req.producer_id = p->pid;
        req.producer_epoch = p->epoch;
    }
    pthread_mutex_unlock(&p->pid_lock);
    kafka_init_producer_id_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = txn_request(p, KAFKA_API_INIT_PRODUCER_ID, &req, &resp, &arena, &frame, init_err, deadline, why,
                                why_size);
    if (!e) {
        pthread_mutex_lock(&p->pid_lock);
        p->pid = resp.producer_id;
        p->epoch = resp.producer_epoch;
        atomic_store(&p->pid_reset, false);
        atomic_fetch_add(&p->pid_gen, 1);
        atomic_fetch_add(&p->st_pids, 1);
        pthread_mutex_unlock(&p->pid_lock);
        kafka__log(p->conf, 6, "TXN", NULL, "transactional id %s: producer id %lld, epoch %d", p->txn_id,
                   (long long)resp.producer_id, (int)resp.producer_epoch);
    }
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

static void current_pid(kafka_producer_t *p, int64_t *pid, int16_t *epoch) {
    pthread_mutex_lock(&p->pid_lock);
    *pid = p->pid;
    *epoch = p->epoch;
    pthread_mutex_unlock(&p->pid_lock);
}

static kafka_err_t batch_error(kafka_producer_t *p, char *why, size_t why_size);

/* Why a call cannot go on in the current state, or KAFKA_OK. */
static kafka_err_t state_error(kafka_producer_t *p, const char *call, bool ok_in_open, char *errstr,
                               size_t errstr_size) {
    if (!p->txn_id)
        return done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_NONE,
                    "%s: transactional.id is not set", call);
    int st = atomic_load(&p->txn_state);
    if (st == KAFKA__TXN_FATAL)
        return done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_FATAL,
                    "%s: transactional id %s: an earlier fatal error (fenced or unsupported); destroy the producer",
                    call, p->txn_id);
    if (st == KAFKA__TXN_UNINIT)
        return done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_NONE,
                    "%s: call kafka_producer_init_transactions() first", call);
    char why[300] = "";
    if (ok_in_open && st == KAFKA__TXN_ABORTABLE && !batch_error(p, why, sizeof(why)))
        snprintf(why, sizeof(why), "an earlier call failed");
    if (ok_in_open && st == KAFKA__TXN_ABORTABLE)
        return done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_ABORTABLE,
                    "%s: the transaction failed (%s); abort it", call, why);
    if (ok_in_open && st != KAFKA__TXN_OPEN)
        return done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_NONE,
                    "%s: no transaction under way (kafka_producer_begin_transaction())", call);
    return KAFKA_OK;
}

/* ---- the public calls ---- */

kafka_txn_error_class_t kafka_producer_txn_error_class(kafka_producer_t *p) {
    pthread_mutex_lock(&p->txn_lock);
    kafka_txn_error_class_t c = p->txn_class;
    pthread_mutex_unlock(&p->txn_lock);
    return c;
}

kafka_err_t kafka_producer_init_transactions(kafka_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&p->txn_lock);
    kafka_err_t e;
    int st = atomic_load(&p->txn_state);
    if (!p->txn_id || st != KAFKA__TXN_UNINIT) {
        e = state_error(p, "init_transactions", false, errstr, errstr_size);
        if (!e)
            e = done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_NONE,
                     "init_transactions: already done for transactional id %s", p->txn_id);
    } else {
        char why[400] = "";
        e = init_pid(p, false, deadline_of(timeout_ms), why, sizeof(why));
        if (!e)
            atomic_store(&p->txn_state, KAFKA__TXN_READY);
        kafka_txn_error_class_t cls = classify(e);
        /* Java's rule: what cannot be retried here leaves a producer that cannot work. */
        e = done(p, errstr, errstr_size, e, cls == KAFKA_TXN_ERROR_ABORTABLE ? KAFKA_TXN_ERROR_FATAL : cls,
                 "init_transactions: %s", why);
    }
    pthread_mutex_unlock(&p->txn_lock);
    return e;
}

kafka_err_t kafka_producer_begin_transaction(kafka_producer_t *p, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&p->txn_lock);
    kafka_err_t e = state_error(p, "begin_transaction", false, errstr, errstr_size);
    if (!e && atomic_load(&p->txn_state) != KAFKA__TXN_READY)
        e = done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_NONE,
                 "begin_transaction: a transaction is already under way (commit or abort it)");
    if (!e) {
        p->txn_seq++;
        p->txn_started = false;
        atomic_store(&p->txn_batch_err, 0);
        atomic_store(&p->txn_state, KAFKA__TXN_OPEN);
        p->txn_class = KAFKA_TXN_ERROR_NONE;
    }
    pthread_mutex_unlock(&p->txn_lock);
    return e;
}

/* The partitions of pp's topic the previous transaction wrote to are added with pp, in
 * one AddPartitionsToTxn (a producer writing a topic's partitions in turn, as the sticky
 * partitioner does, would otherwise wait for one round trip per partition of every
 * transaction). One added but not written to costs only its marker at EndTxn. */
kafka_err_t kafka__txn_add_partition(kafka_producer_t *p, kafka__ppart_t *pp, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&p->txn_lock);
    kafka_err_t e = state_error(p, "produce", true, errstr, errstr_size);
    if (e || pp->txn_seq == p->txn_seq) {
        if (!e)
            pp->txn_written = p->txn_seq;
        pthread_mutex_unlock(&p->txn_lock);
        return e;
    }
    kafka__pparts_t *parts = atomic_load_explicit(&pp->topic->parts, memory_order_acquire);
    kafka__ppart_t *one[1] = {pp};
    kafka__ppart_t **add = parts->n > 1 ? malloc((size_t)parts->n * sizeof(*add)) : NULL;
    int32_t *ids = parts->n > 1 ? malloc((size_t)parts->n * sizeof(*ids)) : NULL;
    int32_t n = 1, first_id = pp->ap.partition;
    if (add && ids) {
        add[0] = pp;
        ids[0] = pp->ap.partition;
        for (int32_t i = 0; i < parts->n; i++) {
            kafka__ppart_t *q = parts->p[i];
            if (q != pp && q->txn_written && q->txn_written == p->txn_seq - 1 && q->txn_seq != p->txn_seq) {
                add[n] = q;
                ids[n++] = q->ap.partition;
            }
        }
    } else {
        free(add);
        free(ids);
        add = one;
        ids = &first_id;
    }
    kafka_add_partitions_to_txn_request_t req;
    kafka_request_init(KAFKA_API_ADD_PARTITIONS_TO_TXN, &req);
    kafka_add_partitions_to_txn_request_topic_t t = {kafka_str(pp->topic->name), {ids, n}};
    req.v3_and_below_transactional_id = kafka_str(p->txn_id);
    current_pid(p, &req.v3_and_below_producer_id, &req.v3_and_below_producer_epoch);
    req.v3_and_below_topics.items = &t;
    req.v3_and_below_topics.count = 1;
    kafka_add_partitions_to_txn_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    char why[400] = "";
    e = txn_request(p, KAFKA_API_ADD_PARTITIONS_TO_TXN, &req, &resp, &arena, &frame, add_partitions_err,
                    deadline_of((int)p->request_timeout_ms), why, sizeof(why));
    free(frame);
    kafka__arena_free(&arena);
    if (!e) {
        for (int32_t i = 0; i < n; i++)
            add[i]->txn_seq = p->txn_seq;
        pp->txn_written = p->txn_seq; /* the others only when produced to: unwritten ones are not carried on */
        p->txn_started = true;
    }
    if (add != one) {
        free(add);
        free(ids);
    }
    /* A retriable failure (a timeout) fails this produce; the transaction can still commit. */
    e = done(p, errstr, errstr_size, e, classify(e), "%s/%d: AddPartitionsToTxn: %s", pp->topic->name,
             (int)pp->ap.partition, why);
    pthread_mutex_unlock(&p->txn_lock);
    return e;
}

void kafka__txn_batch_failed(kafka_producer_t *p, kafka_err_t err, const char *why) {
    int none = 0;
    if (!atomic_compare_exchange_strong(&p->txn_batch_err, &none, (int)err))
        return;
    pthread_mutex_lock(&p->err_lock);
    snprintf(p->txn_batch_why, sizeof(p->txn_batch_why), "%s", why ? why : kafka_err2str(err));
    pthread_mutex_unlock(&p->err_lock);
}

/* The first failed batch of the transaction, or KAFKA_OK. */
static kafka_err_t batch_error(kafka_producer_t *p, char *why, size_t why_size) {
    kafka_err_t e = (kafka_err_t)atomic_load(&p->txn_batch_err);
    if (e) {
        pthread_mutex_lock(&p->err_lock);
        snprintf(why, why_size, "%s", p->txn_batch_why);
        pthread_mutex_unlock(&p->err_lock);
    }
    return e;
}

/* Group coordinator: TxnOffsetCommit of offsets, retried; the first error with why. */
/* meta: the member's identity (generation -1: a simple consumer's commit). */
static kafka_err_t txn_offset_commit(kafka_producer_t *p, const kafka_topic_partition_t *offsets, size_t n,
                                     const kafka_group_metadata_t *meta, int64_t deadline, char *why,
                                     size_t why_size) {
    const char *group = meta->group_id;
    kafka_txn_offset_commit_request_t req;
    kafka_request_init(KAFKA_API_TXN_OFFSET_COMMIT, &req);
    kafka_txn_offset_commit_request_topic_t *ts = calloc(n, sizeof(*ts));
    kafka_txn_offset_commit_request_partition_t *ps = calloc(n, sizeof(*ps));
    if (!ts || !ps) {
        free(ts);
        free(ps);
        snprintf(why, why_size, "out of memory");
        return KAFKA_ERR__NO_MEMORY;
    }
    /* One topic entry per offset: Kafka takes a topic more than once. */
    for (size_t i = 0; i < n; i++) {
        ps[i].partition_index = offsets[i].partition;
        ps[i].committed_offset = offsets[i].offset;
        ps[i].committed_leader_epoch = -1;
        ps[i].committed_metadata = kafka_str("");
        ts[i].name = kafka_str(offsets[i].topic);
        ts[i].partitions.items = &ps[i];
        ts[i].partitions.count = 1;
    }
    req.transactional_id = kafka_str(p->txn_id);
    req.group_id = kafka_str(group);
    current_pid(p, &req.producer_id, &req.producer_epoch);
    req.generation_id = meta->generation_id;
    req.member_id = kafka_str(meta->member_id);
    req.group_instance_id = kafka_str(meta->group_instance_id[0] ? meta->group_instance_id : NULL);
    req.topics.items = ts;
    req.topics.count = (int32_t)n;
    kafka__backoff_t bo;
    kafka__backoff_init(&bo, p->backoff_ms, p->backoff_max_ms);
    kafka_err_t e;
    for (;;) {
        kafka__bconn_t *bc = NULL;
        e = coordinator_open(p, 0, group, &bc, why, why_size);
        if (!e) {
            cap_version(bc, KAFKA_API_TXN_OFFSET_COMMIT, TXN_OFFSET_COMMIT_MAX_VERSION);
            if (meta->generation_id >= 0 && kafka__bconn_version(bc, KAFKA_API_TXN_OFFSET_COMMIT) < 3) {
                /* A member's identity needs v3 (Kafka 2.5): refused, as Java does, not sent without it. */
                snprintf(why, why_size,
                         "group %.100s's coordinator speaks TxnOffsetCommit up to v%d: a member's generation and "
                         "member id need v3 (Kafka 2.5+); use send_offsets_to_transaction() without them",
                         group, (int)kafka__bconn_version(bc, KAFKA_API_TXN_OFFSET_COMMIT));
                kafka__bconn_close(bc);
                e = KAFKA_ERR__UNSUPPORTED_VERSION;
                break;
            }
            kafka_txn_offset_commit_response_t resp;
            kafka_arena_t arena = KAFKA_ARENA_INIT;
            uint8_t *frame = NULL;
            e = kafka__bconn_request(bc, KAFKA_API_TXN_OFFSET_COMMIT, &req, &resp, &arena, &frame, NULL);
            if (e)
                snprintf(why, why_size, "TxnOffsetCommit: %s", kafka__bconn_last_error(bc));
            for (int32_t t = 0; !e && t < resp.topics.count; t++)
                for (int32_t i = 0; !e && i < resp.topics.items[t].partitions.count; i++)
                    if ((e = (kafka_err_t)resp.topics.items[t].partitions.items[i].error_code))
                        snprintf(why, why_size, "TxnOffsetCommit of %.*s/%d for group %s: %s",
                                 resp.topics.items[t].name.len > 0 ? resp.topics.items[t].name.len : 0,
                                 resp.topics.items[t].name.str ? resp.topics.items[t].name.str : "",
                                 (int)resp.topics.items[t].partitions.items[i].partition_index, group,
                                 kafka_err_name(e));
            free(frame);
            kafka__arena_free(&arena);
            kafka__bconn_close(bc);
        }
        if (!e || !(retry_answer(e) || e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION))
            break;
        int64_t wait = kafka__backoff_next(&bo);
        if (kafka__now_ms() + wait >= deadline)
            break;
        kafka__sleep_ms(wait);
    }
    free(ts);
    free(ps);
    return e;
}

static kafka_err_t send_offsets(kafka_producer_t *p, const kafka_topic_partition_t *offsets, size_t n,
                                const kafka_group_metadata_t *meta, char *errstr, size_t errstr_size);

kafka_err_t kafka_producer_send_offsets_to_transaction(kafka_producer_t *p, const kafka_topic_partition_t *offsets,
                                                       size_t n, const char *group_id, char *errstr,
                                                       size_t errstr_size) {
    kafka_group_metadata_t meta;
    memset(&meta, 0, sizeof(meta));
    meta.generation_id = -1;
    if (group_id && strlen(group_id) >= sizeof(meta.group_id)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "send_offsets_to_transaction: group id longer than %zu bytes",
                     sizeof(meta.group_id) - 1);
        return KAFKA_ERR__INVALID_ARG;
    }
    snprintf(meta.group_id, sizeof(meta.group_id), "%s", group_id ? group_id : "");
    return send_offsets(p, offsets, n, &meta, errstr, errstr_size);
}

kafka_err_t kafka_producer_send_offsets_to_transaction_group(kafka_producer_t *p,
                                                             const kafka_topic_partition_t *offsets, size_t n,
                                                             const kafka_group_metadata_t *meta, char *errstr,
                                                             size_t errstr_size) {
    if (!meta) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "send_offsets_to_transaction: no group metadata");
        return KAFKA_ERR__INVALID_ARG;
    }
    return send_offsets(p, offsets, n, meta, errstr, errstr_size);
}

static kafka_err_t send_offsets(kafka_producer_t *p, const kafka_topic_partition_t *offsets, size_t n,
                                const kafka_group_metadata_t *meta, char *errstr, size_t errstr_size) {
    const char *group_id = meta->group_id;
    pthread_mutex_lock(&p->txn_lock);
    kafka_err_t e = state_error(p, "send_offsets_to_transaction", true, errstr, errstr_size);
    if (!e && (!group_id || !*group_id || (n && !offsets)))
        e = done(p, errstr, errstr_size, KAFKA_ERR__INVALID_ARG, KAFKA_TXN_ERROR_NONE,
                 "send_offsets_to_transaction: a group id and the offsets are required");
    if (e || n == 0) {
        pthread_mutex_unlock(&p->txn_lock);
        return e;
    }
    int64_t deadline = deadline_of((int)p->request_timeout_ms);
    kafka_add_offsets_to_txn_request_t req;
    kafka_request_init(KAFKA_API_ADD_OFFSETS_TO_TXN, &req);
    req.transactional_id = kafka_str(p->txn_id);
    current_pid(p, &req.producer_id, &req.producer_epoch);
    req.group_id = kafka_str(group_id);
    kafka_add_offsets_to_txn_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    char why[400] = "";
    e = txn_request(p, KAFKA_API_ADD_OFFSETS_TO_TXN, &req, &resp, &arena, &frame, add_offsets_err, deadline, why,
                    sizeof(why));
    free(frame);
    kafka__arena_free(&arena);
    if (!e) {
        p->txn_started = true;
        e = txn_offset_commit(p, offsets, n, meta, deadline, why, sizeof(why));
    }
    /* A broker too old for the member's identity: nothing retrying or aborting can mend. */
    e = done(p, errstr, errstr_size, e, e == KAFKA_ERR__UNSUPPORTED_VERSION ? KAFKA_TXN_ERROR_FATAL : classify(e),
             "send_offsets_to_transaction: %s", why);
    pthread_mutex_unlock(&p->txn_lock);
    return e;
}

/* EndTxn, retried. */
static kafka_err_t end_txn(kafka_producer_t *p, bool commit, int64_t deadline, char *why, size_t why_size) {
    kafka_end_txn_request_t req;
    kafka_request_init(KAFKA_API_END_TXN, &req);
    req.transactional_id = kafka_str(p->txn_id);
    current_pid(p, &req.producer_id, &req.producer_epoch);
    req.committed = commit;
    kafka_end_txn_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = txn_request(p, KAFKA_API_END_TXN, &req, &resp, &arena, &frame, end_err, deadline, why, why_size);
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

/* Commit or abort: the transaction's messages reported first, then EndTxn. */
static kafka_err_t end(kafka_producer_t *p, bool commit, int timeout_ms, char *errstr, size_t errstr_size) {
    const char *call = commit ? "commit_transaction" : "abort_transaction";
    pthread_mutex_lock(&p->txn_lock);
    kafka_err_t e = state_error(p, call, false, errstr, errstr_size);
    int st = atomic_load(&p->txn_state);
    char why[600] = "";
    if (!e && commit && st == KAFKA__TXN_ABORTABLE && !batch_error(p, why, sizeof(why)))
        snprintf(why, sizeof(why), "an earlier call failed");
    if (!e && commit && st == KAFKA__TXN_ABORTABLE)
        e = done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_ABORTABLE,
                 "%s: the transaction failed (%s); abort it", call, why);
    else if (!e && (st == KAFKA__TXN_READY || (st == KAFKA__TXN_ENDING && p->txn_ending_commit != commit)))
        e = done(p, errstr, errstr_size, KAFKA_ERR__STATE, KAFKA_TXN_ERROR_NONE, "%s: no transaction under way%s",
                 call, st == KAFKA__TXN_ENDING ? " (the other end of it was asked for: call that again)" : "");
    if (e) {
        pthread_mutex_unlock(&p->txn_lock);
        return e;
    }
    atomic_store(&p->txn_state, KAFKA__TXN_ENDING);
    p->txn_ending_commit = commit;
    int64_t deadline = deadline_of(timeout_ms);
    e = kafka_producer_flush(p, timeout_ms, why, sizeof(why));
    if (e) {
        e = done(p, errstr, errstr_size, e, KAFKA_TXN_ERROR_RETRIABLE, "%s: %s", call, why);
        pthread_mutex_unlock(&p->txn_lock);
        return e;
    }
    kafka_err_t failed = batch_error(p, why, sizeof(why));
    if (commit && failed) {
        e = done(p, errstr, errstr_size, failed, fenced(failed) ? KAFKA_TXN_ERROR_FATAL : KAFKA_TXN_ERROR_ABORTABLE,
                 "%s: a message of the transaction failed: %s", call, why);
        pthread_mutex_unlock(&p->txn_lock);
        return e;
    }
    if (p->txn_started)
        e = end_txn(p, commit, deadline, why, sizeof(why));
    if (!e && failed && !fenced(failed))
        /* Sequence numbers of the failed batches may have left gaps: a new epoch restarts them. */
        e = init_pid(p, true, deadline, why, sizeof(why));
    if (!e) {
        atomic_store(&p->txn_batch_err, 0);
        atomic_store(&p->txn_state, KAFKA__TXN_READY);
    }
    kafka_txn_error_class_t cls = classify(e);
    if (!commit && cls == KAFKA_TXN_ERROR_ABORTABLE)
        cls = KAFKA_TXN_ERROR_FATAL; /* an abort that the coordinator refuses leaves nothing to do */
    e = done(p, errstr, errstr_size, e, cls, "%s: %s", call, why);
    if (e && cls == KAFKA_TXN_ERROR_RETRIABLE)
        atomic_store(&p->txn_state, KAFKA__TXN_ENDING);
    pthread_mutex_unlock(&p->txn_lock);
    return e;
}

kafka_err_t kafka_producer_commit_transaction(kafka_producer_t *p, int timeout_ms, char *errstr,
                                              size_t errstr_size) {
    return end(p, true, timeout_ms, errstr, errstr_size);
}

kafka_err_t kafka_producer_abort_transaction(kafka_producer_t *p, int timeout_ms, char *errstr,
                                             size_t errstr_size) {
    return end(p, false, timeout_ms, errstr, errstr_size);
}

void kafka__txn_destroy(kafka_producer_t *p) {
    kafka__bconn_close(p->txn_bc);
    p->txn_bc = NULL;
    free(p->txn_id);
    pthread_mutex_destroy(&p->txn_lock);
}
