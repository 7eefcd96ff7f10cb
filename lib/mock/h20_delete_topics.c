/* DeleteTopics (key 20), versions 0-6, served by the controller (NOT_CONTROLLER
 * elsewhere): each named topic goes with its partition logs and configs at once (Kafka
 * deletes asynchronously; its metadata stops showing the topic soon after). Topic names
 * up to v5, (name, id) states from v6 (by id when the name is null; an id no topic has
 * UNKNOWN_TOPIC_ID); an unknown name UNKNOWN_TOPIC_OR_PARTITION. */
#include <string.h>

#include "mock/mock_int.h"

static void delete_one(kmock_req_t *rq, bool controller, kafka_str_t name, const kafka_uuid_t *id,
                       kafka_delete_topics_response_deletable_topic_result_t *res) {
    res->name = name;
    if (rq->inject)
        return;
    if (!controller) {
        res->error_code = KAFKA_ERR_NOT_CONTROLLER;
        return;
    }
    if (name.len < 0) {
        kmock_topic_t *t = id ? kmock__topic_by_id(rq->m, id) : NULL;
        if (!t) {
            res->error_code = KAFKA_ERR_UNKNOWN_TOPIC_ID;
            res->error_message = kafka_str("This server does not host this topic ID.");
            return;
        }
        res->topic_id = t->id;
        size_t len = strlen(t->name);
        char *copy = kafka__arena_alloc(rq->arena, len + 1); /* the topic's goes with it */
        if (copy) {
            memcpy(copy, t->name, len + 1);
            res->name = kafka_str(copy);
        }
        kmock__topic_delete(rq->m, t);
        return;
    }
    kmock_topic_t *t = kmock__topic_find(rq->m, name.str, name.len);
    if (!t) {
        res->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        res->error_message = kafka_str("This server does not host this topic-partition.");
        return;
    }
    kmock__topic_delete(rq->m, t);
}

kmock_result_t kmock__handle_delete_topics(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_delete_topics_request_t *req = &rq->body->delete_topics;
    kafka_delete_topics_response_t *r = &resp->delete_topics;
    bool controller = kmock__controller(rq->m) == rq->broker;
    bool states = rq->hdr->request_api_version >= 6;
    int32_t n = states ? req->topics.count : req->topic_names.count;
    KMOCK_ARRAY(r->responses, rq, "DeletableTopicResult", n);
    for (int32_t i = 0; i < r->responses.count; i++)
        delete_one(rq, controller, states ? req->topics.items[i].name : req->topic_names.items[i],
                   states ? &req->topics.items[i].topic_id : NULL, &r->responses.items[i]);
    return KMOCK_RESPOND;
}
