/* A client's way to one broker for one purpose (a producer's broker worker, a
 * consumer's fetcher): the connection (core/bconn.h) opened when needed, dropped on
 * failure and opened again after an exponential backoff (reconnect.backoff.ms up to
 * reconnect.backoff.max.ms), each transition logged once (connection lost with its
 * cause, restored), counted, and told to the owner's state callback. The connections
 * that live as long as their thread (producer workers, consumer fetchers) go through one
 * of these; the metadata thread and the consumer's calls open kafka__bconn directly, as
 * they try one broker after another. Either way what a connection needs (TLS, SASL,
 * version fallback) is written once, below, in bconn.
 *
 * Not thread-safe: one owner thread; the state callback runs on it. */
#ifndef KAFKA_CORE_BROKER_H
#define KAFKA_CORE_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bconn.h"
#include "core/log.h"
#include "util/backoff.h"

typedef struct kafka__broker_s kafka__broker_t;

/* Called on the owner's thread after each transition: bc is the new connection when it
 * came up, NULL when it went down (err and why: the cause; KAFKA_ERR__DESTROYED when
 * closed on purpose). */
typedef void(kafka__broker_state_cb_t)(kafka__broker_t *b, kafka__bconn_t *bc, kafka_err_t err, const char *why,
                                       void *arg);

struct kafka__broker_s {
    const kafka_conf_t *conf;
    kafka__vcaps_t *vcaps;
    const char *fac; /* the log facility: "PRODUCE", "FETCH", ... */
    int32_t id;
    char host[256];
    int port;
    char who[300]; /* "broker N (host:port)" */
    kafka__bconn_t *bc;
    int64_t retry_at; /* monotonic ms: no connect before */
    kafka__backoff_t backoff;
    kafka__linkstate_t logged;
    kafka_err_t err; /* the last failure and its cause, until the next connect */
    char why[300];
    kafka__broker_state_cb_t *on_state;
    void *arg;
    int64_t connects, failures; /* connections opened, failures (connects and losses); owner's thread only */
};

/* Sets b up for broker id at host:port (no connection yet), for a client with conf and
 * vcaps (both outlive b); fac names the purpose in the log; on_state (may be NULL) and
 * arg are the owner's. */
void kafka__broker_init(kafka__broker_t *b, const kafka_conf_t *conf, kafka__vcaps_t *vcaps, const char *fac,
                        int32_t id, const char *host, int port, kafka__broker_state_cb_t *on_state, void *arg);

/* The broker's address from now on (the metadata may move a broker id); a connection to
 * the old address is closed, without a log line. */
/* @thread owner */
void kafka__broker_address(kafka__broker_t *b, const char *host, int port);

/* The connection, opened now when there is none and the backoff has passed (now:
 * kafka__now_ms()). NULL while backing off or when the connect failed: then
 * b->err / b->why say why, and b->retry_at when the next try may be. */
/* @thread owner  @locks none (connects without any) */
kafka__bconn_t *kafka__broker_up(kafka__broker_t *b, int64_t now);

/* The connection failed (a transport error, a response out of step, a timeout): it is
 * closed, the next connect waits for the backoff, the loss is logged once (with why)
 * and told to on_state. why may point into the closed connection (it is copied first). */
/* @thread owner */
void kafka__broker_down(kafka__broker_t *b, kafka_err_t err, const char *why);

/* A response came: the next failure backs off from reconnect.backoff.ms again. */
static inline void kafka__broker_ok(kafka__broker_t *b) {
    kafka__backoff_reset(&b->backoff);
}

/* Closes the connection on purpose (shutdown): no log line, no backoff; on_state is told
 * with KAFKA_ERR__DESTROYED. */
/* @thread owner */
void kafka__broker_close(kafka__broker_t *b);

#endif /* KAFKA_CORE_BROKER_H */
