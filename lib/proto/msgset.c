/* MessageSet v0/v1 encoder (the 0.8 protocol's format and its 0.10 successor).
 *
 * Message: offset i64, size i32, crc u32 (CRC-32 of magic..end), magic i8,
 * attributes i8 (low 3 bits: codec; bit 3: log-append time in v1), timestamp i64 (v1
 * only), key bytes, value bytes. A compressed set is one wrapper message whose value is
 * the compressed inner message set. */
#include <stdio.h>

#include "kafka/protocol.h"
#include "proto/compress.h"
#include "util/buf.h"

kafka_err_t kafka_msgset_append(kafka_buf_t *out, int magic, int64_t offset, int64_t timestamp_ms,
                                kafka_compression_t codec, const void *key, int32_t keylen, const void *value,
                                int32_t valuelen, char *errstr, size_t errstr_size) {
    if ((magic != 0 && magic != 1) || keylen < -1 || valuelen < -1 || (keylen > 0 && !key) ||
        (valuelen > 0 && !value)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "invalid MessageSet argument (magic %d, key length %d, value length %d)",
                     magic, keylen, valuelen);
        return KAFKA_ERR__INVALID_ARG;
    }
    if (codec == KAFKA_COMPRESSION_ZSTD || codec < 0 || codec > KAFKA_COMPRESSION_ZSTD) {
        /* zstd arrived with RecordBatch v2 (KIP-110): brokers refuse it in MessageSets. */
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "MessageSet v%d cannot carry %s compression", magic,
                     kafka_compression_name(codec));
        return KAFKA_ERR__UNSUPPORTED_COMPRESSION;
    }
    kafka_buf_t packed = KAFKA_BUF_INIT;
    if (codec != KAFKA_COMPRESSION_NONE) {
        kafka_err_t err = kafka__compress(codec, -1, value, valuelen > 0 ? (size_t)valuelen : 0, &packed, errstr,
                                          errstr_size);
        if (err) {
            kafka__buf_free(&packed);
            return err;
        }
        if (codec == KAFKA_COMPRESSION_LZ4 && magic == 0)
            kafka__lz4_set_header_checksum(packed.data, packed.len, true); /* what magic-0 readers expect */
        if (packed.len > INT32_MAX - 64) {
            kafka__buf_free(&packed);
            return KAFKA_ERR__MSG_TOO_LARGE;
        }
        value = packed.data;
        valuelen = (int32_t)packed.len;
    }
    size_t body = 4 + 1 + 1 + (magic ? 8 : 0) + 4 + (keylen > 0 ? (size_t)keylen : 0) + 4 +
                  (valuelen > 0 ? (size_t)valuelen : 0);
    if (body > INT32_MAX) {
        kafka__buf_free(&packed);
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "MessageSet message of %zu bytes exceeds the format's limit", body);
        return KAFKA_ERR__MSG_TOO_LARGE;
    }
    uint8_t *p = kafka__buf_extend(out, 12 + body);
    if (!p) {
        kafka__buf_free(&packed);
        return KAFKA_ERR__NO_MEMORY;
    }
    kafka__be64(p, (uint64_t)offset);
    kafka__be32(p + 8, (uint32_t)body);
    uint8_t *m = p + 16; /* magic: the CRC covers from here */
    uint8_t *q = m;
    *q++ = (uint8_t)magic;
    *q++ = (uint8_t)(codec & KAFKA_BATCH_ATTR_COMPRESSION_MASK);
    if (magic) {
        kafka__be64(q, (uint64_t)timestamp_ms);
        q += 8;
    }
    kafka__be32(q, (uint32_t)keylen);
    q += 4;
    if (keylen > 0) {
        memcpy(q, key, (size_t)keylen);
        q += keylen;
    }
    kafka__be32(q, (uint32_t)valuelen);
    q += 4;
    if (valuelen > 0) {
        memcpy(q, value, (size_t)valuelen);
        q += valuelen;
    }
    kafka__be32(p + 12, kafka_crc32(0, m, (size_t)(q - m)));
    kafka__buf_free(&packed);
    return KAFKA_OK;
}
