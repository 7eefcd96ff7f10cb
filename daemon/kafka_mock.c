/* kafka-mock: the mock cluster as a standalone process.
 *
 *   kafka-mock --brokers N [--topic NAME:PARTS:RF]... [--legacy] [--kafka-version V] [--partitions N]
 *              [--no-auto-create] [--retention BYTES] [--message-max-bytes BYTES]
 *              [--tls [CERT,KEY]] [--tls-cert-name NAME] [--tls-cert-expired] [--tls-client-auth]
 *              [--sasl MECH[,MECH]...] [--user NAME:PASSWORD]... [--sasl-scram-lenient]
 *              [--sasl-session-lifetime-ms MS] [--listener PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL]...
 *              [--consumer-session-timeout-ms MS] [--consumer-heartbeat-interval-ms MS]
 *              [--consumer-assignor uniform|range]
 *
 * Prints "BOOTSTRAP host:port,..." on stdout (the first listener), then
 * "BOOTSTRAP_<PROTOCOL> host:port,..." for every listener but a first PLAINTEXT one
 * (BOOTSTRAP is it), then for a generated certificate "CA path", and with
 * --tls-client-auth "CLIENT_CERT path" and "CLIENT_KEY path". Then it reads
 * fault-injection commands on stdin, one per line (--help lists them), answering each
 * with one line. Exits 0 on EOF of stdin or on SIGTERM/SIGINT; 2 on a usage error. */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "kafka/mock.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: kafka-mock --brokers N [--topic NAME:PARTS:RF]... [--legacy] [--kafka-version V]\n"
            "                  [--partitions N]\n"
            "                  [--no-auto-create] [--retention BYTES] [--message-max-bytes BYTES]\n"
            "                  [--tls [CERT,KEY]] [--tls-cert-name NAME] [--tls-cert-expired]\n"
            "                  [--tls-client-auth] [--sasl MECH[,MECH]...] [--user NAME:PASSWORD]...\n"
            "                  [--sasl-scram-lenient] [--sasl-session-lifetime-ms MS]\n"
            "                  [--listener PROTOCOL]...\n"
            "                  [--consumer-session-timeout-ms MS] [--consumer-heartbeat-interval-ms MS]\n"
            "                  [--consumer-assignor uniform|range]\n"
            "\n"
            "Starts an in-memory Kafka cluster of N brokers on 127.0.0.1 and prints\n"
            "  BOOTSTRAP 127.0.0.1:PORT,...\n"
            "on stdout: the first listener's ports. --listener PROTOCOL (repeatable, in order)\n"
            "gives every broker a port for PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL clients,\n"
            "as a Kafka broker's listeners=; Metadata answers a client with the brokers' ports of\n"
            "the listener it came in on. Each listener is printed, but a first PLAINTEXT one\n"
            "(BOOTSTRAP is it), as\n"
            "  BOOTSTRAP_<PROTOCOL> 127.0.0.1:PORT,...\n"
            "Without --listener: PLAINTEXT, and with --tls a second, SSL listener, printed as\n"
            "  BOOTSTRAP_SSL 127.0.0.1:PORT,...\n"
            "TLS listeners serve the PEM certificate CERT with its key KEY, or without them a\n"
            "certificate for localhost and 127.0.0.1 signed by a CA made for this run, whose\n"
            "certificate is written to a file (removed on exit) printed as\n"
            "  CA /path/to/ca.pem\n"
            "for clients to trust (ssl.ca.location). --tls-cert-name makes that certificate name\n"
            "only NAME and --tls-cert-expired makes it expired, to see clients refuse it.\n"
            "--tls-client-auth asks clients for a certificate of that CA (mutual TLS) and writes\n"
            "one for them, printed as\n"
            "  CLIENT_CERT /path/to/client.pem\n"
            "  CLIENT_KEY /path/to/client.key\n"
            "--sasl names the SASL mechanisms (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER) the\n"
            "SASL listeners enable for the users --user names (repeatable; test credentials: they\n"
            "show in ps); their connections authenticate first. Without --listener, --sasl makes\n"
            "the listeners SASL_PLAINTEXT and (with --tls) SASL_SSL, printed as\n"
            "  BOOTSTRAP_SASL_PLAINTEXT 127.0.0.1:PORT,...\n"
            "  BOOTSTRAP_SASL_SSL 127.0.0.1:PORT,...\n"
            "OAUTHBEARER takes unsecured JWTs as Kafka's unsecured validator does (header alg none,\n"
            "a string sub, a number exp in the future); a bad or expired token gets the error\n"
            "challenge {\"status\":\"invalid_token\"}. --sasl-session-lifetime-ms is Kafka's\n"
            "connections.max.reauth.ms (KIP-368): each session lasts MS (an OAUTHBEARER one at\n"
            "most to its token's exp), told to clients in SaslAuthenticate v1+; a connection\n"
            "whose session ended is closed on any request but SaslHandshake, SaslAuthenticate\n"
            "and ApiVersions, and may authenticate again on the same connection.\n"
            "--sasl-scram-lenient takes a SCRAM client-final nonce that only ends with the\n"
            "server's, as Kafka 3.8.1-3.9 do (librdkafka before 2.6.1 sends its own nonce twice;\n"
            "Kafka 4 refuses it, and so does the mock by default).\n"
            "--kafka-version V behaves like Kafka release V: 0.8.2, 0.9, 0.10.2, 0.11, 1.1, 2.4,\n"
            "2.8, 3.0, 3.7, 4.0 (a patch version such as 2.4.1 names its release) or latest (the\n"
            "default: every version the mock implements). It serves that release's request\n"
            "versions (as its ApiVersions lists them; 0.8.2 and 0.9 hang up on ApiVersions) and\n"
            "closes the connection on others, takes its record formats (MessageSet v0 before\n"
            "0.10, v0/v1 in 0.10, RecordBatch v2 from 0.11, v2 only in 4.0) and has its\n"
            "message.max.bytes default (1000012 before 3.0, 1048588 from 3.0). Fetches below v4\n"
            "get RecordBatch v2 down-converted to MessageSet, uncompressed. --legacy is\n"
            "--kafka-version 0.8.2. --partitions sets auto-created topics' partition\n"
            "count (default 4); --no-auto-create refuses unknown topics; --retention bounds each\n"
            "partition log (default 8 MiB: older batches go and the log start offset moves\n"
            "up; 0 keeps everything); --message-max-bytes is the brokers' message.max.bytes (a\n"
            "Produce partition with a larger batch gets MESSAGE_TOO_LARGE; default: no limit, or\n"
            "the --kafka-version release's).\n"
            "KIP-848 consumer groups (ConsumerGroupHeartbeat): --consumer-session-timeout-ms\n"
            "(default 45000), --consumer-heartbeat-interval-ms (default 5000) and\n"
            "--consumer-assignor (uniform, the default, or range) are Kafka's\n"
            "group.consumer.session.timeout.ms, group.consumer.heartbeat.interval.ms and\n"
            "group.consumer.assignors.\n"
            "It then reads commands on stdin, one per line, and answers each on stdout; it\n"
            "exits on end of input, SIGTERM or SIGINT.\n\n%s",
            kafka_mock_command_help());
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    const char *topics[256];
    int ntopics = 0;
    char tls_cert[4096];
    char users[4096] = "";
    size_t users_len = 0;
    char listeners[256] = "";
    size_t listeners_len = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--brokers") && val && parse_long(val, 1, 64, &v)) {
            conf.brokers = (int)v;
            i++;
        } else if (!strcmp(a, "--partitions") && val && parse_long(val, 1, 100000, &v)) {
            conf.default_partitions = (int)v;
            i++;
        } else if (!strcmp(a, "--retention") && val && parse_long(val, 0, 1L << 40, &v)) {
            conf.retention_bytes = (size_t)v;
            i++;
        } else if (!strcmp(a, "--message-max-bytes") && val && parse_long(val, 0, 1L << 31, &v)) {
            conf.message_max_bytes = (size_t)v;
            i++;
        } else if (!strcmp(a, "--topic") && val && ntopics < 256) {
            topics[ntopics++] = val;
            i++;
        } else if (!strcmp(a, "--tls")) {
            conf.tls = true;
            if (val && val[0] != '-') { /* CERT,KEY */
                const char *comma = strchr(val, ',');
                if (!comma || comma == val || !comma[1]) {
                    fprintf(stderr, "kafka-mock: --tls %s: expected CERT,KEY (PEM files)\n", val);
                    return 2;
                }
                snprintf(tls_cert, sizeof(tls_cert), "%.*s", (int)(comma - val), val);
                conf.tls_cert = tls_cert;
                conf.tls_key = comma + 1;
                i++;
            }
        } else if (!strcmp(a, "--tls-cert-name") && val) {
            conf.tls_cert_name = val;
            i++;
        } else if (!strcmp(a, "--tls-cert-expired")) {
            conf.tls_cert_expired = true;
        } else if (!strcmp(a, "--tls-client-auth")) {
            conf.tls_client_auth = true;
        } else if (!strcmp(a, "--sasl") && val) {
            conf.sasl_mechanisms = val;
            i++;
        } else if (!strcmp(a, "--user") && val) {
            if (!strchr(val, ':') || strchr(val, ',') || users_len + strlen(val) + 2 > sizeof(users)) {
                fprintf(stderr, "kafka-mock: --user %s: expected NAME:PASSWORD (no commas)\n", val);
                return 2;
            }
            users_len += (size_t)snprintf(users + users_len, sizeof(users) - users_len, "%s%s",
                                          users_len ? "," : "", val);
            conf.sasl_users = users;
            i++;
        } else if (!strcmp(a, "--sasl-session-lifetime-ms") && val && parse_long(val, 1, 1L << 40, &v)) {
            conf.sasl_session_lifetime_ms = v;
            i++;
        } else if (!strcmp(a, "--listener") && val) {
            if (listeners_len + strlen(val) + 2 > sizeof(listeners)) {
                fprintf(stderr, "kafka-mock: --listener %s: too many listeners\n", val);
                return 2;
            }
            listeners_len += (size_t)snprintf(listeners + listeners_len, sizeof(listeners) - listeners_len, "%s%s",
                                              listeners_len ? "," : "", val);
            conf.listeners = listeners;
            i++;
        } else if (!strcmp(a, "--consumer-session-timeout-ms") && val && parse_long(val, 1, INT32_MAX, &v)) {
            conf.consumer_session_timeout_ms = (int32_t)v;
            i++;
        } else if (!strcmp(a, "--consumer-heartbeat-interval-ms") && val && parse_long(val, 1, INT32_MAX, &v)) {
            conf.consumer_heartbeat_interval_ms = (int32_t)v;
            i++;
        } else if (!strcmp(a, "--consumer-assignor") && val) {
            conf.consumer_assignor = val;
            i++;
        } else if (!strcmp(a, "--sasl-scram-lenient")) {
            conf.sasl_scram_lenient = true;
        } else if (!strcmp(a, "--kafka-version") && val) {
            conf.kafka_version = val;
            i++;
        } else if (!strcmp(a, "--legacy")) {
            conf.legacy = true;
        } else if (!strcmp(a, "--no-auto-create")) {
            conf.auto_create = false;
        } else {
            fprintf(stderr, "kafka-mock: bad argument '%s'%s\n", a,
                    val || a[0] != '-' ? "" : " (missing value)");
            usage(stderr);
            return 2;
        }
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    /* Blocked before the cluster's thread starts, so only the signalfd sees them. */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    char err[256];
    kafka_mock_t *m = kafka_mock_new(&conf, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "kafka-mock: %s\n", err);
        return 1;
    }
    for (int i = 0; i < ntopics; i++) {
        char name[256];
        long parts = 1, rf = 1;
        const char *c1 = strchr(topics[i], ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        char pbuf[32] = "", rbuf[32] = "";
        if (c1) {
            snprintf(name, sizeof(name), "%.*s", (int)(c1 - topics[i]), topics[i]);
            snprintf(pbuf, sizeof(pbuf), "%.*s", (int)(c2 ? c2 - c1 - 1 : (long)strlen(c1 + 1)), c1 + 1);
            if (c2)
                snprintf(rbuf, sizeof(rbuf), "%s", c2 + 1);
        } else {
            snprintf(name, sizeof(name), "%s", topics[i]);
        }
        if ((pbuf[0] && !parse_long(pbuf, 1, 100000, &parts)) || (rbuf[0] && !parse_long(rbuf, 1, 64, &rf))) {
            fprintf(stderr, "kafka-mock: --topic %s: expected NAME:PARTITIONS:REPLICATION\n", topics[i]);
            kafka_mock_destroy(m);
            return 2;
        }
        kafka_err_t e = kafka_mock_topic_create(m, name, (int)parts, (int)rf);
        if (e) {
            fprintf(stderr, "kafka-mock: --topic %s: %s\n", topics[i], kafka_err2str(e));
            kafka_mock_destroy(m);
            return 2;
        }
    }
    printf("BOOTSTRAP %s\n", kafka_mock_bootstrap(m));
    for (int i = 0; i < kafka_mock_listener_count(m); i++) {
        const char *proto = kafka_mock_listener_protocol(m, i);
        if (i > 0 || strcmp(proto, "PLAINTEXT") != 0)
            printf("BOOTSTRAP_%s %s\n", proto, kafka_mock_bootstrap_listener(m, proto));
    }
    if (kafka_mock_tls_ca(m))
        printf("CA %s\n", kafka_mock_tls_ca(m));
    if (kafka_mock_tls_client_cert(m))
        printf("CLIENT_CERT %s\nCLIENT_KEY %s\n", kafka_mock_tls_client_cert(m), kafka_mock_tls_client_key(m));
    fflush(stdout);
    char line[1024];
    size_t have = 0;
    int rc = 0;
    for (;;) {
        struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[1].revents)
            break;
        if (!pf[0].revents)
            continue;
        ssize_t n = read(STDIN_FILENO, line + have, sizeof(line) - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        line[have] = 0;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = 0;
            char reply[2048];
            kafka_err_t e = kafka_mock_command(m, line, reply, sizeof(reply));
            printf("%s%s\n", e ? "error: " : "", reply);
            fflush(stdout);
            size_t used = (size_t)(nl + 1 - line);
            memmove(line, nl + 1, have - used + 1);
            have -= used;
        }
        if (have == sizeof(line) - 1) {
            printf("error: command line longer than %zu bytes\n", sizeof(line) - 2);
            fflush(stdout);
            have = 0;
        }
    }
    kafka_mock_destroy(m);
    return rc;
}
