/* OffsetFetch (key 9), versions 0-9: committed offsets of a group (v8+: of several
 * groups); -1 where nothing was committed. A null topic list (v2+) means every topic the
 * group committed. */
#include <string.h>

#include "mock/mock_int.h"

typedef struct fetched_s {
    int32_t partition;
    int64_t offset;
    int32_t epoch;
    kafka_str_t metadata;
    int16_t error;
} fetched_t;

static fetched_t lookup(kafka_mock_t *m, int16_t group_err, kafka_str_t group, kafka_str_t topic, int32_t partition) {
    fetched_t f = {partition, -1, -1, kafka_str(""), group_err};
    kmock_commit_t *c = group_err ? NULL : kmock__commit_find(m, group, topic, partition);
    if (c) {
        f.offset = c->offset;
        f.epoch = c->leader_epoch;
        f.metadata = kafka_str(c->metadata ? c->metadata : "");
    }
    return f;
}

static int16_t group_error(kmock_req_t *rq, kafka_str_t group) {
    kmock_broker_t *coord = kmock__coordinator(rq->m, group.str, group.len > 0 ? group.len : 0);
    return group.len <= 0 ? KAFKA_ERR_INVALID_GROUP_ID : coord != rq->broker ? KAFKA_ERR_NOT_COORDINATOR : 0;
}

/* Distinct topics the group committed, for a null topic list. */
static int committed_topics(kafka_mock_t *m, kafka_str_t group, kafka_str_t *out, int max) {
    int n = 0;
    for (kmock_commit_t *c = m->commits; c; c = c->next) {
        if (!kafka_str_eq(group, c->group))
            continue;
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen |= kafka_str_eq(out[i], c->topic);
        if (!seen && n < max)
            out[n++] = kafka_str(c->topic);
    }
    return n;
}

static int committed_partitions(kafka_mock_t *m, kafka_str_t group, kafka_str_t topic, int32_t *out, int max) {
    int n = 0;
    for (kmock_commit_t *c = m->commits; c; c = c->next)
        if (n < max && kafka_str_eq(group, c->group) && kafka_str_eq(topic, c->topic))
            out[n++] = c->partition;
    return n;
}

#define MAX_LISTED 1024

kmock_result_t kmock__handle_offset_fetch(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_offset_fetch_request_t *req = &rq->body->offset_fetch;
    kafka_offset_fetch_response_t *r = &resp->offset_fetch;
    kafka_str_t names[MAX_LISTED];
    int32_t parts[MAX_LISTED];
    if (rq->hdr->request_api_version < 8) {
        int16_t gerr = group_error(rq, req->group_id);
        r->error_code = gerr;
        bool all = req->topics.count < 0;
        int nt = all ? committed_topics(m, req->group_id, names, MAX_LISTED) : req->topics.count;
        KMOCK_ARRAY(r->topics, rq, "OffsetFetchResponseTopic", nt);
        for (int32_t t = 0; t < r->topics.count; t++) {
            kafka_str_t name = all ? names[t] : req->topics.items[t].name;
            int np = all ? committed_partitions(m, req->group_id, name, parts, MAX_LISTED)
                         : req->topics.items[t].partition_indexes.count;
            kafka_offset_fetch_response_topic_t *tr = &r->topics.items[t];
            tr->name = name;
            KMOCK_ARRAY(tr->partitions, rq, "OffsetFetchResponsePartition", np);
            for (int32_t i = 0; i < tr->partitions.count; i++) {
                int32_t pi = all ? parts[i] : req->topics.items[t].partition_indexes.items[i];
                fetched_t f = lookup(m, gerr, req->group_id, name, pi);
                tr->partitions.items[i].partition_index = f.partition;
                tr->partitions.items[i].committed_offset = f.offset;
                tr->partitions.items[i].committed_leader_epoch = f.epoch;
                tr->partitions.items[i].metadata = f.metadata;
                tr->partitions.items[i].error_code = f.error;
            }
        }
        return KMOCK_RESPOND;
    }
    KMOCK_ARRAY(r->groups, rq, "OffsetFetchResponseGroup", req->groups.count);
    for (int32_t g = 0; g < r->groups.count; g++) {
        kafka_offset_fetch_request_group_t *rg = &req->groups.items[g];
        kafka_offset_fetch_response_group_t *og = &r->groups.items[g];
        og->group_id = rg->group_id;
        int16_t gerr = group_error(rq, rg->group_id);
        og->error_code = gerr;
        bool all = rg->topics.count < 0;
        int nt = all ? committed_topics(m, rg->group_id, names, MAX_LISTED) : rg->topics.count;
        KMOCK_ARRAY(og->topics, rq, "OffsetFetchResponseTopics", nt);
        for (int32_t t = 0; t < og->topics.count; t++) {
            kafka_str_t name = all ? names[t] : rg->topics.items[t].name;
            int np = all ? committed_partitions(m, rg->group_id, name, parts, MAX_LISTED)
                         : rg->topics.items[t].partition_indexes.count;
            kafka_offset_fetch_response_topics_t *tr = &og->topics.items[t];
            tr->name = name;
            KMOCK_ARRAY(tr->partitions, rq, "OffsetFetchResponsePartitions", np);
            for (int32_t i = 0; i < tr->partitions.count; i++) {
                int32_t pi = all ? parts[i] : rg->topics.items[t].partition_indexes.items[i];
                fetched_t f = lookup(m, gerr, rg->group_id, name, pi);
                tr->partitions.items[i].partition_index = f.partition;
                tr->partitions.items[i].committed_offset = f.offset;
                tr->partitions.items[i].committed_leader_epoch = f.epoch;
                tr->partitions.items[i].metadata = f.metadata;
                tr->partitions.items[i].error_code = f.error;
            }
        }
    }
    return KMOCK_RESPOND;
}
