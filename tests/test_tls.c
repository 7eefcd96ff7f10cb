/* security.protocol=SSL end to end: our producer and consumer through our mock's SSL
 * listeners, librdkafka (an independent TLS client) against the same listeners, and
 * every failure a misconfiguration brings — each failing fast, with a message that
 * names the cause, under KAFKA_ERR__SSL where retrying cannot help. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/connection.h"
#include "kafka/io.h"
#include "kafka/consumer.h"
#include "kafka/message.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "testutil.h"
#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>
#endif

/* A TLS mock of brokers brokers; cert_name, expired, client_auth as kafka_mock_conf_t's
 * tls_ ones. */
static kafka_mock_t *tls_mock(int brokers, const char *cert_name, bool expired, bool client_auth) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = brokers;
    mc.retention_bytes = 0;
    mc.tls = true;
    mc.tls_cert_name = cert_name;
    mc.tls_cert_expired = expired;
    mc.tls_client_auth = client_auth;
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kafka_mock_tls_ca(m));
    return m;
}

/* Connects a client as kv says and returns the error of its first metadata wait, the
 * cause in why; *ms is how long that took. */
static kafka_err_t first_metadata(const char *bootstrap, const char *const *kv, char *why, size_t why_size,
                                  int64_t *ms) {
    kafka_conf_t *conf = kafka_test_conf(bootstrap, kv);
    int64_t t0 = kafka_test_now_ms();
    kafka_connection_t *c = kafka_connection_new(conf, why, why_size);
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_err_t e = kafka_connection_wait_metadata(c, NULL, 4000, why, why_size);
    *ms = kafka_test_now_ms() - t0;
    kafka_connection_destroy(c);
    return e;
}

/* The failure kv brings against bootstrap: KAFKA_ERR__SSL well within the wait, each
 * of want[] in the message, and never the key password. */
static void expect_tls_failure(const char *bootstrap, const char *const *kv, const char *const *want) {
    char why[2048] = "";
    int64_t ms = 0;
    kafka_err_t e = first_metadata(bootstrap, kv, why, sizeof(why), &ms);
    CU_ASSERT_EQUAL(e, KAFKA_ERR__SSL);
    CU_ASSERT(ms < 2000); /* not retried to the 4 s deadline */
    for (; *want; want++)
        if (!strstr(why, *want)) {
            fprintf(stderr, "expected \"%s\" in: %s (%s)\n", *want, why, kafka_err_name(e));
            CU_FAIL("the message does not name the cause");
        }
    CU_ASSERT_PTR_NULL(strstr(why, "pa55"));
}

/* ---- produce and consume over TLS ---- */

/* n messages "tls-<i>|..." of len bytes to topic (4 partitions), all delivered. */
static void produce_tls(const char *bootstrap, const char *ca, const char *topic, size_t n, int len) {
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "linger.ms", "2", NULL};
    kafka_test_produce(bootstrap, kv, topic, 4, n, len, "tls-");
}

/* Reads topic's 4 partitions from the start over TLS until n messages came; how many of
 * them produce_tls wrote (each once). */
static size_t consume_tls(const char *bootstrap, const char *ca, const char *topic, size_t n) {
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "enable.auto.commit", "false", NULL};
    return kafka_test_consume(bootstrap, kv, topic, 4, n, "tls-");
}

/* Many small requests in flight (linger 2 ms, 4 partitions, 1 KiB and 100 KiB values)
 * so responses arrive while others are read ahead by TLS: the producer worker must not
 * wait on poll() for bytes OpenSSL already holds (kafka_io_pending). */
static void test_produce_consume(void) {
    kafka_mock_t *m = tls_mock(2, NULL, false, false);
    const char *bs = kafka_mock_bootstrap_ssl(m), *ca = kafka_mock_tls_ca(m);
    int64_t t0 = kafka_test_now_ms();
    produce_tls(bs, ca, "tls-small", 20000, 100);
    produce_tls(bs, ca, "tls-large", 200, 100 * 1024);
    int64_t produce_ms = kafka_test_now_ms() - t0;
    CU_ASSERT(produce_ms < 15000);
    CU_ASSERT_EQUAL(consume_tls(bs, ca, "tls-small", 20000), 20000);
    CU_ASSERT_EQUAL(consume_tls(bs, ca, "tls-large", 200), 200);
    /* The same data through the PLAINTEXT listener: one cluster, two listeners. */
    int64_t ls = -1, hw = -1;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "tls-small", 0, &ls, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 5000);
    kafka_mock_destroy(m);
}

/* A broker going down and coming back while Produce requests are in flight over TLS:
 * its connections break under writes (EPIPE, and SIGPIPE from OpenSSL's write(), which
 * must not reach this process), the workers reconnect with a new handshake, and every
 * message is delivered. */
typedef struct {
    kafka_producer_t *p;
    size_t n;
} bg_t;

static void *produce_slowly(void *arg) {
    bg_t *b = arg;
    char buf[100], err[256];
    for (size_t i = 0; i < b->n; i++) {
        int l = kafka_test_filler(buf, "tls-", i, 100, false);
        kafka_produce_msg_t msg = {.value = buf, .value_len = l};
        CU_ASSERT_EQUAL(kafka_producer_produce(b->p, "tls-down", (int32_t)(i % 4), &msg, (void *)(i + 1), err,
                                               sizeof(err)),
                        KAFKA_OK);
        if (i % 1000 == 999)
            kafka_test_sleep_ms(10);
    }
    return NULL;
}

static void test_broker_down_up(void) {
    kafka_mock_t *m = tls_mock(2, NULL, false, false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "tls-down", 4, 2), KAFKA_OK);
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", kafka_mock_tls_ca(m), "linger.ms", "2",
                        "reconnect.backoff.ms", "20", NULL};
    kafka_conf_t *conf = kafka_test_conf(kafka_mock_bootstrap_ssl(m), kv);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const size_t n = 30000;
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, &s);
    bg_t b = {p, n};
    pthread_t th;
    pthread_create(&th, NULL, produce_slowly, &b);
    kafka_test_sleep_ms(80);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, 1, true), KAFKA_OK);
    kafka_test_sleep_ms(150);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, 1, false), KAFKA_OK);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 20000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    CU_ASSERT_EQUAL(atomic_load(&s.dups), 0);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
    kafka_mock_destroy(m);
}

/* A client certificate and an encrypted key (mTLS setup): the right password loads it,
 * a wrong one fails naming the key file and never the password. */
static void write_client_identity(const char *cert_path, const char *key_path, const char *password) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"test-client", -1,
                               -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_sign(x, key, EVP_sha256());
    FILE *f = fopen(cert_path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), (const unsigned char *)password, (int)strlen(password), NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void test_client_certificate(void) {
    kafka_mock_t *m = tls_mock(1, NULL, false, false);
    const char *bs = kafka_mock_bootstrap_ssl(m), *ca = kafka_mock_tls_ca(m);
    char dir[] = "/tmp/kafka-tls-test-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char cert[128], key[128];
    snprintf(cert, sizeof(cert), "%s/client.pem", dir);
    snprintf(key, sizeof(key), "%s/client.key", dir);
    write_client_identity(cert, key, "pa55-right");
    char why[1024];
    int64_t ms;
    const char *good[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "ssl.certificate.location", cert,
                          "ssl.key.location", key, "ssl.key.password", "pa55-right", NULL};
    CU_ASSERT_EQUAL(first_metadata(bs, good, why, sizeof(why), &ms), KAFKA_OK);
    const char *wrong[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "ssl.certificate.location", cert,
                           "ssl.key.location", key, "ssl.key.password", "pa55-wrong", NULL};
    const char *want_wrong[] = {"ssl.key.location", key, "is ssl.key.password right?", NULL};
    expect_tls_failure(bs, wrong, want_wrong);
    const char *none[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "ssl.certificate.location", cert,
                          "ssl.key.location", key, NULL};
    const char *want_none[] = {"is it encrypted (ssl.key.password)?", NULL};
    expect_tls_failure(bs, none, want_none);
    const char *half[] = {"security.protocol", "SSL", "ssl.certificate.location", cert, NULL};
    const char *want_half[] = {"ssl.certificate.location is set but ssl.key.location is not", NULL};
    expect_tls_failure(bs, half, want_half);
    unlink(cert);
    unlink(key);
    rmdir(dir);
    kafka_mock_destroy(m);
}

/* Mutual TLS: a mock that asks for client certificates of its CA. The one it made gets
 * through (a produce and a read back); none, or one of another CA, fails with the
 * broker's alert named (TLS 1.3 brokers judge it after the handshake, on the first
 * read) and what to set. */
static void test_mutual_tls(void) {
    kafka_mock_t *m = tls_mock(1, NULL, false, true);
    const char *bs = kafka_mock_bootstrap_ssl(m), *ca = kafka_mock_tls_ca(m);
    const char *cert = kafka_mock_tls_client_cert(m), *key = kafka_mock_tls_client_key(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cert);
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    const char *mtls[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "ssl.certificate.location", cert,
                          "ssl.key.location", key, "linger.ms", "2", NULL};
    kafka_conf_t *conf = kafka_test_conf(bs, mtls);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_produce_msg_t msg = {.value = "tls-0|mutual", .value_len = 12};
    int64_t base = -1;
    CU_ASSERT_EQUAL(kafka_producer_send(p, "tls-mutual", 0, &msg, 1, NULL, &base, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(base, 0);
    kafka_producer_destroy(p);
    kafka_conf_destroy(conf);
    int64_t ls = -1, hw = -1;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "tls-mutual", 0, &ls, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 1);
    const char *none[] = {"security.protocol", "SSL", "ssl.ca.location", ca, NULL};
    const char *want_none[] = {"certificate required", "the broker requires a client certificate", NULL};
    expect_tls_failure(bs, none, want_none);
    char dir[] = "/tmp/kafka-tls-mtls-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char other_cert[128], other_key[128];
    snprintf(other_cert, sizeof(other_cert), "%s/other.pem", dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", dir);
    write_client_identity(other_cert, other_key, "pa55-other");
    const char *other[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "ssl.certificate.location", other_cert,
                           "ssl.key.location", other_key, "ssl.key.password", "pa55-other", NULL};
    const char *want_other[] = {"the broker does not accept ssl.certificate.location", NULL};
    expect_tls_failure(bs, other, want_other);
    unlink(other_cert);
    unlink(other_key);
    rmdir(dir);
    kafka_mock_destroy(m);
}

/* ---- verification failures ---- */

static void test_untrusted(void) {
    kafka_mock_t *m = tls_mock(1, NULL, false, false);
    const char *kv[] = {"security.protocol", "SSL", NULL}; /* the system store: it does not know the mock's CA */
    const char *want[] = {"the broker's certificate is not trusted", "unable to get local issuer certificate",
                          "CN=localhost", "ssl.ca.location", NULL};
    expect_tls_failure(kafka_mock_bootstrap_ssl(m), kv, want);
    kafka_mock_destroy(m);
}

static void test_wrong_name(void) {
    kafka_mock_t *m = tls_mock(1, "kafka.example.com", false, false);
    const char *ca = kafka_mock_tls_ca(m);
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", ca, NULL};
    const char *want_ip[] = {"is not for 127.0.0.1", "IP address mismatch", "CN=kafka.example.com", NULL};
    expect_tls_failure(kafka_mock_bootstrap_ssl(m), kv, want_ip);
    char byname[64];
    snprintf(byname, sizeof(byname), "localhost:%d", kafka_mock_broker_ssl_port(m, 1));
    const char *want_name[] = {"is not for localhost", "hostname mismatch", NULL};
    expect_tls_failure(byname, kv, want_name);
    /* Without the name check the CA's signature is enough. */
    const char *none[] = {"security.protocol", "SSL", "ssl.ca.location", ca, "ssl.endpoint.identification.algorithm",
                          "none", NULL};
    char why[1024];
    int64_t ms;
    CU_ASSERT_EQUAL(first_metadata(kafka_mock_bootstrap_ssl(m), none, why, sizeof(why), &ms), KAFKA_OK);
    kafka_mock_destroy(m);
}

static void test_expired(void) {
    kafka_mock_t *m = tls_mock(1, NULL, true, false);
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", kafka_mock_tls_ca(m), NULL};
    const char *want[] = {"certificate has expired", "CN=localhost", NULL};
    expect_tls_failure(kafka_mock_bootstrap_ssl(m), kv, want);
    kafka_mock_destroy(m);
}

static void test_missing_files(void) {
    kafka_mock_t *m = tls_mock(1, NULL, false, false);
    const char *bs = kafka_mock_bootstrap_ssl(m);
    const char *ca[] = {"security.protocol", "SSL", "ssl.ca.location", "/nonexistent/ca.pem", NULL};
    const char *want_ca[] = {"ssl.ca.location /nonexistent/ca.pem: No such file or directory", NULL};
    expect_tls_failure(bs, ca, want_ca);
    const char *cert[] = {"security.protocol", "SSL", "ssl.certificate.location", "/nonexistent/c.pem",
                          "ssl.key.location", "/nonexistent/c.key", NULL};
    const char *want_cert[] = {"ssl.certificate.location /nonexistent/c.pem: No such file or directory", NULL};
    expect_tls_failure(bs, cert, want_cert);
    /* A file that holds no certificate. */
    const char *notpem[] = {"security.protocol", "SSL", "ssl.ca.location", "/etc/hostname", NULL};
    const char *want_notpem[] = {"ssl.ca.location /etc/hostname: no CA certificate loaded", NULL};
    if (access("/etc/hostname", R_OK) == 0)
        expect_tls_failure(bs, notpem, want_notpem);
    kafka_mock_destroy(m);
}

/* ---- the wrong port ---- */

static void test_tls_to_plaintext_port(void) {
    kafka_mock_t *m = tls_mock(1, NULL, false, false);
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", kafka_mock_tls_ca(m), NULL};
    const char *want[] = {"closed the connection during the handshake", "is this a TLS port?", NULL};
    expect_tls_failure(kafka_mock_bootstrap(m), kv, want);
    kafka_mock_destroy(m);
}

static void test_plaintext_to_tls_port(void) {
    kafka_mock_t *m = tls_mock(1, NULL, false, false);
    const char *want[] = {"is this a TLS listener? (security.protocol=SSL or SASL_SSL)", NULL};
    expect_tls_failure(kafka_mock_bootstrap_ssl(m), NULL, want);
    kafka_mock_destroy(m);
}

/* A port that accepts and never answers: the handshake ends at request.timeout.ms with
 * KAFKA_ERR__TIMED_OUT (a busy broker may answer next time) and the same question. */
static void test_silent_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0 &&
                    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    const char *kv[] = {"security.protocol", "SSL", "request.timeout.ms", "300", NULL};
    kafka_conf_t *conf = kafka_test_conf("127.0.0.1:1", kv);
    kafka_err_t err = KAFKA_OK;
    char why[512] = "";
    int64_t t0 = kafka_test_now_ms();
    kafka_io_t *io = kafka_io_open(conf, "127.0.0.1", ntohs(sa.sin_port), &err, why, sizeof(why));
    int64_t ms = kafka_test_now_ms() - t0;
    CU_ASSERT_PTR_NULL(io);
    CU_ASSERT_EQUAL(err, KAFKA_ERR__TIMED_OUT);
    CU_ASSERT(ms >= 250 && ms < 2000);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no handshake answer within 300 ms: is this a TLS port?"));
    kafka_io_close(io);
    kafka_conf_destroy(conf);
    close(fd);
}

/* A TLS server that is not our mock (openssl s_server) with a certificate for another
 * name: our client's check and message hold against it too. */
static void test_openssl_s_server(void) {
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        fprintf(stderr, "openssl not found: skipped\n");
        return;
    }
    char dir[] = "/tmp/kafka-tls-sserver-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char cmd[1024], cert[128], key[128], ready[128];
    snprintf(cert, sizeof(cert), "%s/s.pem", dir);
    snprintf(key, sizeof(key), "%s/s.key", dir);
    snprintf(ready, sizeof(ready), "%s/out", dir);
    /* A certificate for another name, self-signed: untrusted by our CA file (itself). */
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s -out %s -days 1 "
             "-subj /CN=other.example -addext subjectAltName=DNS:other.example >/dev/null 2>&1",
             key, cert);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    /* s_server picks its own port and prints it ("ACCEPT 127.0.0.1:PORT"). */
    snprintf(cmd, sizeof(cmd),
             "openssl s_server -accept 127.0.0.1:0 -cert %s -key %s -www </dev/null >%s 2>&1 & echo $!",
             cert, key, ready);
    FILE *pf = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pf);
    int pid = 0;
    CU_ASSERT_EQUAL(fscanf(pf, "%d", &pid), 1);
    pclose(pf);
    int sport = 0;
    for (int i = 0; i < 100 && !sport; i++) {
        kafka_test_sleep_ms(20);
        FILE *f = fopen(ready, "r");
        char line[256];
        while (f && fgets(line, sizeof(line), f))
            sscanf(line, "ACCEPT 127.0.0.1:%d", &sport);
        if (f)
            fclose(f);
    }
    CU_ASSERT_FATAL(sport > 0);
    char bs[64];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", sport);
    const char *kv[] = {"security.protocol", "SSL", "ssl.ca.location", cert, NULL};
    const char *want[] = {"is not for 127.0.0.1", "CN=other.example", NULL};
    expect_tls_failure(bs, kv, want);
    if (pid > 0)
        kill(pid, SIGTERM);
    unlink(cert);
    unlink(key);
    unlink(ready);
    rmdir(dir);
}

/* ---- librdkafka, an independent TLS client, against our TLS listeners ---- */

#ifdef KAFKA_HAVE_RDKAFKA
static void test_rdkafka_peer(void) {
    kafka_mock_t *m = tls_mock(2, NULL, false, false);
    const char *bs = kafka_mock_bootstrap_ssl(m), *ca = kafka_mock_tls_ca(m);
    char err[512];
    rd_kafka_conf_t *rc = rd_kafka_conf_new();
    const char *rkv[] = {"bootstrap.servers", bs, "security.protocol", "ssl", "ssl.ca.location", ca,
                         "ssl.endpoint.identification.algorithm", "https", "linger.ms", "5", NULL};
    for (const char *const *p = rkv; *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(rc, p[0], p[1], err, sizeof(err)), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rc, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    const size_t n = 2000;
    char buf[200];
    for (size_t i = 0; i < n; i++) {
        int l = kafka_test_filler(buf, "tls-", i, 100, false);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("tls-rdk"), RD_KAFKA_V_PARTITION((int32_t)(i % 4)),
                                      RD_KAFKA_V_VALUE(buf, (size_t)l), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        CU_ASSERT_EQUAL_FATAL(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    CU_ASSERT_EQUAL(rd_kafka_flush(rk, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    CU_ASSERT_EQUAL(rd_kafka_outq_len(rk), 0);
    rd_kafka_destroy(rk);
    /* Our consumer reads what librdkafka wrote over TLS ... */
    CU_ASSERT_EQUAL(consume_tls(bs, ca, "tls-rdk", n), n);
    /* ... and librdkafka reads what our producer wrote over TLS. */
    produce_tls(bs, ca, "tls-ours", 1000, 100);
    rc = rd_kafka_conf_new();
    for (const char *const *p = rkv; *p; p += 2)
        if (strcmp(p[0], "linger.ms") != 0)
            CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(rc, p[0], p[1], err, sizeof(err)), RD_KAFKA_CONF_OK);
    CU_ASSERT_EQUAL(rd_kafka_conf_set(rc, "group.id", "tls-rdk", err, sizeof(err)), RD_KAFKA_CONF_OK);
    CU_ASSERT_EQUAL(rd_kafka_conf_set(rc, "enable.auto.commit", "false", err, sizeof(err)), RD_KAFKA_CONF_OK);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(4);
    for (int i = 0; i < 4; i++)
        rd_kafka_topic_partition_list_add(tl, "tls-ours", i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t ae = rd_kafka_assign(rk, tl);
    if (ae)
        fprintf(stderr, "librdkafka assign: %s\n", rd_kafka_err2str(ae));
    CU_ASSERT_EQUAL_FATAL(ae, RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(tl);
    size_t got = 0;
    int64_t deadline = kafka_test_now_ms() + 20000;
    while (got < 1000 && kafka_test_now_ms() < deadline) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 200);
        if (!msg)
            continue;
        if (!msg->err && msg->len > 4 && memcmp(msg->payload, "tls-", 4) == 0)
            got++;
        else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "librdkafka: %s\n", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
    }
    CU_ASSERT_EQUAL(got, 1000);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    kafka_mock_destroy(m);
}
#endif

static CU_TestInfo tests[] = {
    {"produce and consume over TLS", test_produce_consume},
    {"a broker down and up under TLS writes", test_broker_down_up},
    {"client certificate and key password", test_client_certificate},
    {"mutual TLS", test_mutual_tls},
    {"untrusted CA", test_untrusted},
    {"certificate for another name", test_wrong_name},
    {"expired certificate", test_expired},
    {"missing or unusable files", test_missing_files},
    {"TLS to a plaintext port", test_tls_to_plaintext_port},
    {"plaintext to a TLS port", test_plaintext_to_tls_port},
    {"a port that never answers the handshake", test_silent_port},
    {"openssl s_server as the TLS peer", test_openssl_s_server},
#ifdef KAFKA_HAVE_RDKAFKA
    {"librdkafka against our TLS listeners", test_rdkafka_peer},
#endif
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("tls", tests)
