/* RecordBatch v2 encoder: records are encoded on append into the batch buffer, after
 * room left for the 61-byte header; seal writes the header, compresses, and CRCs.
 *
 * Layout (KIP-98): baseOffset i64, batchLength i32, partitionLeaderEpoch i32, magic i8,
 * crc u32 (CRC-32C of attributes..end), attributes i16, lastOffsetDelta i32,
 * baseTimestamp i64, maxTimestamp i64, producerId i64, producerEpoch i16,
 * baseSequence i32, recordCount i32, then the records. */
#include <stdio.h>
#include <stdlib.h>

#include "kafka/protocol.h"
#include "proto/compress.h"
#include "util/buf.h"

struct kafka_batch_s {
    kafka_buf_t buf;    /* header room + uncompressed records */
    kafka_buf_t cbuf;   /* header + compressed records, when sealed with a codec */
    int64_t base_timestamp;
    int64_t max_timestamp;
    int32_t count;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    bool transactional;
    bool sealed;
    kafka_compression_t sealed_codec; /* the codec of the last seal: which buffer holds the wire bytes */
};

kafka_batch_t *kafka_batch_new(size_t capacity) {
    kafka_batch_t *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    if (!kafka__buf_grow(&b->buf, capacity > KAFKA_RECORD_BATCH_OVERHEAD ? capacity : 1024)) {
        free(b);
        return NULL;
    }
    kafka_batch_reset(b);
    return b;
}

void kafka_batch_destroy(kafka_batch_t *b) {
    if (!b)
        return;
    kafka__buf_free(&b->buf);
    kafka__buf_free(&b->cbuf);
    free(b);
}

void kafka_batch_reset(kafka_batch_t *b) {
    kafka__buf_reset(&b->buf);
    kafka__buf_extend(&b->buf, KAFKA_RECORD_BATCH_OVERHEAD);
    b->count = 0;
    b->base_timestamp = b->max_timestamp = 0;
    b->producer_id = -1;
    b->producer_epoch = -1;
    b->base_sequence = -1;
    b->transactional = false;
    b->sealed = false;
}

void kafka_batch_set_producer(kafka_batch_t *b, int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                              bool transactional) {
    b->producer_id = producer_id;
    b->producer_epoch = producer_epoch;
    b->base_sequence = base_sequence;
    b->transactional = transactional;
}

int32_t kafka_batch_count(const kafka_batch_t *b) { return b->count; }
size_t kafka_batch_size(const kafka_batch_t *b) { return b->buf.len; }

static inline uint8_t *put_bytes(uint8_t *p, const void *data, int32_t len) {
    p += kafka__uvarint_put(p, kafka__zigzag32(len));
    if (len > 0) {
        memcpy(p, data, (size_t)len);
        p += len;
    }
    return p;
}

kafka_err_t kafka_batch_append(kafka_batch_t *b, int64_t timestamp_ms, const void *key, int32_t keylen,
                               const void *value, int32_t valuelen, const kafka_header_t *headers, size_t nheaders) {
    if (b->sealed || keylen < -1 || valuelen < -1 || (keylen > 0 && !key) || (valuelen > 0 && !value) ||
        nheaders > INT32_MAX)
        return KAFKA_ERR__INVALID_ARG;
    int64_t base = b->count ? b->base_timestamp : timestamp_ms;
    /* Wraps like the reader's addition, so any timestamp round-trips. */
    int64_t ts_delta = (int64_t)((uint64_t)timestamp_ms - (uint64_t)base);
    int32_t off_delta = b->count;

    /* Size the body first so the length prefix is written once, in place. */
    size_t body = 1 + kafka__varlong_size(ts_delta) + kafka__varint_size(off_delta) + kafka__varint_size(keylen) +
                  (keylen > 0 ? (size_t)keylen : 0) + kafka__varint_size(valuelen) +
                  (valuelen > 0 ? (size_t)valuelen : 0) + kafka__varint_size((int32_t)nheaders);
    for (size_t i = 0; i < nheaders; i++) {
        const kafka_header_t *h = &headers[i];
        if (h->key.len < 0 || h->value.len < -1 || (h->key.len > 0 && !h->key.str) ||
            (h->value.len > 0 && !h->value.data))
            return KAFKA_ERR__INVALID_ARG;
        body += kafka__varint_size(h->key.len) + (size_t)h->key.len + kafka__varint_size(h->value.len) +
                (h->value.len > 0 ? (size_t)h->value.len : 0);
    }
    if (body > INT32_MAX)
        return KAFKA_ERR__INVALID_ARG;
    size_t total = kafka__varint_size((int32_t)body) + body;
    uint8_t *p = kafka__buf_extend(&b->buf, total);
    if (!p)
        return KAFKA_ERR__NO_MEMORY;
    p += kafka__uvarint_put(p, kafka__zigzag32((int32_t)body));
    *p++ = 0; /* record attributes: unused */
    p += kafka__uvarlong_put(p, kafka__zigzag64(ts_delta));
    p += kafka__uvarint_put(p, kafka__zigzag32(off_delta));
    p = put_bytes(p, key, keylen);
    p = put_bytes(p, value, valuelen);
    p += kafka__uvarint_put(p, kafka__zigzag32((int32_t)nheaders));
    for (size_t i = 0; i < nheaders; i++) {
        p = put_bytes(p, headers[i].key.str, headers[i].key.len);
        p = put_bytes(p, headers[i].value.data, headers[i].value.len);
    }
    /* Only now, with the record written, does the batch's header state change. */
    if (b->count == 0)
        b->base_timestamp = b->max_timestamp = timestamp_ms;
    else if (timestamp_ms > b->max_timestamp)
        b->max_timestamp = timestamp_ms;
    b->count++;
    return KAFKA_OK;
}

/* Writes the 61-byte header at hdr for a batch whose total size is len, and its CRC. */
static void write_header(const kafka_batch_t *b, uint8_t *hdr, size_t len, kafka_compression_t codec) {
    int16_t attrs = (int16_t)(codec & KAFKA_BATCH_ATTR_COMPRESSION_MASK);
    if (b->transactional)
        attrs |= KAFKA_BATCH_ATTR_TRANSACTIONAL;
    kafka__be64(hdr + 0, 0);                           /* baseOffset: the broker assigns */
    kafka__be32(hdr + 8, (uint32_t)(len - 12));        /* batchLength */
    kafka__be32(hdr + 12, (uint32_t)-1);               /* partitionLeaderEpoch */
    hdr[16] = 2;                                       /* magic */
    kafka__be16(hdr + 21, (uint16_t)attrs);
    kafka__be32(hdr + 23, (uint32_t)(b->count ? b->count - 1 : 0));
    kafka__be64(hdr + 27, (uint64_t)b->base_timestamp);
    kafka__be64(hdr + 35, (uint64_t)b->max_timestamp);
    kafka__be64(hdr + 43, (uint64_t)b->producer_id);
    kafka__be16(hdr + 51, (uint16_t)b->producer_epoch);
    kafka__be32(hdr + 53, (uint32_t)b->base_sequence);
    kafka__be32(hdr + 57, (uint32_t)b->count);
    kafka__be32(hdr + 17, kafka_crc32c(0, hdr + 21, len - 21));
}

kafka_err_t kafka_batch_seal(kafka_batch_t *b, kafka_compression_t codec, int level, const uint8_t **data,
                             size_t *len, char *errstr, size_t errstr_size) {
    if (b->buf.oom)
        return KAFKA_ERR__NO_MEMORY;
    if (codec == KAFKA_COMPRESSION_NONE) {
        b->sealed = true;
        b->sealed_codec = codec;
        write_header(b, b->buf.data, b->buf.len, codec);
        *data = b->buf.data;
        *len = b->buf.len;
        return KAFKA_OK;
    }
    kafka__buf_reset(&b->cbuf);
    kafka__buf_extend(&b->cbuf, KAFKA_RECORD_BATCH_OVERHEAD);
    kafka_err_t err = kafka__compress(codec, level, b->buf.data + KAFKA_RECORD_BATCH_OVERHEAD,
                                      b->buf.len - KAFKA_RECORD_BATCH_OVERHEAD, &b->cbuf, errstr, errstr_size);
    if (err)
        return err;
    if (b->cbuf.oom)
        return KAFKA_ERR__NO_MEMORY;
    b->sealed = true;
    b->sealed_codec = codec;
    write_header(b, b->cbuf.data, b->cbuf.len, codec);
    *data = b->cbuf.data;
    *len = b->cbuf.len;
    return KAFKA_OK;
}

kafka_err_t kafka_batch_restamp(kafka_batch_t *b, int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                                const uint8_t **data, size_t *len) {
    if (!b->sealed)
        return KAFKA_ERR__INVALID_ARG;
    b->producer_id = producer_id;
    b->producer_epoch = producer_epoch;
    b->base_sequence = base_sequence;
    kafka_buf_t *out = b->sealed_codec == KAFKA_COMPRESSION_NONE ? &b->buf : &b->cbuf;
    write_header(b, out->data, out->len, b->sealed_codec);
    *data = out->data;
    *len = out->len;
    return KAFKA_OK;
}
