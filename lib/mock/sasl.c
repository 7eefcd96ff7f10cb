/* The mock's SASL server: PLAIN and SCRAM-SHA-256/512 against conf.sasl_users, and
 * OAUTHBEARER with unsecured JWTs, through SaslHandshake v0 (raw token frames) or v1 +
 * SaslAuthenticate, as Kafka's brokers do; KIP-368 session lifetimes and
 * re-authentication on the same connection (conf.sasl_session_lifetime_ms). */
#include <stdio.h>
#include <string.h>

#include "mock/mock_int.h"
#include "sasl/jwt.h"
#include "sasl/oauthbearer.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"

#define REAUTH_MIN_INTERVAL_MS 1000 /* Kafka refuses a re-authentication within a second of the last */

/* The next item of a comma-separated list at *pos (its length in *len), moving *pos past
 * it; false at the end. */
static bool next_item(const char **pos, const char **item, size_t *len) {
    const char *p = *pos;
    if (!p || !*p)
        return false;
    const char *comma = strchr(p, ',');
    *item = p;
    *len = comma ? (size_t)(comma - p) : strlen(p);
    *pos = comma ? comma + 1 : p + *len;
    return true;
}

/* Whether list holds name, case-sensitively as Kafka compares. */
static bool listed(const char *list, const char *name, size_t len) {
    const char *item;
    size_t n;
    while (next_item(&list, &item, &n))
        if (n == len && memcmp(item, name, len) == 0)
            return true;
    return false;
}

bool kmock__sasl_conf_ok(const char *mechanisms, char *errstr, size_t errstr_size) {
    const char *item;
    size_t n;
    while (next_item(&mechanisms, &item, &n))
        if (!listed("PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER", item, n)) {
            snprintf(errstr, errstr_size,
                     "SASL mechanism %.*s is not served (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)", (int)n,
                     item);
            return false;
        }
    return true;
}

/* The password of user in conf.sasl_users ("name:password,..."), copied into buf. */
static const char *lookup(const char *user, void *arg) {
    const kafka_mock_t *m = arg;
    static _Thread_local char buf[256];
    size_t ul = strlen(user);
    const char *pos = m->conf.sasl_users, *p;
    size_t n;
    while (next_item(&pos, &p, &n))
        if (n > ul && memcmp(p, user, ul) == 0 && p[ul] == ':' && n - ul - 1 < sizeof(buf)) {
            memcpy(buf, p + ul + 1, n - ul - 1);
            buf[n - ul - 1] = 0;
            return buf;
        }
    return NULL;
}

bool kmock__sasl_allows(const kafka_mock_t *m, const kmock_sasl_t *s, int16_t api_key) {
    if (!m->conf.sasl_mechanisms || s->stage == KMOCK_SASL_DONE) /* kafka_mock_new keeps no empty list */
        return true;
    if (s->stage == KMOCK_SASL_FAILED)
        return false;
    return api_key == KAFKA_API_API_VERSIONS || api_key == KAFKA_API_SASL_HANDSHAKE ||
           (api_key == KAFKA_API_SASL_AUTHENTICATE && s->stage == KMOCK_SASL_MECH && !s->raw);
}

bool kmock__sasl_expired(kafka_mock_t *m, const kmock_sasl_t *s, int16_t api_key, int64_t now) {
    if (s->stage != KMOCK_SASL_DONE || s->expires_at == 0 || now < s->expires_at || api_key == KAFKA_API_API_VERSIONS ||
        api_key == KAFKA_API_SASL_HANDSHAKE || api_key == KAFKA_API_SASL_AUTHENTICATE)
        return false;
    m->sasl_stats.expired_closes++;
    return true;
}

/* OAUTHBEARER's one token: a valid unsecured JWT authenticates; a malformed message
 * fails; a token Kafka's unsecured validator would refuse gets the error challenge,
 * after which the client's \x01 fails the exchange with the challenge as the message. */
static bool oauthbearer(kmock_sasl_t *s, const uint8_t *tok, size_t len, kafka_buf_t *out, char *why,
                        size_t why_size) {
    if (s->step == 1) {
        snprintf(why, why_size, "%s", s->challenge);
        return false;
    }
    const char *token, *authzid;
    size_t token_len, authzid_len;
    if (!kafka__oauthbearer_server_parse(tok, len, &token, &token_len, &authzid, &authzid_len, why, why_size))
        return false;
    kafka__jwt_t jwt;
    char jwhy[200];
    bool valid = kafka__jwt_parse(token, token_len, &jwt, jwhy, sizeof(jwhy)) && strcmp(jwt.alg, "none") == 0 &&
                 !jwt.signed_ && jwt.has_sub && jwt.sub[0] && jwt.has_exp && jwt.exp_ms > kafka__wall_ms() &&
                 (!authzid_len || (authzid_len == strlen(jwt.sub) && memcmp(authzid, jwt.sub, authzid_len) == 0));
    if (!valid) {
        snprintf(s->challenge, sizeof(s->challenge), "{\"status\":\"invalid_token\"}");
        kafka__buf_write(out, s->challenge, strlen(s->challenge));
        s->step = 1;
        return true;
    }
    snprintf(s->principal, sizeof(s->principal), "%s", jwt.sub);
    s->token_exp_ms = jwt.exp_ms;
    s->stage = KMOCK_SASL_DONE;
    return true;
}

/* One token of the chosen mechanism's exchange: the answer into out; false with why
 * when the client failed to authenticate. */
static bool step(kafka_mock_t *m, kmock_sasl_t *s, const uint8_t *tok, size_t len, kafka_buf_t *out, char *why,
                 size_t why_size) {
    if (s->step == 0 && m->sasl_fail_next > 0) {
        m->sasl_fail_next--;
        snprintf(why, why_size, "Authentication failed: kafka-mock refuses this authentication (sasl-fail)");
        return false;
    }
    if (strcmp(s->mech, "OAUTHBEARER") == 0)
        return oauthbearer(s, tok, len, out, why, why_size);
    if (strcmp(s->mech, "PLAIN") == 0) {
        /* authzid NUL user NUL password */
        const uint8_t *u = len ? memchr(tok, 0, len) : NULL;
        const uint8_t *pw = u ? memchr(u + 1, 0, len - (size_t)(u + 1 - tok)) : NULL;
        char user[256];
        size_t ul = u && pw ? (size_t)(pw - u - 1) : 0;
        const char *want = NULL;
        if (pw && ul < sizeof(user)) {
            memcpy(user, u + 1, ul);
            user[ul] = 0;
            want = lookup(user, m);
        }
        size_t pl = pw ? len - (size_t)(pw + 1 - tok) : 0;
        if (!want || strlen(want) != pl || memcmp(want, pw + 1, pl) != 0) {
            snprintf(why, why_size, "Authentication failed: Invalid username or password");
            return false;
        }
        snprintf(s->principal, sizeof(s->principal), "%s", user);
        s->stage = KMOCK_SASL_DONE;
        return true;
    }
    char msg[KAFKA__SCRAM_MAX_MSG], swhy[256];
    bool ok;
    if (s->step == 0) {
        ok = kafka__scram_server_first(&s->scram, s->mech, tok, len, lookup, m, msg, sizeof(msg), swhy, sizeof(swhy));
        s->step = 1;
    } else {
        ok = kafka__scram_server_final(&s->scram, tok, len, m->conf.sasl_scram_lenient, msg, sizeof(msg), swhy,
                                       sizeof(swhy));
        if (ok) {
            snprintf(s->principal, sizeof(s->principal), "%s", s->scram.user);
            s->stage = KMOCK_SASL_DONE;
        }
    }
    if (!ok) {
        snprintf(why, why_size,
                 "Authentication failed during authentication due to invalid credentials with SASL mechanism %s",
                 s->mech);
        return false;
    }
    kafka__buf_write(out, msg, strlen(msg));
    return true;
}

/* The exchange succeeded: the session's lifetime (KIP-368: the configured one, an
 * OAUTHBEARER token's remaining life if shorter) from now, counted; -1 when a
 * re-authentication named another principal (why says so), which fails it. */
static int64_t finish(kafka_mock_t *m, kmock_sasl_t *s, const char *prev_principal, int64_t now, char *why,
                      size_t why_size) {
    if (s->reauth && strcmp(prev_principal, s->principal) != 0) {
        snprintf(why, why_size, "Cannot change principals during re-authentication from %.60s to %.60s", prev_principal,
                 s->principal);
        return -1;
    }
    int64_t lifetime = m->conf.sasl_session_lifetime_ms > 0 ? m->conf.sasl_session_lifetime_ms : 0;
    if (lifetime && strcmp(s->mech, "OAUTHBEARER") == 0) {
        int64_t left = s->token_exp_ms - kafka__wall_ms();
        if (left < lifetime)
            lifetime = left > 1 ? left : 1;
    }
    s->expires_at = lifetime ? now + lifetime : 0;
    if (s->reauth) {
        s->reauths++;
        m->sasl_stats.reauthentications++;
        if (s->reauths > m->sasl_stats.max_reauths_per_connection)
            m->sasl_stats.max_reauths_per_connection = s->reauths;
    } else {
        m->sasl_stats.authentications++;
    }
    s->reauth = false;
    return lifetime;
}

bool kmock__sasl_raw(kafka_mock_t *m, kmock_sasl_t *s, const uint8_t *token, size_t len, kafka_buf_t *out) {
    char why[256], prev[sizeof(s->principal)];
    memcpy(prev, s->principal, sizeof(prev));
    size_t at = out->len;
    kafka__buf_i32(out, 0); /* the answer's size, known after it */
    if (!step(m, s, token, len, out, why, sizeof(why)) || out->oom ||
        (s->stage == KMOCK_SASL_DONE && finish(m, s, prev, kafka__now_ms(), why, sizeof(why)) < 0)) {
        out->len = at;
        s->stage = KMOCK_SASL_FAILED;
        m->sasl_stats.failures++;
        return false;
    }
    kafka__be32(out->data + at, (uint32_t)(out->len - at - 4));
    return true;
}

kmock_result_t kmock__handle_sasl_handshake(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_sasl_handshake_request_t *req = &rq->body->sasl_handshake;
    kafka_sasl_handshake_response_t *r = &resp->sasl_handshake;
    const char *mechs = rq->m->conf.sasl_mechanisms ? rq->m->conf.sasl_mechanisms : "";
    int32_t n = 0;
    const char *pos = mechs, *item;
    size_t len;
    while (next_item(&pos, &item, &len))
        n++;
    r->mechanisms.items = n > 0 ? kafka__arena_alloc(rq->arena, sizeof(kafka_str_t) * (size_t)n) : NULL;
    r->mechanisms.count = r->mechanisms.items ? n : 0;
    pos = mechs;
    for (int32_t i = 0; i < r->mechanisms.count && next_item(&pos, &item, &len); i++)
        r->mechanisms.items[i] = (kafka_str_t){item, (int32_t)len};
    kmock_sasl_t *s = rq->sasl;
    if (rq->inject)
        return KMOCK_RESPOND;
    /* KIP-368: a session with an end may start again, with the same mechanism, on v1, not
     * within a second of the last start; anything else after authentication is refused. */
    size_t ml = req->mechanism.len > 0 ? (size_t)req->mechanism.len : 0;
    bool reauth = s->stage == KMOCK_SASL_DONE && s->expires_at != 0 && rq->hdr->request_api_version >= 1 &&
                  (s->reauth_started == 0 || rq->now_ms - s->reauth_started >= REAUTH_MIN_INTERVAL_MS);
    if (s->stage != KMOCK_SASL_START && !reauth) {
        r->error_code = KAFKA_ERR_ILLEGAL_SASL_STATE;
        return KMOCK_RESPOND;
    }
    if (!listed(mechs, req->mechanism.str, ml) || ml >= sizeof(s->mech) ||
        (reauth && (strlen(s->mech) != ml || memcmp(s->mech, req->mechanism.str, ml) != 0))) {
        r->error_code = KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
        return KMOCK_RESPOND;
    }
    if (reauth) {
        s->reauth = true;
        s->reauth_started = rq->now_ms;
    }
    memcpy(s->mech, req->mechanism.str, (size_t)req->mechanism.len);
    s->mech[req->mechanism.len] = 0;
    s->stage = KMOCK_SASL_MECH;
    s->raw = rq->hdr->request_api_version == 0;
    s->step = 0;
    return KMOCK_RESPOND;
}

kmock_result_t kmock__handle_sasl_authenticate(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_sasl_authenticate_request_t *req = &rq->body->sasl_authenticate;
    kafka_sasl_authenticate_response_t *r = &resp->sasl_authenticate;
    kmock_sasl_t *s = rq->sasl;
    if (rq->inject) {
        s->stage = KMOCK_SASL_FAILED;
        r->error_message = kafka_str("Authentication failed: injected fault");
        return KMOCK_RESPOND;
    }
    if (s->stage != KMOCK_SASL_MECH) {
        r->error_code = KAFKA_ERR_ILLEGAL_SASL_STATE;
        return KMOCK_RESPOND;
    }
    kafka_buf_t out = KAFKA_BUF_INIT;
    char why[256], prev[sizeof(s->principal)];
    memcpy(prev, s->principal, sizeof(prev));
    int64_t lifetime = 0;
    if (!step(rq->m, s, req->auth_bytes.data, req->auth_bytes.len > 0 ? (size_t)req->auth_bytes.len : 0, &out, why,
              sizeof(why)) ||
        (s->stage == KMOCK_SASL_DONE && (lifetime = finish(rq->m, s, prev, rq->now_ms, why, sizeof(why))) < 0)) {
        rq->m->sasl_stats.failures++;
        s->stage = KMOCK_SASL_FAILED;
        r->error_code = KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
        char *msg = kafka__arena_alloc(rq->arena, strlen(why) + 1);
        if (msg) {
            memcpy(msg, why, strlen(why) + 1);
            r->error_message = kafka_str(msg);
        }
    } else if (out.len) {
        uint8_t *bytes = kafka__arena_alloc(rq->arena, out.len);
        if (bytes) {
            memcpy(bytes, out.data, out.len);
            r->auth_bytes = (kafka_bytes_t){bytes, (int32_t)out.len};
        }
    }
    r->session_lifetime_ms = lifetime;
    kafka__buf_free(&out);
    return KMOCK_RESPOND;
}
