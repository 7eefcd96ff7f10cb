/* Heartbeat (key 12), versions 0-4: keeps a member's session; REBALANCE_IN_PROGRESS
 * while the group waits for its members to rejoin. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_heartbeat(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_heartbeat_request_t *req = &rq->body->heartbeat;
    kafka_heartbeat_response_t *r = &resp->heartbeat;
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
    mem->last_seen_ms = rq->now_ms;
    if (g->state == KMOCK_GROUP_PREPARING)
        r->error_code = KAFKA_ERR_REBALANCE_IN_PROGRESS;
    return KMOCK_RESPOND;
}
