/* Library-internal calls on kafka_connection_t (kafka/connection.h). */
#ifndef KAFKA_CORE_CONNECTION_INT_H
#define KAFKA_CORE_CONNECTION_INT_H

#include "core/metadata.h"
#include "kafka/connection.h"

/* Asks for a refresh and waits up to timeout_ms for the metadata thread's next attempt
 * to end; returns its result (KAFKA_ERR__TIMED_OUT if none ended in time), why filled
 * on failure. */
/* @thread any  @locks connection */
kafka_err_t kafka__connection_refresh_wait(kafka_connection_t *c, int timeout_ms, char *why, size_t why_size);

/* The current metadata snapshot with a reference the caller releases
 * (kafka__metadata_release), or NULL when there is none yet. */
/* @thread any  @locks connection */
kafka__metadata_t *kafka__connection_metadata(kafka_connection_t *c);

#endif
