/* Kafka::Protocol: the wire codec. Encode and decode of every request and response
 * this library speaks, in both directions (the mock cluster uses the server side),
 * record formats (MessageSet v0/v1, RecordBatch v2), CRCs and compression.
 * Nothing here starts threads or does I/O. */
#ifndef KAFKA_PROTOCOL_H
#define KAFKA_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/buf.h"
#include "kafka/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Wire types ---------------------------------------------------------------- */

/* A string on the wire: not NUL-terminated; len -1 is null. Decoded strings point into
 * the decoded frame, which must outlive them. */
typedef struct kafka_str_s {
    const char *str;
    int32_t len;
} kafka_str_t;

/* Bytes (and record data) on the wire; len -1 is null. Same lifetime rule as strings. */
typedef struct kafka_bytes_s {
    const uint8_t *data;
    int32_t len;
} kafka_bytes_t;

typedef struct kafka_uuid_s {
    uint8_t b[16];
} kafka_uuid_t;

/* A kafka_str_t of a C string (NULL gives null). */
static inline kafka_str_t kafka_str(const char *s) {
    kafka_str_t r = {s, -1};
    if (s) {
        r.len = 0;
        while (s[r.len]) r.len++;
    }
    return r;
}

/* Whether s holds exactly the C string c (a null s equals only a NULL c). */
static inline bool kafka_str_eq(kafka_str_t s, const char *c) {
    if (!c || s.len < 0)
        return !c && s.len < 0;
    for (const char *p = s.str, *end = s.str + s.len; p < end; p++, c++)
        if (!*c || *c != *p)
            return false;
    return *c == 0;
}

#include "kafka/gen/protocol_msgs.h"

/* ---- Compression --------------------------------------------------------------- */

/* Kafka's codec ids, as stored in the low 3 attribute bits. */
typedef enum kafka_compression_e {
    KAFKA_COMPRESSION_NONE = 0,
    KAFKA_COMPRESSION_GZIP = 1,
    KAFKA_COMPRESSION_SNAPPY = 2,
    KAFKA_COMPRESSION_LZ4 = 3,
    KAFKA_COMPRESSION_ZSTD = 4
} kafka_compression_t;

const char *kafka_compression_name(kafka_compression_t codec);
/* Parses "none", "gzip", "snappy", "lz4", "zstd"; -1 when unknown. */
int kafka_compression_parse(const char *name);

/* ---- Requests and responses ---------------------------------------------------- */


/* The API's name ("Produce"), or NULL when this library does not speak it. */
const char *kafka_api_name(int16_t api_key);
/* The versions of an API this library implements; false when it speaks none. */
bool kafka_api_versions(int16_t api_key, int16_t *min_version, int16_t *max_version);
/* True when (api_key, api_version) uses the flexible encoding (KIP-482). */
bool kafka_api_flexible(int16_t api_key, int16_t api_version);
/* Header versions for an API version: request header 2 when flexible else 1; response
 * header 1 when flexible else 0, except ApiVersions whose response header is always 0. */
int kafka_request_header_version(int16_t api_key, int16_t api_version);
int kafka_response_header_version(int16_t api_key, int16_t api_version);

/* Sets a request or response body to the defaults of every field (what a decoder
 * fills in for fields a version lacks). Build messages starting from this. */
kafka_err_t kafka_request_init(int16_t api_key, void *body);
kafka_err_t kafka_response_init(int16_t api_key, void *body);

/* Appends a whole request frame to out: int32 size, header (request_api_key and
 * request_api_version say what body is), body. KAFKA_ERR__UNKNOWN_APIKEY,
 * KAFKA_ERR__UNSUPPORTED_VERSION or KAFKA_ERR__INVALID_ARG (errstr names the field) on
 * error; out is then unchanged. */
kafka_err_t kafka_request_encode(kafka_buf_t *out, const kafka_request_header_t *hdr, const void *body,
                                 char *errstr, size_t errstr_size);
/* Appends a whole response frame to out: int32 size, header, body. */
kafka_err_t kafka_response_encode(kafka_buf_t *out, int16_t api_key, int16_t api_version,
                                  int32_t correlation_id, const void *body, char *errstr, size_t errstr_size);

/* Decodes a request frame (the bytes after the size prefix) into hdr and body, the
 * member of kafka_request_u that hdr->request_api_key selects. Strings point into frame;
 * arrays come from arena. When the header decodes but the API or version is not spoken,
 * hdr is filled and KAFKA_ERR__UNKNOWN_APIKEY / KAFKA_ERR__UNSUPPORTED_VERSION is
 * returned, so a server can answer. Malformed input: KAFKA_ERR__TRUNCATED or
 * KAFKA_ERR__BAD_MSG with errstr naming the field and byte offset. */
kafka_err_t kafka_request_decode(const void *frame, size_t len, kafka_arena_t *arena,
                                 kafka_request_header_t *hdr, kafka_request_u *body, char *errstr,
                                 size_t errstr_size);
/* Decodes a response frame (after the size prefix) to a request of (api_key,
 * api_version): the correlation id and the body (the API's response struct). */
kafka_err_t kafka_response_decode(const void *frame, size_t len, int16_t api_key, int16_t api_version,
                                  kafka_arena_t *arena, int32_t *correlation_id, void *body,
                                  char *errstr, size_t errstr_size);

/* Decodes only a body (no header) of the API's request or response at a version:
 * for callers that read the header themselves. Same errors as above. */
kafka_err_t kafka_body_decode(const void *data, size_t len, int16_t api_key, int16_t api_version,
                              bool is_request, kafka_arena_t *arena, void *body, char *errstr,
                              size_t errstr_size);

/* ---- Record formats ------------------------------------------------------------ */

/* A record header; value len -1 is null. */
typedef struct kafka_header_s {
    kafka_str_t key;
    kafka_bytes_t value;
} kafka_header_t;

typedef enum kafka_timestamp_type_e {
    KAFKA_TIMESTAMP_NONE = -1, /* MessageSet v0 has none */
    KAFKA_TIMESTAMP_CREATE_TIME = 0,
    KAFKA_TIMESTAMP_LOG_APPEND_TIME = 1
} kafka_timestamp_type_t;

#define KAFKA_RECORD_BATCH_OVERHEAD 61 /* RecordBatch v2 header bytes */
#define KAFKA_MESSAGE_OVERHEAD 26      /* MessageSet v0 per-message bytes (the origin's constant) */

/* RecordBatch v2 attribute bits. */
#define KAFKA_BATCH_ATTR_COMPRESSION_MASK 0x07
#define KAFKA_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define KAFKA_BATCH_ATTR_TRANSACTIONAL 0x10
#define KAFKA_BATCH_ATTR_CONTROL 0x20

/* kafka_batch_t: a RecordBatch v2 being built. Records are encoded once, on append,
 * straight into the batch buffer (offset and timestamp deltas are relative to the
 * batch, so nothing is rewritten later). Not thread-safe: one owner at a time. */
typedef struct kafka_batch_s kafka_batch_t;

/* A new empty batch whose buffer starts with room for capacity bytes; NULL on ENOMEM. */
kafka_batch_t *kafka_batch_new(size_t capacity);
void kafka_batch_destroy(kafka_batch_t *b);
/* Empties the batch (keeping its memory) and clears the producer fields. */
void kafka_batch_reset(kafka_batch_t *b);
/* Idempotent/transactional producer fields (defaults: -1, -1, -1, not transactional).
 * May be called on a sealed batch (a retry with a new epoch): seal again to rewrite the
 * header; the batch stays closed to appends. */
void kafka_batch_set_producer(kafka_batch_t *b, int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                              bool transactional);
/* Appends one record. keylen/valuelen -1 mean null. The first record's timestamp is the
 * batch's base timestamp. KAFKA_ERR__NO_MEMORY or KAFKA_ERR__INVALID_ARG (negative
 * length other than -1, a sealed batch). */
kafka_err_t kafka_batch_append(kafka_batch_t *b, int64_t timestamp_ms, const void *key, int32_t keylen,
                               const void *value, int32_t valuelen, const kafka_header_t *headers, size_t nheaders);
int32_t kafka_batch_count(const kafka_batch_t *b);
/* Bytes the sealed batch would take uncompressed, header included. */
size_t kafka_batch_size(const kafka_batch_t *b);
/* Writes the header, compresses the records with codec (level < 0: default), computes
 * the CRC-32C, and returns the wire bytes (valid until the next reset/destroy). A sealed
 * batch can be sealed again (same result) but not appended to. */
kafka_err_t kafka_batch_seal(kafka_batch_t *b, kafka_compression_t codec, int level, const uint8_t **data,
                             size_t *len, char *errstr, size_t errstr_size);

/* Rewrites the producer fields of a sealed batch in its wire bytes and recomputes the
 * CRC, without compressing again (a retry under a new producer id or epoch, or the
 * sequence numbers assigned when the batch is first sent). *data / *len receive the
 * wire bytes (the same as seal's). KAFKA_ERR__INVALID_ARG when the batch is not sealed. */
kafka_err_t kafka_batch_restamp(kafka_batch_t *b, int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                                const uint8_t **data, size_t *len);

/* Appends one MessageSet v0 (magic 0) or v1 (magic 1, with timestamp) message at offset
 * `offset` to out. With codec != NONE (gzip, snappy, lz4; zstd needs RecordBatch v2),
 * `value` must be an encoded inner message set of the same magic: it is compressed and
 * written as the wrapper message's value. For magic 1 the inner offsets are relative
 * (0..n-1) and the wrapper's offset is the last inner message's absolute offset (0 from a
 * producer: the broker assigns). */
kafka_err_t kafka_msgset_append(kafka_buf_t *out, int magic, int64_t offset, int64_t timestamp_ms,
                                kafka_compression_t codec, const void *key, int32_t keylen, const void *value,
                                int32_t valuelen, char *errstr, size_t errstr_size);

/* One decoded record. Key, value and headers point into the records data given to the
 * reader, or into the reader's decompression buffer (valid until the next batch). */
typedef struct kafka_record_s {
    int64_t offset;
    int64_t timestamp;
    kafka_timestamp_type_t timestamp_type;
    kafka_bytes_t key;
    kafka_bytes_t value;
    int32_t header_count;
    const uint8_t *headers_raw; /* header_count headers, validated; see kafka_record_headers() */
    size_t headers_len;
    int8_t magic; /* 0, 1: MessageSet; 2: RecordBatch */
} kafka_record_t;

/* What the reader knows about the batch (or MessageSet wrapper) of the last record. */
typedef struct kafka_batch_info_s {
    int64_t base_offset;
    int64_t last_offset;
    int32_t length;
    int32_t partition_leader_epoch;
    int8_t magic;
    int16_t attributes;
    kafka_compression_t codec;
    bool transactional;
    bool control;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} kafka_batch_info_t;

/* kafka_records_reader_t: iterates the records of a Produce request's or a Fetch
 * response's record data: any mix of MessageSet v0/v1 messages (compressed wrappers
 * unpacked) and RecordBatch v2 batches, ending possibly in a partial batch (which a
 * Fetch response may carry; it is skipped silently and reported by
 * kafka_records_reader_partial()). */
typedef struct kafka_records_reader_s kafka_records_reader_t;

/* check_crcs: verify every batch's / message's CRC. max_decompressed bounds a batch's
 * decompressed size (0: 64 MiB). NULL on ENOMEM. */
kafka_records_reader_t *kafka_records_reader_new(const void *data, size_t len, bool check_crcs,
                                                 size_t max_decompressed);
void kafka_records_reader_destroy(kafka_records_reader_t *rr);
/* Next record: returns 1 for a record (*rec filled), 0 at the end, or a negative kafka_err_t for a batch that is corrupt
 * (bad CRC, bad compression, malformed record): kafka_records_reader_errstr() says why and
 * which offset, and the next call continues with the following batch when its bounds
 * are known (a corrupt length ends the iteration). */
int kafka_records_reader_next(kafka_records_reader_t *rr, kafka_record_t *rec);
/* The batch of the last record returned (or of the last error). */
const kafka_batch_info_t *kafka_records_reader_batch(const kafka_records_reader_t *rr);
const char *kafka_records_reader_errstr(const kafka_records_reader_t *rr);
/* Bytes of a trailing partial batch skipped at the end (0 if none). */
size_t kafka_records_reader_partial(const kafka_records_reader_t *rr);
/* Whether control batches (transaction markers) are skipped: true by default. */
void kafka_records_reader_set_skip_control(kafka_records_reader_t *rr, bool skip);

/* Parses up to max headers of rec into out; returns how many were written. */
int kafka_record_headers(const kafka_record_t *rec, kafka_header_t *out, int max);

/* ---- CRCs ---------------------------------------------------------------------- */

/* CRC-32C (Castagnoli), as RecordBatch v2 uses it. Standard pre/post inversion, chainable
 * like zlib's crc32: kafka_crc32c(kafka_crc32c(0, a, n), b, m) == crc of a||b. Start with 0. */
uint32_t kafka_crc32c(uint32_t crc, const void *buf, size_t len);
/* CRC-32/IEEE (zlib's crc32), as MessageSet v0/v1 uses it. Same conventions. */
uint32_t kafka_crc32(uint32_t crc, const void *buf, size_t len);

/* The implementation the CRC functions dispatch to: chosen once by CPUID, or forced to
 * the portable one by kafka_crc_force_portable(true) or by the environment variable
 * KAFKA_CRC_PORTABLE=1 read at first use. Within a path, CRC-32C has variants that split
 * the work differently between the crc32 instruction and carry-less multiplies; the
 * fastest on this core is measured at first use (about 0.3 ms, once per process), or
 * named by KAFKA_CRC32C_KERNEL (e.g. "vpclmul/s16"; ignored if this CPU cannot run it). */
typedef enum kafka_crc_impl_e {
    KAFKA_CRC_IMPL_PORTABLE = 0, /* slicing-by-8 tables, four streams at a time */
    KAFKA_CRC_IMPL_SSE42 = 1,    /* SSE4.2 crc32 instruction (CRC-32C) / PCLMULQDQ folding (CRC-32) */
    KAFKA_CRC_IMPL_VPCLMUL = 2,  /* AVX-512 VPCLMULQDQ folding */
    KAFKA_CRC_IMPL_VPCLMUL256 = 3 /* AVX2 + 256-bit VPCLMULQDQ folding, on CPUs without AVX-512 */
} kafka_crc_impl_t;
kafka_crc_impl_t kafka_crc32c_impl(void);
kafka_crc_impl_t kafka_crc32_impl(void);
const char *kafka_crc_impl_name(kafka_crc_impl_t impl);
/* The CRC-32C kernel in use, "path/variant" (e.g. "vpclmul/s16"), or the path's name. */
const char *kafka_crc32c_kernel_name(void);
/* Forces (true) or releases (false) the portable path for both CRCs. Not thread-safe
 * against concurrent CRC calls: call it before starting threads (tests do). */
void kafka_crc_force_portable(bool on);

#ifdef __cplusplus
}
#endif
#endif
