/* DescribeConfigs (key 32), versions 0-4: a topic's configs (every known one: those set
 * at creation, DYNAMIC_TOPIC_CONFIG, and the rest at their defaults) on any broker; a
 * broker's handful (broker.id, listeners, message.max.bytes, auto.create.topics.enable,
 * num.partitions, default.replication.factor, log.retention.bytes, delete.topic.enable,
 * and a sensitive ssl.keystore.password with a null value) on that broker only, as
 * Kafka: another broker's id is INVALID_REQUEST. ConfigurationKeys narrows the list. v0
 * says IsDefault, v1+ ConfigSource; no synonyms, no documentation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4

static char *arena_str(kmock_req_t *rq, const char *s) {
    char *c = s ? kafka__arena_alloc(rq->arena, strlen(s) + 1) : NULL;
    if (c)
        memcpy(c, s, strlen(s) + 1);
    return c;
}

static bool wanted(const kafka_describe_configs_request_resource_t *rs, const char *name) {
    if (rs->configuration_keys.count < 0)
        return true;
    for (int32_t k = 0; k < rs->configuration_keys.count; k++)
        if (kafka_str_eq(rs->configuration_keys.items[k], name))
            return true;
    return false;
}

static void describe(kmock_req_t *rq, const kafka_describe_configs_request_resource_t *rs,
                     kafka_describe_configs_response_result_t *res) {
    kafka_mock_t *m = rq->m;
    kmock_config_desc_t d[KMOCK_MAX_CONFIGS];
    char buf[512], why[256];
    int n;
    if (rs->resource_type == RESOURCE_TOPIC) {
        kmock_topic_t *t = rs->resource_name.len > 0
                               ? kmock__topic_find(m, rs->resource_name.str, rs->resource_name.len)
                               : NULL;
        if (!t) {
            res->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            res->error_message = kafka_str("The topic does not exist.");
            return;
        }
        n = kmock__topic_configs(t, d, KMOCK_MAX_CONFIGS);
    } else if (rs->resource_type == RESOURCE_BROKER) {
        char self[16];
        snprintf(self, sizeof(self), "%d", rq->broker->id);
        if (rs->resource_name.len != 0 && !kafka_str_eq(rs->resource_name, self)) {
            snprintf(why, sizeof(why), "Unexpected broker id, expected %d or empty string, but received %.*s",
                     rq->broker->id, rs->resource_name.len > 0 ? (int)rs->resource_name.len : 0,
                     rs->resource_name.len > 0 ? rs->resource_name.str : "");
            res->error_code = KAFKA_ERR_INVALID_REQUEST;
            res->error_message = kafka_str(arena_str(rq, why));
            return;
        }
        n = kmock__broker_configs(m, rq->broker, d, KMOCK_MAX_CONFIGS, buf, sizeof(buf));
    } else {
        snprintf(why, sizeof(why), "Unsupported resource type %d", rs->resource_type);
        res->error_code = KAFKA_ERR_INVALID_REQUEST;
        res->error_message = kafka_str(arena_str(rq, why));
        return;
    }
    int16_t v = rq->hdr->request_api_version;
    int keep = 0;
    for (int i = 0; i < n; i++)
        if (wanted(rs, d[i].name))
            d[keep++] = d[i];
    KMOCK_ARRAY(res->configs, rq, "DescribeConfigsResourceResult", keep);
    for (int32_t i = 0; i < res->configs.count; i++) {
        kafka_describe_configs_response_resource_result_t *c = &res->configs.items[i];
        c->name = kafka_str(d[i].name);
        c->value = kafka_str(d[i].sensitive ? NULL : arena_str(rq, d[i].value));
        c->read_only = d[i].read_only;
        c->is_sensitive = d[i].sensitive;
        if (v == 0)
            c->is_default = d[i].source == 5;
        else
            c->config_source = d[i].source;
    }
}

kmock_result_t kmock__handle_describe_configs(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_describe_configs_request_t *req = &rq->body->describe_configs;
    kafka_describe_configs_response_t *r = &resp->describe_configs;
    KMOCK_ARRAY(r->results, rq, "DescribeConfigsResult", req->resources.count);
    for (int32_t i = 0; i < r->results.count; i++) {
        const kafka_describe_configs_request_resource_t *rs = &req->resources.items[i];
        kafka_describe_configs_response_result_t *res = &r->results.items[i];
        res->resource_type = rs->resource_type;
        res->resource_name = rs->resource_name;
        if (!rq->inject)
            describe(rq, rs, res);
    }
    return KMOCK_RESPOND;
}
