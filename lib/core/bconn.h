/* One connection to one broker, with the API versions both sides speak: ApiVersions
 * negotiation (v3, then v0 when the broker answers UNSUPPORTED_VERSION, KIP-511), the
 * fallback to broker.version.fallback when the broker hangs up on ApiVersions (Kafka
 * 0.8/0.9) or api.version.request=false, and the step down to the next lower version
 * of an API whose response at the chosen version does not decode (a broker that lays a
 * version out differently from Kafka's definition, as librdkafka 2.0.2's mock does
 * ListOffsets v4/v5): kept per broker in the client's kafka__vcaps_t, so every later
 * connection to that broker starts lower.
 *
 * Requests go one at a time (kafka__bconn_request) or pipelined (kafka__bconn_sendv,
 * then kafka__bconn_receive for each answered one, in order: Kafka answers a
 * connection's requests in the order they came); either way the connection checks each
 * response's correlation id and decodes it at the version its request went at. This is
 * the one place bytes meet a broker: kafka__bconn_open connects with kafka_io_open
 * (TCP, and TLS for security.protocol=SSL), asks ApiVersions, then authenticates with
 * SASL for SASL_PLAINTEXT/SASL_SSL. When the broker limits the session (KIP-368:
 * SessionLifetimeMs in SaslAuthenticate v1+), the connection authenticates again, on
 * the same socket, when a request is written between 85% and 95% of the lifetime (the
 * point drawn per session) and no response is awaited; pipelined owners hold new
 * requests back meanwhile (kafka__bconn_may_send). Reconnecting, backoff and the log's
 * lost/restored lines are core/broker.h's, one level up.
 *
 * A kafka__bconn_t is not thread-safe: one owner (a broker worker, a fetcher, the
 * metadata thread, a consumer call). A kafka__vcaps_t is shared by all of a client's
 * connections. */
#ifndef KAFKA_CORE_BCONN_H
#define KAFKA_CORE_BCONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kafka/conf.h"
#include "kafka/io.h"
#include "kafka/protocol.h"

#define KAFKA__MAX_API_KEY 96 /* API keys above this are ignored in ApiVersions answers */

/* The highest version still to use per broker (host:port) and API key, lowered when a
 * response did not decode; shared by a client's connections (its own lock). */
typedef struct kafka__vcaps_s kafka__vcaps_t;

/* An empty table; NULL when out of memory. */
kafka__vcaps_t *kafka__vcaps_new(void);
/* Frees it (no connection may use it any more); NULL is a no-op. */
void kafka__vcaps_destroy(kafka__vcaps_t *vc);
/* Lowers version[] (not below floor[]) to the caps vc holds for host:port; vc NULL: none. */
/* @thread any  @locks vc's */
void kafka__vcaps_apply(kafka__vcaps_t *vc, const char *host, int port, int16_t version[KAFKA__MAX_API_KEY + 1],
                        const int16_t floor[KAFKA__MAX_API_KEY + 1]);
/* The client's request statistics (core/rmetrics.h), made with the table; NULL: none. */
struct kafka__rmetrics_s *kafka__vcaps_metrics(kafka__vcaps_t *vc);
/* Caps api_key at version for host:port; true when that lowered the cap (the first of the
 * client's connections to find it, which logs it), and always when vc is NULL. */
/* @thread any  @locks vc's */
bool kafka__vcaps_lower(kafka__vcaps_t *vc, const char *host, int port, int16_t api_key, int16_t version);

/* A pipelined request waiting for its response. */
typedef struct kafka__bconn_req_s {
    int32_t corr;
    int16_t api_key, version;
    int64_t sent_us; /* monotonic: the request's latency starts here */
} kafka__bconn_req_t;

struct kafka__rmbroker_s;

typedef struct kafka__bconn_s {
    kafka_io_t *io;
    char host[256];
    int port;
    bool negotiated;                           /* versions came from ApiVersions */
    bool fell_back;                            /* hung up on ApiVersions: speaking 0.8's protocol */
    bool answered;                             /* a response came on this connection */
    int16_t version[KAFKA__MAX_API_KEY + 1];   /* version to use per API key; -1: none in common */
    int16_t floor[KAFKA__MAX_API_KEY + 1];     /* the lowest version both sides speak */
    char client_id[256];
    int request_timeout_ms;
    const kafka_conf_t *conf; /* the client's, for the log */
    kafka__vcaps_t *vcaps;    /* the client's, or NULL */
    struct kafka__rmbroker_s *rm; /* this broker's request statistics in the client's (core/rmetrics.h), or NULL */
    int32_t next_corr;
    kafka__bconn_req_t *wait; /* answered requests written, oldest at wait_head */
    int wait_cap, wait_head, wait_n;
    char why[512]; /* the last failure, naming the broker */
    int64_t reauth_at;   /* monotonic ms from which to authenticate again (KIP-368); 0: never */
    int64_t session_ms;  /* the broker's last SessionLifetimeMs; 0: none */
    int64_t reauths;     /* re-authentications done on this connection */
    bool authenticating; /* a SASL exchange is under way: its requests do not re-authenticate */
    bool dead;           /* a re-authentication failed: nothing more is sent on it */
} kafka__bconn_t;

/* Connects to host:port and settles the API versions, none above what vcaps (the
 * client's table, NULL: none) holds for the broker. conf and vcaps must outlive the
 * connection. NULL on failure with *errp and errstr naming the broker and the cause. */
/* @thread any  @locks vcaps briefly */
kafka__bconn_t *kafka__bconn_open(const kafka_conf_t *conf, kafka__vcaps_t *vcaps, const char *host, int port,
                                  kafka_err_t *errp, char *errstr, size_t errstr_size);
void kafka__bconn_close(kafka__bconn_t *bc);

/* The version to use for api_key, or -1 when the broker speaks none we do. */
static inline int16_t kafka__bconn_version(const kafka__bconn_t *bc, int16_t api_key) {
    return api_key >= 0 && api_key <= KAFKA__MAX_API_KEY ? bc->version[api_key] : -1;
}

/* A failure to open a connection that retrying cannot mend: TLS refused (a certificate
 * not trusted, a key that does not load, a TLS/plaintext port mix-up) or SASL
 * authentication refused (a wrong password, a mechanism the broker does not enable).
 * Waits for such a broker end at once with it. */
static inline bool kafka__bconn_fatal(kafka_err_t err) {
    return err == KAFKA_ERR__SSL || err == KAFKA_ERR_SASL_AUTHENTICATION_FAILED ||
           err == KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
}

/* What the last failed call on bc failed of, naming the broker ("host:port: ..."). */
const char *kafka__bconn_last_error(const kafka__bconn_t *bc);

/* The next correlation id, for a request built by the caller (kafka__bconn_sendv). */
/* @thread owner */
int32_t kafka__bconn_corr(kafka__bconn_t *bc);

/* Writes a request the caller framed (size, header with corr from kafka__bconn_corr, body)
 * as api_key at version. answered: a response will come (false only for Produce with
 * acks=0), which kafka__bconn_receive then takes in turn. When a re-authentication is
 * due and no response is awaited, it runs first (SaslHandshake + SaslAuthenticate, a
 * fresh OAUTHBEARER token); its failure is this call's (SASL_AUTHENTICATION_FAILED,
 * KAFKA_ERR__AUTHENTICATION for a token not to be had, or a transport error). On
 * failure the connection is out of step (close it), kafka__bconn_last_error() says why. */
/* @thread owner  @locks none */
kafka_err_t kafka__bconn_sendv(kafka__bconn_t *bc, int16_t api_key, int16_t version, int32_t corr,
                               const struct iovec *iov, int iovcnt, bool answered);

/* Whether the session ends soon (KIP-368): the next request written re-authenticates
 * first, once no response is awaited. now: kafka__now_ms(). */
static inline bool kafka__bconn_reauth_due(const kafka__bconn_t *bc, int64_t now) {
    return bc->reauth_at != 0 && now >= bc->reauth_at;
}

/* Whether a pipelining owner may write another request now: not while a re-authentication
 * is due and responses are awaited (it waits for them, then writes, which re-authenticates). */
static inline bool kafka__bconn_may_send(const kafka__bconn_t *bc, int64_t now) {
    return bc->wait_n == 0 || !kafka__bconn_reauth_due(bc, now);
}

/* The number of answered requests written whose responses were not taken yet. */
static inline int kafka__bconn_waiting(const kafka__bconn_t *bc) {
    return bc->wait_n;
}

/* Reads the response to the oldest waiting request, checks its correlation id and
 * decodes it into resp (strings point into *frame, arrays into arena; the caller frees
 * both, also on failure) at that request's version. A whole response that does not
 * decode steps the API down a version on this broker (kafka__bconn_version_failed).
 * On failure the connection is out of step (close it): the error (a transport one,
 * MISMATCH_CORRELATIONID, BAD_MSG/TRUNCATED) and kafka__bconn_last_error() naming the
 * broker, the API and version. timeout_ms bounds the wait; *version_out (optional) is
 * the version the response was decoded at. */
/* @thread owner  @locks vcaps briefly */
kafka_err_t kafka__bconn_receive(kafka__bconn_t *bc, void *resp, struct kafka_arena_s *arena, uint8_t **frame,
                                 int timeout_ms, int16_t *version_out);

/* One round trip at the negotiated version (*version_out, optional, says which). A
 * response that does not decode steps the API down a version on this broker
 * (kafka__bconn_version_failed) and the request (the same req) is sent again, until a
 * version decodes or the lowest both speak did not: then the decode error (BAD_MSG or
 * TRUNCATED, kafka__bconn_last_error() naming the message, version and byte). A req value the
 * lower version cannot carry fails with the encoder's error; the next call, built for
 * kafka__bconn_version(), goes at that version.
 * KAFKA_ERR__UNKNOWN_APIKEY when the broker speaks no version of the API we do. */
/* @thread owner  @locks none */
kafka_err_t kafka__bconn_request(kafka__bconn_t *bc, int16_t api_key, const void *req, void *resp,
                                 struct kafka_arena_s *arena, uint8_t **frame, int16_t *version_out);

/* kafka__bconn_request at a version no higher than max_version (a request whose fields
 * a newer version cannot carry: Fetch v13+ names topics by id only). -1 (UNKNOWN_APIKEY)
 * when the broker speaks nothing that low. */
/* @thread owner  @locks none */
kafka_err_t kafka__bconn_request_upto(kafka__bconn_t *bc, int16_t api_key, int16_t max_version, const void *req,
                                      void *resp, struct kafka_arena_s *arena, uint8_t **frame,
                                      int16_t *version_out);

/* A response of the broker to api_key at version did not decode (why: the decoder's
 * message): when version is bc's current one and above the lowest both speak, bc uses
 * the next lower one from now on, the client's vcaps records it for later connections,
 * and the first connection of the client to drop it logs a warning naming the broker,
 * the API, the version dropped and why. true when a lower version is now in use (the
 * request may be sent again at kafka__bconn_version()), false at the lowest. */
/* @thread owner  @locks vcaps briefly */
bool kafka__bconn_version_failed(kafka__bconn_t *bc, int16_t api_key, int16_t version, const char *why);

/* The API versions a broker of this release serves, for broker.version.fallback
 * ("0.8.0", "0.8.2.2", "0.9.0", "0.10.0", ...): max version per key, -1 none. */
void kafka__fallback_versions(const char *release, int16_t version[KAFKA__MAX_API_KEY + 1]);

/* Counts an error the broker answered for api_key (a partition's error code in a
 * response that decoded) in the client's request statistics. */
void kafka__bconn_note_error(kafka__bconn_t *bc, int16_t api_key, kafka_err_t err);

#endif /* KAFKA_CORE_BCONN_H */
