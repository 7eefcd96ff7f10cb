/* Produce (key 0), versions 0-9: validates and appends each partition's record data on
 * the partition leader; acks=0 gets no response. From v3 the data must be one RecordBatch
 * v2 (Kafka's ProduceRequest.validateRecords). A transactional batch goes only to a
 * partition of its producer's ongoing transaction, at its current epoch. */
#include <stdio.h>

#include "mock/mock_int.h"
#include "proto/reader.h"

/* The size of the largest entry (RecordBatch, or MessageSet message with its 12-byte
 * offset and size) in record data, as Kafka compares it with message.max.bytes; entries
 * whose length runs past the data end the walk (validation reports them). */
static size_t largest_entry(const uint8_t *data, size_t len) {
    size_t pos = 0, max = 0;
    while (len - pos >= 12) {
        size_t n = 12 + (size_t)kafka__ld_be32(data + pos + 8);
        if (n > len - pos)
            break;
        if (n > max)
            max = n;
        pos += n;
    }
    return max;
}

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
            size_t big = 0;
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
            } else if (rq->hdr->request_api_version >= 3 && (pd->records.len < 17 || pd->records.data[16] != 2)) {
                pr->error_code = m->profile->invalid_record;
                pr->error_message = kafka_str("Produce v3+ carries RecordBatch v2 only");
            } else if (m->conf.message_max_bytes &&
                       (big = largest_entry(pd->records.data, (size_t)pd->records.len)) > m->conf.message_max_bytes) {
                /* Kafka refuses the partition's whole append (RecordTooLargeException). */
                pr->error_code = KAFKA_ERR_MESSAGE_TOO_LARGE;
                char *msg = kafka__arena_alloc(rq->arena, 160);
                if (msg) {
                    snprintf(msg, 160, "a record batch of %zu bytes exceeds the broker's message.max.bytes %zu", big,
                             m->conf.message_max_bytes);
                    pr->error_message = kafka_str(msg);
                }
                pr->log_start_offset = p->log_start;
            } else {
                const char *why = NULL;
                int64_t base = -1;
                pr->error_code = kmock__txn_produce_check(m, topic->name, pd->index, pd->records.data,
                                                          (size_t)pd->records.len, &why);
                if (!pr->error_code)
                    pr->error_code = (int16_t)kmock__log_append(m, p, pd->records.data, (size_t)pd->records.len,
                                                                rq->now_ms, &base, &why);
                if (pr->error_code == KAFKA_OK) {
                    pr->base_offset = base;
                    kmock__txn_produced(p, pd->records.data, (size_t)pd->records.len, base);
                    m->parked_recheck = true;
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
