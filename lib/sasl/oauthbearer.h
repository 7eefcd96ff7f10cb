/* SASL/OAUTHBEARER messages as Kafka speaks them (RFC 7628, KIP-255): the client's one
 * message, "n,,\x01auth=Bearer <token>\x01\x01" (GS2 header without channel binding,
 * key=value pairs ended by \x01, an empty pair last); the server answers nothing on
 * success, or an error challenge (JSON, {"status":"invalid_token"}) that the client
 * acknowledges with a lone \x01 before the server fails the exchange. SASL extensions
 * (other key=value pairs) are neither sent nor required.
 *
 * No global state: usable from any thread. */
#ifndef KAFKA_SASL_OAUTHBEARER_H
#define KAFKA_SASL_OAUTHBEARER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KAFKA__OAUTHBEARER_ACK "\x01" /* the client's answer to an error challenge */

/* Whether token[0..len) is made of the characters a bearer token may hold here (as
 * Kafka's: letters, digits, '-', '_', '.'), so it cannot break the message's framing. */
bool kafka__oauthbearer_token_ok(const char *token, size_t len);

/* The client's message for token into a malloc'd buffer (*len its length); NULL when out
 * of memory or the token is not kafka__oauthbearer_token_ok(). The caller wipes and
 * frees it: it holds the token. */
uint8_t *kafka__oauthbearer_client_message(const char *token, size_t *len);

/* The server's reading of a client message: true with the token (a view into msg) and
 * the authorization identity (a view, *authzid_len 0 when none); false with why, naming
 * what is malformed without quoting the token. */
bool kafka__oauthbearer_server_parse(const uint8_t *msg, size_t len, const char **token, size_t *token_len,
                                     const char **authzid, size_t *authzid_len, char *why, size_t why_size);

#endif /* KAFKA_SASL_OAUTHBEARER_H */
