/* ListOffsets (key 2), versions 0-7: earliest (-2), latest (-1), max timestamp (-3) or
 * the first offset at or after a timestamp (at batch granularity). Latest is the high
 * watermark, or with v2+'s isolation level read_committed the last stable offset (the
 * first offset of the oldest open transaction), as Kafka. v0 answers a list of
 * at most max_num_offsets offsets (here one: the requested position). */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_list_offsets(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_list_offsets_request_t *req = &rq->body->list_offsets;
    kafka_list_offsets_response_t *r = &resp->list_offsets;
    KMOCK_ARRAY(r->topics, rq, "ListOffsetsTopicResponse", req->topics.count);
    for (int32_t t = 0; t < r->topics.count; t++) {
        kafka_list_offsets_request_topic_t *lt = &req->topics.items[t];
        kafka_list_offsets_response_topic_response_t *tr = &r->topics.items[t];
        tr->name = lt->name;
        kmock_topic_t *topic = kmock__topic_find(m, lt->name.str, lt->name.len);
        KMOCK_ARRAY(tr->partitions, rq, "ListOffsetsPartitionResponse", lt->partitions.count);
        for (int32_t i = 0; i < tr->partitions.count; i++) {
            kafka_list_offsets_request_partition_t *lp = &lt->partitions.items[i];
            kafka_list_offsets_response_partition_response_t *pr = &tr->partitions.items[i];
            pr->partition_index = lp->partition_index;
            pr->offset = -1;
            pr->timestamp = -1;
            kmock_partition_t *p = kmock__partition(topic, lp->partition_index);
            if (!p) {
                pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (p->leader != rq->broker->id) {
                pr->error_code = KAFKA_ERR_NOT_LEADER_OR_FOLLOWER;
                continue;
            }
            pr->leader_epoch = p->leader_epoch;
            if (lp->timestamp == -1) {
                pr->offset = rq->hdr->request_api_version >= 2 && req->isolation_level == 1 ? kmock__lso(p)
                                                                                             : p->high_watermark;
            } else if (lp->timestamp == -2) {
                pr->offset = p->log_start;
            } else if (lp->timestamp == -3) {
                for (size_t e = p->first_entry; e < p->nentries; e++)
                    if (p->entries[e].max_timestamp >= pr->timestamp) {
                        pr->timestamp = p->entries[e].max_timestamp;
                        pr->offset = p->entries[e].base_offset;
                    }
            } else {
                pr->offset = kmock__log_offset_for_time(p, lp->timestamp, &pr->timestamp);
            }
            if (rq->hdr->request_api_version == 0) {
                int64_t *offs = kafka__arena_alloc(rq->arena, sizeof(int64_t));
                int n = offs && lp->max_num_offsets > 0 && pr->offset >= 0 ? 1 : 0;
                if (n)
                    offs[0] = pr->offset;
                pr->old_style_offsets.items = offs;
                pr->old_style_offsets.count = n;
            }
        }
    }
    return KMOCK_RESPOND;
}
