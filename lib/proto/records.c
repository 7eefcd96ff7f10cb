/* Record data decoder: MessageSet v0/v1 (compressed wrappers unpacked) and RecordBatch
 * v2, in any mix, with CRC checks, bounded decompression and a silently skipped
 * trailing partial batch (Fetch responses cut at max bytes). A corrupt batch yields one
 * error and the reader moves on to the next batch when the corrupt one's bounds are
 * known. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kafka/protocol.h"
#include "proto/compress.h"
#include "proto/reader.h"
#include "util/buf.h"

#define RECORDS_DEFAULT_MAX_DECOMPRESSED (64u << 20)
#define V2_MIN_LENGTH (KAFKA_RECORD_BATCH_OVERHEAD - 12)
#define MSG_MIN_LENGTH 14 /* crc + magic + attributes + key len + value len */

struct kafka_records_reader_s {
    const uint8_t *data;
    size_t len;
    size_t pos; /* next batch or message of the outer data */
    bool check_crcs;
    bool skip_control;
    size_t max_decompressed;
    kafka_batch_info_t info;
    kafka_reader_t recs; /* records of the current v2 batch */
    int32_t rec_left;
    kafka_reader_t inner; /* inner messages of the current MessageSet wrapper */
    bool in_wrapper;
    int64_t inner_base; /* added to inner offsets: 0 when they are absolute */
    kafka_buf_t decomp;
    kafka_buf_t lz4fix; /* a magic-0 LZ4 wrapper value with its header checksum repaired */
    size_t partial;
    char errstr[256];
    char why[128]; /* scratch for a detail that goes into errstr */
};

kafka_records_reader_t *kafka_records_reader_new(const void *data, size_t len, bool check_crcs,
                                                 size_t max_decompressed) {
    kafka_records_reader_t *rr = calloc(1, sizeof(*rr));
    if (!rr)
        return NULL;
    rr->data = data;
    rr->len = data ? len : 0;
    rr->check_crcs = check_crcs;
    rr->skip_control = true;
    rr->max_decompressed = max_decompressed ? max_decompressed : RECORDS_DEFAULT_MAX_DECOMPRESSED;
    return rr;
}

void kafka_records_reader_destroy(kafka_records_reader_t *rr) {
    if (!rr)
        return;
    kafka__buf_free(&rr->decomp);
    kafka__buf_free(&rr->lz4fix);
    free(rr);
}

void kafka_records_reader_set_skip_control(kafka_records_reader_t *rr, bool skip) { rr->skip_control = skip; }
const kafka_batch_info_t *kafka_records_reader_batch(const kafka_records_reader_t *rr) { return &rr->info; }
const char *kafka_records_reader_errstr(const kafka_records_reader_t *rr) { return rr->errstr; }
size_t kafka_records_reader_partial(const kafka_records_reader_t *rr) { return rr->partial; }

/* Offsets and timestamps come from the wire: hostile values must wrap, not overflow. */
static inline int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }

__attribute__((format(printf, 3, 4))) static int fail(kafka_records_reader_t *rr, kafka_err_t err, const char *fmt,
                                                      ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rr->errstr, sizeof(rr->errstr), fmt, ap);
    va_end(ap);
    rr->rec_left = 0;
    kafka__rd_init(&rr->recs, NULL, 0); /* the rest of a failed batch is dropped */
    rr->in_wrapper = false;
    return err;
}

/* Reads a varint length-prefixed byte field of a v2 record (-1: null). */
static kafka_bytes_t rd_varbytes(kafka_reader_t *r) {
    kafka_bytes_t b = {NULL, kafka__rd_varint(r)};
    if (b.len < -1)
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "negative length");
    else if (b.len > 0)
        b.data = kafka__rd_take(r, (size_t)b.len);
    return b;
}

static int next_v2_record(kafka_records_reader_t *rr, kafka_record_t *rec) {
    kafka_reader_t *r = &rr->recs;
    int32_t len = kafka__rd_varint(r);
    const uint8_t *body = len >= 0 ? kafka__rd_take(r, (size_t)len) : NULL;
    if (!body)
        return fail(rr, KAFKA_ERR__BAD_MSG, "RecordBatch at offset %lld: record %d: bad record length %d",
                    (long long)rr->info.base_offset, rr->info.record_count - rr->rec_left, len);
    kafka_reader_t br;
    kafka__rd_init(&br, body, (size_t)len);
    kafka__rd_i8(&br); /* record attributes: unused */
    int64_t ts_delta = kafka__rd_varlong(&br);
    int32_t off_delta = kafka__rd_varint(&br);
    rec->key = rd_varbytes(&br);
    rec->value = rd_varbytes(&br);
    rec->header_count = kafka__rd_varint(&br);
    rec->headers_raw = br.p;
    if (rec->header_count < 0)
        kafka__rd_fail(&br, KAFKA_ERR__BAD_MSG, "negative header count");
    for (int32_t i = 0; i < rec->header_count && kafka__rd_ok(&br); i++) {
        kafka_bytes_t k = rd_varbytes(&br);
        if (k.len < 0)
            kafka__rd_fail(&br, KAFKA_ERR__BAD_MSG, "null header key");
        rd_varbytes(&br);
    }
    rec->headers_len = (size_t)(br.p - rec->headers_raw);
    if (kafka__rd_ok(&br) && kafka__rd_remaining(&br))
        kafka__rd_fail(&br, KAFKA_ERR__BAD_MSG, "record length does not match its fields");
    if (!kafka__rd_ok(&br))
        return fail(rr, br.err, "RecordBatch at offset %lld: record %d: %s", (long long)rr->info.base_offset,
                    rr->info.record_count - rr->rec_left, br.err_reason);
    rr->rec_left--;
    rec->offset = wrap_add(rr->info.base_offset, off_delta);
    if (rr->info.attributes & KAFKA_BATCH_ATTR_LOG_APPEND_TIME) {
        rec->timestamp = rr->info.max_timestamp;
        rec->timestamp_type = KAFKA_TIMESTAMP_LOG_APPEND_TIME;
    } else {
        rec->timestamp = wrap_add(rr->info.base_timestamp, ts_delta);
        rec->timestamp_type = KAFKA_TIMESTAMP_CREATE_TIME;
    }
    rec->magic = 2;
    return 1;
}

static int open_v2_batch(kafka_records_reader_t *rr, const uint8_t *b, size_t n) {
    kafka_batch_info_t *in = &rr->info;
    kafka_reader_t r;
    kafka__rd_init(&r, b, n);
    in->base_offset = kafka__rd_i64(&r);
    in->length = kafka__rd_i32(&r);
    in->partition_leader_epoch = kafka__rd_i32(&r);
    in->magic = kafka__rd_i8(&r);
    uint32_t crc = (uint32_t)kafka__rd_i32(&r);
    in->attributes = kafka__rd_i16(&r);
    int32_t last_delta = kafka__rd_i32(&r);
    in->base_timestamp = kafka__rd_i64(&r);
    in->max_timestamp = kafka__rd_i64(&r);
    in->producer_id = kafka__rd_i64(&r);
    in->producer_epoch = kafka__rd_i16(&r);
    in->base_sequence = kafka__rd_i32(&r);
    in->record_count = kafka__rd_i32(&r);
    in->last_offset = wrap_add(in->base_offset, last_delta);
    in->codec = (kafka_compression_t)(in->attributes & KAFKA_BATCH_ATTR_COMPRESSION_MASK);
    in->transactional = (in->attributes & KAFKA_BATCH_ATTR_TRANSACTIONAL) != 0;
    in->control = (in->attributes & KAFKA_BATCH_ATTR_CONTROL) != 0;
    if (rr->check_crcs) {
        uint32_t have = kafka_crc32c(0, b + 21, n - 21);
        if (have != crc)
            return fail(rr, KAFKA_ERR__BAD_CRC, "RecordBatch at offset %lld: CRC-32C is %08x, header says %08x",
                        (long long)in->base_offset, have, crc);
    }
    if (in->record_count < 0 || last_delta < 0)
        return fail(rr, KAFKA_ERR__BAD_MSG, "RecordBatch at offset %lld: negative record count %d or last offset delta %d",
                    (long long)in->base_offset, in->record_count, last_delta);
    if (in->control && rr->skip_control)
        return 0;
    const uint8_t *recs = b + KAFKA_RECORD_BATCH_OVERHEAD;
    size_t nrecs = n - KAFKA_RECORD_BATCH_OVERHEAD;
    if (in->codec != KAFKA_COMPRESSION_NONE) {
        kafka__buf_reset(&rr->decomp);
        char why[200];
        kafka_err_t err = kafka__decompress(in->codec, recs, nrecs, rr->max_decompressed, &rr->decomp, why,
                                            sizeof(why));
        if (err)
            return fail(rr, err, "RecordBatch at offset %lld: %s", (long long)in->base_offset, why);
        recs = rr->decomp.data;
        nrecs = rr->decomp.len;
    }
    /* Each record takes at least 7 bytes: a count beyond that is a lie. */
    if ((uint64_t)in->record_count * 7 > nrecs)
        return fail(rr, KAFKA_ERR__BAD_MSG, "RecordBatch at offset %lld: %d records cannot fit in %zu bytes",
                    (long long)in->base_offset, in->record_count, nrecs);
    kafka__rd_init(&rr->recs, recs, nrecs);
    rr->rec_left = in->record_count;
    return 0;
}

/* Parses one MessageSet message at r into rec; the value may be a compressed set. */
static kafka_err_t parse_message(kafka_records_reader_t *rr, kafka_reader_t *r, kafka_record_t *rec, int *codec,
                                 const char **why) {
    /* Everything the caller may read on an error path gets a value first. */
    *codec = KAFKA_COMPRESSION_NONE;
    rec->magic = -1;
    rec->timestamp = -1;
    rec->timestamp_type = KAFKA_TIMESTAMP_NONE;
    rec->key.data = rec->value.data = NULL;
    rec->key.len = rec->value.len = -1;
    rec->header_count = 0;
    rec->headers_raw = NULL;
    rec->headers_len = 0;
    rec->offset = kafka__rd_i64(r);
    int32_t size = kafka__rd_i32(r);
    if (!kafka__rd_ok(r) || size < MSG_MIN_LENGTH || (size_t)size > kafka__rd_remaining(r)) {
        *why = "bad message size";
        return kafka__rd_ok(r) && size >= MSG_MIN_LENGTH ? KAFKA_ERR__TRUNCATED : KAFKA_ERR__BAD_MSG;
    }
    const uint8_t *m = kafka__rd_take(r, (size_t)size);
    kafka_reader_t mr;
    kafka__rd_init(&mr, m, (size_t)size);
    uint32_t crc = (uint32_t)kafka__rd_i32(&mr);
    rec->magic = kafka__rd_i8(&mr);
    int8_t attrs = kafka__rd_i8(&mr);
    if (rec->magic != 0 && rec->magic != 1) {
        *why = "unknown message magic";
        return KAFKA_ERR__BAD_MSG;
    }
    if (rr->check_crcs && kafka_crc32(0, m + 4, (size_t)size - 4) != crc) {
        snprintf(rr->why, sizeof(rr->why), "CRC-32 is %08x, message says %08x", kafka_crc32(0, m + 4, (size_t)size - 4),
                 crc);
        *why = rr->why;
        return KAFKA_ERR__BAD_CRC;
    }
    if (rec->magic == 1) {
        rec->timestamp = kafka__rd_i64(&mr);
        rec->timestamp_type = (attrs & KAFKA_BATCH_ATTR_LOG_APPEND_TIME) ? KAFKA_TIMESTAMP_LOG_APPEND_TIME
                                                                          : KAFKA_TIMESTAMP_CREATE_TIME;
    }
    int32_t kl = kafka__rd_i32(&mr);
    rec->key.len = kl;
    rec->key.data = kl > 0 ? kafka__rd_take(&mr, (size_t)kl) : NULL;
    int32_t vl = kafka__rd_i32(&mr);
    rec->value.len = vl;
    rec->value.data = vl > 0 ? kafka__rd_take(&mr, (size_t)vl) : NULL;
    if (kl < -1 || vl < -1)
        kafka__rd_fail(&mr, KAFKA_ERR__BAD_MSG, "negative length");
    if (kafka__rd_ok(&mr) && kafka__rd_remaining(&mr))
        kafka__rd_fail(&mr, KAFKA_ERR__BAD_MSG, "message size does not match its fields");
    if (!kafka__rd_ok(&mr)) {
        *why = mr.err_reason;
        return mr.err == KAFKA_ERR__TRUNCATED ? KAFKA_ERR__BAD_MSG : mr.err;
    }
    *codec = attrs & KAFKA_BATCH_ATTR_COMPRESSION_MASK;
    return KAFKA_OK;
}

static void set_msg_info(kafka_records_reader_t *rr, const kafka_record_t *rec, int codec) {
    kafka_batch_info_t *in = &rr->info;
    memset(in, 0, sizeof(*in));
    in->base_offset = in->last_offset = rec->offset;
    in->magic = rec->magic;
    in->codec = (kafka_compression_t)codec;
    in->attributes = (int16_t)codec;
    in->base_timestamp = in->max_timestamp = rec->timestamp;
    in->producer_id = -1;
    in->producer_epoch = -1;
    in->base_sequence = -1;
    in->partition_leader_epoch = -1;
    in->record_count = 1;
}

/* A compressed wrapper: decompress its inner set and work out how inner offsets map to
 * absolute ones (v1 inner offsets are relative, the wrapper carries the last one). */
static int open_wrapper(kafka_records_reader_t *rr, const kafka_record_t *w, int codec) {
    char why[200];
    kafka__buf_reset(&rr->decomp);
    if (w->value.len <= 0)
        return fail(rr, KAFKA_ERR__BAD_MSG, "MessageSet at offset %lld: compressed wrapper without a value",
                    (long long)w->offset);
    const uint8_t *src = w->value.data;
    if (codec == KAFKA_COMPRESSION_LZ4 && w->magic == 0) {
        kafka__buf_reset(&rr->lz4fix);
        kafka__buf_write(&rr->lz4fix, src, (size_t)w->value.len);
        if (rr->lz4fix.oom)
            return fail(rr, KAFKA_ERR__NO_MEMORY, "MessageSet at offset %lld: out of memory", (long long)w->offset);
        kafka__lz4_set_header_checksum(rr->lz4fix.data, rr->lz4fix.len, false);
        src = rr->lz4fix.data;
    }
    kafka_err_t err = kafka__decompress((kafka_compression_t)codec, src, (size_t)w->value.len, rr->max_decompressed,
                                        &rr->decomp, why, sizeof(why));
    if (err)
        return fail(rr, err, "MessageSet at offset %lld: %s", (long long)w->offset, why);
    kafka__rd_init(&rr->inner, rr->decomp.data, rr->decomp.len);
    rr->inner_base = 0;
    rr->info.record_count = 0;
    /* Inner messages must share the wrapper's magic; a v1 wrapper carries the absolute
     * offset of its last inner message, whose own offsets are relative (0..n-1). A
     * wrapper at offset 0 (what a producer sends) means the inner offsets are as is. */
    kafka_reader_t scan;
    kafka__rd_init(&scan, rr->decomp.data, rr->decomp.len);
    int64_t last = 0;
    while (kafka__rd_remaining(&scan) >= 17) {
        last = kafka__rd_i64(&scan);
        int32_t sz = kafka__rd_i32(&scan);
        const uint8_t *m = sz >= MSG_MIN_LENGTH ? kafka__rd_take(&scan, (size_t)sz) : NULL;
        if (!m)
            break;
        if (m[4] != w->magic)
            return fail(rr, KAFKA_ERR__BAD_MSG, "MessageSet at offset %lld: inner message magic %d in a magic %d wrapper",
                        (long long)w->offset, m[4], w->magic);
        rr->info.record_count++;
    }
    if (rr->info.record_count == 0)
        return fail(rr, KAFKA_ERR__BAD_MSG, "MessageSet at offset %lld: compressed wrapper with no inner message",
                    (long long)w->offset);
    if (w->magic == 1 && w->offset != 0) {
        if (last < 0) /* relative offsets count from 0: a negative one is corrupt (and would overflow) */
            return fail(rr, KAFKA_ERR__BAD_MSG, "MessageSet at offset %lld: negative inner offset %lld",
                        (long long)w->offset, (long long)last);
        if (w->offset < last)
            return fail(rr, KAFKA_ERR__BAD_MSG,
                        "MessageSet at offset %lld: wrapper offset is below its last inner offset %lld",
                        (long long)w->offset, (long long)last);
        rr->inner_base = w->offset - last;
    }
    rr->in_wrapper = true;
    return 0;
}

static int next_inner(kafka_records_reader_t *rr, kafka_record_t *rec) {
    if (!kafka__rd_remaining(&rr->inner)) {
        rr->in_wrapper = false;
        return 0;
    }
    int64_t wrapper_ts = rr->info.max_timestamp;
    bool log_append = (rr->info.attributes & KAFKA_BATCH_ATTR_LOG_APPEND_TIME) != 0;
    int codec;
    const char *why = NULL;
    kafka_err_t err = parse_message(rr, &rr->inner, rec, &codec, &why);
    if (err)
        return fail(rr, err == KAFKA_ERR__TRUNCATED ? KAFKA_ERR__BAD_MSG : err,
                    "MessageSet wrapper at offset %lld: inner message: %s", (long long)rr->info.last_offset, why);
    if (codec != KAFKA_COMPRESSION_NONE)
        return fail(rr, KAFKA_ERR__BAD_MSG, "MessageSet wrapper at offset %lld: nested compression",
                    (long long)rr->info.last_offset);
    rec->offset = wrap_add(rec->offset, rr->inner_base);
    if (log_append) {
        rec->timestamp = wrapper_ts;
        rec->timestamp_type = KAFKA_TIMESTAMP_LOG_APPEND_TIME;
    }
    return 1;
}

int kafka_records_reader_next(kafka_records_reader_t *rr, kafka_record_t *rec) {
    for (;;) {
        if (rr->rec_left == 0 && rr->info.magic == 2 && kafka__rd_remaining(&rr->recs)) {
            size_t extra = kafka__rd_remaining(&rr->recs);
            return fail(rr, KAFKA_ERR__BAD_MSG, "RecordBatch at offset %lld: %zu bytes after its %d records",
                        (long long)rr->info.base_offset, extra, rr->info.record_count);
        }
        if (rr->rec_left > 0) {
            if (!kafka__rd_remaining(&rr->recs))
                return fail(rr, KAFKA_ERR__BAD_MSG, "RecordBatch at offset %lld: %d of %d records missing",
                            (long long)rr->info.base_offset, rr->rec_left, rr->info.record_count);
            return next_v2_record(rr, rec);
        }
        if (rr->in_wrapper) {
            int rc = next_inner(rr, rec);
            if (rc)
                return rc;
            continue;
        }
        size_t left = rr->len - rr->pos;
        if (left == 0)
            return 0;
        const uint8_t *b = rr->data + rr->pos;
        if (left < 17) {
            rr->partial = left;
            rr->pos = rr->len;
            return 0;
        }
        int64_t base = (int64_t)kafka__ld_be64(b);
        int32_t length = (int32_t)kafka__ld_be32(b + 8);
        int8_t magic = (int8_t)b[16];
        int32_t min = magic == 2 ? V2_MIN_LENGTH : MSG_MIN_LENGTH;
        if (length < min || magic < 0 || magic > 2) {
            rr->pos = rr->len; /* no way to find the next batch */
            memset(&rr->info, 0, sizeof(rr->info));
            rr->info.base_offset = base;
            if (magic < 0 || magic > 2)
                return fail(rr, KAFKA_ERR__BAD_MSG, "batch at offset %lld: unknown magic %d", (long long)base, magic);
            return fail(rr, KAFKA_ERR__BAD_MSG, "batch at offset %lld: length %d is below the minimum %d",
                        (long long)base, length, min);
        }
        if ((uint64_t)length + 12 > left) {
            /* A Fetch response may end in a partial batch: not an error. */
            rr->partial = left;
            rr->pos = rr->len;
            return 0;
        }
        size_t n = (size_t)length + 12;
        rr->pos += n;
        if (magic == 2) {
            int rc = open_v2_batch(rr, b, n);
            if (rc)
                return rc;
            continue;
        }
        kafka_reader_t r;
        kafka__rd_init(&r, b, n);
        int codec;
        const char *why = NULL;
        kafka_err_t err = parse_message(rr, &r, rec, &codec, &why);
        set_msg_info(rr, rec, codec);
        if (err)
            return fail(rr, err, "MessageSet at offset %lld: %s", (long long)base, why);
        if (codec == KAFKA_COMPRESSION_NONE)
            return 1;
        if (rec->timestamp_type == KAFKA_TIMESTAMP_LOG_APPEND_TIME)
            rr->info.attributes |= KAFKA_BATCH_ATTR_LOG_APPEND_TIME;
        int rc = open_wrapper(rr, rec, codec);
        if (rc)
            return rc;
    }
}

int kafka_record_headers(const kafka_record_t *rec, kafka_header_t *out, int max) {
    kafka_reader_t r;
    kafka__rd_init(&r, rec->headers_raw, rec->headers_len);
    int n = 0;
    for (int32_t i = 0; i < rec->header_count && n < max && kafka__rd_ok(&r); i++) {
        kafka_bytes_t k = rd_varbytes(&r);
        kafka_bytes_t v = rd_varbytes(&r);
        if (!kafka__rd_ok(&r))
            break;
        out[n].key.str = k.len > 0 ? (const char *)k.data : "";
        out[n].key.len = k.len;
        out[n].value = v;
        n++;
    }
    return n;
}
