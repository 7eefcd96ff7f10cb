/* kafka_connection_describe_configs and kafka_configs_t (kafka/admin.h): DescribeConfigs
 * of one topic (to the controller) or one broker (to that broker). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin_int.h"
#include "core/connection_int.h"
#include "kafka/admin.h"
#include "util/arena.h"
#include "util/clock.h"

#define MAX_ATTEMPTS 3

struct kafka_configs_s {
    int n;
    kafka_config_entry_t *e; /* names and values malloc'ed */
};

int kafka_configs_count(const kafka_configs_t *cf) { return cf ? cf->n : 0; }

const kafka_config_entry_t *kafka_configs_entry(const kafka_configs_t *cf, int i) {
    return cf && i >= 0 && i < cf->n ? &cf->e[i] : NULL;
}

const kafka_config_entry_t *kafka_configs_find(const kafka_configs_t *cf, const char *name) {
    for (int i = 0; cf && name && i < cf->n; i++)
        if (strcmp(cf->e[i].name, name) == 0)
            return &cf->e[i];
    return NULL;
}

void kafka_configs_destroy(kafka_configs_t *cf) {
    if (!cf)
        return;
    for (int i = 0; i < cf->n; i++) {
        free((char *)cf->e[i].name);
        free((char *)cf->e[i].value);
    }
    free(cf->e);
    free(cf);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const kafka_config_entry_t *)a)->name, ((const kafka_config_entry_t *)b)->name);
}

static char *dup_str(kafka_str_t s) {
    return s.len < 0 ? NULL : strndup(s.str ? s.str : "", (size_t)s.len);
}

/* The configs of a decoded result; NULL when out of memory. */
static kafka_configs_t *make(const kafka_describe_configs_response_result_t *r, int16_t v) {
    kafka_configs_t *cf = calloc(1, sizeof(*cf));
    if (!cf || (r->configs.count > 0 && !(cf->e = calloc((size_t)r->configs.count, sizeof(*cf->e))))) {
        free(cf);
        return NULL;
    }
    for (int32_t i = 0; i < r->configs.count; i++) {
        const kafka_describe_configs_response_resource_result_t *c = &r->configs.items[i];
        kafka_config_entry_t *e = &cf->e[cf->n];
        if (c->name.len < 0)
            continue; /* nameless: nothing to show it under */
        if (!(e->name = dup_str(c->name)) ||
            (!c->is_sensitive && c->value.len >= 0 && !(e->value = dup_str(c->value)))) {
            free((char *)e->name);
            kafka_configs_destroy(cf);
            return NULL;
        }
        cf->n++;
        e->read_only = c->read_only;
        e->is_sensitive = c->is_sensitive;
        e->source = v >= 1 ? c->config_source : -1;
        e->is_default = v >= 1 ? c->config_source == 5 : c->is_default;
    }
    qsort(cf->e, (size_t)cf->n, sizeof(*cf->e), by_name);
    return cf;
}

/* One DescribeConfigs exchange with bc; the configs, or NULL with *errp and why. */
static kafka_configs_t *exchange(kafka__bconn_t *bc, kafka_resource_type_t type, const char *name,
                                 kafka_err_t *errp, char *why, size_t why_size) {
    int16_t v = kafka__bconn_version(bc, KAFKA_API_DESCRIBE_CONFIGS);
    if (v < 0) {
        *errp = KAFKA_ERR__UNKNOWN_APIKEY;
        snprintf(why, why_size, "%s:%d speaks no DescribeConfigs version this client does", bc->host, bc->port);
        return NULL;
    }
    kafka_describe_configs_request_t req;
    kafka_request_init(KAFKA_API_DESCRIBE_CONFIGS, &req);
    kafka_describe_configs_request_resource_t rs = {(int8_t)type, kafka_str(name), {NULL, -1}};
    req.resources.items = &rs;
    req.resources.count = 1;
    kafka_describe_configs_response_t resp;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_configs_t *cf = NULL;
    int16_t used;
    const char *what = type == KAFKA_RESOURCE_TOPIC ? "topic" : "broker";
    *errp = kafka__bconn_request(bc, KAFKA_API_DESCRIBE_CONFIGS, &req, &resp, &a, &frame, &used);
    if (*errp) {
        snprintf(why, why_size, "%s", kafka__bconn_last_error(bc));
    } else if (resp.results.count != 1 || !kafka_str_eq(resp.results.items[0].resource_name, name)) {
        *errp = KAFKA_ERR__REQUEST_OR_RESPONSE;
        snprintf(why, why_size, "%s:%d's DescribeConfigs response does not describe %s \"%s\"", bc->host, bc->port,
                 what, name);
    } else if (resp.results.items[0].error_code) {
        const kafka_describe_configs_response_result_t *r = &resp.results.items[0];
        *errp = (kafka_err_t)r->error_code;
        kafka__bconn_note_error(bc, KAFKA_API_DESCRIBE_CONFIGS, *errp);
        snprintf(why, why_size, "%s \"%s\": %s: %.*s", what, name, kafka_err_name(*errp),
                 r->error_message.len > 0 ? (int)r->error_message.len : (int)strlen(kafka_err2str(*errp)),
                 r->error_message.len > 0 ? r->error_message.str : kafka_err2str(*errp));
    } else if (!(cf = make(&resp.results.items[0], used))) {
        *errp = KAFKA_ERR__NO_MEMORY;
        snprintf(why, why_size, "out of memory");
    }
    free(frame);
    kafka__arena_free(&a);
    return cf;
}

kafka_configs_t *kafka_connection_describe_configs(kafka_connection_t *c, kafka_resource_type_t type,
                                                   const char *name, int timeout_ms, kafka_err_t *errp, char *errstr,
                                                   size_t errstr_size) {
    kafka_err_t dummy;
    char dummy_str[8];
    if (!errp)
        errp = &dummy;
    if (!errstr || !errstr_size) {
        errstr = dummy_str;
        errstr_size = sizeof(dummy_str);
    }
    errstr[0] = 0;
    int32_t broker = -1;
    char *end = NULL;
    if (type == KAFKA_RESOURCE_BROKER && name) {
        long id = strtol(name, &end, 10);
        broker = *name && !*end && id >= 0 && id <= INT32_MAX ? (int32_t)id : -2;
    }
    if (!c || !name || (type != KAFKA_RESOURCE_TOPIC && type != KAFKA_RESOURCE_BROKER) || broker == -2) {
        *errp = KAFKA_ERR__INVALID_ARG;
        snprintf(errstr, errstr_size, "DescribeConfigs: %s", !c || !name ? "no connection or no name"
                                                              : broker == -2 ? "a broker is named by its id"
                                                                             : "the resource is a topic or a broker");
        return NULL;
    }
    int64_t deadline = kafka__admin_deadline(c, timeout_ms);
    kafka_configs_t *cf = NULL;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && !cf; attempt++) {
        if (attempt > 0) {
            if (kafka__now_ms() >= deadline)
                break;
            kafka__connection_refresh_wait(c, kafka__admin_left(deadline), NULL, 0);
        }
        kafka_conf_t *own;
        kafka__bconn_t *bc = kafka__admin_open(c, broker, deadline, NULL, &own, errp, errstr, errstr_size);
        if (bc) {
            cf = exchange(bc, type, name, errp, errstr, errstr_size);
            kafka__admin_close(bc, own);
            if (!cf && *errp >= KAFKA_ERR_UNKNOWN_SERVER_ERROR)
                break; /* the broker answered: its error stands */
        }
        if (!cf && (*errp == KAFKA_ERR__UNKNOWN_APIKEY || *errp == KAFKA_ERR__INVALID_ARG ||
                    *errp == KAFKA_ERR__NO_MEMORY || *errp == KAFKA_ERR__REQUEST_OR_RESPONSE ||
                    kafka__bconn_fatal(*errp)))
            break;
    }
    if (cf)
        *errp = KAFKA_OK;
    return cf;
}
