/* kafka_err_t: one error space for the whole library.
 *
 * Broker (protocol) errors keep Kafka's own codes (>= 0, 0 = KAFKA_OK); client-side
 * errors are -100 and below and spelled KAFKA_ERR__NAME (two underscores). The table is
 * written once, as X-macros, and the enum, names, descriptions and retriable flags are
 * all generated from it. */
#ifndef KAFKA_ERROR_H
#define KAFKA_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Client errors: X(NAME, code, retriable, "description").
 * The first block are the Perl origin's client codes, then our own. MISMATCH_ARGUMENT
 * stays for the origin's callers to compare against; this library reports a bad
 * argument as INVALID_ARG everywhere. */
#define KAFKA_CLIENT_ERRORS(X)                                                                    \
    X(MISMATCH_ARGUMENT, -101, false, "Invalid argument")                                          \
    X(CANT_SEND, -102, true, "Cannot send request to the broker")                                  \
    X(CANT_RECV, -103, true, "Cannot receive a response from the broker")                          \
    X(CANT_BIND, -104, true, "Cannot connect to the broker")                                       \
    X(COMPRESSED_PAYLOAD, -105, false, "Unsupported compression codec in payload")                 \
    X(UNKNOWN_APIKEY, -106, false, "Unknown or unsupported API key")                               \
    X(CANT_GET_METADATA, -107, true, "Cannot get metadata")                                        \
    X(LEADER_NOT_FOUND, -108, true, "Leader not found for the topic partition")                    \
    X(MISMATCH_CORRELATIONID, -109, false, "Response correlation id does not match the request")   \
    X(NO_KNOWN_BROKERS, -110, true, "No known brokers are reachable")                              \
    X(REQUEST_OR_RESPONSE, -111, false, "Bad request or response")                                \
    X(TOPIC_DOES_NOT_MATCH, -112, false, "Response topic does not match the request")             \
    X(PARTITION_DOES_NOT_MATCH, -113, false, "Response partition does not match the request")     \
    X(NOT_BINARY_STRING, -114, false, "Value is not a binary string")                             \
    X(TIMED_OUT, -120, true, "Operation timed out")                                               \
    X(QUEUE_FULL, -121, true, "Producer queue is full")                                           \
    X(MSG_TOO_LARGE, -122, false, "Message is larger than the configured maximum")                \
    X(TRUNCATED, -130, false, "Input ends before the encoded value does")                         \
    X(BAD_MSG, -131, false, "Malformed protocol data")                                            \
    X(BAD_CRC, -132, false, "CRC checksum mismatch")                                              \
    X(BAD_COMPRESSION, -133, false, "Corrupt or undecodable compressed data")                     \
    X(UNSUPPORTED_VERSION, -134, false, "API version not supported by this client")               \
    X(UNSUPPORTED_COMPRESSION, -135, false, "Compression codec not supported")                    \
    X(NO_MEMORY, -136, true, "Out of memory")                                                     \
    X(INVALID_ARG, -137, false, "Invalid argument value")                                         \
    X(TRANSPORT, -138, true, "Broker connection failed")                                          \
    X(RESOLVE, -139, true, "Host name resolution failed")                                         \
    X(DESTROYED, -140, false, "Handle is being destroyed")                                        \
    X(INVALID_CONF, -141, false, "Invalid configuration")                                         \
    X(NO_OFFSET, -142, false, "No stored offset, and auto.offset.reset is error")                  \
    X(STATE, -143, false, "Not valid in the current state")                                        \
    X(AUTO_OFFSET_RESET, -144, false, "auto.offset.reset moved the position past messages not read")  \
    X(SSL, -145, false, "TLS failed (handshake, certificate) or only one side speaks TLS")       \
    X(AUTHENTICATION, -146, true, "No SASL credentials to authenticate with (OAUTHBEARER token)") \
    X(MAX_POLL_EXCEEDED, -147, false, "The application did not poll within max.poll.interval.ms: the group was left") \
    X(LOG_TRUNCATION, -148, false, "The partition's log was truncated behind the consumer (unclean leader election)") \
    X(TOPIC_RECREATED, -149, false, "The topic was deleted and re-created under its name (a new topic id): the position was reset") \
    X(UNKNOWN, -199, false, "Unknown client error")

/* Broker errors: X(NAME, code, retriable, "description"), Kafka's codes. */
#include "kafka/error_codes.h"

typedef enum kafka_err_e {
#define KAFKA__ERR_CLIENT_ENUM(name, code, retriable, desc) KAFKA_ERR__##name = (code),
#define KAFKA__ERR_BROKER_ENUM(name, code, retriable, desc) KAFKA_ERR_##name = (code),
    KAFKA_CLIENT_ERRORS(KAFKA__ERR_CLIENT_ENUM)
    KAFKA_BROKER_ERRORS(KAFKA__ERR_BROKER_ENUM)
#undef KAFKA__ERR_CLIENT_ENUM
#undef KAFKA__ERR_BROKER_ENUM
    KAFKA_OK = 0
} kafka_err_t;

/* Human-readable description; never NULL (unknown codes get a generic text). */
const char *kafka_err2str(kafka_err_t err);
/* The code's name without prefix, e.g. "NOT_LEADER_OR_FOLLOWER" or "_TIMED_OUT" for
 * client errors; never NULL. */
const char *kafka_err_name(kafka_err_t err);
/* True when retrying the same request later may succeed. */
bool kafka_err_retriable(kafka_err_t err);

#ifdef __cplusplus
}
#endif
#endif
