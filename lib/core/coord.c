/* FindCoordinator for a group (key type 0), core/coord.h: v0-3 answer one coordinator,
 * v4+ a list for the keys asked. */
#include <stdio.h>
#include <stdlib.h>

#include "core/coord.h"
#include "util/arena.h"

kafka_err_t kafka__find_coordinator(kafka__bconn_t *bc, const char *group, int32_t *id, char *host, size_t host_size,
                                    int *port, bool *conn_ok, char *why, size_t why_size) {
    kafka_find_coordinator_request_t req;
    kafka_request_init(KAFKA_API_FIND_COORDINATOR, &req);
    kafka_str_t key = kafka_str(group);
    int16_t v = kafka__bconn_version(bc, KAFKA_API_FIND_COORDINATOR);
    if (v >= 4) {
        req.coordinator_keys.items = &key;
        req.coordinator_keys.count = 1;
    } else {
        req.key = key;
    }
    kafka_find_coordinator_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_FIND_COORDINATOR, &req, &resp, &arena, &frame, NULL);
    *conn_ok = !e;
    host[0] = 0;
    *port = 0;
    if (e) {
        snprintf(why, why_size, "FindCoordinator: %s", kafka__bconn_last_error(bc));
    } else if (v >= 4) {
        if (resp.coordinators.count < 1) {
            e = KAFKA_ERR__REQUEST_OR_RESPONSE;
            snprintf(why, why_size, "FindCoordinator: no coordinator in the answer");
        } else {
            const kafka_find_coordinator_response_coordinator_t *co = &resp.coordinators.items[0];
            e = (kafka_err_t)co->error_code;
            *id = co->node_id;
            snprintf(host, host_size, "%.*s", co->host.len > 0 ? co->host.len : 0, co->host.str ? co->host.str : "");
            *port = co->port;
        }
    } else {
        e = (kafka_err_t)resp.error_code;
        *id = resp.node_id;
        snprintf(host, host_size, "%.*s", resp.host.len > 0 ? resp.host.len : 0, resp.host.str ? resp.host.str : "");
        *port = resp.port;
    }
    if (!e && (!host[0] || *port <= 0 || *port > 65535)) {
        e = KAFKA_ERR__REQUEST_OR_RESPONSE;
        snprintf(why, why_size, "FindCoordinator for group %s: no usable address in the answer", group);
    }
    if (e && e != KAFKA_ERR__REQUEST_OR_RESPONSE && *conn_ok)
        snprintf(why, why_size, "FindCoordinator for group %s: %s", group, kafka_err_name(e));
    free(frame);
    kafka__arena_free(&arena);
    return e;
}
