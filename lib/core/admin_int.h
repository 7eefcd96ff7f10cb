/* What the admin calls (admin.c: topics, configs.c: configs) share: the broker a call
 * goes to, and a call's time bounds. */
#ifndef KAFKA_CORE_ADMIN_INT_H
#define KAFKA_CORE_ADMIN_INT_H

#include "core/bconn.h"
#include "kafka/admin.h"

/* Opens a connection to broker `id` of c's current metadata (-1: its controller, else
 * the first broker when the metadata names none), waiting for metadata when there is
 * none yet. Connecting, ApiVersions and SASL included, and every request on it wait no
 * longer than what is left until deadline (monotonic ms): below request.timeout.ms the
 * connection gets a conf of its own, *own (freed by kafka__admin_close). *nbrokers
 * (optional) receives the metadata's broker count. NULL on failure with *errp
 * (KAFKA_ERR__INVALID_ARG for an id not in the metadata, KAFKA_ERR__TIMED_OUT, the
 * connection's failure) and why naming the broker. */
/* @thread any  @locks connection briefly */
kafka__bconn_t *kafka__admin_open(kafka_connection_t *c, int32_t id, int64_t deadline, int *nbrokers,
                                  kafka_conf_t **own, kafka_err_t *errp, char *why, size_t why_size);
/* Closes what kafka__admin_open opened (either may be NULL). */
void kafka__admin_close(kafka__bconn_t *bc, kafka_conf_t *own);

/* The deadline of a call: now + timeout_ms (< 0: the conf's request.timeout.ms). */
int64_t kafka__admin_deadline(kafka_connection_t *c, int timeout_ms);

/* Milliseconds left until deadline, at least 1. */
int kafka__admin_left(int64_t deadline);

#endif
