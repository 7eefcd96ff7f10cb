/* Record formats: RecordBatch v2 and MessageSet v0/v1, every codec, and bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/protocol.h"
#include "proto/compress.h"
#include "util/buf.h"
#include "testutil.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static const kafka_compression_t codecs[] = {KAFKA_COMPRESSION_NONE, KAFKA_COMPRESSION_GZIP,
                                             KAFKA_COMPRESSION_SNAPPY, KAFKA_COMPRESSION_LZ4,
                                             KAFKA_COMPRESSION_ZSTD};

/* Builds record i's key/value: every 7th key null, every 11th value null, every 13th
 * value empty, record 5's value large. */
static void record_kv(int i, char *key, int32_t *kl, char *val, int32_t *vl) {
    *kl = i % 7 == 3 ? -1 : snprintf(key, 32, "key-%d", i);
    if (i % 11 == 4) {
        *vl = -1;
    } else if (i % 13 == 6) {
        *vl = 0;
    } else if (i == 5) {
        memset(val, 'v', 5000);
        *vl = 5000;
    } else {
        *vl = snprintf(val, 64, "value-%d-%s", i, "payload");
    }
}

static void check_batch_roundtrip(kafka_compression_t codec, int n) {
    kafka_batch_t *b = kafka_batch_new(0);
    char key[32], val[5001];
    int32_t kl, vl;
    for (int i = 0; i < n; i++) {
        record_kv(i, key, &kl, val, &vl);
        kafka_header_t h[2] = {{kafka_str("h1"), {(const uint8_t *)"v1", 2}}, {kafka_str("nullhdr"), {NULL, -1}}};
        CU_ASSERT_EQUAL(kafka_batch_append(b, 1700000000000 + i * 3, key, kl, val, vl, h, (size_t)(i % 3)), KAFKA_OK);
    }
    kafka_batch_set_producer(b, 1234, 5, 77, false);
    const uint8_t *data;
    size_t len;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, codec, -1, &data, &len, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(data[16], 2);
    kafka_records_reader_t *rr = kafka_records_reader_new(data, len, true, 0);
    kafka_record_t rec;
    int got = 0, rc;
    while ((rc = kafka_records_reader_next(rr, &rec)) == 1) {
        record_kv(got, key, &kl, val, &vl);
        CU_ASSERT_EQUAL(rec.offset, got);
        CU_ASSERT_EQUAL(rec.timestamp, 1700000000000 + got * 3);
        CU_ASSERT_EQUAL(rec.timestamp_type, KAFKA_TIMESTAMP_CREATE_TIME);
        CU_ASSERT_EQUAL(rec.key.len, kl);
        if (kl > 0) CU_ASSERT(memcmp(rec.key.data, key, (size_t)kl) == 0);
        CU_ASSERT_EQUAL(rec.value.len, vl);
        if (vl > 0) CU_ASSERT(memcmp(rec.value.data, val, (size_t)vl) == 0);
        CU_ASSERT_EQUAL(rec.header_count, got % 3);
        kafka_header_t hs[4];
        CU_ASSERT_EQUAL(kafka_record_headers(&rec, hs, 4), got % 3);
        if (got % 3 >= 1) CU_ASSERT(hs[0].key.len == 2 && !memcmp(hs[0].key.str, "h1", 2) && hs[0].value.len == 2);
        if (got % 3 == 2) CU_ASSERT(hs[1].value.len == -1);
        got++;
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(got, n);
    const kafka_batch_info_t *bi = kafka_records_reader_batch(rr);
    CU_ASSERT_EQUAL(bi->codec, codec);
    CU_ASSERT_EQUAL(bi->producer_id, 1234);
    CU_ASSERT_EQUAL(bi->producer_epoch, 5);
    CU_ASSERT_EQUAL(bi->base_sequence, 77);
    CU_ASSERT_EQUAL(bi->record_count, n);
    CU_ASSERT_EQUAL(bi->last_offset, n - 1);
    CU_ASSERT_EQUAL(bi->max_timestamp, 1700000000000 + (n - 1) * 3);
    CU_ASSERT_EQUAL(kafka_records_reader_partial(rr), 0);
    kafka_records_reader_destroy(rr);
    /* Appending to a sealed batch is refused; after reset it works again. */
    CU_ASSERT_EQUAL(kafka_batch_append(b, 1, "k", 1, "v", 1, NULL, 0), KAFKA_ERR__INVALID_ARG);
    kafka_batch_reset(b);
    CU_ASSERT_EQUAL(kafka_batch_count(b), 0);
    CU_ASSERT_EQUAL(kafka_batch_size(b), KAFKA_RECORD_BATCH_OVERHEAD);
    kafka_batch_destroy(b);
}

static void test_batch_roundtrip_all_codecs(void) {
    for (size_t c = 0; c < 5; c++) {
        check_batch_roundtrip(codecs[c], 1);
        check_batch_roundtrip(codecs[c], 100);
    }
}

/* Known-answer header bytes of a one-record batch built by hand from the spec. */
static void test_batch_known_bytes(void) {
    kafka_batch_t *b = kafka_batch_new(0);
    CU_ASSERT_EQUAL(kafka_batch_append(b, 1000, "k", 1, "v", 1, NULL, 0), KAFKA_OK);
    const uint8_t *d;
    size_t len;
    CU_ASSERT_EQUAL(kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0), KAFKA_OK);
    /* record: len 8 (zigzag 16 = 0x10), attrs 0, ts delta 0, off delta 0, key 1 'k', value 1 'v', 0 headers */
    static const uint8_t rec[] = {0x10, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0};
    CU_ASSERT_EQUAL(len, 61 + sizeof(rec));
    CU_ASSERT(memcmp(d + 61, rec, sizeof(rec)) == 0);
    CU_ASSERT_EQUAL(be32(d + 8), (uint32_t)(len - 12));
    CU_ASSERT_EQUAL(d[16], 2);
    CU_ASSERT_EQUAL(be32(d + 17), kafka_crc32c(0, d + 21, len - 21));
    CU_ASSERT_EQUAL(be32(d + 57), 1);
    kafka_batch_destroy(b);
}

static void build_msgset(kafka_buf_t *out, int magic, kafka_compression_t codec, int n, int64_t base) {
    if (codec == KAFKA_COMPRESSION_NONE) {
        for (int i = 0; i < n; i++) {
            char k[16], v[32];
            int kl = snprintf(k, sizeof(k), "k%d", i), vl = snprintf(v, sizeof(v), "msg-%d", i);
            CU_ASSERT_EQUAL(kafka_msgset_append(out, magic, base + i, 1600000000000 + i, KAFKA_COMPRESSION_NONE,
                                                i == 1 ? NULL : k, i == 1 ? -1 : kl, v, vl, NULL, 0), KAFKA_OK);
        }
        return;
    }
    kafka_buf_t inner = KAFKA_BUF_INIT;
    /* v1 producers and brokers use relative inner offsets 0..n-1; v0 brokers absolute. */
    build_msgset(&inner, magic, KAFKA_COMPRESSION_NONE, n, magic == 1 ? 0 : base);
    CU_ASSERT_EQUAL(kafka_msgset_append(out, magic, base + n - 1, 1600000000000 + n - 1, codec, NULL, -1, inner.data,
                                        (int32_t)inner.len, NULL, 0), KAFKA_OK);
    kafka__buf_free(&inner);
}

static void test_msgset_roundtrip(void) {
    for (int magic = 0; magic <= 1; magic++) {
        for (size_t c = 0; c < 4; c++) { /* zstd needs RecordBatch v2 */
            kafka_buf_t b = KAFKA_BUF_INIT;
            build_msgset(&b, magic, codecs[c], 10, 500);
            build_msgset(&b, magic, codecs[c], 3, 510); /* a second set after the first */
            kafka_records_reader_t *rr = kafka_records_reader_new(b.data, b.len, true, 0);
            kafka_record_t rec;
            int got = 0, rc;
            while ((rc = kafka_records_reader_next(rr, &rec)) == 1) {
                int i = got < 10 ? got : got - 10;
                char v[32];
                int vl = snprintf(v, sizeof(v), "msg-%d", i);
                CU_ASSERT_EQUAL(rec.offset, 500 + got);
                CU_ASSERT_EQUAL(rec.magic, magic);
                CU_ASSERT(rec.value.len == vl && memcmp(rec.value.data, v, (size_t)vl) == 0);
                CU_ASSERT_EQUAL(rec.key.len, i == 1 ? -1 : (i < 10 ? 2 : 3));
                CU_ASSERT_EQUAL(rec.timestamp, magic ? 1600000000000 + i : -1);
                CU_ASSERT_EQUAL(rec.timestamp_type, magic ? KAFKA_TIMESTAMP_CREATE_TIME : KAFKA_TIMESTAMP_NONE);
                got++;
            }
            if (rc != 0) fprintf(stderr, "magic %d codec %zu: %s\n", magic, c, kafka_records_reader_errstr(rr));
            CU_ASSERT_EQUAL(rc, 0);
            CU_ASSERT_EQUAL(got, 13);
            kafka_records_reader_destroy(rr);
            kafka__buf_free(&b);
        }
    }
}

/* The classic 0.8 message, written by hand: offset 0, "hi" value, no key. */
static void test_msgset_v0_known_bytes(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    CU_ASSERT_EQUAL(kafka_msgset_append(&b, 0, 0, 0, KAFKA_COMPRESSION_NONE, NULL, -1, "hi", 2, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(b.len, KAFKA_MESSAGE_OVERHEAD + 2);
    static const uint8_t tail[] = {0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 'h', 'i'};
    CU_ASSERT(memcmp(b.data + 16, tail, sizeof(tail)) == 0);
    CU_ASSERT_EQUAL(be32(b.data + 12), kafka_crc32(0, b.data + 16, sizeof(tail)));
    kafka__buf_free(&b);
}

/* Every prefix of two batches: the cut one is a silent partial, never a crash. */
static void test_partial_and_truncation(void) {
    kafka_buf_t all = KAFKA_BUF_INIT;
    for (int k = 0; k < 2; k++) {
        kafka_batch_t *b = kafka_batch_new(0);
        for (int i = 0; i < 5; i++) kafka_batch_append(b, 1, "key", 3, "value", 5, NULL, 0);
        const uint8_t *d;
        size_t len;
        kafka_batch_seal(b, k ? KAFKA_COMPRESSION_LZ4 : KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0);
        kafka__buf_write(&all, d, len);
        kafka_batch_destroy(b);
    }
    size_t first = 12 + be32(all.data + 8);
    for (size_t n = 0; n <= all.len; n++) {
        kafka_records_reader_t *rr = kafka_records_reader_new(all.data, n, true, 0);
        kafka_record_t rec;
        int got = 0, rc;
        while ((rc = kafka_records_reader_next(rr, &rec)) == 1) got++;
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(got, n < first ? 0 : n < all.len ? 5 : 10);
        CU_ASSERT_EQUAL(kafka_records_reader_partial(rr), n < first ? n : n - (n < all.len ? first : all.len));
        kafka_records_reader_destroy(rr);
    }
    kafka__buf_free(&all);
}

/* A flipped bit: CRC error naming the offset; the next batch is still read. Without CRC
 * checks, corrupt compressed data is reported instead. */
static void test_bad_crc_and_compression(void) {
    kafka_buf_t all = KAFKA_BUF_INIT;
    for (int k = 0; k < 2; k++) {
        kafka_batch_t *b = kafka_batch_new(0);
        for (int i = 0; i < 50; i++) kafka_batch_append(b, 1, "key", 3, "value value value", 17, NULL, 0);
        const uint8_t *d;
        size_t len;
        kafka_batch_seal(b, KAFKA_COMPRESSION_ZSTD, -1, &d, &len, NULL, 0);
        kafka__buf_write(&all, d, len);
        kafka_batch_destroy(b);
    }
    all.data[KAFKA_RECORD_BATCH_OVERHEAD + 5] ^= 0x40;
    for (int check = 1; check >= 0; check--) {
        kafka_records_reader_t *rr = kafka_records_reader_new(all.data, all.len, check, 0);
        kafka_record_t rec;
        int rc = kafka_records_reader_next(rr, &rec);
        CU_ASSERT_EQUAL(rc, check ? KAFKA_ERR__BAD_CRC : KAFKA_ERR__BAD_COMPRESSION);
        CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "offset 0") != NULL);
        int got = 0;
        while ((rc = kafka_records_reader_next(rr, &rec)) == 1) got++;
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(got, 50);
        kafka_records_reader_destroy(rr);
    }
    kafka__buf_free(&all);
}

static void test_malformed_batches(void) {
    /* A length below the v2 minimum ends the iteration with an error. */
    uint8_t small[70] = {0};
    small[11] = 10;
    small[16] = 2;
    kafka_records_reader_t *rr = kafka_records_reader_new(small, sizeof(small), false, 0);
    kafka_record_t rec;
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "minimum") != NULL);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 0);
    kafka_records_reader_destroy(rr);
    /* Unknown magic. */
    small[11] = 60;
    small[16] = 7;
    rr = kafka_records_reader_new(small, sizeof(small), false, 0);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "magic 7") != NULL);
    kafka_records_reader_destroy(rr);
    /* A record count far larger than the bytes; then a record whose varint never ends. */
    kafka_batch_t *b = kafka_batch_new(0);
    kafka_batch_append(b, 1, "k", 1, "v", 1, NULL, 0);
    const uint8_t *d;
    size_t len;
    kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0);
    uint8_t *m = malloc(len + 8);
    memcpy(m, d, len);
    m[57] = 0x7f;
    rr = kafka_records_reader_new(m, len, false, 0);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    kafka_records_reader_destroy(rr);
    memcpy(m, d, len);
    memset(m + 61, 0xff, len - 61);
    rr = kafka_records_reader_new(m, len, false, 0);
    CU_ASSERT(kafka_records_reader_next(rr, &rec) < 0);
    CU_ASSERT(kafka_records_reader_errstr(rr)[0] != 0);
    kafka_records_reader_destroy(rr);
    /* A negative key length inside a record (zigzag 0x05 = -3). */
    memcpy(m, d, len);
    m[61 + 4] = 0x05;
    rr = kafka_records_reader_new(m, len, false, 0);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "negative length") != NULL);
    kafka_records_reader_destroy(rr);
    free(m);
    kafka_batch_destroy(b);
}

/* Control batches (transaction markers) are skipped; log-append time is honoured. */
static void test_control_and_log_append_time(void) {
    kafka_buf_t all = KAFKA_BUF_INIT;
    for (int k = 0; k < 2; k++) {
        kafka_batch_t *b = kafka_batch_new(0);
        kafka_batch_append(b, 5, "k", 1, "v", 1, NULL, 0);
        const uint8_t *d;
        size_t len;
        kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0);
        uint8_t *p = kafka__buf_extend(&all, len);
        memcpy(p, d, len);
        uint16_t attrs = k == 0 ? KAFKA_BATCH_ATTR_CONTROL | KAFKA_BATCH_ATTR_TRANSACTIONAL
                                : KAFKA_BATCH_ATTR_LOG_APPEND_TIME;
        p[21] = (uint8_t)(attrs >> 8);
        p[22] = (uint8_t)attrs;
        p[35 + 7] = 99; /* max timestamp 99 */
        kafka__be32(p + 17, kafka_crc32c(0, p + 21, len - 21));
        kafka_batch_destroy(b);
    }
    kafka_records_reader_t *rr = kafka_records_reader_new(all.data, all.len, true, 0);
    kafka_record_t rec;
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 1);
    CU_ASSERT_EQUAL(rec.timestamp, 99);
    CU_ASSERT_EQUAL(rec.timestamp_type, KAFKA_TIMESTAMP_LOG_APPEND_TIME);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 0);
    kafka_records_reader_destroy(rr);
    rr = kafka_records_reader_new(all.data, all.len, true, 0);
    kafka_records_reader_set_skip_control(rr, false);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 1);
    CU_ASSERT(kafka_records_reader_batch(rr)->control && kafka_records_reader_batch(rr)->transactional);
    kafka_records_reader_destroy(rr);
    kafka__buf_free(&all);
}


/* zstd in a MessageSet is refused; a magic-0 LZ4 wrapper carries Kafka's legacy header
 * checksum (hash over frame magic + descriptor) and still decodes. */
static void test_msgset_codec_rules(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    char err[256];
    CU_ASSERT_EQUAL(kafka_msgset_append(&b, 1, 0, 0, KAFKA_COMPRESSION_ZSTD, NULL, -1, "x", 1, err, sizeof(err)),
                    KAFKA_ERR__UNSUPPORTED_COMPRESSION);
    CU_ASSERT(strstr(err, "zstd") != NULL);
    build_msgset(&b, 0, KAFKA_COMPRESSION_LZ4, 4, 0);
    /* wrapper value = lz4 frame at byte 12+4+1+1+4+4 = 26; FLG 0x60 (no content size):
     * header checksum at 26+6. The legacy value differs from the standard one. */
    uint8_t *frame = b.data + 26;
    CU_ASSERT(frame[0] == 0x04 && frame[1] == 0x22 && frame[2] == 0x4d && frame[3] == 0x18);
    uint8_t legacy_hc = frame[6];
    uint8_t copy[16];
    memcpy(copy, frame, sizeof(copy));
    CU_ASSERT(kafka__lz4_set_header_checksum(copy, sizeof(copy), false));
    CU_ASSERT_NOT_EQUAL(copy[6], legacy_hc);
    /* A standard LZ4 tool rejects the legacy frame; our magic-0 reader repairs it. */
    kafka_buf_t out = KAFKA_BUF_INIT;
    size_t vlen = b.len - 26;
    CU_ASSERT_EQUAL(kafka__decompress(KAFKA_COMPRESSION_LZ4, frame, vlen, 1 << 20, &out, NULL, 0),
                    KAFKA_ERR__BAD_COMPRESSION);
    kafka_records_reader_t *rr = kafka_records_reader_new(b.data, b.len, true, 0);
    kafka_record_t rec;
    int got = 0, rc;
    while ((rc = kafka_records_reader_next(rr, &rec)) == 1) got++;
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(got, 4);
    kafka_records_reader_destroy(rr);
    kafka__buf_free(&out);
    kafka__buf_free(&b);
}

/* MessageSet v1 wrappers: offset 0 from a producer keeps inner offsets; a wrapper below
 * its last inner offset, an empty wrapper and mixed magics are errors. */
static void test_msgset_wrapper_offsets(void) {
    kafka_buf_t inner = KAFKA_BUF_INIT, b = KAFKA_BUF_INIT;
    for (int i = 0; i < 3; i++)
        kafka_msgset_append(&inner, 1, i, 5, KAFKA_COMPRESSION_NONE, NULL, -1, "v", 1, NULL, 0);
    kafka_msgset_append(&b, 1, 0, 5, KAFKA_COMPRESSION_GZIP, NULL, -1, inner.data, (int32_t)inner.len, NULL, 0);
    kafka_records_reader_t *rr = kafka_records_reader_new(b.data, b.len, true, 0);
    kafka_record_t rec;
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 1);
        CU_ASSERT_EQUAL(rec.offset, i);
    }
    kafka_records_reader_destroy(rr);
    kafka__buf_reset(&b);
    kafka_msgset_append(&b, 1, 1, 5, KAFKA_COMPRESSION_GZIP, NULL, -1, inner.data, (int32_t)inner.len, NULL, 0);
    rr = kafka_records_reader_new(b.data, b.len, true, 0);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "below its last inner offset") != NULL);
    kafka_records_reader_destroy(rr);
    kafka__buf_reset(&b);
    kafka_buf_t mixed = KAFKA_BUF_INIT;
    kafka_msgset_append(&mixed, 0, 0, 5, KAFKA_COMPRESSION_NONE, NULL, -1, "v", 1, NULL, 0);
    kafka_msgset_append(&b, 1, 0, 5, KAFKA_COMPRESSION_GZIP, NULL, -1, mixed.data, (int32_t)mixed.len, NULL, 0);
    rr = kafka_records_reader_new(b.data, b.len, true, 0);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "inner message magic 0") != NULL);
    kafka_records_reader_destroy(rr);
    kafka__buf_reset(&b);
    kafka_msgset_append(&b, 1, 0, 5, KAFKA_COMPRESSION_GZIP, NULL, -1, "", 0, NULL, 0);
    rr = kafka_records_reader_new(b.data, b.len, true, 0);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "no inner message") != NULL);
    kafka_records_reader_destroy(rr);
    kafka__buf_free(&mixed);
    kafka__buf_free(&inner);
    kafka__buf_free(&b);
}

/* A record count smaller than the records present: the extra bytes are reported. */
static void test_bytes_after_records(void) {
    kafka_batch_t *bt = kafka_batch_new(0);
    kafka_batch_append(bt, 1, "k", 1, "v", 1, NULL, 0);
    kafka_batch_append(bt, 1, "k", 1, "v", 1, NULL, 0);
    const uint8_t *d;
    size_t len;
    kafka_batch_seal(bt, KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0);
    uint8_t *m = malloc(len);
    memcpy(m, d, len);
    m[60] = 1; /* recordCount 2 -> 1 */
    kafka_records_reader_t *rr = kafka_records_reader_new(m, len, false, 0);
    kafka_record_t rec;
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 1);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(kafka_records_reader_errstr(rr), "bytes after its 1 records") != NULL);
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 0);
    kafka_records_reader_destroy(rr);
    free(m);
    kafka_batch_destroy(bt);
}

/* A rejected append leaves the batch as it was (timestamps included). */
static void test_append_rejects_without_side_effects(void) {
    kafka_batch_t *bt = kafka_batch_new(0);
    CU_ASSERT_EQUAL(kafka_batch_append(bt, 10, "k", 1, "v", 1, NULL, 0), KAFKA_OK);
    kafka_header_t bad = {{NULL, 3}, {NULL, -1}};
    CU_ASSERT_EQUAL(kafka_batch_append(bt, 99, "k", 1, "v", 1, &bad, 1), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_batch_append(bt, 98, "k", -2, "v", 1, NULL, 0), KAFKA_ERR__INVALID_ARG);
    const uint8_t *d;
    size_t len;
    CU_ASSERT_EQUAL(kafka_batch_seal(bt, (kafka_compression_t)9, -1, &d, &len, NULL, 0),
                    KAFKA_ERR__UNSUPPORTED_COMPRESSION);
    CU_ASSERT_EQUAL(kafka_batch_append(bt, 11, "k", 1, "v", 1, NULL, 0), KAFKA_OK); /* failed seal: still open */
    CU_ASSERT_EQUAL(kafka_batch_seal(bt, KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0), KAFKA_OK);
    kafka_records_reader_t *rr = kafka_records_reader_new(d, len, true, 0);
    kafka_record_t rec;
    CU_ASSERT_EQUAL(kafka_records_reader_next(rr, &rec), 1);
    CU_ASSERT_EQUAL(kafka_records_reader_batch(rr)->max_timestamp, 11);
    CU_ASSERT_EQUAL(kafka_records_reader_batch(rr)->record_count, 2);
    kafka_records_reader_destroy(rr);
    kafka_batch_destroy(bt);
}

static CU_TestInfo tests[] = {
    {"MessageSet codec rules: no zstd, magic-0 LZ4 checksum", test_msgset_codec_rules},
    {"MessageSet v1 wrapper offsets", test_msgset_wrapper_offsets},
    {"bytes after the declared records", test_bytes_after_records},
    {"rejected append and failed seal leave the batch intact", test_append_rejects_without_side_effects},
    {"RecordBatch v2 round-trips with every codec", test_batch_roundtrip_all_codecs},
    {"RecordBatch v2 known bytes", test_batch_known_bytes},
    {"MessageSet v0/v1 round-trip, compressed wrappers", test_msgset_roundtrip},
    {"MessageSet v0 known bytes", test_msgset_v0_known_bytes},
    {"partial trailing batch skipped at every cut", test_partial_and_truncation},
    {"bad CRC and corrupt compression reported, next batch read", test_bad_crc_and_compression},
    {"malformed batches get clear errors", test_malformed_batches},
    {"control batches skipped, log-append time", test_control_and_log_append_time},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("records", tests)
