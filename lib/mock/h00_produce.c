/* Produce (key 0), versions 0-9: validates and appends each partition's record data on
 * the partition leader; acks=0 gets no response. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_produce(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_produce_request_t *req = &rq->body->produce;
    kafka_produce_response_t *r = &resp->produce;
    KMOCK_ARRAY(r->responses, rq, "TopicProduceResponse", req->topic_data.count);
    for (int32_t t = 0; t < r->responses.count; t++) {
        kafka_produce_request_topic_produce_data_t *td = &req->topic_data.items[t];
        kafka_produce_response_topic_produce_response_t *tr = &r->responses.items[t];
        tr->name = td->name;
        kmock_topic_t *topic = kmock__topic_get(m, td->name.str, td->name.len, !rq->inject);
        KMOCK_ARRAY(tr->partition_responses, rq, "PartitionProduceResponse", td->partition_data.count);
        for (int32_t i = 0; i < tr->partition_responses.count; i++) {
            kafka_produce_request_partition_produce_data_t *pd = &td->partition_data.items[i];
            kafka_produce_response_partition_produce_response_t *pr = &tr->partition_responses.items[i];
            pr->index = pd->index;
            pr->base_offset = -1;
            kmock_partition_t *p = kmock__partition(topic, pd->index);
            if (rq->inject)
                continue;
            if (!p) {
                pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (p->leader != rq->broker->id) {
                pr->error_code = KAFKA_ERR_NOT_LEADER_OR_FOLLOWER;
            } else if (pd->records.len <= 0) {
                pr->error_code = KAFKA_ERR_CORRUPT_MESSAGE;
                pr->error_message = kafka_str("no record data");
            } else {
                const char *why = NULL;
                int64_t base = -1;
                pr->error_code = (int16_t)kmock__log_append(m, p, pd->records.data, (size_t)pd->records.len,
                                                            rq->now_ms, m->conf.legacy, &base, &why);
                if (pr->error_code == KAFKA_OK) {
                    pr->base_offset = base;
                    m->data_arrived = true;
                } else if (pr->error_code < 0) {
                    pr->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                }
                pr->error_message = kafka_str(why);
                pr->log_start_offset = p->log_start;
            }
        }
    }
    return req->acks == 0 ? KMOCK_NO_RESPONSE : KMOCK_RESPOND;
}
