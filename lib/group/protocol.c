/* The consumer protocol's subscription and assignment bytes (see protocol.h). */
#include "group/protocol.h"

#include <stdio.h>
#include <string.h>

#include "proto/reader.h"

bool kafka__str_same(kafka_str_t a, kafka_str_t b) {
    if (a.len < 0 || b.len < 0)
        return a.len < 0 && b.len < 0;
    return a.len == b.len && (a.len == 0 || memcmp(a.str, b.str, (size_t)a.len) == 0);
}

int kafka__str_cmp(kafka_str_t a, kafka_str_t b) {
    int32_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.str, b.str, (size_t)n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* ---- encode ---- */

static bool put_str(kafka_buf_t *out, kafka_str_t s, bool nullable) {
    if (s.len < 0 || !s.str) {
        if (!nullable)
            return false;
        kafka__buf_i16(out, -1);
        return true;
    }
    if (s.len > INT16_MAX)
        return false;
    kafka__buf_i16(out, (int16_t)s.len);
    kafka__buf_write(out, s.str, (size_t)s.len);
    return true;
}

static bool put_bytes(kafka_buf_t *out, kafka_bytes_t b) {
    if (b.len < 0) {
        kafka__buf_i32(out, -1);
        return true;
    }
    if (b.len > 0 && !b.data)
        return false;
    kafka__buf_i32(out, b.len);
    kafka__buf_write(out, b.data, (size_t)b.len);
    return true;
}

static bool put_tps(kafka_buf_t *out, const kafka__group_tps_t *tps, int32_t n) {
    if (n < 0 || (n > 0 && !tps))
        return false;
    kafka__buf_i32(out, n);
    for (int32_t i = 0; i < n; i++) {
        if (!put_str(out, tps[i].topic, false) || tps[i].npartitions < 0 ||
            (tps[i].npartitions > 0 && !tps[i].partitions))
            return false;
        kafka__buf_i32(out, tps[i].npartitions);
        for (int32_t k = 0; k < tps[i].npartitions; k++)
            kafka__buf_i32(out, tps[i].partitions[k]);
    }
    return true;
}

static kafka_err_t finish(kafka_buf_t *out, size_t start, bool ok) {
    if (ok && !out->oom)
        return KAFKA_OK;
    out->len = start;
    return ok ? KAFKA_ERR__NO_MEMORY : KAFKA_ERR__INVALID_ARG;
}

kafka_err_t kafka__group_subscription_encode(const kafka__group_subscription_t *s, kafka_buf_t *out) {
    size_t start = out->len;
    int16_t v = s->version;
    bool ok = v >= 0 && v <= KAFKA__CONSUMER_PROTOCOL_MAX_VERSION && s->ntopics >= 0 && (s->ntopics == 0 || s->topics);
    if (ok) {
        kafka__buf_i16(out, v);
        kafka__buf_i32(out, s->ntopics);
        for (int32_t i = 0; i < s->ntopics && ok; i++)
            ok = put_str(out, s->topics[i], false);
        ok = ok && put_bytes(out, s->user_data);
        if (ok && v >= 1)
            ok = put_tps(out, s->owned, s->nowned);
        if (ok && v >= 2)
            kafka__buf_i32(out, s->generation_id);
        if (ok && v >= 3)
            ok = put_str(out, s->rack_id, true);
    }
    return finish(out, start, ok);
}

kafka_err_t kafka__group_assignment_encode(const kafka__group_assignment_t *a, kafka_buf_t *out) {
    size_t start = out->len;
    bool ok = a->version >= 0 && a->version <= KAFKA__CONSUMER_PROTOCOL_MAX_VERSION;
    if (ok) {
        kafka__buf_i16(out, a->version);
        ok = put_tps(out, a->partitions, a->npartitions) && put_bytes(out, a->user_data);
    }
    return finish(out, start, ok);
}

/* ---- decode ---- */

static kafka_str_t get_str(kafka_reader_t *r, bool nullable) {
    kafka_str_t s = {NULL, -1};
    int16_t n = kafka__rd_i16(r);
    if (n < 0) {
        if (!nullable || n < -1)
            kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, nullable ? "negative string length" : "null in a non-nullable string");
        return s;
    }
    const uint8_t *p = kafka__rd_take(r, (size_t)n);
    if (p) {
        s.str = n ? (const char *)p : "";
        s.len = n;
    }
    return s;
}

/* An array count, checked against the bytes left at min_wire bytes per element: -1 on
 * error. */
static int32_t get_count(kafka_reader_t *r, size_t min_wire) {
    int32_t n = kafka__rd_i32(r);
    if (!kafka__rd_ok(r))
        return -1;
    if (n < 0) {
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "null or negative array count");
        return -1;
    }
    if ((size_t)n > kafka__rd_remaining(r) / min_wire) {
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "array count larger than the bytes left");
        return -1;
    }
    return n;
}

static void *get_items(kafka_reader_t *r, kafka_arena_t *arena, int32_t n, size_t size) {
    if (n <= 0)
        return NULL;
    void *p = kafka__arena_alloc(arena, (size_t)n * size);
    if (!p)
        kafka__rd_fail(r, KAFKA_ERR__NO_MEMORY, "out of memory");
    return p;
}

static kafka_bytes_t get_bytes(kafka_reader_t *r) {
    kafka_bytes_t b = {NULL, -1};
    int32_t n = kafka__rd_i32(r);
    if (n < -1)
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "negative bytes length");
    if (n < 0 || !kafka__rd_ok(r))
        return b;
    b.data = kafka__rd_take(r, (size_t)n);
    b.len = b.data ? n : -1;
    return b;
}

static kafka__group_tps_t *get_tps(kafka_reader_t *r, kafka_arena_t *arena, int32_t *count) {
    *count = 0;
    int32_t n = get_count(r, 2 + 4); /* a topic: empty name, no partitions */
    kafka__group_tps_t *tps = get_items(r, arena, n, sizeof(*tps));
    for (int32_t i = 0; tps && i < n && kafka__rd_ok(r); i++) {
        tps[i].topic = get_str(r, false);
        int32_t np = get_count(r, 4);
        tps[i].partitions = get_items(r, arena, np, sizeof(int32_t));
        for (int32_t k = 0; tps[i].partitions && k < np; k++)
            tps[i].partitions[k] = kafka__rd_i32(r);
        tps[i].npartitions = np > 0 && tps[i].partitions ? np : 0;
    }
    if (kafka__rd_ok(r))
        *count = n;
    return kafka__rd_ok(r) ? tps : NULL;
}

static int16_t get_version(kafka_reader_t *r) {
    int16_t v = kafka__rd_i16(r);
    if (kafka__rd_ok(r) && v < 0)
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "negative version");
    return v;
}

static kafka_err_t result(const kafka_reader_t *r, const char *what, char *errstr, size_t errstr_size) {
    if (kafka__rd_ok(r))
        return KAFKA_OK;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s: %s at byte %zu", what, r->err_reason ? r->err_reason : "malformed",
                 r->err_offset);
    return r->err;
}

kafka_err_t kafka__group_subscription_decode(const uint8_t *data, size_t len, kafka_arena_t *arena,
                                             kafka__group_subscription_t *s, char *errstr, size_t errstr_size) {
    kafka_reader_t r;
    kafka__rd_init(&r, data, len);
    memset(s, 0, sizeof(*s));
    s->user_data.len = -1;
    s->generation_id = -1;
    s->rack_id.len = -1;
    s->version = get_version(&r);
    int16_t v = s->version > KAFKA__CONSUMER_PROTOCOL_MAX_VERSION ? KAFKA__CONSUMER_PROTOCOL_MAX_VERSION : s->version;
    int32_t n = get_count(&r, 2);
    s->topics = get_items(&r, arena, n, sizeof(kafka_str_t));
    for (int32_t i = 0; s->topics && i < n; i++)
        s->topics[i] = get_str(&r, false);
    s->ntopics = kafka__rd_ok(&r) && n > 0 ? n : 0;
    s->user_data = get_bytes(&r);
    if (v >= 1)
        s->owned = get_tps(&r, arena, &s->nowned);
    if (v >= 2)
        s->generation_id = kafka__rd_i32(&r);
    if (v >= 3)
        s->rack_id = get_str(&r, true);
    return result(&r, "consumer protocol subscription", errstr, errstr_size);
}

kafka_err_t kafka__group_assignment_decode(const uint8_t *data, size_t len, kafka_arena_t *arena,
                                           kafka__group_assignment_t *a, char *errstr, size_t errstr_size) {
    memset(a, 0, sizeof(*a));
    a->user_data.len = -1;
    if (len == 0)
        return KAFKA_OK;
    kafka_reader_t r;
    kafka__rd_init(&r, data, len);
    a->version = get_version(&r);
    a->partitions = get_tps(&r, arena, &a->npartitions);
    a->user_data = get_bytes(&r);
    return result(&r, "consumer protocol assignment", errstr, errstr_size);
}
