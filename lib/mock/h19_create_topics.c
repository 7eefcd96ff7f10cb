/* CreateTopics (key 19), versions 0-7, served by the controller (NOT_CONTROLLER
 * elsewhere, as Kafka before KRaft). Per topic, with Kafka's messages: a repeated name
 * INVALID_REQUEST, an existing one TOPIC_ALREADY_EXISTS, a bad name
 * INVALID_TOPIC_EXCEPTION, partitions or replication factor below 1 (-1: the broker's
 * num.partitions / default.replication.factor) INVALID_PARTITIONS /
 * INVALID_REPLICATION_FACTOR, a factor above the live brokers INVALID_REPLICATION_FACTOR
 * naming their count, an assignment to an unknown broker INVALID_REPLICA_ASSIGNMENT, an
 * unknown config or a bad value INVALID_CONFIG. validateOnly checks and creates nothing.
 * v5+ answers with the partitions, replication factor and configs the topic has (would
 * have); v7+ the new topic's id (zero for validateOnly). */
#include <stdio.h>
#include <string.h>

#include "mock/mock_int.h"

static int16_t fail(kmock_req_t *rq, kafka_create_topics_response_creatable_topic_result_t *res, int16_t err,
                    const char *why) {
    char *msg = kafka__arena_alloc(rq->arena, strlen(why) + 1);
    if (msg)
        memcpy(msg, why, strlen(why) + 1);
    res->error_code = err;
    res->error_message = kafka_str(msg);
    return err;
}

static bool same(kafka_str_t a, kafka_str_t b) {
    return a.len == b.len && (a.len <= 0 || memcmp(a.str, b.str, (size_t)a.len) == 0);
}

static bool repeated(const kafka_create_topics_request_t *req, int32_t i) {
    for (int32_t k = 0; k < req->topics.count; k++)
        if (k != i && same(req->topics.items[k].name, req->topics.items[i].name))
            return true;
    return false;
}

/* Checks one topic; 0 with *np and *rf what it gets. */
static int16_t check(kmock_req_t *rq, const kafka_create_topics_request_t *req, int32_t i,
                     kafka_create_topics_response_creatable_topic_result_t *res, int32_t *np, int16_t *rf) {
    kafka_mock_t *m = rq->m;
    const kafka_create_topics_request_creatable_topic_t *t = &req->topics.items[i];
    char why[512];
    int live = kmock__live_brokers(m);
    if (repeated(req, i))
        return fail(rq, res, KAFKA_ERR_INVALID_REQUEST,
                    "Create topics request contains multiple entries for the topic.");
    if (t->name.len > 0 && kmock__topic_find(m, t->name.str, t->name.len)) {
        snprintf(why, sizeof(why), "Topic '%.*s' already exists.", (int)t->name.len, t->name.str);
        return fail(rq, res, KAFKA_ERR_TOPIC_ALREADY_EXISTS, why);
    }
    *np = t->num_partitions == -1 ? m->conf.default_partitions : t->num_partitions;
    *rf = t->replication_factor == -1 ? (int16_t)(m->nbrokers < 3 ? m->nbrokers : 3) : t->replication_factor;
    if (t->assignments.count > 0) {
        if (t->num_partitions != -1 || t->replication_factor != -1)
            return fail(rq, res, KAFKA_ERR_INVALID_REQUEST,
                        "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used "
                        "at the same time.");
        *np = t->assignments.count;
        *rf = (int16_t)t->assignments.items[0].broker_ids.count;
        for (int32_t a = 0; a < t->assignments.count; a++) {
            const kafka_create_topics_request_creatable_replica_assignment_t *as = &t->assignments.items[a];
            if (as->partition_index != a || as->broker_ids.count != *rf || *rf < 1 || *rf > KMOCK_MAX_BROKERS)
                return fail(rq, res, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT,
                            "Partitions must be numbered from 0 with the same number of replicas each.");
            for (int32_t r = 0; r < as->broker_ids.count; r++)
                if (!kmock__broker(m, as->broker_ids.items[r]))
                    return fail(rq, res, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT,
                                "Replica assignment names a broker that does not exist.");
        }
    }
    if (*np < 1 || *np > 100000)
        return fail(rq, res, KAFKA_ERR_INVALID_PARTITIONS,
                    "Number of partitions was set to an invalid non-positive value.");
    if (*rf < 1)
        return fail(rq, res, KAFKA_ERR_INVALID_REPLICATION_FACTOR,
                    "Replication factor must be larger than 0, or -1 to use the default value.");
    if (*rf > live) {
        snprintf(why, sizeof(why), "Replication factor: %d larger than available brokers: %d.", *rf, live);
        return fail(rq, res, KAFKA_ERR_INVALID_REPLICATION_FACTOR, why);
    }
    for (int32_t c = 0; c < t->configs.count; c++) {
        int16_t e = kmock__config_check(t->configs.items[c].name, t->configs.items[c].value, why, sizeof(why));
        if (e)
            return fail(rq, res, e, why);
    }
    return 0;
}

/* v5+: what the topic has, configs included (a validated topic's as they would be). */
static void describe(kmock_req_t *rq, kafka_create_topics_response_creatable_topic_result_t *res,
                     const kmock_topic_t *t, int32_t np, int16_t rf) {
    res->num_partitions = np;
    res->replication_factor = rf;
    kmock_config_desc_t d[KMOCK_MAX_CONFIGS];
    int n = kmock__topic_configs(t, d, KMOCK_MAX_CONFIGS);
    KMOCK_ARRAY(res->configs, rq, "CreatableTopicConfigs", n);
    for (int32_t k = 0; k < res->configs.count; k++) {
        kafka_create_topics_response_creatable_topic_configs_t *c = &res->configs.items[k];
        c->name = kafka_str(d[k].name);
        /* The strings of a set config are the topic's: copied, a validated topic is not kept. */
        char *v = d[k].value ? kafka__arena_alloc(rq->arena, strlen(d[k].value) + 1) : NULL;
        if (v)
            memcpy(v, d[k].value, strlen(d[k].value) + 1);
        c->value = kafka_str(d[k].sensitive ? NULL : v);
        c->read_only = d[k].read_only;
        c->config_source = d[k].source;
        c->is_sensitive = d[k].sensitive;
    }
}

kmock_result_t kmock__handle_create_topics(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_create_topics_request_t *req = &rq->body->create_topics;
    kafka_create_topics_response_t *r = &resp->create_topics;
    int16_t v = rq->hdr->request_api_version;
    bool controller = kmock__controller(m) == rq->broker;
    KMOCK_ARRAY(r->topics, rq, "CreatableTopicResult", req->topics.count);
    for (int32_t i = 0; i < r->topics.count; i++) {
        const kafka_create_topics_request_creatable_topic_t *t = &req->topics.items[i];
        kafka_create_topics_response_creatable_topic_result_t *res = &r->topics.items[i];
        res->name = t->name;
        if (rq->inject)
            continue;
        if (!controller) {
            fail(rq, res, KAFKA_ERR_NOT_CONTROLLER, "This is not the correct controller for this cluster.");
            continue;
        }
        int32_t np;
        int16_t rf;
        if (check(rq, req, i, res, &np, &rf))
            continue;
        /* A topic made in full, then dropped again when only validating. */
        kafka_err_t e = kmock__topic_create(m, t->name.str, t->name.len, np, rf);
        if (e == KAFKA_ERR_INVALID_TOPIC_EXCEPTION) {
            fail(rq, res, (int16_t)e, "Topic name is illegal: it must be 1-249 characters of [a-zA-Z0-9._-].");
            continue;
        } else if (e) {
            fail(rq, res, KAFKA_ERR_UNKNOWN_SERVER_ERROR, kafka_err2str(e));
            continue;
        }
        kmock_topic_t *topic = kmock__topic_find(m, t->name.str, t->name.len);
        for (int32_t a = 0; a < t->assignments.count; a++) {
            kmock_partition_t *p = &topic->partitions[a];
            for (int32_t k = 0; k < rf; k++)
                p->replicas[k] = t->assignments.items[a].broker_ids.items[k];
            p->leader = -1;
            for (int32_t k = 0; k < rf && p->leader < 0; k++)
                if (!kmock__broker(m, p->replicas[k])->down)
                    p->leader = p->replicas[k];
        }
        bool ok = true;
        for (int32_t c = 0; c < t->configs.count && ok; c++)
            ok = kmock__config_set(topic, t->configs.items[c].name, t->configs.items[c].value);
        if (!ok) {
            kmock__topic_delete(m, topic);
            fail(rq, res, KAFKA_ERR_UNKNOWN_SERVER_ERROR, "out of memory");
            continue;
        }
        if (v >= 5)
            describe(rq, res, topic, np, rf);
        if (req->validate_only)
            kmock__topic_delete(m, topic);
        else
            res->topic_id = topic->id;
    }
    return KMOCK_RESPOND;
}
