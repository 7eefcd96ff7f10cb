/* FindCoordinator for a group (key type 0): the consumer's offset calls
 * (consumer/commit.c), its group thread (consumer/member.c) and the admin group calls
 * (core/admin_groups.c) find a group's coordinator with it. */
#ifndef KAFKA_CORE_COORD_H
#define KAFKA_CORE_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bconn.h"

/* One FindCoordinator for group on bc: the coordinator's id, host (host_size bytes) and
 * port. *conn_ok false when the connection is out of step (close it). A broker error
 * (COORDINATOR_NOT_AVAILABLE, ...) or an answer without an address: the error with why. */
/* @thread owner of bc  @locks none */
kafka_err_t kafka__find_coordinator(kafka__bconn_t *bc, const char *group, int32_t *id, char *host, size_t host_size,
                                    int *port, bool *conn_ok, char *why, size_t why_size);

#endif
