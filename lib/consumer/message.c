/* kafka_message_t accessors (kafka/message.h). */
#include <stdlib.h>

#include "consumer/msgset.h"

const char *kafka_message_topic(const kafka_message_t *m) { return m->set->topic; }
int32_t kafka_message_partition(const kafka_message_t *m) { return m->set->partition; }
int64_t kafka_message_offset(const kafka_message_t *m) { return m->offset; }
int64_t kafka_message_next_offset(const kafka_message_t *m) { return m->next_offset; }
int64_t kafka_message_high_watermark(const kafka_message_t *m) { return m->set->high_watermark; }

/* An empty field is a valid pointer with length 0; a null one is NULL with -1. */
static const void *field(const uint8_t *p, int32_t len, int32_t *lenp) {
    if (lenp)
        *lenp = len;
    return len < 0 ? NULL : len == 0 ? (const void *)"" : (const void *)p;
}

const void *kafka_message_key(const kafka_message_t *m, int32_t *len) { return field(m->key, m->key_len, len); }
const void *kafka_message_payload(const kafka_message_t *m, int32_t *len) { return field(m->value, m->value_len, len); }

int kafka_message_header_count(const kafka_message_t *m) { return m->header_count; }

/* The record headers stay in their wire form; kafka_record_headers() parses them. */
static kafka_record_t headers_of(const kafka_message_t *m) {
    kafka_record_t rec = {0};
    rec.header_count = m->header_count;
    rec.headers_raw = m->headers;
    rec.headers_len = m->headers_len;
    return rec;
}

int kafka_message_headers(const kafka_message_t *m, kafka_header_t *out, int max) {
    kafka_record_t rec = headers_of(m);
    return max > 0 && m->header_count > 0 ? kafka_record_headers(&rec, out, max) : 0;
}

kafka_err_t kafka_message_header(const kafka_message_t *m, int index, kafka_str_t *key, kafka_bytes_t *value) {
    if (index < 0 || index >= m->header_count)
        return KAFKA_ERR__INVALID_ARG;
    kafka_header_t local[16], *h = local;
    if (index >= (int)(sizeof(local) / sizeof(local[0])) && !(h = malloc(((size_t)index + 1) * sizeof(*h))))
        return KAFKA_ERR__NO_MEMORY;
    kafka_record_t rec = headers_of(m);
    int n = kafka_record_headers(&rec, h, index + 1);
    kafka_err_t err = n > index ? KAFKA_OK : KAFKA_ERR__BAD_MSG; /* validated by the decoder: not reached */
    if (!err) {
        if (key)
            *key = h[index].key;
        if (value)
            *value = h[index].value;
    }
    if (h != local)
        free(h);
    return err;
}

int64_t kafka_message_timestamp(const kafka_message_t *m, kafka_timestamp_type_t *type) {
    if (type)
        *type = (kafka_timestamp_type_t)m->timestamp_type;
    return m->timestamp;
}

int kafka_message_magic(const kafka_message_t *m) { return m->magic; }
bool kafka_message_valid(const kafka_message_t *m) { return m->err == KAFKA_OK; }
kafka_err_t kafka_message_error(const kafka_message_t *m) { return m->err; }
const char *kafka_message_errstr(const kafka_message_t *m) { return m->errstr; }
