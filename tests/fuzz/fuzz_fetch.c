/* Fuzz target for the consumer's Fetch records -> messages decoder
 * (kafka__msgset_decode): trimming, control and aborted-transaction filtering, invalid
 * messages for corrupt batches, compressed copies, and every message accessor.
 * Input: byte 0 flags (bit 0: check CRCs; bit 1: read_committed), bytes 1-8 the fetch
 * offset (big-endian); with bit 1, byte 9 is the number n (0-7) of aborted transactions
 * and 16 bytes each follow (producer id, first offset); the rest is the record data. */
#include <stdlib.h>
#include <string.h>

#include "consumer/msgset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static volatile uint8_t sink;

static void touch(const void *p, int32_t len) {
    if (len > 0)
        sink ^= ((const uint8_t *)p)[0] ^ ((const uint8_t *)p)[len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 9)
        return 0;
    uint8_t flags = data[0];
    int64_t fetch_offset = be64(data + 1);
    size_t at = 9;
    kafka__aborted_t aborted[7];
    size_t naborted = 0;
    if (flags & 2) {
        if (size < at + 1)
            return 0;
        naborted = data[at++] % 8;
        if (size < at + naborted * 16)
            return 0;
        for (size_t i = 0; i < naborted; i++, at += 16)
            aborted[i] = (kafka__aborted_t){be64(data + at), be64(data + at + 8)};
    }
    /* The records live in the set's own frame, as in a real fetch. */
    size_t len = size - at;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return 0;
    if (len)
        memcpy(frame, data + at, len);
    kafka__msgset_t *s = kafka__msgset_new("fuzz", 0, 0, frame);
    if (!s)
        return 0;
    kafka__scan_t scan;
    kafka__msgset_decode(s, frame, len, fetch_offset, flags & 1, (flags & 2) ? aborted : NULL, naborted, &scan);
    kafka_message_t **msgs;
    size_t n;
    if (kafka__msgset_hand_out(s, &msgs, &n) != KAFKA_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const kafka_message_t *m = msgs[i];
        int32_t l;
        const void *p = kafka_message_key(m, &l);
        touch(p, l);
        p = kafka_message_payload(m, &l);
        touch(p, l);
        int hc = kafka_message_header_count(m);
        for (int h = 0; h < hc && h < 64; h++) {
            kafka_str_t k;
            kafka_bytes_t v;
            if (kafka_message_header(m, h, &k, &v) == KAFKA_OK) {
                touch(k.str, k.len);
                touch(v.data, v.len);
            }
        }
        const char *es = kafka_message_errstr(m);
        touch(es, (int32_t)strlen(es));
        sink ^= (uint8_t)kafka_message_offset(m) ^ (uint8_t)kafka_message_next_offset(m) ^
                (uint8_t)kafka_message_timestamp(m, NULL) ^ (uint8_t)kafka_message_valid(m);
    }
    /* Destroy out of order: the last reference frees the set. */
    for (size_t i = 0; i < n; i += 2)
        kafka_message_destroy(msgs[i]);
    for (size_t i = 1; i < n; i += 2)
        kafka_message_destroy(msgs[i]);
    free(msgs);
    return 0;
}
