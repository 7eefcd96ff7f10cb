/* A simple consuming loop over the origin's calls (kafka_consumer_offsets / _fetch):
 * one cursor per partition, fetched in turn, for `consume` and `bench consume`. */
#ifndef KAFKA_AGENT_FETCH_LOOP_H
#define KAFKA_AGENT_FETCH_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/consumer.h"

typedef struct agent_cursor_s {
    int32_t partition;
    int64_t offset; /* the next offset to fetch */
    int64_t hw;     /* high watermark from the last fetch; -1 unknown */
} agent_cursor_t;

/* Called with each message (valid or not); returns false to stop. The message is
 * destroyed after the call. */
typedef bool (*agent_msg_fn)(const kafka_message_t *m, void *arg);

/* Resolves start (KAFKA_OFFSET_EARLIEST / _LATEST, an offset, or ts >= 0: the first
 * message at or after ts ms) for each cursor, and its current end (high watermark).
 * KAFKA_OK or the error with errstr. */
kafka_err_t agent_cursors_start(kafka_consumer_t *c, const char *topic, agent_cursor_t *cur, int n, int64_t start,
                                int64_t ts, char *errstr, size_t errstr_size);

/* One fetch per cursor that is not at its end (or every cursor when !stop_at_end),
 * handing messages to fn. *all_at_end says whether every cursor has reached the high
 * watermark. KAFKA_OK, or the first error (errstr); fn returning false stops at once. */
kafka_err_t agent_fetch_round(kafka_consumer_t *c, const char *topic, agent_cursor_t *cur, int n, bool stop_at_end,
                              agent_msg_fn fn, void *arg, bool *all_at_end, bool *stopped, char *errstr,
                              size_t errstr_size);

#endif
