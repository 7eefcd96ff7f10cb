/* kafka_conf_t: defaults, parsing and printing of every property, error messages,
 * bootstrap.servers, properties files and the cross-property checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/conf.h"
#include "kafka/protocol.h"
#include "sasl/scram.h"
#include "testutil.h"

/* Every property: its default, a valid other value as set and as read back, and a
 * value it rejects (NULL for free-form strings). A property the library adds without a
 * row here fails test_roundtrip. */
typedef struct {
    const char *name, *def, *set, *canonical, *bad;
} sample_t;

static const sample_t samples[] = {
    {"acks", "-1", "1", "1", "2"},
    {"api.version.request", "true", "FALSE", "false", "yes"},
    {"auto.commit.interval.ms", "5000", "1000", "1000", "-1"},
    {"auto.offset.reset", "latest", "Earliest", "earliest", "smallest"},
    {"batch.size", "131072", "65536", "65536", "0"},
    {"bootstrap.servers", "", " b1:9093, b2 ", "b1:9093,b2:9092", "b1:"},
    {"broker.version.fallback", "0.10.0", "2.8.1.0", "2.8.1.0", "0.9"},
    {"check.crcs", "true", "false", "false", "1"},
    {"client.id", "libkafka", "agent-1", "agent-1", NULL},
    {"compression.type", "none", "zstd", "zstd", "brotli"},
    {"delivery.timeout.ms", "120000", "60000", "60000", "0"},
    {"enable.auto.offset.store", "true", "false", "false", "no"},
    {"enable.fetch.sessions", "true", "false", "false", "no"},
    {"enable.auto.commit", "true", "false", "false", "on"},
    {"enable.idempotence", "true", "false", "false", "off"},
    {"enable.sasl.oauthbearer.unsecure.jwt", "false", "true", "true", "yes"},
    {"fetch.max.bytes", "52428800", "1048576", "1048576", "0"},
    {"fetch.max.wait.ms", "500", "100", "100", "300001"},
    {"fetch.min.bytes", "1", "0", "0", "-1"},
    {"group.id", "", "g1", "g1", NULL},
    {"group.instance.id", "", "host-1", "host-1", NULL},
    {"group.protocol", "classic", "CONSUMER", "consumer", "kip848"},
    {"heartbeat.interval.ms", "3000", "1000", "1000", "0"},
    {"isolation.level", "read_uncommitted", "read_committed", "read_committed", "committed"},
    {"linger.ms", "5", "0", "0", "900001"},
    {"log.level", "6", "7", "7", "8"},
    {"max.in.flight.requests.per.connection", "5", "1", "1", "0"},
    {"max.partition.fetch.bytes", "1048576", "65536", "65536", "0"},
    {"max.poll.interval.ms", "300000", "60000", "60000", "0"},
    {"message.max.bytes", "1048576", "1000", "1000", "999"},
    {"metadata.max.age.ms", "300000", "60000", "60000", "0"},
    {"offsets.file", "", "/var/lib/agent/offsets", "/var/lib/agent/offsets", NULL},
    {"offsets.storage", "kafka", "file", "file", "zookeeper"},
    {"partition.assignment.strategy", "range,roundrobin", "Cooperative-Sticky", "cooperative-sticky",
     "range,cooperative-sticky"},
    {"partitioner", "murmur2_random", "consistent_random", "consistent_random", "sticky"},
    {"queue.buffering.max.kbytes", "1048576", "2048", "2048", "0"},
    {"queue.buffering.max.messages", "100000", "10", "10", "0"},
    {"queue.full.behavior", "block", "ERROR", "error", "drop"},
    {"queue.full.timeout.ms", "60000", "0", "0", "-5"},
    {"queued.max.messages.kbytes", "65536", "1024", "1024", "0"},
    {"reconnect.backoff.max.ms", "1000", "10000", "10000", "3600001"},
    {"reconnect.backoff.ms", "50", "100", "100", "-1"},
    {"request.timeout.ms", "30000", "1500", "1500", "0"},
    {"retries", "2147483647", "3", "3", "2147483648"},
    {"retry.backoff.max.ms", "1000", "32000", "32000", "0"},
    {"retry.backoff.ms", "100", "250", "250", "0"},
    {"sasl.mechanism", "PLAIN", "oauthbearer", "OAUTHBEARER", "GSSAPI"},
    {"sasl.oauthbearer.config", "", "principal=alice", "[hidden]", NULL},
    {"sasl.oauthbearer.token.command", "", "vault read -field=token secret/kafka", "[hidden]", NULL},
    {"sasl.oauthbearer.token.file", "", "/run/secrets/kafka.jwt", "/run/secrets/kafka.jwt", NULL},
    {"sasl.password", "", "s3cret", "[hidden]", NULL},
    {"sasl.username", "", "alice", "alice", NULL},
    {"session.timeout.ms", "45000", "10000", "10000", "0"},
    {"security.protocol", "PLAINTEXT", "ssl", "SSL", "TLS"},
    {"ssl.ca.location", "", "/etc/kafka/ca.pem", "/etc/kafka/ca.pem", NULL},
    {"ssl.certificate.location", "", "/etc/kafka/client.pem", "/etc/kafka/client.pem", NULL},
    {"ssl.cipher.suites", "", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", NULL},
    {"ssl.endpoint.identification.algorithm", "https", "NONE", "none", "http"},
    {"ssl.key.location", "", "/etc/kafka/client.key", "/etc/kafka/client.key", NULL},
    {"ssl.key.password", "", "s3cret", "[hidden]", NULL},
    {"ssl.min.version", "TLSv1.2", "TLS1.3", "TLSv1.3", "TLSv1.1"},
    {"statistics.interval.ms", "0", "1000", "1000", "86400001"},
    {"transaction.timeout.ms", "60000", "10000", "10000", "0"},
    {"transactional.id", "", "agent-1-txn", "agent-1-txn", NULL},
};
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

static const sample_t *sample(const char *name) {
    for (size_t i = 0; i < N_SAMPLES; i++)
        if (strcmp(samples[i].name, name) == 0)
            return &samples[i];
    return NULL;
}

/* The value of key as a string in a static buffer. */
static const char *get(const kafka_conf_t *conf, const char *key) {
    static char buf[512];
    CU_ASSERT_EQUAL(kafka_conf_get(conf, key, buf, sizeof(buf)), KAFKA_OK);
    return buf;
}

/* Sets key and checks that it fails with INVALID_CONF and exactly the message want
 * (or, when want is NULL, a message that names the key). */
static void set_fails(kafka_conf_t *conf, const char *key, const char *value, const char *want) {
    char errstr[512] = "";
    CU_ASSERT_EQUAL(kafka_conf_set(conf, key, value, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    if (want) {
        CU_ASSERT_STRING_EQUAL(errstr, want);
    } else {
        CU_ASSERT_PTR_NOT_NULL(strstr(errstr, key));
    }
}

static void test_defaults(void) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    for (size_t i = 0; i < N_SAMPLES; i++)
        CU_ASSERT_STRING_EQUAL(get(conf, samples[i].name), samples[i].def);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_ACKS), -1);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_LINGER_MS), 5);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_BATCH_SIZE), 131072);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_RETRIES), 2147483647);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_COMPRESSION_TYPE), KAFKA_COMPRESSION_NONE);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_PARTITIONER), KAFKA_PARTITIONER_MURMUR2_RANDOM);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_AUTO_OFFSET_RESET), KAFKA_OFFSET_RESET_LATEST);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_ISOLATION_LEVEL), KAFKA_ISOLATION_READ_UNCOMMITTED);
    CU_ASSERT_TRUE(kafka_conf_bool(conf, KAFKA_CONF_ENABLE_IDEMPOTENCE));
    CU_ASSERT_STRING_EQUAL(kafka_conf_str(conf, KAFKA_CONF_CLIENT_ID), "libkafka");
    CU_ASSERT_STRING_EQUAL(kafka_conf_str(conf, KAFKA_CONF_GROUP_ID), "");
    CU_ASSERT_PTR_NULL(kafka_conf_str(conf, KAFKA_CONF_LINGER_MS));
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_CLIENT_ID), 0);
    CU_ASSERT_EQUAL(kafka_conf_brokers(conf, NULL, 0), 0);
    kafka_conf_destroy(conf);
    kafka_conf_destroy(NULL);
}

/* Every property in the library's table, through the public API. */
static void test_roundtrip(void) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_EQUAL(KAFKA_CONF__COUNT, N_SAMPLES);
    CU_ASSERT_PTR_NULL(kafka_conf_name(KAFKA_CONF__COUNT));
    for (int p = 0; p < KAFKA_CONF__COUNT; p++) {
        const char *name = kafka_conf_name((kafka_conf_prop_t)p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        CU_ASSERT_EQUAL(kafka_conf_lookup(name), p);
        const sample_t *s = sample(name);
        if (!s) {
            fprintf(stderr, "no sample for property %s\n", name);
            CU_FAIL("property without a sample");
            continue;
        }
        char errstr[256] = "";
        CU_ASSERT_EQUAL(kafka_conf_set(conf, name, s->set, errstr, sizeof(errstr)), KAFKA_OK);
        CU_ASSERT_STRING_EQUAL(get(conf, name), s->canonical);
        /* The canonical form is accepted again as it is. */
        CU_ASSERT_EQUAL(kafka_conf_set(conf, name, s->canonical, errstr, sizeof(errstr)), KAFKA_OK);
        CU_ASSERT_STRING_EQUAL(get(conf, name), s->canonical);
        if (s->bad) {
            set_fails(conf, name, s->bad, NULL);
            CU_ASSERT_STRING_EQUAL(get(conf, name), s->canonical); /* unchanged */
        }
        CU_ASSERT_EQUAL(kafka_conf_set(conf, name, NULL, errstr, sizeof(errstr)), KAFKA_OK);
        CU_ASSERT_STRING_EQUAL(get(conf, name), s->def);
        CU_ASSERT_PTR_NOT_NULL(kafka_conf_describe(name));
    }
    CU_ASSERT_PTR_NULL(kafka_conf_describe("no.such.property"));
    CU_ASSERT_EQUAL(kafka_conf_lookup("no.such.property"), -1);

    CU_ASSERT_EQUAL(kafka_conf_set(conf, "acks", "ALL", NULL, 0), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(conf, "acks"), "-1");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "compression.type", "lz4", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_COMPRESSION_TYPE), KAFKA_COMPRESSION_LZ4);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "isolation.level", "read_committed", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_ISOLATION_LEVEL), 1); /* Kafka's wire value */
    kafka_conf_destroy(conf);
}

/* Property numbers are ABI (conf.h): each keeps its number and name for good. A new
 * property is added at the end of this list with the next number. */
static void test_numbers_stable(void) {
    static const struct {
        int number;
        const char *name;
    } pinned[] = {
        {0, "acks"},
        {1, "api.version.request"},
        {2, "auto.commit.interval.ms"},
        {3, "auto.offset.reset"},
        {4, "batch.size"},
        {5, "bootstrap.servers"},
        {6, "broker.version.fallback"},
        {7, "check.crcs"},
        {8, "client.id"},
        {9, "compression.type"},
        {10, "delivery.timeout.ms"},
        {11, "enable.auto.commit"},
        {12, "enable.idempotence"},
        {13, "fetch.max.bytes"},
        {14, "fetch.max.wait.ms"},
        {15, "fetch.min.bytes"},
        {16, "group.id"},
        {17, "isolation.level"},
        {18, "linger.ms"},
        {19, "log.level"},
        {20, "max.in.flight.requests.per.connection"},
        {21, "max.partition.fetch.bytes"},
        {22, "message.max.bytes"},
        {23, "metadata.max.age.ms"},
        {24, "offsets.file"},
        {25, "offsets.storage"},
        {26, "partitioner"},
        {27, "queue.buffering.max.kbytes"},
        {28, "queue.buffering.max.messages"},
        {29, "queue.full.behavior"},
        {30, "queue.full.timeout.ms"},
        {31, "queued.max.messages.kbytes"},
        {32, "reconnect.backoff.max.ms"},
        {33, "reconnect.backoff.ms"},
        {34, "request.timeout.ms"},
        {35, "retries"},
        {36, "retry.backoff.max.ms"},
        {37, "retry.backoff.ms"},
        {38, "statistics.interval.ms"},
    };
    size_t n = sizeof(pinned) / sizeof(pinned[0]);
    CU_ASSERT_TRUE(KAFKA_CONF__COUNT >= n);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(pinned[i].number, (int)i);
        const char *name = kafka_conf_name((kafka_conf_prop_t)pinned[i].number);
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        CU_ASSERT_STRING_EQUAL(name, pinned[i].name);
    }
    CU_ASSERT_EQUAL(KAFKA_CONF_ACKS, 0);
    CU_ASSERT_EQUAL(KAFKA_CONF_LINGER_MS, 18);
    CU_ASSERT_EQUAL(KAFKA_CONF_STATISTICS_INTERVAL_MS, 38);
    CU_ASSERT_EQUAL(KAFKA_CONF_SECURITY_PROTOCOL, 39);
    CU_ASSERT_EQUAL(KAFKA_CONF_SSL_MIN_VERSION, 46);
    CU_ASSERT_EQUAL(KAFKA_CONF_SASL_MECHANISM, 47);
    CU_ASSERT_EQUAL(KAFKA_CONF_SASL_PASSWORD, 49);
    CU_ASSERT_EQUAL(KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_FILE, 50);
    CU_ASSERT_EQUAL(KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT, 53);
    CU_ASSERT_EQUAL(KAFKA_CONF_TRANSACTIONAL_ID, 54);
    CU_ASSERT_EQUAL(KAFKA_CONF_TRANSACTION_TIMEOUT_MS, 55);
    CU_ASSERT_EQUAL(KAFKA_CONF_GROUP_INSTANCE_ID, 56);
    CU_ASSERT_EQUAL(KAFKA_CONF_ENABLE_AUTO_OFFSET_STORE, 62);
    CU_ASSERT_EQUAL(KAFKA_CONF_ENABLE_FETCH_SESSIONS, 63);
}

static void test_dump_sorted(void) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "client.id", "dumped", NULL, 0), KAFKA_OK);
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    kafka_conf_dump(conf, f);
    rewind(f);
    char line[512], prev[512] = "";
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        CU_ASSERT_PTR_NOT_NULL_FATAL(eq);
        *eq = '\0';
        CU_ASSERT_TRUE(strcmp(prev, line) < 0);
        CU_ASSERT_STRING_EQUAL(get(conf, line), eq + 1);
        snprintf(prev, sizeof(prev), "%s", line);
        n++;
    }
    CU_ASSERT_EQUAL(n, KAFKA_CONF__COUNT);
    fclose(f);
    kafka_conf_destroy(conf);
}

static void test_invalid_values(void) {
    kafka_conf_t *conf = kafka_conf_new();
    set_fails(conf, "acks", "2", "acks: invalid value \"2\" (allowed: 0, 1, -1, all)");
    set_fails(conf, "linger.ms", "1000000", "linger.ms: 1000000 is out of range (0..900000)");
    set_fails(conf, "linger.ms", "99999999999999999999999",
              "linger.ms: 99999999999999999999999 is out of range (0..900000)");
    set_fails(conf, "linger.ms", "abc", "linger.ms: invalid value \"abc\" (expected an integer in 0..900000)");
    set_fails(conf, "check.crcs", "yes", "check.crcs: invalid value \"yes\" (allowed: true, false)");
    set_fails(conf, "compression.type", "brotli",
              "compression.type: invalid value \"brotli\" (allowed: none, gzip, snappy, lz4, zstd)");
    set_fails(conf, "broker.version.fallback", "0.9",
              "broker.version.fallback: invalid value \"0.9\" (expected a version a.b.c or a.b.c.d)");
    /* Integers are plain decimal, nothing around them. */
    const char *not_ints[] = {"", " 5", "5 ", "0x10", "5ms", "1e3", "-", "+", "1.5"};
    for (size_t i = 0; i < sizeof(not_ints) / sizeof(not_ints[0]); i++)
        set_fails(conf, "linger.ms", not_ints[i], NULL);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "linger.ms", "+7", NULL, 0), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(conf, "linger.ms"), "7");
    const char *not_versions[] = {"", "1.2.3.", "a.b.c", "1.2.3.4.5", "1..2", "123456.0.0"};
    for (size_t i = 0; i < sizeof(not_versions) / sizeof(not_versions[0]); i++)
        set_fails(conf, "broker.version.fallback", not_versions[i], NULL);
    CU_ASSERT_STRING_EQUAL(get(conf, "broker.version.fallback"), "0.10.0");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "check.crcs", "False", NULL, 0), KAFKA_OK);
    CU_ASSERT_FALSE(kafka_conf_bool(conf, KAFKA_CONF_CHECK_CRCS));

    /* Bad arguments and short buffers. */
    CU_ASSERT_EQUAL(kafka_conf_set(NULL, "acks", "1", NULL, 0), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, NULL, "1", NULL, 0), KAFKA_ERR__INVALID_ARG);
    char small[4];
    CU_ASSERT_EQUAL(kafka_conf_get(conf, "client.id", small, sizeof(small)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_STRING_EQUAL(small, "lib");
    CU_ASSERT_EQUAL(kafka_conf_get(conf, "nope", small, sizeof(small)), KAFKA_ERR__INVALID_CONF);
    kafka_conf_destroy(conf);
}

static void test_unknown_key(void) {
    kafka_conf_t *conf = kafka_conf_new();
    set_fails(conf, "lingerms", NULL, "unknown property \"lingerms\" (did you mean \"linger.ms\"?)");
    set_fails(conf, "Linger.ms", "5", "unknown property \"Linger.ms\" (did you mean \"linger.ms\"?)");
    set_fails(conf, "acsk", "1", "unknown property \"acsk\" (did you mean \"acks\"?)");
    set_fails(conf, "bootstrap.server", "h", "unknown property \"bootstrap.server\" (did you mean \"bootstrap.servers\"?)");
    set_fails(conf, "max.in.flight", "1", "unknown property \"max.in.flight\"");
    set_fails(conf, "sasl.mechanis", "PLAIN", "unknown property \"sasl.mechanis\" (did you mean \"sasl.mechanism\"?)");
    set_fails(conf, "", "1", "unknown property \"\"");
    char longkey[200];
    memset(longkey, 'x', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    char errstr[64];
    CU_ASSERT_EQUAL(kafka_conf_set(conf, longkey, "1", errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_EQUAL(strlen(errstr), sizeof(errstr) - 1); /* truncated, still terminated */
    kafka_conf_destroy(conf);
}

static void test_bootstrap(void) {
    kafka_conf_t *conf = kafka_conf_new();
    char errstr[256] = "";
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "bootstrap.servers",
                                   " a.example:1 ,b, [::1]:9093,,[fe80::1%eth0],10.0.0.1:65535,", errstr,
                                   sizeof(errstr)),
                    KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(conf, "bootstrap.servers"),
                           "a.example:1,b:9092,[::1]:9093,[fe80::1%eth0]:9092,10.0.0.1:65535");
    kafka_conf_broker_t b[8];
    CU_ASSERT_EQUAL(kafka_conf_brokers(conf, NULL, 0), 5);
    CU_ASSERT_EQUAL_FATAL(kafka_conf_brokers(conf, b, 2), 5); /* fills only 2 */
    CU_ASSERT_EQUAL_FATAL(kafka_conf_brokers(conf, b, 8), 5);
    CU_ASSERT_STRING_EQUAL(b[0].host, "a.example");
    CU_ASSERT_EQUAL(b[0].port, 1);
    CU_ASSERT_STRING_EQUAL(b[1].host, "b");
    CU_ASSERT_EQUAL(b[1].port, KAFKA_CONF_DEFAULT_PORT);
    CU_ASSERT_STRING_EQUAL(b[2].host, "::1");
    CU_ASSERT_EQUAL(b[2].port, 9093);
    CU_ASSERT_STRING_EQUAL(b[3].host, "fe80::1%eth0");
    CU_ASSERT_EQUAL(b[3].port, 9092);
    CU_ASSERT_EQUAL(b[4].port, 65535);

    set_fails(conf, "bootstrap.servers", "ok:1,host:",
              "bootstrap.servers: invalid entry \"host:\": missing port after ':'");
    set_fails(conf, "bootstrap.servers", ":9092", "bootstrap.servers: invalid entry \":9092\": empty host");
    set_fails(conf, "bootstrap.servers", "h:70000",
              "bootstrap.servers: invalid entry \"h:70000\": port 70000 is out of range (1..65535)");
    set_fails(conf, "bootstrap.servers", "h:x", "bootstrap.servers: invalid entry \"h:x\": port \"x\" is not a number");
    set_fails(conf, "bootstrap.servers", "::1:9092",
              "bootstrap.servers: invalid entry \"::1:9092\": an IPv6 address needs brackets, e.g. [::1]:9092");
    const char *bad[] = {"h:0", "h:-1", "h:99999999999999999999", "[::1", "[::1]9092", "[]:1", "bad host:1",
                         "h:1 2", "h/x:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        set_fails(conf, "bootstrap.servers", bad[i], NULL);
    char longhost[300];
    memset(longhost, 'h', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    set_fails(conf, "bootstrap.servers", longhost, NULL);
    CU_ASSERT_EQUAL(kafka_conf_brokers(conf, b, 8), 5); /* failures left the list alone */
    kafka_conf_destroy(conf);
}

/* Writes text to a fresh temporary file; its path goes to path. */
static void write_file(char path[64], const char *text) {
    snprintf(path, 64, "/tmp/test_conf_XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_file(void) {
    kafka_conf_t *conf = kafka_conf_new();
    char path[64], errstr[512] = "", want[600];
    write_file(path,
               "# a comment\n"
               "! another comment\n"
               "\n"
               "   \t\n"
               "bootstrap.servers = b1:9093,[::1]\n"
               "  linger.ms=20  \r\n"
               "client.id:agent\n"
               "group.id =\n"
               "compression.type\t=\tzstd\n");
    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, path, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(conf, "bootstrap.servers"), "b1:9093,[::1]:9092");
    CU_ASSERT_STRING_EQUAL(get(conf, "linger.ms"), "20");
    CU_ASSERT_STRING_EQUAL(get(conf, "client.id"), "agent");
    CU_ASSERT_STRING_EQUAL(get(conf, "group.id"), "");
    CU_ASSERT_STRING_EQUAL(get(conf, "compression.type"), "zstd");
    unlink(path);

    /* A bad line names path:line, and nothing of the file is applied. */
    write_file(path, "# ok so far\nlinger.ms=30\n\nlinger.ms = 1000000\nacks=0\n");
    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, path, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    snprintf(want, sizeof(want), "%s:4: linger.ms: 1000000 is out of range (0..900000)", path);
    CU_ASSERT_STRING_EQUAL(errstr, want);
    CU_ASSERT_STRING_EQUAL(get(conf, "linger.ms"), "20");
    unlink(path);

    write_file(path, "acks=1\njust some words\n");
    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, path, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    snprintf(want, sizeof(want), "%s:2: expected key=value", path);
    CU_ASSERT_STRING_EQUAL(errstr, want);
    unlink(path);

    write_file(path, "lingerms=1\n");
    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, path, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    snprintf(want, sizeof(want), "%s:1: unknown property \"lingerms\" (did you mean \"linger.ms\"?)", path);
    CU_ASSERT_STRING_EQUAL(errstr, want);
    unlink(path);

    write_file(path, " = 5\nbootstrap.servers=a:1,\\\n");
    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, path, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, ":1: missing key"));
    unlink(path);
    write_file(path, "bootstrap.servers=a:1,\\\n  b:2\n");
    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, path, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, ":1: bootstrap.servers: line continuations are not supported"));
    unlink(path);

    CU_ASSERT_EQUAL(kafka_conf_set_file(conf, "/nonexistent/kafka.properties", errstr, sizeof(errstr)),
                    KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "/nonexistent/kafka.properties: "));

    /* A dump reads back as the same conf. */
    kafka_conf_t *other = kafka_conf_new();
    CU_ASSERT_EQUAL(kafka_conf_set(other, "acks", "0", NULL, 0), KAFKA_OK);
    snprintf(path, sizeof(path), "/tmp/test_conf_XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    kafka_conf_dump(conf, f);
    fclose(f);
    CU_ASSERT_EQUAL(kafka_conf_set_file(other, path, errstr, sizeof(errstr)), KAFKA_OK);
    for (int p = 0; p < KAFKA_CONF__COUNT; p++) {
        char a[512], b[512];
        const char *name = kafka_conf_name((kafka_conf_prop_t)p);
        kafka_conf_get(conf, name, a, sizeof(a));
        kafka_conf_get(other, name, b, sizeof(b));
        CU_ASSERT_STRING_EQUAL(a, b);
    }
    unlink(path);
    kafka_conf_destroy(other);
    kafka_conf_destroy(conf);
}

static void test_validate(void) {
    char errstr[256] = "";
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_TRUE(kafka_conf_bool(conf, KAFKA_CONF_ENABLE_IDEMPOTENCE));
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_DELIVERY_TIMEOUT_MS), 120000);

    /* Idempotence asked for explicitly conflicts with a pipeline deeper than 5. */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "max.in.flight.requests.per.connection", "6", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "max.in.flight.requests.per.connection"));
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "enable.idempotence"));
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "max.in.flight.requests.per.connection", "5", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "acks", "1", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "acks"));
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "enable.idempotence"));
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "acks", "all", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "retries", "0", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "retries"));

    /* Defaulted idempotence yields: acks=1 alone is a valid producer, as in Java. */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "retries", NULL, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "enable.idempotence", NULL, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "acks", "1", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_FALSE(kafka_conf_bool(conf, KAFKA_CONF_ENABLE_IDEMPOTENCE));
    kafka_conf_destroy(conf);

    conf = kafka_conf_new();
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "max.in.flight.requests.per.connection", "6", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_FALSE(kafka_conf_bool(conf, KAFKA_CONF_ENABLE_IDEMPOTENCE));

    /* delivery.timeout.ms below linger + request timeout: an error when set, raised when defaulted. */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "delivery.timeout.ms", "30000", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_STRING_EQUAL(errstr, "delivery.timeout.ms: 30000 must be at least linger.ms + "
                                   "request.timeout.ms (5 + 30000)");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "delivery.timeout.ms", "30005", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "delivery.timeout.ms", NULL, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "request.timeout.ms", "200000", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_DELIVERY_TIMEOUT_MS), 200005);

    /* A file offset store needs its file. */
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "offsets.storage", "file", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "offsets.file"));
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "offsets.file", "/tmp/offsets", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    kafka_conf_destroy(conf);
}

static void test_dup(void) {
    kafka_conf_t *a = kafka_conf_new();
    CU_ASSERT_EQUAL(kafka_conf_set(a, "client.id", "first", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(a, "linger.ms", "10", NULL, 0), KAFKA_OK);
    kafka_conf_t *b = kafka_conf_dup(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(kafka_conf_set(a, "client.id", "second", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(a, "linger.ms", "20", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(b, "bootstrap.servers", "x:1", NULL, 0), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(b, "client.id"), "first");
    CU_ASSERT_STRING_EQUAL(get(b, "linger.ms"), "10");
    CU_ASSERT_STRING_EQUAL(get(a, "bootstrap.servers"), "");
    kafka_conf_destroy(a);
    CU_ASSERT_STRING_EQUAL(get(b, "client.id"), "first"); /* survives the original */
    /* "set" marks are copied too: the dup's explicit delivery timeout still errors. */
    CU_ASSERT_EQUAL(kafka_conf_set(b, "delivery.timeout.ms", "1", NULL, 0), KAFKA_OK);
    kafka_conf_t *c = kafka_conf_dup(b);
    CU_ASSERT_EQUAL(kafka_conf_validate(c, NULL, 0), KAFKA_ERR__INVALID_CONF);
    kafka_conf_destroy(b);
    kafka_conf_destroy(c);
}

/* Mechanisms not implemented are refused rather than accepted and ignored; SASL needs a
 * user (OAUTHBEARER one token source); passwords are never shown by get or dump. */
static void test_security(void) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    char errstr[256];
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "security.protocol", "SASL_PLAINTEXT", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.mechanism", "OAUTHBEARER", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_STRING_EQUAL(errstr, "security.protocol: SASL_PLAINTEXT with OAUTHBEARER needs "
                                   "sasl.oauthbearer.token.file or sasl.oauthbearer.token.command (or "
                                   "enable.sasl.oauthbearer.unsecure.jwt=true)");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.token.file", "/run/token", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.token.command", "get-token --secret s3cr3t", NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "set only one"));
    CU_ASSERT_STRING_EQUAL(get(conf, "sasl.oauthbearer.token.command"), "[hidden]");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.token.file", NULL, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.token.command", NULL, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "enable.sasl.oauthbearer.unsecure.jwt", "true", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.config", "lifeSeconds=60", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_STRING_EQUAL(errstr, "sasl.oauthbearer.config: principal=NAME is required for an unsecured JWT");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.config", "principal=alice colour=red", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "unknown key colour"));
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.config", "principal=alice lifeSeconds=60", NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    kafka_conf_destroy(conf);
    conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.mechanisms", "GSSAPI", errstr, sizeof(errstr)), /* librdkafka's key */
                    KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_PTR_NOT_NULL(strstr(errstr, "GSSAPI (Kerberos) is not implemented"));
    set_fails(conf, "security.protocol", "TLS",
              "security.protocol: invalid value \"TLS\" (allowed: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)");
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_SECURITY_PROTOCOL), KAFKA_SECURITY_PLAINTEXT);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "security.protocol", "sasl_ssl", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.mechanisms", "SCRAM-SHA-256", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_SASL_MECHANISM), KAFKA_SASL_SCRAM_SHA_256);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT_STRING_EQUAL(errstr,
                           "security.protocol: SASL_SSL needs sasl.username (and sasl.password) for SCRAM-SHA-256");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.username", "alice", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.password", "wonder-pa55", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_validate(conf, errstr, sizeof(errstr)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(conf, "sasl.password"), "[hidden]");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "ssl.key.password", "pa55-w0rd", NULL, 0), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(get(conf, "ssl.key.password"), "[hidden]");
    CU_ASSERT_STRING_EQUAL(kafka_conf_str(conf, KAFKA_CONF_SSL_KEY_PASSWORD), "pa55-w0rd"); /* for the library */
    char *dump = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&dump, &len);
    kafka_conf_dump(conf, f);
    fclose(f);
    CU_ASSERT_PTR_NULL(strstr(dump, "pa55"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dump, "ssl.key.password=[hidden]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dump, "sasl.password=[hidden]\n"));
    free(dump);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_SSL_MIN_VERSION), KAFKA_TLS_1_2);
    CU_ASSERT_EQUAL(kafka_conf_int(conf, KAFKA_CONF_SSL_ENDPOINT_IDENTIFICATION), 1);
    kafka_conf_destroy(conf);
}

/* Secret values (sasl.password, ssl.key.password, and SCRAM's copy of the password) live
 * in pages core dumps leave out, each in its own page-aligned mapping; other strings
 * stay on the heap. */
static void test_secrets_not_dumped(void) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.password", "wonder-pa55", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "ssl.key.password", "pa55-w0rd", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "client.id", "not-a-secret", NULL, 0), KAFKA_OK);
    const char *pw = kafka_conf_str(conf, KAFKA_CONF_SASL_PASSWORD);
    const char *kpw = kafka_conf_str(conf, KAFKA_CONF_SSL_KEY_PASSWORD);
    CU_ASSERT_STRING_EQUAL(pw, "wonder-pa55");
    CU_ASSERT_STRING_EQUAL(kpw, "pa55-w0rd");
    CU_ASSERT_EQUAL(kafka_test_vmflag(pw, "dd"), 1);
    CU_ASSERT_EQUAL(kafka_test_vmflag(kpw, "dd"), 1);
    CU_ASSERT_EQUAL(kafka_test_vmflag(kafka_conf_str(conf, KAFKA_CONF_CLIENT_ID), "dd"), 0);
    long page = sysconf(_SC_PAGESIZE);
    CU_ASSERT((uintptr_t)pw / (uintptr_t)page != (uintptr_t)kpw / (uintptr_t)page); /* a mapping each */
    CU_ASSERT_EQUAL((uintptr_t)pw % (uintptr_t)page, 16); /* just after the mapping's size */
    /* A copy gets its own secret pages; a value set again too. */
    kafka_conf_t *copy = kafka_conf_dup(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    const char *cpw = kafka_conf_str(copy, KAFKA_CONF_SASL_PASSWORD);
    CU_ASSERT_PTR_NOT_EQUAL(cpw, pw);
    CU_ASSERT_STRING_EQUAL(cpw, "wonder-pa55");
    CU_ASSERT_EQUAL(kafka_test_vmflag(cpw, "dd"), 1);
    kafka_conf_destroy(conf);
    char big[10000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CU_ASSERT_EQUAL(kafka_conf_set(copy, "sasl.password", big, NULL, 0), KAFKA_OK);
    const char *bpw = kafka_conf_str(copy, KAFKA_CONF_SASL_PASSWORD);
    CU_ASSERT_STRING_EQUAL(bpw, big);
    CU_ASSERT_EQUAL(kafka_test_vmflag(bpw, "dd"), 1);
    CU_ASSERT_EQUAL(kafka_test_vmflag(bpw + sizeof(big) - 1, "dd"), 1); /* its last page too */
    /* A properties file's secret, and the SCRAM exchange's copy of the password. */
    char path[] = "/tmp/kafka-conf-secret-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char *text = "sasl.password = from-a-file\n";
    CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char errstr[256];
    CU_ASSERT_EQUAL(kafka_conf_set_file(copy, path, errstr, sizeof(errstr)), KAFKA_OK);
    unlink(path);
    CU_ASSERT_STRING_EQUAL(kafka_conf_str(copy, KAFKA_CONF_SASL_PASSWORD), "from-a-file");
    CU_ASSERT_EQUAL(kafka_test_vmflag(kafka_conf_str(copy, KAFKA_CONF_SASL_PASSWORD), "dd"), 1);
    kafka__scram_client_t sc;
    char out[KAFKA__SCRAM_MAX_MSG], why[128];
    CU_ASSERT_FATAL(kafka__scram_client_start(&sc, "SCRAM-SHA-256", "alice", kafka_conf_str(copy,
                                              KAFKA_CONF_SASL_PASSWORD), NULL, out, sizeof(out), why, sizeof(why)));
    CU_ASSERT_EQUAL(kafka_test_vmflag(sc.password, "dd"), 1);
    kafka__scram_client_free(&sc);
    kafka_conf_destroy(copy);
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"roundtrip of every property", test_roundtrip},
    {"property numbers never change", test_numbers_stable},
    {"dump sorted by name", test_dump_sorted},
    {"invalid values", test_invalid_values},
    {"unknown keys and suggestions", test_unknown_key},
    {"bootstrap.servers", test_bootstrap},
    {"properties file", test_file},
    {"validate", test_validate},
    {"dup", test_dup},
    {"security properties", test_security},
    {"secret values in pages core dumps leave out (MADV_DONTDUMP)", test_secrets_not_dumped},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("conf", tests)
