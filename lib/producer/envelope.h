/* The Produce request envelope, hand-written for the hot path (DESIGN "Codec design"):
 * header and body fields go into a small buffer, each partition's record data stays
 * where it is (the sealed batch) and is referenced by an iovec, so a request is written
 * with one scatter-gather send and no copy of batch bytes. Produce v0-v9, classic and
 * flexible; the generic codec decodes what this writes (tests/test_envelope.c checks
 * byte equality with kafka_request_encode for every version). */
#ifndef KAFKA_PRODUCER_ENVELOPE_H
#define KAFKA_PRODUCER_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kafka/error.h"
#include "util/buf.h"

/* One partition's record data in a request. Entries of the same topic must be adjacent
 * (the envelope groups consecutive entries with an equal topic pointer or name). */
typedef struct kafka__penv_part_s {
    const char *topic;
    int32_t partition;
    const void *records;
    size_t len;
} kafka__penv_part_t;

typedef struct kafka__penv_s {
    kafka_buf_t buf;     /* header and body fields */
    struct iovec *iov;   /* the frame, in order; pointers into buf and the records */
    int iovcnt;
    size_t iovcap;
    size_t *seg_off;     /* per iovec: offset into buf, or SIZE_MAX for record data */
    size_t frame_len;    /* bytes of the whole frame, size prefix included */
} kafka__penv_t;

#define KAFKA__PENV_INIT {KAFKA_BUF_INIT, NULL, 0, 0, NULL, 0}

/* Builds the frame of a Produce request of `version` (0..9) with parts[0..n). On
 * success env->iov[0..iovcnt) is the frame (valid until the next build or free, and
 * while the records live). KAFKA_ERR__UNSUPPORTED_VERSION, KAFKA_ERR__INVALID_ARG (a
 * string or records too long), KAFKA_ERR__NO_MEMORY. */
/* @thread owner  @locks none */
kafka_err_t kafka__penv_build(kafka__penv_t *env, int16_t version, int32_t correlation_id, const char *client_id,
                              int16_t acks, int32_t timeout_ms, const kafka__penv_part_t *parts, size_t n);
void kafka__penv_free(kafka__penv_t *env);

#endif
