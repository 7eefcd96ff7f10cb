/* AddOffsetsToTxn (key 25), versions 0-4: the group's offsets will be part of the
 * transaction (its TxnOffsetCommits follow, to the group coordinator); the transaction
 * becomes ongoing. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_add_offsets_to_txn(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_add_offsets_to_txn_request_t *req = &rq->body->add_offsets_to_txn;
    kmock_txn_t *t;
    if (rq->inject)
        return KMOCK_RESPOND;
    int16_t e = kmock__txn_check(rq, req->transactional_id, req->producer_id, req->producer_epoch, 2, true, &t);
    if (!e && req->group_id.len <= 0)
        e = KAFKA_ERR_INVALID_GROUP_ID;
    if (!e)
        kmock__txn_begin(t, rq->now_ms);
    resp->add_offsets_to_txn.error_code = e;
    return KMOCK_RESPOND;
}
