/* OffsetForLeaderEpoch for the consumer (KIP-101/KIP-320): where a leader epoch ended
 * in a partition's log, so that after a leader change the consumer can tell whether the
 * log still holds what it read, or an unclean leader election truncated it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "util/arena.h"

/* The entry of q (sorted by topic) answering topic/partition: at hint when the answer
 * keeps the request's order, else by a scan. */
static kafka__epoch_q_t *find_q(kafka__epoch_q_t *q, size_t n, size_t hint, kafka_str_t topic, int32_t partition) {
    if (hint < n && q[hint].partition == partition && kafka_str_eq(topic, q[hint].topic))
        return &q[hint];
    for (size_t i = 0; i < n; i++)
        if (q[i].partition == partition && kafka_str_eq(topic, q[i].topic))
            return &q[i];
    return NULL;
}

kafka_err_t kafka__epoch_ends_on(kafka__bconn_t *bc, const char *broker, kafka__epoch_q_t *q, size_t n,
                                 bool *unsupported, bool *broken, char *why, size_t why_size) {
    *unsupported = *broken = false;
    for (size_t i = 0; i < n; i++) {
        q[i].end = -1;
        q[i].end_epoch = -1;
        q[i].err = KAFKA_OK;
        q[i].why[0] = '\0';
    }
    int16_t v = kafka__bconn_version(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH);
    if (v < 0) {
        *unsupported = true;
        snprintf(why, why_size, "%s does not serve OffsetForLeaderEpoch", broker);
        return KAFKA_ERR__UNSUPPORTED_VERSION;
    }
    kafka_offset_for_leader_epoch_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, &req);
    req.replica_id = -1; /* a consumer */
    kafka_offset_for_leader_epoch_request_offset_for_leader_partition_t *parts = malloc((n ? n : 1) * sizeof(*parts));
    kafka_offset_for_leader_epoch_request_offset_for_leader_topic_t *topics = malloc((n ? n : 1) * sizeof(*topics));
    if (!parts || !topics) {
        free(parts);
        free(topics);
        snprintf(why, why_size, "OffsetForLeaderEpoch to %s: out of memory", broker);
        return KAFKA_ERR__NO_MEMORY;
    }
    int32_t ntopics = 0;
    for (size_t i = 0; i < n; i++) {
        parts[i] = (kafka_offset_for_leader_epoch_request_offset_for_leader_partition_t){
            q[i].partition, v >= 2 ? q[i].current : -1, q[i].epoch};
        if (i == 0 || strcmp(q[i].topic, q[i - 1].topic) != 0)
            topics[ntopics++] =
                (kafka_offset_for_leader_epoch_request_offset_for_leader_topic_t){kafka_str(q[i].topic), {&parts[i], 0}};
        topics[ntopics - 1].partitions.count++;
    }
    req.topics.items = topics;
    req.topics.count = ntopics;
    kafka_offset_for_leader_epoch_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t err = kafka__bconn_request(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, &req, &resp, &arena, &frame, &v);
    free(parts);
    free(topics);
    if (err == KAFKA_ERR__UNKNOWN_APIKEY || err == KAFKA_ERR__UNSUPPORTED_VERSION) {
        *unsupported = true;
        snprintf(why, why_size, "%s does not serve OffsetForLeaderEpoch", broker);
    } else if (err) {
        *broken = true;
        snprintf(why, why_size, "OffsetForLeaderEpoch v%d of %zu partition%s (%s/%d%s) to %s: %s", v, n,
                 n == 1 ? "" : "s", n ? q[0].topic : "", n ? (int)q[0].partition : -1, n > 1 ? "..." : "", broker,
                 kafka__bconn_last_error(bc));
    } else {
        /* Not answered until its answer comes (a second answer for it is ignored). */
        for (size_t i = 0; i < n; i++)
            q[i].err = KAFKA_ERR__PARTITION_DOES_NOT_MATCH;
        size_t hint = 0;
        for (int32_t t = 0; t < resp.topics.count; t++)
            for (int32_t k = 0; k < resp.topics.items[t].partitions.count; k++, hint++) {
                const kafka_offset_for_leader_epoch_response_epoch_end_offset_t *pr =
                    &resp.topics.items[t].partitions.items[k];
                kafka__epoch_q_t *e = find_q(q, n, hint, resp.topics.items[t].topic, pr->partition);
                if (!e || e->err != KAFKA_ERR__PARTITION_DOES_NOT_MATCH)
                    continue;
                e->err = (kafka_err_t)pr->error_code;
                if (e->err) {
                    kafka__bconn_note_error(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, e->err);
                    snprintf(e->why, sizeof(e->why), "OffsetForLeaderEpoch v%d of %s/%d (epoch %d, current %d) on %s: %s",
                             v, e->topic, (int)e->partition, (int)e->epoch, (int)e->current, broker,
                             kafka_err_name(e->err));
                } else {
                    e->end = pr->end_offset;
                    e->end_epoch = v >= 1 ? pr->leader_epoch : e->epoch;
                }
            }
        for (size_t i = 0; i < n; i++)
            if (q[i].err == KAFKA_ERR__PARTITION_DOES_NOT_MATCH)
                snprintf(q[i].why, sizeof(q[i].why), "OffsetForLeaderEpoch v%d of %s/%d: %s answered without it", v,
                         q[i].topic, (int)q[i].partition, broker);
    }
    free(frame);
    kafka__arena_free(&arena);
    return err;
}
