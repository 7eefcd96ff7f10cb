/* Request statistics of a client's broker connections: requests, responses, errors and
 * latency per broker and API, kept by the one broker layer (every connection of a
 * producer, consumer or kafka_connection_t: workers, fetchers, the metadata thread,
 * coordinator calls). Read with kafka_producer_request_stats(),
 * kafka_consumer_request_stats() or kafka_connection_request_stats(); the counters are
 * atomics the connections add to without a lock, and a read copies them (a snapshot, not
 * a consistent cut: a request may show before its response).
 *
 * Latency is from the request's write to its response's arrival, in the buckets of
 * kafka_latency_bounds_s (upper bounds in seconds, as a Prometheus histogram's `le`; the
 * last bucket is everything above the last bound). Errors count requests that failed
 * on the connection (it broke, timed out, or the response did not decode) and error
 * codes the broker answered (for Produce and Fetch, per partition), by error. */
#ifndef KAFKA_REQSTATS_H
#define KAFKA_REQSTATS_H

#include <stdint.h>

#include "kafka/error.h"

#define KAFKA_LATENCY_BUCKETS 16

/* 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 s,
 * then +Inf. */
extern const double kafka_latency_bounds_s[KAFKA_LATENCY_BUCKETS - 1];

typedef struct kafka_request_stats_s {
    char broker[272]; /* "host:port" */
    int16_t api_key;
    int64_t requests;  /* written */
    int64_t responses; /* answered (decoded or not) */
    int64_t errors;    /* of any kind (the breakdown: kafka_request_error_t) */
    double latency_sum_s;
    int64_t latency[KAFKA_LATENCY_BUCKETS]; /* responses per bucket (not cumulative) */
    int64_t request_bytes;  /* written, size prefix included */
    int64_t response_bytes; /* received, size prefix included */
} kafka_request_stats_t;

typedef struct kafka_request_error_s {
    char broker[272];
    int16_t api_key;
    kafka_err_t err;
    int64_t count;
} kafka_request_error_t;

#endif
