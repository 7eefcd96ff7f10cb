/* SyncGroup (key 14), versions 0-5: the leader's assignments reach every member. A
 * follower that syncs before its leader waits (parked) until the leader has, or a new
 * rebalance starts (REBALANCE_IN_PROGRESS); in a stable group each member gets its
 * assignment again. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

static void store(kmock_group_t *g, const kafka_sync_group_request_t *req) {
    for (int32_t i = 0; i < req->assignments.count; i++) {
        const kafka_sync_group_request_assignment_t *a = &req->assignments.items[i];
        kmock_member_t *mem = kmock__member_find(g, a->member_id);
        int32_t len = a->assignment.len > 0 ? a->assignment.len : 0;
        uint8_t *copy = mem ? malloc((size_t)len + 1) : NULL;
        if (!copy)
            continue;
        if (len)
            memcpy(copy, a->assignment.data, (size_t)len);
        free(mem->assignment);
        mem->assignment = copy;
        mem->assignment_len = len;
    }
}

kmock_result_t kmock__handle_sync_group(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_sync_group_request_t *req = &rq->body->sync_group;
    kafka_sync_group_response_t *r = &resp->sync_group;
    if (rq->inject)
        return KMOCK_RESPOND;
    if ((r->error_code = kmock__group_check(rq, req->group_id)))
        return KMOCK_RESPOND;
    kmock_group_t *g = kmock__group_find(rq->m, req->group_id);
    if (!g) {
        r->error_code = KAFKA_ERR_UNKNOWN_MEMBER_ID;
        return KMOCK_RESPOND;
    }
    kmock__group_tick(rq->m, g, rq->now_ms);
    kmock_member_t *mem;
    if ((r->error_code = kmock__member_check(g, req->member_id, req->group_instance_id, req->generation_id, &mem)))
        return KMOCK_RESPOND;
    if ((req->protocol_type.len >= 0 && g->protocol_type && !kafka_str_eq(req->protocol_type, g->protocol_type)) ||
        (req->protocol_name.len >= 0 && g->protocol_name && !kafka_str_eq(req->protocol_name, g->protocol_name))) {
        r->error_code = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
        return KMOCK_RESPOND;
    }
    mem->last_seen_ms = rq->now_ms;
    if (g->state == KMOCK_GROUP_PREPARING) {
        r->error_code = KAFKA_ERR_REBALANCE_IN_PROGRESS;
        return KMOCK_RESPOND;
    }
    if (g->state == KMOCK_GROUP_COMPLETING) {
        if (!g->leader || strcmp(g->leader, mem->id) != 0) {
            rq->deadline_ms = kmock__group_deadline(g, rq->now_ms);
            return KMOCK_PARK;
        }
        store(g, req);
        g->state = KMOCK_GROUP_STABLE;
        rq->m->parked_recheck = true;
    }
    r->protocol_type = kafka_str(g->protocol_type);
    r->protocol_name = kafka_str(g->protocol_name);
    r->assignment = (kafka_bytes_t){mem->assignment, mem->assignment_len};
    return KMOCK_RESPOND;
}
