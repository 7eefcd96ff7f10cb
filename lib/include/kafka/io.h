/* kafka_io_t (the origin's Kafka::IO): one blocking TCP connection to a broker with
 * connect, send and receive timeouts, and the request/response round trip on top.
 *
 * Not thread-safe: one owner at a time (a broker worker, or a synchronous caller). */
#ifndef KAFKA_IO_H
#define KAFKA_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kafka/conf.h"
#include "kafka/error.h"
#include "kafka/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_io_s kafka_io_t;

#define KAFKA_IO_MAX_FRAME (100 * 1024 * 1024) /* a response larger than this is refused */

/* Resolves host (name, IPv4, or IPv6 literal, with or without [brackets]) and connects
 * to the first address that answers within timeout_ms overall. NULL on failure, with
 * *errp (optional) set to KAFKA_ERR__INVALID_ARG (empty host, port outside 1..65535),
 * KAFKA_ERR__RESOLVE, KAFKA_ERR__CANT_BIND (refused, unreachable) or
 * KAFKA_ERR__TIMED_OUT, and errstr naming host, port and the cause. */
kafka_io_t *kafka_io_connect(const char *host, int port, int timeout_ms, kafka_err_t *errp, char *errstr,
                             size_t errstr_size);
/* A connection as conf says: kafka_io_connect within request.timeout.ms, then with
 * security.protocol=SSL the TLS handshake in what is left of it, the broker's
 * certificate verified against ssl.ca.location and, with
 * ssl.endpoint.identification.algorithm=https, against host (SNI sent for names). NULL
 * on failure with *errp and errstr as kafka_io_connect's, or KAFKA_ERR__SSL (not
 * retriable: a bad ssl.* file or key password, an untrusted, expired or misnamed
 * certificate, a peer that does not speak TLS), errstr naming the cause ("is this a TLS
 * port?" when the peer hangs up on the handshake; KAFKA_ERR__TIMED_OUT with the same
 * question when it does not answer it in time). A plaintext
 * connection whose first response is a TLS record fails the same way on receive. */
kafka_io_t *kafka_io_open(const kafka_conf_t *conf, const char *host, int port, kafka_err_t *errp, char *errstr,
                          size_t errstr_size);
void kafka_io_close(kafka_io_t *io);

/* "host:port" as connected, and the numeric peer address. */
const char *kafka_io_peer(const kafka_io_t *io);

/* The socket, for a caller's own poll set (POLLIN: a response is arriving); -1 once the
 * connection is closed. Reads and writes still go through the calls below. shutdown()
 * on it makes a blocked receive return (KAFKA_ERR__CANT_RECV), TLS or not. */
int kafka_io_fd(const kafka_io_t *io);

/* Non-zero when bytes of the peer already came off the socket (TLS reads whole records
 * and reads ahead): poll() on kafka_io_fd() does not announce them, so check this first
 * and receive without waiting. Always 0 for plaintext. */
int kafka_io_pending(const kafka_io_t *io);

/* Writes all of iov (scatter-gather, no copy; any number of buffers) within timeout_ms.
 * KAFKA_ERR__CANT_SEND on a broken connection, KAFKA_ERR__TIMED_OUT,
 * KAFKA_ERR__INVALID_ARG for iovcnt < 0. After a transport error or timeout (send or
 * receive) the connection is closed: it may hold half a frame; reconnect. */
kafka_err_t kafka_io_sendv(kafka_io_t *io, const struct iovec *iov, int iovcnt, int timeout_ms);
kafka_err_t kafka_io_send(kafka_io_t *io, const void *buf, size_t len, int timeout_ms);

/* Reads one size-prefixed frame into *frame (malloc'd, *len bytes after the size
 * prefix; the caller frees it) within timeout_ms. KAFKA_ERR__CANT_RECV when the peer
 * closed, KAFKA_ERR__TIMED_OUT, KAFKA_ERR__REQUEST_OR_RESPONSE for a size above
 * max_frame (0: KAFKA_IO_MAX_FRAME) or negative. */
kafka_err_t kafka_io_receive(kafka_io_t *io, uint8_t **frame, size_t *len, size_t max_frame, int timeout_ms);

/* One round trip: encodes the request (header from api_key, version, a fresh
 * correlation id and client_id), sends it, reads the response, checks the correlation
 * id (KAFKA_ERR__MISMATCH_CORRELATIONID) and decodes it into resp with arrays from
 * arena. *frame receives the response bytes resp points into (caller frees). */
kafka_err_t kafka_io_request(kafka_io_t *io, int16_t api_key, int16_t version, const char *client_id,
                             const void *req, void *resp, struct kafka_arena_s *arena, uint8_t **frame,
                             int timeout_ms);

/* The last error of this connection, as the origin's last_error/last_errorcode. */
const char *kafka_io_last_error(const kafka_io_t *io);
kafka_err_t kafka_io_last_errorcode(const kafka_io_t *io);

#ifdef __cplusplus
}
#endif
#endif
