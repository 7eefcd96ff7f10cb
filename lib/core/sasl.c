/* The client side of Kafka's SASL exchange (see sasl/sasl.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/sasl.h"
#include "sasl/oauthbearer.h"
#include "sasl/scram.h"
#include "util/arena.h"

#define TOKEN_MAX 4096 /* tokens of PLAIN and SCRAM are far smaller */

const char *kafka__sasl_mechanism_name(int64_t mechanism) {
    switch (mechanism) {
    case KAFKA_SASL_PLAIN: return "PLAIN";
    case KAFKA_SASL_SCRAM_SHA_256: return "SCRAM-SHA-256";
    case KAFKA_SASL_SCRAM_SHA_512: return "SCRAM-SHA-512";
    case KAFKA_SASL_OAUTHBEARER: return "OAUTHBEARER";
    default: return NULL;
    }
}

/* Whether this client speaks mechanism. */
static bool mechanism_known(const char *mechanism) {
    return mechanism && (strcmp(mechanism, "PLAIN") == 0 || strcmp(mechanism, "OAUTHBEARER") == 0 ||
                         kafka__scram_md(mechanism) != NULL);
}

__attribute__((format(printf, 4, 5))) static kafka_err_t fail(kafka_err_t err, char *why, size_t why_size,
                                                              const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return err;
}

/* One exchange step: token out, the broker's token back into in (*in_len). */
typedef struct exch_s {
    kafka__bconn_t *bc;
    bool raw;     /* v0 handshake: bare frames */
    int16_t auth_version;
    int64_t lifetime_ms;
    char broker_msg[300];
} exch_t;

static kafka_err_t round_trip(exch_t *x, const void *out, size_t out_len, uint8_t *in, size_t *in_len) {
    kafka__bconn_t *bc = x->bc;
    if (x->raw) {
        uint8_t size[4] = {(uint8_t)(out_len >> 24), (uint8_t)(out_len >> 16), (uint8_t)(out_len >> 8),
                           (uint8_t)out_len};
        struct iovec iov[2] = {{size, 4}, {(void *)out, out_len}};
        kafka_err_t e = kafka_io_sendv(bc->io, iov, 2, bc->request_timeout_ms);
        uint8_t *frame = NULL;
        size_t len = 0;
        if (!e)
            e = kafka_io_receive(bc->io, &frame, &len, TOKEN_MAX, bc->request_timeout_ms);
        if (e) {
            /* A v0 broker answers a failed authentication by closing the connection. */
            snprintf(x->broker_msg, sizeof(x->broker_msg), "%s", kafka_io_last_error(bc->io));
            return e == KAFKA_ERR__CANT_RECV ? KAFKA_ERR_SASL_AUTHENTICATION_FAILED : e;
        }
        memcpy(in, frame, len);
        *in_len = len;
        free(frame);
        return KAFKA_OK;
    }
    kafka_sasl_authenticate_request_t req;
    kafka_request_init(KAFKA_API_SASL_AUTHENTICATE, &req);
    req.auth_bytes = (kafka_bytes_t){out, (int32_t)out_len};
    kafka_sasl_authenticate_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_SASL_AUTHENTICATE, &req, &resp, &arena, &frame, NULL);
    if (!e && resp.error_code) {
        e = (kafka_err_t)resp.error_code;
        snprintf(x->broker_msg, sizeof(x->broker_msg), "%.*s", resp.error_message.len > 0 ? resp.error_message.len : 0,
                 resp.error_message.str ? resp.error_message.str : "");
    } else if (!e && resp.auth_bytes.len > TOKEN_MAX) {
        e = KAFKA_ERR__BAD_MSG;
        snprintf(x->broker_msg, sizeof(x->broker_msg), "a %d-byte SASL token", resp.auth_bytes.len);
    } else if (!e) {
        *in_len = resp.auth_bytes.len > 0 ? (size_t)resp.auth_bytes.len : 0;
        if (*in_len)
            memcpy(in, resp.auth_bytes.data, *in_len);
        x->lifetime_ms = resp.session_lifetime_ms;
    } else {
        snprintf(x->broker_msg, sizeof(x->broker_msg), "%s", kafka__bconn_last_error(bc));
    }
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

static kafka_err_t plain(exch_t *x, const char *user, const char *password) {
    size_t ul = strlen(user), pl = strlen(password);
    if (ul + pl + 2 > TOKEN_MAX)
        return KAFKA_ERR__INVALID_ARG;
    uint8_t tok[TOKEN_MAX], in[TOKEN_MAX];
    tok[0] = 0; /* no authorization identity */
    memcpy(tok + 1, user, ul);
    tok[1 + ul] = 0;
    memcpy(tok + 2 + ul, password, pl);
    size_t in_len = 0;
    kafka_err_t e = round_trip(x, tok, ul + pl + 2, in, &in_len);
    OPENSSL_cleanse(tok, sizeof(tok));
    return e;
}

static kafka_err_t scram(exch_t *x, const char *mechanism, const char *user, const char *password, char *why,
                         size_t why_size) {
    kafka__scram_client_t s;
    char out[KAFKA__SCRAM_MAX_MSG];
    uint8_t in[TOKEN_MAX];
    size_t in_len = 0;
    kafka_err_t e = KAFKA_OK;
    if (!kafka__scram_client_start(&s, mechanism, user, password, NULL, out, sizeof(out), why, why_size))
        e = KAFKA_ERR__INVALID_ARG;
    else if ((e = round_trip(x, out, strlen(out), in, &in_len)) == KAFKA_OK) {
        if (!kafka__scram_client_final(&s, in, in_len, out, sizeof(out), why, why_size))
            e = KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
        else if ((e = round_trip(x, out, strlen(out), in, &in_len)) == KAFKA_OK &&
                 !kafka__scram_client_verify(&s, in, in_len, why, why_size))
            e = KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    OPENSSL_cleanse(out, sizeof(out));
    kafka__scram_client_free(&s);
    return e;
}

/* The client's message with the token; a broker that refuses it answers with an error
 * challenge (JSON), which is acknowledged before the broker fails the exchange. */
static kafka_err_t oauthbearer(exch_t *x, const char *token, char *why, size_t why_size) {
    size_t len = 0;
    uint8_t *msg = kafka__oauthbearer_client_message(token, &len);
    if (!msg) {
        snprintf(why, why_size, "the token is empty or holds characters a bearer token may not");
        return KAFKA_ERR__AUTHENTICATION;
    }
    uint8_t in[TOKEN_MAX];
    size_t in_len = 0;
    kafka_err_t e = round_trip(x, msg, len, in, &in_len);
    OPENSSL_cleanse(msg, len);
    free(msg);
    if (e || in_len == 0)
        return e;
    char challenge[200];
    snprintf(challenge, sizeof(challenge), "%.*s", (int)in_len, (const char *)in);
    e = round_trip(x, KAFKA__OAUTHBEARER_ACK, 1, in, &in_len);
    if (!e || e == KAFKA_ERR_SASL_AUTHENTICATION_FAILED) {
        snprintf(why, why_size, "the broker refused the token: %s%s%s", challenge,
                 x->broker_msg[0] && strcmp(x->broker_msg, challenge) ? "; " : "",
                 x->broker_msg[0] && strcmp(x->broker_msg, challenge) ? x->broker_msg : "");
        return KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    return e;
}

/* SaslHandshake: the broker enables mechanism, or says which it does. */
static kafka_err_t handshake(exch_t *x, const char *mechanism, char *why, size_t why_size) {
    kafka__bconn_t *bc = x->bc;
    int16_t v = kafka__bconn_version(bc, KAFKA_API_SASL_HANDSHAKE);
    if (v < 0)
        return fail(KAFKA_ERR__UNKNOWN_APIKEY, why, why_size, "%s:%d: the broker speaks no SaslHandshake version",
                    bc->host, bc->port);
    x->auth_version = kafka__bconn_version(bc, KAFKA_API_SASL_AUTHENTICATE);
    if (x->auth_version < 0 && v > 0) { /* without SaslAuthenticate, the tokens go bare */
        bc->version[KAFKA_API_SASL_HANDSHAKE] = 0;
        v = 0;
    }
    x->raw = v == 0;
    kafka_sasl_handshake_request_t req;
    kafka_request_init(KAFKA_API_SASL_HANDSHAKE, &req);
    req.mechanism = kafka_str(mechanism);
    kafka_sasl_handshake_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_SASL_HANDSHAKE, &req, &resp, &arena, &frame, NULL);
    if (e) {
        fail(e, why, why_size, "SaslHandshake: %s", kafka__bconn_last_error(bc));
    } else if (resp.error_code == KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM) {
        e = KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
        size_t off = (size_t)snprintf(why, why_size,
                                      "%s:%d: UNSUPPORTED_SASL_MECHANISM: the broker does not enable %s; it offers ",
                                      bc->host, bc->port, mechanism);
        for (int32_t i = 0; i < resp.mechanisms.count && off < why_size; i++)
            off += (size_t)snprintf(why + off, why_size - off, "%s%.*s", i ? ", " : "", resp.mechanisms.items[i].len,
                                    resp.mechanisms.items[i].str);
        if (resp.mechanisms.count == 0 && off < why_size)
            snprintf(why + off, why_size - off, "none");
    } else if (resp.error_code) {
        e = (kafka_err_t)resp.error_code;
        fail(e, why, why_size, "%s:%d: SaslHandshake: %s", bc->host, bc->port, kafka_err_name(e));
    }
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

kafka_err_t kafka__sasl_authenticate(kafka__bconn_t *bc, const char *mechanism, const char *user,
                                     const char *password, int64_t *session_lifetime_ms, char *why, size_t why_size) {
    if (session_lifetime_ms)
        *session_lifetime_ms = 0;
    if (!mechanism_known(mechanism))
        return fail(KAFKA_ERR__INVALID_CONF, why, why_size, "sasl.mechanism %s is not one this client speaks "
                    "(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)", mechanism ? mechanism : "(none)");
    exch_t x = {bc, false, -1, 0, ""};
    kafka_err_t e = handshake(&x, mechanism, why, why_size);
    if (e)
        return e;
    char swhy[300] = "";
    bool oauth = strcmp(mechanism, "OAUTHBEARER") == 0;
    if (oauth)
        e = oauthbearer(&x, password ? password : "", swhy, sizeof(swhy));
    else if (strcmp(mechanism, "PLAIN") == 0)
        e = plain(&x, user ? user : "", password ? password : "");
    else
        e = scram(&x, mechanism, user ? user : "", password ? password : "", swhy, sizeof(swhy));
    if (e == KAFKA_ERR_SASL_AUTHENTICATION_FAILED)
        return fail(e, why, why_size, "%s:%d: SASL_AUTHENTICATION_FAILED: %s%s as %s %s: %s", bc->host, bc->port,
                    mechanism, x.raw ? " (SaslHandshake v0)" : "", oauth ? "principal" : "user",
                    user && *user ? user : "(none)",
                    swhy[0] ? swhy : x.broker_msg[0] ? x.broker_msg : "the broker refused");
    if (e)
        return fail(e, why, why_size, "%s:%d: SASL %s: %s", bc->host, bc->port, mechanism,
                    swhy[0] ? swhy : x.broker_msg[0] ? x.broker_msg : kafka_err2str(e));
    if (session_lifetime_ms)
        *session_lifetime_ms = x.lifetime_ms;
    return KAFKA_OK;
}
