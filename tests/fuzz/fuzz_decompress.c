/* libFuzzer target for the decompressors. The first input byte picks the codec
 * (kafka_compression_t, modulo 5); the rest is decompressed with a 1 MiB limit, as the
 * consumer does with a broker's record batch. Whatever decodes is compressed again and
 * must decode back to the same bytes, which exercises the encoders on odd data too. */
#include "proto/compress.h"

#include <stdlib.h>
#include <string.h>

#define MAX_OUT (1024u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kafka_compression_t codec = (kafka_compression_t)(data[0] % 5);
    kafka_buf_t plain = KAFKA_BUF_INIT, packed = KAFKA_BUF_INIT, again = KAFKA_BUF_INIT;
    char err[256];
    kafka_err_t rc = kafka__decompress(codec, data + 1, size - 1, MAX_OUT, &plain, err, sizeof(err));
    if (rc != KAFKA_OK && rc != KAFKA_ERR__BAD_COMPRESSION && rc != KAFKA_ERR__MSG_TOO_LARGE)
        abort();
    if (rc == KAFKA_OK && plain.len > MAX_OUT)
        abort();
    if (rc != KAFKA_OK && plain.len != 0)
        abort(); /* out->len must be restored on error */
    /* Round trip only modest outputs, so the fuzzer spends its time on the decoders. */
    if (rc == KAFKA_OK && plain.len <= 64 * 1024) {
        if (kafka__compress(codec, 1, plain.data, plain.len, &packed, err, sizeof(err)) != KAFKA_OK ||
            kafka__decompress(codec, packed.data, packed.len, MAX_OUT, &again, err, sizeof(err)) ||
            again.len != plain.len || (plain.len && memcmp(again.data, plain.data, plain.len) != 0))
            abort();
    }
    kafka__buf_free(&plain);
    kafka__buf_free(&packed);
    kafka__buf_free(&again);
    return 0;
}
