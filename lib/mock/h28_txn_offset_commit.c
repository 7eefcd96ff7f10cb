/* TxnOffsetCommit (key 28), versions 0-5: offsets of a group committed inside a
 * transaction, on the group's coordinator. They are kept with the transaction and
 * stored (visible to OffsetFetch) only when it commits; an abort drops them. A member
 * id and generation (v3+, generation >= 0) are checked against the group as
 * OffsetCommit does. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"
#include "util/vec.h"

static int16_t keep(kmock_txn_t *t, kafka_str_t group, kafka_str_t topic,
                    const kafka_txn_offset_commit_request_partition_t *p) {
    for (size_t i = 0; i < t->noffsets; i++) {
        kmock_txn_offset_t *o = &t->offsets[i];
        if (o->partition == p->partition_index && kafka_str_eq(group, o->group) && kafka_str_eq(topic, o->topic)) {
            o->offset = p->committed_offset;
            o->leader_epoch = p->committed_leader_epoch;
            return 0;
        }
    }
    kmock_txn_offset_t *os = kafka__vec_grow(t->offsets, &t->capoffsets, t->noffsets, sizeof(*os), 8);
    if (!os)
        return KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    t->offsets = os;
    kmock_txn_offset_t o = {0};
    o.group = strndup(group.str, (size_t)group.len);
    o.topic = strndup(topic.str, (size_t)topic.len);
    o.metadata = p->committed_metadata.len >= 0 ? strndup(p->committed_metadata.str ? p->committed_metadata.str : "",
                                                          (size_t)p->committed_metadata.len)
                                                : NULL;
    if (!o.group || !o.topic) {
        free(o.group);
        free(o.topic);
        free(o.metadata);
        return KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    }
    o.partition = p->partition_index;
    o.offset = p->committed_offset;
    o.leader_epoch = p->committed_leader_epoch;
    t->offsets[t->noffsets++] = o;
    return 0;
}

kmock_result_t kmock__handle_txn_offset_commit(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_txn_offset_commit_request_t *req = &rq->body->txn_offset_commit;
    kafka_txn_offset_commit_response_t *r = &resp->txn_offset_commit;
    kmock_txn_t *t = NULL;
    int16_t err = 0;
    if (!rq->inject) {
        err = kmock__group_check(rq, req->group_id);
        if (!err)
            err = kmock__txn_check(rq, req->transactional_id, req->producer_id, req->producer_epoch, 3, false, &t);
        if (!err && t->state != KMOCK_TXN_ONGOING)
            err = KAFKA_ERR_INVALID_TXN_STATE;
        kmock_group_t *g = err ? NULL : kmock__group_find(m, req->group_id);
        kmock_member_t *mem;
        if (!err && g && rq->hdr->request_api_version >= 3 && req->generation_id >= 0)
            err = kmock__member_check(g, req->member_id, req->group_instance_id, req->generation_id, &mem);
    }
    KMOCK_ARRAY(r->topics, rq, "TxnOffsetCommitResponseTopic", req->topics.count);
    for (int32_t i = 0; i < r->topics.count; i++) {
        kafka_txn_offset_commit_request_topic_t *ct = &req->topics.items[i];
        kafka_txn_offset_commit_response_topic_t *tr = &r->topics.items[i];
        tr->name = ct->name;
        KMOCK_ARRAY(tr->partitions, rq, "TxnOffsetCommitResponsePartition", ct->partitions.count);
        for (int32_t k = 0; k < tr->partitions.count; k++) {
            kafka_txn_offset_commit_request_partition_t *cp = &ct->partitions.items[k];
            tr->partitions.items[k].partition_index = cp->partition_index;
            if (rq->inject)
                continue;
            if (err)
                tr->partitions.items[k].error_code = err;
            else if (!kmock__partition(kmock__topic_find(m, ct->name.str, ct->name.len), cp->partition_index))
                tr->partitions.items[k].error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                tr->partitions.items[k].error_code = keep(t, req->group_id, ct->name, cp);
        }
    }
    return KMOCK_RESPOND;
}
