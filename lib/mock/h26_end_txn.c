/* EndTxn (key 26), versions 0-5: commits or aborts the ongoing transaction, writing its
 * markers before answering. A retried EndTxn of a transaction that already ended the
 * same way succeeds; any other EndTxn without an ongoing transaction is
 * INVALID_TXN_STATE. v5 (KIP-890) answers with the producer id and epoch (unchanged:
 * the mock does not bump epochs per transaction). */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_end_txn(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_end_txn_request_t *req = &rq->body->end_txn;
    kafka_end_txn_response_t *r = &resp->end_txn;
    kmock_txn_t *t;
    if (rq->inject)
        return KMOCK_RESPOND;
    int16_t e = kmock__txn_check(rq, req->transactional_id, req->producer_id, req->producer_epoch, 2, true, &t);
    if (!e) {
        if (t->state == KMOCK_TXN_ONGOING)
            kmock__txn_end(rq->m, t, req->committed, rq->now_ms);
        else if (t->state != (req->committed ? KMOCK_TXN_COMMITTED : KMOCK_TXN_ABORTED))
            e = KAFKA_ERR_INVALID_TXN_STATE;
        r->producer_id = t->producer_id;
        r->producer_epoch = t->epoch;
    }
    r->error_code = e;
    return KMOCK_RESPOND;
}
