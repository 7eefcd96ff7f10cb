/* The transaction coordinator of the mock: per transactional id its producer id, epoch,
 * state and the partitions and offsets of the transaction under way; per partition the
 * open transactions (the last stable offset) and the aborted ones (what a read_committed
 * Fetch lists). Ending a transaction writes its markers at once, so the mock never
 * answers CONCURRENT_TRANSACTIONS by itself (inject it with `error`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"
#include "proto/reader.h"
#include "util/vec.h"

kmock_txn_t *kmock__txn_find(kafka_mock_t *m, kafka_str_t id) {
    for (kmock_txn_t *t = m->txns; t; t = t->next)
        if (kafka_str_eq(id, t->id))
            return t;
    return NULL;
}

static kmock_txn_t *txn_by_pid(kafka_mock_t *m, int64_t pid) {
    for (kmock_txn_t *t = m->txns; t; t = t->next)
        if (t->producer_id == pid)
            return t;
    return NULL;
}

kmock_broker_t *kmock__txn_coordinator(kafka_mock_t *m, const char *id, int32_t len) {
    for (kmock_txn_t *t = m->txns; t; t = t->next) {
        if (t->coordinator > 0 && (int32_t)strlen(t->id) == len && memcmp(t->id, id, (size_t)len) == 0) {
            kmock_broker_t *b = kmock__broker(m, t->coordinator);
            if (b && !b->down)
                return b;
            break;
        }
    }
    return kmock__coordinator(m, id, len);
}

int16_t kmock__txn_check(kmock_req_t *rq, kafka_str_t id, int64_t producer_id, int16_t epoch, int16_t fenced_from,
                         bool coordinator_check, kmock_txn_t **out) {
    *out = NULL;
    if (id.len <= 0)
        return KAFKA_ERR_INVALID_REQUEST;
    if (coordinator_check && kmock__txn_coordinator(rq->m, id.str, id.len) != rq->broker)
        return KAFKA_ERR_NOT_COORDINATOR;
    kmock_txn_t *t = kmock__txn_find(rq->m, id);
    if (!t || t->producer_id != producer_id)
        return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (epoch != t->epoch)
        return rq->hdr->request_api_version >= fenced_from ? KAFKA_ERR_PRODUCER_FENCED
                                                          : KAFKA_ERR_INVALID_PRODUCER_EPOCH;
    *out = t;
    return 0;
}

void kmock__txn_begin(kmock_txn_t *t, int64_t now_ms) {
    if (t->state != KMOCK_TXN_ONGOING) {
        t->state = KMOCK_TXN_ONGOING;
        t->started_ms = now_ms;
    }
}

bool kmock__txn_add_partition(kmock_txn_t *t, kafka_str_t topic, int32_t partition, int64_t now_ms) {
    kmock__txn_begin(t, now_ms);
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].partition == partition && kafka_str_eq(topic, t->parts[i].topic))
            return true;
    kmock_txn_part_t *parts = kafka__vec_grow(t->parts, &t->capparts, t->nparts, sizeof(*parts), 8);
    if (!parts)
        return false;
    t->parts = parts;
    char *name = strndup(topic.str ? topic.str : "", topic.len > 0 ? (size_t)topic.len : 0);
    if (!name)
        return false;
    t->parts[t->nparts++] = (kmock_txn_part_t){name, partition};
    return true;
}

static bool txn_has(const kmock_txn_t *t, const char *topic, int32_t partition) {
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].partition == partition && strcmp(t->parts[i].topic, topic) == 0)
            return true;
    return false;
}

/* Closes pid's open transaction in p; an abort is indexed up to its marker. */
static void partition_end(kmock_partition_t *p, int64_t pid, bool commit, int64_t marker) {
    for (size_t i = 0; i < p->nopen; i++) {
        if (p->open_txns[i].producer_id != pid)
            continue;
        int64_t first = p->open_txns[i].first_offset;
        p->open_txns[i] = p->open_txns[--p->nopen];
        if (commit)
            return;
        kmock_aborted_t *a = kafka__vec_grow(p->aborted, &p->capaborted, p->naborted, sizeof(*a), 8);
        if (!a)
            return;
        p->aborted = a;
        p->aborted[p->naborted++] = (kmock_aborted_t){pid, first, marker};
        return;
    }
}

static void free_offsets(kmock_txn_t *t) {
    for (size_t i = 0; i < t->noffsets; i++) {
        free(t->offsets[i].group);
        free(t->offsets[i].topic);
        free(t->offsets[i].metadata);
    }
    t->noffsets = 0;
}

void kmock__txn_end(kafka_mock_t *m, kmock_txn_t *t, bool commit, int64_t now_ms) {
    for (size_t i = 0; i < t->nparts; i++) {
        kmock_txn_part_t *tp = &t->parts[i];
        kmock_partition_t *p = kmock__partition(kmock__topic_find(m, tp->topic, (int32_t)strlen(tp->topic)),
                                                tp->partition);
        int64_t at;
        if (p && kmock__log_append_marker(p, t->producer_id, t->epoch, commit, now_ms, &at) == KAFKA_OK)
            partition_end(p, t->producer_id, commit, at);
        free(tp->topic);
    }
    t->nparts = 0;
    if (commit) {
        for (size_t i = 0; i < t->noffsets; i++) {
            kmock_txn_offset_t *o = &t->offsets[i];
            kmock__commit_put(m, kafka_str(o->group), kafka_str(o->topic), o->partition, o->offset, o->leader_epoch,
                              kafka_str(o->metadata));
        }
    }
    free_offsets(t);
    t->state = commit ? KMOCK_TXN_COMMITTED : KMOCK_TXN_ABORTED;
    m->parked_recheck = true; /* a read_committed Fetch waiting on the LSO may have data now */
}

void kmock__txn_tick(kafka_mock_t *m, int64_t now_ms) {
    for (kmock_txn_t *t = m->txns; t; t = t->next) {
        if (t->state != KMOCK_TXN_ONGOING || now_ms < t->started_ms + t->timeout_ms)
            continue;
        /* Kafka's coordinator aborts with the epoch bumped: the producer is fenced. */
        kmock__txn_end(m, t, false, now_ms);
        t->last_epoch = t->epoch;
        t->epoch++;
    }
}

int64_t kmock__txn_deadline(const kafka_mock_t *m) {
    int64_t d = INT64_MAX;
    for (const kmock_txn_t *t = m->txns; t; t = t->next)
        if (t->state == KMOCK_TXN_ONGOING && t->started_ms + t->timeout_ms < d)
            d = t->started_ms + t->timeout_ms;
    return d;
}

/* The first batch of record data when it is a transactional RecordBatch. */
static bool txn_batch(const uint8_t *data, size_t len, int64_t *pid, int16_t *epoch) {
    if (len < 61 || data[16] != 2 || !(kafka__ld_be16(data + 21) & KAFKA_BATCH_ATTR_TRANSACTIONAL))
        return false;
    *pid = (int64_t)kafka__ld_be64(data + 43);
    *epoch = (int16_t)kafka__ld_be16(data + 51);
    return true;
}

int16_t kmock__txn_produce_check(kafka_mock_t *m, const char *topic, int32_t partition, const uint8_t *data,
                                 size_t len, const char **why) {
    int64_t pid;
    int16_t epoch;
    if (!txn_batch(data, len, &pid, &epoch))
        return 0;
    kmock_txn_t *t = txn_by_pid(m, pid);
    if (t && epoch < t->epoch) {
        *why = "the producer's epoch is older than its transactional id's (fenced)";
        return KAFKA_ERR_INVALID_PRODUCER_EPOCH;
    }
    if (!t || epoch != t->epoch || t->state != KMOCK_TXN_ONGOING || !txn_has(t, topic, partition)) {
        *why = "a transactional batch for a partition not added to an ongoing transaction (AddPartitionsToTxn)";
        return KAFKA_ERR_INVALID_TXN_STATE;
    }
    return 0;
}

void kmock__txn_produced(kmock_partition_t *p, const uint8_t *data, size_t len, int64_t base) {
    int64_t pid;
    int16_t epoch;
    if (!txn_batch(data, len, &pid, &epoch))
        return;
    for (size_t i = 0; i < p->nopen; i++)
        if (p->open_txns[i].producer_id == pid)
            return;
    kmock_open_txn_t *o = kafka__vec_grow(p->open_txns, &p->capopen, p->nopen, sizeof(*o), 4);
    if (!o)
        return;
    p->open_txns = o;
    p->open_txns[p->nopen++] = (kmock_open_txn_t){pid, base};
}

int64_t kmock__lso(const kmock_partition_t *p) {
    int64_t lso = p->high_watermark;
    for (size_t i = 0; i < p->nopen; i++)
        if (p->open_txns[i].first_offset < lso)
            lso = p->open_txns[i].first_offset;
    return lso;
}

void kmock__partition_txn_free(kmock_partition_t *p) {
    free(p->open_txns);
    free(p->aborted);
    p->open_txns = NULL;
    p->aborted = NULL;
    p->nopen = p->naborted = p->capopen = p->capaborted = 0;
}

void kmock__txns_free(kafka_mock_t *m) {
    for (kmock_txn_t *t = m->txns, *n; t; t = n) {
        n = t->next;
        for (size_t i = 0; i < t->nparts; i++)
            free(t->parts[i].topic);
        free_offsets(t);
        free(t->parts);
        free(t->offsets);
        free(t->id);
        free(t);
    }
    m->txns = NULL;
}

/* ---- public: inspection and faults ---- */

kafka_err_t kafka_mock_txn_move(kafka_mock_t *m, const char *transactional_id, int broker_id) {
    pthread_mutex_lock(&m->lock);
    kafka_err_t e = KAFKA_OK;
    kmock_txn_t *t = kmock__txn_find(m, kafka_str(transactional_id));
    if (!kmock__broker(m, broker_id))
        e = KAFKA_ERR__INVALID_ARG;
    else if (!t)
        e = KAFKA_ERR_TRANSACTIONAL_ID_NOT_FOUND;
    else
        t->coordinator = broker_id;
    pthread_mutex_unlock(&m->lock);
    return e;
}

static const char *state_name(kmock_txn_state_t s) {
    switch (s) {
    case KMOCK_TXN_EMPTY: return "Empty";
    case KMOCK_TXN_ONGOING: return "Ongoing";
    case KMOCK_TXN_COMMITTED: return "CompleteCommit";
    case KMOCK_TXN_ABORTED: return "CompleteAbort";
    }
    return "Dead";
}

kafka_err_t kafka_mock_txn_state(kafka_mock_t *m, const char *transactional_id, char *state, size_t state_size,
                                 int64_t *producer_id, int16_t *epoch, int *partitions) {
    pthread_mutex_lock(&m->lock);
    kmock_txn_t *t = kmock__txn_find(m, kafka_str(transactional_id));
    if (t) {
        if (state && state_size)
            snprintf(state, state_size, "%s", state_name(t->state));
        if (producer_id)
            *producer_id = t->producer_id;
        if (epoch)
            *epoch = t->epoch;
        if (partitions)
            *partitions = (int)t->nparts;
    }
    pthread_mutex_unlock(&m->lock);
    return t ? KAFKA_OK : KAFKA_ERR_TRANSACTIONAL_ID_NOT_FOUND;
}

kafka_err_t kafka_mock_partition_lso(kafka_mock_t *m, const char *topic, int partition, int64_t *lso) {
    pthread_mutex_lock(&m->lock);
    kmock_partition_t *p = kmock__partition(kmock__topic_find(m, topic, (int32_t)strlen(topic)), partition);
    if (p)
        *lso = kmock__lso(p);
    pthread_mutex_unlock(&m->lock);
    return p ? KAFKA_OK : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}
