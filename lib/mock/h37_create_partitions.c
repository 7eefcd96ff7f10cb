/* CreatePartitions (key 37), versions 0-3, served by the controller (NOT_CONTROLLER
 * elsewhere): grows a topic to Count partitions, the new ones with the topic's
 * replication factor or the given assignments. With Kafka's messages: an unknown topic
 * UNKNOWN_TOPIC_OR_PARTITION, a count not above the current one INVALID_PARTITIONS, a
 * repeated topic INVALID_REQUEST, a bad assignment INVALID_REPLICA_ASSIGNMENT.
 * validateOnly checks and changes nothing. */
#include <stdio.h>
#include <string.h>

#include "mock/mock_int.h"

static void fail(kmock_req_t *rq, kafka_create_partitions_response_topic_result_t *res, int16_t err,
                 const char *why) {
    char *msg = kafka__arena_alloc(rq->arena, strlen(why) + 1);
    if (msg)
        memcpy(msg, why, strlen(why) + 1);
    res->error_code = err;
    res->error_message = kafka_str(msg);
}

static bool repeated(const kafka_create_partitions_request_t *req, int32_t i) {
    kafka_str_t a = req->topics.items[i].name;
    for (int32_t k = 0; k < req->topics.count; k++) {
        kafka_str_t b = req->topics.items[k].name;
        if (k != i && a.len == b.len && (a.len <= 0 || memcmp(a.str, b.str, (size_t)a.len) == 0))
            return true;
    }
    return false;
}

static void grow(kmock_req_t *rq, const kafka_create_partitions_request_t *req, int32_t i,
                 kafka_create_partitions_response_topic_result_t *res) {
    kafka_mock_t *m = rq->m;
    const kafka_create_partitions_request_topic_t *ct = &req->topics.items[i];
    char why[256];
    if (repeated(req, i))
        return fail(rq, res, KAFKA_ERR_INVALID_REQUEST, "Duplicate topic in request.");
    kmock_topic_t *t = ct->name.len > 0 ? kmock__topic_find(m, ct->name.str, ct->name.len) : NULL;
    if (!t)
        return fail(rq, res, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, "The topic does not exist.");
    if (ct->count < t->npartitions) {
        snprintf(why, sizeof(why), "Topic currently has %d partitions, which is higher than the requested %d.",
                 t->npartitions, ct->count);
        return fail(rq, res, KAFKA_ERR_INVALID_PARTITIONS, why);
    }
    if (ct->count == t->npartitions) {
        snprintf(why, sizeof(why), "Topic already has %d partitions.", t->npartitions);
        return fail(rq, res, KAFKA_ERR_INVALID_PARTITIONS, why);
    }
    if (ct->count > 100000)
        return fail(rq, res, KAFKA_ERR_INVALID_PARTITIONS, "Too many partitions.");
    int32_t add = ct->count - t->npartitions;
    const int32_t **ids = NULL;
    int32_t *nids = NULL;
    if (ct->assignments.count >= 0) {
        if (ct->assignments.count != add) {
            snprintf(why, sizeof(why), "Increasing the number of partitions by %d but %d assignments provided.", add,
                     ct->assignments.count);
            return fail(rq, res, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT, why);
        }
        ids = kafka__arena_alloc(rq->arena, sizeof(*ids) * (size_t)add);
        nids = kafka__arena_alloc(rq->arena, sizeof(*nids) * (size_t)add);
        if (!ids || !nids)
            return fail(rq, res, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
        for (int32_t a = 0; a < add; a++) {
            const kafka_create_partitions_request_assignment_t *as = &ct->assignments.items[a];
            if (as->broker_ids.count < 1 || as->broker_ids.count > KMOCK_MAX_BROKERS)
                return fail(rq, res, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT, "An assignment has no brokers.");
            for (int32_t r = 0; r < as->broker_ids.count; r++)
                if (!kmock__broker(m, as->broker_ids.items[r]))
                    return fail(rq, res, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT,
                                "An assignment names a broker that does not exist.");
            ids[a] = as->broker_ids.items;
            nids[a] = as->broker_ids.count;
        }
    }
    if (req->validate_only)
        return;
    if (kmock__topic_grow(m, t, ct->count, ids, nids))
        fail(rq, res, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
}

kmock_result_t kmock__handle_create_partitions(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_create_partitions_request_t *req = &rq->body->create_partitions;
    kafka_create_partitions_response_t *r = &resp->create_partitions;
    bool controller = kmock__controller(rq->m) == rq->broker;
    KMOCK_ARRAY(r->results, rq, "CreatePartitionsTopicResult", req->topics.count);
    for (int32_t i = 0; i < r->results.count; i++) {
        kafka_create_partitions_response_topic_result_t *res = &r->results.items[i];
        res->name = req->topics.items[i].name;
        if (rq->inject)
            continue;
        if (!controller)
            fail(rq, res, KAFKA_ERR_NOT_CONTROLLER, "This is not the correct controller for this cluster.");
        else
            grow(rq, req, i, res);
    }
    return KMOCK_RESPOND;
}
