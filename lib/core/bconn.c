/* One broker connection: API version negotiation, requests one at a time or pipelined. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bconn.h"
#include "core/log.h"
#include "core/oauth.h"
#include "core/rmetrics.h"
#include "core/sasl.h"
#include "net/tls.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/vec.h"

/* ---- versions ---- */

/* Lowers bc's versions to the caps its client found for the broker. */
static void apply_caps(kafka__bconn_t *bc) {
    kafka__vcaps_apply(bc->vcaps, bc->host, bc->port, bc->version, bc->floor);
}

bool kafka__bconn_version_failed(kafka__bconn_t *bc, int16_t api_key, int16_t version, const char *why) {
    if (api_key < 0 || api_key > KAFKA__MAX_API_KEY)
        return false;
    if (bc->version[api_key] != version) /* another request already stepped it down */
        return bc->version[api_key] >= 0 && bc->version[api_key] < version;
    if (version <= bc->floor[api_key])
        return false;
    int16_t lower = (int16_t)(version - 1);
    bc->version[api_key] = lower;
    if (kafka__vcaps_lower(bc->vcaps, bc->host, bc->port, api_key, lower)) {
        char peer[300];
        int pl = snprintf(peer, sizeof(peer), "%s:%d: ", bc->host, bc->port);
        if (pl > 0 && strncmp(why, peer, (size_t)pl) == 0)
            why += pl; /* kafka__bconn_last_error()'s, which names the broker as the line does */
        const char *api = kafka_api_name(api_key);
        kafka__log(bc->conf, KAFKA__LOG_WARNING, "VERSION", NULL,
                   "broker %s:%d: its %s v%d response does not decode (%s); using %s v%d with this broker from now on",
                   bc->host, bc->port, api ? api : "?", (int)version, why, api ? api : "?", (int)lower);
    }
    return true;
}

/* ---- connections ---- */

/* What Kafka releases served before ApiVersions existed (protocol facts): 0.8.0/0.8.1
 * v0 of everything but group coordination; 0.8.2 added OffsetCommit/OffsetFetch v1 and
 * ConsumerMetadata (FindCoordinator v0); 0.9 Produce/Fetch v1, OffsetCommit v2 and v0 of
 * the group APIs (JoinGroup, Heartbeat, LeaveGroup, SyncGroup, DescribeGroups, ListGroups);
 * 0.10.0 Produce/Fetch v2, Metadata v1 and ApiVersions itself. */
void kafka__fallback_versions(const char *release, int16_t version[KAFKA__MAX_API_KEY + 1]) {
    int a = 0, b = 0, c = 0;
    sscanf(release ? release : "", "%d.%d.%d", &a, &b, &c);
    int rel = a * 10000 + b * 100 + c; /* 0.8.2 -> 802 */
    for (int k = 0; k <= KAFKA__MAX_API_KEY; k++)
        version[k] = -1;
    version[KAFKA_API_PRODUCE] = rel >= 1000 ? 2 : rel >= 900 ? 1 : 0;
    version[KAFKA_API_FETCH] = rel >= 1000 ? 2 : rel >= 900 ? 1 : 0;
    version[KAFKA_API_LIST_OFFSETS] = 0;
    version[KAFKA_API_METADATA] = rel >= 1000 ? 1 : 0;
    version[KAFKA_API_OFFSET_COMMIT] = rel >= 900 ? 2 : rel >= 802 ? 1 : 0;
    version[KAFKA_API_OFFSET_FETCH] = rel >= 802 ? 1 : 0;
    version[KAFKA_API_FIND_COORDINATOR] = rel >= 802 ? 0 : -1;
    static const int16_t groups[] = {KAFKA_API_JOIN_GROUP,      KAFKA_API_HEARTBEAT,       KAFKA_API_LEAVE_GROUP,
                                     KAFKA_API_SYNC_GROUP,      KAFKA_API_DESCRIBE_GROUPS, KAFKA_API_LIST_GROUPS};
    for (size_t i = 0; rel >= 900 && i < sizeof(groups) / sizeof(groups[0]); i++)
        version[groups[i]] = 0;
    if (rel >= 1000)
        version[KAFKA_API_API_VERSIONS] = 0;
}

/* Takes the broker's ranges and keeps, per API we speak, the highest common version. */
static void settle(kafka__bconn_t *bc, const kafka_api_versions_response_t *r) {
    for (int k = 0; k <= KAFKA__MAX_API_KEY; k++)
        bc->version[k] = bc->floor[k] = -1;
    for (int32_t i = 0; i < r->api_keys.count; i++) {
        const kafka_api_versions_response_api_version_t *v = &r->api_keys.items[i];
        int16_t lo, hi;
        if (v->api_key < 0 || v->api_key > KAFKA__MAX_API_KEY || !kafka_api_versions(v->api_key, &lo, &hi))
            continue;
        int16_t best = v->max_version < hi ? v->max_version : hi;
        int16_t floor = v->min_version > lo ? v->min_version : lo;
        bc->version[v->api_key] = best >= floor ? best : -1;
        bc->floor[v->api_key] = best >= floor ? floor : -1;
    }
    bc->negotiated = true;
}

static kafka_err_t ask_versions(kafka__bconn_t *bc, int16_t version, kafka_api_versions_response_t *resp,
                                kafka_arena_t *arena, uint8_t **frame, char *why, size_t why_size) {
    kafka_api_versions_request_t req;
    kafka_request_init(KAFKA_API_API_VERSIONS, &req);
    req.client_software_name = kafka_str("libkafka");
    req.client_software_version = kafka_str("0.1.0");
    kafka_request_header_t hdr = {KAFKA_API_API_VERSIONS, version, kafka__bconn_corr(bc), kafka_str(bc->client_id)};
    kafka_buf_t out = KAFKA_BUF_INIT;
    kafka_err_t e = kafka_request_encode(&out, &hdr, &req, why, why_size);
    int64_t t0 = kafka__now_us();
    if (!e) {
        kafka__rm_request(bc->rm, KAFKA_API_API_VERSIONS, out.len);
        e = kafka_io_send(bc->io, out.data, out.len, bc->request_timeout_ms);
    }
    kafka__buf_free(&out);
    size_t len = 0;
    if (!e)
        e = kafka_io_receive(bc->io, frame, &len, 0, bc->request_timeout_ms);
    if (e) {
        kafka__rm_error(bc->rm, KAFKA_API_API_VERSIONS, e, 1);
        snprintf(why, why_size, "%s", kafka_io_last_error(bc->io));
        return e;
    }
    kafka__rm_response(bc->rm, KAFKA_API_API_VERSIONS, kafka__now_us() - t0, len + 4);
    e = kafka_response_decode(*frame, len, KAFKA_API_API_VERSIONS, version, arena, NULL, resp, why, why_size);
    /* A broker that does not know our version answers at v0 with UNSUPPORTED_VERSION;
     * some (librdkafka's mock) send a body that fits neither version: its leading
     * error code (after the 4-byte v0 header) is all a client may rely on (KIP-511). */
    if (e && len >= 6 && (int16_t)((*frame)[4] << 8 | (*frame)[5]) == KAFKA_ERR_UNSUPPORTED_VERSION) {
        resp->error_code = KAFKA_ERR_UNSUPPORTED_VERSION;
        return KAFKA_OK;
    }
    return e;
}

/* TCP, then TLS when security.protocol says so (kafka_io_open). */
static kafka_io_t *connect_io(const kafka_conf_t *conf, const char *host, int port, kafka_err_t *errp, char *errstr,
                              size_t errstr_size) {
    kafka_io_t *io = kafka_io_open(conf, host, port, errp, errstr, errstr_size);
    char tls[160];
    if (io && kafka__io_tls_describe(io, tls, sizeof(tls)))
        kafka__log(conf, KAFKA__LOG_DEBUG, "TLS", NULL, "broker %s:%d: %s", host, port, tls);
    return io;
}

__attribute__((format(printf, 3, 4))) static kafka_err_t fail(kafka__bconn_t *bc, kafka_err_t err, const char *fmt,
                                                              ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bc->why, sizeof(bc->why), fmt, ap);
    va_end(ap);
    return err;
}

/* A point between 85% and 95% of a session of lifetime_ms from now, drawn per session
 * so that a client's connections do not all re-authenticate at once (Java's client
 * draws the same way). */
static int64_t reauth_point(kafka__bconn_t *bc, int64_t now, int64_t lifetime_ms) {
    uint64_t x = (uint64_t)now * 0x9E3779B97F4A7C15u ^ (uint64_t)(uintptr_t)bc ^ (uint64_t)bc->reauths << 32;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 32;
    int64_t permille = 850 + (int64_t)(x % 101);
    int64_t at = now + lifetime_ms * permille / 1000;
    return at > now ? at : now + 1;
}

/* SASL authentication as conf says, first or again (KIP-368): the mechanism's
 * credentials (for OAUTHBEARER the client's current token, refreshed when due), the
 * exchange, and the next re-authentication point from the session's lifetime. */
/* @thread owner of bc */
static kafka_err_t authenticate(kafka__bconn_t *bc, char *errstr, size_t errstr_size) {
    const kafka_conf_t *c = bc->conf;
    int64_t mechanism = kafka_conf_int(c, KAFKA_CONF_SASL_MECHANISM);
    const char *mech = kafka__sasl_mechanism_name(mechanism);
    const char *user = kafka_conf_str(c, KAFKA_CONF_SASL_USERNAME), *secret = kafka_conf_str(c, KAFKA_CONF_SASL_PASSWORD);
    char *token = NULL, principal[256] = "";
    kafka_err_t e = KAFKA_OK;
    if (mechanism == KAFKA_SASL_OAUTHBEARER) {
        char why[400];
        e = kafka__oauth_token(kafka__conf_oauth(c), c, &token, principal, sizeof(principal), why, sizeof(why));
        if (e) {
            snprintf(errstr, errstr_size, "%s:%d: SASL OAUTHBEARER: %s", bc->host, bc->port, why);
            return e;
        }
        user = principal;
        secret = token;
    }
    int64_t lifetime = 0;
    bc->authenticating = true;
    e = kafka__sasl_authenticate(bc, mech, user, secret, &lifetime, errstr, errstr_size);
    bc->authenticating = false;
    kafka__oauth_token_free(token);
    int64_t now = kafka__now_ms();
    bc->session_ms = e ? 0 : lifetime;
    bc->reauth_at = e || lifetime <= 0 ? 0 : reauth_point(bc, now, lifetime);
    return e;
}

/* Authenticates the connection again before its session ends, on the same socket. */
/* @thread owner of bc */
static kafka_err_t reauthenticate(kafka__bconn_t *bc) {
    char why[512];
    int64_t t0 = kafka__now_ms();
    kafka_err_t e = authenticate(bc, why, sizeof(why));
    if (e) {
        /* Whatever the broker made of it, the session is over: nothing more goes on this
         * connection (its owner closes it on the error). */
        bc->dead = true;
        return fail(bc, e, "%s:%d: re-authentication: %s", bc->host, bc->port, why);
    }
    bc->reauths++;
    kafka__log(bc->conf, KAFKA__LOG_DEBUG, "SASL", NULL,
               "broker %s:%d: re-authenticated in %lld ms (%s); the session lasts %lld ms", bc->host, bc->port,
               (long long)(kafka__now_ms() - t0),
               kafka__sasl_mechanism_name(kafka_conf_int(bc->conf, KAFKA_CONF_SASL_MECHANISM)),
               (long long)bc->session_ms);
    return KAFKA_OK;
}

/* The versions are settled: SASL authentication next when security.protocol asks for
 * it (after ApiVersions, as Kafka clients do; over TLS already for SASL_SSL). */
static kafka__bconn_t *ready(kafka__bconn_t *bc, kafka_err_t *errp, char *errstr, size_t errstr_size) {
    apply_caps(bc);
    int64_t sp = kafka_conf_int(bc->conf, KAFKA_CONF_SECURITY_PROTOCOL);
    if (sp == KAFKA_SECURITY_SASL_PLAINTEXT || sp == KAFKA_SECURITY_SASL_SSL) {
        kafka_err_t e = authenticate(bc, errstr, errstr_size);
        if (e) {
            *errp = e;
            kafka__bconn_close(bc);
            return NULL;
        }
    }
    *errp = KAFKA_OK;
    return bc;
}

kafka__bconn_t *kafka__bconn_open(const kafka_conf_t *conf, kafka__vcaps_t *vcaps, const char *host, int port,
                                  kafka_err_t *errp, char *errstr, size_t errstr_size) {
    kafka_err_t dummy;
    if (!errp)
        errp = &dummy;
    kafka__bconn_t *bc = calloc(1, sizeof(*bc));
    if (!bc) {
        *errp = KAFKA_ERR__NO_MEMORY;
        return NULL;
    }
    snprintf(bc->host, sizeof(bc->host), "%s", host);
    bc->port = port;
    snprintf(bc->client_id, sizeof(bc->client_id), "%s", kafka_conf_str(conf, KAFKA_CONF_CLIENT_ID));
    bc->request_timeout_ms = (int)kafka_conf_int(conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    bc->conf = conf;
    bc->vcaps = vcaps;
    bc->rm = kafka__rmetrics_broker(kafka__vcaps_metrics(vcaps), host, port);
    bc->next_corr = 1;
    bc->io = connect_io(conf, host, port, errp, errstr, errstr_size);
    if (!bc->io) {
        free(bc);
        return NULL;
    }
    kafka__fallback_versions(kafka_conf_str(conf, KAFKA_CONF_BROKER_VERSION_FALLBACK), bc->version);
    for (int k = 0; k <= KAFKA__MAX_API_KEY; k++)
        bc->floor[k] = bc->version[k] >= 0 ? 0 : -1;
    if (!kafka_conf_bool(conf, KAFKA_CONF_API_VERSION_REQUEST))
        return ready(bc, errp, errstr, errstr_size);
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_api_versions_response_t resp;
    char why[256] = "";
    kafka_err_t e = ask_versions(bc, KAFKA_API_API_VERSIONS_MAX_VERSION, &resp, &arena, &frame, why, sizeof(why));
    if (!e && resp.error_code == KAFKA_ERR_UNSUPPORTED_VERSION) {
        free(frame);
        frame = NULL;
        e = ask_versions(bc, 0, &resp, &arena, &frame, why, sizeof(why));
    }
    if (!e && resp.error_code == 0) {
        settle(bc, &resp);
    } else if (e == KAFKA_ERR__CANT_RECV) {
        /* Kafka 0.8/0.9 close the connection on a request they do not know: reconnect
         * and speak the 0.8 protocol (DESIGN.md), or broker.version.fallback if older. */
        int16_t v082[KAFKA__MAX_API_KEY + 1];
        kafka__fallback_versions("0.8.2", v082);
        for (int k = 0; k <= KAFKA__MAX_API_KEY; k++)
            if (v082[k] < bc->version[k])
                bc->version[k] = v082[k];
        for (int k = 0; k <= KAFKA__MAX_API_KEY; k++)
            bc->floor[k] = bc->version[k] >= 0 ? 0 : -1;
        kafka_io_close(bc->io);
        bc->fell_back = true;
        bc->io = connect_io(conf, host, port, errp, errstr, errstr_size);
        if (!bc->io) {
            free(frame);
            kafka__arena_free(&arena);
            free(bc);
            return NULL;
        }
    } else {
        *errp = e ? e : (kafka_err_t)resp.error_code;
        snprintf(errstr, errstr_size, "%s:%d: ApiVersions failed: %s", host, port,
                 e ? why : kafka_err2str((kafka_err_t)resp.error_code));
        free(frame);
        kafka__arena_free(&arena);
        kafka__bconn_close(bc);
        return NULL;
    }
    free(frame);
    kafka__arena_free(&arena);
    return ready(bc, errp, errstr, errstr_size);
}

void kafka__bconn_close(kafka__bconn_t *bc) {
    if (!bc)
        return;
    kafka_io_close(bc->io);
    free(bc->wait);
    free(bc);
}

const char *kafka__bconn_last_error(const kafka__bconn_t *bc) {
    return bc->why;
}

int32_t kafka__bconn_corr(kafka__bconn_t *bc) {
    int32_t corr = bc->next_corr++;
    if (bc->next_corr < 0)
        bc->next_corr = 1;
    return corr;
}

kafka_err_t kafka__bconn_sendv(kafka__bconn_t *bc, int16_t api_key, int16_t version, int32_t corr,
                               const struct iovec *iov, int iovcnt, bool answered) {
    if (bc->dead)
        return fail(bc, KAFKA_ERR__TRANSPORT, "%s:%d: the connection failed its re-authentication before", bc->host,
                    bc->port);
    if (bc->reauth_at && !bc->authenticating && bc->wait_n == 0 && kafka__now_ms() >= bc->reauth_at) {
        kafka_err_t e = reauthenticate(bc);
        if (e)
            return e;
    }
    if (answered) {
        if (bc->wait_n == bc->wait_cap) {
            int cap = bc->wait_cap ? bc->wait_cap * 2 : 4;
            kafka__bconn_req_t *grown = malloc(sizeof(*grown) * (size_t)cap);
            if (!grown)
                return fail(bc, KAFKA_ERR__NO_MEMORY, "%s:%d: out of memory", bc->host, bc->port);
            for (int i = 0; i < bc->wait_n; i++)
                grown[i] = bc->wait[(bc->wait_head + i) % bc->wait_cap];
            free(bc->wait);
            bc->wait = grown;
            bc->wait_cap = cap;
            bc->wait_head = 0;
        }
        bc->wait[(bc->wait_head + bc->wait_n++) % bc->wait_cap] =
            (kafka__bconn_req_t){corr, api_key, version, kafka__now_us()};
    }
    size_t bytes = 0;
    for (int i = 0; i < iovcnt; i++)
        bytes += iov[i].iov_len;
    kafka__rm_request(bc->rm, api_key, bytes);
    kafka_err_t e = kafka_io_sendv(bc->io, iov, iovcnt, bc->request_timeout_ms);
    if (e) {
        kafka__rm_error(bc->rm, api_key, e, 1);
        return fail(bc, e, "%s", kafka_io_last_error(bc->io));
    }
    return KAFKA_OK;
}

kafka_err_t kafka__bconn_receive(kafka__bconn_t *bc, void *resp, struct kafka_arena_s *arena, uint8_t **frame,
                                 int timeout_ms, int16_t *version_out) {
    *frame = NULL;
    if (bc->wait_n == 0)
        return fail(bc, KAFKA_ERR__STATE, "%s:%d: no request is waiting for a response", bc->host, bc->port);
    kafka__bconn_req_t r = bc->wait[bc->wait_head];
    bc->wait_head = (bc->wait_head + 1) % bc->wait_cap;
    bc->wait_n--;
    if (version_out)
        *version_out = r.version;
    size_t len = 0;
    kafka_err_t e = kafka_io_receive(bc->io, frame, &len, 0, timeout_ms);
    if (e)
        kafka__rm_error(bc->rm, r.api_key, e, 1);
    else
        kafka__rm_response(bc->rm, r.api_key, kafka__now_us() - r.sent_us, len + 4);
    /* Hung up on ApiVersions, then on a v0 request a 0.8 broker would answer: no Kafka
     * speaks like that, a TLS listener does (a plaintext client cannot tell more). */
    if (e == KAFKA_ERR__CANT_RECV && bc->fell_back && !bc->answered &&
        (kafka_conf_int(bc->conf, KAFKA_CONF_SECURITY_PROTOCOL) == KAFKA_SECURITY_PLAINTEXT ||
         kafka_conf_int(bc->conf, KAFKA_CONF_SECURITY_PROTOCOL) == KAFKA_SECURITY_SASL_PLAINTEXT))
        return fail(bc, KAFKA_ERR__SSL,
                    "%s:%d: the broker hung up on ApiVersions and on %s v%d before any response: not a Kafka "
                    "0.8 broker; is this a TLS listener? (security.protocol=SSL or SASL_SSL)",
                    bc->host, bc->port, kafka_api_name(r.api_key) ? kafka_api_name(r.api_key) : "?", (int)r.version);
    if (e)
        return fail(bc, e, "%s", kafka_io_last_error(bc->io));
    bc->answered = true;
    int32_t got = -1;
    char why[300];
    e = kafka_response_decode(*frame, len, r.api_key, r.version, arena, &got, resp, why, sizeof(why));
    if (!e && got != r.corr) {
        kafka__rm_error(bc->rm, r.api_key, KAFKA_ERR__MISMATCH_CORRELATIONID, 1);
        return fail(bc, KAFKA_ERR__MISMATCH_CORRELATIONID, "%s:%d: response correlation id %d, expected %d",
                    bc->host, bc->port, (int)got, (int)r.corr);
    }
    if (e) {
        kafka__rm_error(bc->rm, r.api_key, e, 1);
        fail(bc, e, "%s:%d: %s", bc->host, bc->port, why);
        /* The next request of the API goes at a lower version, if both speak one. */
        kafka__bconn_version_failed(bc, r.api_key, r.version, bc->why);
        return e;
    }
    return KAFKA_OK;
}

/* Encodes and writes one request at version, answered. */
static kafka_err_t send_one(kafka__bconn_t *bc, int16_t api_key, int16_t version, const void *req) {
    kafka_request_header_t hdr = {api_key, version, kafka__bconn_corr(bc), kafka_str(bc->client_id)};
    kafka_buf_t out = KAFKA_BUF_INIT;
    char why[256];
    kafka_err_t e = kafka_request_encode(&out, &hdr, req, why, sizeof(why));
    if (e)
        fail(bc, e, "%s:%d: %s", bc->host, bc->port, why);
    else
        e = kafka__bconn_sendv(bc, api_key, version, hdr.correlation_id, &(struct iovec){out.data, out.len}, 1, true);
    if (api_key == KAFKA_API_SASL_AUTHENTICATE && out.data) /* a password or token in the clear */
        explicit_bzero(out.data, out.cap);
    kafka__buf_free(&out);
    return e;
}

/* The version of api_key to use, at most max_version: -1 when that is below the lowest
 * the broker speaks. */
static int16_t version_upto(const kafka__bconn_t *bc, int16_t api_key, int16_t max_version) {
    int16_t v = kafka__bconn_version(bc, api_key);
    if (v > max_version)
        v = max_version < bc->floor[api_key] ? -1 : max_version;
    return v;
}

kafka_err_t kafka__bconn_request(kafka__bconn_t *bc, int16_t api_key, const void *req, void *resp,
                                 struct kafka_arena_s *arena, uint8_t **frame, int16_t *version_out) {
    return kafka__bconn_request_upto(bc, api_key, INT16_MAX, req, resp, arena, frame, version_out);
}

kafka_err_t kafka__bconn_request_upto(kafka__bconn_t *bc, int16_t api_key, int16_t max_version, const void *req,
                                      void *resp, struct kafka_arena_s *arena, uint8_t **frame,
                                      int16_t *version_out) {
    for (;;) {
        *frame = NULL;
        int16_t v = version_upto(bc, api_key, max_version);
        if (version_out)
            *version_out = v;
        if (v < 0) {
            const char *api = kafka_api_name(api_key) ? kafka_api_name(api_key) : "?";
            if (bc->fell_back) /* 0.8 or 0.9: the client cannot tell which */
                return fail(bc, KAFKA_ERR__UNKNOWN_APIKEY,
                            "%s:%d: the broker speaks no %s version this client does (it hung up on ApiVersions, "
                            "so it is taken for Kafka 0.8, which has no %s; a 0.9 broker has the group APIs with "
                            "api.version.request=false and broker.version.fallback=0.9.0)",
                            bc->host, bc->port, api, api);
            return fail(bc, KAFKA_ERR__UNKNOWN_APIKEY, "%s:%d: the broker speaks no %s version this client does",
                        bc->host, bc->port, api);
        }
        kafka_err_t e = send_one(bc, api_key, v, req);
        if (!e)
            e = kafka__bconn_receive(bc, resp, arena, frame, bc->request_timeout_ms, NULL);
        /* A whole frame came (so the stream is in step) but did not decode at v, and
         * receive stepped the API down: the same request again, lower. */
        bool undecodable = *frame && (e == KAFKA_ERR__BAD_MSG || e == KAFKA_ERR__TRUNCATED);
        if (!undecodable || version_upto(bc, api_key, max_version) >= v || version_upto(bc, api_key, max_version) < 0)
            return e;
        free(*frame);
        kafka__arena_free(arena);
    }
}

void kafka__bconn_note_error(kafka__bconn_t *bc, int16_t api_key, kafka_err_t err) {
    if (bc && err)
        kafka__rm_error(bc->rm, api_key, err, 1);
}
