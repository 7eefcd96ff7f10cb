/* OffsetForLeaderEpoch for the consumer (KIP-101/KIP-320): where a leader epoch ended
 * in a partition's log, so that after a leader change the consumer can tell whether the
 * log still holds what it read, or an unclean leader election truncated it. */
#include <stdio.h>
#include <stdlib.h>

#include "consumer/consumer_int.h"
#include "util/arena.h"

kafka_err_t kafka__epoch_end_on(kafka__bconn_t *bc, const char *broker, const char *topic, int32_t partition,
                                int32_t current, int32_t epoch, int64_t *end, int32_t *end_epoch, bool *unsupported,
                                bool *broken, char *why, size_t why_size) {
    *end = -1;
    *end_epoch = -1;
    *unsupported = *broken = false;
    int16_t v = kafka__bconn_version(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH);
    if (v < 0) {
        *unsupported = true;
        snprintf(why, why_size, "%s does not serve OffsetForLeaderEpoch", broker);
        return KAFKA_ERR__UNSUPPORTED_VERSION;
    }
    kafka_offset_for_leader_epoch_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, &req);
    req.replica_id = -1; /* a consumer */
    kafka_offset_for_leader_epoch_request_offset_for_leader_partition_t part = {partition, v >= 2 ? current : -1,
                                                                                 epoch};
    kafka_offset_for_leader_epoch_request_offset_for_leader_topic_t t = {kafka_str(topic), {&part, 1}};
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_offset_for_leader_epoch_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t err = kafka__bconn_request(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, &req, &resp, &arena, &frame, &v);
    if (err == KAFKA_ERR__UNKNOWN_APIKEY || err == KAFKA_ERR__UNSUPPORTED_VERSION) {
        *unsupported = true;
        snprintf(why, why_size, "%s does not serve OffsetForLeaderEpoch", broker);
    } else if (err) {
        *broken = true;
        snprintf(why, why_size, "OffsetForLeaderEpoch v%d of %s/%d to %s: %s", v, topic, (int)partition, broker,
                 kafka__bconn_last_error(bc));
    } else {
        const kafka_offset_for_leader_epoch_response_epoch_end_offset_t *pr = NULL;
        for (int32_t i = 0; i < resp.topics.count && !pr; i++) {
            if (!kafka_str_eq(resp.topics.items[i].topic, topic))
                continue;
            for (int32_t k = 0; k < resp.topics.items[i].partitions.count && !pr; k++)
                if (resp.topics.items[i].partitions.items[k].partition == partition)
                    pr = &resp.topics.items[i].partitions.items[k];
        }
        if (!pr) {
            err = KAFKA_ERR__PARTITION_DOES_NOT_MATCH;
            snprintf(why, why_size, "OffsetForLeaderEpoch v%d of %s/%d: %s answered without it", v, topic,
                     (int)partition, broker);
        } else if (pr->error_code) {
            err = (kafka_err_t)pr->error_code;
            kafka__bconn_note_error(bc, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, err);
            snprintf(why, why_size, "OffsetForLeaderEpoch v%d of %s/%d (epoch %d, current %d) on %s: %s", v, topic,
                     (int)partition, (int)epoch, (int)current, broker, kafka_err_name(err));
        } else {
            *end = pr->end_offset;
            *end_epoch = v >= 1 ? pr->leader_epoch : epoch;
        }
    }
    free(frame);
    kafka__arena_free(&arena);
    return err;
}
