/* The admin calls on topics (kafka/admin.h): CreateTopics, DeleteTopics and
 * CreatePartitions to the controller, with NOT_CONTROLLER and an unreachable controller
 * retried after a metadata refresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin_int.h"
#include "core/connection_int.h"
#include "core/metadata.h"
#include "kafka/admin.h"
#include "util/arena.h"
#include "util/clock.h"

#define MAX_ATTEMPTS 5

int64_t kafka__admin_deadline(kafka_connection_t *c, int timeout_ms) {
    int64_t t = timeout_ms >= 0 ? timeout_ms : kafka_conf_int(kafka__connection_conf(c), KAFKA_CONF_REQUEST_TIMEOUT_MS);
    return kafka__now_ms() + t;
}

int kafka__admin_left(int64_t deadline) {
    int64_t left = deadline - kafka__now_ms();
    return left < 1 ? 1 : left > INT32_MAX ? INT32_MAX : (int)left;
}

kafka__bconn_t *kafka__admin_open(kafka_connection_t *c, int32_t id, int64_t deadline, int *nbrokers,
                                  kafka_conf_t **own, kafka_err_t *errp, char *why, size_t why_size) {
    *own = NULL;
    kafka__metadata_t *md = kafka__connection_metadata(c);
    if (!md || md->nbrokers == 0 || (id >= 0 && !kafka__metadata_broker(md, id))) {
        kafka__metadata_release(md);
        kafka_err_t e = md ? kafka__connection_refresh_wait(c, kafka__admin_left(deadline), why, why_size)
                           : kafka_connection_wait_metadata(c, NULL, kafka__admin_left(deadline), why, why_size);
        if (e) {
            *errp = e;
            return NULL;
        }
        if (!(md = kafka__connection_metadata(c))) {
            *errp = KAFKA_ERR__NO_KNOWN_BROKERS;
            snprintf(why, why_size, "no metadata");
            return NULL;
        }
    }
    const kafka__md_broker_t *b = kafka__metadata_broker(md, id >= 0 ? id : md->controller_id);
    if (!b && id < 0 && md->nbrokers > 0)
        b = &md->brokers[0];
    if (nbrokers)
        *nbrokers = md->nbrokers;
    if (!b) {
        size_t off = (size_t)snprintf(why, why_size, "broker %d is not in the cluster's metadata (brokers:", id);
        for (int32_t i = 0; i < md->nbrokers && off < why_size; i++)
            off += (size_t)snprintf(why + off, why_size - off, " %d", md->brokers[i].id);
        if (off < why_size)
            snprintf(why + off, why_size - off, ")");
        kafka__metadata_release(md);
        *errp = KAFKA_ERR__INVALID_ARG;
        return NULL;
    }
    char host[256];
    snprintf(host, sizeof(host), "%s", b->host);
    int port = b->port;
    kafka__metadata_release(md);
    const kafka_conf_t *conf = kafka__connection_conf(c);
    int left = kafka__admin_left(deadline);
    if (left < kafka_conf_int(conf, KAFKA_CONF_REQUEST_TIMEOUT_MS)) {
        char ms[16];
        snprintf(ms, sizeof(ms), "%d", left);
        if (!(*own = kafka_conf_dup(conf)) ||
            kafka_conf_set(*own, "request.timeout.ms", ms, NULL, 0) != KAFKA_OK) {
            kafka_conf_destroy(*own);
            *own = NULL;
            *errp = KAFKA_ERR__NO_MEMORY;
            snprintf(why, why_size, "out of memory");
            return NULL;
        }
        conf = *own;
    }
    kafka__bconn_t *bc = kafka__bconn_open(conf, kafka__connection_vcaps(c), host, port, errp, why, why_size);
    if (!bc) {
        kafka_conf_destroy(*own);
        *own = NULL;
    }
    return bc;
}

void kafka__admin_close(kafka__bconn_t *bc, kafka_conf_t *own) {
    kafka__bconn_close(bc);
    kafka_conf_destroy(own);
}

/* One topic call under way. */
typedef struct call_s {
    int16_t key;
    int n;
    const char *const *names;       /* the topics */
    const kafka_new_topic_t *newt;  /* CreateTopics */
    const int32_t *totals;          /* CreatePartitions */
    bool validate_only;
    int64_t deadline;
    int nbrokers;                   /* in the metadata last used */
    kafka_topic_result_t *res;
    bool *pending;                  /* not answered yet, or answered NOT_CONTROLLER */
} call_t;

static void set_result(call_t *k, int i, int16_t err, kafka_str_t msg) {
    kafka_topic_result_t *r = &k->res[i];
    r->err = (kafka_err_t)err;
    k->pending[i] = err == KAFKA_ERR_NOT_CONTROLLER;
    if (!err) {
        r->message[0] = 0;
        return;
    }
    int w = msg.len > 0 ? snprintf(r->message, sizeof(r->message), "%.*s", (int)msg.len, msg.str)
                        : snprintf(r->message, sizeof(r->message), "%s", kafka_err2str(r->err));
    /* What a reader needs to choose a factor that fits; brokers before Kafka 1.0 sent no message. */
    if (err == KAFKA_ERR_INVALID_REPLICATION_FACTOR && w >= 0 && (size_t)w < sizeof(r->message) &&
        !strstr(r->message, "brokers"))
        snprintf(r->message + w, sizeof(r->message) - (size_t)w, " (the cluster has %d brokers)", k->nbrokers);
}

/* Index of the pending topic named s, -1 when none. */
static int find(const call_t *k, kafka_str_t s) {
    for (int i = 0; i < k->n; i++)
        if (k->pending[i] && kafka_str_eq(s, k->names[i]))
            return i;
    return -1;
}

/* Builds the request of the pending topics (idx[0..np-1]) at version v; false when out of memory. */
static bool build(call_t *k, int16_t v, const int *idx, int np, kafka_arena_t *a, kafka_request_u *req) {
    kafka_request_init(k->key, req);
    int32_t tmo = kafka__admin_left(k->deadline);
    if (k->key == KAFKA_API_CREATE_TOPICS) {
        kafka_create_topics_request_t *r = &req->create_topics;
        kafka_create_topics_request_creatable_topic_t *t = kafka__arena_alloc(a, sizeof(*t) * (size_t)np);
        if (!t)
            return false;
        for (int j = 0; j < np; j++) {
            const kafka_new_topic_t *nt = &k->newt[idx[j]];
            t[j] = (kafka_create_topics_request_creatable_topic_t){kafka_str(nt->name), nt->partitions,
                                                                    nt->replication_factor, {NULL, 0}, {NULL, 0}};
            if (nt->nconfigs > 0) {
                t[j].configs.items = kafka__arena_alloc(a, sizeof(*t[j].configs.items) * (size_t)nt->nconfigs);
                if (!t[j].configs.items)
                    return false;
                t[j].configs.count = nt->nconfigs;
                for (int c = 0; c < nt->nconfigs; c++)
                    t[j].configs.items[c] = (kafka_create_topics_request_creatable_topic_config_t){
                        kafka_str(nt->configs[c].name), kafka_str(nt->configs[c].value)};
            }
        }
        r->topics.items = t;
        r->topics.count = np;
        r->timeout_ms = tmo;
        r->validate_only = k->validate_only;
    } else if (k->key == KAFKA_API_DELETE_TOPICS) {
        kafka_delete_topics_request_t *r = &req->delete_topics;
        r->timeout_ms = tmo;
        if (v >= 6) {
            kafka_delete_topics_request_delete_topic_state_t *s = kafka__arena_alloc(a, sizeof(*s) * (size_t)np);
            if (!s)
                return false;
            for (int j = 0; j < np; j++)
                s[j] = (kafka_delete_topics_request_delete_topic_state_t){kafka_str(k->names[idx[j]]), {{0}}};
            r->topics.items = s;
            r->topics.count = np;
        } else {
            kafka_str_t *s = kafka__arena_alloc(a, sizeof(*s) * (size_t)np);
            if (!s)
                return false;
            for (int j = 0; j < np; j++)
                s[j] = kafka_str(k->names[idx[j]]);
            r->topic_names.items = s;
            r->topic_names.count = np;
        }
    } else {
        kafka_create_partitions_request_t *r = &req->create_partitions;
        kafka_create_partitions_request_topic_t *t = kafka__arena_alloc(a, sizeof(*t) * (size_t)np);
        if (!t)
            return false;
        for (int j = 0; j < np; j++)
            t[j] = (kafka_create_partitions_request_topic_t){kafka_str(k->names[idx[j]]), k->totals[idx[j]],
                                                             {NULL, -1}};
        r->topics.items = t;
        r->topics.count = np;
        r->timeout_ms = tmo;
        r->validate_only = k->validate_only;
    }
    return true;
}

/* Takes the per-topic outcomes of a response. */
static void take(call_t *k, kafka__bconn_t *bc, const kafka_response_u *resp) {
    int32_t n = k->key == KAFKA_API_CREATE_TOPICS   ? resp->create_topics.topics.count
                : k->key == KAFKA_API_DELETE_TOPICS ? resp->delete_topics.responses.count
                                                    : resp->create_partitions.results.count;
    for (int32_t j = 0; j < n; j++) {
        kafka_str_t name, msg;
        int16_t err;
        if (k->key == KAFKA_API_CREATE_TOPICS) {
            const kafka_create_topics_response_creatable_topic_result_t *r = &resp->create_topics.topics.items[j];
            name = r->name, err = r->error_code, msg = r->error_message;
        } else if (k->key == KAFKA_API_DELETE_TOPICS) {
            const kafka_delete_topics_response_deletable_topic_result_t *r = &resp->delete_topics.responses.items[j];
            name = r->name, err = r->error_code, msg = r->error_message;
        } else {
            const kafka_create_partitions_response_topic_result_t *r = &resp->create_partitions.results.items[j];
            name = r->name, err = r->error_code, msg = r->error_message;
        }
        int i = find(k, name);
        if (i < 0)
            continue; /* a topic we did not ask about, or one named twice */
        if (err)
            kafka__bconn_note_error(bc, k->key, (kafka_err_t)err);
        set_result(k, i, err, msg);
    }
}

/* One request of the pending topics to bc. */
static kafka_err_t exchange(call_t *k, kafka__bconn_t *bc, char *why, size_t why_size) {
    int16_t v = kafka__bconn_version(bc, k->key);
    const char *api = kafka_api_name(k->key);
    if (v < 0) {
        snprintf(why, why_size, "%s:%d speaks no %s version this client does", bc->host, bc->port, api);
        return KAFKA_ERR__UNKNOWN_APIKEY;
    }
    if (k->validate_only && k->key == KAFKA_API_CREATE_TOPICS && v < 1) {
        snprintf(why, why_size, "%s:%d speaks only CreateTopics v0, which cannot validate without creating", bc->host,
                 bc->port);
        return KAFKA_ERR__INVALID_ARG;
    }
    int *idx = malloc(sizeof(int) * (size_t)k->n);
    kafka_request_u *req = malloc(sizeof(*req));
    kafka_response_u *resp = malloc(sizeof(*resp));
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = KAFKA_ERR__NO_MEMORY;
    int np = 0;
    for (int i = 0; idx && i < k->n; i++)
        if (k->pending[i])
            idx[np++] = i;
    if (idx && req && resp && build(k, v, idx, np, &a, req)) {
        e = kafka__bconn_request(bc, k->key, req, resp, &a, &frame, NULL);
        if (e) {
            snprintf(why, why_size, "%s", kafka__bconn_last_error(bc));
        } else {
            /* Topics the response leaves out stay pending: not NOT_CONTROLLER, so they fail below. */
            for (int j = 0; j < np; j++)
                k->res[idx[j]].err = KAFKA_ERR__REQUEST_OR_RESPONSE;
            take(k, bc, resp);
            for (int j = 0; j < np; j++) {
                kafka_topic_result_t *r = &k->res[idx[j]];
                if (k->pending[idx[j]] && r->err == KAFKA_ERR__REQUEST_OR_RESPONSE) {
                    k->pending[idx[j]] = false;
                    snprintf(r->message, sizeof(r->message), "%.120s:%d's %s response does not name the topic",
                             bc->host, bc->port, api);
                }
            }
        }
    } else {
        snprintf(why, why_size, "out of memory");
    }
    free(frame);
    kafka__arena_free(&a);
    free(resp);
    free(req);
    free(idx);
    return e;
}

/* Runs a topic call to its end: results set for every topic; the return and errstr as
 * kafka/admin.h says. */
static kafka_err_t run(kafka_connection_t *c, call_t *k, char *errstr, size_t errstr_size) {
    char why[600] = "";
    kafka_err_t err = KAFKA_OK;
    for (int i = 0; i < k->n; i++) {
        k->pending[i] = true;
        k->res[i] = (kafka_topic_result_t){k->names[i], KAFKA_OK, ""};
    }
    for (int attempt = 0;; attempt++) {
        bool any = false;
        for (int i = 0; i < k->n; i++)
            any |= k->pending[i];
        if (!any)
            break;
        if (attempt > 0) {
            if (attempt >= MAX_ATTEMPTS || kafka__now_ms() >= k->deadline) {
                if (!err)
                    err = KAFKA_ERR_NOT_CONTROLLER; /* only NOT_CONTROLLER answers are pending */
                break;
            }
            /* The controller moved or went away: ask the cluster again. */
            kafka__connection_refresh_wait(c, kafka__admin_left(k->deadline), NULL, 0);
        }
        kafka_err_t e;
        kafka_conf_t *own;
        kafka__bconn_t *bc = kafka__admin_open(c, -1, k->deadline, &k->nbrokers, &own, &e, why, sizeof(why));
        if (bc) {
            e = exchange(k, bc, why, sizeof(why));
            kafka__admin_close(bc, own);
        }
        err = e;
        if (e == KAFKA_ERR__UNKNOWN_APIKEY || e == KAFKA_ERR__INVALID_ARG || e == KAFKA_ERR__NO_MEMORY ||
            kafka__bconn_fatal(e))
            break;
    }
    kafka_err_t first = KAFKA_OK;
    size_t off = 0;
    errstr[0] = 0;
    for (int i = 0; i < k->n; i++) {
        kafka_topic_result_t *r = &k->res[i];
        if (k->pending[i] && r->err != KAFKA_ERR_NOT_CONTROLLER) {
            r->err = err;
            snprintf(r->message, sizeof(r->message), "%s", why[0] ? why : kafka_err2str(err));
        }
        if (!r->err)
            continue;
        if (!first)
            first = r->err;
        if (off < errstr_size)
            off += (size_t)snprintf(errstr + off, errstr_size - off, "%stopic \"%s\": %s: %s", off ? "; " : "",
                                    r->topic, kafka_err_name(r->err), r->message);
    }
    return first;
}

static kafka_err_t topic_call(kafka_connection_t *c, call_t *k, int timeout_ms, kafka_topic_result_t *results,
                              char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr || !errstr_size) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    errstr[0] = 0;
    const char *api = kafka_api_name(k->key);
    if (!c || k->n < 0 || (k->n > 0 && !k->names)) {
        snprintf(errstr, errstr_size, "%s: no connection, or no topics for n", api);
        return KAFKA_ERR__INVALID_ARG;
    }
    for (int i = 0; i < k->n; i++) {
        if (!k->names[i]) {
            snprintf(errstr, errstr_size, "%s: topic %d has no name", api, i);
            return KAFKA_ERR__INVALID_ARG;
        }
    }
    if (k->n == 0)
        return KAFKA_OK;
    k->deadline = kafka__admin_deadline(c, timeout_ms);
    kafka_topic_result_t *res = results ? results : malloc(sizeof(*res) * (size_t)k->n);
    k->pending = malloc(sizeof(bool) * (size_t)k->n);
    kafka_err_t err = KAFKA_ERR__NO_MEMORY;
    if (res && k->pending) {
        k->res = res;
        err = run(c, k, errstr, errstr_size);
    } else {
        snprintf(errstr, errstr_size, "out of memory");
    }
    free(k->pending);
    if (res != results)
        free(res);
    return err;
}

kafka_err_t kafka_connection_create_topics(kafka_connection_t *c, const kafka_new_topic_t *topics, int n,
                                           bool validate_only, int timeout_ms, kafka_topic_result_t *results,
                                           char *errstr, size_t errstr_size) {
    const char **names = n > 0 && topics ? malloc(sizeof(char *) * (size_t)n) : NULL;
    for (int i = 0; names && i < n; i++)
        names[i] = topics[i].name;
    for (int i = 0; topics && i < n; i++) {
        if (topics[i].nconfigs < 0 || (topics[i].nconfigs > 0 && !topics[i].configs)) {
            free(names);
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "CreateTopics: topic %d: nconfigs without configs", i);
            return KAFKA_ERR__INVALID_ARG;
        }
        for (int k = 0; k < topics[i].nconfigs; k++) {
            if (!topics[i].configs[k].name || !topics[i].configs[k].value) {
                free(names);
                if (errstr && errstr_size)
                    snprintf(errstr, errstr_size, "CreateTopics: topic %d: config %d has no name or value", i, k);
                return KAFKA_ERR__INVALID_ARG;
            }
        }
    }
    if (n > 0 && topics && !names) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "out of memory");
        return KAFKA_ERR__NO_MEMORY;
    }
    call_t k = {.key = KAFKA_API_CREATE_TOPICS, .n = n, .names = names, .newt = topics,
                .validate_only = validate_only};
    kafka_err_t err = topic_call(c, &k, timeout_ms, results, errstr, errstr_size);
    free(names);
    return err;
}

kafka_err_t kafka_connection_delete_topics(kafka_connection_t *c, const char *const *topics, int n, int timeout_ms,
                                           kafka_topic_result_t *results, char *errstr, size_t errstr_size) {
    call_t k = {.key = KAFKA_API_DELETE_TOPICS, .n = n, .names = topics};
    return topic_call(c, &k, timeout_ms, results, errstr, errstr_size);
}

kafka_err_t kafka_connection_create_partitions(kafka_connection_t *c, const char *const *topics,
                                               const int32_t *totals, int n, bool validate_only, int timeout_ms,
                                               kafka_topic_result_t *results, char *errstr, size_t errstr_size) {
    if (n > 0 && !totals) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "CreatePartitions: no totals");
        return KAFKA_ERR__INVALID_ARG;
    }
    call_t k = {.key = KAFKA_API_CREATE_PARTITIONS, .n = n, .names = topics, .totals = totals,
                .validate_only = validate_only};
    return topic_call(c, &k, timeout_ms, results, errstr, errstr_size);
}
