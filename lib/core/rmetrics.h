/* A client's request statistics (kafka/reqstats.h): a table per broker (host:port) of
 * counters per API key, shared by every connection of the client (it hangs off the
 * client's kafka__vcaps_t, which they all have). Adding is lock-free (atomics); a
 * broker's table is made under a lock the first time a connection to it opens, and
 * lives as long as the client. */
#ifndef KAFKA_CORE_RMETRICS_H
#define KAFKA_CORE_RMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/reqstats.h"

#define KAFKA__RM_MAX_BROKERS 128
#define KAFKA__RM_MAX_ERRORS 64 /* distinct (API, error) pairs counted per broker */

typedef struct kafka__rmetrics_s kafka__rmetrics_t;
typedef struct kafka__rmbroker_s kafka__rmbroker_t;

kafka__rmetrics_t *kafka__rmetrics_new(void);
void kafka__rmetrics_destroy(kafka__rmetrics_t *rm);

/* The table of host:port, made on first use; NULL when rm is NULL, full or out of memory
 * (then nothing is counted for that broker). */
/* @thread any  @locks rm's (only to add a broker) */
kafka__rmbroker_t *kafka__rmetrics_broker(kafka__rmetrics_t *rm, const char *host, int port);

/* @thread any  @locks none (b NULL: no-op) */
void kafka__rm_request(kafka__rmbroker_t *b, int16_t api_key, size_t bytes);
void kafka__rm_response(kafka__rmbroker_t *b, int16_t api_key, int64_t latency_us, size_t bytes);
void kafka__rm_error(kafka__rmbroker_t *b, int16_t api_key, kafka_err_t err, int64_t n);

/* Copies the rows with any request into out (at most max); how many rows there are. */
size_t kafka__rmetrics_read(kafka__rmetrics_t *rm, kafka_request_stats_t *out, size_t max);
size_t kafka__rmetrics_read_errors(kafka__rmetrics_t *rm, kafka_request_error_t *out, size_t max);

#endif
