/* SASL authentication of a broker connection, as Kafka clients do it after ApiVersions:
 * SaslHandshake names the mechanism (the broker answers with the ones it enables), then
 * the mechanism's tokens go in SaslAuthenticate requests (v1 handshake, Kafka >= 1.0) or
 * in bare size-prefixed frames (v0 handshake, brokers without SaslAuthenticate).
 * Mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER. The same exchange, on an
 * authenticated connection, re-authenticates it (KIP-368; core/bconn.c decides when). */
#ifndef KAFKA_CORE_SASL_H
#define KAFKA_CORE_SASL_H

#include <stdint.h>

#include "core/bconn.h"

/* The name of a kafka_sasl_mechanism_t (sasl.mechanism), or NULL. */
const char *kafka__sasl_mechanism_name(int64_t mechanism);

/* Authenticates bc as user with password; for OAUTHBEARER password is the token and user
 * the principal it names (for messages only). KAFKA_OK, with *session_lifetime_ms (the
 * broker's limit on the session, 0: none; KIP-368) when asked for. Otherwise the error
 * and why naming the broker and the cause: UNSUPPORTED_SASL_MECHANISM (with the
 * mechanisms the broker offers), SASL_AUTHENTICATION_FAILED (with the broker's message,
 * or our SCRAM check of the broker's signature), ILLEGAL_SASL_STATE, or a transport
 * error. A failed connection is out of step: close it. The password (token) is never
 * written into why. */
/* @thread owner of bc */
kafka_err_t kafka__sasl_authenticate(kafka__bconn_t *bc, const char *mechanism, const char *user,
                                     const char *password, int64_t *session_lifetime_ms, char *why, size_t why_size);

#endif /* KAFKA_CORE_SASL_H */
