/* kafka-mock's version profiles (kafka_version): each answers ApiVersions with its
 * release's ranges (or hangs up, before 0.10), refuses other versions by closing the
 * connection, and our producer, consumer loop, origin fetch/offsets and commits work
 * against each with no version settings, reading back exactly what was written. Fetches
 * below v4 get RecordBatch v2 down-converted to MessageSet; librdkafka's consumer reads
 * them. The expected ranges below are transcribed from Kafka's sources independently of
 * lib/mock/releases.c, and clamped to what the mock implements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/connection.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/message.h"
#include "kafka/producer.h"
#include "kafka/protocol.h"
#include "util/arena.h"
#include "util/buf.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>
#endif

/* The APIs the mock serves, in the order of its ApiVersions answer. */
static const int16_t keys[] = {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 17, 22, 23, 24, 25, 26, 28, 36, 19, 20, 32, 37, 68, 69};
#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))

typedef struct expect_s {
    const char *version;
    bool api_versions;    /* ApiVersions served (0.10+) */
    int16_t min[NKEYS], max[NKEYS]; /* per keys[]; max -1: absent */
} expect_t;

/* The release's range clamped to what the codec speaks (transactions: AddPartitionsToTxn
 * v0-5, AddOffsetsToTxn v0-4, EndTxn v0-5, TxnOffsetCommit v0-5, InitProducerId v0-5; OffsetForLeaderEpoch v0-4; admin:
 * CreateTopics v0-7, DeleteTopics v0-6, DescribeConfigs v0-4, CreatePartitions v0-3). */
/*                  Prod  Fetch LOff  Meta  OComm OFet  FCoo  Join  HB    Leave Sync  DGrp  LGrp  AV    SHsk  IPid  OFLE  APtT  AOtT  EndT  TOC   SAuth CTop  DTop  DCfg  CPart CGHb  CGDs */
static const expect_t expects[] = {
    {"0.8.2", false, {0}, {0, 0, 0, 0, 1, 1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},
    {"0.9", false, {0}, {1, 1, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},
    {"0.10.2", true, {0}, {2, 3, 1, 2, 2, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, 1, 0, -1, -1, -1, -1}},
    {"0.11", true, {0}, {3, 5, 2, 4, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, -1, 2, 1, 0, -1, -1, -1}},
    {"1.1", true, {0}, {5, 7, 2, 5, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 0, -1, -1}},
    {"2.4", true, {0}, {8, 11, 5, 9, 8, 6, 3, 6, 4, 4, 4, 5, 3, 3, 1, 2, 3, 1, 1, 1, 2, 1, 5, 4, 2, 1, -1, -1}},
    {"2.8", true, {0}, {9, 12, 6, 11, 8, 7, 3, 7, 4, 4, 5, 5, 4, 3, 1, 4, 4, 3, 3, 3, 3, 2, 7, 6, 4, 3, -1, -1}},
    {"3.0", true, {0}, {9, 12, 7, 11, 8, 8, 4, 7, 4, 4, 5, 5, 4, 3, 1, 4, 4, 3, 3, 3, 3, 2, 7, 6, 4, 3, -1, -1}},
    {"3.7", true, {0}, {9, 16, 7, 12, 9, 9, 4, 9, 4, 5, 5, 5, 4, 3, 1, 4, 4, 4, 3, 3, 3, 2, 7, 6, 4, 3, 0, -1}},
    {"4.0", true, {3, 4, 1, 0, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1, 0, 0, 0}, {9, 17, 7, 12, 9, 9, 4, 9, 4, 5, 5, 6, 5, 3, 1, 5, 4, 5, 4, 4, 4, 2, 7, 6, 4, 3, 1, 1}},
    {"latest", true, {0}, {9, 17, 7, 12, 9, 9, 4, 9, 4, 5, 5, 6, 5, 3, 1, 5, 4, 5, 4, 5, 5, 2, 7, 6, 4, 3, 1, 1}},
};
#define NEXPECTS ((int)(sizeof(expects) / sizeof(expects[0])))

static int key_index(int16_t key) {
    for (int i = 0; i < NKEYS; i++)
        if (keys[i] == key)
            return i;
    return -1;
}

static kafka_mock_t *start(const char *version, int brokers) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = brokers;
    conf.kafka_version = version;
    conf.retention_bytes = 0;
    return kafka_test_mock_new(&conf);
}

/* Sends req at key/version on fd; decodes the answer into resp. KAFKA_ERR__TRANSPORT when
 * the broker closed the connection. */
static kafka_err_t call(int fd, kafka_arena_t *arena, int16_t key, int16_t version, int16_t resp_version,
                        const void *req, void *resp, uint8_t **frame) {
    kafka_buf_t out = KAFKA_BUF_INIT;
    kafka_request_header_t hdr = {key, version, 7, kafka_str("test-profiles")};
    char err[256];
    kafka_err_t ee = kafka_request_encode(&out, &hdr, req, err, sizeof(err));
    if (ee)
        fprintf(stderr, "encode %s v%d: %s\n", kafka_api_name(key), version, err);
    CU_ASSERT_EQUAL_FATAL(ee, KAFKA_OK);
    size_t len;
    *frame = kafka_test_roundtrip(fd, out.data, out.len, &len);
    kafka__buf_free(&out);
    if (!*frame)
        return KAFKA_ERR__TRANSPORT;
    int32_t corr;
    kafka_err_t e = kafka_response_decode(*frame, len, key, resp_version, arena, &corr, resp, err, sizeof(err));
    if (e)
        fprintf(stderr, "%s v%d: %s\n", kafka_api_name(key), version, err);
    return e;
}

/* ApiVersions v0 lists exactly the profile's ranges, or the broker hangs up. */
static void check_api_versions(kafka_mock_t *m, const expect_t *x) {
    int fd = kafka_test_connect(kafka_mock_broker_port(m, 1));
    CU_ASSERT_FATAL(fd >= 0);
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    kafka_api_versions_request_t req;
    kafka_request_init(KAFKA_API_API_VERSIONS, &req);
    kafka_api_versions_response_t resp;
    uint8_t *frame = NULL;
    kafka_err_t e = call(fd, &arena, KAFKA_API_API_VERSIONS, 0, 0, &req, &resp, &frame);
    if (!x->api_versions) {
        CU_ASSERT_EQUAL(e, KAFKA_ERR__TRANSPORT);
    } else {
        CU_ASSERT_EQUAL_FATAL(e, KAFKA_OK);
        CU_ASSERT_EQUAL(resp.error_code, 0);
        int want = 0;
        for (int i = 0; i < NKEYS; i++)
            want += x->max[i] >= 0;
        CU_ASSERT_EQUAL(resp.api_keys.count, want);
        for (int32_t i = 0; i < resp.api_keys.count; i++) {
            int k = key_index(resp.api_keys.items[i].api_key);
            CU_ASSERT_FATAL(k >= 0);
            if (resp.api_keys.items[i].min_version != x->min[k] || resp.api_keys.items[i].max_version != x->max[k]) {
                fprintf(stderr, "%s: %s v%d-%d, expected v%d-%d\n", x->version,
                        kafka_api_name(resp.api_keys.items[i].api_key), resp.api_keys.items[i].min_version,
                        resp.api_keys.items[i].max_version, x->min[k], x->max[k]);
                CU_FAIL("ApiVersions range");
            }
        }
        free(frame);
        frame = NULL;
        /* A too-new ApiVersions: v0 answer, UNSUPPORTED_VERSION; from 2.4 with ApiVersions' range. */
        int av = key_index(KAFKA_API_API_VERSIONS);
        if (x->max[av] < KAFKA_API_API_VERSIONS_MAX_VERSION) {
            kafka__arena_free(&arena);
            e = call(fd, &arena, KAFKA_API_API_VERSIONS, (int16_t)(x->max[av] + 1), 0, &req, &resp, &frame);
            CU_ASSERT_EQUAL(e, KAFKA_OK);
            CU_ASSERT_EQUAL(resp.error_code, KAFKA_ERR_UNSUPPORTED_VERSION);
            CU_ASSERT_EQUAL(resp.api_keys.count, 0); /* before 2.4 (KIP-511) the list is empty */
            free(frame);
            frame = NULL;
        }
    }
    free(frame);
    close(fd);
    kafka__arena_free(&arena);
}

/* A well-formed Metadata request one version past the profile's, and one below its
 * minimum (ListOffsets v0 on 4.0): the connection is closed. */
static void check_refused(kafka_mock_t *m, const expect_t *x) {
    int meta = key_index(KAFKA_API_METADATA), lo = key_index(KAFKA_API_LIST_OFFSETS);
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    if (x->max[meta] < KAFKA_API_METADATA_MAX_VERSION) {
        int fd = kafka_test_connect(kafka_mock_broker_port(m, 1));
        kafka_metadata_request_t req;
        kafka_request_init(KAFKA_API_METADATA, &req);
        kafka_metadata_response_t resp;
        int16_t v = (int16_t)(x->max[meta] + 1);
        CU_ASSERT_EQUAL(call(fd, &arena, KAFKA_API_METADATA, v, v, &req, &resp, &frame), KAFKA_ERR__TRANSPORT);
        close(fd);
        /* The version it lists is served on a new connection. */
        fd = kafka_test_connect(kafka_mock_broker_port(m, 1));
        v = x->max[meta];
        CU_ASSERT_EQUAL(call(fd, &arena, KAFKA_API_METADATA, v, v, &req, &resp, &frame), KAFKA_OK);
        free(frame);
        frame = NULL;
        close(fd);
    }
    if (x->min[lo] > 0) {
        int fd = kafka_test_connect(kafka_mock_broker_port(m, 1));
        kafka_list_offsets_request_t req;
        kafka_request_init(KAFKA_API_LIST_OFFSETS, &req);
        kafka_list_offsets_response_t resp;
        CU_ASSERT_EQUAL(call(fd, &arena, KAFKA_API_LIST_OFFSETS, 0, 0, &req, &resp, &frame), KAFKA_ERR__TRANSPORT);
        close(fd);
    }
    free(frame);
    kafka__arena_free(&arena);
}

/* The versions our client settled on: each profile's highest (the codec's equal the
 * mock's), or inside the profile's ranges after the 0.8 fallback. */
static void check_negotiated(const char *bootstrap, const expect_t *x) {
    kafka_conf_t *conf = kafka_test_conf(bootstrap, NULL);
    char err[512];
    kafka_connection_t *c = kafka_connection_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_err_t e;
    kafka_metadata_t *md = kafka_connection_metadata(c, NULL, 0, 5000, &e, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_EQUAL(kafka_metadata_api_negotiated(md), x->api_versions);
    static const int16_t used[] = {0, 1, 2, 3, 8, 9, 10};
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        int k = key_index(used[i]);
        int16_t v = kafka_metadata_api_version(md, used[i]);
        bool ok = x->api_versions ? v == x->max[k] : v >= x->min[k] && v <= x->max[k];
        if (!ok) {
            fprintf(stderr, "%s: %s at v%d, the profile serves v%d-%d\n", x->version, kafka_api_name(used[i]), v,
                    x->min[k], x->max[k]);
            CU_FAIL("negotiated version");
        }
    }
    kafka_metadata_release(md);
    kafka_connection_destroy(c);
}

#define N 300

/* Our producer, the consumer loop, the origin's fetch and offsets, a commit. */
static void check_client(const char *bootstrap, const expect_t *x) {
    char topic[64], prefix[64];
    snprintf(topic, sizeof(topic), "profile-%s", x->version);
    snprintf(prefix, sizeof(prefix), "p%s-", x->version);
    kafka_test_produce(bootstrap, NULL, topic, 2, N, 64, prefix);
    CU_ASSERT_EQUAL(kafka_test_consume(bootstrap, NULL, topic, 2, N, prefix), N);

    const char *kv[] = {"group.id", "profiles", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bootstrap, kv);
    char err[512];
    kafka_message_t **msgs = NULL;
    size_t count = 0;
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, topic, 1, 0, 1 << 20, &msgs, &count, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(count, N / 2);
    char want[128];
    for (size_t i = 0; i < count; i++) {
        const kafka_message_t *msg = msgs[i];
        int l = snprintf(want, sizeof(want), "%s%zu|", prefix, 2 * i + 1);
        CU_ASSERT_EQUAL(kafka_message_offset(msg), (int64_t)i);
        int32_t vl = 0;
        const void *v = kafka_message_payload(msg, &vl);
        CU_ASSERT(vl == 64 && memcmp(v, want, (size_t)l) == 0);
    }
    kafka_messages_destroy(msgs, count);
    int64_t *offs = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, topic, 0, KAFKA_OFFSET_LATEST, 1, &offs, &n, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT(n >= 1 && offs[0] == N / 2);
    free(offs);
    CU_ASSERT_EQUAL(kafka_consumer_offsets(c, topic, 0, KAFKA_OFFSET_EARLIEST, 1, &offs, &n, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT(n >= 1 && offs[n - 1] == 0);
    free(offs);
    kafka_topic_partition_t tp = {topic, 0, 42};
    kafka_err_t e = kafka_consumer_commit(c, &tp, 1, err, sizeof(err));
    if (e)
        fprintf(stderr, "%s commit: %s\n", x->version, err);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    int64_t got = -1;
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, topic, 0, &got, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(got, 42);
    kafka_consumer_destroy(c);
}

/* Group consumption (subscribe) on the profiles that do not answer ApiVersions: the
 * client takes them for Kafka 0.8, which has no JoinGroup, and poll() fails at once naming
 * the API (it used to retry forever, dropping the coordinator's connection each time). A
 * 0.9 broker told as such (api.version.request=false, broker.version.fallback=0.9.0) serves
 * the group APIs at v0: every message is read once. */
static void check_group(const char *bootstrap, const expect_t *x) {
    if (x->api_versions)
        return; /* the agent matrix (scripts/compat.sh) joins groups on the others */
    char topic[64], prefix[64];
    snprintf(topic, sizeof(topic), "profile-%s", x->version);
    snprintf(prefix, sizeof(prefix), "p%s-", x->version);
    const char *kv[] = {"group.id", "profiles-group", "auto.offset.reset", "earliest", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bootstrap, kv);
    char err[1024];
    const char *topics[] = {topic};
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_subscribe(c, topics, 1, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *msgs[64];
    size_t n = 0;
    kafka_err_t e = KAFKA_OK;
    int64_t deadline = kafka_test_now_ms() + 5000;
    while (!e && kafka_test_now_ms() < deadline) {
        e = kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err));
        for (size_t i = 0; !e && i < n; i++)
            kafka_message_destroy(msgs[i]);
    }
    CU_ASSERT_EQUAL(e, KAFKA_ERR__UNKNOWN_APIKEY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "JoinGroup"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "broker.version.fallback=0.9.0"));
    kafka_consumer_destroy(c);
    if (strcmp(x->version, "0.9") != 0)
        return;
    const char *kv9[] = {"group.id", "profiles-group", "auto.offset.reset", "earliest", "api.version.request", "false",
                         "broker.version.fallback", "0.9.0", NULL};
    c = kafka_test_consumer(bootstrap, kv9);
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_subscribe(c, topics, 1, err, sizeof(err)), KAFKA_OK);
    char seen[N] = {0};
    size_t got = 0, bad = 0;
    deadline = kafka_test_now_ms() + 10000;
    while (got < N && kafka_test_now_ms() < deadline) {
        e = kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err));
        if (e) {
            fprintf(stderr, "0.9 group: %s\n", err);
            CU_FAIL("poll in a 0.9 group");
            break;
        }
        for (size_t i = 0; i < n; i++) {
            int32_t vl = 0;
            const char *v = kafka_message_payload(msgs[i], &vl);
            size_t pl = strlen(prefix);
            long idx = vl > (int32_t)pl && memcmp(v, prefix, pl) == 0 ? strtol(v + pl, NULL, 10) : -1;
            /* message i went to partition i % 2 at offset i / 2 */
            if (idx < 0 || idx >= N || seen[idx] || kafka_message_offset(msgs[i]) != idx / 2 ||
                kafka_message_partition(msgs[i]) != idx % 2)
                bad++;
            else
                seen[idx] = 1, got++;
            kafka_message_destroy(msgs[i]);
        }
    }
    CU_ASSERT_EQUAL(got, N);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_OK);
    kafka_consumer_destroy(c);
}

/* A transactional producer on a release before 0.11 (no InitProducerId): init fails at
 * once naming the API, classed fatal (kafka-agent run's exactly-once took it for fencing). */
static void check_txn(const char *bootstrap, const expect_t *x) {
    if (x->max[key_index(KAFKA_API_INIT_PRODUCER_ID)] >= 0)
        return;
    kafka_conf_t *conf = kafka_test_conf(bootstrap, (const char *const[]){"transactional.id", "profiles", NULL});
    char err[1024];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_producer_init_transactions(p, 5000, err, sizeof(err)), KAFKA_ERR__UNKNOWN_APIKEY);
    CU_ASSERT(kafka_test_now_ms() - t0 < 4000);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "speaks no InitProducerId version"));
    CU_ASSERT_EQUAL(kafka_producer_txn_error_class(p), KAFKA_TXN_ERROR_FATAL);
    kafka_producer_destroy(p);
}

static void test_profiles(void) {
    for (int i = 0; i < NEXPECTS; i++) {
        const expect_t *x = &expects[i];
        kafka_mock_t *m = start(x->version, 2);
        check_api_versions(m, x);
        check_refused(m, x);
        check_negotiated(kafka_mock_bootstrap(m), x);
        check_client(kafka_mock_bootstrap(m), x);
        check_group(kafka_mock_bootstrap(m), x);
        check_txn(kafka_mock_bootstrap(m), x);
        kafka_mock_destroy(m);
    }
}

static void test_unknown_version(void) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.kafka_version = "0.7";
    char err[256] = "";
    CU_ASSERT_PTR_NULL(kafka_mock_new(&conf, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "0.7"));
    conf.kafka_version = "2.4.1"; /* a patch version names its release */
    kafka_mock_t *m = kafka_mock_new(&conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(m);
    kafka_mock_destroy(m);
}

/* A log of RecordBatch v2 fetched at v0 (MessageSet v0), v3 (v1) and v4 (as stored). */
static void test_downconversion(void) {
    kafka_mock_t *m = start("3.7", 1);
    const char *bootstrap = kafka_mock_bootstrap(m);
    kafka_test_produce(bootstrap, (const char *const[]){"compression.type", "gzip", NULL}, "dc", 1, 50, 64, "dc-");
    static const struct {
        int16_t version;
        int magic;
    } cases[] = {{0, 0}, {1, 0}, {2, 1}, {3, 1}, {4, 2}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int fd = kafka_test_connect(kafka_mock_broker_port(m, 1));
        kafka_arena_t arena = KAFKA_ARENA_INIT;
        kafka_fetch_request_t req;
        kafka_request_init(KAFKA_API_FETCH, &req);
        /* Kafka's defaults for the fields v0 lacks */
        kafka_fetch_request_partition_t p = {.partition = 0, .current_leader_epoch = -1, .fetch_offset = 10,
                                             .last_fetched_epoch = -1, .log_start_offset = -1,
                                             .partition_max_bytes = 1 << 20};
        kafka_fetch_request_topic_t t;
        memset(&t, 0, sizeof(t));
        t.topic = kafka_str("dc");
        t.partitions.items = &p;
        t.partitions.count = 1;
        req.replica_id = -1;
        req.max_bytes = 1 << 20;
        req.topics.items = &t;
        req.topics.count = 1;
        kafka_fetch_response_t resp;
        uint8_t *frame = NULL;
        CU_ASSERT_EQUAL_FATAL(call(fd, &arena, KAFKA_API_FETCH, cases[c].version, cases[c].version, &req, &resp, &frame),
                              KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1);
        kafka_fetch_response_partition_data_t *pd = &resp.responses.items[0].partitions.items[0];
        CU_ASSERT_EQUAL(pd->error_code, 0);
        kafka_records_reader_t *rr = kafka_records_reader_new(pd->records.data, (size_t)pd->records.len, true, 0);
        kafka_record_t rec;
        int64_t next = cases[c].magic == 2 ? 0 : 10; /* converted: from the fetch offset on */
        int r, bad = 0;
        while ((r = kafka_records_reader_next(rr, &rec)) == 1) {
            char want[32];
            int l = snprintf(want, sizeof(want), "dc-%lld|", (long long)rec.offset);
            bad += rec.magic != cases[c].magic || rec.offset != next++ || rec.value.len != 64 ||
                   memcmp(rec.value.data, want, (size_t)l) != 0;
        }
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(next, 50);
        kafka_records_reader_destroy(rr);
        free(frame);
        kafka__arena_free(&arena);
        close(fd);
    }
    kafka_mock_destroy(m);
}

/* Record formats: 0.10.2 refuses RecordBatch v2 in a Produce v2; 4.0 refuses MessageSet
 * in a Produce v3 with INVALID_RECORD. */
static void test_record_formats(void) {
    kafka_buf_t ms = KAFKA_BUF_INIT;
    CU_ASSERT_EQUAL_FATAL(kafka_msgset_append(&ms, 1, 0, 1000, KAFKA_COMPRESSION_NONE, NULL, -1, "v", 1, NULL, 0),
                          KAFKA_OK);
    kafka_batch_t *b = kafka_batch_new(1024);
    CU_ASSERT_EQUAL_FATAL(kafka_batch_append(b, 1000, NULL, -1, "v", 1, NULL, 0), KAFKA_OK);
    const uint8_t *bd;
    size_t bl;
    CU_ASSERT_EQUAL_FATAL(kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, 0, &bd, &bl, NULL, 0), KAFKA_OK);
    static const struct {
        const char *version;
        int16_t produce_version;
        bool batch;
        int16_t err;
    } cases[] = {
        {"0.10.2", 2, true, KAFKA_ERR_CORRUPT_MESSAGE}, {"0.10.2", 2, false, 0},
        {"0.9", 1, false, KAFKA_ERR_CORRUPT_MESSAGE},  {"4.0", 3, false, KAFKA_ERR_INVALID_RECORD},
        {"4.0", 3, true, 0},                           {"1.1", 3, false, KAFKA_ERR_CORRUPT_MESSAGE},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        kafka_mock_t *m = start(cases[c].version, 1);
        int fd = kafka_test_connect(kafka_mock_broker_port(m, 1));
        kafka_arena_t arena = KAFKA_ARENA_INIT;
        kafka_produce_request_t req;
        kafka_request_init(KAFKA_API_PRODUCE, &req);
        kafka_produce_request_partition_produce_data_t pd;
        memset(&pd, 0, sizeof(pd));
        pd.records.data = cases[c].batch ? bd : ms.data;
        pd.records.len = (int32_t)(cases[c].batch ? bl : ms.len);
        kafka_produce_request_topic_produce_data_t td;
        memset(&td, 0, sizeof(td));
        td.name = kafka_str("formats");
        td.partition_data.items = &pd;
        td.partition_data.count = 1;
        req.acks = 1;
        req.timeout_ms = 1000;
        req.topic_data.items = &td;
        req.topic_data.count = 1;
        kafka_produce_response_t resp;
        uint8_t *frame = NULL;
        int16_t v = cases[c].produce_version;
        CU_ASSERT_EQUAL_FATAL(call(fd, &arena, KAFKA_API_PRODUCE, v, v, &req, &resp, &frame), KAFKA_OK);
        int16_t got = resp.responses.items[0].partition_responses.items[0].error_code;
        if (got != cases[c].err)
            fprintf(stderr, "%s Produce v%d %s: error %d, expected %d\n", cases[c].version, v,
                    cases[c].batch ? "RecordBatch" : "MessageSet", got, cases[c].err);
        CU_ASSERT_EQUAL(got, cases[c].err);
        free(frame);
        kafka__arena_free(&arena);
        close(fd);
        kafka_mock_destroy(m);
    }
    kafka_batch_destroy(b);
    kafka__buf_free(&ms);
}

#ifdef KAFKA_HAVE_RDKAFKA
/* librdkafka reads "rdk" (N messages of kafka_test_produce) from the beginning, told the
 * broker version by fallback (NULL: it asks ApiVersions): every message once, its payload
 * the one written at that offset. */
static void rdkafka_read(const char *profile, const char *bootstrap, const char *fallback) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512], group[64];
    snprintf(group, sizeof(group), "rdk-%s", fallback ? fallback : "av");
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.partition.eof", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    if (fallback) {
        rd_kafka_conf_set(conf, "api.version.request", "false", err, sizeof(err));
        rd_kafka_conf_set(conf, "broker.version.fallback", fallback, err, sizeof(err));
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(2);
    for (int p = 0; p < 2; p++)
        rd_kafka_topic_partition_list_add(tp, "rdk", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    CU_ASSERT_EQUAL(rd_kafka_assign(rk, tp), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(tp);
    char seen[N] = {0};
    int got = 0, bad = 0;
    int64_t deadline = kafka_test_now_ms() + 20000;
    while (got < N && kafka_test_now_ms() < deadline) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 50);
        if (!msg)
            continue;
        if (!msg->err) {
            /* message i went to partition i % 2 at offset i / 2 */
            long long i = msg->offset * 2 + msg->partition;
            char want[32];
            int l = snprintf(want, sizeof(want), "rdk-%lld|", i);
            if (i < 0 || i >= N || seen[i] || msg->len != 64 || memcmp(msg->payload, want, (size_t)l) != 0)
                bad++;
            else
                seen[i] = 1, got++;
        } else {
            fprintf(stderr, "%s/%s: %s\n", profile, fallback ? fallback : "-", rd_kafka_message_errstr(msg));
        }
        rd_kafka_message_destroy(msg);
    }
    if (got != N || bad)
        fprintf(stderr, "librdkafka on %s (fallback %s): %d of %d read, %d wrong\n", profile,
                fallback ? fallback : "-", got, N, bad);
    CU_ASSERT_EQUAL(got, N);
    CU_ASSERT_EQUAL(bad, 0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* librdkafka 2.0.2's consumer reads what our producer wrote: from 0.10.2 (MessageSet v1 as
 * written) and 0.9 (MessageSet v0; it must be told the version). */
static void test_rdkafka(void) {
    static const struct {
        const char *profile, *fallback;
    } cases[] = {{"0.10.2", NULL}, {"0.9", "0.9.0"}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        kafka_mock_t *m = start(cases[c].profile, 2);
        kafka_test_produce(kafka_mock_bootstrap(m), NULL, "rdk", 2, N, 64, "rdk-");
        rdkafka_read(cases[c].profile, kafka_mock_bootstrap(m), cases[c].fallback);
        kafka_mock_destroy(m);
    }
}

/* Every down-converting profile: a log of RecordBatch v2 (Produce v3+) that still serves
 * Fetch v0-3, read by librdkafka told 0.10.0 (Fetch v2, MessageSet v1) and 0.9.0 (Fetch
 * v0-1, MessageSet v0). Every other profile's log is gzip-compressed: down-conversion
 * writes it uncompressed. */
static void test_rdkafka_downconverted(void) {
    int fetch = key_index(KAFKA_API_FETCH), produce = key_index(KAFKA_API_PRODUCE), profiles = 0;
    for (int i = 0; i < NEXPECTS; i++) {
        const expect_t *x = &expects[i];
        if (!x->api_versions || x->min[fetch] > 0 || x->max[produce] < 3)
            continue;
        kafka_mock_t *m = start(x->version, 2);
        const char *gz[] = {"compression.type", "gzip", NULL};
        kafka_test_produce(kafka_mock_bootstrap(m), profiles % 2 ? gz : NULL, "rdk", 2, N, 64, "rdk-");
        rdkafka_read(x->version, kafka_mock_bootstrap(m), "0.10.0");
        rdkafka_read(x->version, kafka_mock_bootstrap(m), "0.9.0");
        kafka_mock_destroy(m);
        profiles++;
    }
    CU_ASSERT(profiles >= 6); /* 0.11, 1.1, 2.4, 2.8, 3.0, 3.7 and latest */
}
#endif

static CU_TestInfo tests[] = {
    {"every profile: ApiVersions, refusals, negotiation, producer, consumer, offsets, commit", test_profiles},
    {"unknown version refused, patch versions accepted", test_unknown_version},
    {"Fetch below v4 down-converts RecordBatch v2", test_downconversion},
    {"record formats per release", test_record_formats},
#ifdef KAFKA_HAVE_RDKAFKA
    {"librdkafka reads the old-format profiles", test_rdkafka},
    {"librdkafka reads every down-converting profile at Fetch v0 and v2", test_rdkafka_downconverted},
#endif
    CU_TEST_INFO_NULL,
};

int main(void) { return kafka_test_run("mock_profiles", tests); }
