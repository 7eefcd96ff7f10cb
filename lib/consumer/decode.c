/* One partition's Fetch record data -> kafka_message_t views: trimming to the fetch
 * offset, control and aborted-transaction records dropped, corrupt batches turned into
 * invalid messages, compressed records copied out of the reader's reused buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/msgset.h"
#include "proto/reader.h"

#define CONTROL_TYPE_ABORT 0 /* control record key: int16 version, int16 type (0 abort, 1 commit) */

/* Offsets come from the wire: a hostile INT64_MAX must not overflow. */
static int64_t after(int64_t offset) { return offset < INT64_MAX ? offset + 1 : offset; }

static void advance(kafka__scan_t *scan, int64_t last) {
    if (after(last) > scan->next_offset)
        scan->next_offset = after(last);
}

/* ---- read_committed: aborted transactions, as Kafka's consumers filter them ---- */

/* The aborted transactions sorted by first offset; a producer's transaction enters
 * `active` once a batch reaches its first offset and leaves at its ABORT marker, and
 * while it is in there, that producer's transactional batches are dropped. */
typedef struct txn_filter_s {
    kafka__aborted_t *sorted;
    size_t n, next;
    int64_t *active;
    size_t nactive;
} txn_filter_t;

static int by_first_offset(const void *a, const void *b) {
    int64_t x = ((const kafka__aborted_t *)a)->first_offset, y = ((const kafka__aborted_t *)b)->first_offset;
    return x < y ? -1 : x > y;
}

static bool txn_init(txn_filter_t *t, const kafka__aborted_t *aborted, size_t n) {
    memset(t, 0, sizeof(*t));
    if (!aborted || !n)
        return true;
    t->sorted = malloc(n * sizeof(*t->sorted));
    t->active = malloc(n * sizeof(*t->active));
    if (!t->sorted || !t->active) {
        free(t->sorted);
        free(t->active);
        return false;
    }
    memcpy(t->sorted, aborted, n * sizeof(*aborted));
    qsort(t->sorted, n, sizeof(*t->sorted), by_first_offset);
    t->n = n;
    return true;
}

static bool txn_active(const txn_filter_t *t, int64_t pid, size_t *at) {
    for (size_t i = 0; i < t->nactive; i++)
        if (t->active[i] == pid) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

/* Whether rec (of batch b) is to be dropped as part of an aborted transaction; an ABORT
 * marker closes its producer's aborted transaction. */
static bool txn_drop(txn_filter_t *t, const kafka_batch_info_t *b, const kafka_record_t *rec) {
    if (!t->n || !(b->transactional || b->control))
        return false;
    while (t->next < t->n && t->sorted[t->next].first_offset <= b->last_offset) {
        int64_t pid = t->sorted[t->next++].producer_id;
        if (!txn_active(t, pid, NULL))
            t->active[t->nactive++] = pid;
    }
    size_t at;
    if (b->control) {
        bool abort_marker = rec->key.len >= 4 && kafka__ld_be16(rec->key.data + 2) == CONTROL_TYPE_ABORT;
        if (abort_marker && txn_active(t, b->producer_id, &at))
            t->active[at] = t->active[--t->nactive];
        return true;
    }
    return txn_active(t, b->producer_id, NULL);
}

/* ---- messages ---- */

/* The bytes of a field: as is (a view into the response), or copied into the set when
 * they live in the reader's decompression buffer. NULL when empty or null. */
static bool place(kafka__msgset_t *s, const uint8_t *src, size_t n, bool copy, const uint8_t **dst) {
    *dst = NULL;
    if (!n || !src)
        return true;
    *dst = copy ? kafka__msgset_copy(s, src, n) : src;
    return *dst != NULL;
}

static kafka_err_t add_record(kafka__msgset_t *s, const kafka_record_t *rec, bool copy) {
    kafka_message_t *m = kafka__msgset_add(s);
    if (!m)
        return KAFKA_ERR__NO_MEMORY;
    m->offset = rec->offset;
    m->next_offset = after(rec->offset);
    m->timestamp = rec->timestamp;
    m->timestamp_type = (int8_t)rec->timestamp_type;
    m->magic = rec->magic;
    m->key_len = rec->key.len;
    m->value_len = rec->value.len;
    m->header_count = rec->header_count;
    m->headers_len = (uint32_t)rec->headers_len;
    if (!place(s, rec->key.data, rec->key.len > 0 ? (size_t)rec->key.len : 0, copy, &m->key) ||
        !place(s, rec->value.data, rec->value.len > 0 ? (size_t)rec->value.len : 0, copy, &m->value) ||
        !place(s, rec->headers_raw, rec->headers_len, copy, &m->headers)) {
        s->n--;
        return KAFKA_ERR__NO_MEMORY;
    }
    return KAFKA_OK;
}

/* A corrupt batch: one invalid message from the first offset not delivered yet to the
 * batch's last offset. Nothing when the whole batch lies before the fetch offset. */
static kafka_err_t add_invalid(kafka__msgset_t *s, const kafka_batch_info_t *b, kafka_err_t err, const char *why,
                               int64_t fetch_offset, kafka__scan_t *scan) {
    int64_t last = b->last_offset > b->base_offset ? b->last_offset : b->base_offset;
    advance(scan, last);
    if (last < fetch_offset)
        return KAFKA_OK;
    int64_t first = b->base_offset > fetch_offset ? b->base_offset : fetch_offset;
    if (s->n && s->msgs[s->n - 1].next_offset > first && s->msgs[s->n - 1].next_offset <= last)
        first = s->msgs[s->n - 1].next_offset; /* records of this batch before the damage came through */
    char text[400];
    snprintf(text, sizeof(text), "%s/%d: %s", s->topic, (int)s->partition, why);
    const char *copy = kafka__msgset_copy(s, text, strlen(text) + 1);
    kafka_message_t *m = copy ? kafka__msgset_add(s) : NULL;
    if (!m)
        return KAFKA_ERR__NO_MEMORY;
    m->offset = first;
    m->next_offset = after(last > first ? last : first);
    m->timestamp = -1;
    m->timestamp_type = KAFKA_TIMESTAMP_NONE;
    m->magic = -1;
    m->key_len = m->value_len = -1;
    m->err = err;
    m->errstr = copy;
    return KAFKA_OK;
}

static void scan_partial(const uint8_t *records, size_t len, size_t partial, kafka__scan_t *scan) {
    scan->partial = partial;
    if (!partial || partial > len)
        return;
    const uint8_t *p = records + len - partial;
    if (partial >= 8)
        scan->partial_offset = (int64_t)kafka__ld_be64(p);
    if (partial >= 12) {
        int32_t l = (int32_t)kafka__ld_be32(p + 8);
        scan->partial_size = l >= 0 ? (int64_t)l + 12 : -1;
    }
}

kafka_err_t kafka__msgset_decode(kafka__msgset_t *s, const uint8_t *records, size_t len, int64_t fetch_offset,
                                 bool check_crcs, const kafka__aborted_t *aborted, size_t naborted,
                                 kafka__scan_t *scan) {
    scan->next_offset = fetch_offset;
    scan->partial = 0;
    scan->partial_offset = scan->partial_size = -1;
    scan->last_epoch = -1;
    if (!records || !len)
        return KAFKA_OK;
    txn_filter_t txn;
    if (!txn_init(&txn, aborted, naborted))
        return KAFKA_ERR__NO_MEMORY;
    kafka_records_reader_t *rr = kafka_records_reader_new(records, len, check_crcs, 0);
    if (!rr) {
        free(txn.sorted);
        free(txn.active);
        return KAFKA_ERR__NO_MEMORY;
    }
    /* Control batches are read (not skipped inside the reader) so that the position
     * moves past them, and for their transaction markers. */
    kafka_records_reader_set_skip_control(rr, false);
    kafka_err_t err = KAFKA_OK;
    kafka_record_t rec;
    int rc;
    while (!err && (rc = kafka_records_reader_next(rr, &rec)) != 0) {
        const kafka_batch_info_t *b = kafka_records_reader_batch(rr);
        if (rc < 0) {
            err = add_invalid(s, b, (kafka_err_t)rc, kafka_records_reader_errstr(rr), fetch_offset, scan);
            continue;
        }
        advance(scan, rec.offset > b->last_offset ? rec.offset : b->last_offset);
        if (b->magic == 2)
            scan->last_epoch = b->partition_leader_epoch;
        if (txn_drop(&txn, b, &rec) || b->control || rec.offset < fetch_offset)
            continue;
        err = add_record(s, &rec, b->codec != KAFKA_COMPRESSION_NONE);
    }
    if (!err)
        scan_partial(records, len, kafka_records_reader_partial(rr), scan);
    kafka_records_reader_destroy(rr);
    free(txn.sorted);
    free(txn.active);
    return err;
}

kafka_err_t kafka__msgset_decode_partition(kafka__msgset_t *s, const kafka_fetch_response_partition_data_t *pr,
                                           int64_t fetch_offset, bool check_crcs, bool read_committed,
                                           kafka__scan_t *scan) {
    kafka__aborted_t *aborted = NULL;
    size_t naborted = read_committed && pr->aborted_transactions.count > 0 ? (size_t)pr->aborted_transactions.count : 0;
    if (naborted) {
        if (!(aborted = malloc(naborted * sizeof(*aborted))))
            return KAFKA_ERR__NO_MEMORY;
        for (size_t i = 0; i < naborted; i++)
            aborted[i] = (kafka__aborted_t){pr->aborted_transactions.items[i].producer_id,
                                            pr->aborted_transactions.items[i].first_offset};
    }
    size_t len = pr->records.len > 0 ? (size_t)pr->records.len : 0;
    s->bytes = len;
    kafka_err_t err = kafka__msgset_decode(s, pr->records.data, len, fetch_offset, check_crcs, aborted, naborted, scan);
    free(aborted);
    return err;
}
