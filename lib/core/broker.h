/* A connection to one broker with the API versions both sides speak: ApiVersions
 * negotiation (v3, then v0 when the broker answers UNSUPPORTED_VERSION, KIP-511), and
 * the fallback to broker.version.fallback when the broker hangs up on ApiVersions
 * (Kafka 0.8/0.9) or api.version.request=false.
 *
 * Not thread-safe: one owner (a broker worker or the metadata thread). */
#ifndef KAFKA_CORE_BROKER_H
#define KAFKA_CORE_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/conf.h"
#include "kafka/io.h"
#include "kafka/protocol.h"

#define KAFKA__MAX_API_KEY 96 /* API keys above this are ignored in ApiVersions answers */

typedef struct kafka__bconn_s {
    kafka_io_t *io;
    char host[256];
    int port;
    bool negotiated;                           /* versions came from ApiVersions */
    int16_t version[KAFKA__MAX_API_KEY + 1];   /* version to use per API key; -1: none in common */
    char client_id[256];
    int request_timeout_ms;
} kafka__bconn_t;

/* Connects to host:port and settles the API versions. NULL on failure with *errp and
 * errstr naming the broker and the cause. */
/* @thread any  @locks none */
kafka__bconn_t *kafka__bconn_open(const kafka_conf_t *conf, const char *host, int port, kafka_err_t *errp,
                                  char *errstr, size_t errstr_size);
void kafka__bconn_close(kafka__bconn_t *bc);

/* The version to use for api_key, or -1 when the broker speaks none we do. */
static inline int16_t kafka__bconn_version(const kafka__bconn_t *bc, int16_t api_key) {
    return api_key >= 0 && api_key <= KAFKA__MAX_API_KEY ? bc->version[api_key] : -1;
}

/* One round trip at the negotiated version (*version_out, optional, says which).
 * KAFKA_ERR__UNKNOWN_APIKEY when the broker speaks no version of the API we do. */
/* @thread owner  @locks none */
kafka_err_t kafka__bconn_request(kafka__bconn_t *bc, int16_t api_key, const void *req, void *resp,
                                 struct kafka_arena_s *arena, uint8_t **frame, int16_t *version_out);

/* The API versions a broker of this release serves, for broker.version.fallback
 * ("0.8.0", "0.8.2.2", "0.9.0", "0.10.0", ...): max version per key, -1 none. */
void kafka__fallback_versions(const char *release, int16_t version[KAFKA__MAX_API_KEY + 1]);

#endif
