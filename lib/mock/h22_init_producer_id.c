/* InitProducerId (key 22), versions 0-4: a fresh producer id with epoch 0, or (v3+,
 * KIP-360) the same id with the next epoch when the caller presents its current one. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_init_producer_id(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_init_producer_id_request_t *req = &rq->body->init_producer_id;
    kafka_init_producer_id_response_t *r = &resp->init_producer_id;
    if (rq->inject)
        return KMOCK_RESPOND;
    if (req->producer_id >= 0 && req->producer_id < rq->m->next_producer_id) {
        r->producer_id = req->producer_id;
        r->producer_epoch = (int16_t)(req->producer_epoch + 1);
    } else {
        r->producer_id = rq->m->next_producer_id++;
        r->producer_epoch = 0;
    }
    return KMOCK_RESPOND;
}
