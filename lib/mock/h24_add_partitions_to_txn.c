/* AddPartitionsToTxn (key 24), versions 0-5: adds partitions to the ongoing transaction
 * (starting one), on the transactional id's coordinator. v0-3 carry one transaction (a
 * client's); v4+ a list (KIP-890's broker-side verification; VerifyOnly answers whether
 * each partition is in the transaction: INVALID_TXN_STATE when not). An unknown
 * partition fails with UNKNOWN_TOPIC_OR_PARTITION and the others of the request with
 * OPERATION_NOT_ATTEMPTED, as Kafka. */
#include "mock/mock_int.h"

/* One transaction's topics: their answers in out (an array of ResultsByPartition). */
static void add(kmock_req_t *rq, kafka_str_t id, int64_t pid, int16_t epoch, bool verify,
                const kafka_add_partitions_to_txn_request_topic_t *topics, int32_t ntopics,
                kafka_add_partitions_to_txn_response_topic_result_t *out) {
    kafka_mock_t *m = rq->m;
    kmock_txn_t *t = NULL;
    int16_t err = rq->inject ? 0 : kmock__txn_check(rq, id, pid, epoch, 2, true, &t);
    bool unknown = false;
    for (int32_t i = 0; i < ntopics && !err && !rq->inject; i++)
        for (int32_t k = 0; k < topics[i].partitions.count; k++)
            if (!kmock__partition(kmock__topic_find(m, topics[i].name.str, topics[i].name.len),
                                  topics[i].partitions.items[k]))
                unknown = true;
    for (int32_t i = 0; i < ntopics; i++) {
        out[i].name = topics[i].name;
        KMOCK_ARRAY(out[i].results_by_partition, rq, "AddPartitionsToTxnPartitionResult", topics[i].partitions.count);
        kmock_topic_t *topic = kmock__topic_find(m, topics[i].name.str, topics[i].name.len);
        for (int32_t k = 0; k < out[i].results_by_partition.count; k++) {
            int32_t part = topics[i].partitions.items[k];
            int16_t e = err;
            out[i].results_by_partition.items[k].partition_index = part;
            if (rq->inject)
                continue;
            if (!e && unknown)
                e = kmock__partition(topic, part) ? KAFKA_ERR_OPERATION_NOT_ATTEMPTED
                                                  : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            if (!e && verify) {
                bool in = false;
                for (size_t j = 0; j < t->nparts && !in; j++)
                    in = t->parts[j].partition == part && kafka_str_eq(topics[i].name, t->parts[j].topic);
                e = in && t->state == KMOCK_TXN_ONGOING ? 0 : KAFKA_ERR_INVALID_TXN_STATE;
            } else if (!e && !kmock__txn_add_partition(t, topics[i].name, part, rq->now_ms)) {
                e = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            }
            out[i].results_by_partition.items[k].partition_error_code = e;
        }
    }
}

kmock_result_t kmock__handle_add_partitions_to_txn(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_add_partitions_to_txn_request_t *req = &rq->body->add_partitions_to_txn;
    kafka_add_partitions_to_txn_response_t *r = &resp->add_partitions_to_txn;
    if (rq->hdr->request_api_version <= 3) {
        KMOCK_ARRAY(r->results_by_topic_v3_and_below, rq, "AddPartitionsToTxnTopicResult",
                    req->v3_and_below_topics.count);
        add(rq, req->v3_and_below_transactional_id, req->v3_and_below_producer_id, req->v3_and_below_producer_epoch,
            false, req->v3_and_below_topics.items, r->results_by_topic_v3_and_below.count,
            r->results_by_topic_v3_and_below.items);
        return KMOCK_RESPOND;
    }
    KMOCK_ARRAY(r->results_by_transaction, rq, "AddPartitionsToTxnResult", req->transactions.count);
    for (int32_t i = 0; i < r->results_by_transaction.count; i++) {
        kafka_add_partitions_to_txn_request_transaction_t *tx = &req->transactions.items[i];
        kafka_add_partitions_to_txn_response_result_t *res = &r->results_by_transaction.items[i];
        res->transactional_id = tx->transactional_id;
        KMOCK_ARRAY(res->topic_results, rq, "AddPartitionsToTxnTopicResult", tx->topics.count);
        add(rq, tx->transactional_id, tx->producer_id, tx->producer_epoch, tx->verify_only, tx->topics.items,
            res->topic_results.count, res->topic_results.items);
    }
    return KMOCK_RESPOND;
}
