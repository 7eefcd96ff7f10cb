/* InitProducerId (key 22), versions 0-5. Without a transactional id: a fresh producer id
 * with epoch 0, or (v3+, KIP-360) the same id with the next epoch when the caller
 * presents its current one. With one, on its transaction coordinator: the id's producer
 * id with the next epoch (a new id at epoch 0 the first time or when the epoch runs
 * out), fencing the previous instance; a transaction it left open is aborted first (its
 * markers written). A presented producer id and epoch (v3+) must be the id's current
 * ones, or the one before a timeout bumped it. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

#define KMOCK_TXN_MAX_TIMEOUT_MS 900000 /* Kafka's transaction.max.timeout.ms default */

static int16_t transactional(kmock_req_t *rq, kafka_init_producer_id_request_t *req,
                             kafka_init_producer_id_response_t *r) {
    kafka_mock_t *m = rq->m;
    int16_t v = rq->hdr->request_api_version;
    if (kmock__txn_coordinator(m, req->transactional_id.str, req->transactional_id.len) != rq->broker)
        return KAFKA_ERR_NOT_COORDINATOR;
    if (req->transaction_timeout_ms <= 0 || req->transaction_timeout_ms > KMOCK_TXN_MAX_TIMEOUT_MS)
        return KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT;
    kmock_txn_t *t = kmock__txn_find(m, req->transactional_id);
    if (!t) {
        if (!(t = calloc(1, sizeof(*t))) ||
            !(t->id = strndup(req->transactional_id.str, (size_t)req->transactional_id.len))) {
            free(t);
            return KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        }
        t->producer_id = m->next_producer_id++;
        t->epoch = -1;
        t->next = m->txns;
        m->txns = t;
    } else if (v >= 3 && req->producer_id >= 0) {
        if (req->producer_id != t->producer_id)
            return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
        if (req->producer_epoch != t->epoch && req->producer_epoch != t->last_epoch)
            return v >= 4 ? KAFKA_ERR_PRODUCER_FENCED : KAFKA_ERR_INVALID_PRODUCER_EPOCH;
    }
    if (t->state == KMOCK_TXN_ONGOING)
        kmock__txn_end(m, t, false, rq->now_ms);
    if (t->epoch >= INT16_MAX - 1) {
        t->producer_id = m->next_producer_id++;
        t->epoch = -1;
    }
    t->epoch++;
    t->last_epoch = -1;
    t->timeout_ms = req->transaction_timeout_ms;
    t->state = KMOCK_TXN_EMPTY;
    r->producer_id = t->producer_id;
    r->producer_epoch = t->epoch;
    return 0;
}

kmock_result_t kmock__handle_init_producer_id(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_init_producer_id_request_t *req = &rq->body->init_producer_id;
    kafka_init_producer_id_response_t *r = &resp->init_producer_id;
    if (rq->inject)
        return KMOCK_RESPOND;
    if (req->transactional_id.len > 0) {
        r->error_code = transactional(rq, req, r);
        if (r->error_code) {
            r->producer_id = -1;
            r->producer_epoch = -1;
        }
    } else if (req->producer_id >= 0 && req->producer_id < rq->m->next_producer_id) {
        r->producer_id = req->producer_id;
        r->producer_epoch = (int16_t)(req->producer_epoch + 1);
    } else {
        r->producer_id = rq->m->next_producer_id++;
        r->producer_epoch = 0;
    }
    return KMOCK_RESPOND;
}
