/* LeaveGroup (key 13), versions 0-5: one member (v0-2) or a batch by member id or
 * group.instance.id (v3+, KIP-345); the group rebalances without them. */
#include "mock/mock_int.h"

static int16_t leave(kmock_group_t *g, kafka_str_t member_id, kafka_str_t instance_id) {
    kmock_member_t *mem = NULL;
    if (instance_id.len >= 0) {
        mem = kmock__member_find_instance(g, instance_id);
        if (mem && member_id.len > 0 && !kafka_str_eq(member_id, mem->id))
            return KAFKA_ERR_FENCED_INSTANCE_ID;
    } else {
        mem = kmock__member_find(g, member_id);
    }
    if (!mem)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    kmock__member_remove(g, mem);
    return 0;
}

kmock_result_t kmock__handle_leave_group(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_leave_group_request_t *req = &rq->body->leave_group;
    kafka_leave_group_response_t *r = &resp->leave_group;
    int16_t v = rq->hdr->request_api_version;
    if (rq->inject)
        return KMOCK_RESPOND;
    if ((r->error_code = kmock__group_check(rq, req->group_id)))
        return KMOCK_RESPOND;
    kmock_group_t *g = kmock__group_find(rq->m, req->group_id);
    if (g)
        kmock__group_tick(rq->m, g, rq->now_ms);
    bool left = false;
    if (v < 3) {
        r->error_code = g ? leave(g, req->member_id, kafka_str(NULL)) : KAFKA_ERR_UNKNOWN_MEMBER_ID;
        left = !r->error_code;
    } else {
        KMOCK_ARRAY(r->members, rq, "MemberResponse", req->members.count);
        for (int32_t i = 0; i < r->members.count; i++) {
            const kafka_leave_group_request_member_identity_t *id = &req->members.items[i];
            kafka_leave_group_response_member_response_t *mr = &r->members.items[i];
            mr->member_id = id->member_id;
            mr->group_instance_id = id->group_instance_id;
            mr->error_code = g ? leave(g, id->member_id, id->group_instance_id) : KAFKA_ERR_UNKNOWN_MEMBER_ID;
            left |= !mr->error_code;
        }
    }
    if (left) {
        kmock__group_rebalance(rq->m, g, rq->now_ms);
        kmock__group_tick(rq->m, g, rq->now_ms); /* ends the round when the rest already rejoined */
    }
    return KMOCK_RESPOND;
}
