/* kafka_consumer_offsets() (the origin's offsets): ListOffsets to the partition leader.
 * v0 answers a list of up to MaxNumOffsets offsets; v1+ one offset per partition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "util/arena.h"

/* Copies the answer's offsets: v0's list, or v1+'s single offset (-1: none). */
static kafka_err_t take_offsets(const kafka_list_offsets_response_partition_response_t *pr, int16_t version,
                                int64_t **offsets, size_t *count) {
    const int64_t *src = version == 0 ? pr->old_style_offsets.items : &pr->offset;
    size_t n = version == 0 ? (size_t)pr->old_style_offsets.count : pr->offset >= 0 ? 1 : 0;
    if (!n)
        return KAFKA_OK;
    if (!(*offsets = malloc(n * sizeof(**offsets))))
        return KAFKA_ERR__NO_MEMORY;
    memcpy(*offsets, src, n * sizeof(**offsets));
    *count = n;
    return KAFKA_OK;
}

kafka_err_t kafka__list_offsets_on(kafka__bconn_t *bc, kafka_consumer_t *c, const char *broker, const char *topic,
                                   int32_t partition, int64_t time, int max_number, int64_t **offsets, size_t *count,
                                   bool *final, bool *broken, char *why, size_t why_size) {
    *final = *broken = false;
    /* The encoder refuses values a version cannot carry: set them per version. */
    int16_t v = kafka__bconn_version(bc, KAFKA_API_LIST_OFFSETS);
    kafka_list_offsets_request_t req;
    kafka_request_init(KAFKA_API_LIST_OFFSETS, &req);
    req.replica_id = -1; /* a consumer, not a follower */
    if (v >= 2)
        req.isolation_level = c->isolation_level;
    kafka_list_offsets_request_partition_t part = {partition, -1, time, v == 0 ? max_number : 1};
    kafka_list_offsets_request_topic_t t = {kafka_str(topic), {&part, 1}};
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_list_offsets_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t err = kafka__bconn_request(bc, KAFKA_API_LIST_OFFSETS, &req, &resp, &arena, &frame, &v);
    if (err == KAFKA_ERR__UNKNOWN_APIKEY) {
        *final = true;
        snprintf(why, why_size, "ListOffsets of %s/%d: %s speaks no ListOffsets version this client does", topic,
                 (int)partition, broker);
    } else if (err) {
        *broken = true;
        snprintf(why, why_size, "ListOffsets v%d of %s/%d to %s: %s", v, topic, (int)partition, broker,
                 kafka__bconn_last_error(bc));
    } else {
        const kafka_list_offsets_response_partition_response_t *pr = NULL;
        bool topic_seen = false;
        for (int32_t i = 0; i < resp.topics.count && !pr; i++) {
            const kafka_list_offsets_response_topic_response_t *tr = &resp.topics.items[i];
            if (!kafka_str_eq(tr->name, topic))
                continue;
            topic_seen = true;
            for (int32_t k = 0; k < tr->partitions.count && !pr; k++)
                if (tr->partitions.items[k].partition_index == partition)
                    pr = &tr->partitions.items[k];
        }
        if (!pr) {
            err = topic_seen ? KAFKA_ERR__PARTITION_DOES_NOT_MATCH : KAFKA_ERR__TOPIC_DOES_NOT_MATCH;
            *final = true;
            snprintf(why, why_size, "ListOffsets v%d of %s/%d: %s answered without that %s", v, topic, (int)partition,
                     broker, topic_seen ? "partition" : "topic");
        } else if (pr->error_code) {
            err = (kafka_err_t)pr->error_code;
            snprintf(why, why_size, "ListOffsets v%d of %s/%d on %s: %s", v, topic, (int)partition, broker,
                     kafka_err_name(err));
        } else if ((err = take_offsets(pr, v, offsets, count)) != KAFKA_OK) {
            snprintf(why, why_size, "ListOffsets of %s/%d: out of memory", topic, (int)partition);
        }
    }
    free(frame);
    kafka__arena_free(&arena);
    return err;
}

static int cmp_q(const char *topic, int32_t partition, const kafka__lo_q_t *q) {
    int r = strcmp(topic, q->topic);
    return r ? r : (partition > q->partition) - (partition < q->partition);
}

/* q's entry of name/partition (q sorted), or NULL. */
static kafka__lo_q_t *find_q(kafka__lo_q_t *q, size_t n, kafka_str_t name, int32_t partition) {
    char topic[256];
    if (name.len < 0 || (size_t)name.len >= sizeof(topic))
        return NULL; /* no topic asked has such a name */
    memcpy(topic, name.str, (size_t)name.len);
    topic[name.len] = '\0';
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_q(topic, partition, &q[mid]);
        if (!r)
            return &q[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

kafka_err_t kafka__list_offsets_many_on(kafka__bconn_t *bc, kafka_consumer_t *c, const char *broker, kafka__lo_q_t *q,
                                        size_t n, int64_t time, int16_t *version, bool *final, bool *broken, char *why,
                                        size_t why_size) {
    *final = *broken = false;
    int16_t v = kafka__bconn_version(bc, KAFKA_API_LIST_OFFSETS);
    *version = v;
    for (size_t i = 0; i < n; i++) {
        q[i].offset = -1;
        q[i].err = KAFKA_OK;
        q[i].final = false;
        q[i].why[0] = '\0';
    }
    kafka_list_offsets_request_partition_t *parts = malloc((n ? n : 1) * sizeof(*parts));
    kafka_list_offsets_request_topic_t *topics = malloc((n ? n : 1) * sizeof(*topics));
    if (!parts || !topics) {
        free(parts);
        free(topics);
        snprintf(why, why_size, "ListOffsets of %zu partitions to %s: out of memory", n, broker);
        return KAFKA_ERR__NO_MEMORY;
    }
    kafka_list_offsets_request_t req;
    kafka_request_init(KAFKA_API_LIST_OFFSETS, &req);
    req.replica_id = -1; /* a consumer, not a follower */
    if (v >= 2)
        req.isolation_level = c->isolation_level;
    int32_t ntopics = 0;
    for (size_t i = 0; i < n; i++) {
        /* The encoder refuses values a version cannot carry: MaxNumOffsets is v0's. */
        parts[i] = (kafka_list_offsets_request_partition_t){q[i].partition, -1, time, 1};
        if (!ntopics || strcmp(q[i - 1].topic, q[i].topic) != 0)
            topics[ntopics++] = (kafka_list_offsets_request_topic_t){kafka_str(q[i].topic), {&parts[i], 0}};
        topics[ntopics - 1].partitions.count++;
    }
    req.topics.items = topics;
    req.topics.count = ntopics;
    kafka_list_offsets_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t err = kafka__bconn_request(bc, KAFKA_API_LIST_OFFSETS, &req, &resp, &arena, &frame, &v);
    *version = v;
    if (err == KAFKA_ERR__UNKNOWN_APIKEY) {
        *final = true;
        snprintf(why, why_size, "%s speaks no ListOffsets version this client does", broker);
    } else if (err) {
        *broken = true;
        snprintf(why, why_size, "ListOffsets v%d of %zu partitions to %s: %s", v, n, broker,
                 kafka__bconn_last_error(bc));
    } else {
        bool *seen = calloc(n ? n : 1, sizeof(*seen)); /* NULL: a missing answer is not told apart */
        for (int32_t t = 0; t < resp.topics.count; t++) {
            const kafka_list_offsets_response_topic_response_t *tr = &resp.topics.items[t];
            for (int32_t k = 0; k < tr->partitions.count; k++) {
                const kafka_list_offsets_response_partition_response_t *pr = &tr->partitions.items[k];
                kafka__lo_q_t *e = find_q(q, n, tr->name, pr->partition_index);
                if (!e)
                    continue; /* not asked */
                if (seen)
                    seen[e - q] = true;
                if (pr->error_code) {
                    e->err = (kafka_err_t)pr->error_code;
                    snprintf(e->why, sizeof(e->why), "%s", kafka_err_name(e->err));
                } else if (v == 0) {
                    e->offset = pr->old_style_offsets.count > 0 ? pr->old_style_offsets.items[0] : -1;
                } else {
                    e->offset = pr->offset;
                }
            }
        }
        for (size_t i = 0; i < n && seen; i++) {
            if (seen[i])
                continue;
            bool topic_seen = false;
            for (int32_t t = 0; t < resp.topics.count && !topic_seen; t++)
                topic_seen = kafka_str_eq(resp.topics.items[t].name, q[i].topic);
            q[i].err = topic_seen ? KAFKA_ERR__PARTITION_DOES_NOT_MATCH : KAFKA_ERR__TOPIC_DOES_NOT_MATCH;
            q[i].final = true;
            snprintf(q[i].why, sizeof(q[i].why), "answered without that %s", topic_seen ? "partition" : "topic");
        }
        free(seen);
    }
    free(parts);
    free(topics);
    free(frame);
    kafka__arena_free(&arena);
    return err;
}

/* One ListOffsets round trip on k->bc, which is given back or closed. */
static kafka_err_t list_once(kafka__call_t *k, int64_t time, int max_number, int64_t **offsets, size_t *count,
                             char *why, size_t why_size) {
    bool broken;
    kafka_err_t err = kafka__list_offsets_on(k->bc, k->c, k->broker, k->topic, k->partition, time, max_number, offsets,
                                             count, &k->final, &broken, why, why_size);
    kafka__call_release(k, !broken);
    return err;
}

kafka_err_t kafka__list_offsets(kafka__call_t *k, int64_t time, int max_number, int64_t **offsets, size_t *count,
                                char *why, size_t why_size) {
    *offsets = NULL;
    *count = 0;
    for (;;) {
        kafka_err_t err = kafka__call_leader(k, why, why_size);
        if (!err)
            err = list_once(k, time, max_number, offsets, count, why, why_size);
        if (!err)
            return KAFKA_OK;
        if (k->final || !kafka__call_retriable(err))
            return err;
        if (!kafka__call_retry(k, why, why, why_size))
            return KAFKA_ERR__TIMED_OUT;
    }
}

kafka_err_t kafka_consumer_offsets(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t time,
                                   int max_number, int64_t **offsets_out, size_t *count_out, char *errstr,
                                   size_t errstr_size) {
    if (!c) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: no consumer given", "offsets");
        return KAFKA_ERR__INVALID_ARG;
    }
    char why[512];
    const char *bad = !offsets_out || !count_out     ? "offsets_out and count_out are required"
                      : !topic || !*topic            ? "no topic given"
                      : partition < 0                ? "the partition is negative"
                      : time < KAFKA_OFFSET_EARLIEST ? "time must be -1 (latest), -2 (earliest) or a timestamp"
                      : max_number < 0               ? "max_number is negative"
                                                     : NULL;
    if (bad) {
        snprintf(why, sizeof(why), "offsets of %s/%d: %s", topic ? topic : "(null)", (int)partition, bad);
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
    }
    *offsets_out = NULL;
    *count_out = 0;
    kafka__call_t k;
    kafka__call_begin(&k, c, topic, partition);
    kafka_err_t err = kafka__list_offsets(&k, time, max_number ? max_number : KAFKA_OFFSETS_MAX_NUMBER, offsets_out,
                                          count_out, why, sizeof(why));
    return err ? kafka__consumer_fail(c, err, why, errstr, errstr_size) : KAFKA_OK;
}

static int by_q(const void *a, const void *b) {
    const kafka__lo_q_t *x = a;
    return cmp_q(x->topic, x->partition, b);
}

/* The partitions of tps[idx[0..n)] led by one broker, in one ListOffsets at time on bc
 * (kafka__list_offsets_many_on): out[idx[i]] for each it answered without an error. */
static void list_many_on(kafka__bconn_t *bc, kafka_consumer_t *c, const kafka_topic_partition_t *tps,
                         const size_t *idx, size_t n, int64_t time, int64_t *out, bool *broken) {
    kafka__lo_q_t *q = malloc((n ? n : 1) * sizeof(*q));
    if (!q)
        return;
    for (size_t i = 0; i < n; i++)
        q[i] = (kafka__lo_q_t){.topic = tps[idx[i]].topic, .partition = tps[idx[i]].partition};
    qsort(q, n, sizeof(*q), by_q);
    int16_t version;
    bool final;
    char why[300];
    if (kafka__list_offsets_many_on(bc, c, "", q, n, time, &version, &final, broken, why, sizeof(why)) == KAFKA_OK) {
        for (size_t i = 0; i < n; i++) {
            const kafka__lo_q_t *e = find_q(q, n, kafka_str(tps[idx[i]].topic), tps[idx[i]].partition);
            if (e && !e->err && e->offset >= 0)
                out[idx[i]] = e->offset;
        }
    }
    free(q);
}

void kafka__list_offsets_batch(kafka_consumer_t *c, const kafka_topic_partition_t *tps, const bool *want, size_t n,
                               int64_t *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = -1;
    for (size_t i = 0; i < n; i++) /* the topics' metadata (a topic new to the connection: a refresh) */
        if (want[i] && (i == 0 || strcmp(tps[i].topic, tps[i - 1].topic) != 0))
            kafka_connection_wait_metadata(c->cluster, tps[i].topic, (int)c->request_timeout_ms, NULL, 0);
    kafka__metadata_t *md = kafka__connection_metadata(c->cluster);
    int32_t *leader = malloc((n ? n : 1) * sizeof(*leader));
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
    if (!md || !leader || !idx) {
        kafka__metadata_release(md);
        free(leader);
        free(idx);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const kafka__md_topic_t *t = want[i] ? kafka__metadata_topic(md, tps[i].topic) : NULL;
        leader[i] = t && !t->err && tps[i].partition < t->npartitions ? t->partitions[tps[i].partition].leader : -1;
    }
    /* One request per leader broker and start (BEGINNING, END). */
    for (size_t i = 0; i < n; i++) {
        if (leader[i] < 0)
            continue;
        int32_t id = leader[i];
        int64_t time = tps[i].offset;
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (leader[j] == id && tps[j].offset == time) {
                idx[k++] = j;
                leader[j] = -1;
            }
        const kafka__md_broker_t *b = kafka__metadata_broker(md, id);
        kafka_err_t err;
        char why[300];
        kafka__bconn_t *bc = b ? kafka__conn_take(c, id, b->host, b->port, &err, why, sizeof(why)) : NULL;
        if (!bc)
            continue;
        bool broken = false;
        list_many_on(bc, c, tps, idx, k, time, out, &broken);
        if (broken)
            kafka__bconn_close(bc);
        else
            kafka__conn_give(c, id, bc);
    }
    kafka__metadata_release(md);
    free(leader);
    free(idx);
}
