/* FindCoordinator (key 10), versions 0-4: a live broker chosen by hashing the key (key
 * type 0, a group; 1, a transactional id: the broker it was moved to, if any). */
#include "mock/mock_int.h"

static int16_t coordinator(kmock_req_t *rq, kafka_str_t key, int32_t *node, kafka_str_t *host, int32_t *port) {
    const char *k = key.str ? key.str : "";
    int32_t len = key.len > 0 ? key.len : 0;
    kmock_broker_t *b = rq->body->find_coordinator.key_type == 1 ? kmock__txn_coordinator(rq->m, k, len)
                                                                 : kmock__coordinator(rq->m, k, len);
    if (!b) {
        *node = -1;
        *port = -1;
        *host = kafka_str("");
        return KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    *node = b->id;
    *host = kafka_str("127.0.0.1");
    *port = kmock__advertised_port(rq, b);
    return 0;
}

kmock_result_t kmock__handle_find_coordinator(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_find_coordinator_request_t *req = &rq->body->find_coordinator;
    kafka_find_coordinator_response_t *r = &resp->find_coordinator;
    if (rq->hdr->request_api_version < 4) {
        r->error_code = coordinator(rq, req->key, &r->node_id, &r->host, &r->port);
        return KMOCK_RESPOND;
    }
    KMOCK_ARRAY(r->coordinators, rq, "Coordinator", req->coordinator_keys.count);
    for (int32_t i = 0; i < r->coordinators.count; i++) {
        kafka_find_coordinator_response_coordinator_t *c = &r->coordinators.items[i];
        c->key = req->coordinator_keys.items[i];
        c->error_code = coordinator(rq, c->key, &c->node_id, &c->host, &c->port);
    }
    return KMOCK_RESPOND;
}
