/* SASL: SCRAM against RFC 7677's published SCRAM-SHA-256 exchange, our SCRAM client
 * against our SCRAM server (both hashes, wrong passwords, forged server signatures,
 * hostile server messages). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metadata.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "core/sasl.h"
#include "sasl/scram.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>
#endif

#define U8(s) ((const uint8_t *)(s)), strlen(s)

/* RFC 7677, section 3: user "user", password "pencil". */
static void test_rfc7677_vector(void) {
    kafka__scram_client_t s;
    char out[KAFKA__SCRAM_MAX_MSG], why[256];
    CU_ASSERT_FATAL(kafka__scram_client_start(&s, "SCRAM-SHA-256", "user", "pencil", "rOprNGfwEbeRWgbNEkqO", out,
                                              sizeof(out), why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(out, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const char *server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    CU_ASSERT_FATAL(kafka__scram_client_final(&s, U8(server_first), out, sizeof(out), why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(out, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    CU_ASSERT(kafka__scram_client_verify(&s, U8("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), why, sizeof(why)));
    /* A server that does not know the keys cannot sign. */
    const char *forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    CU_ASSERT_FALSE(kafka__scram_client_verify(&s, U8(forged), why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "signature is wrong"));
    CU_ASSERT_FALSE(kafka__scram_client_verify(&s, U8("e=invalid-proof"), why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the server refused: invalid-proof"));
    kafka__scram_client_free(&s);
}

static const char *lookup(const char *user, void *arg) {
    (void)arg;
    if (strcmp(user, "alice") == 0)
        return "wonderland";
    if (strcmp(user, "bob,=x") == 0)
        return "builder";
    return NULL;
}

/* The whole exchange; returns whether the server accepted and the client verified. */
static bool exchange(const char *mech, const char *user, const char *password, char *why, size_t why_size) {
    kafka__scram_client_t c;
    kafka__scram_server_t s;
    char m1[KAFKA__SCRAM_MAX_MSG], m2[KAFKA__SCRAM_MAX_MSG], m3[KAFKA__SCRAM_MAX_MSG], m4[KAFKA__SCRAM_MAX_MSG];
    char swhy[256];
    m2[0] = 0;
    bool ok = kafka__scram_client_start(&c, mech, user, password, NULL, m1, sizeof(m1), why, why_size);
    ok = ok && kafka__scram_server_first(&s, mech, U8(m1), lookup, NULL, m2, sizeof(m2), swhy, sizeof(swhy));
    if (ok)
        ok = kafka__scram_client_final(&c, U8(m2), m3, sizeof(m3), why, why_size);
    if (ok) {
        bool accepted = kafka__scram_server_final(&s, U8(m3), false, m4, sizeof(m4), swhy, sizeof(swhy));
        ok = kafka__scram_client_verify(&c, U8(m4), why, why_size);
        CU_ASSERT_EQUAL(accepted, ok);
    } else if (m2[0] == 'e') {
        snprintf(why, why_size, "%s", m2);
    }
    kafka__scram_client_free(&c);
    return ok;
}

static void test_scram_client_server(void) {
    char why[256];
    CU_ASSERT(exchange("SCRAM-SHA-256", "alice", "wonderland", why, sizeof(why)));
    CU_ASSERT(exchange("SCRAM-SHA-512", "alice", "wonderland", why, sizeof(why)));
    CU_ASSERT(exchange("SCRAM-SHA-512", "bob,=x", "builder", why, sizeof(why))); /* escaped name */
    CU_ASSERT_FALSE(exchange("SCRAM-SHA-256", "alice", "wonderlant", why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the server refused: invalid-proof"));
    CU_ASSERT_FALSE(exchange("SCRAM-SHA-256", "mallory", "x", why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(why, "e=unknown-user");
    CU_ASSERT_FALSE(exchange("SCRAM-SHA-1", "alice", "wonderland", why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not a SCRAM mechanism"));
}

/* Server-first messages a client must refuse before computing anything. */
static void test_scram_hostile_server(void) {
    const char *bad[][2] = {
        {"r=other-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend"},
        {"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100", "outside 4096..1000000"},
        {"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999", "outside"},
        {"r=abcXYZ,s=!!!!,i=4096", "not base64"},
        {"r=abcXYZ,i=4096", "lacks s="},
        {"e=server-error", "refused: server-error"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kafka__scram_client_t c;
        char out[KAFKA__SCRAM_MAX_MSG], why[256];
        CU_ASSERT_FATAL(kafka__scram_client_start(&c, "SCRAM-SHA-256", "u", "p", "abc", out, sizeof(out), why,
                                                  sizeof(why)));
        CU_ASSERT_FALSE(kafka__scram_client_final(&c, U8(bad[i][0]), out, sizeof(out), why, sizeof(why)));
        if (!strstr(why, bad[i][1]))
            fprintf(stderr, "case %zu: %s\n", i, why);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i][1]));
        kafka__scram_client_free(&c);
    }
}

/* ---- the exchange with a broker (our mock) ---- */

static kafka_mock_t *start_sasl_mock(const char *mechanisms, bool lenient) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 1;
    mc.sasl_mechanisms = mechanisms;
    mc.sasl_users = "alice:wonderland,bob:builder";
    mc.sasl_scram_lenient = lenient;
    return kafka_test_mock_new(&mc);
}

static kafka__bconn_t *connect_to(kafka_mock_t *m, kafka_conf_t *conf) {
    kafka_err_t err;
    char errstr[256];
    kafka__bconn_t *bc =
        kafka__bconn_open(conf, NULL, "127.0.0.1", kafka_mock_broker_port(m, 1), &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    return bc;
}

/* Metadata on bc works (authenticated) or not. */
static bool metadata_ok(kafka__bconn_t *bc) {
    kafka_err_t err;
    char errstr[512];
    kafka__metadata_t *md = kafka__metadata_fetch(bc, NULL, 0, false, &err, errstr, sizeof(errstr));
    kafka__metadata_release(md);
    return md != NULL;
}

/* raw: as with a broker without SaslAuthenticate (SaslHandshake v0, bare token frames). */
static kafka_err_t auth(kafka_mock_t *m, const char *mech, const char *user, const char *pw, bool raw, bool *usable,
                        char *why, size_t why_size) {
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = connect_to(m, conf);
    if (raw)
        bc->version[KAFKA_API_SASL_AUTHENTICATE] = -1;
    kafka_err_t e = kafka__sasl_authenticate(bc, mech, user, pw, NULL, why, why_size);
    *usable = metadata_ok(bc);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    return e;
}

static void test_exchange_with_mock(void) {
    kafka_mock_t *m = start_sasl_mock("PLAIN,SCRAM-SHA-256,SCRAM-SHA-512", false);
    char why[512];
    bool usable;
    for (int raw = 0; raw < 2; raw++) {
        const char *mechs[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
        for (int i = 0; i < 3; i++) {
            CU_ASSERT_EQUAL(auth(m, mechs[i], "alice", "wonderland", raw, &usable, why, sizeof(why)), KAFKA_OK);
            CU_ASSERT(usable);
            /* A wrong password: the cause named, the password never. */
            CU_ASSERT_EQUAL(auth(m, mechs[i], "alice", "wonderlant", raw, &usable, why, sizeof(why)),
                            KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
            CU_ASSERT_FALSE(usable);
            CU_ASSERT_PTR_NOT_NULL(strstr(why, "SASL_AUTHENTICATION_FAILED"));
            CU_ASSERT_PTR_NOT_NULL(strstr(why, "as user alice"));
            CU_ASSERT_PTR_NULL(strstr(why, "wonderlant"));
            if (!raw && i == 0)
                CU_ASSERT_PTR_NOT_NULL(strstr(why, "Invalid username or password")); /* the broker's message */
        }
    }
    /* Not authenticated: the broker serves nothing (it hangs up). */
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = connect_to(m, conf);
    CU_ASSERT_FALSE(metadata_ok(bc));
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

static void test_mechanism_not_enabled(void) {
    kafka_mock_t *m = start_sasl_mock("SCRAM-SHA-512", false);
    char why[512];
    bool usable;
    CU_ASSERT_EQUAL(auth(m, "PLAIN", "alice", "wonderland", false, &usable, why, sizeof(why)),
                    KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "does not enable PLAIN; it offers SCRAM-SHA-512"));
    CU_ASSERT_EQUAL(auth(m, "GSSAPI", "alice", "wonderland", false, &usable, why, sizeof(why)),
                    KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "GSSAPI is not one this client speaks"));
    kafka_mock_destroy(m);
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.sasl_mechanisms = "PLAIN,GSSAPI";
    char errstr[256];
    CU_ASSERT_PTR_NULL(kafka_mock_new(&mc, errstr, sizeof(errstr)));
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "GSSAPI is not served"));
}

/* ---- producer and consumer with security.protocol SASL_* ---- */

/* n messages produced with kv to topic (2 partitions), then read back from the start; the
 * count read (each checked once). */
static size_t produce_and_consume(const char *bootstrap, const char *const *kv, const char *topic, size_t n) {
    kafka_test_produce(bootstrap, kv, topic, 2, n, 64, "sasl-");
    return kafka_test_consume(bootstrap, kv, topic, 2, n, "sasl-");
}

static void test_clients_over_sasl(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 2;
    mc.retention_bytes = 0;
    mc.sasl_mechanisms = "PLAIN,SCRAM-SHA-512";
    mc.sasl_users = "alice:wonderland";
    mc.tls = true;
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    const char *plain[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                           "sasl.username", "alice", "sasl.password", "wonderland", NULL};
    CU_ASSERT_EQUAL(produce_and_consume(kafka_mock_bootstrap(m), plain, "secured", 2000), 2000);
    const char *ssl[] = {"security.protocol", "SASL_SSL", "ssl.ca.location", kafka_mock_tls_ca(m),
                         "sasl.mechanisms", "PLAIN", "sasl.username", "alice", "sasl.password", "wonderland", NULL};
    CU_ASSERT_EQUAL(produce_and_consume(kafka_mock_bootstrap_ssl(m), ssl, "secured-tls", 2000), 2000);

    /* A wrong password: refused at once, the cause named, the password never. */
    const char *bad[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                         "sasl.username", "alice", "sasl.password", "wonderlant", NULL};
    kafka_conf_t *conf = kafka_test_conf(kafka_mock_bootstrap(m), bad);
    char err[1024];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_produce_msg_t msg = {.value = "x", .value_len = 1};
    int64_t t0 = kafka_test_now_ms();
    kafka_err_t e = kafka_producer_produce(p, "secured", 0, &msg, NULL, err, sizeof(err));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
    CU_ASSERT(kafka_test_now_ms() - t0 < 2000);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "SCRAM-SHA-512 as user alice"));
    CU_ASSERT_PTR_NULL(strstr(err, "wonderlant"));
    kafka_producer_destroy(p);
    /* A mechanism the broker does not enable: its list named. */
    const char *mech[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256",
                          "sasl.username", "alice", "sasl.password", "wonderland", NULL};
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), mech);
    kafka_topic_partition_t tp = {"secured", 0, KAFKA_OFFSET_BEGINNING};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "it offers PLAIN, SCRAM-SHA-512"));
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* The producer worker's path for a leader that refuses the login: what is queued for it
 * fails at once (kafka__ppart_expire(..., all)), not after delivery.timeout.ms. Broker 2
 * leads every partition and refuses alice's login as a wrong password is refused
 * (SaslAuthenticate answered SASL_AUTHENTICATION_FAILED, the connection then closed);
 * broker 1, the bootstrap, lets the metadata through, so the messages are accepted and
 * queued for broker 2's worker. */
static void test_producer_refused_leader(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 2;
    mc.sasl_mechanisms = "SCRAM-SHA-512";
    mc.sasl_users = "alice:wonderland";
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "refused", 4, 2), KAFKA_OK);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "refused", i, 2), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_SASL_AUTHENTICATE, 2, 100000,
                                          KAFKA_ERR_SASL_AUTHENTICATION_FAILED), KAFKA_OK);
    char bootstrap[64];
    snprintf(bootstrap, sizeof(bootstrap), "127.0.0.1:%d", kafka_mock_broker_port(m, 1));
    const char *kv[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.username",
                        "alice", "sasl.password", "wonderland", "delivery.timeout.ms", "60000", "linger.ms", "50",
                        NULL};
    kafka_conf_t *conf = kafka_test_conf(bootstrap, kv);
    char err[1024];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    enum { N = 2000 };
    kafka_test_dr_t dr;
    kafka_test_dr_init(&dr, N);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, &dr);
    int64_t t0 = kafka_test_now_ms();
    int sent = 0;
    for (size_t i = 0; i < N; i++) {
        char value[64];
        int len = kafka_test_filler(value, "refused-", i, 40, false);
        kafka_produce_msg_t msg = {.value = value, .value_len = (size_t)len};
        kafka_err_t e = kafka_producer_produce(p, "refused", (int32_t)(i % 4), &msg, (void *)(i + 1), err, sizeof(err));
        if (e)
            fprintf(stderr, "produce %zu: %s\n", i, err);
        sent += e == KAFKA_OK;
    }
    CU_ASSERT_EQUAL(sent, N); /* accepted: the metadata came through broker 1 */
    kafka_err_t fe = kafka_producer_flush(p, 20000, err, sizeof(err));
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT_EQUAL(fe, KAFKA_OK); /* every message reported */
    CU_ASSERT(took < 10000);       /* at once, not after delivery.timeout.ms (60 s) */
    CU_ASSERT_EQUAL(atomic_load(&dr.reports), sent); /* none lost */
    CU_ASSERT_EQUAL(atomic_load(&dr.failed), sent);  /* none delivered */
    CU_ASSERT_EQUAL(atomic_load(&dr.dups), 0);
    int refused = 0;
    for (size_t i = 0; i < N; i++)
        refused += dr.err[i] == KAFKA_ERR_SASL_AUTHENTICATION_FAILED && strstr(dr.why[i], "SASL_AUTHENTICATION_FAILED");
    CU_ASSERT_EQUAL(refused, sent);
    CU_ASSERT_PTR_NOT_NULL(strstr(dr.last_err, "refuses the connection: SASL_AUTHENTICATION_FAILED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dr.last_err, "SCRAM-SHA-512 as user alice"));
    CU_ASSERT_PTR_NULL(strstr(dr.last_err, "wonderland"));
    for (int i = 0; i < 4; i++) {
        int64_t ls = -1, hw = -1;
        CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "refused", i, &ls, &hw), KAFKA_OK);
        CU_ASSERT_EQUAL(hw, 0); /* nothing reached the log */
    }
    kafka_producer_destroy(p);
    kafka_test_dr_free(&dr);
    kafka_mock_destroy(m);
}

/* One cluster, a PLAINTEXT and a SASL_SSL listener: each client is told the brokers'
 * ports of its own listener (a client given the other's would fail its handshake), and
 * both see one log. */
static void test_listeners(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 2;
    mc.retention_bytes = 0;
    mc.listeners = "PLAINTEXT,sasl_ssl";
    mc.sasl_mechanisms = "SCRAM-SHA-256";
    mc.sasl_users = "alice:wonderland";
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_EQUAL(kafka_mock_listener_count(m), 2);
    CU_ASSERT_STRING_EQUAL(kafka_mock_listener_protocol(m, 1), "SASL_SSL");
    CU_ASSERT_PTR_NULL(kafka_mock_listener_protocol(m, 2));
    CU_ASSERT_STRING_EQUAL(kafka_mock_bootstrap_listener(m, "PLAINTEXT"), kafka_mock_bootstrap(m));
    CU_ASSERT_STRING_EQUAL(kafka_mock_bootstrap_listener(m, "SASL_SSL"), kafka_mock_bootstrap_ssl(m));
    CU_ASSERT_PTR_NULL(kafka_mock_bootstrap_listener(m, "SSL"));
    CU_ASSERT_PTR_NULL(kafka_mock_bootstrap_listener(m, NULL));
    CU_ASSERT_EQUAL(kafka_mock_broker_listener_port(m, 1, "SSL"), -1);
    CU_ASSERT_EQUAL(kafka_mock_broker_listener_port(m, 2, "sasl_ssl"), kafka_mock_broker_ssl_port(m, 2));
    CU_ASSERT_NOT_EQUAL(kafka_mock_broker_port(m, 2), kafka_mock_broker_ssl_port(m, 2));
    CU_ASSERT_PTR_NOT_NULL_FATAL(kafka_mock_tls_ca(m)); /* a TLS listener implies tls */
    const char *sasl_ssl[] = {"security.protocol", "SASL_SSL", "ssl.ca.location", kafka_mock_tls_ca(m),
                              "sasl.mechanism", "SCRAM-SHA-256", "sasl.username", "alice", "sasl.password",
                              "wonderland", NULL};
    kafka_test_produce(kafka_mock_bootstrap_ssl(m), sasl_ssl, "both", 2, 500, 64, "sasl-");
    CU_ASSERT_EQUAL(kafka_test_consume(kafka_mock_bootstrap(m), NULL, "both", 2, 500, "sasl-"), 500);
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, "both-2", 2, 500, 64, "sasl-");
    CU_ASSERT_EQUAL(kafka_test_consume(kafka_mock_bootstrap_ssl(m), sasl_ssl, "both-2", 2, 500, "sasl-"), 500);
    /* Off a SASL listener there is nothing to authenticate: Kafka's answer. */
    char why[512];
    bool usable;
    CU_ASSERT_EQUAL(auth(m, "SCRAM-SHA-256", "alice", "wonderland", false, &usable, why, sizeof(why)),
                    KAFKA_ERR_ILLEGAL_SASL_STATE);
    CU_ASSERT(usable);
    kafka_mock_destroy(m);

    const char *bad[][3] = {{"PLAINTEXT,SSL,plaintext", "PLAIN", "listener PLAINTEXT is named twice"},
                            {"PLAINTEXT,TLS", "PLAIN", "listener \"TLS\": not a security protocol"},
                            {"", "PLAIN", "listener \"\": not a security protocol"},
                            {"PLAINTEXT,", "PLAIN", "listener \"\": not a security protocol"},
                            {"SASL_PLAINTEXT", NULL, "listener SASL_PLAINTEXT needs SASL mechanisms"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kafka_mock_conf_init(&mc);
        mc.listeners = bad[i][0];
        mc.sasl_mechanisms = bad[i][1];
        char errstr[256] = "";
        CU_ASSERT_PTR_NULL(kafka_mock_new(&mc, errstr, sizeof(errstr)));
        if (!strstr(errstr, bad[i][2]))
            fprintf(stderr, "listeners \"%s\": %s\n", bad[i][0], errstr);
        CU_ASSERT_PTR_NOT_NULL(strstr(errstr, bad[i][2]));
    }
}

#ifdef KAFKA_HAVE_RDKAFKA
typedef struct rdk_seen_s {
    int delivered, failed;
    char error[512];
} rdk_seen_t;

static void rdk_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    rdk_seen_t *s = opaque;
    (void)rk;
    if (msg->err)
        s->failed++;
    else
        s->delivered++;
}

static void rdk_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    rdk_seen_t *s = opaque;
    (void)rk, (void)err;
    if (!s->error[0])
        snprintf(s->error, sizeof(s->error), "%s", reason);
}

/* librdkafka's producer (an independent SASL client) authenticates with our mock and
 * delivers, or is refused with a wrong password. A delivery that should succeed gets 5 s:
 * librdkafka 2.0.2 sometimes sends its first Metadata request before the topic is
 * produced to and asks for the topic only a second later, which a 1 s message timeout
 * (enough to see a refusal) lost to. */
static bool rdk_produce(kafka_mock_t *m, const char *mech, const char *password, bool ok, rdk_seen_t *s) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[] = {"bootstrap.servers", kafka_mock_bootstrap(m), "security.protocol", "sasl_plaintext",
                        "sasl.mechanisms", mech, "sasl.username", "alice", "sasl.password", password,
                        "message.timeout.ms", ok ? "5000" : "1000", "log_level", "0", NULL};
    for (const char **p = kv; *p; p += 2)
        if (rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "librdkafka conf %s: %s\n", p[0], err);
            rd_kafka_conf_destroy(conf);
            return false;
        }
    memset(s, 0, sizeof(*s));
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, rdk_dr);
    rd_kafka_conf_set_error_cb(conf, rdk_error);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    for (int i = 0; i < 10; i++) {
        rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("secured"), RD_KAFKA_V_VALUE("hello", 5),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        CU_ASSERT_EQUAL(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    rd_kafka_flush(rk, 8000);
    rd_kafka_destroy(rk);
    return true;
}

static void test_rdkafka_client_with_mock(void) {
    const char *mechs[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    for (int lenient = 0; lenient < 2; lenient++) {
        kafka_mock_t *m = start_sasl_mock("PLAIN,SCRAM-SHA-256,SCRAM-SHA-512", lenient);
        for (int i = 0; i < 3; i++) {
            /* librdkafka before 2.6.1 repeats its nonce in SCRAM's client-final message:
             * a strict broker (RFC 5802, Kafka 4) refuses it, a lenient one (Kafka 3.8.1-3.9)
             * takes it. */
            bool ok = i == 0 || lenient || rd_kafka_version() >= 0x020601ff;
            rdk_seen_t s;
            CU_ASSERT_FATAL(rdk_produce(m, mechs[i], "wonderland", ok, &s));
            CU_ASSERT_EQUAL(s.delivered, ok ? 10 : 0);
            CU_ASSERT_EQUAL(s.failed, ok ? 0 : 10);
            if (!ok)
                CU_ASSERT_PTR_NOT_NULL(strstr(s.error, "invalid credentials"));
            CU_ASSERT_FATAL(rdk_produce(m, mechs[i], "wonderlant", false, &s));
            CU_ASSERT_EQUAL(s.delivered, 0);
            CU_ASSERT_EQUAL(s.failed, 10);
            CU_ASSERT_PTR_NOT_NULL(strstr(s.error, "uthentication failed"));
        }
        kafka_mock_destroy(m);
    }
}
#endif

static CU_TestInfo tests[] = {
    {"SCRAM-SHA-256: RFC 7677's exchange, byte for byte", test_rfc7677_vector},
    {"SCRAM client against SCRAM server, both hashes, wrong password, unknown user", test_scram_client_server},
    {"SCRAM: hostile server-first messages are refused", test_scram_hostile_server},
    {"PLAIN and SCRAM with the mock, v1 and v0 handshakes, wrong passwords", test_exchange_with_mock},
    {"a mechanism the broker does not enable, or we do not speak", test_mechanism_not_enabled},
    {"producer and consumer over SASL_PLAINTEXT and SASL_SSL; wrong password and mechanism", test_clients_over_sasl},
    {"a leader refusing the login fails the queued messages at once, none lost", test_producer_refused_leader},
    {"listeners PLAINTEXT and SASL_SSL on one cluster, each advertising its own ports", test_listeners},
#ifdef KAFKA_HAVE_RDKAFKA
    {"librdkafka's producer authenticates with the mock (PLAIN, SCRAM), or is refused",
     test_rdkafka_client_with_mock},
#endif
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("sasl", tests)
