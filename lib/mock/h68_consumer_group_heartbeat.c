/* ConsumerGroupHeartbeat (key 68), versions 0-1: KIP-848 consumer groups (group848.c).
 * NOT_COORDINATOR / INVALID_GROUP_ID as every group request; GROUP_ID_NOT_FOUND for a
 * classic group that has members (Kafka converts only on conditions the mock does not
 * model). */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_consumer_group_heartbeat(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_consumer_group_heartbeat_request_t *req = &rq->body->consumer_group_heartbeat;
    kafka_consumer_group_heartbeat_response_t *r = &resp->consumer_group_heartbeat;
    r->member_epoch = req->member_epoch;
    if (rq->inject)
        return KMOCK_RESPOND;
    if ((r->error_code = kmock__group_check(rq, req->group_id)))
        return KMOCK_RESPOND;
    kmock_group_t *g = req->member_epoch == 0 ? kmock__group_get(rq->m, req->group_id)
                                              : kmock__group_find(rq->m, req->group_id);
    if (!g) {
        r->error_code = req->member_epoch == 0 ? KAFKA_ERR_UNKNOWN_SERVER_ERROR : KAFKA_ERR_UNKNOWN_MEMBER_ID;
        return KMOCK_RESPOND;
    }
    kmock__group_tick(rq->m, g, rq->now_ms);
    if (!g->kip848 && (g->members || g->state != KMOCK_GROUP_EMPTY)) {
        r->error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
        r->error_message = kafka_str("the group is a classic group with members, not a consumer group");
        return KMOCK_RESPOND;
    }
    g->kip848 = true;
    kmock__group848_heartbeat(rq, g, req, r);
    rq->m->parked_recheck = true;
    return KMOCK_RESPOND;
}
