/* Compression codecs of Kafka record data: gzip, snappy, lz4 (frame), zstd.
 * Internal to lib/; the codec ids are Kafka's attribute values (kafka_compression_t in
 * kafka/protocol.h). */
#ifndef KAFKA_PROTO_COMPRESS_H
#define KAFKA_PROTO_COMPRESS_H

#include "kafka/error.h"
#include "kafka/protocol.h"
#include "util/buf.h"

/* Appends the compressed form of src[0..len) to out. level < 0 picks the codec's
 * default. Snappy is written in the xerial framing Java clients use (Kafka's brokers
 * and librdkafka both read it). Returns KAFKA_OK, KAFKA_ERR__NO_MEMORY, or
 * KAFKA_ERR__UNSUPPORTED_COMPRESSION (errstr says which codec). */
kafka_err_t kafka__compress(kafka_compression_t codec, int level, const uint8_t *src, size_t len,
                            kafka_buf_t *out, char *errstr, size_t errstr_size);

/* Appends the decompressed form of src[0..len) to out, producing at most max_out bytes
 * (a larger result fails with KAFKA_ERR__MSG_TOO_LARGE, so a small hostile input cannot
 * make us allocate without bound). Snappy accepts both raw snappy and the xerial framing.
 * Corrupt input fails with KAFKA_ERR__BAD_COMPRESSION and errstr names the codec and the
 * cause. On error out->len is restored to what it was on entry. */
kafka_err_t kafka__decompress(kafka_compression_t codec, const uint8_t *src, size_t len, size_t max_out,
                              kafka_buf_t *out, char *errstr, size_t errstr_size);

/* LZ4 frames in MessageSet v0 carry Kafka's historical header checksum (KAFKA-3160):
 * the xxh32 of the frame magic *and* descriptor, where the LZ4 spec hashes the
 * descriptor only. Kafka still writes that for magic 0 and ignores the byte when reading
 * magic 0. Rewrites the header checksum of the LZ4 frame at frame[0..len) to the
 * standard value (legacy = false) or Kafka's magic-0 value (legacy = true). Returns
 * false when the bytes do not start with an LZ4 frame header. */
bool kafka__lz4_set_header_checksum(uint8_t *frame, size_t len, bool legacy);

#endif
