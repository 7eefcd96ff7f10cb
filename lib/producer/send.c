/* kafka_producer_send(): the origin's synchronous send, with metadata lookup, leader
 * routing, retries of what Kafka calls retriable (with backoff, bounded by
 * delivery.timeout.ms) and the idempotent producer's sequence numbers, so a retry can
 * never write a message twice. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/broker.h"
#include "core/connection_int.h"
#include "core/metadata.h"
#include "kafka/producer.h"
#include "producer/partitioner.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/vec.h"

#define MAX_CONNS 64

typedef struct pseq_s {
    char *topic;
    int32_t partition;
    int32_t next; /* the next sequence number of this partition */
} pseq_t;

typedef struct ptopic_s {
    char *name;
    kafka__partitioner_t part;
} ptopic_t;

struct kafka_producer_s {
    kafka_conf_t *conf;
    pthread_mutex_t lock;
    kafka__bconn_t *conns[MAX_CONNS];
    int32_t conn_ids[MAX_CONNS];
    int nconns;
    kafka_connection_t *cluster; /* metadata: bootstrap, refreshes, leaders */
    kafka__metadata_t *md;       /* the snapshot the current send routes with */
    bool idempotent;
    int64_t pid;
    int16_t epoch;
    pseq_t *seqs;
    size_t nseqs, capseqs;
    ptopic_t *topics;
    size_t ntopics, captopics;
    int acks;
    int64_t delivery_timeout_ms, backoff_ms, backoff_max_ms, request_timeout_ms;
    size_t message_max;
    kafka_compression_t codec;
    int partitioner;
    kafka_err_t last_err;
    char last_error[512];
};

__attribute__((format(printf, 3, 4))) static kafka_err_t fail(kafka_producer_t *p, kafka_err_t err, const char *fmt,
                                                              ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
    va_end(ap);
    p->last_err = err;
    return err;
}

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
    p->idempotent = kafka_conf_bool(p->conf, KAFKA_CONF_ENABLE_IDEMPOTENCE);
    p->pid = -1;
    p->epoch = -1;
    p->acks = (int)kafka_conf_int(p->conf, KAFKA_CONF_ACKS);
    p->delivery_timeout_ms = kafka_conf_int(p->conf, KAFKA_CONF_DELIVERY_TIMEOUT_MS);
    p->request_timeout_ms = kafka_conf_int(p->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    p->backoff_ms = kafka_conf_int(p->conf, KAFKA_CONF_RETRY_BACKOFF_MS);
    p->backoff_max_ms = kafka_conf_int(p->conf, KAFKA_CONF_RETRY_BACKOFF_MAX_MS);
    p->message_max = (size_t)kafka_conf_int(p->conf, KAFKA_CONF_MESSAGE_MAX_BYTES);
    p->codec = (kafka_compression_t)kafka_conf_int(p->conf, KAFKA_CONF_COMPRESSION_TYPE);
    p->partitioner = (int)kafka_conf_int(p->conf, KAFKA_CONF_PARTITIONER);
    return p;
}

void kafka_producer_destroy(kafka_producer_t *p) {
    if (!p)
        return;
    for (int i = 0; i < p->nconns; i++)
        kafka__bconn_close(p->conns[i]);
    kafka__metadata_release(p->md);
    kafka_connection_destroy(p->cluster);
    for (size_t i = 0; i < p->nseqs; i++)
        free(p->seqs[i].topic);
    for (size_t i = 0; i < p->ntopics; i++)
        free(p->topics[i].name);
    free(p->seqs);
    free(p->topics);
    kafka_conf_destroy(p->conf);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const char *kafka_producer_last_error(const kafka_producer_t *p) { return p->last_error; }
kafka_err_t kafka_producer_last_errorcode(const kafka_producer_t *p) { return p->last_err; }

/* ---- connections and metadata ---- */

static void drop_conn(kafka_producer_t *p, int32_t id) {
    for (int i = 0; i < p->nconns; i++) {
        if (p->conn_ids[i] == id) {
            kafka__bconn_close(p->conns[i]);
            p->conns[i] = p->conns[--p->nconns];
            p->conn_ids[i] = p->conn_ids[p->nconns];
            return;
        }
    }
}

/* The connection to broker `id` (from the metadata), opened on first use. */
static kafka__bconn_t *get_conn(kafka_producer_t *p, int32_t id, char *why, size_t why_size) {
    for (int i = 0; i < p->nconns; i++)
        if (p->conn_ids[i] == id)
            return p->conns[i];
    const kafka__md_broker_t *b = p->md ? kafka__metadata_broker(p->md, id) : NULL;
    if (!b) {
        snprintf(why, why_size, "broker %d is not in the metadata", id);
        return NULL;
    }
    if (p->nconns == MAX_CONNS)
        drop_conn(p, p->conn_ids[0]);
    kafka_err_t err;
    kafka__bconn_t *bc = kafka__bconn_open(p->conf, b->host, b->port, &err, why, why_size);
    if (bc) {
        p->conns[p->nconns] = bc;
        p->conn_ids[p->nconns++] = id;
    }
    return bc;
}

/* Fresh metadata (the connection's metadata thread does the work) for `topic`: asked
 * for, then taken as the snapshot this send routes with. */
static kafka_err_t refresh(kafka_producer_t *p, const char *topic, int timeout_ms, char *why, size_t why_size) {
    kafka_err_t e = kafka_connection_wait_metadata(p->cluster, topic, timeout_ms, why, why_size);
    if (e == KAFKA_OK || e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
        kafka__metadata_release(p->md);
        p->md = kafka__connection_metadata(p->cluster);
    }
    return e;
}

/* ---- idempotence ---- */

static pseq_t *seq_for(kafka_producer_t *p, const char *topic, int32_t partition) {
    for (size_t i = 0; i < p->nseqs; i++)
        if (p->seqs[i].partition == partition && strcmp(p->seqs[i].topic, topic) == 0)
            return &p->seqs[i];
    pseq_t *seqs = kafka__vec_grow(p->seqs, &p->capseqs, p->nseqs, sizeof(*seqs), 16);
    if (!seqs)
        return NULL;
    p->seqs = seqs;
    pseq_t *s = &p->seqs[p->nseqs];
    if (!(s->topic = strdup(topic)))
        return NULL;
    s->partition = partition;
    s->next = 0;
    p->nseqs++;
    return s;
}

/* InitProducerId once, on the first broker used. A broker that has no InitProducerId
 * or no Produce v3 (RecordBatch) cannot deduplicate: idempotence is then off. */
static kafka_err_t init_pid(kafka_producer_t *p, kafka__bconn_t *bc, char *why, size_t why_size) {
    if (!p->idempotent || p->pid >= 0)
        return KAFKA_OK;
    if (kafka__bconn_version(bc, KAFKA_API_INIT_PRODUCER_ID) < 0 || kafka__bconn_version(bc, KAFKA_API_PRODUCE) < 3) {
        p->idempotent = false;
        return KAFKA_OK;
    }
    kafka_init_producer_id_request_t req;
    kafka_request_init(KAFKA_API_INIT_PRODUCER_ID, &req);
    req.transactional_id = kafka_str(NULL); /* idempotent, not transactional (Kafka's default is "") */
    req.transaction_timeout_ms = -1;
    kafka_init_producer_id_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_INIT_PRODUCER_ID, &req, &resp, &arena, &frame, NULL);
    if (!e && resp.error_code)
        e = (kafka_err_t)resp.error_code;
    if (!e) {
        p->pid = resp.producer_id;
        p->epoch = resp.producer_epoch;
    } else {
        snprintf(why, why_size, "InitProducerId: %s", kafka_err2str(e));
    }
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

/* ---- record data ---- */

/* Encodes msgs as the record format the Produce version carries: RecordBatch v2 from v3
 * (with producer id, epoch and base sequence when idempotent), MessageSet v1 at v2 and
 * v0 below, compressed with compression.type. */
static kafka_err_t build(kafka_producer_t *p, int16_t version, const kafka_produce_msg_t *msgs, size_t n,
                         int32_t base_seq, kafka_buf_t *out, char *why, size_t why_size) {
    int64_t now = kafka__wall_ms();
    if (version >= 3) {
        kafka_batch_t *b = kafka_batch_new(1024);
        if (!b)
            return KAFKA_ERR__NO_MEMORY;
        kafka_err_t e = KAFKA_OK;
        for (size_t i = 0; i < n && !e; i++)
            e = kafka_batch_append(b, msgs[i].timestamp_ms ? msgs[i].timestamp_ms : now, msgs[i].key, msgs[i].key_len,
                                   msgs[i].value, msgs[i].value_len, msgs[i].headers, msgs[i].header_count);
        if (!e && p->idempotent && p->pid >= 0)
            kafka_batch_set_producer(b, p->pid, p->epoch, base_seq, false);
        const uint8_t *data;
        size_t len;
        if (!e)
            e = kafka_batch_seal(b, p->codec, -1, &data, &len, why, why_size);
        if (!e)
            kafka__buf_write(out, data, len);
        kafka_batch_destroy(b);
        return e ? e : out->oom ? KAFKA_ERR__NO_MEMORY : KAFKA_OK;
    }
    int magic = version == 2 ? 1 : 0;
    kafka_buf_t set = KAFKA_BUF_INIT;
    kafka_err_t e = KAFKA_OK;
    for (size_t i = 0; i < n && !e; i++) {
        if (msgs[i].header_count) {
            snprintf(why, why_size, "this broker's Produce v%d (MessageSet v%d) cannot carry headers", version, magic);
            e = KAFKA_ERR__INVALID_ARG;
            break;
        }
        e = kafka_msgset_append(p->codec == KAFKA_COMPRESSION_NONE ? out : &set, magic, (int64_t)i,
                                msgs[i].timestamp_ms ? msgs[i].timestamp_ms : now, KAFKA_COMPRESSION_NONE, msgs[i].key,
                                msgs[i].key_len, msgs[i].value, msgs[i].value_len, why, why_size);
    }
    if (!e && p->codec != KAFKA_COMPRESSION_NONE)
        e = kafka_msgset_append(out, magic, 0, now, p->codec, NULL, -1, set.data, (int32_t)set.len, why, why_size);
    kafka__buf_free(&set);
    return e;
}

/* ---- send ---- */

/* One attempt on the partition leader: 0 (done), or the error with *retry saying
 * whether a later attempt may succeed and *stale whether metadata must be refreshed. */
static kafka_err_t attempt(kafka_producer_t *p, const char *topic, int32_t partition, int32_t leader,
                           const kafka_produce_msg_t *msgs, size_t n, int64_t *base_offset, bool *retry, bool *stale,
                           char *why, size_t why_size) {
    *retry = true;
    *stale = false;
    kafka__bconn_t *bc = get_conn(p, leader, why, why_size);
    if (!bc) {
        *stale = true;
        return KAFKA_ERR__TRANSPORT;
    }
    kafka_err_t e = init_pid(p, bc, why, why_size);
    if (e) {
        *retry = kafka_err_retriable(e);
        return e;
    }
    int16_t version = kafka__bconn_version(bc, KAFKA_API_PRODUCE);
    pseq_t *seq = p->idempotent ? seq_for(p, topic, partition) : NULL;
    if (p->idempotent && !seq)
        return KAFKA_ERR__NO_MEMORY;
    kafka_buf_t records = KAFKA_BUF_INIT;
    e = build(p, version, msgs, n, seq ? seq->next : -1, &records, why, why_size);
    if (!e && records.len > p->message_max) {
        snprintf(why, why_size, "a batch of %zu messages is %zu bytes, over message.max.bytes %zu", n, records.len,
                 p->message_max);
        e = KAFKA_ERR__MSG_TOO_LARGE;
    }
    if (e) {
        kafka__buf_free(&records);
        *retry = false;
        return e;
    }
    kafka_produce_request_t req;
    kafka_request_init(KAFKA_API_PRODUCE, &req);
    kafka_produce_request_partition_produce_data_t pd = {partition, {records.data, (int32_t)records.len}};
    kafka_produce_request_topic_produce_data_t td = {kafka_str(topic), {&pd, 1}};
    req.acks = (int16_t)p->acks;
    req.timeout_ms = (int32_t)kafka_conf_int(p->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    req.topic_data.items = &td;
    req.topic_data.count = 1;
    if (p->acks == 0) {
        /* No response will come: the request is written and that is all. */
        kafka_buf_t out = KAFKA_BUF_INIT;
        kafka_request_header_t hdr = {KAFKA_API_PRODUCE, version, 0, kafka_str(bc->client_id)};
        e = kafka_request_encode(&out, &hdr, &req, why, why_size);
        if (!e)
            e = kafka_io_send(bc->io, out.data, out.len, bc->request_timeout_ms);
        kafka__buf_free(&out);
        kafka__buf_free(&records);
        if (e) {
            snprintf(why, why_size, "%s", kafka_io_last_error(bc->io));
            drop_conn(p, leader);
            *stale = true;
        } else if (seq) {
            seq->next += (int32_t)n;
        }
        *base_offset = -1;
        return e;
    }
    kafka_produce_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    e = kafka__bconn_request(bc, KAFKA_API_PRODUCE, &req, &resp, &arena, &frame, NULL);
    kafka__buf_free(&records);
    if (e) {
        snprintf(why, why_size, "%s", kafka_io_last_error(bc->io));
        drop_conn(p, leader); /* the stream is gone or out of step: reconnect */
        *stale = true;
    } else if (resp.responses.count != 1 || resp.responses.items[0].partition_responses.count != 1) {
        snprintf(why, why_size, "Produce response for %d topics instead of 1", resp.responses.count);
        e = KAFKA_ERR__REQUEST_OR_RESPONSE;
        *retry = false;
    } else {
        kafka_produce_response_partition_produce_response_t *pr = &resp.responses.items[0].partition_responses.items[0];
        e = (kafka_err_t)pr->error_code;
        if (e == KAFKA_ERR_DUPLICATE_SEQUENCE_NUMBER)
            e = KAFKA_OK; /* Kafka 0.11 answers a retried batch this way: it is written */
        if (!e) {
            *base_offset = pr->base_offset;
            if (seq)
                seq->next += (int32_t)n;
        } else {
            snprintf(why, why_size, "%s/%d on broker %d: %s%s%.*s", topic, partition, leader, kafka_err_name(e),
                     pr->error_message.len > 0 ? ": " : "", pr->error_message.len > 0 ? pr->error_message.len : 0,
                     pr->error_message.str ? pr->error_message.str : "");
            *retry = kafka_err_retriable(e);
            *stale = e == KAFKA_ERR_NOT_LEADER_OR_FOLLOWER || e == KAFKA_ERR_LEADER_NOT_AVAILABLE ||
                     e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == KAFKA_ERR_NOT_ENOUGH_REPLICAS;
        }
    }
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

static ptopic_t *topic_state(kafka_producer_t *p, const char *topic) {
    for (size_t i = 0; i < p->ntopics; i++)
        if (strcmp(p->topics[i].name, topic) == 0)
            return &p->topics[i];
    ptopic_t *topics = kafka__vec_grow(p->topics, &p->captopics, p->ntopics, sizeof(*topics), 8);
    if (!topics)
        return NULL;
    p->topics = topics;
    ptopic_t *t = &p->topics[p->ntopics];
    if (!(t->name = strdup(topic)))
        return NULL;
    kafka__partitioner_init(&t->part, (uint64_t)kafka__wall_ms() ^ (uint64_t)(uintptr_t)t);
    p->ntopics++;
    return t;
}

static kafka_err_t send_locked(kafka_producer_t *p, const char *topic, int32_t partition,
                               const kafka_produce_msg_t *msgs, size_t n, int32_t *partition_out,
                               int64_t *base_offset) {
    if (!topic || !*topic || (n > 0 && !msgs) || partition < KAFKA_PARTITION_ANY)
        return fail(p, KAFKA_ERR__MISMATCH_ARGUMENT, "send: topic, messages and a partition >= -1 are required");
    if (n == 0)
        return fail(p, KAFKA_ERR__MISMATCH_ARGUMENT, "send: no messages");
    for (size_t i = 0; i < n; i++) {
        size_t sz = (size_t)(msgs[i].key_len > 0 ? msgs[i].key_len : 0) +
                    (size_t)(msgs[i].value_len > 0 ? msgs[i].value_len : 0) + KAFKA_RECORD_BATCH_OVERHEAD + 32;
        if (sz > p->message_max)
            return fail(p, KAFKA_ERR__MSG_TOO_LARGE, "message %zu is %zu bytes with overhead, over message.max.bytes %zu",
                        i, sz, p->message_max);
    }
    int64_t start = kafka__now_ms(), deadline = start + p->delivery_timeout_ms;
    int64_t backoff = p->backoff_ms;
    bool stale = !p->md || !kafka__metadata_topic(p->md, topic);
    char why[512] = "no attempt made";
    bool broker_said = false;
    kafka_err_t last = KAFKA_ERR__TIMED_OUT;
    for (int tries = 0;; tries++) {
        if (tries > 0) {
            int64_t left = deadline - kafka__now_ms();
            if (left <= 0)
                break;
            kafka__sleep_ms(backoff < left ? backoff : left);
            backoff = backoff * 2 < p->backoff_max_ms ? backoff * 2 : p->backoff_max_ms;
        }
        if (stale) {
            int64_t left = deadline - kafka__now_ms();
            int wait = (int)(left < p->request_timeout_ms ? left : p->request_timeout_ms);
            /* Known topic, stale leaders: wait for the next refresh; else for the topic. */
            char mwhy[512];
            kafka_err_t e = p->md && kafka__metadata_topic(p->md, topic)
                                ? kafka__connection_refresh_wait(p->cluster, wait, mwhy, sizeof(mwhy))
                                : KAFKA_OK;
            if (!e)
                e = refresh(p, topic, wait, mwhy, sizeof(mwhy));
            if (e && e != KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
                /* A broker's own error, once seen, stays the cause reported. */
                if (!broker_said) {
                    last = e;
                    snprintf(why, sizeof(why), "%s", mwhy);
                }
                continue;
            }
            stale = false;
        }
        const kafka__md_topic_t *t = p->md ? kafka__metadata_topic(p->md, topic) : NULL;
        if (!t || t->err) {
            last = t ? (kafka_err_t)t->err : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            snprintf(why, sizeof(why), "topic %s: %s", topic, kafka_err_name(last));
            stale = true;
            if (!kafka_err_retriable(last))
                return fail(p, last, "%s", why);
            continue;
        }
        if (partition == KAFKA_PARTITION_ANY) {
            ptopic_t *ts = topic_state(p, topic);
            if (!ts)
                return fail(p, KAFKA_ERR__NO_MEMORY, "out of memory");
            partition = kafka__partitioner_choose(&ts->part, p->partitioner, msgs[0].key, msgs[0].key_len,
                                                  t->npartitions);
            kafka__partitioner_batch_sealed(&ts->part, partition);
        }
        if (partition < 0 || partition >= t->npartitions)
            return fail(p, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, "topic %s has partitions 0..%d; %d is not one of them",
                        topic, t->npartitions - 1, partition);
        const kafka__md_partition_t *mp = &t->partitions[partition];
        if (mp->leader < 0 || mp->err) {
            last = mp->err ? (kafka_err_t)mp->err : KAFKA_ERR_LEADER_NOT_AVAILABLE;
            snprintf(why, sizeof(why), "%s/%d: %s", topic, partition, kafka_err_name(last));
            stale = true;
            continue;
        }
        bool retry;
        int64_t off = -1;
        last = attempt(p, topic, partition, mp->leader, msgs, n, &off, &retry, &stale, why, sizeof(why));
        broker_said = last != KAFKA_OK;
        if (!last) {
            if (partition_out)
                *partition_out = partition;
            if (base_offset)
                *base_offset = off;
            p->last_err = KAFKA_OK;
            p->last_error[0] = 0;
            return KAFKA_OK;
        }
        if (!retry)
            return fail(p, last, "%s", why);
    }
    return fail(p, last == KAFKA_ERR__NO_KNOWN_BROKERS ? last : KAFKA_ERR__TIMED_OUT,
                "not delivered within delivery.timeout.ms (%lld ms); last error: %s", (long long)p->delivery_timeout_ms,
                why);
}

kafka_err_t kafka_producer_send(kafka_producer_t *p, const char *topic, int32_t partition,
                                const kafka_produce_msg_t *msgs, size_t n, int32_t *partition_out,
                                int64_t *base_offset, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&p->lock);
    kafka_err_t e = send_locked(p, topic, partition, msgs, n, partition_out, base_offset);
    if (e && errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", p->last_error);
    pthread_mutex_unlock(&p->lock);
    return e;
}
