/* What one partition's Fetch answer means, decided once for kafka_consumer_fetch()
 * (fetch.c) and the consumer loop's fetchers (fetcher.c): where the partition's next
 * fetch starts, a message that does not fit the fetch size, and where
 * auto.offset.reset moves an offset the broker does not hold (assign's STORED start
 * without a committed offset too, loop.c). No I/O, no locks, nothing allocated. */
#ifndef KAFKA_CONSUMER_OUTCOME_H
#define KAFKA_CONSUMER_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consumer/msgset.h"
#include "kafka/consumer.h"

/* What a partition's answer, decoded from the fetch offset, holds. */
typedef enum {
    KAFKA__FETCHED_MESSAGES,  /* messages to hand out */
    KAFKA__FETCHED_SKIPPED,   /* none, but batches that yield none were passed (control or aborted
                                 ones, records compacted away): the fetch goes on after them */
    KAFKA__FETCHED_NOTHING,   /* nothing at or after the fetch offset yet */
    KAFKA__FETCHED_TOO_LARGE  /* only the start of a message larger than the fetch size (Fetch
                                 v0-2 cut it): fetching the same offset again cannot help */
} kafka__fetched_t;

/* One partition's Fetch, as error messages name it. */
typedef struct kafka__fetch_at_s {
    int16_t version;
    const char *topic;
    int32_t partition;
    int64_t offset;     /* the fetch offset */
    const char *broker; /* "broker N (host:port)" */
} kafka__fetch_at_t;

/* What set (decoded from offset, may be NULL: no messages) and its scan hold, with the
 * offset the partition's next fetch starts at in *next: after the last message and
 * after every batch the decode passed, offset when nothing was passed. */
/* @thread builder of set  @locks none */
kafka__fetched_t kafka__fetch_outcome(kafka__msgset_t *set, const kafka__scan_t *scan, int64_t offset,
                                      int64_t *next);

/* A partition error err of the answer at `at`, described in why. Returns err. */
kafka_err_t kafka__fetch_outcome_error(const kafka__fetch_at_t *at, kafka_err_t err, char *why, size_t why_size);

/* A KAFKA__FETCHED_TOO_LARGE answer at `at` (scan: its decode's) as
 * KAFKA_ERR__MSG_TOO_LARGE, returned, with why naming the message's size when the
 * broker's cut left its header, the fetch size (setting: its name, such as
 * "max_bytes"; limit: its value) and the size that would fetch it. */
kafka_err_t kafka__fetch_outcome_too_large(const kafka__fetch_at_t *at, const kafka__scan_t *scan, const char *setting,
                                           int32_t limit, char *why, size_t why_size);

/* OFFSET_OUT_OF_RANGE at `at` under auto.offset.reset=error: returned, with why naming
 * the log's range when the broker said it (log_start, high_watermark; -1: not said). */
kafka_err_t kafka__fetch_outcome_out_of_range(const kafka__fetch_at_t *at, int64_t log_start, int64_t high_watermark,
                                              char *why, size_t why_size);

/* Where c's auto.offset.reset moves an offset the broker does not hold (or a STORED
 * start with nothing stored): true with the ListOffsets time, KAFKA_OFFSET_EARLIEST
 * or KAFKA_OFFSET_LATEST, in *time and the setting's value, "earliest" or "latest", in
 * *name (either may be NULL); false under auto.offset.reset=error (the caller's
 * error), *time and *name untouched. */
bool kafka__fetch_outcome_reset(const kafka_consumer_t *c, int64_t *time, const char **name);

#endif
