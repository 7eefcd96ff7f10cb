/* kafka_mock_t: an in-process mock Kafka cluster for tests and for kafka-agent --mock.
 *
 * N brokers listen on 127.0.0.1 ephemeral ports, served by one event-loop thread
 * (epoll). Partition logs live in memory. The mock uses only the server side of the
 * codec (lib/proto) and sockets: never the client, so each checks the other.
 *
 * Thread safety: every function here may be called from any thread while the cluster
 * runs; cluster state is guarded by one mutex the event loop also takes. */
#ifndef KAFKA_MOCK_H
#define KAFKA_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_mock_s kafka_mock_t;

typedef struct kafka_mock_conf_s {
    int brokers;               /* number of brokers, ids 1..N (default 3) */
    int default_partitions;    /* partitions of auto-created topics (default 4) */
    bool auto_create;          /* create unknown topics on Metadata/Produce (default true) */
    bool legacy;               /* behave like Kafka 0.8.2: kafka_version "0.8.2" (when that is unset) */
    const char *kafka_version; /* the Kafka release to behave as: "0.8.2", "0.9", "0.10.2", "0.11", "1.1",
                                  "2.4", "2.8", "3.0", "3.7", "4.0" (a patch version such as "2.4.1" names
                                  its release), or "latest" / NULL (the default: every version the mock
                                  implements). The release's request ranges as its ApiVersions lists them
                                  (none before 0.10: it hangs up on ApiVersions) within what the mock
                                  implements; any other version closes the connection; its record formats
                                  (MessageSet v0 before 0.10, v0/v1 in 0.10, RecordBatch v2 from 0.11,
                                  only v2 in 4.0); its message.max.bytes default where message_max_bytes
                                  is 0. Fetches below v4 get RecordBatch v2 down-converted to MessageSet
                                  (every profile, as Kafka). Not kept after kafka_mock_new. */
    size_t retention_bytes;    /* per-partition log bound; 0 = unbounded (default KAFKA_MOCK_DEFAULT_RETENTION) */
    size_t message_max_bytes;  /* the broker's message.max.bytes: a Produce partition holding a batch
                                  (or MessageSet entry) larger than this, 12-byte log overhead included,
                                  gets MESSAGE_TOO_LARGE and nothing of it is appended, as Kafka does;
                                  0 = no limit (default 0; Kafka's default is 1000012) */
    const char *sasl_mechanisms; /* "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER" (any of them), what
                                    the SASL listeners enable: their connections must authenticate first;
                                    NULL or "" = no SASL (default NULL). Copied by kafka_mock_new.
                                    OAUTHBEARER takes unsecured JWTs as Kafka's
                                    OAuthBearerUnsecuredValidatorCallbackHandler does: header alg none, a
                                    string sub (the principal) and a number exp (seconds) in the future;
                                    others get the error challenge {"status":"invalid_token"}. */
    const char *sasl_users;      /* the users, "name:password,..." (copied) */
    bool sasl_scram_lenient;     /* accept a SCRAM client-final nonce that only ends with the server's, as
                                    Kafka 3.8.1-3.9 do: librdkafka before 2.6.1 (Debian 12 has 2.0.2)
                                    repeats its own nonce there; Kafka 4 and this mock by default
                                    refuse it (RFC 5802) */
    /* Listeners: every broker listens on one port per security protocol listed, in this
     * order, as a Kafka broker's `listeners=`: "PLAINTEXT", "SSL", "SASL_PLAINTEXT",
     * "SASL_SSL" (any case, each at most once), e.g. "PLAINTEXT,SASL_SSL". Metadata and
     * FindCoordinator answer each client with the brokers' ports of the listener it came in
     * on; kafka_mock_bootstrap_listener() lists each. A TLS listener serves the certificate
     * below (tls is then implied); a SASL one needs sasl_mechanisms. NULL (the default):
     * PLAINTEXT, then SSL with tls; with sasl_mechanisms SASL_PLAINTEXT, then SASL_SSL with
     * tls. Not kept after kafka_mock_new. */
    const char *listeners;
    /* TLS: with tls and the default listeners, every broker listens on a second port for
     * TLS connections (a real broker's SSL listener) besides its plaintext one;
     * kafka_mock_bootstrap_ssl() lists them. */
    bool tls;
    const char *tls_cert;      /* PEM file of the certificate (chain after it), tls_key its key; NULL: a CA
                                  and a certificate it signed are made in memory, the CA written to the
                                  file kafka_mock_tls_ca() names (removed by destroy) */
    const char *tls_key;
    const char *tls_cert_name; /* the generated certificate's only name (DNS); NULL: localhost and
                                  127.0.0.1. Another name makes a client's host name check fail. */
    bool tls_cert_expired;     /* the generated certificate expired yesterday */
    bool tls_client_auth;      /* mutual TLS (generated certificates only): clients must show a
                                  certificate of the generated CA; one is written for them, see
                                  kafka_mock_tls_client_cert() */
    int64_t sasl_session_lifetime_ms; /* KIP-368, Kafka's connections.max.reauth.ms: > 0 limits each SASL
                                  session to this (an OAUTHBEARER one also to its token's exp), reported
                                  as SessionLifetimeMs in SaslAuthenticate v1+; a connection whose
                                  session ended is closed on any request but SaslHandshake,
                                  SaslAuthenticate and ApiVersions, and may authenticate again on the
                                  same socket (not twice within a second, as Kafka); default 0: none */
    int fetch_session_slots;   /* incremental fetch sessions (KIP-227, Fetch v7+) each broker keeps, Kafka's
                                  max.incremental.fetch.session.cache.slots: 0 = Kafka's default, 1000;
                                  -1 = none (every Fetch is answered sessionless, SessionId 0). A full
                                  fetch past the limit evicts the least recently used session idle for
                                  2 minutes, else the smallest session with fewer partitions, else gets
                                  no session (Kafka's rule). */
    /* KIP-848 consumer groups (ConsumerGroupHeartbeat): Kafka's group.consumer.session.timeout.ms
     * (0: its default 45000), group.consumer.heartbeat.interval.ms (0: 5000) and
     * group.consumer.assignors' first, the assignor of members naming none ("uniform" or
     * "range"; NULL: uniform). Not referenced after kafka_mock_new. */
    int32_t consumer_session_timeout_ms;
    int32_t consumer_heartbeat_interval_ms;
    const char *consumer_assignor;
} kafka_mock_conf_t;

/* The default log bound per partition: 8 MiB. Past it the oldest 2 MiB segments go and
 * the log start offset moves up, as with Kafka's retention.bytes (librdkafka's mock keeps
 * 5 MiB). A bounded log reuses its memory: on a VM, first-touch page faults made an
 * unbounded mock cost 5-9x librdkafka's mock in broker CPU per message (bench/mock_cpu).
 * Set 0 where every message must stay readable from the start. */
#define KAFKA_MOCK_DEFAULT_RETENTION ((size_t)8 << 20)

/* Fills conf with the defaults above. */
void kafka_mock_conf_init(kafka_mock_conf_t *conf);

/* Starts a cluster (conf NULL = defaults). NULL on failure with errstr saying why. */
kafka_mock_t *kafka_mock_new(const kafka_mock_conf_t *conf, char *errstr, size_t errstr_size);
/* Stops the event loop, closes every socket and frees everything. */
void kafka_mock_destroy(kafka_mock_t *m);

/* The first listener's "127.0.0.1:P1,127.0.0.1:P2,..." (valid until destroy): the
 * PLAINTEXT one, or SASL_PLAINTEXT with sasl_mechanisms, unless listeners said otherwise. */
const char *kafka_mock_bootstrap(const kafka_mock_t *m);
int kafka_mock_broker_count(const kafka_mock_t *m);
/* The first TLS listener's list (SSL, else SASL_SSL), "127.0.0.1:S1,...", or "" without
 * one (valid until destroy). */
const char *kafka_mock_bootstrap_ssl(const kafka_mock_t *m);
/* The list of the listener speaking protocol ("SASL_SSL", any case), or NULL when the
 * cluster has none (valid until destroy). */
const char *kafka_mock_bootstrap_listener(const kafka_mock_t *m, const char *protocol);
/* The number of listeners per broker, and the protocol of the n-th (0-based; NULL past
 * the last), in the order they were asked for. */
int kafka_mock_listener_count(const kafka_mock_t *m);
const char *kafka_mock_listener_protocol(const kafka_mock_t *m, int n);
/* The path of the generated CA certificate (PEM) to trust, or NULL when the cluster has
 * no TLS or was given its certificate. */
const char *kafka_mock_tls_ca(const kafka_mock_t *m);
/* With tls_client_auth, the client certificate and its (unencrypted) key the mock made,
 * PEM files next to the CA's (removed by destroy); NULL otherwise. */
const char *kafka_mock_tls_client_cert(const kafka_mock_t *m);
const char *kafka_mock_tls_client_key(const kafka_mock_t *m);
/* The port of broker `id`'s first listener, or -1; its first TLS listener's (-1 without
 * one); its listener's speaking protocol (-1 without one). */
int kafka_mock_broker_port(const kafka_mock_t *m, int id);
int kafka_mock_broker_ssl_port(const kafka_mock_t *m, int id);
int kafka_mock_broker_listener_port(const kafka_mock_t *m, int id, const char *protocol);

/* Creates a topic with leaders spread over the brokers (replication_factor capped at the
 * broker count). KAFKA_ERR_TOPIC_ALREADY_EXISTS, KAFKA_ERR_INVALID_PARTITIONS. */
kafka_err_t kafka_mock_topic_create(kafka_mock_t *m, const char *topic, int partitions, int replication_factor);
/* Deletes a topic with its logs at once (as DeleteTopics); created again, it is another
 * topic with a new topic id. KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION. */
kafka_err_t kafka_mock_topic_delete(kafka_mock_t *m, const char *topic);
/* A topic's id (served in Metadata v10+, named by Fetch v13+).
 * KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION. */
kafka_err_t kafka_mock_topic_id(kafka_mock_t *m, const char *topic, uint8_t id[16]);

/* Fault injection. */
/* The next `count` requests of api_key (on broker_id, or any broker if -1) are answered
 * with `err` in every error field of the response. */
kafka_err_t kafka_mock_push_error(kafka_mock_t *m, int16_t api_key, int broker_id, int count, kafka_err_t err);
/* Moves a partition's leadership. */
kafka_err_t kafka_mock_partition_set_leader(kafka_mock_t *m, const char *topic, int partition, int broker_id);
/* Takes a broker down (its listener and connections close; it leaves Metadata) or up. */
kafka_err_t kafka_mock_broker_set_down(kafka_mock_t *m, int broker_id, bool down);
/* Delays every response of broker_id by ms. */
kafka_err_t kafka_mock_broker_set_latency(kafka_mock_t *m, int broker_id, int ms);
/* The next response of api_key (-1: any) on broker_id (-1: any) is cut in the middle
 * and the connection closed. */
kafka_err_t kafka_mock_drop_next_response(kafka_mock_t *m, int16_t api_key, int broker_id);
/* Retention bound per partition, in bytes (0 = none); the log start offset advances. */
kafka_err_t kafka_mock_set_retention(kafka_mock_t *m, size_t bytes);
/* The broker-side message.max.bytes of every broker (0 = no limit), see kafka_mock_conf_t. */
kafka_err_t kafka_mock_set_message_max_bytes(kafka_mock_t *m, size_t bytes);

/* The next count SASL authentications (an exchange's first token, on any broker, first
 * ones and re-authentications alike) fail with SASL_AUTHENTICATION_FAILED, as a broker
 * whose credential store refuses them; count 0 clears it. */
kafka_err_t kafka_mock_sasl_fail(kafka_mock_t *m, int count);

/* What the cluster's SASL listeners saw. */
typedef struct kafka_mock_sasl_stats_s {
    int64_t authentications;   /* exchanges that succeeded on a new connection */
    int64_t reauthentications; /* exchanges that succeeded on an authenticated connection (KIP-368) */
    int64_t failures;          /* exchanges that failed (wrong credentials, bad tokens, sasl-fail) */
    int64_t expired_closes;    /* connections closed for a request after their session ended */
    int64_t max_reauths_per_connection; /* the most re-authentications one connection made */
} kafka_mock_sasl_stats_t;
void kafka_mock_sasl_stats(kafka_mock_t *m, kafka_mock_sasl_stats_t *stats);

/* Damages the stored batch (or MessageSet message) holding offset, as a bad disk
 * would: one byte in the middle of its records is flipped, so its CRC no longer
 * matches; with keep_crc the CRC is written again and only decoding the records
 * (decompression, record framing) can tell. Fetches serve it as stored.
 * KAFKA_ERR_OFFSET_OUT_OF_RANGE when no live entry holds offset. */
kafka_err_t kafka_mock_partition_damage(kafka_mock_t *m, const char *topic, int partition, int64_t offset,
                                       bool keep_crc);
/* An unclean leader election: an out-of-sync replica becomes leader, so the log loses
 * everything from the batch holding offset on (a batch goes whole) and the partition's
 * leader epoch is bumped; *end (optional) gets the new log end. Consumers that had read
 * past it must detect the truncation (OffsetForLeaderEpoch). Producer and transaction
 * state of the lost part goes too. KAFKA_ERR_OFFSET_OUT_OF_RANGE outside the log. */
kafka_err_t kafka_mock_partition_truncate(kafka_mock_t *m, const char *topic, int partition, int64_t offset,
                                         int64_t *end);
/* Group coordinator: classic groups, and KIP-848 consumer groups (ConsumerGroupHeartbeat,
 * server-side uniform / range assignment, member epochs; see consumer_* in the conf). */
/* Moves a group's coordinator to broker_id (the group is created, empty, if unknown):
 * its members get NOT_COORDINATOR from the old one and find the new one, which has the
 * group's state, as after a __consumer_offsets leadership change. */
kafka_err_t kafka_mock_group_move(kafka_mock_t *m, const char *group, int broker_id);
/* Ends the session of member_id (NULL: of every member) as if it had timed out: it
 * leaves and the group rebalances. KAFKA_ERR_GROUP_ID_NOT_FOUND,
 * KAFKA_ERR_UNKNOWN_MEMBER_ID. */
kafka_err_t kafka_mock_group_expire(kafka_mock_t *m, const char *group, const char *member_id);
/* A group's state ("Empty", "PreparingRebalance", "CompletingRebalance", "Stable"; a
 * KIP-848 group's "Empty", "Assigning", "Reconciling", "Stable"), generation (a KIP-848
 * group's epoch) and member count (each output optional); KAFKA_ERR_GROUP_ID_NOT_FOUND. */
kafka_err_t kafka_mock_group_state(kafka_mock_t *m, const char *group, char *state, size_t state_size,
                                   int32_t *generation, int *members);

/* Transaction coordinator. */
/* Moves a transactional id's coordinator to broker_id: its producer gets NOT_COORDINATOR
 * from the old one and finds the new one, which has the transaction's state.
 * KAFKA_ERR_TRANSACTIONAL_ID_NOT_FOUND before its first InitProducerId. */
kafka_err_t kafka_mock_txn_move(kafka_mock_t *m, const char *transactional_id, int broker_id);
/* A transactional id's state ("Empty", "Ongoing", "CompleteCommit", "CompleteAbort"),
 * producer id, epoch and the count of partitions in the ongoing transaction (each output
 * optional); KAFKA_ERR_TRANSACTIONAL_ID_NOT_FOUND. */
kafka_err_t kafka_mock_txn_state(kafka_mock_t *m, const char *transactional_id, char *state, size_t state_size,
                                 int64_t *producer_id, int16_t *epoch, int *partitions);
/* The last stable offset of a partition: the first offset of its oldest open
 * transaction, else its high watermark. */
kafka_err_t kafka_mock_partition_lso(kafka_mock_t *m, const char *topic, int partition, int64_t *lso);

/* Offsets of a partition (for tests): log start and high watermark. */
kafka_err_t kafka_mock_partition_offsets(kafka_mock_t *m, const char *topic, int partition, int64_t *log_start,
                                         int64_t *high_watermark);

/* Fetch sessions (KIP-227): what the brokers' session caches did, summed over brokers. */
typedef struct kafka_mock_fetch_stats_s {
    int64_t sessions;             /* cached now */
    int64_t created, evicted;     /* evicted: by the limit or kafka_mock_fetch_sessions_evict() */
    int64_t full_fetches;         /* Fetch v7+ answered with SessionEpoch 0 or -1 */
    int64_t incremental_fetches;  /* answered within a session */
    int64_t session_errors;       /* FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH and
                                     FETCH_SESSION_TOPIC_ID_ERROR answered */
    int64_t fetch_requests;       /* every Fetch (any version) */
    int64_t request_partitions;   /* partitions listed in them */
    int64_t forgotten_partitions; /* listed in ForgottenTopicsData */
    int64_t by_topic_id;          /* Fetch v13+ (topics named by id) */
} kafka_mock_fetch_stats_t;
void kafka_mock_fetch_stats(kafka_mock_t *m, kafka_mock_fetch_stats_t *stats);
/* Drops every fetch session of broker_id (-1: of every broker), as a broker restart or a
 * full cache does: the next incremental Fetch of each gets FETCH_SESSION_ID_NOT_FOUND.
 * How many were dropped. */
int kafka_mock_fetch_sessions_evict(kafka_mock_t *m, int broker_id);
/* Moves the expected epoch of every session of broker_id (-1: every broker) one ahead,
 * so that the next incremental Fetch of each gets INVALID_FETCH_SESSION_EPOCH. How many. */
int kafka_mock_fetch_sessions_skew(kafka_mock_t *m, int broker_id);

/* One text command, as kafka-mock reads them on stdin (see kafka_mock_command_help()).
 * KAFKA_OK and a reply line in reply, or an error with the reason in reply. */
kafka_err_t kafka_mock_command(kafka_mock_t *m, const char *line, char *reply, size_t reply_size);
const char *kafka_mock_command_help(void);

#ifdef __cplusplus
}
#endif
#endif
