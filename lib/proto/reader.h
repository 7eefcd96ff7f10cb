/* kafka_reader_t: a bounds-checked reader over untrusted bytes with a sticky error.
 *
 * Every read checks the bytes left; the first failure is recorded (code, offset, a
 * static reason) and every later read returns zero without touching memory, so decoders
 * have no error branch per field and check once at the end (kafka__rd_ok()). */
#ifndef KAFKA_PROTO_READER_H
#define KAFKA_PROTO_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kafka/error.h"

typedef struct kafka_reader_s {
    const uint8_t *p;
    const uint8_t *start;
    const uint8_t *end;
    kafka_err_t err;
    size_t err_offset;      /* byte offset of the failing read from start */
    const char *err_reason; /* static text: what was wrong */
    const char *err_field;  /* set by the schema interpreter: which field */
    const char *err_struct; /* ... and in which struct */
} kafka_reader_t;

static inline void kafka__rd_init(kafka_reader_t *r, const void *buf, size_t len) {
    static const uint8_t empty[1];
    if (!buf) /* NULL + 0 is undefined: an empty input reads from a static byte */
        buf = empty, len = 0;
    r->p = r->start = (const uint8_t *)buf;
    r->end = r->start + len;
    r->err = KAFKA_OK;
    r->err_offset = 0;
    r->err_reason = NULL;
    r->err_field = NULL;
    r->err_struct = NULL;
}

static inline bool kafka__rd_ok(const kafka_reader_t *r) { return r->err == KAFKA_OK; }
static inline size_t kafka__rd_remaining(const kafka_reader_t *r) { return (size_t)(r->end - r->p); }
static inline size_t kafka__rd_offset(const kafka_reader_t *r) { return (size_t)(r->p - r->start); }

/* Records the first error; later ones are ignored. Always returns false. */
static inline bool kafka__rd_fail(kafka_reader_t *r, kafka_err_t err, const char *reason) {
    if (r->err == KAFKA_OK) {
        r->err = err;
        r->err_offset = (size_t)(r->p - r->start);
        r->err_reason = reason;
    }
    r->p = r->end; /* nothing more is read after an error */
    return false;
}

/* Returns a pointer to the next n bytes and advances past them, or NULL (error set). */
static inline const uint8_t *kafka__rd_take(kafka_reader_t *r, size_t n) {
    if ((size_t)(r->end - r->p) < n) {
        kafka__rd_fail(r, KAFKA_ERR__TRUNCATED, "input ends inside a field");
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

static inline int8_t kafka__rd_i8(kafka_reader_t *r) {
    const uint8_t *p = kafka__rd_take(r, 1);
    return p ? (int8_t)p[0] : 0;
}
static inline uint16_t kafka__ld_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t kafka__ld_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t kafka__ld_be64(const uint8_t *p) {
    return (uint64_t)kafka__ld_be32(p) << 32 | kafka__ld_be32(p + 4);
}
static inline int16_t kafka__rd_i16(kafka_reader_t *r) {
    const uint8_t *p = kafka__rd_take(r, 2);
    return p ? (int16_t)kafka__ld_be16(p) : 0;
}
static inline uint16_t kafka__rd_u16(kafka_reader_t *r) {
    const uint8_t *p = kafka__rd_take(r, 2);
    return p ? kafka__ld_be16(p) : 0;
}
static inline int32_t kafka__rd_i32(kafka_reader_t *r) {
    const uint8_t *p = kafka__rd_take(r, 4);
    return p ? (int32_t)kafka__ld_be32(p) : 0;
}
static inline int64_t kafka__rd_i64(kafka_reader_t *r) {
    const uint8_t *p = kafka__rd_take(r, 8);
    return p ? (int64_t)kafka__ld_be64(p) : 0;
}
static inline double kafka__rd_f64(kafka_reader_t *r) {
    uint64_t u = (uint64_t)kafka__rd_i64(r);
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Unsigned varint of at most 5 bytes whose value fits 32 bits. */
static inline uint32_t kafka__rd_uvarint(kafka_reader_t *r) {
    uint32_t v = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (r->p >= r->end) {
            kafka__rd_fail(r, KAFKA_ERR__TRUNCATED, "input ends inside a varint");
            return 0;
        }
        uint8_t b = *r->p++;
        if (shift == 28 && (b & 0xf0)) {
            kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "varint longer than 5 bytes or above 32 bits");
            return 0;
        }
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    return 0;
}
/* Unsigned varlong of at most 10 bytes. */
static inline uint64_t kafka__rd_uvarlong(kafka_reader_t *r) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end) {
            kafka__rd_fail(r, KAFKA_ERR__TRUNCATED, "input ends inside a varlong");
            return 0;
        }
        uint8_t b = *r->p++;
        if (shift == 63 && (b & 0xfe)) {
            kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "varlong longer than 10 bytes or above 64 bits");
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    return 0;
}
static inline int32_t kafka__rd_varint(kafka_reader_t *r) {
    uint32_t u = kafka__rd_uvarint(r);
    return (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
}
static inline int64_t kafka__rd_varlong(kafka_reader_t *r) {
    uint64_t u = kafka__rd_uvarlong(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

#endif
