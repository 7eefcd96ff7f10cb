/* Exponential backoff, written once: every retry and reconnect loop of the library waits
 * min_ms after its first failure, twice as long after each further one up to max_ms,
 * and starts from min_ms again after a success. Not thread-safe: each backoff belongs to
 * the thread (or lock) that owns what backs off. */
#ifndef KAFKA_UTIL_BACKOFF_H
#define KAFKA_UTIL_BACKOFF_H

#include <stdint.h>

typedef struct kafka__backoff_s {
    int64_t next_ms; /* the wait the next failure gets */
    int64_t min_ms, max_ms;
} kafka__backoff_t;

static inline void kafka__backoff_init(kafka__backoff_t *b, int64_t min_ms, int64_t max_ms) {
    b->min_ms = min_ms;
    b->max_ms = max_ms;
    b->next_ms = min_ms < max_ms ? min_ms : max_ms;
}

/* A failure: the wait it gets; the next failure gets twice that, at most max_ms. */
static inline int64_t kafka__backoff_next(kafka__backoff_t *b) {
    int64_t wait = b->next_ms;
    b->next_ms = wait <= b->max_ms / 2 ? wait * 2 : b->max_ms;
    return wait;
}

/* The wait a failure would get now, without counting one (a retry that is not the
 * request's own failure, e.g. its connection was lost). */
static inline int64_t kafka__backoff_peek(const kafka__backoff_t *b) {
    return b->next_ms;
}

/* A success: the next failure waits min_ms again. */
static inline void kafka__backoff_reset(kafka__backoff_t *b) {
    b->next_ms = b->min_ms < b->max_ms ? b->min_ms : b->max_ms;
}

#endif
