/* OffsetCommit (key 8), versions 0-9: stores offsets per group on the group's
 * coordinator. A group with members takes commits only from a member of its current
 * generation (FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION), and none while
 * it waits for its leader's assignment (REBALANCE_IN_PROGRESS); an empty or unknown
 * group takes "simple" commits (generation -1) of a consumer that assigns partitions
 * itself, as Kafka does. A KIP-848 group checks the member epoch instead (group848.c). */
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

kmock_commit_t *kmock__commit_find(kafka_mock_t *m, kafka_str_t group, kafka_str_t topic, int32_t partition) {
    for (kmock_commit_t *c = m->commits; c; c = c->next)
        if (c->partition == partition && kafka_str_eq(group, c->group) && kafka_str_eq(topic, c->topic))
            return c;
    return NULL;
}

int16_t kmock__commit_put(kafka_mock_t *m, kafka_str_t group, kafka_str_t topic, int32_t partition, int64_t offset,
                          int32_t leader_epoch, kafka_str_t metadata) {
    kmock_commit_t *c = kmock__commit_find(m, group, topic, partition);
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (!c || !(c->group = strndup(group.str, (size_t)group.len)) ||
            !(c->topic = strndup(topic.str, (size_t)topic.len))) {
            if (c)
                free(c->group);
            free(c);
            return KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        }
        c->partition = partition;
        c->next = m->commits;
        m->commits = c;
    }
    free(c->metadata);
    c->metadata = metadata.len >= 0 ? strndup(metadata.str ? metadata.str : "", (size_t)metadata.len) : NULL;
    c->offset = offset;
    c->leader_epoch = leader_epoch;
    return 0;
}

static int16_t member_error(kmock_req_t *rq, const kafka_offset_commit_request_t *req) {
    kmock_group_t *g = kmock__group_find(rq->m, req->group_id);
    if (g)
        kmock__group_tick(rq->m, g, rq->now_ms);
    int32_t gen = req->generation_id_or_member_epoch;
    if (g && g->kip848)
        return kmock__group848_commit_check(g, req->member_id, gen, rq->hdr->request_api_version);
    if (!g || g->state == KMOCK_GROUP_EMPTY)
        return gen < 0 ? 0 : g ? KAFKA_ERR_UNKNOWN_MEMBER_ID : KAFKA_ERR_ILLEGAL_GENERATION;
    kmock_member_t *mem;
    int16_t e = kmock__member_check(g, req->member_id, req->group_instance_id, gen, &mem);
    if (!e && g->state == KMOCK_GROUP_COMPLETING)
        e = KAFKA_ERR_REBALANCE_IN_PROGRESS;
    return e;
}

kmock_result_t kmock__handle_offset_commit(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_offset_commit_request_t *req = &rq->body->offset_commit;
    kafka_offset_commit_response_t *r = &resp->offset_commit;
    kmock_broker_t *coord = kmock__coordinator(m, req->group_id.str, req->group_id.len > 0 ? req->group_id.len : 0);
    int16_t group_err = req->group_id.len <= 0 ? KAFKA_ERR_INVALID_GROUP_ID
                        : coord != rq->broker  ? KAFKA_ERR_NOT_COORDINATOR
                                               : member_error(rq, req);
    KMOCK_ARRAY(r->topics, rq, "OffsetCommitResponseTopic", req->topics.count);
    for (int32_t t = 0; t < r->topics.count; t++) {
        kafka_offset_commit_request_topic_t *ct = &req->topics.items[t];
        kafka_offset_commit_response_topic_t *tr = &r->topics.items[t];
        tr->name = ct->name;
        KMOCK_ARRAY(tr->partitions, rq, "OffsetCommitResponsePartition", ct->partitions.count);
        for (int32_t i = 0; i < tr->partitions.count; i++) {
            kafka_offset_commit_request_partition_t *cp = &ct->partitions.items[i];
            tr->partitions.items[i].partition_index = cp->partition_index;
            if (rq->inject)
                continue;
            if (group_err)
                tr->partitions.items[i].error_code = group_err;
            else if (!kmock__partition(kmock__topic_find(m, ct->name.str, ct->name.len), cp->partition_index))
                tr->partitions.items[i].error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                tr->partitions.items[i].error_code = kmock__commit_put(m, req->group_id, ct->name, cp->partition_index,
                                                                   cp->committed_offset, cp->committed_leader_epoch,
                                                                   cp->committed_metadata);
        }
    }
    return KMOCK_RESPOND;
}
