/* OffsetForLeaderEpoch (key 23), versions 0-4: where a leader epoch ended in the log
 * (KIP-101/KIP-320), from the epochs stored in its batches. CurrentLeaderEpoch (v2+)
 * fences a client with old metadata (FENCED_LEADER_EPOCH) or newer than the broker's
 * (UNKNOWN_LEADER_EPOCH). Consumers send ReplicaId -1 (v3+); answered alike. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_offset_for_leader_epoch(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_offset_for_leader_epoch_request_t *req = &rq->body->offset_for_leader_epoch;
    kafka_offset_for_leader_epoch_response_t *r = &resp->offset_for_leader_epoch;
    KMOCK_ARRAY(r->topics, rq, "OffsetForLeaderTopicResult", req->topics.count);
    for (int32_t t = 0; t < r->topics.count; t++) {
        kafka_offset_for_leader_epoch_request_offset_for_leader_topic_t *lt = &req->topics.items[t];
        kafka_offset_for_leader_epoch_response_offset_for_leader_topic_result_t *tr = &r->topics.items[t];
        tr->topic = lt->topic;
        kmock_topic_t *topic = kmock__topic_find(m, lt->topic.str, lt->topic.len);
        KMOCK_ARRAY(tr->partitions, rq, "EpochEndOffset", lt->partitions.count);
        for (int32_t i = 0; i < tr->partitions.count; i++) {
            kafka_offset_for_leader_epoch_request_offset_for_leader_partition_t *lp = &lt->partitions.items[i];
            kafka_offset_for_leader_epoch_response_epoch_end_offset_t *pr = &tr->partitions.items[i];
            pr->partition = lp->partition;
            pr->leader_epoch = -1;
            pr->end_offset = -1;
            kmock_partition_t *p = kmock__partition(topic, lp->partition);
            if (!p)
                pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (p->leader != rq->broker->id)
                pr->error_code = KAFKA_ERR_NOT_LEADER_OR_FOLLOWER;
            else if (lp->current_leader_epoch >= 0 && lp->current_leader_epoch < p->leader_epoch)
                pr->error_code = KAFKA_ERR_FENCED_LEADER_EPOCH;
            else if (lp->current_leader_epoch > p->leader_epoch)
                pr->error_code = KAFKA_ERR_UNKNOWN_LEADER_EPOCH;
            else
                pr->end_offset = kmock__log_epoch_end(p, lp->leader_epoch, &pr->leader_epoch);
        }
    }
    return KMOCK_RESPOND;
}
