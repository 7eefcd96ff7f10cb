/* kafka_consumer_fetch() (the origin's fetch): one Fetch of one partition from its
 * leader, its records turned into messages (decode.c), with the call's retries,
 * auto.offset.reset on OFFSET_OUT_OF_RANGE, and a clear error for a message that does
 * not fit max_bytes on a broker that cuts it (Fetch v0-2); what an answer means is
 * outcome.c's, shared with the consumer loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "consumer/msgset.h"
#include "consumer/outcome.h"
#include "util/arena.h"
#include "util/clock.h"

/* What one Fetch round trip gave. */
typedef struct fetched_s {
    kafka__msgset_t *set; /* the messages (success only) */
    kafka__scan_t scan;
    int64_t high_watermark;
    int64_t log_start; /* -1 when the broker did not say (Fetch < v5) */
    int16_t version;
} fetched_t;

static const kafka_fetch_response_partition_data_t *
find_partition(const kafka__call_t *k, const kafka_uuid_t *id, int16_t version, const kafka_fetch_response_t *resp,
               bool *topic_seen) {
    *topic_seen = false;
    for (int32_t t = 0; t < resp->responses.count; t++) {
        const kafka_fetch_response_fetchable_topic_response_t *tr = &resp->responses.items[t];
        if (version >= 13 ? memcmp(tr->topic_id.b, id->b, sizeof(id->b)) != 0 : !kafka_str_eq(tr->topic, k->topic))
            continue;
        *topic_seen = true;
        for (int32_t i = 0; i < tr->partitions.count; i++)
            if (tr->partitions.items[i].partition_index == k->partition)
                return &tr->partitions.items[i];
    }
    return NULL;
}

void kafka__fetch_request_init(const kafka_consumer_t *c, kafka_fetch_request_t *req, int32_t max_bytes) {
    kafka_request_init(KAFKA_API_FETCH, req);
    req->replica_id = -1;
    /* The broker must answer well within the connection's timeout. */
    req->max_wait_ms =
        c->fetch_max_wait_ms < c->request_timeout_ms / 2 ? c->fetch_max_wait_ms : (int32_t)(c->request_timeout_ms / 2);
    req->min_bytes = c->fetch_min_bytes;
    req->max_bytes = max_bytes;
    req->isolation_level = c->isolation_level;
}

/* The fetch at offset, for messages. */
static kafka__fetch_at_t fetch_at(const kafka__call_t *k, int64_t offset, const fetched_t *f) {
    return (kafka__fetch_at_t){f->version, k->topic, k->partition, offset, k->broker};
}

/* The partition's records -> f->set, which takes the frame. */
static kafka_err_t decode(kafka__call_t *k, const kafka_fetch_response_partition_data_t *pr, int64_t offset,
                          uint8_t **frame, fetched_t *f, char *why, size_t why_size) {
    kafka_consumer_t *c = k->c;
    f->set = kafka__msgset_new(k->topic, k->partition, pr->high_watermark, *frame);
    *frame = NULL; /* the set owns it now (or freed it) */
    kafka_err_t err = f->set ? kafka__msgset_decode_partition(f->set, pr, offset, c->check_crcs,
                                                              c->isolation_level == KAFKA_ISOLATION_READ_COMMITTED,
                                                              &f->scan)
                             : KAFKA_ERR__NO_MEMORY;
    if (err) {
        kafka__msgset_free(f->set);
        f->set = NULL;
        snprintf(why, why_size, "Fetch of %s/%d: out of memory decoding %d bytes of records", k->topic,
                 (int)k->partition, (int)pr->records.len);
    }
    return err;
}

/* One Fetch round trip on k->bc, which is given back or closed. On success f->set holds
 * the messages; a partition error is returned with why (f->high_watermark and
 * f->log_start filled for OFFSET_OUT_OF_RANGE). */
/* The topic id the metadata has for k's topic (zero: none, then Fetch stays below v13,
 * which names topics by id only). */
static kafka_uuid_t topic_id(const kafka__call_t *k) {
    kafka_uuid_t id = {{0}};
    kafka__metadata_t *md = kafka__connection_metadata(k->c->cluster);
    const kafka__md_topic_t *t = md ? kafka__metadata_topic(md, k->topic) : NULL;
    if (t)
        id = t->id;
    kafka__metadata_release(md);
    return id;
}

static kafka_err_t fetch_once(kafka__call_t *k, int64_t offset, int32_t max_bytes, fetched_t *f, char *why,
                              size_t why_size) {
    static const kafka_uuid_t zero;
    kafka_fetch_request_t req;
    kafka__fetch_request_init(k->c, &req, max_bytes);
    kafka_fetch_request_partition_t part = {k->partition, -1, offset, -1, -1, max_bytes, {{0}}};
    kafka_uuid_t id = topic_id(k);
    kafka_fetch_request_topic_t topic = {.topic = kafka_str(k->topic), .topic_id = id, .partitions = {&part, 1}};
    req.topics.items = &topic;
    req.topics.count = 1;
    kafka_fetch_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    int16_t max_version = memcmp(id.b, zero.b, sizeof(zero.b)) ? INT16_MAX : 12;
    kafka_err_t err = kafka__bconn_request_upto(k->bc, KAFKA_API_FETCH, max_version, &req, &resp, &arena, &frame,
                                                &f->version);
    bool healthy = !err;
    f->high_watermark = f->log_start = -1;
    if (err == KAFKA_ERR__UNKNOWN_APIKEY) {
        k->final = true;
        healthy = true;
        snprintf(why, why_size, "Fetch of %s/%d: %s speaks no Fetch version this client does", k->topic,
                 (int)k->partition, k->broker);
    } else if (err) {
        snprintf(why, why_size, "Fetch v%d of %s/%d at offset %lld from %s: %s", f->version, k->topic,
                 (int)k->partition, (long long)offset, k->broker, kafka__bconn_last_error(k->bc));
    } else {
        bool topic_seen;
        const kafka_fetch_response_partition_data_t *pr = find_partition(k, &id, f->version, &resp, &topic_seen);
        if (resp.error_code || (pr && pr->error_code)) {
            if (pr) {
                f->high_watermark = pr->high_watermark;
                f->log_start = pr->log_start_offset;
            }
            kafka__fetch_at_t at = fetch_at(k, offset, f);
            err = kafka__fetch_outcome_error(&at, (kafka_err_t)(resp.error_code ? resp.error_code : pr->error_code),
                                             why, why_size);
        } else if (!pr) {
            err = topic_seen ? KAFKA_ERR__PARTITION_DOES_NOT_MATCH : KAFKA_ERR__TOPIC_DOES_NOT_MATCH;
            k->final = true;
            snprintf(why, why_size, "Fetch v%d of %s/%d: %s answered without that %s", f->version, k->topic,
                     (int)k->partition, k->broker, topic_seen ? "partition" : "topic");
        } else {
            f->high_watermark = pr->high_watermark;
            f->log_start = pr->log_start_offset;
            err = decode(k, pr, offset, &frame, f, why, why_size);
        }
    }
    kafka__call_release(k, healthy);
    free(frame);
    kafka__arena_free(&arena);
    return err;
}

/* The offset auto.offset.reset (or an EARLIEST/LATEST fetch offset) stands for. */
static kafka_err_t resolve(kafka__call_t *k, int64_t time, int64_t *offset, char *why, size_t why_size) {
    int64_t *offs;
    size_t n;
    kafka_err_t err = kafka__list_offsets(k, time, 1, &offs, &n, why, why_size);
    if (err)
        return err;
    if (!n) {
        snprintf(why, why_size, "ListOffsets of %s/%d gave no %s offset", k->topic, (int)k->partition,
                 time == KAFKA_OFFSET_EARLIEST ? "earliest" : "latest");
        return KAFKA_ERR__REQUEST_OR_RESPONSE;
    }
    *offset = offs[0];
    free(offs);
    return KAFKA_OK;
}

/* OFFSET_OUT_OF_RANGE: the new offset per auto.offset.reset, or the error. */
static kafka_err_t reset_offset(kafka__call_t *k, int64_t *offset, const fetched_t *f, char *why, size_t why_size) {
    int64_t time;
    if (!kafka__fetch_outcome_reset(k->c, &time, NULL)) {
        kafka__fetch_at_t at = fetch_at(k, *offset, f);
        return kafka__fetch_outcome_out_of_range(&at, f->log_start, f->high_watermark, why, why_size);
    }
    return resolve(k, time, offset, why, why_size);
}

static const char *bad_argument(const char *topic, int32_t partition, int64_t offset, int32_t max_bytes,
                                kafka_message_t ***msgs_out, size_t *count_out) {
    return !msgs_out || !count_out          ? "msgs_out and count_out are required"
           : !topic || !*topic              ? "no topic given"
           : partition < 0                  ? "the partition is negative"
           : offset < KAFKA_OFFSET_EARLIEST ? "offset must be >= 0, -1 (latest) or -2 (earliest)"
           : max_bytes < 0                  ? "max_bytes is negative"
                                            : NULL;
}

kafka_err_t kafka_consumer_fetch(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t offset,
                                 int32_t max_bytes, kafka_message_t ***msgs_out, size_t *count_out, char *errstr,
                                 size_t errstr_size) {
    if (!c) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: no consumer given", "fetch");
        return KAFKA_ERR__INVALID_ARG;
    }
    char why[600];
    const char *bad = bad_argument(topic, partition, offset, max_bytes, msgs_out, count_out);
    if (bad) {
        snprintf(why, sizeof(why), "fetch of %s/%d: %s", topic ? topic : "(null)", (int)partition, bad);
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
    }
    *msgs_out = NULL;
    *count_out = 0;
    if (!max_bytes)
        max_bytes = c->max_partition_fetch_bytes;
    kafka__call_t k;
    kafka__call_begin(&k, c, topic, partition);
    kafka_err_t err = offset < 0 ? resolve(&k, offset, &offset, why, sizeof(why)) : KAFKA_OK;
    int resets = 0;
    while (!err) {
        fetched_t f = {0};
        err = kafka__call_leader(&k, why, sizeof(why));
        if (!err)
            err = fetch_once(&k, offset, max_bytes, &f, why, sizeof(why));
        if (err == KAFKA_ERR_OFFSET_OUT_OF_RANGE) {
            /* A reset target out of range again (retention moving on): back off first. */
            if (resets++ && !kafka__call_retry(&k, why, why, sizeof(why))) {
                err = KAFKA_ERR__TIMED_OUT;
                break;
            }
            err = reset_offset(&k, &offset, &f, why, sizeof(why));
            continue;
        }
        if (err) {
            if (k.final || !kafka__call_retriable(err))
                break;
            err = kafka__call_retry(&k, why, why, sizeof(why)) ? KAFKA_OK : KAFKA_ERR__TIMED_OUT;
            continue;
        }
        int64_t next;
        kafka__fetched_t got = kafka__fetch_outcome(f.set, &f.scan, offset, &next);
        if (got == KAFKA__FETCHED_TOO_LARGE) {
            kafka__msgset_free(f.set);
            kafka__fetch_at_t at = fetch_at(&k, offset, &f);
            err = kafka__fetch_outcome_too_large(&at, &f.scan, "max_bytes", max_bytes, why, sizeof(why));
            break;
        }
        /* Only control or aborted batches (or trimmed ones) came: go on past them. */
        if (got == KAFKA__FETCHED_SKIPPED && next < f.high_watermark && kafka__now_ms() < k.deadline_ms) {
            kafka__msgset_free(f.set);
            offset = next;
            continue;
        }
        if ((err = kafka__msgset_hand_out(f.set, msgs_out, count_out)) != KAFKA_OK) {
            snprintf(why, sizeof(why), "Fetch of %s/%d: out of memory", topic, (int)partition);
            break;
        }
        kafka__consumer_set_next(c, topic, partition, next);
        return KAFKA_OK;
    }
    return kafka__consumer_fail(c, err, why, errstr, errstr_size);
}
