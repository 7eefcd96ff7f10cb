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

/* Called by the metadata thread after every refresh attempt, with the current snapshot
 * (NULL when there is none yet; the callee takes its own reference to keep it). */
typedef void (*kafka__metadata_listener_t)(kafka__metadata_t *md, void *arg);

/* Sets (fn NULL: removes) the one listener. Returns once no call of the previous one is
 * running, so its argument may then be freed. The listener must not call this. */
/* @thread any but the metadata thread  @locks listen_lock */
void kafka__connection_listen(kafka_connection_t *c, kafka__metadata_listener_t fn, void *arg);

/* Called by the metadata thread every interval_ms (as it can: a metadata refresh in
 * progress delays it), between refreshes, with no lock held but listen_lock. */
typedef void (*kafka__connection_tick_t)(void *arg);

/* Sets (fn NULL or interval_ms <= 0: removes) the one tick; its first call comes
 * interval_ms from now. Returns once no call of the previous one is running, so its
 * argument may then be freed. The tick must not call this nor kafka__connection_listen. */
/* @thread any but the metadata thread  @locks listen_lock, then connection */
void kafka__connection_tick(kafka_connection_t *c, int64_t interval_ms, kafka__connection_tick_t fn, void *arg);

/* The table of API versions that did not decode, per broker, which every connection
 * the client opens uses (kafka__bconn_open); it lives as long as c. */
/* @thread any  @locks none */
kafka__vcaps_t *kafka__connection_vcaps(kafka_connection_t *c);

/* The connection's configuration (validated, owned by c). */
/* @thread any  @locks none */
const kafka_conf_t *kafka__connection_conf(kafka_connection_t *c);

/* Adds topic to those whose metadata is kept (a refresh is asked for when it is new). */
/* @thread any  @locks connection */
bool kafka__connection_add_topic(kafka_connection_t *c, const char *topic);

#endif
