/* See fetch_loop.h. */
#include <stdlib.h>

#include "fetch_loop.h"
#include "kafka/message.h"

kafka_err_t agent_cursors_start(kafka_consumer_t *c, const char *topic, agent_cursor_t *cur, int n, int64_t start,
                                int64_t ts, char *errstr, size_t errstr_size) {
    for (int i = 0; i < n; i++) {
        /* The end as it is now: an empty partition needs no fetch to know it is read. */
        int64_t *offs = NULL;
        size_t k = 0;
        kafka_err_t e = kafka_consumer_offsets(c, topic, cur[i].partition, KAFKA_OFFSET_LATEST, 1, &offs, &k, errstr,
                                               errstr_size);
        if (e)
            return e;
        cur[i].hw = k ? offs[0] : -1;
        free(offs);
        offs = NULL;
        k = 0;
        int64_t when = ts >= 0 ? ts : start;
        if (ts < 0 && start >= 0) {
            cur[i].offset = start;
            continue;
        }
        e = kafka_consumer_offsets(c, topic, cur[i].partition, when, 1, &offs, &k, errstr, errstr_size);
        if (e)
            return e;
        if (k == 0) {
            /* No message at or after ts: start at the end. */
            free(offs);
            e = kafka_consumer_offsets(c, topic, cur[i].partition, KAFKA_OFFSET_LATEST, 1, &offs, &k, errstr,
                                       errstr_size);
            if (e)
                return e;
        }
        cur[i].offset = k ? offs[0] : 0;
        free(offs);
    }
    return KAFKA_OK;
}

kafka_err_t agent_fetch_round(kafka_consumer_t *c, const char *topic, agent_cursor_t *cur, int n, bool stop_at_end,
                              agent_msg_fn fn, void *arg, bool *all_at_end, bool *stopped, char *errstr,
                              size_t errstr_size) {
    bool all = true;
    *stopped = false;
    for (int i = 0; i < n && !*stopped; i++) {
        if (stop_at_end && cur[i].hw >= 0 && cur[i].offset >= cur[i].hw)
            continue;
        kafka_message_t **msgs = NULL;
        size_t k = 0;
        kafka_err_t e = kafka_consumer_fetch(c, topic, cur[i].partition, cur[i].offset, 0, &msgs, &k, errstr,
                                             errstr_size);
        if (e)
            return e;
        for (size_t j = 0; j < k && !*stopped; j++) {
            bool more = fn(msgs[j], arg);
            /* Handed over: the position moves past it, even when fn asks to stop here. */
            cur[i].offset = kafka_message_next_offset(msgs[j]);
            cur[i].hw = kafka_message_high_watermark(msgs[j]);
            if (!more)
                *stopped = true;
        }
        kafka_messages_destroy(msgs, k);
        int64_t next = kafka_consumer_next_offset(c, topic, cur[i].partition);
        if (!*stopped && next > cur[i].offset)
            cur[i].offset = next;
        if (k == 0 && (cur[i].hw < 0 || cur[i].hw < cur[i].offset))
            cur[i].hw = cur[i].offset; /* nothing after it yet: at the end */
        if (cur[i].offset < cur[i].hw)
            all = false;
    }
    *all_at_end = all;
    return KAFKA_OK;
}
