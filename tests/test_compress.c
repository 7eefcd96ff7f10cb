/* Compression codecs: round trips, data made by the codec libraries and command-line
 * tools, the xerial snappy framing, corrupt and truncated input, and the max_out bound. */
#include "proto/compress.h"
#include "testutil.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MIB (1024u * 1024)

static const kafka_compression_t codecs[] = {KAFKA_COMPRESSION_NONE, KAFKA_COMPRESSION_GZIP,
                                             KAFKA_COMPRESSION_SNAPPY, KAFKA_COMPRESSION_LZ4,
                                             KAFKA_COMPRESSION_ZSTD};
#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

/* The plaintext of the CLI-made blobs below (131 bytes, no trailing newline). */
static const char cli_plain[] = "Kafka log line 0001: the quick brown fox jumps over the lazy dog. "
                                "Kafka log line 0002: the quick brown fox jumps over the lazy dog.";

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static uint8_t *random_bytes(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng();
    return p;
}
/* Log-like text: repetitive but not trivially so. */
static uint8_t *compressible_bytes(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    size_t i = 0;
    for (unsigned line = 0; i < n; line++) {
        char tmp[96];
        int k = snprintf(tmp, sizeof(tmp), "2024-05-01T12:00:%02u level=info msg=\"request %u done\" ms=%u\n",
                         line % 60, line, (unsigned)(rng() % 500));
        for (int j = 0; j < k && i < n; j++)
            p[i++] = (uint8_t)tmp[j];
    }
    return p;
}

/* Compresses and decompresses data, both appended after a prefix that must survive. */
static void roundtrip(kafka_compression_t codec, int level, const uint8_t *data, size_t len) {
    kafka_buf_t c = KAFKA_BUF_INIT, d = KAFKA_BUF_INIT;
    char err[256] = "";
    kafka__buf_write(&c, "AB", 2);
    kafka__buf_write(&d, "XYZ", 3);
    CU_ASSERT_EQUAL_FATAL(kafka__compress(codec, level, data, len, &c, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(
        kafka__decompress(codec, c.data + 2, c.len - 2, len, &d, err, sizeof(err)), KAFKA_OK);
    if (d.len != len + 3 || memcmp(d.data + 3, data, len) != 0)
        fprintf(stderr, "\n%s level %d len %zu: mismatch (%s)\n", kafka_compression_name(codec), level,
                len, err);
    CU_ASSERT_EQUAL(d.len, len + 3);
    CU_ASSERT(memcmp(c.data, "AB", 2) == 0 && memcmp(d.data, "XYZ", 3) == 0);
    CU_ASSERT(d.len == len + 3 && (len == 0 || memcmp(d.data + 3, data, len) == 0));
    kafka__buf_free(&c);
    kafka__buf_free(&d);
}

static void compress_or_die(kafka_compression_t codec, const uint8_t *data, size_t len, kafka_buf_t *out) {
    kafka__buf_reset(out);
    CU_ASSERT_EQUAL_FATAL(kafka__compress(codec, -1, data, len, out, NULL, 0), KAFKA_OK);
}

/* Decodes src and expects exactly want[0..want_len). */
static void expect_decode(kafka_compression_t codec, const uint8_t *src, size_t len, const void *want,
                          size_t want_len) {
    kafka_buf_t d = KAFKA_BUF_INIT;
    char err[256] = "";
    kafka_err_t rc = kafka__decompress(codec, src, len, 16 * MIB, &d, err, sizeof(err));
    if (rc)
        fprintf(stderr, "\n%s: %s\n", kafka_compression_name(codec), err);
    CU_ASSERT_EQUAL(rc, KAFKA_OK);
    CU_ASSERT_EQUAL(d.len, want_len);
    CU_ASSERT(d.len == want_len && (want_len == 0 || memcmp(d.data, want, want_len) == 0));
    kafka__buf_free(&d);
}

/* Expects a clean failure: a corruption error naming the codec, out restored. */
static void expect_corrupt(kafka_compression_t codec, const uint8_t *src, size_t len) {
    kafka_buf_t d = KAFKA_BUF_INIT;
    char err[256] = "";
    kafka__buf_write(&d, "keep", 4);
    kafka_err_t rc = kafka__decompress(codec, src, len, 16 * MIB, &d, err, sizeof(err));
    if (rc != KAFKA_ERR__BAD_COMPRESSION)
        fprintf(stderr, "\n%s: %zu bytes gave %d (%s)\n", kafka_compression_name(codec), len, rc, err);
    CU_ASSERT_EQUAL(rc, KAFKA_ERR__BAD_COMPRESSION);
    CU_ASSERT(strncmp(err, kafka_compression_name(codec), strlen(kafka_compression_name(codec))) == 0);
    CU_ASSERT(d.len == 4 && memcmp(d.data, "keep", 4) == 0);
    kafka__buf_free(&d);
}

static void test_name_parse(void) {
    const char *names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(kafka_compression_name((kafka_compression_t)i), names[i]);
        CU_ASSERT_EQUAL(kafka_compression_parse(names[i]), i);
    }
    CU_ASSERT_EQUAL(kafka_compression_parse("GZip"), KAFKA_COMPRESSION_GZIP);
    CU_ASSERT_EQUAL(kafka_compression_parse("brotli"), -1);
    CU_ASSERT_EQUAL(kafka_compression_parse(""), -1);
    CU_ASSERT_EQUAL(kafka_compression_parse(NULL), -1);
    CU_ASSERT_STRING_EQUAL(kafka_compression_name((kafka_compression_t)7), "unknown");
}

static void test_unsupported(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    char err[128] = "";
    kafka__buf_write(&b, "x", 1);
    CU_ASSERT_EQUAL(
        kafka__compress((kafka_compression_t)7, -1, (const uint8_t *)"abc", 3, &b, err, sizeof(err)),
        KAFKA_ERR__UNSUPPORTED_COMPRESSION);
    CU_ASSERT(strstr(err, "7") != NULL);
    CU_ASSERT_EQUAL(kafka__decompress((kafka_compression_t)5, (const uint8_t *)"abc", 3, 100, &b, NULL, 0),
                    KAFKA_ERR__UNSUPPORTED_COMPRESSION);
    CU_ASSERT_EQUAL(b.len, 1);
    kafka__buf_free(&b);
}

static void test_roundtrip(void) {
    uint8_t *rnd = random_bytes(MIB), *txt = compressible_bytes(MIB);
    for (size_t c = 0; c < NCODECS; c++) {
        const size_t sizes[] = {0, 1, 100};
        for (size_t s = 0; s < 3; s++) {
            roundtrip(codecs[c], -1, txt, sizes[s]);
            roundtrip(codecs[c], 0, rnd, sizes[s]);
            roundtrip(codecs[c], 1, txt, sizes[s]);
            roundtrip(codecs[c], 99, rnd, sizes[s]); /* clamped to the codec's maximum */
        }
        roundtrip(codecs[c], -1, rnd, MIB);
        roundtrip(codecs[c], -1, txt, MIB);
        roundtrip(codecs[c], 1, txt, MIB);
    }
    free(rnd);
    free(txt);
}

/* Empty input given as (NULL, 0), into never-allocated buffers: no NULL + 0 anywhere
 * (UBSan found one in the NONE copy). */
static void test_empty_null(void) {
    for (size_t c = 0; c < NCODECS; c++) {
        kafka_buf_t z = KAFKA_BUF_INIT, d = KAFKA_BUF_INIT;
        CU_ASSERT_EQUAL(kafka__compress(codecs[c], -1, NULL, 0, &z, NULL, 0), KAFKA_OK);
        CU_ASSERT_EQUAL(kafka__decompress(codecs[c], z.data, z.len, 0, &d, NULL, 0), KAFKA_OK);
        CU_ASSERT_EQUAL(d.len, 0);
        kafka__buf_free(&z);
        kafka__buf_free(&d);
    }
}

static void test_gzip_foreign(void) {
    /* printf '%s' "$cli_plain" | gzip -n -9 */
    size_t n1, n2;
    uint8_t *gz = kafka_test_unhex("1f8b0800000000000203f34e4ccb4e54c8c94f57c8c9cc4b5530303030b4"
                                   "5228c94855282ccd4cce56482aca2fcf5348cbaf50c82acd2d2856c82f4b"
                                   "2d024be72456552aa4e4a7eb2978639860449a0900f211409783000000",
                                   &n1);
    expect_decode(KAFKA_COMPRESSION_GZIP, gz, n1, cli_plain, strlen(cli_plain));
    /* printf 'second member' | gzip -n, appended: concatenated members are one file. */
    uint8_t *two = kafka_test_unhex("1f8b08000000000000032b4e4dcecf4b51c84dcd4d4a2d02002474fa9f0d"
                                    "000000",
                                    &n2);
    uint8_t *cat = malloc(n1 + n2);
    memcpy(cat, gz, n1);
    memcpy(cat + n1, two, n2);
    char want[200];
    snprintf(want, sizeof(want), "%ssecond member", cli_plain);
    expect_decode(KAFKA_COMPRESSION_GZIP, cat, n1 + n2, want, strlen(want));
    /* Garbage after a member is corruption, not something to skip. */
    memcpy(cat + n1, "garbage", 7);
    expect_corrupt(KAFKA_COMPRESSION_GZIP, cat, n1 + 7);
    /* A bare zlib stream from compress2() (old producers) is accepted too. */
    uint8_t z[256];
    uLongf zlen = sizeof(z);
    CU_ASSERT_EQUAL_FATAL(compress2(z, &zlen, (const Bytef *)cli_plain, strlen(cli_plain), 6), Z_OK);
    expect_decode(KAFKA_COMPRESSION_GZIP, z, zlen, cli_plain, strlen(cli_plain));
    free(gz);
    free(two);
    free(cat);
}

static void test_lz4_foreign(void) {
    /* printf '%s' "$cli_plain" | lz4 (frame with content checksum) */
    size_t n;
    uint8_t *lz = kafka_test_unhex("04224d186440a74f000000f1244b61666b61206c6f67206c696e65203030"
                                   "30313a2074686520717569636b2062726f776e20666f78206a756d707320"
                                   "6f7665721f00ae6c617a7920646f672e2042001f324200165020646f672e"
                                   "0000000012ef75e4",
                                   &n);
    expect_decode(KAFKA_COMPRESSION_LZ4, lz, n, cli_plain, strlen(cli_plain));
    lz[n - 1] ^= 1; /* content checksum */
    expect_corrupt(KAFKA_COMPRESSION_LZ4, lz, n);
    free(lz);
}

static void test_zstd_foreign(void) {
    /* zstd plain.txt (content size in the header) and `cat plain.txt | zstd` (none), the
     * latter like Java's ZstdOutputStream. */
    size_t n1, n2, n3;
    uint8_t *sized = kafka_test_unhex("28b52ffd2483550200e4034b61666b61206c6f67206c696e652030303031"
                                      "3a2074686520717569636b2062726f776e20666f78206a756d7073206f76"
                                      "65726c617a7920646f672e2032030083298ae06844aba02b107790",
                                      &n1);
    uint8_t *unsized = kafka_test_unhex("28b52ffd0458550200e4034b61666b61206c6f67206c696e652030303031"
                                        "3a2074686520717569636b2062726f776e20666f78206a756d7073206f76"
                                        "65726c617a7920646f672e2032030083298ae06844aba02b107790",
                                        &n2);
    uint8_t *abc = kafka_test_unhex("28b52ffd0058190000616263", &n3); /* printf abc | zstd --no-check */
    expect_decode(KAFKA_COMPRESSION_ZSTD, sized, n1, cli_plain, strlen(cli_plain));
    expect_decode(KAFKA_COMPRESSION_ZSTD, unsized, n2, cli_plain, strlen(cli_plain));
    expect_decode(KAFKA_COMPRESSION_ZSTD, abc, n3, "abc", 3);
    /* Two frames back to back decode as their concatenation. */
    uint8_t two[64];
    memcpy(two, abc, n3);
    memcpy(two + n3, abc, n3);
    expect_decode(KAFKA_COMPRESSION_ZSTD, two, 2 * n3, "abcabc", 6);
    free(sized);
    free(unsized);
    free(abc);
}

static void test_snappy_foreign(void) {
    /* A raw block straight from libsnappy (what librdkafka writes for MessageSet v0/v1
     * and some non-Java producers). */
    size_t plen = strlen(cli_plain), clen = snappy_max_compressed_length(plen);
    char *raw = malloc(clen);
    CU_ASSERT_EQUAL_FATAL(snappy_compress(cli_plain, plen, raw, &clen), SNAPPY_OK);
    expect_decode(KAFKA_COMPRESSION_SNAPPY, (uint8_t *)raw, clen, cli_plain, plen);

    /* A xerial stream assembled by hand: header, then two blocks (the raw one above and
     * a second block of "tail"). */
    char tail[64]; /* snappy_max_compressed_length(4) is 36 */
    size_t tlen = sizeof(tail);
    CU_ASSERT_EQUAL_FATAL(snappy_compress("tail", 4, tail, &tlen), SNAPPY_OK);
    kafka_buf_t x = KAFKA_BUF_INIT;
    kafka__buf_write(&x, "\x82SNAPPY\0", 8);
    kafka__buf_i32(&x, 1);
    kafka__buf_i32(&x, 1);
    kafka__buf_i32(&x, (int32_t)clen);
    kafka__buf_write(&x, raw, clen);
    kafka__buf_i32(&x, (int32_t)tlen);
    kafka__buf_write(&x, tail, tlen);
    char want[200];
    snprintf(want, sizeof(want), "%stail", cli_plain);
    expect_decode(KAFKA_COMPRESSION_SNAPPY, x.data, x.len, want, strlen(want));
    /* Header only: an empty stream. */
    expect_decode(KAFKA_COMPRESSION_SNAPPY, x.data, 16, "", 0);
    /* Empty blocks, raw or framed, into an empty (unallocated) buffer: found by the fuzzer
     * as UB (an offset applied to the NULL data pointer). */
    static const uint8_t empty_framed[] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1,
                                           0,    0,   0,   1,   0,   0,   0,   1, 0};
    expect_decode(KAFKA_COMPRESSION_SNAPPY, empty_framed, sizeof(empty_framed), "", 0);
    expect_decode(KAFKA_COMPRESSION_SNAPPY, empty_framed + 20, 1, "", 0);
    expect_corrupt(KAFKA_COMPRESSION_SNAPPY, (const uint8_t *)"\0\0", 2);

    /* A block length running past the end is reported with both numbers. */
    kafka_buf_t d = KAFKA_BUF_INIT;
    char err[256] = "";
    kafka__be32(x.data + 16, 123456);
    CU_ASSERT_EQUAL(kafka__decompress(KAFKA_COMPRESSION_SNAPPY, x.data, x.len, MIB, &d, err, sizeof(err)),
                    KAFKA_ERR__BAD_COMPRESSION);
    CU_ASSERT(strstr(err, "snappy: xerial block length 123456 exceeds remaining") != NULL);
    CU_ASSERT_EQUAL(d.len, 0);
    kafka__buf_free(&d);
    kafka__buf_free(&x);
    free(raw);
}

/* Our snappy output is what snappy-java writes: magic, version 1, compatible 1, then
 * length-prefixed raw blocks of at most 32 KiB decoded each. */
static void test_snappy_xerial_layout(void) {
    uint8_t *txt = compressible_bytes(100000);
    kafka_buf_t c = KAFKA_BUF_INIT;
    compress_or_die(KAFKA_COMPRESSION_SNAPPY, txt, 100000, &c);
    CU_ASSERT_FATAL(c.len > 16);
    CU_ASSERT(memcmp(c.data, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16) == 0);
    size_t pos = 16, blocks = 0, total = 0;
    while (pos + 4 <= c.len) {
        size_t blen = (size_t)c.data[pos] << 24 | (size_t)c.data[pos + 1] << 16 |
                      (size_t)c.data[pos + 2] << 8 | c.data[pos + 3], ulen = 0;
        pos += 4;
        CU_ASSERT_FATAL(blen <= c.len - pos);
        CU_ASSERT_EQUAL(snappy_uncompressed_length((const char *)c.data + pos, blen, &ulen), SNAPPY_OK);
        CU_ASSERT(ulen <= 32 * 1024);
        total += ulen;
        pos += blen;
        blocks++;
    }
    CU_ASSERT_EQUAL(pos, c.len);
    CU_ASSERT_EQUAL(blocks, 4); /* 3 x 32 KiB + 1696 */
    CU_ASSERT_EQUAL(total, 100000);
    compress_or_die(KAFKA_COMPRESSION_SNAPPY, txt, 0, &c);
    CU_ASSERT_EQUAL(c.len, 16);
    kafka__buf_free(&c);
    free(txt);
}

/* Every proper prefix of a small compressed buffer is corrupt, except, for xerial
 * snappy, a cut exactly at a block boundary (which is a shorter valid stream). */
static void test_truncation(void) {
    uint8_t *txt = compressible_bytes(300);
    kafka_buf_t c = KAFKA_BUF_INIT;
    for (size_t i = 1; i < NCODECS; i++) {
        compress_or_die(codecs[i], txt, 300, &c);
        for (size_t cut = 0; cut < c.len; cut++)
            if (!(codecs[i] == KAFKA_COMPRESSION_SNAPPY && cut == 16))
                expect_corrupt(codecs[i], c.data, cut);
    }
    size_t rlen = snappy_max_compressed_length(300);
    char *raw = malloc(rlen);
    CU_ASSERT_EQUAL_FATAL(snappy_compress((const char *)txt, 300, raw, &rlen), SNAPPY_OK);
    for (size_t cut = 0; cut < rlen; cut++)
        expect_corrupt(KAFKA_COMPRESSION_SNAPPY, (uint8_t *)raw, cut);
    free(raw);
    kafka__buf_free(&c);
    free(txt);
}

/* Single bit flips may go unnoticed where a format has no checksum, but must never
 * crash, overrun (under ASan) or return anything but OK or a decoding error. */
static void test_bitflips(void) {
    uint8_t *txt = compressible_bytes(200);
    kafka_buf_t c = KAFKA_BUF_INIT, d = KAFKA_BUF_INIT;
    for (size_t i = 1; i < NCODECS; i++) {
        compress_or_die(codecs[i], txt, 200, &c);
        unsigned caught = 0;
        for (size_t bit = 0; bit < c.len * 8; bit++) {
            c.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            kafka__buf_reset(&d);
            kafka_err_t rc = kafka__decompress(codecs[i], c.data, c.len, 4096, &d, NULL, 0);
            CU_ASSERT(rc == KAFKA_OK || rc == KAFKA_ERR__BAD_COMPRESSION || rc == KAFKA_ERR__MSG_TOO_LARGE);
            if (rc)
                caught++;
            CU_ASSERT(rc != KAFKA_OK || d.len <= 4096);
            c.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        CU_ASSERT(caught > 0);
    }
    kafka__buf_free(&c);
    kafka__buf_free(&d);
    free(txt);
}

static void test_garbage(void) {
    static const char text[] = "this was never compressed by anything";
    for (size_t i = 1; i < NCODECS; i++)
        expect_corrupt(codecs[i], (const uint8_t *)text, sizeof(text) - 1);
    kafka_buf_t d = KAFKA_BUF_INIT;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rng() % 300);
        uint8_t *g = random_bytes(n);
        if (n > 0 && round % 2) /* half start with the xerial magic, to get past it */
            memcpy(g, "\x82SNAPPY\0", n < 8 ? n : 8);
        for (size_t i = 1; i < NCODECS; i++) {
            kafka__buf_reset(&d);
            kafka_err_t rc = kafka__decompress(codecs[i], g, n, 64 * 1024, &d, NULL, 0);
            CU_ASSERT(rc == KAFKA_OK || rc == KAFKA_ERR__BAD_COMPRESSION || rc == KAFKA_ERR__MSG_TOO_LARGE);
        }
        free(g);
    }
    kafka__buf_free(&d);
}

static void test_max_out(void) {
    uint8_t *zero = calloc(1, MIB);
    kafka_buf_t c = KAFKA_BUF_INIT, d = KAFKA_BUF_INIT;
    for (size_t i = 0; i < NCODECS; i++) {
        char err[256] = "";
        compress_or_die(codecs[i], zero, MIB, &c);
        kafka__buf_write(&d, "keep", 4);
        CU_ASSERT_EQUAL(kafka__decompress(codecs[i], c.data, c.len, 1000, &d, err, sizeof(err)),
                        KAFKA_ERR__MSG_TOO_LARGE);
        CU_ASSERT(strstr(err, kafka_compression_name(codecs[i])) != NULL && strstr(err, "1000") != NULL);
        CU_ASSERT(d.len == 4 && memcmp(d.data, "keep", 4) == 0);
        /* The limit is inclusive: exactly max_out bytes is fine, one fewer is not. */
        CU_ASSERT_EQUAL(kafka__decompress(codecs[i], c.data, c.len, MIB - 1, &d, NULL, 0),
                        KAFKA_ERR__MSG_TOO_LARGE);
        CU_ASSERT_EQUAL(d.len, 4);
        CU_ASSERT_EQUAL(kafka__decompress(codecs[i], c.data, c.len, MIB, &d, NULL, 0), KAFKA_OK);
        CU_ASSERT_EQUAL(d.len, 4 + MIB);
        kafka__buf_reset(&d);
    }
    kafka__buf_free(&c);
    kafka__buf_free(&d);
    free(zero);
}

/* Size claims in headers are checked before memory is taken for them. */
static void test_size_claims(void) {
    kafka_buf_t d = KAFKA_BUF_INIT;
    char err[256] = "";
    /* A raw snappy block claiming 100 MB in 6 bytes cannot be genuine. */
    static const uint8_t snap[] = {0x80, 0xc2, 0xd7, 0x2f, 0x00, 0x61};
    CU_ASSERT_EQUAL(
        kafka__decompress(KAFKA_COMPRESSION_SNAPPY, snap, sizeof(snap), 1u << 30, &d, err, sizeof(err)),
        KAFKA_ERR__BAD_COMPRESSION);
    CU_ASSERT(strstr(err, "snappy") != NULL);
    /* A plausible claim above max_out is too large. */
    static const uint8_t snap2[] = {0x40, 0x00, 0x61, 0xfa, 0x01, 0x00}; /* 64 bytes */
    CU_ASSERT_EQUAL(kafka__decompress(KAFKA_COMPRESSION_SNAPPY, snap2, sizeof(snap2), 10, &d, NULL, 0),
                    KAFKA_ERR__MSG_TOO_LARGE);
    /* A zstd frame header declaring 2^40 bytes is refused up front. */
    static const uint8_t zs[] = {0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x01, 0, 0};
    CU_ASSERT_EQUAL(kafka__decompress(KAFKA_COMPRESSION_ZSTD, zs, sizeof(zs), MIB, &d, err, sizeof(err)),
                    KAFKA_ERR__MSG_TOO_LARGE);
    CU_ASSERT_EQUAL(d.len, 0);
    /* NONE is a bounded copy. */
    CU_ASSERT_EQUAL(kafka__decompress(KAFKA_COMPRESSION_NONE, snap, sizeof(snap), 5, &d, NULL, 0),
                    KAFKA_ERR__MSG_TOO_LARGE);
    kafka__buf_free(&d);
}

/* Several threads compress and decompress the same input at once, every codec: our
 * calls share no state, so each thread's output is the single-threaded output byte for
 * byte. scripts/test.sh runs this under ThreadSanitizer with no codec library
 * suppressed (tests/tsan.supp), where compress.c is instrumented and the codecs' memcpy
 * calls on our buffers are intercepted: a race in our calls would be reported. */
#define NTHREADS 4
#define ROUNDS 3

typedef struct worker_s {
    const uint8_t *data;
    size_t len;
    const kafka_buf_t *want; /* per codec: data compressed by the main thread */
    pthread_barrier_t *start;
    int same_bytes[NCODECS]; /* rounds whose compressed output equalled want */
    int round_trips[NCODECS]; /* rounds whose want decompressed back to data */
    char err[256];
} worker_t;

static void *codec_worker(void *arg) {
    worker_t *w = arg;
    kafka_buf_t c = KAFKA_BUF_INIT, d = KAFKA_BUF_INIT;
    pthread_barrier_wait(w->start);
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < NCODECS; i++) {
            kafka__buf_reset(&c);
            kafka__buf_reset(&d);
            const kafka_buf_t *want = &w->want[i];
            if (kafka__compress(codecs[i], -1, w->data, w->len, &c, w->err, sizeof(w->err)) == KAFKA_OK &&
                c.len == want->len && memcmp(c.data, want->data, c.len) == 0)
                w->same_bytes[i]++;
            if (kafka__decompress(codecs[i], want->data, want->len, w->len, &d, w->err, sizeof(w->err)) ==
                    KAFKA_OK &&
                d.len == w->len && memcmp(d.data, w->data, d.len) == 0)
                w->round_trips[i]++;
        }
    kafka__buf_free(&c);
    kafka__buf_free(&d);
    return NULL;
}

static void test_concurrent(void) {
    const size_t half = 256 * 1024;
    uint8_t *txt = compressible_bytes(half), *rnd = random_bytes(half);
    uint8_t *data = malloc(2 * half);
    memcpy(data, txt, half);
    memcpy(data + half, rnd, half);
    kafka_buf_t want[NCODECS];
    for (size_t i = 0; i < NCODECS; i++) {
        want[i] = (kafka_buf_t)KAFKA_BUF_INIT;
        compress_or_die(codecs[i], data, 2 * half, &want[i]);
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    pthread_t th[NTHREADS];
    worker_t w[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        w[t] = (worker_t){.data = data, .len = 2 * half, .want = want, .start = &start};
        CU_ASSERT_FATAL(pthread_create(&th[t], NULL, codec_worker, &w[t]) == 0);
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < NTHREADS; t++)
        for (size_t i = 0; i < NCODECS; i++) {
            if (w[t].same_bytes[i] != ROUNDS || w[t].round_trips[i] != ROUNDS)
                fprintf(stderr, "\nthread %d %s: %d/%d same bytes, %d/%d round trips (%s)\n", t,
                        kafka_compression_name(codecs[i]), w[t].same_bytes[i], ROUNDS, w[t].round_trips[i],
                        ROUNDS, w[t].err);
            CU_ASSERT_EQUAL(w[t].same_bytes[i], ROUNDS);
            CU_ASSERT_EQUAL(w[t].round_trips[i], ROUNDS);
        }
    pthread_barrier_destroy(&start);
    for (size_t i = 0; i < NCODECS; i++)
        kafka__buf_free(&want[i]);
    free(txt);
    free(rnd);
    free(data);
}

static CU_TestInfo tests[] = {
    {"name_parse", test_name_parse},
    {"unsupported", test_unsupported},
    {"roundtrip", test_roundtrip},
    {"empty_null", test_empty_null},
    {"gzip_foreign", test_gzip_foreign},
    {"lz4_foreign", test_lz4_foreign},
    {"zstd_foreign", test_zstd_foreign},
    {"snappy_foreign", test_snappy_foreign},
    {"snappy_xerial_layout", test_snappy_xerial_layout},
    {"truncation", test_truncation},
    {"bitflips", test_bitflips},
    {"garbage", test_garbage},
    {"max_out", test_max_out},
    {"size_claims", test_size_claims},
    {"concurrent", test_concurrent},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("compress", tests)
