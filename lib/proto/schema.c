/* The one interpreter: encodes and decodes any struct of any API at any version from
 * the generated field tables. Classic encodings: int16-length strings, int32-length
 * bytes and arrays, -1 for null. Flexible versions (KIP-482): compact lengths as
 * unsigned varint N+1 (0 for null) and a tagged-field section after every struct. A
 * nullable struct is an int8 marker (-1 null, 1 present) and then the struct. */
#include "proto/schema.h"

#include <stdio.h>
#include <string.h>

static bool field_present(const kafka__field_t *f, int v) { return v >= f->vmin && v <= f->vmax; }
static bool field_nullable(const kafka__field_t *f, int v) { return v >= f->nmin && v <= f->nmax; }

typedef struct kafka__array_s {
    void *items;
    int32_t count;
} kafka__array_t;

static size_t elem_size(const kafka__field_t *f) {
    switch (f->elem) {
    case KAFKA__T_BOOL: return sizeof(bool);
    case KAFKA__T_INT8: return 1;
    case KAFKA__T_INT16:
    case KAFKA__T_UINT16: return 2;
    case KAFKA__T_INT32: return 4;
    case KAFKA__T_INT64:
    case KAFKA__T_FLOAT64: return 8;
    case KAFKA__T_UUID: return sizeof(kafka_uuid_t);
    case KAFKA__T_STRING: return sizeof(kafka_str_t);
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: return sizeof(kafka_bytes_t);
    case KAFKA__T_STRUCT: return f->sub->size;
    default: return 0;
    }
}

static size_t struct_min_wire(const kafka__schema_t *s, int version, bool flex);

/* Smallest encoding of one value of `type`, so that an array count can be checked
 * against the bytes left before its elements are allocated: then a decoded message
 * never takes more than sizeof(element) / min_wire(element) times its input size. */
static size_t type_min_wire(const kafka__field_t *f, int type, int version, bool compact, bool flex) {
    switch (type) {
    case KAFKA__T_BOOL:
    case KAFKA__T_INT8: return 1;
    case KAFKA__T_INT16:
    case KAFKA__T_UINT16: return 2;
    case KAFKA__T_INT32: return 4;
    case KAFKA__T_INT64:
    case KAFKA__T_FLOAT64: return 8;
    case KAFKA__T_UUID: return 16;
    case KAFKA__T_STRING: return compact ? 1 : 2;
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS:
    case KAFKA__T_ARRAY: return compact ? 1 : 4;
    case KAFKA__T_STRUCT: return struct_min_wire(f->sub, version, flex);
    case KAFKA__T_NSTRUCT: return 1;
    }
    return 1;
}

static size_t struct_min_wire(const kafka__schema_t *s, int version, bool flex) {
    size_t n = flex ? 1 : 0; /* the tagged-field count */
    for (unsigned i = 0; i < s->nfields; i++) {
        const kafka__field_t *f = &s->fields[i];
        if (f->tag < 0 && field_present(f, version))
            n += type_min_wire(f, f->type, version, flex && !f->noflex, flex);
    }
    return n ? n : 1;
}

/* ---- defaults ---- */

static void set_default(const kafka__field_t *f, uint8_t *p) {
    switch (f->type) {
    case KAFKA__T_BOOL: *(bool *)p = f->dflt != 0; break;
    case KAFKA__T_INT8: *(int8_t *)p = (int8_t)f->dflt; break;
    case KAFKA__T_INT16: *(int16_t *)p = (int16_t)f->dflt; break;
    case KAFKA__T_UINT16: *(uint16_t *)p = (uint16_t)f->dflt; break;
    case KAFKA__T_INT32: *(int32_t *)p = (int32_t)f->dflt; break;
    case KAFKA__T_INT64: *(int64_t *)p = f->dflt; break;
    case KAFKA__T_FLOAT64: *(double *)p = (double)f->dflt; break;
    case KAFKA__T_UUID: memset(p, 0, sizeof(kafka_uuid_t)); break;
    case KAFKA__T_STRING: {
        kafka_str_t s = {f->default_null ? NULL : "", f->default_null ? -1 : 0};
        memcpy(p, &s, sizeof(s));
        break;
    }
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: {
        kafka_bytes_t b = {NULL, f->default_null ? -1 : 0};
        memcpy(p, &b, sizeof(b));
        break;
    }
    case KAFKA__T_ARRAY: {
        kafka__array_t a = {NULL, f->default_null ? -1 : 0};
        memcpy(p, &a, sizeof(a));
        break;
    }
    case KAFKA__T_STRUCT: kafka__schema_defaults(f->sub, p); break;
    case KAFKA__T_NSTRUCT: memset(p, 0, sizeof(void *)); break; /* Kafka's nullable structs default to null */
    }
}

void kafka__schema_defaults(const kafka__schema_t *s, void *obj) {
    memset(obj, 0, s->size);
    for (unsigned i = 0; i < s->nfields; i++)
        set_default(&s->fields[i], (uint8_t *)obj + s->fields[i].offset);
}

static bool struct_is_default(const kafka__schema_t *s, const uint8_t *obj);

void kafka__schema_clamp(const kafka__schema_t *s, int version, void *obj) {
    for (unsigned i = 0; i < s->nfields; i++) {
        const kafka__field_t *f = &s->fields[i];
        uint8_t *p = (uint8_t *)obj + f->offset;
        if (!field_present(f, version)) {
            set_default(f, p);
        } else if (f->type == KAFKA__T_STRUCT) {
            kafka__schema_clamp(f->sub, version, p);
        } else if (f->type == KAFKA__T_NSTRUCT) {
            void *sub;
            memcpy(&sub, p, sizeof(sub));
            if (sub)
                kafka__schema_clamp(f->sub, version, sub);
        } else if (f->type == KAFKA__T_ARRAY && f->elem == KAFKA__T_STRUCT) {
            kafka__array_t a;
            memcpy(&a, p, sizeof(a));
            for (int32_t k = 0; k < a.count; k++)
                kafka__schema_clamp(f->sub, version, (uint8_t *)a.items + (size_t)k * f->sub->size);
        }
    }
}

static bool is_default(const kafka__field_t *f, const uint8_t *p) {
    switch (f->type) {
    case KAFKA__T_BOOL: return *(const bool *)p == (f->dflt != 0);
    case KAFKA__T_INT8: return *(const int8_t *)p == (int8_t)f->dflt;
    case KAFKA__T_INT16: return *(const int16_t *)p == (int16_t)f->dflt;
    case KAFKA__T_UINT16: return *(const uint16_t *)p == (uint16_t)f->dflt;
    case KAFKA__T_INT32: return *(const int32_t *)p == (int32_t)f->dflt;
    case KAFKA__T_INT64: return *(const int64_t *)p == f->dflt;
    case KAFKA__T_FLOAT64: return *(const double *)p == (double)f->dflt;
    case KAFKA__T_UUID: {
        static const kafka_uuid_t zero;
        return memcmp(p, &zero, sizeof(zero)) == 0;
    }
    case KAFKA__T_STRING: {
        kafka_str_t s;
        memcpy(&s, p, sizeof(s));
        return s.len == (f->default_null ? -1 : 0);
    }
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: {
        kafka_bytes_t b;
        memcpy(&b, p, sizeof(b));
        return b.len == (f->default_null ? -1 : 0);
    }
    case KAFKA__T_ARRAY: {
        kafka__array_t a;
        memcpy(&a, p, sizeof(a));
        return a.count == (f->default_null ? -1 : 0);
    }
    case KAFKA__T_STRUCT: return struct_is_default(f->sub, p);
    case KAFKA__T_NSTRUCT: {
        const void *sub;
        memcpy(&sub, p, sizeof(sub));
        return sub == NULL;
    }
    }
    return true;
}

static bool struct_is_default(const kafka__schema_t *s, const uint8_t *obj) {
    for (unsigned i = 0; i < s->nfields; i++)
        if (!is_default(&s->fields[i], obj + s->fields[i].offset))
            return false;
    return true;
}

/* ---- encode ---- */

typedef struct enc_s {
    int version;
    char *errstr;
    size_t errstr_size;
    kafka_err_t err;
} enc_t;

static void enc_fail(enc_t *e, const kafka__schema_t *s, const kafka__field_t *f, const char *why) {
    if (e->err)
        return;
    e->err = KAFKA_ERR__INVALID_ARG;
    if (e->errstr && e->errstr_size)
        snprintf(e->errstr, e->errstr_size, "%s.%s: %s at version %d", s->name, f->name, why, e->version);
}

static void enc_struct(enc_t *e, const kafka__schema_t *s, bool flex, const uint8_t *obj, kafka_buf_t *out);

static void enc_len(kafka_buf_t *out, bool compact, bool wide, int32_t len) {
    if (compact)
        kafka__buf_uvarint(out, (uint32_t)len + 1); /* -1 -> 0; INT32_MAX does not overflow */
    else if (wide)
        kafka__buf_i32(out, len);
    else
        kafka__buf_i16(out, (int16_t)len);
}

/* Encodes one value of type `type` (a field, or an array element when f is the array). */
static void enc_value(enc_t *e, const kafka__schema_t *s, const kafka__field_t *f, int type, bool compact,
                      bool flex, const uint8_t *p, kafka_buf_t *out) {
    switch (type) {
    case KAFKA__T_BOOL: kafka__buf_i8(out, *(const bool *)p ? 1 : 0); break;
    case KAFKA__T_INT8: kafka__buf_i8(out, *(const int8_t *)p); break;
    case KAFKA__T_INT16: kafka__buf_i16(out, *(const int16_t *)p); break;
    case KAFKA__T_UINT16: kafka__buf_i16(out, (int16_t) * (const uint16_t *)p); break;
    case KAFKA__T_INT32: kafka__buf_i32(out, *(const int32_t *)p); break;
    case KAFKA__T_INT64: kafka__buf_i64(out, *(const int64_t *)p); break;
    case KAFKA__T_FLOAT64: {
        int64_t u;
        memcpy(&u, p, sizeof(u));
        kafka__buf_i64(out, u);
        break;
    }
    case KAFKA__T_UUID: kafka__buf_write(out, p, 16); break;
    case KAFKA__T_STRING: {
        kafka_str_t v;
        memcpy(&v, p, sizeof(v));
        if (v.len < 0 || !v.str) {
            if (!field_nullable(f, e->version) && !f->readnull)
                enc_fail(e, s, f, "null in a non-nullable string");
            enc_len(out, compact, false, -1);
        } else if (v.len > INT16_MAX) {
            enc_fail(e, s, f, "string longer than 32767 bytes");
        } else {
            enc_len(out, compact, false, v.len);
            kafka__buf_write(out, v.str, (size_t)v.len);
        }
        break;
    }
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: {
        kafka_bytes_t v;
        memcpy(&v, p, sizeof(v));
        if (!v.data && v.len > 0) {
            enc_fail(e, s, f, "bytes with a length but no data");
        } else if (v.len < 0) {
            if (!field_nullable(f, e->version) && !f->readnull)
                enc_fail(e, s, f, "null in non-nullable bytes");
            enc_len(out, compact, true, -1);
        } else {
            enc_len(out, compact, true, v.len);
            kafka__buf_write(out, v.data, (size_t)v.len);
        }
        break;
    }
    case KAFKA__T_STRUCT: enc_struct(e, f->sub, flex, p, out); break;
    case KAFKA__T_NSTRUCT: {
        const uint8_t *sub;
        memcpy(&sub, p, sizeof(sub));
        if (!sub && !field_nullable(f, e->version))
            enc_fail(e, s, f, "null in a non-nullable struct");
        kafka__buf_i8(out, sub ? 1 : -1);
        if (sub)
            enc_struct(e, f->sub, flex, sub, out);
        break;
    }
    case KAFKA__T_ARRAY: {
        kafka__array_t a;
        memcpy(&a, p, sizeof(a));
        if (!a.items && a.count > 0) {
            enc_fail(e, s, f, "array with a count but no items");
            break;
        }
        if (a.count < 0) {
            if (!field_nullable(f, e->version))
                enc_fail(e, s, f, "null in a non-nullable array");
            enc_len(out, compact, true, -1);
            break;
        }
        enc_len(out, compact, true, a.count);
        size_t esz = elem_size(f);
        for (int32_t i = 0; i < a.count && !e->err; i++)
            enc_value(e, s, f, f->elem, compact, flex, (const uint8_t *)a.items + (size_t)i * esz, out);
        break;
    }
    }
}

static void enc_struct(enc_t *e, const kafka__schema_t *s, bool flex, const uint8_t *obj, kafka_buf_t *out) {
    unsigned ntagged = 0;
    for (unsigned i = 0; i < s->nfields && !e->err; i++) {
        const kafka__field_t *f = &s->fields[i];
        if (!field_present(f, e->version)) {
            /* Dropping it would silently change the request's meaning (Kafka's own
             * encoders refuse too), unless Kafka marks the field ignorable. */
            if (!f->ignorable && !is_default(f, obj + f->offset))
                enc_fail(e, s, f, "a non-default value is not supported");
            continue;
        }
        if (f->tag >= 0) {
            if (flex && !is_default(f, obj + f->offset))
                ntagged++;
            continue;
        }
        enc_value(e, s, f, f->type, flex && !f->noflex, flex, obj + f->offset, out);
    }
    if (!flex || e->err)
        return;
    kafka__buf_uvarint(out, ntagged);
    if (!ntagged)
        return;
    kafka_buf_t tmp = KAFKA_BUF_INIT;
    for (unsigned i = 0; i < s->nfields && !e->err; i++) {
        const kafka__field_t *f = &s->fields[i];
        if (f->tag < 0 || !field_present(f, e->version) || is_default(f, obj + f->offset))
            continue;
        kafka__buf_reset(&tmp);
        enc_value(e, s, f, f->type, !f->noflex, flex, obj + f->offset, &tmp);
        if (tmp.oom)
            out->oom = true;
        kafka__buf_uvarint(out, (uint32_t)f->tag);
        kafka__buf_uvarint(out, (uint32_t)tmp.len);
        kafka__buf_write(out, tmp.data, tmp.len);
    }
    kafka__buf_free(&tmp);
}

kafka_err_t kafka__schema_encode(const kafka__schema_t *s, int version, bool flexible, const void *obj,
                                 kafka_buf_t *out, char *errstr, size_t errstr_size) {
    enc_t e = {version, errstr, errstr_size, KAFKA_OK};
    size_t start = out->len;
    enc_struct(&e, s, flexible, obj, out);
    if (!e.err && out->oom) {
        e.err = KAFKA_ERR__NO_MEMORY;
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: out of memory while encoding", s->name);
    }
    if (e.err)
        out->len = start;
    return e.err;
}

/* ---- decode ---- */

typedef struct dec_s {
    int version;
    kafka_reader_t *r;
    kafka_arena_t *arena;
} dec_t;

static void dec_struct(dec_t *d, const kafka__schema_t *s, bool flex, kafka_reader_t *r, uint8_t *obj);

/* Reads a length or count: returns -1 for null, -2 after an error. */
static int64_t dec_len(kafka_reader_t *r, bool compact, bool wide) {
    int64_t n;
    if (compact)
        n = (int64_t)kafka__rd_uvarint(r) - 1;
    else if (wide)
        n = kafka__rd_i32(r);
    else
        n = kafka__rd_i16(r);
    if (!kafka__rd_ok(r))
        return -2;
    if (n < -1) {
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "negative length");
        return -2;
    }
    return n;
}

static void dec_value(dec_t *d, const kafka__schema_t *s, const kafka__field_t *f, int type, bool compact,
                      bool flex, kafka_reader_t *r, uint8_t *p) {
    switch (type) {
    case KAFKA__T_BOOL: *(bool *)p = kafka__rd_i8(r) != 0; break;
    case KAFKA__T_INT8: *(int8_t *)p = kafka__rd_i8(r); break;
    case KAFKA__T_INT16: *(int16_t *)p = kafka__rd_i16(r); break;
    case KAFKA__T_UINT16: *(uint16_t *)p = kafka__rd_u16(r); break;
    case KAFKA__T_INT32: *(int32_t *)p = kafka__rd_i32(r); break;
    case KAFKA__T_INT64: *(int64_t *)p = kafka__rd_i64(r); break;
    case KAFKA__T_FLOAT64: *(double *)p = kafka__rd_f64(r); break;
    case KAFKA__T_UUID: {
        const uint8_t *u = kafka__rd_take(r, 16);
        if (u)
            memcpy(p, u, 16);
        break;
    }
    case KAFKA__T_STRING:
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: {
        int64_t n = dec_len(r, compact, type != KAFKA__T_STRING);
        if (n == -2)
            break;
        if (n == -1 && !field_nullable(f, d->version) && !f->readnull) {
            kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "null in a non-nullable field");
            break;
        }
        const uint8_t *data = n > 0 ? kafka__rd_take(r, (size_t)n) : NULL;
        if (n > 0 && !data)
            break;
        if (type == KAFKA__T_STRING && n > INT16_MAX) {
            kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "string longer than 32767 bytes");
            break;
        }
        if (type == KAFKA__T_STRING) {
            kafka_str_t v = {n < 0 ? NULL : n == 0 ? "" : (const char *)data, (int32_t)n};
            memcpy(p, &v, sizeof(v));
        } else {
            kafka_bytes_t v = {data, (int32_t)n};
            memcpy(p, &v, sizeof(v));
        }
        break;
    }
    case KAFKA__T_STRUCT: dec_struct(d, f->sub, flex, r, p); break;
    case KAFKA__T_NSTRUCT: {
        int8_t marker = kafka__rd_i8(r);
        if (!kafka__rd_ok(r))
            break;
        uint8_t *sub = NULL;
        if (marker < 0) {
            if (!field_nullable(f, d->version))
                kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "null in a non-nullable struct");
        } else if (!(sub = kafka__arena_alloc(d->arena, f->sub->size))) {
            kafka__rd_fail(r, KAFKA_ERR__NO_MEMORY, "out of memory for a struct");
        } else {
            kafka__schema_defaults(f->sub, sub);
            dec_struct(d, f->sub, flex, r, sub);
        }
        memcpy(p, &sub, sizeof(sub));
        break;
    }
    case KAFKA__T_ARRAY: {
        int64_t n = dec_len(r, compact, true);
        if (n == -2)
            break;
        if (n == -1 && !field_nullable(f, d->version)) {
            kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "null in a non-nullable array");
            break;
        }
        kafka__array_t a = {NULL, (int32_t)n};
        if (n > 0) {
            if ((uint64_t)n > kafka__rd_remaining(r) / type_min_wire(f, f->elem, d->version, compact, flex)) {
                kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "array count larger than the bytes left");
                break;
            }
            size_t esz = elem_size(f);
            a.items = kafka__arena_alloc(d->arena, (size_t)n * esz);
            if (!a.items) {
                kafka__rd_fail(r, KAFKA_ERR__NO_MEMORY, "out of memory for an array");
                break;
            }
            for (int64_t i = 0; i < n && kafka__rd_ok(r); i++) {
                uint8_t *item = (uint8_t *)a.items + (size_t)i * esz;
                if (f->elem == KAFKA__T_STRUCT)
                    kafka__schema_defaults(f->sub, item);
                dec_value(d, s, f, f->elem, compact, flex, r, item);
            }
        }
        memcpy(p, &a, sizeof(a));
        break;
    }
    }
}

static void note_field(kafka_reader_t *r, const kafka__schema_t *s, const kafka__field_t *f) {
    if (!kafka__rd_ok(r) && !r->err_field) {
        r->err_field = f->name;
        r->err_struct = s->name;
    }
}

static void dec_struct(dec_t *d, const kafka__schema_t *s, bool flex, kafka_reader_t *r, uint8_t *obj) {
    for (unsigned i = 0; i < s->nfields && kafka__rd_ok(r); i++) {
        const kafka__field_t *f = &s->fields[i];
        if (f->tag >= 0 || !field_present(f, d->version))
            continue;
        dec_value(d, s, f, f->type, flex && !f->noflex, flex, r, obj + f->offset);
        note_field(r, s, f);
    }
    if (!flex || !kafka__rd_ok(r))
        return;
    uint32_t ntags = kafka__rd_uvarint(r);
    for (uint32_t t = 0; t < ntags && kafka__rd_ok(r); t++) {
        uint32_t tag = kafka__rd_uvarint(r);
        uint32_t size = kafka__rd_uvarint(r);
        const uint8_t *data = kafka__rd_take(r, size);
        if (!data)
            break;
        for (unsigned i = 0; i < s->nfields; i++) {
            const kafka__field_t *f = &s->fields[i];
            if (f->tag < 0 || (uint32_t)f->tag != tag || !field_present(f, d->version))
                continue;
            kafka_reader_t sub;
            kafka__rd_init(&sub, data, size);
            dec_value(d, s, f, f->type, !f->noflex, flex, &sub, obj + f->offset);
            if (!kafka__rd_ok(&sub)) {
                note_field(&sub, s, f);
                r->err = sub.err;
                r->err_offset = (size_t)(data - r->start) + sub.err_offset;
                r->err_reason = sub.err_reason;
                r->err_field = sub.err_field;
                r->err_struct = sub.err_struct;
                r->p = r->end;
            }
            break;
        }
    }
}

void kafka__schema_decode(const kafka__schema_t *s, int version, bool flexible, kafka_reader_t *r,
                          kafka_arena_t *arena, void *obj) {
    dec_t d = {version, r, arena};
    kafka__schema_defaults(s, obj);
    dec_struct(&d, s, flexible, r, obj);
}

const kafka__api_t *kafka__api_find(int16_t key) {
    for (unsigned i = 0; i < KAFKA_API_COUNT; i++)
        if (kafka__apis[i].key == key)
            return &kafka__apis[i];
    return NULL;
}
