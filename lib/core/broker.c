/* A broker's connection for one purpose, reconnecting with backoff (see core/broker.h). */
#include <stdio.h>
#include <string.h>

#include "core/broker.h"
#include "util/clock.h"

static void name(kafka__broker_t *b) {
    if (b->host[0])
        snprintf(b->who, sizeof(b->who), "broker %d (%s:%d)", (int)b->id, b->host, b->port);
    else
        snprintf(b->who, sizeof(b->who), "broker %d", (int)b->id);
}

void kafka__broker_init(kafka__broker_t *b, const kafka_conf_t *conf, kafka__vcaps_t *vcaps, const char *fac,
                        int32_t id, const char *host, int port, kafka__broker_state_cb_t *on_state, void *arg) {
    memset(b, 0, sizeof(*b));
    b->conf = conf;
    b->vcaps = vcaps;
    b->fac = fac;
    b->id = id;
    snprintf(b->host, sizeof(b->host), "%s", host);
    b->port = port;
    name(b);
    kafka__backoff_init(&b->backoff, kafka_conf_int(conf, KAFKA_CONF_RECONNECT_BACKOFF_MS),
                        kafka_conf_int(conf, KAFKA_CONF_RECONNECT_BACKOFF_MAX_MS));
    b->on_state = on_state;
    b->arg = arg;
}

void kafka__broker_address(kafka__broker_t *b, const char *host, int port) {
    if (b->port == port && strcmp(b->host, host) == 0)
        return;
    if (b->bc)
        kafka__broker_close(b);
    snprintf(b->host, sizeof(b->host), "%s", host);
    b->port = port;
    name(b);
}

kafka__bconn_t *kafka__broker_up(kafka__broker_t *b, int64_t now) {
    if (b->bc)
        return b->bc;
    if (now < b->retry_at)
        return NULL;
    kafka_err_t err = KAFKA_OK;
    char why[300];
    b->bc = kafka__bconn_open(b->conf, b->vcaps, b->host, b->port, &err, why, sizeof(why));
    if (!b->bc) {
        kafka__broker_down(b, err ? err : KAFKA_ERR__TRANSPORT, why);
        return NULL;
    }
    b->err = KAFKA_OK;
    b->why[0] = 0;
    b->connects++;
    kafka__log_restored(b->conf, &b->logged, b->fac, b->who);
    if (b->on_state)
        b->on_state(b, b->bc, KAFKA_OK, NULL, b->arg);
    return b->bc;
}

void kafka__broker_down(kafka__broker_t *b, kafka_err_t err, const char *why_in) {
    char why[300];
    snprintf(why, sizeof(why), "%s", why_in ? why_in : kafka_err2str(err));
    kafka__bconn_close(b->bc);
    b->bc = NULL;
    b->retry_at = kafka__now_ms() + kafka__backoff_next(&b->backoff);
    b->err = err;
    snprintf(b->why, sizeof(b->why), "%s", why);
    b->failures++;
    kafka__log_lost(b->conf, &b->logged, b->fac, b->who, why);
    if (b->on_state)
        b->on_state(b, NULL, err, b->why, b->arg);
}

void kafka__broker_close(kafka__broker_t *b) {
    if (!b->bc)
        return;
    kafka__bconn_close(b->bc);
    b->bc = NULL;
    if (b->on_state)
        b->on_state(b, NULL, KAFKA_ERR__DESTROYED, "closed", b->arg);
}
