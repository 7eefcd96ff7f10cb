/* Compression codecs of Kafka record data: gzip, snappy (xerial framing), lz4 (frame)
 * and zstd, behind one dispatch; see compress.h for the contract.
 *
 * Every decoder writes straight into the caller's kafka_buf_t and grows it as output
 * appears, never by a size the input merely claims beyond max_out: a few hostile bytes
 * must not buy a large allocation. The codecs live in one file because they share the
 * bounded-output and error helpers below and each is only a few dozen lines. */
#define ZLIB_CONST
#include "proto/compress.h"

#include <limits.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#ifndef ZSTD_CLEVEL_DEFAULT
#define ZSTD_CLEVEL_DEFAULT 3
#endif

/* Decoder output grows by at least this much (and kafka_buf doubles), so small outputs
 * cost one small allocation and large ones a logarithmic number of reallocs. */
#define OUT_CHUNK (16u * 1024)
/* snappy-java's SnappyOutputStream default block size, which Kafka's Java client uses. */
#define XERIAL_BLOCK (32u * 1024)
#define XERIAL_HEADER_LEN 16

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *kafka_compression_name(kafka_compression_t codec) {
    if ((unsigned)codec < sizeof(codec_names) / sizeof(codec_names[0]))
        return codec_names[codec];
    return "unknown";
}

/* Case-insensitive because configuration files written for other clients vary. */
int kafka_compression_parse(const char *name) {
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof(codec_names) / sizeof(codec_names[0]); i++)
        if (strcasecmp(name, codec_names[i]) == 0)
            return (int)i;
    return -1;
}

__attribute__((format(printf, 4, 5)))
static kafka_err_t fail(kafka_err_t err, char *errstr, size_t errstr_size, const char *fmt, ...) {
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

#define FAIL_OOM(codec) fail(KAFKA_ERR__NO_MEMORY, errstr, errstr_size, "%s: out of memory", codec)
#define FAIL_BIG(codec)                                                                          \
    fail(KAFKA_ERR__MSG_TOO_LARGE, errstr, errstr_size,                                          \
         "%s: decompressed data exceeds the limit of %zu bytes", codec, max_out)

/* Points *dst at free space in out for the next decoder step. The window ends one byte
 * past start + max_out: a decoder that would exceed the limit then visibly does (the
 * caller sees produced > max_out), instead of a full window being mistaken for the end
 * of the data. Requires out->len - start <= max_out. */
static bool out_window(kafka_buf_t *out, size_t start, size_t max_out, uint8_t **dst, size_t *dst_len) {
    size_t left = (max_out == SIZE_MAX ? SIZE_MAX : max_out + 1) - (out->len - start);
    if (out->cap == out->len && !kafka__buf_grow(out, OUT_CHUNK))
        return false;
    size_t room = out->cap - out->len;
    *dst = out->data + out->len;
    *dst_len = room < left ? room : left;
    return true;
}

/* ---- gzip ------------------------------------------------------------------------ */

static kafka_err_t gzip_compress(int level, const uint8_t *src, size_t len, kafka_buf_t *out,
                                 char *errstr, size_t errstr_size) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits 15 + 16 writes the gzip wrapper Kafka expects, not a bare zlib stream. */
    if (deflateInit2(&zs, level < 0 ? Z_DEFAULT_COMPRESSION : level > 9 ? 9 : level, Z_DEFLATED,
                     15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return FAIL_OOM("gzip");
    kafka__buf_grow(out, deflateBound(&zs, len));
    size_t pos = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        /* avail_in/avail_out are 32-bit: feed inputs past 4 GiB in slices. */
        if (zs.avail_in == 0) {
            size_t n = len - pos < UINT_MAX ? len - pos : UINT_MAX;
            zs.next_in = src + pos;
            zs.avail_in = (uInt)n;
            pos += n;
        }
        if (out->cap == out->len && !kafka__buf_grow(out, OUT_CHUNK)) {
            deflateEnd(&zs);
            return FAIL_OOM("gzip");
        }
        size_t room = out->cap - out->len < UINT_MAX ? out->cap - out->len : UINT_MAX;
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)room;
        rc = deflate(&zs, pos == len ? Z_FINISH : Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
            deflateEnd(&zs);
            return fail(KAFKA_ERR__NO_MEMORY, errstr, errstr_size, "gzip: deflate failed (%d)", rc);
        }
    }
    deflateEnd(&zs);
    return KAFKA_OK;
}

static kafka_err_t gzip_decompress(const uint8_t *src, size_t len, size_t max_out, kafka_buf_t *out,
                                   char *errstr, size_t errstr_size) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* 32 + 15 detects the wrapper: gzip as Kafka specifies, or zlib, which costs nothing
     * to accept. */
    if (inflateInit2(&zs, 32 + 15) != Z_OK)
        return FAIL_OOM("gzip");
    size_t start = out->len, pos = 0;
    kafka_err_t err = KAFKA_OK;
    for (;;) {
        if (zs.avail_in == 0 && pos < len) {
            size_t n = len - pos < UINT_MAX ? len - pos : UINT_MAX;
            zs.next_in = src + pos;
            zs.avail_in = (uInt)n;
            pos += n;
        }
        uint8_t *dst;
        size_t room;
        if (!out_window(out, start, max_out, &dst, &room)) {
            err = FAIL_OOM("gzip");
            break;
        }
        if (room > UINT_MAX)
            room = UINT_MAX;
        zs.next_out = dst;
        zs.avail_out = (uInt)room;
        int rc = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        if (out->len - start > max_out) {
            err = FAIL_BIG("gzip");
            break;
        }
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0 && pos == len)
                break;
            /* Concatenated members (as `cat a.gz b.gz`) form one gzip file. */
            inflateReset(&zs);
        } else if (rc == Z_BUF_ERROR) { /* no progress with output room: input ran out */
            err = fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                       "gzip: input ends inside the stream (truncated after %zu bytes)", len);
            break;
        } else if (rc == Z_MEM_ERROR) {
            err = FAIL_OOM("gzip");
            break;
        } else if (rc != Z_OK) {
            err = fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size, "gzip: %s at input byte %zu",
                       zs.msg ? zs.msg : "corrupt stream", pos - zs.avail_in);
            break;
        }
    }
    inflateEnd(&zs);
    return err;
}

/* ---- snappy ---------------------------------------------------------------------- */

/* Kafka's Java client writes snappy in snappy-java's stream format ("xerial"): the
 * 8-byte magic, int32 BE version and int32 BE minimum compatible version (both 1), then
 * blocks, each an int32 BE length and one raw snappy block of at most 32 KiB input. */
static kafka_err_t snappy_compress_xerial(const uint8_t *src, size_t len, kafka_buf_t *out,
                                          char *errstr, size_t errstr_size) {
    kafka__buf_write(out, xerial_magic, sizeof(xerial_magic));
    kafka__buf_i32(out, 1);
    kafka__buf_i32(out, 1);
    for (size_t pos = 0; pos < len;) {
        size_t n = len - pos < XERIAL_BLOCK ? len - pos : XERIAL_BLOCK;
        size_t clen = snappy_max_compressed_length(n);
        if (!kafka__buf_grow(out, 4 + clen))
            return FAIL_OOM("snappy");
        uint8_t *p = out->data + out->len;
        if (snappy_compress((const char *)src + pos, n, (char *)p + 4, &clen) != SNAPPY_OK)
            return fail(KAFKA_ERR__NO_MEMORY, errstr, errstr_size, "snappy: compression failed");
        kafka__be32(p, (uint32_t)clen);
        out->len += 4 + clen;
        pos += n;
    }
    return out->oom ? FAIL_OOM("snappy") : KAFKA_OK;
}

/* Decodes one raw snappy block and appends it. The block states its decoded length up
 * front; that is checked against max_out and against what the block could possibly
 * encode before any memory is taken for it. */
static kafka_err_t snappy_raw(const uint8_t *src, size_t len, size_t start, size_t max_out,
                              kafka_buf_t *out, char *errstr, size_t errstr_size) {
    size_t ulen;
    if (snappy_uncompressed_length((const char *)src, len, &ulen) != SNAPPY_OK)
        return fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                    "snappy: bad block length header (%zu byte block)", len);
    /* The densest snappy element, a 3-byte copy of 64 bytes, expands 21.3x, so a larger
     * declared length cannot be genuine. */
    if (len <= SIZE_MAX / 22 && ulen > len * 22)
        return fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                    "snappy: block of %zu bytes claims %zu decoded bytes", len, ulen);
    if (ulen > max_out - (out->len - start))
        return FAIL_BIG("snappy");
    if (!kafka__buf_grow(out, ulen))
        return FAIL_OOM("snappy");
    /* An empty block still needs validating, and out->data may be NULL then. */
    char none;
    char *dst = ulen ? (char *)out->data + out->len : &none;
    size_t got = ulen;
    if (snappy_uncompress((const char *)src, len, dst, &got) != SNAPPY_OK ||
        got != ulen)
        return fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                    "snappy: corrupt block (%zu bytes, %zu declared decoded bytes)", len, ulen);
    out->len += ulen;
    return KAFKA_OK;
}

static kafka_err_t snappy_decompress(const uint8_t *src, size_t len, size_t max_out, kafka_buf_t *out,
                                     char *errstr, size_t errstr_size) {
    size_t start = out->len;
    /* A raw block could in theory begin with these 8 bytes (a 10626-byte block whose
     * first element is a copy), but Kafka, librdkafka and snappy-java all rely on the
     * magic to tell the two apart, so a genuine raw block never does in practice. */
    if (len < sizeof(xerial_magic) || memcmp(src, xerial_magic, sizeof(xerial_magic)) != 0)
        return snappy_raw(src, len, start, max_out, out, errstr, errstr_size);
    if (len < XERIAL_HEADER_LEN)
        return fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                    "snappy: xerial header truncated (%zu of %d bytes)", len, XERIAL_HEADER_LEN);
    /* The version fields are not checked: snappy-java has only ever written 1/1, and
     * readers (librdkafka, Kafka) ignore them. */
    for (size_t pos = XERIAL_HEADER_LEN; pos < len;) {
        if (len - pos < 4)
            return fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                        "snappy: xerial block length truncated at offset %zu (%zu bytes left)", pos,
                        len - pos);
        uint32_t blen = (uint32_t)src[pos] << 24 | (uint32_t)src[pos + 1] << 16 |
                        (uint32_t)src[pos + 2] << 8 | src[pos + 3];
        pos += 4;
        if (blen > len - pos)
            return fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                        "snappy: xerial block length %u exceeds remaining %zu bytes", blen, len - pos);
        kafka_err_t err = snappy_raw(src + pos, blen, start, max_out, out, errstr, errstr_size);
        if (err)
            return err;
        pos += blen;
    }
    return KAFKA_OK;
}

/* ---- lz4 ------------------------------------------------------------------------- */

/* Standard LZ4 frames with the settings Kafka's Java client writes (independent 64 KiB
 * blocks, no content size, no checksums), so every Kafka reader accepts ours. */
static kafka_err_t lz4_compress(int level, const uint8_t *src, size_t len, kafka_buf_t *out,
                                char *errstr, size_t errstr_size) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    int max_level = LZ4F_compressionLevel_max();
    prefs.compressionLevel = level < 0 ? 0 : level > max_level ? max_level : level;
    size_t bound = LZ4F_compressFrameBound(len, &prefs);
    if (!kafka__buf_grow(out, bound))
        return FAIL_OOM("lz4");
    size_t n = LZ4F_compressFrame(out->data + out->len, bound, src, len, &prefs);
    if (LZ4F_isError(n))
        return fail(KAFKA_ERR__NO_MEMORY, errstr, errstr_size, "lz4: %s", LZ4F_getErrorName(n));
    out->len += n;
    return KAFKA_OK;
}

static kafka_err_t lz4_decompress(const uint8_t *src, size_t len, size_t max_out, kafka_buf_t *out,
                                  char *errstr, size_t errstr_size) {
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return FAIL_OOM("lz4");
    size_t start = out->len, pos = 0;
    kafka_err_t err = KAFKA_OK;
    for (;;) {
        uint8_t *dst;
        size_t room;
        if (!out_window(out, start, max_out, &dst, &room)) {
            err = FAIL_OOM("lz4");
            break;
        }
        size_t dlen = room, slen = len - pos;
        size_t ret = LZ4F_decompress(dctx, dst, &dlen, src + pos, &slen, NULL);
        pos += slen;
        out->len += dlen;
        if (LZ4F_isError(ret)) {
            /* Kafka's MessageSet v0 LZ4 frames hash the frame magic into the header
             * checksum (KAFKA-3160); the records reader repairs those before calling us,
             * so one that ends up here came from elsewhere. */
            const char *why = LZ4F_getErrorName(ret);
            err = fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size, "lz4: %s at input byte %zu%s",
                       why, pos, strstr(why, "headerChecksum") ? " (Kafka's magic-0 LZ4 header checksum?)" : "");
            break;
        }
        if (out->len - start > max_out) {
            err = FAIL_BIG("lz4");
            break;
        }
        if (ret == 0 && pos == len)
            break; /* frame complete and flushed; a non-zero ret would mean a next frame */
        if (ret != 0 && pos == len && dlen < room) {
            err = fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                       "lz4: input ends inside the frame (truncated after %zu bytes)", len);
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return err;
}

/* ---- zstd ------------------------------------------------------------------------ */

static kafka_err_t zstd_compress(int level, const uint8_t *src, size_t len, kafka_buf_t *out,
                                 char *errstr, size_t errstr_size) {
    size_t bound = ZSTD_compressBound(len);
    if (ZSTD_isError(bound) || !kafka__buf_grow(out, bound))
        return FAIL_OOM("zstd");
    if (level < 0)
        level = ZSTD_CLEVEL_DEFAULT;
    else if (level > ZSTD_maxCLevel())
        level = ZSTD_maxCLevel();
    size_t n = ZSTD_compress(out->data + out->len, bound, src, len, level);
    if (ZSTD_isError(n))
        return fail(KAFKA_ERR__NO_MEMORY, errstr, errstr_size, "zstd: %s", ZSTD_getErrorName(n));
    out->len += n;
    return KAFKA_OK;
}

/* Streaming, because Java's ZstdOutputStream writes frames without a content size. */
static kafka_err_t zstd_decompress(const uint8_t *src, size_t len, size_t max_out, kafka_buf_t *out,
                                   char *errstr, size_t errstr_size) {
    /* Reject a frame that admits up front it is too large before zstd sizes its window
     * from that claim. */
    unsigned long long declared = ZSTD_getFrameContentSize(src, len);
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared > max_out)
        return FAIL_BIG("zstd");
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        return FAIL_OOM("zstd");
    ZSTD_inBuffer in = {src, len, 0};
    size_t start = out->len;
    kafka_err_t err = KAFKA_OK;
    for (;;) {
        uint8_t *dst;
        size_t room;
        if (!out_window(out, start, max_out, &dst, &room)) {
            err = FAIL_OOM("zstd");
            break;
        }
        ZSTD_outBuffer ob = {dst, room, 0};
        size_t ret = ZSTD_decompressStream(dctx, &ob, &in);
        out->len += ob.pos;
        if (ZSTD_isError(ret)) {
            err = fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size, "zstd: %s at input byte %zu",
                       ZSTD_getErrorName(ret), in.pos);
            break;
        }
        if (out->len - start > max_out) {
            err = FAIL_BIG("zstd");
            break;
        }
        if (ret == 0 && in.pos == in.size)
            break; /* frame complete and flushed; more input would be a further frame */
        if (ret != 0 && in.pos == in.size && ob.pos < ob.size) {
            err = fail(KAFKA_ERR__BAD_COMPRESSION, errstr, errstr_size,
                       "zstd: input ends inside the frame (truncated after %zu bytes)", len);
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return err;
}

/* ---- dispatch -------------------------------------------------------------------- */

/* kafka__buf_write of 0 bytes into a never-allocated buffer forms NULL + 0, which is
 * undefined behaviour (UBSan reports it), so empty copies skip the buffer entirely. */
static kafka_err_t copy(const uint8_t *src, size_t len, kafka_buf_t *out, char *errstr, size_t errstr_size) {
    if (len)
        kafka__buf_write(out, src, len);
    return out->oom ? FAIL_OOM("none") : KAFKA_OK;
}

/* Levels above a codec's maximum are clamped to it; snappy has no levels. NONE copies,
 * so callers need no special case for uncompressed batches. */
kafka_err_t kafka__compress(kafka_compression_t codec, int level, const uint8_t *src, size_t len,
                            kafka_buf_t *out, char *errstr, size_t errstr_size) {
    size_t start = out->len;
    kafka_err_t err;
    if (!src)
        src = (const uint8_t *)""; /* (NULL, 0) is a valid empty input; NULL + 0 is UB */
    switch (codec) {
    case KAFKA_COMPRESSION_NONE:
        err = copy(src, len, out, errstr, errstr_size);
        break;
    case KAFKA_COMPRESSION_GZIP: err = gzip_compress(level, src, len, out, errstr, errstr_size); break;
    case KAFKA_COMPRESSION_SNAPPY: err = snappy_compress_xerial(src, len, out, errstr, errstr_size); break;
    case KAFKA_COMPRESSION_LZ4: err = lz4_compress(level, src, len, out, errstr, errstr_size); break;
    case KAFKA_COMPRESSION_ZSTD: err = zstd_compress(level, src, len, out, errstr, errstr_size); break;
    default:
        return fail(KAFKA_ERR__UNSUPPORTED_COMPRESSION, errstr, errstr_size,
                    "unsupported compression codec %d", (int)codec);
    }
    if (err)
        out->len = start;
    return err;
}

kafka_err_t kafka__decompress(kafka_compression_t codec, const uint8_t *src, size_t len, size_t max_out,
                              kafka_buf_t *out, char *errstr, size_t errstr_size) {
    size_t start = out->len;
    kafka_err_t err;
    if (!src)
        src = (const uint8_t *)""; /* (NULL, 0) is a valid empty input; NULL + 0 is UB */
    switch (codec) {
    case KAFKA_COMPRESSION_NONE:
        if (len > max_out)
            return FAIL_BIG("none");
        err = copy(src, len, out, errstr, errstr_size);
        break;
    case KAFKA_COMPRESSION_GZIP: err = gzip_decompress(src, len, max_out, out, errstr, errstr_size); break;
    case KAFKA_COMPRESSION_SNAPPY:
        err = snappy_decompress(src, len, max_out, out, errstr, errstr_size);
        break;
    case KAFKA_COMPRESSION_LZ4: err = lz4_decompress(src, len, max_out, out, errstr, errstr_size); break;
    case KAFKA_COMPRESSION_ZSTD: err = zstd_decompress(src, len, max_out, out, errstr, errstr_size); break;
    default:
        return fail(KAFKA_ERR__UNSUPPORTED_COMPRESSION, errstr, errstr_size,
                    "unsupported compression codec %d", (int)codec);
    }
    if (err)
        out->len = start;
    return err;
}
