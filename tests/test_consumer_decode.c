/* The Fetch records -> kafka_message_t decoder (lib/consumer/decode.c) on crafted bytes:
 * every format and codec, zero-copy views and compressed copies outliving the response,
 * trimming to the fetch offset, trailing partial batches, corrupt CRCs and compressed
 * payloads (an invalid message, then the rest), control batches and aborted
 * transactions, and the message accessors; then what a decoded answer means for the
 * next fetch (lib/consumer/outcome.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "consumer/msgset.h"
#include "consumer/outcome.h"
#include "kafka/consumer.h"
#include "util/buf.h"
#include "testutil.h"

static const kafka_compression_t codecs[] = {KAFKA_COMPRESSION_NONE, KAFKA_COMPRESSION_GZIP, KAFKA_COMPRESSION_SNAPPY,
                                             KAFKA_COMPRESSION_LZ4, KAFKA_COMPRESSION_ZSTD};

#define T0 1700000000000LL

/* Record i: every 5th key null, every 7th value null, every 7th+1 value empty, every
 * 11th+3 value large (20 KiB), i%3 headers ("h0"="hv-i", "h1"=null). */
static void record_kv(int i, char *key, int32_t *kl, char *val, int32_t *vl) {
    *kl = i % 5 == 0 ? -1 : snprintf(key, 32, "key-%d", i);
    if (i % 7 == 0)
        *vl = -1;
    else if (i % 7 == 1)
        *vl = 0;
    else if (i % 11 == 3) {
        for (int j = 0; j < 20480; j++)
            val[j] = (char)('a' + (i + j) % 26);
        *vl = 20480;
    } else
        *vl = snprintf(val, 64, "value-%d", i);
}

/* Appends a sealed RecordBatch v2 of records [first, first + n) at base offset first. */
static void append_batch(kafka_buf_t *out, int first, int n, kafka_compression_t codec) {
    kafka_batch_t *b = kafka_batch_new(0);
    static char key[32], val[20481];
    int32_t kl, vl;
    for (int i = first; i < first + n; i++) {
        record_kv(i, key, &kl, val, &vl);
        char hv[32];
        int hl = snprintf(hv, sizeof(hv), "hv-%d", i);
        kafka_header_t h[2] = {{kafka_str("h0"), {(const uint8_t *)hv, hl}}, {kafka_str("h1"), {NULL, -1}}};
        CU_ASSERT_EQUAL(kafka_batch_append(b, T0 + i, key, kl, val, vl, h, (size_t)(i % 3)), KAFKA_OK);
    }
    const uint8_t *data;
    size_t len;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, codec, -1, &data, &len, err, sizeof(err)), KAFKA_OK);
    size_t at = out->len;
    kafka__buf_write(out, data, len);
    kafka__be64(out->data + at, (uint64_t)first); /* the broker's base offset (outside the CRC) */
    kafka_batch_destroy(b);
}

/* Checks m against record i of the generator. */
static void check_record(const kafka_message_t *m, int i) {
    char key[32], val[20481];
    int32_t kl, vl, len;
    record_kv(i, key, &kl, val, &vl);
    CU_ASSERT_TRUE(kafka_message_valid(m));
    CU_ASSERT_EQUAL(kafka_message_error(m), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(kafka_message_errstr(m), "");
    CU_ASSERT_EQUAL(kafka_message_offset(m), i);
    CU_ASSERT_EQUAL(kafka_message_next_offset(m), i + 1);
    const void *k = kafka_message_key(m, &len);
    CU_ASSERT_EQUAL(len, kl);
    CU_ASSERT(kl < 0 ? k == NULL : k != NULL && memcmp(k, key, (size_t)kl) == 0);
    const void *v = kafka_message_payload(m, &len);
    CU_ASSERT_EQUAL(len, vl);
    CU_ASSERT(vl < 0 ? v == NULL : v != NULL && memcmp(v, val, (size_t)vl) == 0);
    kafka_timestamp_type_t tt;
    CU_ASSERT_EQUAL(kafka_message_timestamp(m, &tt), T0 + i);
    CU_ASSERT_EQUAL(tt, KAFKA_TIMESTAMP_CREATE_TIME);
    CU_ASSERT_EQUAL(kafka_message_magic(m), 2);
    CU_ASSERT_EQUAL(kafka_message_header_count(m), i % 3);
    kafka_str_t hk;
    kafka_bytes_t hv;
    if (i % 3 >= 1) {
        char want[32];
        int wl = snprintf(want, sizeof(want), "hv-%d", i);
        CU_ASSERT_EQUAL(kafka_message_header(m, 0, &hk, &hv), KAFKA_OK);
        CU_ASSERT(hk.len == 2 && memcmp(hk.str, "h0", 2) == 0);
        CU_ASSERT(hv.len == wl && memcmp(hv.data, want, (size_t)wl) == 0);
    }
    if (i % 3 == 2) {
        CU_ASSERT_EQUAL(kafka_message_header(m, 1, &hk, &hv), KAFKA_OK);
        CU_ASSERT(hk.len == 2 && memcmp(hk.str, "h1", 2) == 0);
        CU_ASSERT_EQUAL(hv.len, -1);
    }
    CU_ASSERT_EQUAL(kafka_message_header(m, i % 3, &hk, &hv), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_message_header(m, -1, &hk, &hv), KAFKA_ERR__INVALID_ARG);
}

typedef struct decoded_s {
    kafka_message_t **msgs;
    size_t n;
    kafka__scan_t scan;
} decoded_t;

/* Decodes a malloc'd copy of records[0..len) that the set owns as its frame, then
 * frees nothing of the caller's: the messages must stand on the set's memory alone. */
static decoded_t decode(const uint8_t *records, size_t len, int64_t fetch_offset, bool check_crcs,
                        const kafka__aborted_t *aborted, size_t naborted) {
    decoded_t d = {0};
    uint8_t *frame = malloc(len ? len : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(frame);
    if (len)
        memcpy(frame, records, len);
    kafka__msgset_t *s = kafka__msgset_new("topic", 3, 12345, frame);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(kafka__msgset_decode(s, frame, len, fetch_offset, check_crcs, aborted, naborted, &d.scan),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka__msgset_hand_out(s, &d.msgs, &d.n), KAFKA_OK);
    return d;
}

static void test_every_codec(void) {
    for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
        kafka_buf_t buf = KAFKA_BUF_INIT;
        append_batch(&buf, 0, 10, codecs[c]);
        append_batch(&buf, 10, 1, codecs[c]);
        append_batch(&buf, 11, 25, codecs[c]);
        decoded_t d = decode(buf.data, buf.len, 0, true, NULL, 0);
        /* The caller's buffer goes away; the messages keep the set's copy alive. */
        memset(buf.data, 0xEE, buf.len);
        kafka__buf_free(&buf);
        CU_ASSERT_EQUAL(d.n, 36);
        for (size_t i = 0; i < d.n && i < 36; i++) {
            check_record(d.msgs[i], (int)i);
            CU_ASSERT_STRING_EQUAL(kafka_message_topic(d.msgs[i]), "topic");
            CU_ASSERT_EQUAL(kafka_message_partition(d.msgs[i]), 3);
            CU_ASSERT_EQUAL(kafka_message_high_watermark(d.msgs[i]), 12345);
        }
        CU_ASSERT_EQUAL(d.scan.next_offset, 36);
        CU_ASSERT_EQUAL(d.scan.partial, 0);
        /* Messages are destroyed one by one, in any order: the last frees the set. */
        for (size_t i = d.n; i-- > 0;)
            kafka_message_destroy(d.msgs[i]);
        free(d.msgs);
    }
}

/* Uncompressed records are views into the frame; compressed ones are copies. */
static void test_zero_copy(void) {
    kafka_buf_t buf = KAFKA_BUF_INIT;
    append_batch(&buf, 0, 4, KAFKA_COMPRESSION_NONE);
    uint8_t *frame = malloc(buf.len);
    memcpy(frame, buf.data, buf.len);
    kafka__msgset_t *s = kafka__msgset_new("t", 0, 4, frame);
    kafka__scan_t scan;
    CU_ASSERT_EQUAL(kafka__msgset_decode(s, frame, buf.len, 0, true, NULL, 0, &scan), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(kafka__msgset_count(s), 4);
    int32_t len;
    const uint8_t *v = kafka_message_payload(kafka__msgset_at(s, 2), &len);
    CU_ASSERT(len > 0 && v >= frame && v + len <= frame + buf.len);
    kafka__msgset_free(s);
    kafka__buf_reset(&buf);
    append_batch(&buf, 0, 4, KAFKA_COMPRESSION_LZ4);
    frame = malloc(buf.len);
    memcpy(frame, buf.data, buf.len);
    s = kafka__msgset_new("t", 0, 4, frame);
    CU_ASSERT_EQUAL(kafka__msgset_decode(s, frame, buf.len, 0, true, NULL, 0, &scan), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(kafka__msgset_count(s), 4);
    v = kafka_message_payload(kafka__msgset_at(s, 2), &len);
    CU_ASSERT(len > 0 && (v < frame || v >= frame + buf.len));
    kafka__msgset_free(s);
    kafka__buf_free(&buf);
}

/* A batch starting before the fetch offset: the records before it are dropped. */
static void test_trim(void) {
    for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
        kafka_buf_t buf = KAFKA_BUF_INIT;
        append_batch(&buf, 0, 10, codecs[c]);
        append_batch(&buf, 10, 5, codecs[c]);
        decoded_t d = decode(buf.data, buf.len, 7, true, NULL, 0);
        CU_ASSERT_EQUAL(d.n, 8);
        for (size_t i = 0; i < d.n; i++)
            check_record(d.msgs[i], (int)i + 7);
        CU_ASSERT_EQUAL(d.scan.next_offset, 15);
        kafka_messages_destroy(d.msgs, d.n);
        /* Everything before the fetch offset: no message, but the scan moved on. */
        d = decode(buf.data, buf.len, 15, true, NULL, 0);
        CU_ASSERT_EQUAL(d.n, 0);
        CU_ASSERT_PTR_NULL(d.msgs);
        CU_ASSERT_EQUAL(d.scan.next_offset, 15);
        kafka__buf_free(&buf);
    }
}

/* A Fetch response cut at max bytes ends in a partial batch: skipped silently, its
 * offset and whole size reported; when it is all there is, nothing comes back. */
static void test_partial(void) {
    kafka_buf_t buf = KAFKA_BUF_INIT;
    append_batch(&buf, 0, 3, KAFKA_COMPRESSION_NONE);
    size_t first = buf.len;
    append_batch(&buf, 3, 6, KAFKA_COMPRESSION_GZIP);
    size_t second = buf.len - first;
    size_t cuts[] = {first + 1, first + 11, first + 12, first + 40, buf.len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        decoded_t d = decode(buf.data, cuts[i], 0, true, NULL, 0);
        CU_ASSERT_EQUAL(d.n, 3);
        for (size_t j = 0; j < d.n; j++)
            check_record(d.msgs[j], (int)j);
        CU_ASSERT_EQUAL(d.scan.partial, cuts[i] - first);
        CU_ASSERT_EQUAL(d.scan.partial_offset, cuts[i] - first >= 8 ? 3 : -1);
        CU_ASSERT_EQUAL(d.scan.partial_size, cuts[i] - first >= 12 ? (int64_t)second : -1);
        kafka_messages_destroy(d.msgs, d.n);
    }
    /* Only the start of one batch: the message-too-large case. */
    decoded_t d = decode(buf.data + first, 100, 3, true, NULL, 0);
    CU_ASSERT_EQUAL(d.n, 0);
    CU_ASSERT_EQUAL(d.scan.partial, 100);
    CU_ASSERT_EQUAL(d.scan.partial_offset, 3);
    CU_ASSERT_EQUAL(d.scan.partial_size, (int64_t)second);
    CU_ASSERT_EQUAL(d.scan.next_offset, 3);
    kafka__buf_free(&buf);
}

/* Three batches, the middle one damaged: its records come back as one invalid message
 * spanning its offsets, the third batch's records after it. */
static void check_damaged(const uint8_t *data, size_t len, kafka_err_t want, const char *word) {
    decoded_t d = decode(data, len, 0, true, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(d.n, 4 + 1 + 5);
    for (int i = 0; i < 4; i++)
        check_record(d.msgs[i], i);
    kafka_message_t *bad = d.msgs[4];
    CU_ASSERT_FALSE(kafka_message_valid(bad));
    CU_ASSERT_EQUAL(kafka_message_error(bad), want);
    CU_ASSERT_EQUAL(kafka_message_offset(bad), 4);
    CU_ASSERT_EQUAL(kafka_message_next_offset(bad), 10);
    CU_ASSERT_EQUAL(kafka_message_magic(bad), -1);
    CU_ASSERT_PTR_NULL(kafka_message_payload(bad, NULL));
    const char *es = kafka_message_errstr(bad);
    if (!strstr(es, word) || !strstr(es, "topic/3") || !strstr(es, "offset 4"))
        fprintf(stderr, "unexpected error text: %s\n", es);
    CU_ASSERT(strstr(es, word) != NULL);
    CU_ASSERT(strstr(es, "topic/3") != NULL);
    CU_ASSERT(strstr(es, "offset 4") != NULL);
    for (int i = 0; i < 5; i++)
        check_record(d.msgs[5 + i], 10 + i);
    CU_ASSERT_EQUAL(d.scan.next_offset, 15);
    kafka_messages_destroy(d.msgs, d.n);
}

static void test_corrupt_crc(void) {
    for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
        kafka_buf_t buf = KAFKA_BUF_INIT;
        append_batch(&buf, 0, 4, codecs[c]);
        append_batch(&buf, 4, 6, codecs[c]);
        size_t end2 = buf.len;
        append_batch(&buf, 10, 5, codecs[c]);
        buf.data[end2 - 3] ^= 0x40; /* inside the second batch's records */
        check_damaged(buf.data, buf.len, KAFKA_ERR__BAD_CRC, "CRC");
        /* check.crcs=false: an uncompressed batch passes with the flipped byte. */
        if (codecs[c] == KAFKA_COMPRESSION_NONE) {
            decoded_t d = decode(buf.data, buf.len, 0, false, NULL, 0);
            CU_ASSERT_EQUAL(d.n, 15);
            for (size_t i = 0; i < d.n; i++)
                CU_ASSERT_TRUE(kafka_message_valid(d.msgs[i]));
            kafka_messages_destroy(d.msgs, d.n);
        }
        kafka__buf_free(&buf);
    }
}

/* A compressed payload that does not decompress (CRC recomputed, so the codec fails). */
static void test_corrupt_compression(void) {
    for (size_t c = 1; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
        kafka_buf_t buf = KAFKA_BUF_INIT;
        append_batch(&buf, 0, 4, codecs[c]);
        size_t at = buf.len;
        append_batch(&buf, 4, 6, codecs[c]);
        size_t end2 = buf.len;
        append_batch(&buf, 10, 5, codecs[c]);
        /* Garble the compressed bytes from the middle on, then fix the CRC-32C. */
        for (size_t i = at + KAFKA_RECORD_BATCH_OVERHEAD + (end2 - at - KAFKA_RECORD_BATCH_OVERHEAD) / 3; i < end2; i++)
            buf.data[i] = (uint8_t)(buf.data[i] * 7 + 13);
        kafka__be32(buf.data + at + 17, kafka_crc32c(0, buf.data + at + 21, end2 - at - 21));
        check_damaged(buf.data, buf.len, KAFKA_ERR__BAD_COMPRESSION, kafka_compression_name(codecs[c]));
        kafka__buf_free(&buf);
    }
}

/* MessageSet v0 and v1 (Kafka 0.8 / 0.10), plain and gzip-wrapped, and a bad CRC. */
static void test_message_sets(void) {
    char err[256];
    for (int magic = 0; magic <= 1; magic++) {
        kafka_buf_t buf = KAFKA_BUF_INIT;
        for (int i = 0; i < 3; i++) {
            char v[16];
            int vl = snprintf(v, sizeof(v), "plain-%d", i);
            CU_ASSERT_EQUAL(kafka_msgset_append(&buf, magic, i, T0 + i, KAFKA_COMPRESSION_NONE, i ? "k" : NULL,
                                                i ? 1 : -1, v, vl, err, sizeof(err)),
                            KAFKA_OK);
        }
        /* A gzip wrapper of offsets 3..6: v0 inner offsets are absolute, v1 relative with
         * the wrapper at the last one. */
        kafka_buf_t inner = KAFKA_BUF_INIT;
        for (int i = 0; i < 4; i++) {
            char v[16];
            int vl = snprintf(v, sizeof(v), "zipped-%d", i);
            CU_ASSERT_EQUAL(kafka_msgset_append(&inner, magic, magic ? i : 3 + i, T0 + 3 + i, KAFKA_COMPRESSION_NONE,
                                                NULL, -1, v, vl, err, sizeof(err)),
                            KAFKA_OK);
        }
        CU_ASSERT_EQUAL(kafka_msgset_append(&buf, magic, 6, T0 + 6, KAFKA_COMPRESSION_GZIP, NULL, -1, inner.data,
                                            (int32_t)inner.len, err, sizeof(err)),
                        KAFKA_OK);
        CU_ASSERT_EQUAL(
            kafka_msgset_append(&buf, magic, 7, T0 + 7, KAFKA_COMPRESSION_NONE, NULL, -1, "bad", 3, err, sizeof(err)),
            KAFKA_OK);
        buf.data[buf.len - 1] ^= 1; /* the value's last byte: the CRC-32 no longer matches */
        CU_ASSERT_EQUAL(
            kafka_msgset_append(&buf, magic, 8, T0 + 8, KAFKA_COMPRESSION_NONE, NULL, -1, "last", 4, err, sizeof(err)),
            KAFKA_OK);
        decoded_t d = decode(buf.data, buf.len, 1, true, NULL, 0);
        CU_ASSERT_EQUAL_FATAL(d.n, 2 + 4 + 1 + 1);
        for (size_t i = 0; i < d.n; i++) {
            kafka_message_t *m = d.msgs[i];
            int64_t off = (int64_t)i + 1;
            CU_ASSERT_EQUAL(kafka_message_offset(m), off);
            CU_ASSERT_EQUAL(kafka_message_next_offset(m), off + 1);
            if (off == 7) {
                CU_ASSERT_FALSE(kafka_message_valid(m));
                CU_ASSERT_EQUAL(kafka_message_error(m), KAFKA_ERR__BAD_CRC);
                CU_ASSERT(strstr(kafka_message_errstr(m), "CRC-32") != NULL);
                continue;
            }
            CU_ASSERT_TRUE(kafka_message_valid(m));
            CU_ASSERT_EQUAL(kafka_message_magic(m), magic);
            kafka_timestamp_type_t tt;
            int64_t ts = kafka_message_timestamp(m, &tt);
            CU_ASSERT_EQUAL(tt, magic ? KAFKA_TIMESTAMP_CREATE_TIME : KAFKA_TIMESTAMP_NONE);
            CU_ASSERT_EQUAL(ts, magic ? T0 + off : -1);
            CU_ASSERT_EQUAL(kafka_message_header_count(m), 0);
            char want[16];
            int wl = off < 3   ? snprintf(want, sizeof(want), "plain-%d", (int)off)
                     : off < 7 ? snprintf(want, sizeof(want), "zipped-%d", (int)off - 3)
                               : snprintf(want, sizeof(want), "last");
            int32_t len;
            const void *v = kafka_message_payload(m, &len);
            CU_ASSERT(len == wl && memcmp(v, want, (size_t)wl) == 0);
            const void *k = kafka_message_key(m, &len);
            CU_ASSERT(off < 3 ? len == 1 && memcmp(k, "k", 1) == 0 : len == -1 && !k);
        }
        kafka_messages_destroy(d.msgs, d.n);
        kafka__buf_free(&inner);
        kafka__buf_free(&buf);
    }
}

/* Appends a control batch at offset: the transaction marker of producer pid (type 0
 * abort, 1 commit), built as a data batch with the control bit set and the CRC redone. */
static void append_marker(kafka_buf_t *out, int64_t offset, int64_t pid, int type) {
    kafka_batch_t *b = kafka_batch_new(0);
    uint8_t key[4] = {0, 0, 0, (uint8_t)type}, value[6] = {0};
    CU_ASSERT_EQUAL(kafka_batch_append(b, T0, key, 4, value, 6, NULL, 0), KAFKA_OK);
    kafka_batch_set_producer(b, pid, 0, -1, true);
    const uint8_t *data;
    size_t len;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &data, &len, err, sizeof(err)), KAFKA_OK);
    size_t at = out->len;
    kafka__buf_write(out, data, len);
    uint8_t *p = out->data + at;
    kafka__be64(p, (uint64_t)offset);
    kafka__be16(p + 21, (uint16_t)(((p[21] << 8) | p[22]) | KAFKA_BATCH_ATTR_CONTROL | KAFKA_BATCH_ATTR_TRANSACTIONAL));
    kafka__be32(p + 17, kafka_crc32c(0, p + 21, len - 21));
    kafka_batch_destroy(b);
}

/* A transactional batch of producer pid: records [first, first + n) at base first. */
static void append_txn_batch(kafka_buf_t *out, int first, int n, int64_t pid) {
    kafka_batch_t *b = kafka_batch_new(0);
    for (int i = first; i < first + n; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "txn-%d", i);
        CU_ASSERT_EQUAL(kafka_batch_append(b, T0 + i, NULL, -1, v, vl, NULL, 0), KAFKA_OK);
    }
    kafka_batch_set_producer(b, pid, 0, 0, true);
    const uint8_t *data;
    size_t len;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &data, &len, err, sizeof(err)), KAFKA_OK);
    size_t at = out->len;
    kafka__buf_write(out, data, len);
    kafka__be64(out->data + at, (uint64_t)first);
    kafka_batch_destroy(b);
}

/* Control batches never come out as messages; the scan moves past them. With the
 * broker's aborted list (read_committed), the aborted producer's records are dropped
 * until its ABORT marker, a committed producer's kept. */
static void test_transactions(void) {
    kafka_buf_t buf = KAFKA_BUF_INIT;
    append_txn_batch(&buf, 0, 3, 100); /* pid 100: aborted */
    append_txn_batch(&buf, 3, 2, 200); /* pid 200: committed */
    append_marker(&buf, 5, 100, 0);
    append_marker(&buf, 6, 200, 1);
    append_txn_batch(&buf, 7, 2, 100); /* pid 100 again, a later transaction that commits */
    append_marker(&buf, 9, 100, 1);
    /* read_uncommitted: every data record, no marker. */
    decoded_t d = decode(buf.data, buf.len, 0, true, NULL, 0);
    CU_ASSERT_EQUAL(d.n, 7);
    int64_t want_all[] = {0, 1, 2, 3, 4, 7, 8};
    for (size_t i = 0; i < d.n && i < 7; i++)
        CU_ASSERT_EQUAL(kafka_message_offset(d.msgs[i]), want_all[i]);
    CU_ASSERT_EQUAL(d.scan.next_offset, 10);
    kafka_messages_destroy(d.msgs, d.n);
    /* read_committed with the broker's list. */
    kafka__aborted_t aborted[] = {{100, 0}};
    d = decode(buf.data, buf.len, 0, true, aborted, 1);
    CU_ASSERT_EQUAL(d.n, 4);
    int64_t want_committed[] = {3, 4, 7, 8};
    for (size_t i = 0; i < d.n && i < 4; i++)
        CU_ASSERT_EQUAL(kafka_message_offset(d.msgs[i]), want_committed[i]);
    kafka_messages_destroy(d.msgs, d.n);
    /* Only markers: no message, the scan past them. */
    d = decode(buf.data, buf.len, 9, true, NULL, 0);
    CU_ASSERT_EQUAL(d.n, 0);
    CU_ASSERT_EQUAL(d.scan.next_offset, 10);
    kafka__buf_free(&buf);
}

/* What records[0..len), decoded from fetch_offset, mean for the next fetch; *next its
 * offset. */
static kafka__fetched_t outcome(const uint8_t *records, size_t len, int64_t fetch_offset,
                                const kafka__aborted_t *aborted, size_t naborted, kafka__scan_t *scan, int64_t *next) {
    kafka__msgset_t *s = kafka__msgset_new("topic", 3, 12345, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(kafka__msgset_decode(s, records, len, fetch_offset, true, aborted, naborted, scan), KAFKA_OK);
    kafka__fetched_t got = kafka__fetch_outcome(s, scan, fetch_offset, next);
    kafka__msgset_free(s);
    return got;
}

/* The next fetch starts after the last message and past control batches, aborted
 * records and compacted gaps; a partial batch after messages waits for the next fetch,
 * one alone is a message too large for the fetch size (its error names its size); an
 * empty answer fetches the same offset again. */
static void test_outcome(void) {
    kafka_buf_t buf = KAFKA_BUF_INIT;
    kafka__aborted_t aborted[] = {{100, 0}};
    kafka__scan_t scan;
    int64_t next;
    append_txn_batch(&buf, 0, 3, 100); /* pid 100: aborted */
    size_t aborted_len = buf.len;
    append_marker(&buf, 3, 100, 0);
    append_batch(&buf, 10, 2, KAFKA_COMPRESSION_NONE); /* 4..9 compacted away */
    append_marker(&buf, 12, 200, 1);
    size_t whole = buf.len;
    CU_ASSERT_EQUAL(outcome(buf.data, whole, 0, aborted, 1, &scan, &next), KAFKA__FETCHED_MESSAGES);
    CU_ASSERT_EQUAL(next, 13);
    CU_ASSERT_EQUAL(outcome(buf.data, aborted_len, 0, aborted, 1, &scan, &next), KAFKA__FETCHED_SKIPPED);
    CU_ASSERT_EQUAL(next, 3);
    CU_ASSERT_EQUAL(outcome(buf.data, whole, 12, NULL, 0, &scan, &next), KAFKA__FETCHED_SKIPPED);
    CU_ASSERT_EQUAL(next, 13);
    CU_ASSERT_EQUAL(outcome(buf.data, 0, 13, NULL, 0, &scan, &next), KAFKA__FETCHED_NOTHING);
    CU_ASSERT_EQUAL(next, 13);

    append_batch(&buf, 13, 50, KAFKA_COMPRESSION_NONE);
    size_t big = buf.len - whole;
    CU_ASSERT_EQUAL(outcome(buf.data, whole + 100, 10, NULL, 0, &scan, &next), KAFKA__FETCHED_MESSAGES);
    CU_ASSERT_EQUAL(next, 13);
    /* Control batches, then the start of the big one: past the markers first. */
    CU_ASSERT_EQUAL(outcome(buf.data, whole + 100, 12, NULL, 0, &scan, &next), KAFKA__FETCHED_SKIPPED);
    CU_ASSERT_EQUAL(next, 13);
    CU_ASSERT_EQUAL(outcome(buf.data + whole, 100, 13, NULL, 0, &scan, &next), KAFKA__FETCHED_TOO_LARGE);
    CU_ASSERT_EQUAL(next, 13);
    kafka__fetch_at_t at = {2, "topic", 3, 13, "broker 1 (127.0.0.1:9092)"};
    char why[512], want[128];
    CU_ASSERT_EQUAL(kafka__fetch_outcome_too_large(&at, &scan, "max.partition.fetch.bytes", 100, why, sizeof(why)),
                    KAFKA_ERR__MSG_TOO_LARGE);
    snprintf(want, sizeof(want), "the message at offset 13 is %zu bytes (with its batch header)", big);
    CU_ASSERT(strstr(why, "Fetch v2 of topic/3 at offset 13 from broker 1 (127.0.0.1:9092): ") == why &&
              strstr(why, want) != NULL && strstr(why, "more than max.partition.fetch.bytes 100") != NULL);
    snprintf(want, sizeof(want), "raise max.partition.fetch.bytes to at least %zu", big);
    CU_ASSERT(strstr(why, want) != NULL);
    /* Fewer than 12 bytes: the size is not known. */
    CU_ASSERT_EQUAL(outcome(buf.data + whole, 10, 13, NULL, 0, &scan, &next), KAFKA__FETCHED_TOO_LARGE);
    kafka__fetch_outcome_too_large(&at, &scan, "max_bytes", 10, why, sizeof(why));
    CU_ASSERT(strstr(why, "the message at offset 13 is larger than max_bytes 10: the broker sent only its first 10 "
                          "bytes; raise max_bytes") != NULL);
    kafka__buf_free(&buf);
}

/* auto.offset.reset: where it moves an offset, or the error naming the log's range
 * when the broker said it. */
static void test_outcome_reset(void) {
    kafka_consumer_t c = {.offset_reset = KAFKA_OFFSET_RESET_EARLIEST};
    int64_t time = 0;
    const char *name = NULL;
    CU_ASSERT_TRUE(kafka__fetch_outcome_reset(&c, &time, &name));
    CU_ASSERT(time == KAFKA_OFFSET_EARLIEST && strcmp(name, "earliest") == 0);
    c.offset_reset = KAFKA_OFFSET_RESET_LATEST;
    CU_ASSERT_TRUE(kafka__fetch_outcome_reset(&c, &time, &name));
    CU_ASSERT(time == KAFKA_OFFSET_LATEST && strcmp(name, "latest") == 0);
    c.offset_reset = KAFKA_OFFSET_RESET_ERROR;
    time = 7;
    CU_ASSERT_FALSE(kafka__fetch_outcome_reset(&c, &time, &name));
    CU_ASSERT_EQUAL(time, 7);
    kafka__fetch_at_t at = {11, "t", 0, 1000, "broker 2 (127.0.0.1:9093)"};
    char why[512];
    CU_ASSERT_EQUAL(kafka__fetch_outcome_out_of_range(&at, 30, 50, why, sizeof(why)), KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    CU_ASSERT_STRING_EQUAL(why, "Fetch v11 of t/0 at offset 1000 from broker 2 (127.0.0.1:9093): the offset is out of "
                                "range (log start 30, high watermark 50), and auto.offset.reset=error");
    kafka__fetch_outcome_out_of_range(&at, -1, -1, why, sizeof(why));
    CU_ASSERT_STRING_EQUAL(why, "Fetch v11 of t/0 at offset 1000 from broker 2 (127.0.0.1:9093): the offset is out of "
                                "range, and auto.offset.reset=error");
}

/* Many headers (past the accessor's stack buffer), all at once and one by one. */
static void test_many_headers(void) {
    kafka_header_t h[40];
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "n%d", i);
        h[i] = (kafka_header_t){kafka_str(names[i]), {(const uint8_t *)names[i], (int32_t)strlen(names[i])}};
    }
    kafka_batch_t *b = kafka_batch_new(0);
    CU_ASSERT_EQUAL(kafka_batch_append(b, T0, "k", 1, "v", 1, h, 40), KAFKA_OK);
    const uint8_t *data;
    size_t len;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, KAFKA_COMPRESSION_ZSTD, -1, &data, &len, err, sizeof(err)), KAFKA_OK);
    decoded_t d = decode(data, len, 0, true, NULL, 0);
    kafka_batch_destroy(b);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_EQUAL(kafka_message_header_count(d.msgs[0]), 40);
    for (int i = 0; i < 40; i++) {
        kafka_str_t k;
        kafka_bytes_t v;
        CU_ASSERT_EQUAL(kafka_message_header(d.msgs[0], i, &k, &v), KAFKA_OK);
        CU_ASSERT(k.len == (int32_t)strlen(names[i]) && memcmp(k.str, names[i], (size_t)k.len) == 0);
        CU_ASSERT(v.len == k.len && memcmp(v.data, names[i], (size_t)v.len) == 0);
    }
    kafka_header_t all[64];
    CU_ASSERT_EQUAL(kafka_message_headers(d.msgs[0], all, 64), 40);
    CU_ASSERT_EQUAL(kafka_message_headers(d.msgs[0], all, 10), 10);
    CU_ASSERT(all[9].key.len == 2 && memcmp(all[9].key.str, "n9", 2) == 0);
    kafka_messages_destroy(d.msgs, d.n);
}

/* Garbage and empty input: no crash, nothing valid invented. */
static void test_garbage(void) {
    decoded_t d = decode(NULL, 0, 0, true, NULL, 0);
    CU_ASSERT_EQUAL(d.n, 0);
    CU_ASSERT_EQUAL(d.scan.next_offset, 0);
    uint8_t junk[200];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    d = decode(junk, sizeof(junk), 0, true, NULL, 0);
    for (size_t i = 0; i < d.n; i++)
        CU_ASSERT_FALSE(kafka_message_valid(d.msgs[i]));
    kafka_messages_destroy(d.msgs, d.n);
}

/* The messages of one fetch destroyed from several threads at once (TSan). */
static void *destroy_half(void *arg) {
    decoded_t *d = arg;
    for (size_t i = 0; i < d->n; i += 2)
        kafka_message_destroy(d->msgs[i]);
    return NULL;
}

static void test_destroy_across_threads(void) {
    kafka_buf_t buf = KAFKA_BUF_INIT;
    append_batch(&buf, 0, 200, KAFKA_COMPRESSION_SNAPPY);
    for (int round = 0; round < 20; round++) {
        decoded_t d = decode(buf.data, buf.len, 0, true, NULL, 0);
        CU_ASSERT_EQUAL_FATAL(d.n, 200);
        pthread_t t;
        pthread_create(&t, NULL, destroy_half, &d);
        for (size_t i = 1; i < d.n; i += 2) {
            CU_ASSERT_EQUAL(kafka_message_offset(d.msgs[i]), (int64_t)i);
            kafka_message_destroy(d.msgs[i]);
        }
        pthread_join(t, NULL);
        free(d.msgs);
    }
    kafka__buf_free(&buf);
}

static CU_TestInfo tests[] = {
    {"RecordBatch v2, every codec, messages outlive the caller's buffer", test_every_codec},
    {"uncompressed records are views, compressed ones copies", test_zero_copy},
    {"batches starting before the fetch offset are trimmed", test_trim},
    {"a trailing partial batch is skipped and reported", test_partial},
    {"a corrupt CRC: one invalid message, then the rest", test_corrupt_crc},
    {"a corrupt compressed payload: one invalid message, then the rest", test_corrupt_compression},
    {"MessageSet v0/v1, gzip wrappers, a bad CRC-32", test_message_sets},
    {"control batches skipped, aborted transactions dropped", test_transactions},
    {"the next fetch offset, a message too large for the fetch size", test_outcome},
    {"auto.offset.reset: earliest, latest, or the error with the log's range", test_outcome_reset},
    {"many headers", test_many_headers},
    {"garbage and empty input", test_garbage},
    {"messages destroyed from two threads", test_destroy_across_threads},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_decode", tests)
