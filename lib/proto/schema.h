/* The codec's field tables and the one interpreter that encodes and decodes any API at
 * any version from them. The tables are generated (scripts/codegen.py) from the
 * per-API specs in lib/proto/spec/. */
#ifndef KAFKA_PROTO_SCHEMA_H
#define KAFKA_PROTO_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/protocol.h"
#include "proto/reader.h"
#include "util/arena.h"
#include "util/buf.h"

typedef enum kafka__type_e {
    KAFKA__T_BOOL = 1,
    KAFKA__T_INT8,
    KAFKA__T_INT16,
    KAFKA__T_INT32,
    KAFKA__T_INT64,
    KAFKA__T_UINT16,
    KAFKA__T_FLOAT64,
    KAFKA__T_UUID,
    KAFKA__T_STRING,
    KAFKA__T_BYTES,
    KAFKA__T_RECORDS,
    KAFKA__T_STRUCT,
    KAFKA__T_ARRAY,
    KAFKA__T_NSTRUCT /* a nullable struct: a pointer member, NULL for null */
} kafka__type_t;

typedef struct kafka__schema_s kafka__schema_t;

/* One field: where it lives in its C struct and in which versions it is on the wire. */
typedef struct kafka__field_s {
    const char *name;     /* Kafka's field name, for error messages */
    uint8_t type;         /* kafka__type_t */
    uint8_t elem;         /* element type of an array */
    uint8_t noflex;       /* classic encoding even in flexible versions */
    uint8_t ignorable;    /* a non-default value may be dropped where the version lacks it */
    uint8_t default_null; /* a nullable string/bytes/array whose default is null */
    uint8_t readnull;     /* a null where Kafka forbids it is taken (a peer's quirk), and written back */
    int8_t vmin, vmax;    /* on the wire in versions vmin..vmax */
    int8_t nmin, nmax;    /* nullable in versions nmin..nmax (nmin > nmax: never) */
    int16_t tag;          /* tagged field number, -1 for a regular field */
    uint16_t offset;      /* offsetof the member */
    int64_t dflt;         /* default of a numeric or bool field */
    const kafka__schema_t *sub; /* struct, or an array's struct element */
} kafka__field_t;

struct kafka__schema_s {
    const char *name; /* Kafka's struct name */
    uint16_t size;    /* sizeof the C struct */
    uint16_t nfields;
    const kafka__field_t *fields; /* regular fields in wire order, then tagged by tag */
};

typedef struct kafka__api_s {
    int16_t key;
    const char *name;
    int16_t vmin, vmax; /* the versions this library implements */
    int16_t flexmin;    /* first flexible version (127: none) */
    const kafka__schema_t *request;
    const kafka__schema_t *response;
} kafka__api_t;

extern const kafka__api_t kafka__apis[KAFKA_API_COUNT];
extern const kafka__schema_t *const kafka__schema_request_header;
extern const kafka__schema_t *const kafka__schema_response_header;

/* The API's table entry, or NULL when this library does not speak it. */
const kafka__api_t *kafka__api_find(int16_t key);

/* Appends obj (a C struct described by s) encoded at version `version`, flexible or
 * not. Fails with KAFKA_ERR__INVALID_ARG when a value cannot be represented at that
 * version (a null in a non-nullable field, a string over 32767 bytes, a non-default
 * value in a field the version lacks unless Kafka marks it ignorable); errstr names the
 * field. On error out is left as it was. */
kafka_err_t kafka__schema_encode(const kafka__schema_t *s, int version, bool flexible, const void *obj,
                                 kafka_buf_t *out, char *errstr, size_t errstr_size);

/* Decodes one struct from r into obj (zeroed and filled; fields absent at this version
 * get their defaults). Strings and bytes point into r's buffer; arrays are allocated
 * from arena. On error, r's sticky error says what and where (r->err_field). */
void kafka__schema_decode(const kafka__schema_t *s, int version, bool flexible, kafka_reader_t *r,
                          kafka_arena_t *arena, void *obj);

/* Resets every field that version `version` lacks (recursively, through arrays and
 * structs) to its default: for a server that fills a response the same way at every
 * version and then encodes it at the version asked for. */
void kafka__schema_clamp(const kafka__schema_t *s, int version, void *obj);

/* Sets every field of obj to its default (what a decoder fills in when the field is
 * absent); callers building a request start from this. */
void kafka__schema_defaults(const kafka__schema_t *s, void *obj);

#endif
