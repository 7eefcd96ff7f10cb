/* Fetch down-conversion: a Fetch below v4 cannot read RecordBatch v2 (v0-1 read MessageSet
 * v0, v2-3 v0 and v1), so what it gets from a log holding newer entries is re-encoded as a
 * Kafka broker does (0.10 for v1 messages and Fetch v0-1, 0.11+ for RecordBatch v2).
 * Unlike Kafka, which compresses the converted messages again with the batch's codec, the
 * mock sends them uncompressed: simpler, and every client reads uncompressed sets. Record
 * headers have no place in a MessageSet and are dropped, as by Kafka. */
#include <string.h>

#include "mock/mock_int.h"
#include "proto/reader.h"
#include "util/arena.h"

/* Whether any entry of the record data has a magic above max (entries are whole). */
static bool needs_conversion(const uint8_t *data, size_t len, int max) {
    for (size_t pos = 0; len - pos >= 17;) {
        if (data[pos + 16] > max)
            return true;
        pos += 12 + (size_t)kafka__ld_be32(data + pos + 8);
        if (pos > len)
            break;
    }
    return false;
}

kafka_err_t kmock__downconvert(kmock_req_t *rq, int16_t version, int64_t fetch_offset, const uint8_t **data,
                               size_t *len) {
    int magic = version < 2 ? 0 : 1;
    if (version >= 4 || !*len || !needs_conversion(*data, *len, magic))
        return KAFKA_OK;
    kafka_records_reader_t *rr = kafka_records_reader_new(*data, *len, false, 0);
    if (!rr)
        return KAFKA_ERR__NO_MEMORY;
    kafka_buf_t out = KAFKA_BUF_INIT;
    kafka_record_t rec;
    kafka_err_t err = KAFKA_OK;
    int r;
    while (!err && (r = kafka_records_reader_next(rr, &rec)) != 0) {
        if (r < 0) {
            err = KAFKA_ERR_CORRUPT_MESSAGE;
            break;
        }
        if (rec.offset < fetch_offset)
            continue;
        err = kafka_msgset_append(&out, magic, rec.offset, rec.timestamp, KAFKA_COMPRESSION_NONE, rec.key.data,
                                  rec.key.len, rec.value.data, rec.value.len, NULL, 0);
    }
    kafka_records_reader_destroy(rr);
    uint8_t *copy = err || !out.len ? NULL : kafka__arena_alloc(rq->arena, out.len);
    if (!err && out.len && !copy)
        err = KAFKA_ERR__NO_MEMORY;
    if (copy)
        memcpy(copy, out.data, out.len);
    if (!err) {
        *data = copy;
        *len = copy ? out.len : 0;
    }
    kafka__buf_free(&out);
    return err;
}
