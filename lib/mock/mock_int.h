/* Internals of the mock cluster (lib/mock): cluster state, connections, partition logs,
 * and the handler table, one handler file per API key (hNN_<api>.c).
 *
 * Locking: one mutex (m->lock) guards all cluster state; the event-loop thread holds it
 * while it handles a request, and every public kafka_mock_* call takes it. */
#ifndef KAFKA_MOCK_INT_H
#define KAFKA_MOCK_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "mock/profiles.h"
#include "sasl/scram.h"
#include "util/arena.h"
#include "util/buf.h"

#define KMOCK_MAX_BROKERS 64
#define KMOCK_PRODUCER_CACHE 5 /* batches remembered per producer and partition, as Kafka */

/* One batch (RecordBatch v2) or message (MessageSet v0/v1) in a partition log. */
typedef struct kmock_entry_s {
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    size_t seg; /* index into the partition's segments */
    size_t pos; /* byte position in that segment */
    size_t len;
} kmock_entry_t;

/* A log segment: entries stored back to back in one mapping (huge pages where the
 * kernel allows), never moved, so appends copy each batch once and a Fetch answers with
 * one contiguous slice of a segment. */
typedef struct kmock_segment_s {
    uint8_t *data;
    size_t len, cap;
} kmock_segment_t;

/* Idempotent producer state of one partition. */
typedef struct kmock_pstate_s {
    int64_t producer_id;
    int16_t epoch;
    int32_t last_seq;
    struct {
        int32_t first_seq, last_seq;
        int64_t base_offset;
    } cache[KMOCK_PRODUCER_CACHE];
    int ncache;
    struct kmock_pstate_s *next;
} kmock_pstate_t;

/* A transaction open in a partition: where it began there (the last stable offset). */
typedef struct kmock_open_txn_s {
    int64_t producer_id;
    int64_t first_offset;
} kmock_open_txn_t;

/* An aborted transaction of a partition: its first offset and its ABORT marker's, what a
 * read_committed Fetch lists (Kafka's aborted transaction index). */
typedef struct kmock_aborted_s {
    int64_t producer_id;
    int64_t first_offset, last_offset;
} kmock_aborted_t;

typedef struct kmock_partition_s {
    int32_t id;
    int32_t leader;  /* broker id */
    int32_t replicas[KMOCK_MAX_BROKERS];
    int nreplicas;
    int32_t leader_epoch;
    kmock_segment_t *segs;
    size_t nsegs, capsegs, first_seg; /* segments before first_seg were retained away */
    size_t bytes;                     /* bytes held by live entries */
    kmock_segment_t spare;            /* a retained-away segment kept for reuse (no new page faults) */
    kmock_entry_t *entries;
    size_t nentries, capentries, first_entry; /* entries before first_entry were retained away */
    int64_t log_start;
    int64_t high_watermark;
    kmock_pstate_t *producers;
    kmock_open_txn_t *open_txns; /* txn.c */
    size_t nopen, capopen;
    kmock_aborted_t *aborted;
    size_t naborted, capaborted;
} kmock_partition_t;

/* A topic config set at creation (CreateTopics' Configs); the rest are at their defaults. */
typedef struct kmock_tconfig_s {
    char *name, *value;
    struct kmock_tconfig_s *next;
} kmock_tconfig_t;

typedef struct kmock_topic_s {
    char *name;
    kafka_uuid_t id; /* random at creation, served in Metadata v10+ and used by KIP-848 groups */
    int npartitions;
    kmock_partition_t *partitions;
    kmock_tconfig_t *configs;
    struct kmock_topic_s *next;
} kmock_topic_t;

/* A committed offset of a group. */
typedef struct kmock_commit_s {
    char *group, *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    struct kmock_commit_s *next;
} kmock_commit_t;

/* A member of a classic group (group.c). */
typedef struct kmock_member_s {
    char *id;
    char *instance_id;         /* group.instance.id of a static member, else NULL */
    char *client_id;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    int nprotocols;
    char **proto_names;        /* in the member's order of preference */
    kafka_bytes_t *proto_meta; /* owned copies */
    uint8_t *assignment;       /* what the leader gave it this generation */
    int32_t assignment_len;
    int64_t last_seen_ms;      /* its session runs from here */
    bool joined;               /* has joined in the rebalance under way */
    bool parked_join;          /* a JoinGroup of it waits for the barrier */
    struct kmock_member_s *next; /* in join order: the first is the default leader */
} kmock_member_t;

/* A member id handed out with MEMBER_ID_REQUIRED (JoinGroup v4+), valid until used or expired. */
typedef struct kmock_pending_s {
    char *id;
    int64_t expires_ms;
    struct kmock_pending_s *next;
} kmock_pending_t;

/* A topic-partition of a KIP-848 group, by topic id. */
typedef struct kmock_tp848_s {
    kafka_uuid_t topic;
    int32_t partition;
} kmock_tp848_t;

typedef struct kmock_tpset_s {
    kmock_tp848_t *v;
    int n, cap;
} kmock_tpset_t;

/* Where a KIP-848 member's reconciliation stands (Kafka's MemberState). */
typedef enum kmock_cmember_state_e {
    KMOCK_CM_STABLE = 0,   /* has its target at the group's assignment epoch */
    KMOCK_CM_UNREVOKED,    /* must give up `revoking` (its epoch stays until it does) */
    KMOCK_CM_UNRELEASED    /* at the new epoch, waiting for partitions others still hold */
} kmock_cmember_state_t;

/* A member of a KIP-848 consumer group (group848.c). */
typedef struct kmock_cmember_s {
    char *id;
    char *instance_id;            /* static member, else NULL */
    char *client_id, *rack_id;    /* from its joining heartbeat (rack_id NULL: none) */
    int32_t epoch, prev_epoch;
    kmock_cmember_state_t state;
    char **topics;                /* SubscribedTopicNames */
    int ntopics;
    char *regex;                  /* SubscribedTopicRegex (v1), NULL: none */
    void *re;                     /* its compiled regex_t */
    char *assignor;               /* ServerAssignor, NULL: the group's default */
    int32_t rebalance_timeout_ms;
    kmock_tpset_t assigned;       /* what it may consume now */
    kmock_tpset_t revoking;       /* what it must give up before it moves on */
    kmock_tpset_t target;         /* its share of the target assignment */
    int64_t last_seen_ms, revoking_since_ms;
    bool left_static;             /* left with epoch -2: kept for its session timeout */
    bool changed;                 /* assigned changed since the last response that carried it */
    struct kmock_cmember_s *next;
} kmock_cmember_t;

typedef enum kmock_group_state_e {
    KMOCK_GROUP_EMPTY = 0,
    KMOCK_GROUP_PREPARING,  /* PreparingRebalance: waiting for the members to rejoin */
    KMOCK_GROUP_COMPLETING, /* CompletingRebalance: waiting for the leader's SyncGroup */
    KMOCK_GROUP_STABLE
} kmock_group_state_t;

/* A classic consumer group (group.c). */
typedef struct kmock_group_s {
    char *id;
    kmock_group_state_t state;
    int32_t generation;
    char *protocol_type; /* NULL while empty */
    char *protocol_name; /* chosen at the end of each join round */
    char *leader;        /* a member id, NULL while empty */
    kmock_member_t *members;
    kmock_pending_t *pending;
    int64_t rebalance_deadline_ms;
    int coordinator;     /* broker id it was moved to (kafka_mock_group_move), 0: by hash */
    uint32_t member_seq;
    /* KIP-848 (group848.c): a group of ConsumerGroupHeartbeat members. */
    bool kip848;
    int32_t group_epoch, assignment_epoch;
    const char *assignor848; /* the assignor of the target assignment: "uniform" or "range" */
    uint64_t subscribed_sig; /* the subscribed topics' ids and partition counts when the epoch moved */
    kmock_cmember_t *cmembers;
    struct kmock_group_s *next;
} kmock_group_t;

#define KMOCK_MEMBER_ID_MAX 192

typedef enum kmock_txn_state_e {
    KMOCK_TXN_EMPTY = 0,  /* initialised, no transaction under way */
    KMOCK_TXN_ONGOING,    /* partitions or offsets were added */
    KMOCK_TXN_COMMITTED,  /* the last one ended with a commit (its markers are written) */
    KMOCK_TXN_ABORTED     /* ... with an abort (by the producer, a fencing init or the timeout) */
} kmock_txn_state_t;

/* A partition of a transaction, by name: markers go to whatever it is when it ends. */
typedef struct kmock_txn_part_s {
    char *topic;
    int32_t partition;
} kmock_txn_part_t;

/* An offset committed in a transaction (TxnOffsetCommit), visible when it commits. */
typedef struct kmock_txn_offset_s {
    char *group, *topic, *metadata;
    int32_t partition, leader_epoch;
    int64_t offset;
} kmock_txn_offset_t;

/* A transactional id's state on its coordinator (txn.c). */
typedef struct kmock_txn_s {
    char *id;
    int64_t producer_id;
    int16_t epoch;
    int16_t last_epoch;  /* the producer's epoch before the coordinator bumped it (a timeout), else -1 */
    int32_t timeout_ms;
    kmock_txn_state_t state;
    int64_t started_ms;  /* when it became ONGOING */
    kmock_txn_part_t *parts;
    size_t nparts, capparts;
    kmock_txn_offset_t *offsets;
    size_t noffsets, capoffsets;
    int coordinator;     /* broker id it was moved to (kafka_mock_txn_move), 0: by hash */
    struct kmock_txn_s *next;
} kmock_txn_t;

/* An injected error for the next `count` requests of an API. */
typedef struct kmock_fault_s {
    int16_t api_key;
    int broker_id; /* -1: any */
    int count;
    kafka_err_t err;
    struct kmock_fault_s *next;
} kmock_fault_t;

/* A partition of a fetch session (fsession.c): what the client last sent, and what the
 * broker last answered (an incremental Fetch answers it again only when that changed or
 * records came). */
typedef struct kmock_fspart_s {
    char *topic;
    int32_t partition;
    int64_t fetch_offset;
    int32_t max_bytes;
    int32_t leader_epoch; /* CurrentLeaderEpoch (v9+), -1 none */
    int32_t last_fetched_epoch; /* LastFetchedEpoch (v12+), -1 none */
    int64_t hw, lso, log_start; /* -2: never answered */
    bool forgotten;
} kmock_fspart_t;

/* An incremental fetch session (KIP-227) cached by one broker. */
typedef struct kmock_fsession_s {
    int32_t id;
    int broker;
    int32_t epoch; /* the epoch its next Fetch must carry */
    int64_t last_used_ms;
    kmock_fspart_t *parts; /* sorted by topic, partition */
    size_t n, cap;
    size_t rr; /* where the next answer starts: partitions that got records go last, as Kafka */
    bool by_id; /* opened by Fetch v13+: parts' topics are "#" + the topic id in hex (h01_fetch.c) */
    struct kmock_fsession_s *next;
} kmock_fsession_t;

typedef struct kmock_conn_s kmock_conn_t;

/* Files of the generated TLS certificates ("" when not written). */
typedef struct kmock_tls_files_s {
    char ca[256];
    char client_cert[272], client_key[272];
} kmock_tls_files_t;

/* The security protocols of a listener, as Kafka names them (listener.c). */
typedef enum kmock_proto_e {
    KMOCK_PLAINTEXT = 0,
    KMOCK_SSL,
    KMOCK_SASL_PLAINTEXT,
    KMOCK_SASL_SSL,
    KMOCK_NPROTOS
} kmock_proto_t;

#define KMOCK_MAX_LISTENERS KMOCK_NPROTOS /* one listener per protocol */

struct kmock_broker_s;

/* What an epoll event's data points at tells by its first int (cluster.c's loop). */
enum { KMOCK_POLL_LISTEN = 1, KMOCK_POLL_CONN, KMOCK_POLL_WAKE };

/* One port of a broker, serving one security protocol. The n-th listener of every broker
 * speaks the cluster's n-th protocol (m->protos[n]). */
typedef struct kmock_listener_s {
    int kind; /* first: epoll data points here (see cluster.c) */
    kmock_proto_t proto;
    int port; /* kept across down/up: the broker re-binds the same one */
    int fd;   /* -1 while the broker is down */
    struct kmock_broker_s *broker;
} kmock_listener_t;

typedef struct kmock_broker_s {
    int id;
    kmock_listener_t listeners[KMOCK_MAX_LISTENERS];
    bool down;
    int latency_ms;
    int drop_next; /* api key whose next response is cut (-2: none, -1: any) */
} kmock_broker_t;

struct kafka_mock_s {
    kafka_mock_conf_t conf;
    pthread_mutex_t lock;
    pthread_t thread;
    int epfd;
    int wake_fd; /* eventfd: wakes the loop for control changes and shutdown */
    bool stopping;
    int nbrokers;
    kmock_broker_t brokers[KMOCK_MAX_BROKERS];
    int nlisteners;
    kmock_proto_t protos[KMOCK_MAX_LISTENERS]; /* each broker's listeners, in the conf's order */
    char bootstrap[KMOCK_MAX_LISTENERS][KMOCK_MAX_BROKERS * 24]; /* per listener */
    struct ssl_ctx_st *ssl_ctx; /* the TLS listeners' (SSL, SASL_SSL), else NULL */
    kmock_tls_files_t tls_files; /* what the generated certificates were written to */
    kmock_topic_t *topics;
    kmock_commit_t *commits;
    kmock_fault_t *faults;
    int64_t next_producer_id;
    kmock_conn_t *conns;
    char cluster_id[32];
    kmock_group_t *groups;
    kmock_txn_t *txns;
    bool parked_recheck; /* a Produce appended or a group moved on: parked requests look again */
    int sasl_fail_next; /* authentications still to fail (kafka_mock_sasl_fail) */
    kafka_mock_sasl_stats_t sasl_stats;
    const kmock_profile_t *profile; /* the Kafka release it behaves as (profiles.c) */
    kmock_fsession_t *fsessions; /* every broker's fetch sessions (fsession.c) */
    int32_t next_fsession_id;
    kafka_mock_fetch_stats_t fstats;
};

/* A connection's SASL state (sasl.c), on a cluster with conf.sasl_mechanisms. */
typedef enum kmock_sasl_stage_e {
    KMOCK_SASL_START = 0, /* only ApiVersions and SaslHandshake are served */
    KMOCK_SASL_MECH,      /* a mechanism was chosen: its exchange is under way */
    KMOCK_SASL_DONE,      /* authenticated: every request is served */
    KMOCK_SASL_FAILED     /* authentication failed: the next request closes the connection */
} kmock_sasl_stage_t;

typedef struct kmock_sasl_s {
    kmock_sasl_stage_t stage;
    bool raw;     /* SaslHandshake v0: the tokens come in raw frames, not SaslAuthenticate */
    char mech[32];
    int step;     /* SCRAM: 0 waits for client-first, 1 for client-final; OAUTHBEARER: 1 after an
                     error challenge, waiting for the client's \x01 */
    kafka__scram_server_t scram;
    char principal[256]; /* who authenticated (a re-authentication must stay the same) */
    char challenge[64];  /* OAUTHBEARER: the error challenge sent */
    int64_t token_exp_ms;   /* OAUTHBEARER: the token's exp (wall clock) */
    int64_t expires_at;     /* monotonic ms the session ends; 0: never (KIP-368) */
    int64_t reauth_started; /* monotonic ms of the last re-authentication's SaslHandshake */
    bool reauth;            /* the exchange under way re-authenticates */
    int64_t reauths;        /* re-authentications done */
} kmock_sasl_t;

/* A request being handled. */
typedef struct kmock_req_s {
    kafka_mock_t *m;
    kmock_broker_t *broker;
    const kafka_request_header_t *hdr;
    kafka_request_u *body;
    kafka_arena_t *arena;
    int64_t now_ms;
    kafka_err_t inject; /* an injected error: handlers skip their side effects */
    int64_t deadline_ms; /* a parked Fetch answers by then */
    kmock_sasl_t *sasl;  /* the connection's */
    int listener;        /* the index of the listener it came in on: brokers are advertised at theirs */
    char *park_member;   /* KMOCK_MEMBER_ID_MAX bytes kept with a parked request: a JoinGroup's member id */
} kmock_req_t;

/* The port of broker b that a client of rq's listener connects to. */
static inline int kmock__advertised_port(const kmock_req_t *rq, const kmock_broker_t *b) {
    return b->listeners[rq->listener].port;
}

/* Listeners (listener.c). */
/* The protocol's name ("SASL_SSL"), or NULL. */
const char *kmock__proto_name(kmock_proto_t proto);
/* Whether the protocol's connections use TLS, and SASL. */
static inline bool kmock__proto_tls(kmock_proto_t proto) {
    return proto == KMOCK_SSL || proto == KMOCK_SASL_SSL;
}
static inline bool kmock__proto_sasl(kmock_proto_t proto) {
    return proto == KMOCK_SASL_PLAINTEXT || proto == KMOCK_SASL_SSL;
}
/* Sets m->protos and m->nlisteners from conf.listeners, or the default (PLAINTEXT, or
 * SASL_PLAINTEXT with sasl_mechanisms; then SSL or SASL_SSL with tls). false with errstr
 * on an unknown or repeated protocol, an empty list, or a SASL listener without
 * mechanisms. */
bool kmock__listeners_parse(kafka_mock_t *m, const char *listeners, char *errstr, size_t errstr_size);
/* Opens broker b's listeners (on their ports again after a restart) and registers them
 * with m->epfd; -1 with errstr (and none left open) on failure. */
int kmock__broker_listen(kafka_mock_t *m, kmock_broker_t *b, char *errstr, size_t errstr_size);
/* Closes broker b's listening sockets (their ports are kept). */
void kmock__broker_unlisten(kafka_mock_t *m, kmock_broker_t *b);
/* The index of m's listener speaking proto, or -1. */
int kmock__listener_index(const kafka_mock_t *m, kmock_proto_t proto);

/* The SSL listeners' context from conf (tls.c): its certificate files, or a generated CA
 * and certificate (the CA, and the client's certificate and key with tls_client_auth,
 * written to files; "" where none). NULL with errstr on failure. */
struct ssl_ctx_st *kmock__tls_ctx(const kafka_mock_conf_t *conf, kmock_tls_files_t *files, char *errstr,
                                  size_t errstr_size);
/* Removes the files kmock__tls_ctx wrote. */
void kmock__tls_files_remove(kmock_tls_files_t *files);

typedef enum kmock_result_e {
    KMOCK_RESPOND = 0,
    KMOCK_NO_RESPONSE, /* Produce with acks=0 */
    KMOCK_PARK,        /* Fetch below min bytes, JoinGroup/SyncGroup at their barrier: retried when
                          data arrives or a group changes (parked_recheck), and at deadline_ms */
    KMOCK_CLOSE        /* close the connection (what Kafka does with unparseable requests) */
} kmock_result_t;

typedef kmock_result_t (*kmock_handler_t)(kmock_req_t *rq, kafka_response_u *resp);

typedef struct kmock_api_s {
    int16_t key;
    int16_t min_version, max_version;
    int16_t legacy_max_version; /* what a Kafka 0.8.2 broker serves; -1: not at all */
    kmock_handler_t handle;
} kmock_api_t;

/* Handlers, one file each. */
kmock_result_t kmock__handle_produce(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_fetch(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_list_offsets(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_offset_for_leader_epoch(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_metadata(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_offset_commit(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_offset_fetch(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_find_coordinator(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_join_group(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_heartbeat(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_leave_group(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_sync_group(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_describe_groups(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_list_groups(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_consumer_group_heartbeat(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_consumer_group_describe(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_api_versions(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_init_producer_id(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_add_partitions_to_txn(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_add_offsets_to_txn(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_end_txn(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_txn_offset_commit(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_sasl_handshake(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_sasl_authenticate(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_create_topics(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_delete_topics(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_describe_configs(kmock_req_t *rq, kafka_response_u *resp);
kmock_result_t kmock__handle_create_partitions(kmock_req_t *rq, kafka_response_u *resp);

/* SASL (sasl.c). Whether a request of api_key is served on a connection in state s:
 * always without conf.sasl_mechanisms; else only ApiVersions and SaslHandshake (and
 * SaslAuthenticate once a mechanism is chosen) before authentication, as Kafka. */
bool kmock__sasl_allows(const kafka_mock_t *m, const kmock_sasl_t *s, int16_t api_key);
/* Whether the connection's session ended (KIP-368) and a request of api_key must close
 * it: anything but SaslHandshake, SaslAuthenticate and ApiVersions. Counted. */
bool kmock__sasl_expired(kafka_mock_t *m, const kmock_sasl_t *s, int16_t api_key, int64_t now);
/* Whether every mechanism of the comma-separated list is one the mock serves; else
 * errstr names the first that is not. */
bool kmock__sasl_conf_ok(const char *mechanisms, char *errstr, size_t errstr_size);
/* One raw token after a SaslHandshake v0 (the connection is in KMOCK_SASL_MECH, raw):
 * the answer token appended to out, size-prefixed; false: authentication failed, close
 * the connection (Kafka's behaviour). */
bool kmock__sasl_raw(kafka_mock_t *m, kmock_sasl_t *s, const uint8_t *token, size_t len, kafka_buf_t *out);

/* The APIs the mock serves and the versions it implements; a profile narrows them. */
extern const kmock_api_t kmock__apis[];
extern const int kmock__napis;
const kmock_api_t *kmock__api(int16_t key);

/* Profiles (profiles.c). Sets m->profile from conf.kafka_version (conf.legacy: 0.8.2) and
 * the release's message.max.bytes where the conf left it 0; false with errstr for an
 * unknown version. */
bool kmock__profile_set(kafka_mock_t *m, char *errstr, size_t errstr_size);
/* The versions of key m serves: its profile's range within what the mock implements;
 * false when it does not serve key at all (a request of it closes the connection). */
bool kmock__profile_range(const kafka_mock_t *m, int16_t key, int16_t *min, int16_t *max);

/* Fetch down-conversion (downconvert.c): record data read from a log, re-encoded for a
 * Fetch at `version` (< 4) as MessageSet of the magic that version reads (v0-1: 0, v2-3:
 * 1), uncompressed, records before fetch_offset left out, headers dropped (as Kafka).
 * *data / *len are replaced by arena memory when anything was converted; unchanged when
 * every entry already has a readable magic. */
kafka_err_t kmock__downconvert(kmock_req_t *rq, int16_t version, int64_t fetch_offset, const uint8_t **data,
                               size_t *len);

/* Fetch sessions (fsession.c); callers hold m->lock. */
#define KMOCK_FSESSION_SLOTS 1000         /* Kafka's max.incremental.fetch.session.cache.slots */
#define KMOCK_FSESSION_EVICTION_MS 120000 /* Kafka's min.incremental.fetch.session.eviction.ms */
kmock_fsession_t *kmock__fsession_find(kafka_mock_t *m, int broker, int32_t id);
void kmock__fsession_remove(kafka_mock_t *m, kmock_fsession_t *s);
/* A new session of broker with room for n partitions, evicting one per Kafka's rule when
 * the broker's cache is full; NULL when it gets none (full, or out of memory). */
kmock_fsession_t *kmock__fsession_create(kafka_mock_t *m, int broker, size_t n, int64_t now_ms);
/* The session's partition topic/partition, added (hw -2) when absent and add is set;
 * NULL when absent (or out of memory). Keeps parts sorted. */
kmock_fspart_t *kmock__fsession_part(kmock_fsession_t *s, kafka_str_t topic, int32_t partition, bool add);
/* Drops the partitions marked forgotten. */
void kmock__fsession_compact(kmock_fsession_t *s);
void kmock__fsessions_free(kafka_mock_t *m);

/* Cluster state helpers (callers hold m->lock). */
kmock_topic_t *kmock__topic_find(kafka_mock_t *m, const char *name, int32_t len);
/* Finds or (when auto-creation is on) creates a topic; NULL when it does not exist. */
kmock_topic_t *kmock__topic_get(kafka_mock_t *m, const char *name, int32_t len, bool create);
kafka_err_t kmock__topic_create(kafka_mock_t *m, const char *name, int32_t len, int partitions, int rf);
kmock_partition_t *kmock__partition(kmock_topic_t *t, int32_t id);
/* The topic of a topic id, or NULL. */
kmock_topic_t *kmock__topic_by_id(kafka_mock_t *m, const kafka_uuid_t *id);
/* A random (version 4) UUID: a topic's id. */
void kmock__uuid_random(kafka_uuid_t *id);
/* Unlinks a topic from m->topics and frees it with its logs and configs. */
void kmock__topic_delete(kafka_mock_t *m, kmock_topic_t *t);
/* Frees a topic that is not linked (its logs and configs). */
void kmock__topic_free(kmock_topic_t *t);
/* Grows t to `total` partitions, the new ones with t's replication factor (or the broker
 * ids of assign[i], nassign of them, for the i-th new one); KAFKA_ERR__NO_MEMORY leaves t
 * as it was. */
kafka_err_t kmock__topic_grow(kafka_mock_t *m, kmock_topic_t *t, int32_t total, const int32_t *const *assign,
                              const int32_t *nassign);
/* The controller: the first live broker (Metadata's ControllerId), NULL when all are down. */
kmock_broker_t *kmock__controller(kafka_mock_t *m);
/* Live brokers. */
int kmock__live_brokers(const kafka_mock_t *m);

/* Topic and broker configs (configs.c); callers hold m->lock. */
/* Checks one topic config: 0, or INVALID_CONFIG with why (Kafka's wording) for an unknown
 * name or a value its type refuses. */
int16_t kmock__config_check(kafka_str_t name, kafka_str_t value, char *why, size_t why_size);
/* Sets (replaces) a topic config; false when out of memory. */
bool kmock__config_set(kmock_topic_t *t, kafka_str_t name, kafka_str_t value);
/* A described config: Kafka's ConfigSource numbers (1 topic, 4 static broker, 5 default). */
typedef struct kmock_config_desc_s {
    const char *name;
    const char *value; /* NULL for a sensitive one */
    int8_t source;
    bool read_only, sensitive;
} kmock_config_desc_t;
/* The configs of a topic: every known one, set or default, in the table's order; *n of them
 * (at most max). */
int kmock__topic_configs(const kmock_topic_t *t, kmock_config_desc_t *out, int max);
/* The configs of broker b (values formatted into buf, buf_size bytes). */
int kmock__broker_configs(kafka_mock_t *m, const kmock_broker_t *b, kmock_config_desc_t *out, int max, char *buf,
                          size_t buf_size);
#define KMOCK_MAX_CONFIGS 32
kmock_broker_t *kmock__broker(kafka_mock_t *m, int id);
kmock_commit_t *kmock__commit_find(kafka_mock_t *m, kafka_str_t group, kafka_str_t topic, int32_t partition);
/* Stores a committed offset (metadata NULL: null); KAFKA_ERR_UNKNOWN_SERVER_ERROR when out of memory. */
int16_t kmock__commit_put(kafka_mock_t *m, kafka_str_t group, kafka_str_t topic, int32_t partition, int64_t offset,
                          int32_t leader_epoch, kafka_str_t metadata);
/* The group coordinator of a key: the broker the group was moved to while it is up,
 * else a live broker chosen by hash. */
kmock_broker_t *kmock__coordinator(kafka_mock_t *m, const char *key, int32_t len);

/* Classic groups (group.c); callers hold m->lock. */
kmock_group_t *kmock__group_find(kafka_mock_t *m, kafka_str_t id);
/* Finds or creates (empty) a group; NULL when out of memory. */
kmock_group_t *kmock__group_get(kafka_mock_t *m, kafka_str_t id);
kmock_member_t *kmock__member_find(kmock_group_t *g, kafka_str_t id);
kmock_member_t *kmock__member_find_instance(kmock_group_t *g, kafka_str_t instance_id);
/* NOT_COORDINATOR when rq's broker does not coordinate the group, INVALID_GROUP_ID for an
 * empty id, else 0. */
int16_t kmock__group_check(kmock_req_t *rq, kafka_str_t group_id);
/* The member check every group request makes: FENCED_INSTANCE_ID when instance_id is
 * another member's, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION (generation < -1 skips the
 * check), else 0 with *out the member. */
int16_t kmock__member_check(kmock_group_t *g, kafka_str_t member_id, kafka_str_t instance_id, int32_t generation,
                            kmock_member_t **out);
/* Time passes: members whose session ran out leave, pending ids expire, and a join round
 * completes when every member rejoined or its rebalance timeout passed. */
void kmock__group_tick(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms);
/* Starts a rebalance (PreparingRebalance) unless one is under way. */
void kmock__group_rebalance(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms);
/* Removes a member (the caller then starts a rebalance or ends the round). */
void kmock__member_remove(kmock_group_t *g, kmock_member_t *mem);
/* When a parked JoinGroup or SyncGroup of g looks again at the latest (a session end or the
 * rebalance timeout), never before now + 1. */
int64_t kmock__group_deadline(const kmock_group_t *g, int64_t now_ms);
const char *kmock__group_state_name(kmock_group_state_t s);
void kmock__groups_free(kafka_mock_t *m);

/* KIP-848 consumer groups (group848.c); callers hold m->lock. */
/* Time passes: members past their session or rebalance timeout are removed. */
void kmock__group848_tick(kafka_mock_t *m, kmock_group_t *g, int64_t now_ms);
/* Frees g's KIP-848 members. */
void kmock__group848_free(kmock_group_t *g);
/* Removes one member (or all with NULL); the group epoch moves on. UNKNOWN_MEMBER_ID. */
int16_t kmock__group848_expire(kmock_group_t *g, const char *member_id);
/* Kafka's state names: Empty, Assigning, Reconciling, Stable. */
const char *kmock__group848_state(const kmock_group_t *g);
int kmock__group848_count(const kmock_group_t *g);
/* The OffsetCommit check of a KIP-848 group (ConsumerGroup.validateOffsetCommit): a
 * member's commit needs OffsetCommit v9+ (UNSUPPORTED_VERSION) and its current epoch
 * (STALE_MEMBER_EPOCH); UNKNOWN_MEMBER_ID; an empty group takes epoch -1 commits. */
int16_t kmock__group848_commit_check(kmock_group_t *g, kafka_str_t member_id, int32_t epoch, int16_t version);
/* Partition sets (group848.c): add is false when out of memory. */
bool kmock__tpset_has(const kmock_tpset_t *s, const kmock_tp848_t *tp);
bool kmock__tpset_add(kmock_tpset_t *s, const kmock_tp848_t *tp);
void kmock__tpset_clear(kmock_tpset_t *s);
void kmock__tpset_free(kmock_tpset_t *s);
/* Whether mem's subscription (names or regex) takes topic t. */
bool kmock__cmember_subscribes(const kmock_cmember_t *mem, const kmock_topic_t *t);
/* Computes every member's target with assignor ("uniform" or "range"), assign848.c;
 * false when out of memory. */
bool kmock__assign848(kafka_mock_t *m, kmock_group_t *g, const char *assignor);
/* One ConsumerGroupHeartbeat (h68). */
void kmock__group848_heartbeat(kmock_req_t *rq, kmock_group_t *g, const kafka_consumer_group_heartbeat_request_t *req,
                               kafka_consumer_group_heartbeat_response_t *r);

/* Transactions (txn.c); callers hold m->lock. */
kmock_txn_t *kmock__txn_find(kafka_mock_t *m, kafka_str_t id);
/* The transaction coordinator of a transactional id: the broker it was moved to while
 * that is up, else the group coordinator's choice by hash. */
kmock_broker_t *kmock__txn_coordinator(kafka_mock_t *m, const char *id, int32_t len);
/* The checks of AddPartitionsToTxn, AddOffsetsToTxn, EndTxn (on the coordinator) and
 * TxnOffsetCommit (on the group's, coordinator_check false): NOT_COORDINATOR,
 * INVALID_PRODUCER_ID_MAPPING (unknown id or another producer id), PRODUCER_FENCED (an
 * older epoch; INVALID_PRODUCER_EPOCH below fenced_from, the first version that knows
 * the code), else 0 with *out. */
int16_t kmock__txn_check(kmock_req_t *rq, kafka_str_t id, int64_t producer_id, int16_t epoch, int16_t fenced_from,
                         bool coordinator_check, kmock_txn_t **out);
/* Adds a partition (false when out of memory); the transaction becomes ONGOING. */
bool kmock__txn_add_partition(kmock_txn_t *t, kafka_str_t topic, int32_t partition, int64_t now_ms);
void kmock__txn_begin(kmock_txn_t *t, int64_t now_ms);
/* Ends an ONGOING transaction: a COMMIT or ABORT marker written to each of its
 * partitions (their open transaction closed, an abort indexed), its offsets stored when
 * committed. */
void kmock__txn_end(kafka_mock_t *m, kmock_txn_t *t, bool commit, int64_t now_ms);
/* Transactions past their timeout are aborted and their producer fenced (epoch + 1). */
void kmock__txn_tick(kafka_mock_t *m, int64_t now_ms);
/* When the next transaction times out; INT64_MAX: none is open. */
int64_t kmock__txn_deadline(const kafka_mock_t *m);
/* Produce of record data to p: 0, or the error for a transactional batch of a producer
 * that is not in a transaction holding the partition (INVALID_TXN_STATE), or of an older
 * epoch (INVALID_PRODUCER_EPOCH), with why. */
int16_t kmock__txn_produce_check(kafka_mock_t *m, const char *topic, int32_t partition, const uint8_t *data,
                                 size_t len, const char **why);
/* After an append at base: a transactional batch opens its transaction in p. */
void kmock__txn_produced(kmock_partition_t *p, const uint8_t *data, size_t len, int64_t base);
/* The last stable offset: the first offset of the oldest open transaction, else the high watermark. */
int64_t kmock__lso(const kmock_partition_t *p);
void kmock__txns_free(kafka_mock_t *m);
void kmock__partition_txn_free(kmock_partition_t *p);

/* Partition logs (log.c). */
/* Validates and appends the record data of one Produce partition: every batch's CRC,
 * offsets assigned; idempotent sequence checks. *base_offset is the first offset given
 * (or the original one of a duplicate). Only the record formats of m's profile are taken
 * (CORRUPT_MESSAGE for others, as an old broker that cannot parse them). */
kafka_err_t kmock__log_append(kafka_mock_t *m, kmock_partition_t *p, const uint8_t *data, size_t len, int64_t now_ms,
                              int64_t *base_offset, const char **why);
/* The bytes of whole entries from `offset` on, up to max_bytes (at least one entry when
 * first). KAFKA_ERR_OFFSET_OUT_OF_RANGE if offset is outside [log_start, hw]. */
kafka_err_t kmock__log_read(kmock_partition_t *p, int64_t offset, size_t max_bytes, bool first, const uint8_t **data,
                            size_t *len);
/* As kmock__log_read, but no entry at or past end (read_committed: the last stable offset). */
kafka_err_t kmock__log_read_until(kmock_partition_t *p, int64_t offset, int64_t end, size_t max_bytes, bool first,
                                  const uint8_t **data, size_t *len);
/* Appends a control batch: a transaction marker (COMMIT or ABORT) of producer_id/epoch;
 * *offset receives its offset. */
kafka_err_t kmock__log_append_marker(kmock_partition_t *p, int64_t producer_id, int16_t epoch, bool commit,
                                     int64_t now_ms, int64_t *offset);
/* Damages the stored entry holding offset in place (one byte of its records flipped),
 * with its CRC written again when keep_crc. */
kafka_err_t kmock__log_damage(kmock_partition_t *p, int64_t offset, bool keep_crc);
/* Unclean leader election's loss: the log ends before the batch holding offset (*end, the
 * new high watermark); transactions and producer states of the lost part go. The caller
 * bumps the leader epoch. KAFKA_ERR_OFFSET_OUT_OF_RANGE outside [log start, end]. */
kafka_err_t kmock__log_truncate(kmock_partition_t *p, int64_t offset, int64_t *end);
/* OffsetForLeaderEpoch's answer for `epoch`: the offset where it ended (the first batch
 * of a later epoch; the log end for the current epoch) and, in *found_epoch, the largest
 * epoch <= `epoch` the log has (-1 with -1 returned for an epoch above the current). */
int64_t kmock__log_epoch_end(const kmock_partition_t *p, int32_t epoch, int32_t *found_epoch);
/* The first offset whose batch max timestamp >= ts (hw when none). */
int64_t kmock__log_offset_for_time(kmock_partition_t *p, int64_t ts, int64_t *found_ts);
void kmock__log_free(kmock_partition_t *p);
void kmock__log_retain(kmock_partition_t *p, size_t bytes);

/* n elements of the response struct named struct_name (Kafka's name, e.g.
 * "PartitionData"), at their defaults, from the request's arena; NULL when n <= 0 or out
 * of memory (callers then answer with an empty array). */
void *kmock__items(kmock_req_t *rq, const char *struct_name, int32_t n);
/* Sets an array member from kmock__items(). */
#define KMOCK_ARRAY(arr, rq, name, n)                                                     \
    do {                                                                                  \
        (arr).items = kmock__items((rq), (name), (n));                                    \
        (arr).count = (arr).items ? (n) : 0;                                              \
    } while (0)

void kmock__wake(kafka_mock_t *m);

/* Sets every ErrorCode field of a response (recursively) to err (fault injection). */
void kmock__set_error_codes(int16_t api_key, void *resp, kafka_err_t err);


#endif
