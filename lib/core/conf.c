/* kafka_conf_t: one table of properties drives parsing, printing, defaults and docs, so
 * adding a property is one line here plus its enum entry in kafka/conf.h. */
#include "kafka/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf_int.h"
#include "core/log.h"
#include "core/oauth.h"
#include "kafka/protocol.h"
#include "util/secret.h"

typedef enum conf_type_e { CONF_BOOL, CONF_INT, CONF_ENUM, CONF_STR } conf_type_t;

typedef struct conf_enum_s {
    const char *name;
    int64_t value;
} conf_enum_t;

/* Values a property is known to take that this build does not implement: refused with
 * why, rather than called invalid. */
typedef struct conf_refused_s {
    int prop;
    const char *value, *why;
} conf_refused_t;

/* A string property's syntax check: on success *canonical is the malloc'd value to
 * store. Errors name the key and are KAFKA_ERR__INVALID_CONF or KAFKA_ERR__NO_MEMORY. */
typedef kafka_err_t (*conf_check_t)(const char *key, const char *value, char **canonical,
                                    char *errstr, size_t errstr_size);

typedef struct conf_def_s {
    const char *name;
    conf_type_t type;
    const char *def; /* string form, parsed like any set value */
    int64_t min, max;
    const conf_enum_t *values; /* CONF_ENUM: ends at a NULL name; the first spelling of a
                                  value is its canonical one */
    conf_check_t check;        /* CONF_STR: NULL accepts any string */
    const char *doc;
    bool secret;               /* never shown: get and dump say "[hidden]"; its value lives in
                                  secret memory (util/secret.h: out of core dumps, wiped) */
} conf_def_t;

struct kafka_conf_s {
    int64_t ival[KAFKA_CONF__COUNT];
    char *sval[KAFKA_CONF__COUNT];
    /* Set by the application rather than defaulted: validate() may settle only the
     * defaulted ones, as Java's producer does. */
    bool set[KAFKA_CONF__COUNT];
    kafka__conf_cbs_t cbs;
    kafka__logger_t *logger; /* each copy its own: a client's lines are limited apart */
    kafka__oauth_t *oauth;   /* a client's OAUTHBEARER token, shared with the copies */
};

static kafka_err_t check_bootstrap(const char *, const char *, char **, char *, size_t);
static kafka_err_t check_version(const char *, const char *, char **, char *, size_t);
static kafka_err_t check_strategy(const char *, const char *, char **, char *, size_t);

static const conf_enum_t acks_values[] = {{"0", 0}, {"1", 1}, {"-1", -1}, {"all", -1}, {NULL, 0}};
static const conf_enum_t compression_values[] = {
    {"none", KAFKA_COMPRESSION_NONE}, {"gzip", KAFKA_COMPRESSION_GZIP},
    {"snappy", KAFKA_COMPRESSION_SNAPPY}, {"lz4", KAFKA_COMPRESSION_LZ4},
    {"zstd", KAFKA_COMPRESSION_ZSTD}, {NULL, 0}};
static const conf_enum_t offset_reset_values[] = {{"earliest", KAFKA_OFFSET_RESET_EARLIEST},
                                                  {"latest", KAFKA_OFFSET_RESET_LATEST},
                                                  {"error", KAFKA_OFFSET_RESET_ERROR},
                                                  {NULL, 0}};
static const conf_enum_t isolation_values[] = {{"read_uncommitted", KAFKA_ISOLATION_READ_UNCOMMITTED},
                                               {"read_committed", KAFKA_ISOLATION_READ_COMMITTED},
                                               {NULL, 0}};
static const conf_enum_t storage_values[] = {{"kafka", KAFKA_OFFSETS_STORAGE_KAFKA},
                                             {"file", KAFKA_OFFSETS_STORAGE_FILE},
                                             {NULL, 0}};
static const conf_enum_t partitioner_values[] = {
    {"murmur2_random", KAFKA_PARTITIONER_MURMUR2_RANDOM}, {"murmur2", KAFKA_PARTITIONER_MURMUR2},
    {"random", KAFKA_PARTITIONER_RANDOM}, {"consistent_random", KAFKA_PARTITIONER_CONSISTENT_RANDOM},
    {NULL, 0}};
static const conf_enum_t queue_full_values[] = {
    {"block", KAFKA_QUEUE_FULL_BLOCK}, {"error", KAFKA_QUEUE_FULL_ERROR}, {NULL, 0}};
static const conf_enum_t security_values[] = {{"PLAINTEXT", KAFKA_SECURITY_PLAINTEXT},
                                              {"SSL", KAFKA_SECURITY_SSL},
                                              {"SASL_PLAINTEXT", KAFKA_SECURITY_SASL_PLAINTEXT},
                                              {"SASL_SSL", KAFKA_SECURITY_SASL_SSL},
                                              {NULL, 0}};
#define NO_GSSAPI "GSSAPI (Kerberos) is not implemented (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER are)"
static const conf_refused_t refused[] = {{KAFKA_CONF_SASL_MECHANISM, "GSSAPI", NO_GSSAPI}};
static const conf_enum_t group_protocol_values[] = {{"classic", KAFKA_GROUP_PROTOCOL_CLASSIC},
                                                    {"consumer", KAFKA_GROUP_PROTOCOL_CONSUMER},
                                                    {NULL, 0}};
static const conf_enum_t sasl_values[] = {{"PLAIN", KAFKA_SASL_PLAIN},
                                          {"SCRAM-SHA-256", KAFKA_SASL_SCRAM_SHA_256},
                                          {"SCRAM-SHA-512", KAFKA_SASL_SCRAM_SHA_512},
                                          {"OAUTHBEARER", KAFKA_SASL_OAUTHBEARER},
                                          {NULL, 0}};
static const conf_enum_t endpoint_id_values[] = {{"https", 1}, {"none", 0}, {NULL, 0}};
static const conf_enum_t tls_version_values[] = {
    {"TLSv1.2", KAFKA_TLS_1_2}, {"TLSv1.3", KAFKA_TLS_1_3}, {"TLS1.2", KAFKA_TLS_1_2},
    {"TLS1.3", KAFKA_TLS_1_3},  {NULL, 0}};

#define I32 INT64_C(2147483647)
#define P_BOOL(id, name, def, doc) [id] = {name, CONF_BOOL, def, 0, 1, NULL, NULL, doc, false}
#define P_INT(id, name, def, lo, hi, doc) [id] = {name, CONF_INT, def, lo, hi, NULL, NULL, doc, false}
#define P_ENUM(id, name, def, vals, doc) [id] = {name, CONF_ENUM, def, 0, 0, vals, NULL, doc, false}
#define P_STR(id, name, def, check, doc) [id] = {name, CONF_STR, def, 0, 0, NULL, check, doc, false}
#define P_SECRET(id, name, doc) [id] = {name, CONF_STR, "", 0, 0, NULL, NULL, doc, true}

/* Defaults are Java's producer/consumer ones unless the doc says why not. */
static const conf_def_t props[KAFKA_CONF__COUNT] = {
    P_ENUM(KAFKA_CONF_ACKS, "acks", "all", acks_values,
           "Acknowledgements a produce waits for: 0 none, 1 the leader, -1 or all every in-sync replica."),
    P_BOOL(KAFKA_CONF_API_VERSION_REQUEST, "api.version.request", "true",
           "Negotiate API versions with ApiVersions; false assumes broker.version.fallback."),
    P_INT(KAFKA_CONF_AUTO_COMMIT_INTERVAL_MS, "auto.commit.interval.ms", "5000", 0, I32,
          "How often the consumer commits its positions when enable.auto.commit is true."),
    P_ENUM(KAFKA_CONF_AUTO_OFFSET_RESET, "auto.offset.reset", "latest", offset_reset_values,
           "Where a consumer without a valid committed offset starts: earliest, latest, or error."),
    P_INT(KAFKA_CONF_BATCH_SIZE, "batch.size", "131072", 1, 1000000000,
          "Largest record batch per partition in bytes; 128 KiB rather than Java's 16 KiB because "
          "fewer, larger batches are where the throughput comes from, and linger.ms bounds latency."),
    P_STR(KAFKA_CONF_BOOTSTRAP_SERVERS, "bootstrap.servers", "", check_bootstrap,
          "Initial brokers as host:port,...; port 9092 when omitted; IPv6 as [::1]:9092."),
    P_STR(KAFKA_CONF_BROKER_VERSION_FALLBACK, "broker.version.fallback", "0.10.0", check_version,
          "Broker version a.b.c[.d] assumed when API versions are not negotiated (librdkafka's default)."),
    P_BOOL(KAFKA_CONF_CHECK_CRCS, "check.crcs", "true", "Verify the CRC of every fetched batch or message."),
    P_STR(KAFKA_CONF_CLIENT_ID, "client.id", "libkafka", NULL,
          "Client name sent in every request header, for broker logs and quotas."),
    P_ENUM(KAFKA_CONF_COMPRESSION_TYPE, "compression.type", "none", compression_values,
           "Codec of produced batches: none, gzip, snappy, lz4 or zstd."),
    P_INT(KAFKA_CONF_DELIVERY_TIMEOUT_MS, "delivery.timeout.ms", "120000", 1, I32,
          "Longest time from produce to delivery report, retries included; at least linger.ms + "
          "request.timeout.ms."),
    P_BOOL(KAFKA_CONF_ENABLE_AUTO_COMMIT, "enable.auto.commit", "true",
           "Commit consumed positions every auto.commit.interval.ms."),
    P_BOOL(KAFKA_CONF_ENABLE_IDEMPOTENCE, "enable.idempotence", "true",
           "Producer ids and sequence numbers, so retries neither duplicate nor reorder; needs acks=all, "
           "retries > 0 and max.in.flight.requests.per.connection <= 5."),
    P_INT(KAFKA_CONF_FETCH_MAX_BYTES, "fetch.max.bytes", "52428800", 1, I32,
          "Most bytes one Fetch response carries over all its partitions."),
    P_INT(KAFKA_CONF_FETCH_MAX_WAIT_MS, "fetch.max.wait.ms", "500", 0, 300000,
          "How long the broker may hold a Fetch for fetch.min.bytes (Java's 500, not the origin's 100)."),
    P_INT(KAFKA_CONF_FETCH_MIN_BYTES, "fetch.min.bytes", "1", 0, 100000000,
          "Least bytes a Fetch response waits for; 0 answers at once."),
    P_STR(KAFKA_CONF_GROUP_ID, "group.id", "", NULL,
          "Consumer group whose offsets are committed to Kafka; empty for none."),
    P_ENUM(KAFKA_CONF_ISOLATION_LEVEL, "isolation.level", "read_uncommitted", isolation_values,
           "read_uncommitted returns every record; read_committed hides aborted transactions."),
    P_INT(KAFKA_CONF_LINGER_MS, "linger.ms", "5", 0, 900000,
          "How long a partition's open batch waits for more records before it is sent."),
    P_INT(KAFKA_CONF_LOG_LEVEL, "log.level", "6", 0, 7,
          "Most verbose syslog severity logged: 0 emergency .. 4 warning .. 6 info .. 7 debug; "
          "unless set, stderr (no kafka_conf_set_log_cb) gets 4 and worse only."),
    P_INT(KAFKA_CONF_MAX_IN_FLIGHT, "max.in.flight.requests.per.connection", "5", 1, 1000000,
          "Requests pipelined on one broker connection before waiting for a response."),
    P_INT(KAFKA_CONF_MAX_PARTITION_FETCH_BYTES, "max.partition.fetch.bytes", "1048576", 1, I32,
          "Most bytes a Fetch returns per partition (a larger first batch still comes whole)."),
    P_INT(KAFKA_CONF_MESSAGE_MAX_BYTES, "message.max.bytes", "1048576", 1000, 1000000000,
          "Largest request the client sends (Java's max.request.size); larger records fail with MSG_TOO_LARGE."),
    P_INT(KAFKA_CONF_METADATA_MAX_AGE_MS, "metadata.max.age.ms", "300000", 1, 86400000,
          "Metadata is refreshed at least this often, errors or not."),
    P_STR(KAFKA_CONF_OFFSETS_FILE, "offsets.file", "", NULL,
          "File the consumer keeps its offsets in when offsets.storage is file."),
    P_ENUM(KAFKA_CONF_OFFSETS_STORAGE, "offsets.storage", "kafka", storage_values,
           "Where the consumer commits offsets: kafka (OffsetCommit with group.id) or file (offsets.file)."),
    P_ENUM(KAFKA_CONF_PARTITIONER, "partitioner", "murmur2_random", partitioner_values,
           "Partition of keyed records: murmur2 of the key (as Java) or consistent (CRC32); the _random "
           "ones spread unkeyed records, murmur2 hashes them too, random ignores keys."),
    P_INT(KAFKA_CONF_QUEUE_BUFFERING_MAX_KBYTES, "queue.buffering.max.kbytes", "1048576", 1, I32,
          "Most KiB of records the producer holds before queue.full.behavior applies."),
    P_INT(KAFKA_CONF_QUEUE_BUFFERING_MAX_MESSAGES, "queue.buffering.max.messages", "100000", 1, I32,
          "Most records the producer holds before queue.full.behavior applies."),
    P_ENUM(KAFKA_CONF_QUEUE_FULL_BEHAVIOR, "queue.full.behavior", "block", queue_full_values,
           "Ours: a produce into a full queue blocks up to queue.full.timeout.ms (as Java) or fails "
           "with QUEUE_FULL at once (error, as librdkafka)."),
    P_INT(KAFKA_CONF_QUEUE_FULL_TIMEOUT_MS, "queue.full.timeout.ms", "60000", 0, I32,
          "How long a blocked produce waits for room before QUEUE_FULL (Java's max.block.ms)."),
    P_INT(KAFKA_CONF_QUEUED_MAX_MESSAGES_KBYTES, "queued.max.messages.kbytes", "65536", 1, 2097151,
          "Most KiB of fetched records the consumer loop buffers ahead of poll (librdkafka's name and "
          "default); fetching pauses above it."),
    P_INT(KAFKA_CONF_RECONNECT_BACKOFF_MAX_MS, "reconnect.backoff.max.ms", "1000", 0, 3600000,
          "Cap of the exponential reconnect backoff."),
    P_INT(KAFKA_CONF_RECONNECT_BACKOFF_MS, "reconnect.backoff.ms", "50", 0, 3600000,
          "First wait before reconnecting to a broker; doubles up to reconnect.backoff.max.ms."),
    P_INT(KAFKA_CONF_REQUEST_TIMEOUT_MS, "request.timeout.ms", "30000", 1, 900000,
          "How long a request waits for its response: Java's 30 s, not the origin's 1.5 s, since an "
          "acks=all Produce waits on replication and a Fetch on fetch.max.wait.ms."),
    P_INT(KAFKA_CONF_RETRIES, "retries", "2147483647", 0, I32,
          "Retries of a failed retriable request; delivery.timeout.ms bounds their total time."),
    P_INT(KAFKA_CONF_RETRY_BACKOFF_MAX_MS, "retry.backoff.max.ms", "1000", 1, 300000,
          "Cap of the exponential retry backoff."),
    P_INT(KAFKA_CONF_RETRY_BACKOFF_MS, "retry.backoff.ms", "100", 1, 300000,
          "First wait before a retry; doubles up to retry.backoff.max.ms."),
    P_INT(KAFKA_CONF_STATISTICS_INTERVAL_MS, "statistics.interval.ms", "0", 0, 86400000,
          "How often a client hands its counters to its stats callback (kafka_conf_set_stats_cb for a "
          "producer, kafka_conf_set_consumer_stats_cb for a consumer); 0 disables it."),
    P_ENUM(KAFKA_CONF_SECURITY_PROTOCOL, "security.protocol", "PLAINTEXT", security_values,
           "How broker connections are secured: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL "
           "authentication, sasl.mechanism, after connecting; over TLS with SASL_SSL)."),
    P_STR(KAFKA_CONF_SSL_CA_LOCATION, "ssl.ca.location", "", NULL,
          "CA certificates (PEM) that broker certificates must chain to: a file, or a directory "
          "prepared with openssl rehash; empty uses the system trust store."),
    P_STR(KAFKA_CONF_SSL_CERTIFICATE_LOCATION, "ssl.certificate.location", "", NULL,
          "The client's certificate (PEM, chain after it) for brokers that require one (mTLS)."),
    P_STR(KAFKA_CONF_SSL_KEY_LOCATION, "ssl.key.location", "", NULL,
          "The private key (PEM) of ssl.certificate.location."),
    P_SECRET(KAFKA_CONF_SSL_KEY_PASSWORD, "ssl.key.password",
             "Password of an encrypted ssl.key.location; never logged or shown."),
    P_ENUM(KAFKA_CONF_SSL_ENDPOINT_IDENTIFICATION, "ssl.endpoint.identification.algorithm", "https",
           endpoint_id_values,
           "https: the broker's certificate must name the host (or IP) connected to, and the host name "
           "is sent as SNI; none: any certificate the CAs signed is taken."),
    P_STR(KAFKA_CONF_SSL_CIPHER_SUITES, "ssl.cipher.suites", "", NULL,
          "OpenSSL cipher list for TLS 1.2 (e.g. ECDHE-RSA-AES128-GCM-SHA256); names starting with "
          "TLS_ set the TLS 1.3 suites; empty keeps OpenSSL's defaults."),
    P_ENUM(KAFKA_CONF_SSL_MIN_VERSION, "ssl.min.version", "TLSv1.2", tls_version_values,
           "Oldest TLS version accepted: TLSv1.2 or TLSv1.3."),
    P_ENUM(KAFKA_CONF_SASL_MECHANISM, "sasl.mechanism", "PLAIN", sasl_values,
           "SASL mechanism of SASL_PLAINTEXT / SASL_SSL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER."),
    P_STR(KAFKA_CONF_SASL_USERNAME, "sasl.username", "", NULL, "SASL user name (PLAIN, SCRAM)."),
    P_SECRET(KAFKA_CONF_SASL_PASSWORD, "sasl.password", "SASL password (PLAIN, SCRAM); never logged or shown."),
    P_STR(KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_FILE, "sasl.oauthbearer.token.file", "", NULL,
          "OAUTHBEARER: a file holding the token (a JWT), read again whenever it changes (checked before "
          "each authentication); the token is never logged."),
    P_SECRET(KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_COMMAND, "sasl.oauthbearer.token.command",
             "OAUTHBEARER: a /bin/sh command printing the token (a JWT) on stdout, run when a token is "
             "needed and again at 80% of its lifetime (its exp claim); never shown, as it may hold credentials."),
    P_SECRET(KAFKA_CONF_SASL_OAUTHBEARER_CONFIG, "sasl.oauthbearer.config",
             "librdkafka's: \"principal=NAME [lifeSeconds=N] [scope=A,B]\" for the unsecured JWT of "
             "enable.sasl.oauthbearer.unsecure.jwt; never shown."),
    P_BOOL(KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT, "enable.sasl.oauthbearer.unsecure.jwt", "false",
           "librdkafka's: OAUTHBEARER with an unsigned JWT (alg none) made from sasl.oauthbearer.config, for "
           "development brokers (Kafka's unsecured validator); never for production."),
    P_STR(KAFKA_CONF_TRANSACTIONAL_ID, "transactional.id", "", NULL,
          "Makes the producer transactional (implies enable.idempotence): produce only between "
          "kafka_producer_begin_transaction() and commit/abort; one instance per id (a new one fences the old)."),
    P_INT(KAFKA_CONF_TRANSACTION_TIMEOUT_MS, "transaction.timeout.ms", "60000", 1, 900000,
          "How long the transaction coordinator lets a transaction stay open before it aborts it (and fences "
          "the producer)."),
    P_STR(KAFKA_CONF_GROUP_INSTANCE_ID, "group.instance.id", "", NULL,
          "Static group membership (KIP-345): a member that restarts with the same id within "
          "session.timeout.ms takes its partitions back without a rebalance; it does not leave the "
          "group on close. Empty: a dynamic member."),
    P_ENUM(KAFKA_CONF_GROUP_PROTOCOL, "group.protocol", "classic", group_protocol_values,
           "Group protocol of kafka_consumer_subscribe: classic (JoinGroup, SyncGroup, Heartbeat, "
           "client-side assignors) or consumer (KIP-848: ConsumerGroupHeartbeat, the coordinator "
           "assigns; Kafka 4.0+). With consumer, a coordinator that does not offer "
           "ConsumerGroupHeartbeat is an error poll() returns (UNSUPPORTED_VERSION), as Java's "
           "consumer fails; there is no fallback to classic. partition.assignment.strategy and "
           "session.timeout.ms are the coordinator's then (group.consumer.*)."),
    P_STR(KAFKA_CONF_PARTITION_ASSIGNMENT_STRATEGY, "partition.assignment.strategy", "range,roundrobin",
          check_strategy,
          "Assignors offered to the group, preferred first: range, roundrobin (eager: every partition "
          "is revoked at a rebalance) or cooperative-sticky (KIP-429: only partitions that move); "
          "eager and cooperative ones do not mix. librdkafka's default."),
    P_INT(KAFKA_CONF_SESSION_TIMEOUT_MS, "session.timeout.ms", "45000", 1, 3600000,
          "A member the coordinator hears no heartbeat from for this long leaves the group."),
    P_INT(KAFKA_CONF_HEARTBEAT_INTERVAL_MS, "heartbeat.interval.ms", "3000", 1, 3600000,
          "How often the group thread heartbeats; below session.timeout.ms."),
    P_INT(KAFKA_CONF_MAX_POLL_INTERVAL_MS, "max.poll.interval.ms", "300000", 1, 86400000,
          "Longest time between poll() calls of a group member: past it the member leaves the group "
          "(its partitions are lost) and rejoins at the next poll, which reports MAX_POLL_EXCEEDED "
          "once; also the rebalance timeout sent in JoinGroup."),
    P_BOOL(KAFKA_CONF_ENABLE_AUTO_OFFSET_STORE, "enable.auto.offset.store", "true",
           "poll() stores each partition's position for the next commit; false: only offsets given to "
           "kafka_consumer_store_offset() are committed (librdkafka's semantics)."),
    P_BOOL(KAFKA_CONF_ENABLE_FETCH_SESSIONS, "enable.fetch.sessions", "true",
           "The consumer loop's fetchers use incremental fetch sessions (KIP-227) with brokers that "
           "serve Fetch v7+ (Kafka 1.1+): after the first Fetch only partitions whose fetch offset "
           "changed are sent, and the broker answers only partitions with news. false: every Fetch "
           "lists every partition (sessionless, epoch -1)."),
};

__attribute__((format(printf, 3, 4)))
static kafka_err_t fail(char *errstr, size_t errstr_size, const char *fmt, ...) {
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return KAFKA_ERR__INVALID_CONF;
}

/* ---- bootstrap.servers and broker.version.fallback ---------------------------- */

/* Steps over the comma-separated list at *pos; false at its end. Entries come trimmed
 * and empty ones are skipped, as Java's ClientUtils does. */
static bool next_entry(const char **pos, const char **start, size_t *len) {
    const char *p = *pos;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *s = p, *e = end;
        p = *end ? end + 1 : end;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        if (e > s) {
            *pos = p;
            *start = s;
            *len = (size_t)(e - s);
            return true;
        }
    }
    *pos = p;
    return false;
}

/* Parses one "host[:port]" or "[v6addr][:port]"; NULL on success, else why not (in why). */
static const char *parse_broker(const char *s, size_t len, kafka_conf_broker_t *b, char *why,
                                size_t why_size) {
    const char *end = s + len, *host = s, *port;
    size_t hlen;
    bool v6 = s[0] == '[';
    if (v6) {
        const char *close = memchr(s, ']', len);
        if (!close)
            return "missing ']' after the IPv6 address";
        host = s + 1;
        hlen = (size_t)(close - host);
        port = close + 1;
        if (port < end && *port != ':')
            return "expected ':' after ']'";
    } else {
        port = memchr(s, ':', len);
        if (!port)
            port = end;
        hlen = (size_t)(port - s);
        if (port < end && memchr(port + 1, ':', (size_t)(end - port - 1)))
            return "an IPv6 address needs brackets, e.g. [::1]:9092";
    }
    if (hlen == 0)
        return "empty host";
    if (hlen >= sizeof(b->host))
        return "host name is too long";
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)host[i];
        /* ':' and '%' (a zone id) only inside brackets. */
        if (!isalnum(c) && c != '.' && c != '-' && c != '_' && !(v6 && (c == ':' || c == '%')))
            return "invalid character in host";
    }
    long n = KAFKA_CONF_DEFAULT_PORT;
    if (port < end) {
        const char *d = port + 1;
        int digits = (int)(end - d);
        if (digits == 0)
            return "missing port after ':'";
        n = 0;
        for (const char *q = d; q < end; q++) {
            if (!isdigit((unsigned char)*q)) {
                snprintf(why, why_size, "port \"%.*s\" is not a number", digits, d);
                return why;
            }
            if (n <= 65535)
                n = n * 10 + (*q - '0');
        }
        if (n < 1 || n > 65535) {
            snprintf(why, why_size, "port %.*s is out of range (1..65535)", digits, d);
            return why;
        }
    }
    memcpy(b->host, host, hlen);
    b->host[hlen] = '\0';
    b->port = (int)n;
    return NULL;
}

/* Stored canonically: trimmed entries, every port spelled out, v6 hosts in brackets. */
static kafka_err_t check_bootstrap(const char *key, const char *value, char **canonical,
                                   char *errstr, size_t errstr_size) {
    size_t cap = 1, n = 0;
    for (const char *p = value; *p; p++)
        cap += *p == ',' ? 7 : 1;
    char *out = malloc(cap + 7);
    if (!out)
        return KAFKA_ERR__NO_MEMORY;
    const char *pos = value, *s;
    size_t len;
    kafka_conf_broker_t b;
    char why[96];
    while (next_entry(&pos, &s, &len)) {
        const char *err = parse_broker(s, len, &b, why, sizeof(why));
        if (err) {
            free(out);
            return fail(errstr, errstr_size, "%s: invalid entry \"%.*s\": %s", key, (int)len, s, err);
        }
        bool brackets = strchr(b.host, ':') != NULL;
        n += (size_t)sprintf(out + n, "%s%s%s%s:%d", n ? "," : "", brackets ? "[" : "", b.host,
                             brackets ? "]" : "", b.port);
    }
    out[n] = '\0';
    *canonical = out;
    return KAFKA_OK;
}

static kafka_err_t check_version(const char *key, const char *value, char **canonical,
                                 char *errstr, size_t errstr_size) {
    int parts = 0;
    size_t digits;
    const char *p = value;
    /* Each part 1-5 digits, one dot between parts. */
    while ((digits = strspn(p, "0123456789")) >= 1 && digits <= 5) {
        parts++;
        p += digits;
        if (*p != '.' || !p[1])
            break;
        p++;
    }
    if (*p || parts < 3 || parts > 4)
        return fail(errstr, errstr_size, "%s: invalid value \"%s\" (expected a version a.b.c or a.b.c.d)",
                    key, value);
    *canonical = strdup(value);
    return *canonical ? KAFKA_OK : KAFKA_ERR__NO_MEMORY;
}

/* ---- partition.assignment.strategy ------------------------------------------------ */

static kafka_err_t check_strategy(const char *key, const char *value, char **canonical, char *errstr,
                                  size_t errstr_size) {
    static const char *const names[] = {"range", "roundrobin", "cooperative-sticky"};
    char *out = malloc(strlen(value) + 1);
    if (!out)
        return KAFKA_ERR__NO_MEMORY;
    size_t n = 0;
    int count = 0, eager = 0;
    const char *pos = value, *start;
    size_t len;
    while (next_entry(&pos, &start, &len)) {
        size_t k = 0;
        while (k < 3 && !(strlen(names[k]) == len && strncasecmp(names[k], start, len) == 0))
            k++;
        if (k == 3) {
            free(out);
            return fail(errstr, errstr_size, "%s: unknown assignor \"%.*s\" (range, roundrobin, cooperative-sticky)",
                        key, (int)len, start);
        }
        eager += k < 2;
        n += (size_t)sprintf(out + n, "%s%s", count++ ? "," : "", names[k]);
    }
    if (!count || (eager && eager != count)) {
        free(out);
        return fail(errstr, errstr_size, "%s: \"%s\": %s", key, value,
                    count ? "eager (range, roundrobin) and cooperative (cooperative-sticky) assignors do not mix"
                          : "at least one assignor is needed");
    }
    *canonical = out;
    return KAFKA_OK;
}

/* ---- Values ----------------------------------------------------------------------- */

/* Strict decimal: no whitespace, no base prefixes, the whole string. *overflow when
 * the digits do not fit an int64_t (reported as out of range, not as garbage). */
static bool parse_int(const char *s, int64_t *out, bool *overflow) {
    const char *d = s + (*s == '-' || *s == '+');
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    *overflow = errno == ERANGE;
    *out = v;
    return true;
}

static kafka_err_t parse_value(const conf_def_t *d, const char *value, int64_t *ival, char **sval,
                               char *errstr, size_t errstr_size) {
    switch (d->type) {
    case CONF_BOOL:
        if (strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0) {
            *ival = strcasecmp(value, "true") == 0;
            return KAFKA_OK;
        }
        return fail(errstr, errstr_size, "%s: invalid value \"%s\" (allowed: true, false)", d->name, value);
    case CONF_INT: {
        bool overflow = false;
        if (!parse_int(value, ival, &overflow))
            return fail(errstr, errstr_size, "%s: invalid value \"%s\" (expected an integer in %" PRId64
                        "..%" PRId64 ")", d->name, value, d->min, d->max);
        if (overflow || *ival < d->min || *ival > d->max)
            return fail(errstr, errstr_size, "%s: %s is out of range (%" PRId64 "..%" PRId64 ")", d->name,
                        value, d->min, d->max);
        return KAFKA_OK;
    }
    case CONF_ENUM: {
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
            if (&props[refused[i].prop] == d && strcasecmp(value, refused[i].value) == 0)
                return fail(errstr, errstr_size, "%s: %s is not supported: %s", d->name, refused[i].value,
                            refused[i].why);
        char allowed[160];
        size_t n = 0;
        for (const conf_enum_t *e = d->values; e->name; e++) {
            if (strcasecmp(value, e->name) == 0) {
                *ival = e->value;
                return KAFKA_OK;
            }
            n += (size_t)snprintf(allowed + n, sizeof(allowed) - n, "%s%s", n ? ", " : "", e->name);
            if (n >= sizeof(allowed))
                n = sizeof(allowed) - 1;
        }
        return fail(errstr, errstr_size, "%s: invalid value \"%s\" (allowed: %s)", d->name, value, allowed);
    }
    case CONF_STR: {
        char *heap = NULL;
        if (d->check) {
            kafka_err_t err = d->check(d->name, value, &heap, errstr, errstr_size);
            if (err || !d->secret) {
                *sval = heap;
                return err;
            }
            value = heap;
        }
        *sval = d->secret ? kafka__secret_dup(value) : strdup(value);
        if (heap) { /* a secret's canonical form, now copied */
            explicit_bzero(heap, strlen(heap));
            free(heap);
        }
        return *sval ? KAFKA_OK : KAFKA_ERR__NO_MEMORY;
    }
    }
    return KAFKA_ERR__INVALID_ARG;
}

/* The string form of a value: the stored string, an enum's canonical spelling, or the
 * number printed into tmp. */
static const char *value_str(const kafka_conf_t *conf, int p, char tmp[24]) {
    const conf_def_t *d = &props[p];
    switch (d->type) {
    case CONF_BOOL:
        return conf->ival[p] ? "true" : "false";
    case CONF_ENUM:
        for (const conf_enum_t *e = d->values; e->name; e++)
            if (e->value == conf->ival[p])
                return e->name;
        break;
    case CONF_STR:
        return d->secret && conf->sval[p][0] ? "[hidden]" : conf->sval[p];
    case CONF_INT:
        break;
    }
    snprintf(tmp, 24, "%" PRId64, conf->ival[p]);
    return tmp;
}

/* Frees a string value of property p: a secret's is wiped and unmapped. */
static void sval_free(int p, char *sval) {
    if (props[p].secret)
        kafka__secret_free(sval);
    else
        free(sval);
}

static void svals_free(kafka_conf_t *conf) {
    for (int p = 0; p < KAFKA_CONF__COUNT; p++)
        sval_free(p, conf->sval[p]);
}

static kafka_err_t set_prop(kafka_conf_t *conf, int p, const char *value, bool set, char *errstr,
                            size_t errstr_size) {
    int64_t ival = 0;
    char *sval = NULL;
    kafka_err_t err = parse_value(&props[p], value, &ival, &sval, errstr, errstr_size);
    if (err)
        return err;
    sval_free(p, conf->sval[p]);
    conf->sval[p] = sval;
    conf->ival[p] = ival;
    conf->set[p] = set;
    if (conf->oauth && (p == KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_FILE || p == KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_COMMAND ||
                        p == KAFKA_CONF_SASL_OAUTHBEARER_CONFIG || p == KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT))
        conf->oauth = kafka__oauth_unshare(conf->oauth); /* other token settings: a holder of its own */
    return KAFKA_OK;
}

/* ---- Unknown keys --------------------------------------------------------------- */

/* Optimal-string-alignment distance, case-insensitive: a typo, a swapped pair or a
 * missing dot each cost 1. Keys longer than the table's longest never match. */
static int edit_distance(const char *a, const char *b) {
    enum { MAX = 48 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return MAX;
    unsigned char d[MAX][MAX];
    for (size_t i = 0; i <= la; i++) d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = (unsigned char)v;
        }
    }
    return d[la][lb];
}

static kafka_err_t unknown_key(const char *key, char *errstr, size_t errstr_size) {
    int best = -1, best_d = 0;
    for (int p = 0; p < KAFKA_CONF__COUNT; p++) {
        int dist = edit_distance(key, props[p].name);
        if (best < 0 || dist < best_d) {
            best = p;
            best_d = dist;
        }
    }
    /* A third of the name may be wrong: "lingerms" finds linger.ms, "acks" is not
     * suggested for "abcd". */
    int limit = (int)strlen(props[best].name) / 3;
    if (best_d <= (limit > 1 ? limit : 1))
        return fail(errstr, errstr_size, "unknown property \"%s\" (did you mean \"%s\"?)", key, props[best].name);
    return fail(errstr, errstr_size, "unknown property \"%s\"", key);
}

/* ---- Public API ------------------------------------------------------------------ */

const char *kafka_conf_name(kafka_conf_prop_t prop) {
    return (int)prop >= 0 && prop < KAFKA_CONF__COUNT ? props[prop].name : NULL;
}

int kafka_conf_lookup(const char *key) {
    if (key && strcmp(key, "sasl.mechanisms") == 0) /* librdkafka's spelling */
        return KAFKA_CONF_SASL_MECHANISM;
    for (int p = 0; key && p < KAFKA_CONF__COUNT; p++)
        if (strcmp(key, props[p].name) == 0)
            return p;
    return -1;
}

const char *kafka_conf_describe(const char *key) {
    int p = kafka_conf_lookup(key);
    return p < 0 ? NULL : props[p].doc;
}

kafka_conf_t *kafka_conf_new(void) {
    kafka_conf_t *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return NULL;
    if (!(conf->logger = kafka__logger_new(KAFKA__LOG_BURST, KAFKA__LOG_INTERVAL_MS)) ||
        !(conf->oauth = kafka__oauth_new())) {
        kafka__logger_destroy(conf->logger);
        free(conf);
        return NULL;
    }
    for (int p = 0; p < KAFKA_CONF__COUNT; p++) {
        /* Defaults go through the parser, so a bad table entry cannot go unnoticed. */
        if (set_prop(conf, p, props[p].def, false, NULL, 0) != KAFKA_OK) {
            kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

kafka_conf_t *kafka_conf_dup(const kafka_conf_t *conf) {
    kafka_conf_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (!(c->logger = kafka__logger_clone(conf->logger))) {
        free(c);
        return NULL;
    }
    c->oauth = kafka__oauth_ref(conf->oauth);
    memcpy(c->ival, conf->ival, sizeof(c->ival));
    memcpy(c->set, conf->set, sizeof(c->set));
    c->cbs = conf->cbs;
    for (int p = 0; p < KAFKA_CONF__COUNT; p++) {
        if (conf->sval[p] &&
            !(c->sval[p] = props[p].secret ? kafka__secret_dup(conf->sval[p]) : strdup(conf->sval[p]))) {
            kafka_conf_destroy(c);
            return NULL;
        }
    }
    return c;
}

void kafka_conf_set_log_cb(kafka_conf_t *conf, kafka_log_cb_t *cb, void *opaque) {
    if (!conf)
        return;
    conf->cbs.log = cb;
    conf->cbs.log_opaque = opaque;
}

void kafka_conf_set_stats_cb(kafka_conf_t *conf, kafka_stats_cb_t *cb, void *opaque) {
    if (!conf)
        return;
    conf->cbs.stats = cb;
    conf->cbs.stats_opaque = opaque;
}

void kafka_conf_set_consumer_stats_cb(kafka_conf_t *conf, kafka_consumer_stats_cb_t *cb, void *opaque) {
    if (!conf)
        return;
    conf->cbs.consumer_stats = cb;
    conf->cbs.consumer_stats_opaque = opaque;
}

const kafka__conf_cbs_t *kafka__conf_cbs(const kafka_conf_t *conf) { return &conf->cbs; }

kafka__logger_t *kafka__conf_logger(const kafka_conf_t *conf) { return conf->logger; }

kafka__oauth_t *kafka__conf_oauth(const kafka_conf_t *conf) { return conf->oauth; }

bool kafka__conf_is_set(const kafka_conf_t *conf, kafka_conf_prop_t prop) {
    return kafka_conf_name(prop) && conf->set[prop];
}

void kafka_conf_destroy(kafka_conf_t *conf) {
    if (!conf)
        return;
    svals_free(conf);
    kafka__logger_destroy(conf->logger);
    kafka__oauth_destroy(conf->oauth);
    free(conf);
}

kafka_err_t kafka_conf_set(kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                           size_t errstr_size) {
    if (!conf || !key) {
        fail(errstr, errstr_size, "kafka_conf_set: conf and key must not be NULL");
        return KAFKA_ERR__INVALID_ARG;
    }
    int p = kafka_conf_lookup(key);
    if (p < 0)
        return unknown_key(key, errstr, errstr_size);
    return set_prop(conf, p, value ? value : props[p].def, value != NULL, errstr, errstr_size);
}

kafka_err_t kafka_conf_get(const kafka_conf_t *conf, const char *key, char *value, size_t value_size) {
    int p = kafka_conf_lookup(key);
    if (!conf || p < 0)
        return KAFKA_ERR__INVALID_CONF;
    char tmp[24];
    const char *v = value_str(conf, p, tmp);
    size_t len = strlen(v);
    if (value_size)
        snprintf(value, value_size, "%s", v);
    return len < value_size ? KAFKA_OK : KAFKA_ERR__INVALID_ARG;
}

int64_t kafka_conf_int(const kafka_conf_t *conf, kafka_conf_prop_t prop) {
    return kafka_conf_name(prop) ? conf->ival[prop] : 0;
}

const char *kafka_conf_str(const kafka_conf_t *conf, kafka_conf_prop_t prop) {
    return kafka_conf_name(prop) && props[prop].type == CONF_STR ? conf->sval[prop] : NULL;
}

size_t kafka_conf_brokers(const kafka_conf_t *conf, kafka_conf_broker_t *out, size_t max) {
    const char *pos = conf->sval[KAFKA_CONF_BOOTSTRAP_SERVERS], *s;
    size_t len, n = 0;
    kafka_conf_broker_t b;
    char why[96];
    while (next_entry(&pos, &s, &len)) {
        /* The stored list was checked when it was set. */
        if (!parse_broker(s, len, &b, why, sizeof(why)) && n < max)
            out[n] = b;
        n++;
    }
    return n;
}

static int by_name(const void *a, const void *b) {
    return strcmp(props[*(const int *)a].name, props[*(const int *)b].name);
}

void kafka_conf_dump(const kafka_conf_t *conf, FILE *out) {
    /* Property numbers only grow (conf.h), so the names are sorted here. */
    int order[KAFKA_CONF__COUNT];
    for (int p = 0; p < KAFKA_CONF__COUNT; p++)
        order[p] = p;
    qsort(order, KAFKA_CONF__COUNT, sizeof(order[0]), by_name);
    char tmp[24];
    for (int i = 0; i < KAFKA_CONF__COUNT; i++)
        fprintf(out, "%s=%s\n", props[order[i]].name, value_str(conf, order[i], tmp));
}

/* Applies one properties-file line; the reason of a failure goes to why. */
static kafka_err_t apply_line(kafka_conf_t *conf, char *line, char *why, size_t why_size) {
    char *s = line, *e = line + strlen(line);
    while (isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    if (!*s || *s == '#' || *s == '!')
        return KAFKA_OK;
    char *sep = s + strcspn(s, "=:");
    if (!*sep)
        return fail(why, why_size, "expected key=value");
    char sepc = *sep, *kend = sep, *v = sep + 1;
    while (kend > s && isspace((unsigned char)kend[-1])) kend--;
    *kend = '\0';
    while (isspace((unsigned char)*v)) v++;
    if (!*s)
        return fail(why, why_size, "missing key before '%c'", sepc);
    if (e > v && e[-1] == '\\')
        return fail(why, why_size, "%s: line continuations are not supported", s);
    return kafka_conf_set(conf, s, v, why, why_size);
}

kafka_err_t kafka_conf_set_file(kafka_conf_t *conf, const char *path, char *errstr,
                                size_t errstr_size) {
    if (!conf || !path)
        return KAFKA_ERR__INVALID_ARG;
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(errstr, errstr_size, "%s: %s", path, strerror(errno));
    /* Unbuffered: no stdio buffer keeps a copy of a secret's line after the file closes
     * (a properties file is a few lines; the cost is a read per byte). */
    setvbuf(f, NULL, _IONBF, 0);
    /* Lines go to a copy that replaces conf only when the whole file applied. */
    kafka_conf_t *tmp = kafka_conf_dup(conf);
    if (!tmp) {
        fclose(f);
        return KAFKA_ERR__NO_MEMORY;
    }
    char *line = NULL, why[512];
    size_t cap = 0;
    unsigned lineno = 0;
    kafka_err_t err = KAFKA_OK;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if ((err = apply_line(tmp, line, why, sizeof(why))) != KAFKA_OK) {
            fail(errstr, errstr_size, "%s:%u: %s", path, lineno, err == KAFKA_ERR__NO_MEMORY ? "out of memory" : why);
            break;
        }
    }
    if (!err && ferror(f))
        err = fail(errstr, errstr_size, "%s: read error", path);
    if (line) /* it held a line such as sasl.password=... */
        explicit_bzero(line, cap);
    free(line);
    fclose(f);
    if (err) {
        kafka_conf_destroy(tmp);
        return err;
    }
    /* conf takes tmp's fields whole: its own strings, logger and token go first. */
    svals_free(conf);
    kafka__logger_destroy(conf->logger);
    kafka__oauth_destroy(conf->oauth);
    *conf = *tmp;
    free(tmp);
    return KAFKA_OK;
}

kafka_err_t kafka_conf_validate(kafka_conf_t *conf, char *errstr, size_t errstr_size) {
    int64_t *v = conf->ival;
    char why[192] = "";
    if (*conf->sval[KAFKA_CONF_TRANSACTIONAL_ID]) {
        /* Transactions are built on the idempotent producer (Java's rule). */
        if (conf->set[KAFKA_CONF_ENABLE_IDEMPOTENCE] && !v[KAFKA_CONF_ENABLE_IDEMPOTENCE])
            return fail(errstr, errstr_size, "enable.idempotence: false conflicts with transactional.id %s (a "
                        "transactional producer is idempotent)", conf->sval[KAFKA_CONF_TRANSACTIONAL_ID]);
        v[KAFKA_CONF_ENABLE_IDEMPOTENCE] = 1;
        conf->set[KAFKA_CONF_ENABLE_IDEMPOTENCE] = true;
    }
    if (v[KAFKA_CONF_ENABLE_IDEMPOTENCE]) {
        if (v[KAFKA_CONF_ACKS] != -1)
            snprintf(why, sizeof(why), "acks: %" PRId64 " must be all (-1) when enable.idempotence=true",
                     v[KAFKA_CONF_ACKS]);
        else if (v[KAFKA_CONF_RETRIES] == 0)
            snprintf(why, sizeof(why), "retries: 0 must be above 0 when enable.idempotence=true");
        else if (v[KAFKA_CONF_MAX_IN_FLIGHT] > 5)
            snprintf(why, sizeof(why),
                     "max.in.flight.requests.per.connection: %" PRId64 " must be at most 5 when "
                     "enable.idempotence=true",
                     v[KAFKA_CONF_MAX_IN_FLIGHT]);
        /* Java's rule: idempotence the application did not ask for yields to settings it did. */
        if (*why && conf->set[KAFKA_CONF_ENABLE_IDEMPOTENCE])
            return fail(errstr, errstr_size, "%s", why);
        if (*why)
            v[KAFKA_CONF_ENABLE_IDEMPOTENCE] = 0;
    }
    int64_t floor = v[KAFKA_CONF_LINGER_MS] + v[KAFKA_CONF_REQUEST_TIMEOUT_MS];
    if (v[KAFKA_CONF_DELIVERY_TIMEOUT_MS] < floor) {
        if (conf->set[KAFKA_CONF_DELIVERY_TIMEOUT_MS])
            return fail(errstr, errstr_size,
                        "delivery.timeout.ms: %" PRId64 " must be at least linger.ms + request.timeout.ms "
                        "(%" PRId64 " + %" PRId64 ")",
                        v[KAFKA_CONF_DELIVERY_TIMEOUT_MS], v[KAFKA_CONF_LINGER_MS], v[KAFKA_CONF_REQUEST_TIMEOUT_MS]);
        v[KAFKA_CONF_DELIVERY_TIMEOUT_MS] = floor;
    }
    if (v[KAFKA_CONF_HEARTBEAT_INTERVAL_MS] >= v[KAFKA_CONF_SESSION_TIMEOUT_MS])
        return fail(errstr, errstr_size,
                    "heartbeat.interval.ms: %" PRId64 " must be below session.timeout.ms (%" PRId64 ")",
                    v[KAFKA_CONF_HEARTBEAT_INTERVAL_MS], v[KAFKA_CONF_SESSION_TIMEOUT_MS]);
    if (v[KAFKA_CONF_OFFSETS_STORAGE] == KAFKA_OFFSETS_STORAGE_FILE && !*conf->sval[KAFKA_CONF_OFFSETS_FILE])
        return fail(errstr, errstr_size, "offsets.storage: file needs offsets.file to be set");
    bool sasl = v[KAFKA_CONF_SECURITY_PROTOCOL] == KAFKA_SECURITY_SASL_PLAINTEXT ||
                v[KAFKA_CONF_SECURITY_PROTOCOL] == KAFKA_SECURITY_SASL_SSL;
    const char *sp = v[KAFKA_CONF_SECURITY_PROTOCOL] == KAFKA_SECURITY_SASL_SSL ? "SASL_SSL" : "SASL_PLAINTEXT";
    if (sasl && v[KAFKA_CONF_SASL_MECHANISM] == KAFKA_SASL_OAUTHBEARER) {
        int sources = (*conf->sval[KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_FILE] != 0) +
                      (*conf->sval[KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_COMMAND] != 0) +
                      (v[KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT] != 0);
        if (sources == 0)
            return fail(errstr, errstr_size, "security.protocol: %s with OAUTHBEARER needs sasl.oauthbearer.token.file "
                        "or sasl.oauthbearer.token.command (or enable.sasl.oauthbearer.unsecure.jwt=true)", sp);
        if (sources > 1)
            return fail(errstr, errstr_size, "sasl.oauthbearer.token.file, sasl.oauthbearer.token.command and "
                        "enable.sasl.oauthbearer.unsecure.jwt: set only one");
        char principal[256];
        int64_t life;
        if (v[KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT] &&
            !kafka__oauth_config_parse(conf->sval[KAFKA_CONF_SASL_OAUTHBEARER_CONFIG], principal, sizeof(principal),
                                       &life, why, sizeof(why)))
            return fail(errstr, errstr_size, "%s", why);
    } else if (sasl && !*conf->sval[KAFKA_CONF_SASL_USERNAME]) {
        return fail(errstr, errstr_size, "security.protocol: %s needs sasl.username (and sasl.password) for %s", sp,
                    sasl_values[v[KAFKA_CONF_SASL_MECHANISM]].name);
    }
    return KAFKA_OK;
}
