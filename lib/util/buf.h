/* kafka_buf_t: a growable byte buffer that requests, batches and compressed data are
 * written into. Writes never fail individually: an allocation failure is sticky
 * (buf->oom) and checked once by the caller, like the reader's error. */
#ifndef KAFKA_UTIL_BUF_H
#define KAFKA_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kafka/buf.h" /* the struct and KAFKA_BUF_INIT, public for the codec's users */

void kafka__buf_init(kafka_buf_t *b);
void kafka__buf_free(kafka_buf_t *b);
/* Empties the buffer, keeping its memory and clearing oom. */
static inline void kafka__buf_reset(kafka_buf_t *b) { b->len = 0; b->oom = false; }
/* Makes room for n more bytes; false (and oom set) when that cannot be had. */
bool kafka__buf_grow(kafka_buf_t *b, size_t n);
/* Reserves n bytes at the end and returns a pointer to them, or NULL on oom. */
static inline uint8_t *kafka__buf_extend(kafka_buf_t *b, size_t n) {
    /* !b->data: even an empty extend allocates, so the result is never NULL + 0. */
    if ((b->cap - b->len < n || !b->data) && !kafka__buf_grow(b, n))
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}
static inline void kafka__buf_write(kafka_buf_t *b, const void *src, size_t n) {
    uint8_t *p = kafka__buf_extend(b, n);
    if (p && n)
        memcpy(p, src, n);
}

static inline void kafka__buf_i8(kafka_buf_t *b, int8_t v) {
    uint8_t *p = kafka__buf_extend(b, 1);
    if (p) p[0] = (uint8_t)v;
}
static inline void kafka__be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void kafka__be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void kafka__be64(uint8_t *p, uint64_t v) {
    kafka__be32(p, (uint32_t)(v >> 32));
    kafka__be32(p + 4, (uint32_t)v);
}
static inline void kafka__buf_i16(kafka_buf_t *b, int16_t v) {
    uint8_t *p = kafka__buf_extend(b, 2);
    if (p) kafka__be16(p, (uint16_t)v);
}
static inline void kafka__buf_i32(kafka_buf_t *b, int32_t v) {
    uint8_t *p = kafka__buf_extend(b, 4);
    if (p) kafka__be32(p, (uint32_t)v);
}
static inline void kafka__buf_i64(kafka_buf_t *b, int64_t v) {
    uint8_t *p = kafka__buf_extend(b, 8);
    if (p) kafka__be64(p, (uint64_t)v);
}

/* Encodes v as an unsigned varint into p (at least 5 bytes); returns the length. */
static inline size_t kafka__uvarint_put(uint8_t *p, uint32_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}
/* Encodes v as an unsigned varlong into p (at least 10 bytes); returns the length. */
static inline size_t kafka__uvarlong_put(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}
static inline uint32_t kafka__zigzag32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline uint64_t kafka__zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline size_t kafka__uvarint_size(uint32_t v) {
    size_t n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}
static inline size_t kafka__varint_size(int32_t v) { return kafka__uvarint_size(kafka__zigzag32(v)); }
static inline size_t kafka__varlong_size(int64_t v) {
    uint64_t u = kafka__zigzag64(v);
    size_t n = 1;
    while (u >= 0x80) { u >>= 7; n++; }
    return n;
}

static inline void kafka__buf_uvarint(kafka_buf_t *b, uint32_t v) {
    uint8_t tmp[5];
    kafka__buf_write(b, tmp, kafka__uvarint_put(tmp, v));
}
static inline void kafka__buf_varint(kafka_buf_t *b, int32_t v) { kafka__buf_uvarint(b, kafka__zigzag32(v)); }
static inline void kafka__buf_varlong(kafka_buf_t *b, int64_t v) {
    uint8_t tmp[10];
    kafka__buf_write(b, tmp, kafka__uvarlong_put(tmp, kafka__zigzag64(v)));
}

#endif
