/* Request and response frames: size prefix, headers, and the body through the schema
 * interpreter. */
#include <stdio.h>
#include <string.h>

#include "proto/schema.h"

const char *kafka_api_name(int16_t api_key) {
    const kafka__api_t *api = kafka__api_find(api_key);
    return api ? api->name : NULL;
}

bool kafka_api_versions(int16_t api_key, int16_t *min_version, int16_t *max_version) {
    const kafka__api_t *api = kafka__api_find(api_key);
    if (!api)
        return false;
    if (min_version)
        *min_version = api->vmin;
    if (max_version)
        *max_version = api->vmax;
    return true;
}

bool kafka_api_flexible(int16_t api_key, int16_t api_version) {
    const kafka__api_t *api = kafka__api_find(api_key);
    return api && api_version >= api->flexmin;
}

int kafka_request_header_version(int16_t api_key, int16_t api_version) {
    return kafka_api_flexible(api_key, api_version) ? 2 : 1;
}

int kafka_response_header_version(int16_t api_key, int16_t api_version) {
    /* ApiVersions responses keep header v0 so that a client can read the error of a
     * version the broker does not know (KIP-511). */
    if (api_key == KAFKA_API_API_VERSIONS)
        return 0;
    return kafka_api_flexible(api_key, api_version) ? 1 : 0;
}

static kafka_err_t lookup(int16_t api_key, int16_t api_version, const kafka__api_t **apip, char *errstr,
                          size_t errstr_size) {
    const kafka__api_t *api = kafka__api_find(api_key);
    *apip = api;
    if (!api) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "API key %d is not spoken by this library", api_key);
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    if (api_version < api->vmin || api_version > api->vmax) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s version %d is not supported (this library speaks %d-%d)",
                     api->name, api_version, api->vmin, api->vmax);
        return KAFKA_ERR__UNSUPPORTED_VERSION;
    }
    return KAFKA_OK;
}

kafka_err_t kafka_request_init(int16_t api_key, void *body) {
    const kafka__api_t *api = kafka__api_find(api_key);
    if (!api)
        return KAFKA_ERR__UNKNOWN_APIKEY;
    kafka__schema_defaults(api->request, body);
    return KAFKA_OK;
}

kafka_err_t kafka_response_init(int16_t api_key, void *body) {
    const kafka__api_t *api = kafka__api_find(api_key);
    if (!api)
        return KAFKA_ERR__UNKNOWN_APIKEY;
    kafka__schema_defaults(api->response, body);
    return KAFKA_OK;
}

/* Patches the int32 size prefix at out->data + start once the frame is written. */
static void finish_frame(kafka_buf_t *out, size_t start) {
    if (!out->oom)
        kafka__be32(out->data + start, (uint32_t)(out->len - start - 4));
}

kafka_err_t kafka_request_encode(kafka_buf_t *out, const kafka_request_header_t *hdr, const void *body,
                                 char *errstr, size_t errstr_size) {
    const kafka__api_t *api;
    kafka_err_t err = lookup(hdr->request_api_key, hdr->request_api_version, &api, errstr, errstr_size);
    if (err)
        return err;
    size_t start = out->len;
    kafka__buf_i32(out, 0);
    int hv = kafka_request_header_version(api->key, hdr->request_api_version);
    err = kafka__schema_encode(kafka__schema_request_header, hv, hv >= 2, hdr, out, errstr, errstr_size);
    if (!err)
        err = kafka__schema_encode(api->request, hdr->request_api_version, hdr->request_api_version >= api->flexmin,
                                   body, out, errstr, errstr_size);
    if (!err && out->oom)
        err = KAFKA_ERR__NO_MEMORY;
    if (err) {
        out->len = start;
        return err;
    }
    finish_frame(out, start);
    return KAFKA_OK;
}

kafka_err_t kafka_response_encode(kafka_buf_t *out, int16_t api_key, int16_t api_version, int32_t correlation_id,
                                  const void *body, char *errstr, size_t errstr_size) {
    const kafka__api_t *api;
    kafka_err_t err = lookup(api_key, api_version, &api, errstr, errstr_size);
    if (err)
        return err;
    size_t start = out->len;
    kafka__buf_i32(out, 0);
    kafka_response_header_t rh = {correlation_id};
    int hv = kafka_response_header_version(api_key, api_version);
    err = kafka__schema_encode(kafka__schema_response_header, hv, hv >= 1, &rh, out, errstr, errstr_size);
    if (!err)
        err = kafka__schema_encode(api->response, api_version, api_version >= api->flexmin, body, out, errstr,
                                   errstr_size);
    if (!err && out->oom)
        err = KAFKA_ERR__NO_MEMORY;
    if (err) {
        out->len = start;
        return err;
    }
    finish_frame(out, start);
    return KAFKA_OK;
}

/* Turns the reader's sticky error into the return code and a message naming the
 * message, version, field and byte offset. Trailing bytes are an error too: they mean
 * the peer and we disagree about the version's layout. */
static kafka_err_t reader_result(kafka_reader_t *r, size_t base, const char *what, const char *api, int version,
                                 char *errstr, size_t errstr_size) {
    if (kafka__rd_ok(r) && kafka__rd_remaining(r) != 0)
        kafka__rd_fail(r, KAFKA_ERR__BAD_MSG, "trailing bytes after the message");
    if (kafka__rd_ok(r))
        return KAFKA_OK;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s%s v%d: %s at byte %zu%s%s%s%s", api, what, version,
                 r->err_reason ? r->err_reason : kafka_err2str(r->err), base + r->err_offset,
                 r->err_field ? " (field " : "", r->err_struct ? r->err_struct : "", r->err_field ? "." : "",
                 r->err_field ? r->err_field : "");
    if (errstr && errstr_size && r->err_field) {
        size_t n = strlen(errstr);
        if (n + 1 < errstr_size)
            snprintf(errstr + n, errstr_size - n, ")");
    }
    return r->err;
}

/* Decodes a body that starts `base` bytes into the caller's frame (for error offsets). */
static kafka_err_t decode_body(const void *data, size_t len, size_t base, int16_t api_key, int16_t api_version,
                               bool is_request, kafka_arena_t *arena, void *body, char *errstr, size_t errstr_size) {
    const kafka__api_t *api;
    kafka_err_t err = lookup(api_key, api_version, &api, errstr, errstr_size);
    if (err)
        return err;
    kafka_reader_t r;
    kafka__rd_init(&r, data, len);
    kafka__schema_decode(is_request ? api->request : api->response, api_version, api_version >= api->flexmin, &r,
                         arena, body);
    return reader_result(&r, base, is_request ? "Request" : "Response", api->name, api_version, errstr,
                         errstr_size);
}

kafka_err_t kafka_body_decode(const void *data, size_t len, int16_t api_key, int16_t api_version, bool is_request,
                              kafka_arena_t *arena, void *body, char *errstr, size_t errstr_size) {
    return decode_body(data, len, 0, api_key, api_version, is_request, arena, body, errstr, errstr_size);
}

kafka_err_t kafka_request_decode(const void *frame, size_t len, kafka_arena_t *arena, kafka_request_header_t *hdr,
                                 kafka_request_u *body, char *errstr, size_t errstr_size) {
    kafka_reader_t r;
    kafka__rd_init(&r, frame, len);
    /* The api key and version come first in every header version; they pick the rest. */
    int16_t key = kafka__rd_i16(&r);
    int16_t ver = kafka__rd_i16(&r);
    if (!kafka__rd_ok(&r))
        return reader_result(&r, 0, "RequestHeader", "", 0, errstr, errstr_size);
    kafka__rd_init(&r, frame, len);
    int hv = kafka_request_header_version(key, ver);
    kafka__schema_decode(kafka__schema_request_header, hv, hv >= 2, &r, arena, hdr);
    if (!kafka__rd_ok(&r))
        return reader_result(&r, 0, "RequestHeader", "", hv, errstr, errstr_size);
    const kafka__api_t *api;
    kafka_err_t err = lookup(key, ver, &api, errstr, errstr_size);
    if (err)
        return err;
    size_t off = kafka__rd_offset(&r);
    return decode_body((const uint8_t *)frame + off, len - off, off, key, ver, true, arena, body, errstr,
                       errstr_size);
}

kafka_err_t kafka_response_decode(const void *frame, size_t len, int16_t api_key, int16_t api_version,
                                  kafka_arena_t *arena, int32_t *correlation_id, void *body, char *errstr,
                                  size_t errstr_size) {
    const kafka__api_t *api;
    kafka_err_t err = lookup(api_key, api_version, &api, errstr, errstr_size);
    if (err)
        return err;
    kafka_reader_t r;
    kafka__rd_init(&r, frame, len);
    kafka_response_header_t rh;
    int hv = kafka_response_header_version(api_key, api_version);
    kafka__schema_decode(kafka__schema_response_header, hv, hv >= 1, &r, arena, &rh);
    if (!kafka__rd_ok(&r))
        return reader_result(&r, 0, "ResponseHeader", "", hv, errstr, errstr_size);
    if (correlation_id)
        *correlation_id = rh.correlation_id;
    size_t off = kafka__rd_offset(&r);
    return decode_body((const uint8_t *)frame + off, len - off, off, api_key, api_version, false, arena, body,
                       errstr, errstr_size);
}
