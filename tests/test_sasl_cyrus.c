/* Our SASL client against a server we did not write: Cyrus SASL's (libsasl2, the
 * server side that Kafka-protocol servers built on it use), SCRAM-SHA-256,
 * SCRAM-SHA-512 and PLAIN.
 *
 * How Cyrus is set up here, without root and without touching /etc/sasl2:
 * - sasl_server_init() with a SASL_CB_GETOPT callback that answers the options a
 *   config file would: sasldb_path (a file in a fresh temporary directory),
 *   auxprop_plugin=sasldb, pwcheck_method=auxprop, mech_list (the three mechanisms) and
 *   scram_iteration_counter=4096 (Kafka's default and RFC 7677's minimum; Cyrus' own
 *   default, 10000, works as well).
 * - The users go into that sasldb with sasl_setpass(SASL_SET_CREATE) on a server
 *   connection: Cyrus stores the password, and its SCRAM plugin derives and stores the
 *   salted keys (authPassword-SCRAM-SHA-*) for every SCRAM hash.
 * - sasl_server_new() takes the service name "kafka" (what Kafka uses as the SASL
 *   service) and the realm "libkafka-test" as user_realm: Cyrus keys sasldb entries by
 *   user@realm, so the realm given when the password is set must be the one the server
 *   connection authenticates in. The client side needs no realm: SCRAM's n= and PLAIN's
 *   authcid carry the bare user name, Cyrus adds its realm (SASL_USERNAME is then
 *   "alice@libkafka-test").
 * - Cyrus' SCRAM server answers the client-final message with its server-final (v=)
 *   and SASL_CONTINUE, and says SASL_OK only after one more, empty, client step. Kafka's
 *   SaslAuthenticate exchange has no such round (its SCRAM server is done with the
 *   server-final, and clients send nothing more), so the broker here takes that step
 *   itself before answering.
 *
 * Two ways in: the SCRAM client of lib/sasl/scram.h talking to sasl_server_start/_step
 * directly, and the whole client exchange of lib/core/sasl.c (SaslHandshake v1 and
 * SaslAuthenticate over a socket) against a small in-test broker that passes the tokens
 * to Cyrus. In both, a right password is accepted by Cyrus and Cyrus' server signature
 * verified by our client; a wrong one is refused by Cyrus.
 *
 * Built with libsasl2-dev (scripts/install-deps.sh; Debian's libsasl2-modules has the
 * SCRAM, PLAIN and sasldb plugins); without it the test reports itself skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#ifdef KAFKA_HAVE_CYRUS_SASL
#include <netinet/in.h>
#include <pthread.h>
#include <sasl/sasl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/bconn.h"
#include "core/sasl.h"
#include "kafka/conf.h"
#include "kafka/protocol.h"
#include "sasl/scram.h"
#include "util/arena.h"
#include "util/buf.h"

#define REALM "libkafka-test"
#define MECHS "SCRAM-SHA-256 SCRAM-SHA-512 PLAIN"

static char sasldb_dir[] = "/tmp/kafka-cyrus-XXXXXX";
static char sasldb_path[sizeof(sasldb_dir) + 16];
static char cyrus_log[1024]; /* the last message Cyrus logged, for failure output */

static int getopt_cb(void *context, const char *plugin_name, const char *option, const char **result,
                     unsigned *len) {
    (void)context, (void)plugin_name;
    static const char *const opts[][2] = {{"auxprop_plugin", "sasldb"}, {"pwcheck_method", "auxprop"},
                                          {"mech_list", MECHS}, {"scram_iteration_counter", "4096"}};
    if (strcmp(option, "sasldb_path") == 0) {
        *result = sasldb_path;
    } else {
        *result = NULL;
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (strcmp(option, opts[i][0]) == 0)
                *result = opts[i][1];
        if (!*result)
            return SASL_FAIL;
    }
    if (len)
        *len = (unsigned)strlen(*result);
    return SASL_OK;
}

static int log_cb(void *context, int level, const char *message) {
    (void)context;
    if (level <= SASL_LOG_NOTE)
        snprintf(cyrus_log, sizeof(cyrus_log), "%s", message);
    return SASL_OK;
}

static const sasl_callback_t callbacks[] = {
    {SASL_CB_GETOPT, (int (*)(void))(void (*)(void))getopt_cb, NULL},
    {SASL_CB_LOG, (int (*)(void))(void (*)(void))log_cb, NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

static void cyrus_done(void) {
    sasl_server_done();
    unlink(sasldb_path);
    rmdir(sasldb_dir);
}

/* Cyrus initialised once for the process, the users in a fresh sasldb; false on failure. */
static int cyrus_setup(void) {
    if (!mkdtemp(sasldb_dir))
        return 1;
    atexit(cyrus_done);
    snprintf(sasldb_path, sizeof(sasldb_path), "%s/sasldb2", sasldb_dir);
    if (sasl_server_init(callbacks, "libkafka-test") != SASL_OK)
        return 1;
    sasl_conn_t *conn = NULL;
    if (sasl_server_new("kafka", "localhost", REALM, NULL, NULL, NULL, 0, &conn) != SASL_OK)
        return 1;
    const char *users[][2] = {{"alice", "wonderland"}, {"bob", "builder"}};
    for (size_t i = 0; i < 2; i++) {
        int r = sasl_setpass(conn, users[i][0], users[i][1], (unsigned)strlen(users[i][1]), NULL, 0,
                             SASL_SET_CREATE);
        if (r != SASL_OK) {
            fprintf(stderr, "sasl_setpass %s: %s (%s)\n", users[i][0], sasl_errstring(r, NULL, NULL),
                    sasl_errdetail(conn));
            sasl_dispose(&conn);
            return 1;
        }
    }
    sasl_dispose(&conn);
    return 0;
}

static bool cyrus_ready(void) {
    static int state = -1;
    if (state < 0)
        state = cyrus_setup();
    return state == 0;
}

static sasl_conn_t *server_new(void) {
    CU_ASSERT_FATAL(cyrus_ready());
    sasl_conn_t *conn = NULL;
    int r = sasl_server_new("kafka", "localhost", REALM, NULL, NULL, NULL, 0, &conn);
    if (r != SASL_OK)
        fprintf(stderr, "sasl_server_new: %s\n", sasl_errstring(r, NULL, NULL));
    CU_ASSERT_EQUAL_FATAL(r, SASL_OK);
    return conn;
}

/* Cyrus offers the three mechanisms, read from our options (not a system config). */
static void test_cyrus_mechanisms(void) {
    sasl_conn_t *conn = server_new();
    const char *list = NULL;
    unsigned len = 0;
    int count = 0;
    CU_ASSERT_EQUAL(sasl_listmech(conn, NULL, "", " ", "", &list, &len, &count), SASL_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "SCRAM-SHA-256"));
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "SCRAM-SHA-512"));
    CU_ASSERT_PTR_NOT_NULL(strstr(list, "PLAIN"));
    CU_ASSERT_EQUAL(count, 3);
    sasl_dispose(&conn);
}

/* lib/sasl/scram.h's client with Cyrus' server, in memory. Returns Cyrus' verdict
 * (SASL_OK: accepted, after the empty last step, see the top); *verified: our client
 * accepted Cyrus' server-final message. */
static int scram_direct(const char *mech, const char *user, const char *password, bool *verified) {
    sasl_conn_t *conn = server_new();
    kafka__scram_client_t c;
    char msg[KAFKA__SCRAM_MAX_MSG], why[256];
    *verified = false;
    CU_ASSERT_FATAL(kafka__scram_client_start(&c, mech, user, password, NULL, msg, sizeof(msg), why, sizeof(why)));
    const char *out = NULL;
    unsigned out_len = 0;
    int r = sasl_server_start(conn, mech, msg, (unsigned)strlen(msg), &out, &out_len);
    if (r == SASL_CONTINUE) { /* server-first: r=, s=, i= */
        bool ok = kafka__scram_client_final(&c, (const uint8_t *)out, out_len, msg, sizeof(msg), why, sizeof(why));
        if (!ok)
            fprintf(stderr, "%s: our client refused Cyrus' server-first: %s\n", mech, why);
        CU_ASSERT_FATAL(ok);
        r = sasl_server_step(conn, msg, (unsigned)strlen(msg), &out, &out_len);
    }
    if (r == SASL_CONTINUE) {
        *verified = kafka__scram_client_verify(&c, (const uint8_t *)out, out_len, why, sizeof(why));
        if (!*verified)
            fprintf(stderr, "%s: Cyrus' server-final refused: %s\n", mech, why);
        r = sasl_server_step(conn, "", 0, &out, &out_len);
    }
    if (r == SASL_OK) { /* Cyrus names the user with its realm */
        const void *name = NULL;
        char want[128];
        snprintf(want, sizeof(want), "%s@" REALM, user);
        CU_ASSERT_EQUAL(sasl_getprop(conn, SASL_USERNAME, &name), SASL_OK);
        CU_ASSERT_PTR_NOT_NULL(name);
        if (name)
            CU_ASSERT_STRING_EQUAL(name, want);
    }
    kafka__scram_client_free(&c);
    sasl_dispose(&conn);
    return r;
}

static void test_scram_direct(void) {
    const char *mechs[] = {"SCRAM-SHA-256", "SCRAM-SHA-512"};
    for (int i = 0; i < 2; i++) {
        bool verified;
        CU_ASSERT_EQUAL(scram_direct(mechs[i], "alice", "wonderland", &verified), SASL_OK);
        CU_ASSERT(verified);
        CU_ASSERT_EQUAL(scram_direct(mechs[i], "bob", "builder", &verified), SASL_OK);
        CU_ASSERT(verified);
        /* Refused at the proof: no server-final for our client to verify. */
        CU_ASSERT_EQUAL(scram_direct(mechs[i], "alice", "wonderlant", &verified), SASL_BADAUTH);
        CU_ASSERT_FALSE(verified);
        CU_ASSERT_EQUAL(scram_direct(mechs[i], "alice", "builder", &verified), SASL_BADAUTH); /* bob's */
        CU_ASSERT_FALSE(verified);
        /* An unknown user: Cyrus refuses the client-first message. */
        CU_ASSERT_EQUAL(scram_direct(mechs[i], "mallory", "x", &verified), SASL_NOUSER);
        CU_ASSERT_FALSE(verified);
    }
}

/* ---- the whole exchange of lib/core/sasl.c, with Cyrus behind a small broker ---- */

/* A broker of one connection at a time: ApiVersions, SaslHandshake v0-1 and
 * SaslAuthenticate v0-2, whose tokens go to Cyrus; anything else closes the connection. */
typedef struct broker_s {
    int listen_fd, port;
    pthread_t thread;
    /* after each connection (the test reads them once the client is done) */
    pthread_mutex_t lock;
    int result;         /* Cyrus' last answer: SASL_OK, SASL_BADAUTH, ... */
    char user[64];      /* authenticated as */
    int64_t lifetime;   /* session_lifetime_ms to answer with */
} broker_t;

static bool read_all(int fd, void *p, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static bool write_all(int fd, const void *p, size_t n) {
    for (size_t put = 0; put < n;) {
        ssize_t r = write(fd, (const char *)p + put, n - put);
        if (r <= 0)
            return false;
        put += (size_t)r;
    }
    return true;
}

/* Serves one connection until the client closes it. */
static void serve(broker_t *b, int fd) {
    sasl_conn_t *conn = NULL;
    char mech[32] = "";
    bool started = false;
    for (;;) {
        uint8_t size[4];
        if (!read_all(fd, size, 4))
            break;
        uint32_t len = (uint32_t)size[0] << 24 | (uint32_t)size[1] << 16 | (uint32_t)size[2] << 8 | size[3];
        if (len > 1 << 20)
            break;
        uint8_t *frame = malloc(len ? len : 1);
        if (!frame || !read_all(fd, frame, len)) {
            free(frame);
            break;
        }
        kafka_arena_t arena = KAFKA_ARENA_INIT;
        kafka_request_header_t hdr;
        kafka_request_u req;
        char err[256];
        kafka_response_u resp;
        char final[KAFKA__SCRAM_MAX_MSG]; /* the answer's bytes until it is encoded */
        bool ok = kafka_request_decode(frame, len, &arena, &hdr, &req, err, sizeof(err)) == KAFKA_OK;
        int16_t key = hdr.request_api_key;
        if (ok)
            kafka_response_init(key, &resp);
        if (ok && key == KAFKA_API_API_VERSIONS) {
            static kafka_api_versions_response_api_version_t apis[] = {
                {.api_key = KAFKA_API_API_VERSIONS, .min_version = 0, .max_version = 3},
                {.api_key = KAFKA_API_SASL_HANDSHAKE, .min_version = 0, .max_version = 1},
                {.api_key = KAFKA_API_SASL_AUTHENTICATE, .min_version = 0, .max_version = 2}};
            resp.api_versions.api_keys.items = apis;
            resp.api_versions.api_keys.count = 3;
        } else if (ok && key == KAFKA_API_SASL_HANDSHAKE) {
            static kafka_str_t offered[3];
            offered[0] = kafka_str("SCRAM-SHA-256");
            offered[1] = kafka_str("SCRAM-SHA-512");
            offered[2] = kafka_str("PLAIN");
            resp.sasl_handshake.mechanisms.items = offered;
            resp.sasl_handshake.mechanisms.count = 3;
            kafka_str_t m = req.sasl_handshake.mechanism;
            if (m.len <= 0 || (size_t)m.len >= sizeof(mech) || conn) {
                resp.sasl_handshake.error_code = KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
            } else {
                snprintf(mech, sizeof(mech), "%.*s", m.len, m.str);
                ok = sasl_server_new("kafka", "localhost", REALM, NULL, NULL, NULL, 0, &conn) == SASL_OK;
            }
        } else if (ok && key == KAFKA_API_SASL_AUTHENTICATE && conn) {
            kafka_bytes_t in = req.sasl_authenticate.auth_bytes;
            const char *out = NULL;
            unsigned out_len = 0;
            int r = started ? sasl_server_step(conn, (const char *)in.data, in.len > 0 ? (unsigned)in.len : 0, &out,
                                               &out_len)
                            : sasl_server_start(conn, mech, (const char *)in.data, in.len > 0 ? (unsigned)in.len : 0,
                                                &out, &out_len);
            started = true;
            if (r == SASL_CONTINUE && out_len > 2 && out_len < sizeof(final) && memcmp(out, "v=", 2) == 0) {
                /* Cyrus' SCRAM wants an empty last step that Kafka's protocol lacks. */
                memcpy(final, out, out_len);
                unsigned final_len = out_len;
                r = sasl_server_step(conn, "", 0, &out, &out_len);
                out = final;
                out_len = final_len;
            }
            pthread_mutex_lock(&b->lock);
            b->result = r;
            if (r == SASL_OK) {
                const void *name = NULL;
                sasl_getprop(conn, SASL_USERNAME, &name);
                snprintf(b->user, sizeof(b->user), "%s", name ? (const char *)name : "");
                resp.sasl_authenticate.session_lifetime_ms = b->lifetime;
            }
            pthread_mutex_unlock(&b->lock);
            if (r == SASL_OK || r == SASL_CONTINUE) {
                resp.sasl_authenticate.auth_bytes = (kafka_bytes_t){(const uint8_t *)out, (int32_t)out_len};
            } else {
                resp.sasl_authenticate.error_code = KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
                resp.sasl_authenticate.error_message = kafka_str(sasl_errstring(r, NULL, NULL));
            }
        } else {
            ok = false;
        }
        kafka_buf_t wbuf = KAFKA_BUF_INIT;
        ok = ok && kafka_response_encode(&wbuf, key, hdr.request_api_version, hdr.correlation_id, &resp, err,
                                         sizeof(err)) == KAFKA_OK;
        ok = ok && write_all(fd, wbuf.data, wbuf.len);
        kafka__buf_free(&wbuf);
        kafka__arena_free(&arena);
        free(frame);
        if (!ok)
            break;
    }
    if (conn)
        sasl_dispose(&conn);
}

static void *broker_loop(void *arg) {
    broker_t *b = arg;
    for (;;) {
        int fd = accept(b->listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL; /* the listener was shut down */
        serve(b, fd);
        close(fd);
    }
}

static void broker_start(broker_t *b) {
    memset(b, 0, sizeof(*b));
    pthread_mutex_init(&b->lock, NULL);
    b->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    CU_ASSERT_FATAL(b->listen_fd >= 0 && bind(b->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                    listen(b->listen_fd, 8) == 0 && getsockname(b->listen_fd, (struct sockaddr *)&sa, &sl) == 0);
    b->port = ntohs(sa.sin_port);
    CU_ASSERT_FATAL(pthread_create(&b->thread, NULL, broker_loop, b) == 0);
}

static void broker_stop(broker_t *b) {
    shutdown(b->listen_fd, SHUT_RDWR);
    pthread_join(b->thread, NULL);
    close(b->listen_fd);
    pthread_mutex_destroy(&b->lock);
}

/* kafka__sasl_authenticate over a connection to b; Cyrus' answer and user in *result, *user. */
static kafka_err_t auth(broker_t *b, const char *mech, const char *user, const char *pw, int64_t *lifetime,
                        char *why, size_t why_size) {
    kafka_conf_t *conf = kafka_conf_new();
    kafka_err_t err;
    char errstr[256];
    kafka__bconn_t *bc = kafka__bconn_open(conf, NULL, "127.0.0.1", b->port, &err, errstr, sizeof(errstr));
    if (!bc)
        fprintf(stderr, "connect: %s\n", errstr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    pthread_mutex_lock(&b->lock);
    b->result = -100;
    b->user[0] = 0;
    pthread_mutex_unlock(&b->lock);
    err = kafka__sasl_authenticate(bc, mech, user, pw, lifetime, why, why_size);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    return err;
}

static void test_core_exchange(void) {
    CU_ASSERT_FATAL(cyrus_ready());
    broker_t b;
    broker_start(&b);
    b.lifetime = 3600000;
    const char *mechs[] = {"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"};
    for (int i = 0; i < 3; i++) {
        char why[512] = "";
        int64_t lifetime = 0;
        kafka_err_t e = auth(&b, mechs[i], "alice", "wonderland", &lifetime, why, sizeof(why));
        if (e)
            fprintf(stderr, "%s: %s (Cyrus: %s)\n", mechs[i], why, cyrus_log);
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        CU_ASSERT_EQUAL(lifetime, 3600000); /* the broker's session_lifetime_ms reached us */
        pthread_mutex_lock(&b.lock);
        CU_ASSERT_EQUAL(b.result, SASL_OK);
        CU_ASSERT_STRING_EQUAL(b.user, "alice@" REALM);
        pthread_mutex_unlock(&b.lock);

        e = auth(&b, mechs[i], "alice", "wonderlant", NULL, why, sizeof(why));
        CU_ASSERT_EQUAL(e, KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "SASL_AUTHENTICATION_FAILED"));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, mechs[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "as user alice"));
        CU_ASSERT_PTR_NULL(strstr(why, "wonderlant"));
        pthread_mutex_lock(&b.lock);
        CU_ASSERT_EQUAL(b.result, SASL_BADAUTH);
        pthread_mutex_unlock(&b.lock);
    }
    broker_stop(&b);
}

static CU_TestInfo tests[] = {
    {"Cyrus offers SCRAM-SHA-256, SCRAM-SHA-512, PLAIN from our options", test_cyrus_mechanisms},
    {"our SCRAM client with Cyrus' server, both hashes: accepted and verified, or refused", test_scram_direct},
    {"lib/core/sasl.c's exchange with Cyrus behind SaslHandshake/SaslAuthenticate", test_core_exchange},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("sasl_cyrus", tests)
#else
int main(void) {
    printf("SKIP: built without libsasl2-dev (Cyrus SASL): scripts/install-deps.sh installs it\n");
    return 77;
}
#endif
