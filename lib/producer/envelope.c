/* The Produce request envelope with scatter-gather record data (see envelope.h).
 *
 * ProduceRequest (header v1 for v0-8, v2 from v9 where the body is flexible):
 *   size i32 | api_key i16 | api_version i16 | correlation_id i32 | client_id string
 *   [v9+: header tagged fields]
 *   [v3+: transactional_id nullable string: null]
 *   acks i16 | timeout_ms i32
 *   topic_data [name string, partition_data [index i32, records nullable bytes, (tags)], (tags)]
 *   [(tags)]
 * Classic strings are i16 length + bytes, arrays i32 count, bytes i32 length; flexible
 * (compact) ones are uvarint length+1 / count+1, and every struct ends in an empty tag
 * buffer (one 0 byte). client_id in the header stays a classic string (KIP-482). */
#include <stdlib.h>
#include <string.h>

#include "producer/envelope.h"

#define SEG_RECORDS ((size_t)-2)

static bool add_seg(kafka__penv_t *env, size_t off, const void *ptr, size_t len) {
    if ((size_t)env->iovcnt == env->iovcap) {
        size_t cap = env->iovcap ? env->iovcap * 2 : 16;
        struct iovec *iov = realloc(env->iov, cap * sizeof(*iov));
        if (!iov)
            return false;
        env->iov = iov;
        size_t *so = realloc(env->seg_off, cap * sizeof(*so));
        if (!so)
            return false;
        env->seg_off = so;
        env->iovcap = cap;
    }
    env->iov[env->iovcnt].iov_base = (void *)ptr;
    env->iov[env->iovcnt].iov_len = len;
    env->seg_off[env->iovcnt++] = off;
    return true;
}

static void put_uvarint(kafka_buf_t *b, uint32_t v) {
    uint8_t *p = kafka__buf_extend(b, 5);
    if (p)
        b->len -= 5 - kafka__uvarint_put(p, v);
}

static void put_string(kafka_buf_t *b, const char *s, size_t len, bool compact) {
    if (compact)
        put_uvarint(b, (uint32_t)len + 1);
    else
        kafka__buf_i16(b, (int16_t)len);
    kafka__buf_write(b, s, len);
}

kafka_err_t kafka__penv_build(kafka__penv_t *env, int16_t version, int32_t correlation_id, const char *client_id,
                              int16_t acks, int32_t timeout_ms, const kafka__penv_part_t *parts, size_t n) {
    if (version < 0 || version > 9)
        return KAFKA_ERR__UNSUPPORTED_VERSION;
    bool flex = version >= 9;
    kafka_buf_t *b = &env->buf;
    kafka__buf_reset(b);
    env->iovcnt = 0;
    size_t cid_len = client_id ? strlen(client_id) : 0;
    if (cid_len > INT16_MAX)
        return KAFKA_ERR__INVALID_ARG;
    kafka__buf_i32(b, 0); /* size, patched below */
    kafka__buf_i16(b, 0); /* Produce */
    kafka__buf_i16(b, version);
    kafka__buf_i32(b, correlation_id);
    if (client_id)
        put_string(b, client_id, cid_len, false);
    else
        kafka__buf_i16(b, -1);
    if (flex)
        kafka__buf_i8(b, 0);
    if (version >= 3) {
        if (flex)
            put_uvarint(b, 0); /* null */
        else
            kafka__buf_i16(b, -1);
    }
    kafka__buf_i16(b, acks);
    kafka__buf_i32(b, timeout_ms);
    /* Topics: runs of adjacent parts with the same topic. */
    size_t ntopics = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(parts[i].topic, parts[i - 1].topic) != 0)
            ntopics++;
    if (flex)
        put_uvarint(b, (uint32_t)ntopics + 1);
    else
        kafka__buf_i32(b, (int32_t)ntopics);
    size_t seg_start = 0; /* start in buf of the segment being written */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(parts[j].topic, parts[i].topic) == 0)
            j++;
        size_t tlen = strlen(parts[i].topic);
        if (tlen > INT16_MAX)
            return KAFKA_ERR__INVALID_ARG;
        put_string(b, parts[i].topic, tlen, flex);
        if (flex)
            put_uvarint(b, (uint32_t)(j - i) + 1);
        else
            kafka__buf_i32(b, (int32_t)(j - i));
        for (size_t k = i; k < j; k++) {
            if (parts[k].len > INT32_MAX - 1)
                return KAFKA_ERR__INVALID_ARG;
            kafka__buf_i32(b, parts[k].partition);
            if (flex)
                put_uvarint(b, (uint32_t)parts[k].len + 1);
            else
                kafka__buf_i32(b, (int32_t)parts[k].len);
            if (!add_seg(env, seg_start, NULL, b->len - seg_start) ||
                (parts[k].len && !add_seg(env, SEG_RECORDS, parts[k].records, parts[k].len)))
                return KAFKA_ERR__NO_MEMORY;
            seg_start = b->len;
            if (flex)
                kafka__buf_i8(b, 0); /* partition tags */
        }
        if (flex)
            kafka__buf_i8(b, 0); /* topic tags */
        i = j;
    }
    if (flex)
        kafka__buf_i8(b, 0); /* body tags */
    if (b->len > seg_start && !add_seg(env, seg_start, NULL, b->len - seg_start))
        return KAFKA_ERR__NO_MEMORY;
    if (b->oom)
        return KAFKA_ERR__NO_MEMORY;
    /* buf is final: point the buffer segments into it, and patch the size. */
    size_t total = 0;
    for (int i = 0; i < env->iovcnt; i++) {
        if (env->seg_off[i] != SEG_RECORDS)
            env->iov[i].iov_base = b->data + env->seg_off[i];
        total += env->iov[i].iov_len;
    }
    if (total - 4 > INT32_MAX)
        return KAFKA_ERR__INVALID_ARG;
    kafka__be32(b->data, (uint32_t)(total - 4));
    env->frame_len = total;
    return KAFKA_OK;
}

void kafka__penv_free(kafka__penv_t *env) {
    kafka__buf_free(&env->buf);
    free(env->iov);
    free(env->seg_off);
    memset(env, 0, sizeof(*env));
}
