/* One fuzz target for the whole schema interpreter: every API, version and direction.
 * Input: byte 0 is the API key (a key the codec does not speak picks an API by its
 * index, so every byte value reaches one; keys keep a corpus valid as APIs are added),
 * byte 1 the version, byte 2 the direction (0 request body,
 * 1 response body, 2 a whole request frame as a server reads it, 3 a whole response frame
 * as a client reads it); the rest is decoded.
 * Whatever decodes must re-encode, and the re-encoding must decode again. */
#include <stdlib.h>
#include <string.h>

#include "proto/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3)
        return 0;
    const kafka__api_t *api = kafka__api_find(data[0]);
    if (!api)
        api = &kafka__apis[data[0] % KAFKA_API_COUNT];
    int16_t version = (int16_t)(api->vmin + data[1] % (api->vmax - api->vmin + 1));
    int dir = data[2] % 4;
    data += 3;
    size -= 3;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    kafka_buf_t out = KAFKA_BUF_INIT;
    char err[256];
    if (dir == 2) {
        kafka_request_header_t hdr;
        kafka_request_u *body = malloc(sizeof(*body));
        if (body && kafka_request_decode(data, size, &arena, &hdr, body, err, sizeof(err)) == KAFKA_OK) {
            if (kafka_request_encode(&out, &hdr, body, err, sizeof(err)) != KAFKA_OK)
                abort();
            if (kafka_request_decode(out.data + 4, out.len - 4, &arena, &hdr, body, err, sizeof(err)) != KAFKA_OK)
                abort();
        }
        free(body);
    } else if (dir == 3) {
        kafka_response_u *body = malloc(sizeof(*body));
        int32_t corr;
        if (body && kafka_response_decode(data, size, api->key, version, &arena, &corr, body, err, sizeof(err)) ==
                        KAFKA_OK) {
            if (kafka_response_encode(&out, api->key, version, corr, body, err, sizeof(err)) != KAFKA_OK)
                abort();
            if (kafka_response_decode(out.data + 4, out.len - 4, api->key, version, &arena, &corr, body, err,
                                      sizeof(err)) != KAFKA_OK)
                abort();
        }
        free(body);
    } else {
        const kafka__schema_t *s = dir ? api->response : api->request;
        void *obj = malloc(s->size);
        if (obj && kafka_body_decode(data, size, api->key, version, dir == 0, &arena, obj, err, sizeof(err)) ==
                       KAFKA_OK) {
            if (kafka__schema_encode(s, version, version >= api->flexmin, obj, &out, err, sizeof(err)) != KAFKA_OK)
                abort();
            if (kafka_body_decode(out.data, out.len, api->key, version, dir == 0, &arena, obj, err, sizeof(err)) !=
                KAFKA_OK)
                abort();
        }
        free(obj);
    }
    kafka__buf_free(&out);
    kafka__arena_free(&arena);
    return 0;
}
