/* Old brokers (Produce v0-2, Kafka 0.8-0.10): the accumulator builds RecordBatch v2,
 * which they cannot read, so a batch bound for one is re-encoded as a MessageSet of
 * magic 0 (v0-1) or 1 (v2) when it is first sent, compressed as configured, and kept
 * for its retries. The slow path: only brokers older than Kafka 0.11 take it. */
#include <stdio.h>
#include <stdlib.h>

#include "producer/producer_int.h"
#include "util/buf.h"

kafka_err_t kafka__pbatch_to_msgset(kafka__pbatch_t *pb, int magic, kafka_compression_t codec, char *why,
                                    size_t why_size) {
    if (codec == KAFKA_COMPRESSION_ZSTD) {
        snprintf(why, why_size, "compression.type zstd needs a broker with Produce v7 (Kafka 2.1); this one speaks "
                                "MessageSet v%d",
                 magic);
        return KAFKA_ERR__UNSUPPORTED_COMPRESSION;
    }
    kafka_records_reader_t *rr = kafka_records_reader_new(pb->data, pb->len, false, 0);
    if (!rr)
        return KAFKA_ERR__NO_MEMORY;
    kafka_buf_t out = KAFKA_BUF_INIT, inner = KAFKA_BUF_INIT;
    kafka_buf_t *dst = codec == KAFKA_COMPRESSION_NONE ? &out : &inner;
    kafka_err_t e = KAFKA_OK;
    kafka_record_t rec;
    int r;
    int64_t i = 0, first_ts = 0;
    while ((r = kafka_records_reader_next(rr, &rec)) == 1) {
        if (rec.header_count) {
            snprintf(why, why_size, "message %lld has headers, which MessageSet v%d (this broker's) cannot carry",
                     (long long)i, magic);
            e = KAFKA_ERR__INVALID_ARG;
            break;
        }
        if (i == 0)
            first_ts = rec.timestamp;
        e = kafka_msgset_append(dst, magic, i, rec.timestamp, KAFKA_COMPRESSION_NONE, rec.key.data, rec.key.len,
                                rec.value.data, rec.value.len, why, why_size);
        if (e)
            break;
        i++;
    }
    if (!e && r < 0) {
        snprintf(why, why_size, "re-encoding for an old broker: %s", kafka_records_reader_errstr(rr));
        e = (kafka_err_t)r;
    }
    if (!e && codec != KAFKA_COMPRESSION_NONE) {
        if (inner.len > INT32_MAX) {
            snprintf(why, why_size, "a batch of %zu bytes is too large for one compressed message", inner.len);
            e = KAFKA_ERR__MSG_TOO_LARGE;
        } else {
            /* The wrapper's offset is 0 from a producer: the broker assigns. */
            e = kafka_msgset_append(&out, magic, 0, first_ts, codec, NULL, -1, inner.data,
                                    (int32_t)inner.len, why, why_size);
        }
    }
    if (!e && out.oom)
        e = KAFKA_ERR__NO_MEMORY;
    kafka_records_reader_destroy(rr);
    kafka__buf_free(&inner);
    if (e) {
        kafka__buf_free(&out);
        return e;
    }
    free(pb->alt);
    pb->alt = out.data;
    pb->altlen = out.len;
    pb->alt_magic = (int8_t)magic;
    return KAFKA_OK;
}
