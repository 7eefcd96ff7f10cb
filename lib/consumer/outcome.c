/* What one partition's Fetch answer means (outcome.h). */
#include <stdio.h>

#include "consumer/consumer_int.h"
#include "consumer/outcome.h"

kafka__fetched_t kafka__fetch_outcome(kafka__msgset_t *set, const kafka__scan_t *scan, int64_t offset,
                                      int64_t *next) {
    size_t n = kafka__msgset_count(set);
    *next = n ? kafka__msgset_at(set, n - 1)->next_offset : offset;
    if (scan->next_offset > *next)
        *next = scan->next_offset;
    if (n)
        return KAFKA__FETCHED_MESSAGES;
    if (*next > offset)
        return KAFKA__FETCHED_SKIPPED;
    return scan->partial ? KAFKA__FETCHED_TOO_LARGE : KAFKA__FETCHED_NOTHING;
}

/* "Fetch v4 of t/0 at offset 7 from broker 1 (host:9092)": what the messages start with. */
static void where(const kafka__fetch_at_t *at, char *buf, size_t size) {
    snprintf(buf, size, "Fetch v%d of %s/%d at offset %lld from %s", at->version, at->topic, (int)at->partition,
             (long long)at->offset, at->broker);
}

kafka_err_t kafka__fetch_outcome_error(const kafka__fetch_at_t *at, kafka_err_t err, char *why, size_t why_size) {
    char w[600];
    where(at, w, sizeof(w));
    snprintf(why, why_size, "%s: %s", w, kafka_err_name(err));
    return err;
}

kafka_err_t kafka__fetch_outcome_too_large(const kafka__fetch_at_t *at, const kafka__scan_t *scan, const char *setting,
                                           int32_t limit, char *why, size_t why_size) {
    char w[600], msg[64] = "the message";
    where(at, w, sizeof(w));
    if (scan->partial_offset >= 0)
        snprintf(msg, sizeof(msg), "the message at offset %lld", (long long)scan->partial_offset);
    if (scan->partial_size > 0)
        snprintf(why, why_size,
                 "%s: %s is %lld bytes (with its batch header), more than %s %d: the broker sent only its first %zu "
                 "bytes; raise %s to at least %lld",
                 w, msg, (long long)scan->partial_size, setting, (int)limit, scan->partial, setting,
                 (long long)scan->partial_size);
    else
        snprintf(why, why_size, "%s: %s is larger than %s %d: the broker sent only its first %zu bytes; raise %s",
                 w, msg, setting, (int)limit, scan->partial, setting);
    return KAFKA_ERR__MSG_TOO_LARGE;
}

kafka_err_t kafka__fetch_outcome_out_of_range(const kafka__fetch_at_t *at, int64_t log_start, int64_t high_watermark,
                                              char *why, size_t why_size) {
    char w[600], range[128] = "";
    where(at, w, sizeof(w));
    if (log_start >= 0 || high_watermark >= 0)
        snprintf(range, sizeof(range), " (log start %lld, high watermark %lld)", (long long)log_start,
                 (long long)high_watermark);
    snprintf(why, why_size, "%s: the offset is out of range%s, and auto.offset.reset=error", w, range);
    return KAFKA_ERR_OFFSET_OUT_OF_RANGE;
}

bool kafka__fetch_outcome_reset(const kafka_consumer_t *c, int64_t *time, const char **name) {
    if (c->offset_reset == KAFKA_OFFSET_RESET_ERROR)
        return false;
    bool earliest = c->offset_reset == KAFKA_OFFSET_RESET_EARLIEST;
    if (time)
        *time = earliest ? KAFKA_OFFSET_EARLIEST : KAFKA_OFFSET_LATEST;
    if (name)
        *name = earliest ? "earliest" : "latest";
    return true;
}
