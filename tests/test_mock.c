/* The mock cluster driven by our own codec over plain sockets: modern and legacy (0.8)
 * mode, idempotent sequences, offsets, long-polling Fetch, retention, and each fault
 * injection observably taking effect. (Independent clients: test_mock_rdkafka.c and
 * test_mock_kcat.sh.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "util/arena.h"
#include "util/buf.h"
#include "testutil.h"

typedef kafka_test_client_t client_t;

static void client_open(client_t *c, kafka_mock_t *m, int broker) { kafka_test_client_open(c, m, broker, "test-mock"); }
static void client_close(client_t *c) { kafka_test_client_close(c); }
/* Sends a request and decodes the response into resp; returns the decode result, or
 * KAFKA_ERR__TRANSPORT when the broker closed the connection. */
static kafka_err_t call(client_t *c, int16_t key, int16_t version, const void *req, void *resp) {
    return kafka_test_client_call(c, key, version, req, resp);
}

static kafka_metadata_response_t metadata(client_t *c, int16_t v, const char *topic) {
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    kafka_metadata_request_topic_t t;
    memset(&t, 0, sizeof(t));
    t.name = kafka_str(topic);
    req.topics.items = topic ? &t : NULL;
    req.topics.count = topic ? 1 : (v == 0 ? 0 : -1);
    kafka_metadata_response_t resp;
    CU_ASSERT_EQUAL(call(c, KAFKA_API_METADATA, v, &req, &resp), KAFKA_OK);
    return resp;
}

static int leader_of(kafka_metadata_response_t *md, int32_t partition) {
    if (md->topics.count < 1)
        return -1;
    for (int32_t i = 0; i < md->topics.items[0].partitions.count; i++)
        if (md->topics.items[0].partitions.items[i].partition_index == partition)
            return md->topics.items[0].partitions.items[i].leader_id;
    return -1;
}

/* Produces one record data blob; returns the partition's error code, base offset out. */
static int16_t produce(client_t *c, int16_t v, const char *topic, int32_t part, const uint8_t *data, size_t len,
                       int64_t *base) {
    kafka_produce_request_t req;
    kafka_request_init(KAFKA_API_PRODUCE, &req);
    kafka_produce_request_partition_produce_data_t pd = {part, {data, (int32_t)len}};
    kafka_produce_request_topic_produce_data_t td = {kafka_str(topic), {&pd, 1}};
    req.acks = 1;
    req.timeout_ms = 5000;
    req.topic_data.items = &td;
    req.topic_data.count = 1;
    kafka_produce_response_t resp;
    kafka_err_t e = call(c, KAFKA_API_PRODUCE, v, &req, &resp);
    if (e)
        return (int16_t)e;
    CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1);
    *base = resp.responses.items[0].partition_responses.items[0].base_offset;
    return resp.responses.items[0].partition_responses.items[0].error_code;
}

static const uint8_t *batch_of(kafka_batch_t *b, int n, int first, int64_t pid, int32_t seq, size_t *len) {
    kafka_batch_reset(b);
    for (int i = 0; i < n; i++) {
        char v[32];
        int vl = snprintf(v, sizeof(v), "rec-%d", first + i);
        kafka_batch_append(b, 1700000000000 + first + i, NULL, -1, v, vl, NULL, 0);
    }
    if (pid >= 0)
        kafka_batch_set_producer(b, pid, 0, seq, false);
    const uint8_t *d;
    kafka_batch_seal(b, KAFKA_COMPRESSION_LZ4, -1, &d, len, NULL, 0);
    return d;
}

/* Fetches from offset; returns the partition error, the records decoded into *n and
 * checks their values follow "rec-<offset>". */
static int16_t fetch(client_t *c, int16_t v, const char *topic, int32_t part, int64_t offset, int32_t min_bytes,
                     int32_t max_wait, int *n) {
    kafka_fetch_request_t req;
    kafka_request_init(KAFKA_API_FETCH, &req);
    kafka_fetch_request_partition_t fp;
    memset(&fp, 0, sizeof(fp));
    fp.partition = part;
    fp.fetch_offset = offset;
    fp.partition_max_bytes = 1 << 20;
    fp.current_leader_epoch = -1;
    fp.last_fetched_epoch = -1;
    fp.log_start_offset = -1;
    kafka_fetch_request_topic_t ft = {.topic = kafka_str(topic), .partitions = {&fp, 1}};
    req.topics.items = &ft;
    req.topics.count = 1;
    req.min_bytes = min_bytes;
    req.max_wait_ms = max_wait;
    kafka_fetch_response_t resp;
    *n = 0;
    kafka_err_t e = call(c, KAFKA_API_FETCH, v, &req, &resp);
    if (e)
        return (int16_t)e;
    kafka_fetch_response_partition_data_t *pd = &resp.responses.items[0].partitions.items[0];
    kafka_records_reader_t *rr = kafka_records_reader_new(pd->records.data, pd->records.len > 0 ? (size_t)pd->records.len : 0,
                                                          true, 0);
    kafka_record_t rec;
    int rc;
    while ((rc = kafka_records_reader_next(rr, &rec)) == 1) {
        char want[32];
        int wl = snprintf(want, sizeof(want), "rec-%lld", (long long)rec.offset);
        if (rec.offset >= offset) {
            CU_ASSERT(rec.value.len == wl && memcmp(rec.value.data, want, (size_t)wl) == 0);
            (*n)++;
        }
    }
    CU_ASSERT_EQUAL(rc, 0);
    kafka_records_reader_destroy(rr);
    return pd->error_code;
}

static kafka_mock_t *start(int brokers, bool legacy) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = brokers;
    conf.legacy = legacy;
    char err[256];
    kafka_mock_t *m = kafka_mock_new(&conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

static void test_modern_produce_fetch_offsets(void) {
    kafka_mock_t *m = start(3, false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "t", 3, 3), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "t", 3, 3), KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    client_t c;
    client_open(&c, m, 1);
    kafka_api_versions_request_t avr;
    kafka_request_init(KAFKA_API_API_VERSIONS, &avr);
    kafka_api_versions_response_t av;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_API_VERSIONS, 3, &avr, &av), KAFKA_OK);
    CU_ASSERT_EQUAL(av.api_keys.count, 28);
    kafka_metadata_response_t md = metadata(&c, 12, "t");
    CU_ASSERT_EQUAL(md.brokers.count, 3);
    CU_ASSERT_EQUAL(md.topics.items[0].partitions.count, 3);
    CU_ASSERT_EQUAL(md.topics.items[0].partitions.items[0].replica_nodes.count, 3);
    int leader = leader_of(&md, 0);
    client_close(&c);
    client_open(&c, m, leader);
    kafka_batch_t *b = kafka_batch_new(0);
    size_t len;
    int64_t base;
    const uint8_t *d = batch_of(b, 10, 0, -1, -1, &len);
    CU_ASSERT_EQUAL(produce(&c, 9, "t", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 0);
    d = batch_of(b, 5, 10, -1, -1, &len);
    CU_ASSERT_EQUAL(produce(&c, 3, "t", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 10);
    int n;
    CU_ASSERT_EQUAL(fetch(&c, 12, "t", 0, 0, 1, 100, &n), 0);
    CU_ASSERT_EQUAL(n, 15);
    CU_ASSERT_EQUAL(fetch(&c, 4, "t", 0, 12, 1, 100, &n), 0);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(fetch(&c, 12, "t", 0, 99, 1, 100, &n), KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    /* A corrupted batch: CORRUPT_MESSAGE, nothing appended. */
    d = batch_of(b, 2, 15, -1, -1, &len);
    uint8_t *bad = malloc(len);
    memcpy(bad, d, len);
    bad[len - 1] ^= 1;
    CU_ASSERT_EQUAL(produce(&c, 9, "t", 0, bad, len, &base), KAFKA_ERR_CORRUPT_MESSAGE);
    free(bad);
    /* ListOffsets: latest, earliest, by timestamp (record 10's batch). */
    kafka_list_offsets_request_t lr;
    kafka_request_init(KAFKA_API_LIST_OFFSETS, &lr);
    kafka_list_offsets_request_partition_t lp[3];
    memset(lp, 0, sizeof(lp));
    lp[0].timestamp = -1;
    lp[1].timestamp = -2;
    lp[2].timestamp = 1700000000011;
    for (int i = 0; i < 3; i++) {
        lp[i].max_num_offsets = 1; /* Kafka's defaults: nested structs are not initialised for us */
        lp[i].current_leader_epoch = -1;
    }
    kafka_list_offsets_request_topic_t lt[3] = {{kafka_str("t"), {&lp[0], 1}}, {kafka_str("t"), {&lp[1], 1}},
                                                {kafka_str("t"), {&lp[2], 1}}};
    lr.topics.items = lt;
    lr.topics.count = 3;
    kafka_list_offsets_response_t lo;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_LIST_OFFSETS, 7, &lr, &lo), KAFKA_OK);
    CU_ASSERT_EQUAL(lo.topics.items[0].partitions.items[0].offset, 15);
    CU_ASSERT_EQUAL(lo.topics.items[1].partitions.items[0].offset, 0);
    CU_ASSERT_EQUAL(lo.topics.items[2].partitions.items[0].offset, 10);
    /* Not the leader of partition 0 elsewhere. */
    client_t o;
    client_open(&o, m, leader % 3 + 1);
    d = batch_of(b, 1, 0, -1, -1, &len);
    CU_ASSERT_EQUAL(produce(&o, 9, "t", 0, d, len, &base), KAFKA_ERR_NOT_LEADER_OR_FOLLOWER);
    client_close(&o);
    kafka_batch_destroy(b);
    client_close(&c);
    kafka_mock_destroy(m);
}

static void test_idempotent_sequences(void) {
    kafka_mock_t *m = start(1, false);
    client_t c;
    client_open(&c, m, 1);
    kafka_init_producer_id_request_t ir;
    kafka_request_init(KAFKA_API_INIT_PRODUCER_ID, &ir);
    ir.transaction_timeout_ms = 60000;
    kafka_init_producer_id_response_t ip;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_INIT_PRODUCER_ID, 4, &ir, &ip), KAFKA_OK);
    CU_ASSERT(ip.producer_id >= 0);
    CU_ASSERT_EQUAL(ip.producer_epoch, 0);
    int64_t pid = ip.producer_id;
    kafka_batch_t *b = kafka_batch_new(0);
    size_t len;
    int64_t base;
    const uint8_t *d = batch_of(b, 3, 0, pid, 0, &len);
    CU_ASSERT_EQUAL(produce(&c, 9, "idem", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 0);
    /* The same batch again (a retry): accepted as a duplicate with its original offset. */
    CU_ASSERT_EQUAL(produce(&c, 9, "idem", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 0);
    d = batch_of(b, 2, 3, pid, 5, &len); /* expected 3 */
    CU_ASSERT_EQUAL(produce(&c, 9, "idem", 0, d, len, &base), KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    d = batch_of(b, 2, 3, pid, 3, &len);
    CU_ASSERT_EQUAL(produce(&c, 9, "idem", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 3);
    int64_t ls, hw;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "idem", 0, &ls, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 5); /* the duplicate was not written twice */
    /* Epoch bump (KIP-360): same id, epoch 1, sequences restart at 0. */
    ir.producer_id = pid;
    ir.producer_epoch = 0;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_INIT_PRODUCER_ID, 4, &ir, &ip), KAFKA_OK);
    CU_ASSERT_EQUAL(ip.producer_id, pid);
    CU_ASSERT_EQUAL(ip.producer_epoch, 1);
    kafka_batch_destroy(b);
    client_close(&c);
    kafka_mock_destroy(m);
}

static void test_commits_and_coordinator(void) {
    kafka_mock_t *m = start(3, false);
    kafka_mock_topic_create(m, "c", 2, 1);
    client_t c;
    client_open(&c, m, 1);
    kafka_find_coordinator_request_t fr;
    kafka_request_init(KAFKA_API_FIND_COORDINATOR, &fr);
    kafka_str_t key = kafka_str("grp");
    fr.coordinator_keys.items = &key;
    fr.coordinator_keys.count = 1;
    kafka_find_coordinator_response_t fc;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_FIND_COORDINATOR, 4, &fr, &fc), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(fc.coordinators.count, 1);
    int coord = fc.coordinators.items[0].node_id;
    CU_ASSERT_EQUAL(fc.coordinators.items[0].port, kafka_mock_broker_port(m, coord));
    kafka_offset_commit_request_t cr;
    kafka_request_init(KAFKA_API_OFFSET_COMMIT, &cr);
    kafka_offset_commit_request_partition_t cp = {1, 42, -1, -1, kafka_str("meta")};
    kafka_offset_commit_request_topic_t ct = {kafka_str("c"), {&cp, 1}};
    cr.group_id = kafka_str("grp");
    cr.topics.items = &ct;
    cr.topics.count = 1;
    kafka_offset_commit_response_t co;
    /* Not the coordinator: NOT_COORDINATOR. */
    client_t other;
    client_open(&other, m, coord % 3 + 1);
    CU_ASSERT_EQUAL(call(&other, KAFKA_API_OFFSET_COMMIT, 8, &cr, &co), KAFKA_OK);
    CU_ASSERT_EQUAL(co.topics.items[0].partitions.items[0].error_code, KAFKA_ERR_NOT_COORDINATOR);
    client_close(&other);
    client_t cc;
    client_open(&cc, m, coord);
    CU_ASSERT_EQUAL(call(&cc, KAFKA_API_OFFSET_COMMIT, 8, &cr, &co), KAFKA_OK);
    CU_ASSERT_EQUAL(co.topics.items[0].partitions.items[0].error_code, 0);
    /* OffsetFetch v5 (one group) and v8 (groups[]). */
    kafka_offset_fetch_request_t of;
    kafka_request_init(KAFKA_API_OFFSET_FETCH, &of);
    int32_t parts[2] = {0, 1};
    kafka_offset_fetch_request_topic_t ot = {kafka_str("c"), {parts, 2}};
    of.group_id = kafka_str("grp");
    of.topics.items = &ot;
    of.topics.count = 1;
    kafka_offset_fetch_response_t ofr;
    CU_ASSERT_EQUAL(call(&cc, KAFKA_API_OFFSET_FETCH, 5, &of, &ofr), KAFKA_OK);
    CU_ASSERT_EQUAL(ofr.topics.items[0].partitions.items[0].committed_offset, -1);
    CU_ASSERT_EQUAL(ofr.topics.items[0].partitions.items[1].committed_offset, 42);
    kafka_request_init(KAFKA_API_OFFSET_FETCH, &of);
    kafka_offset_fetch_request_group_t og;
    memset(&og, 0, sizeof(og));
    og.group_id = kafka_str("grp");
    og.topics.count = -1; /* every committed topic */
    of.groups.items = &og;
    of.groups.count = 1;
    CU_ASSERT_EQUAL(call(&cc, KAFKA_API_OFFSET_FETCH, 8, &of, &ofr), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(ofr.groups.count, 1);
    CU_ASSERT_EQUAL_FATAL(ofr.groups.items[0].topics.count, 1);
    CU_ASSERT_EQUAL(ofr.groups.items[0].topics.items[0].partitions.items[0].committed_offset, 42);
    CU_ASSERT(ofr.groups.items[0].topics.items[0].partitions.items[0].metadata.len == 4);
    client_close(&cc);
    client_close(&c);
    kafka_mock_destroy(m);
}

typedef struct delayed_s {
    kafka_mock_t *m;
    int leader;
} delayed_t;

static void *produce_later(void *arg) {
    delayed_t *dl = arg;
    usleep(300 * 1000);
    client_t c;
    client_open(&c, dl->m, dl->leader);
    kafka_batch_t *b = kafka_batch_new(0);
    size_t len;
    int64_t base;
    const uint8_t *d = batch_of(b, 1, 0, -1, -1, &len);
    produce(&c, 9, "lp", 0, d, len, &base);
    kafka_batch_destroy(b);
    client_close(&c);
    return NULL;
}

/* A Fetch below min bytes waits for data (or max wait), and is answered when it arrives. */
static void test_fetch_long_poll(void) {
    kafka_mock_t *m = start(1, false);
    kafka_mock_topic_create(m, "lp", 1, 1);
    client_t c;
    client_open(&c, m, 1);
    int n;
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(fetch(&c, 12, "lp", 0, 0, 1, 400, &n), 0);
    int64_t waited = kafka_test_now_ms() - t0;
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(waited >= 350 && waited < 3000);
    delayed_t dl = {m, 1};
    pthread_t th;
    pthread_create(&th, NULL, produce_later, &dl);
    t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(fetch(&c, 12, "lp", 0, 0, 1, 4000, &n), 0);
    waited = kafka_test_now_ms() - t0;
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT(waited >= 250 && waited < 3000);
    client_close(&c);
    kafka_mock_destroy(m);
}

static void test_retention(void) {
    kafka_mock_t *m = start(1, false);
    kafka_mock_topic_create(m, "r", 1, 1);
    CU_ASSERT_EQUAL(kafka_mock_set_retention(m, 2000), KAFKA_OK);
    client_t c;
    client_open(&c, m, 1);
    kafka_batch_t *b = kafka_batch_new(0);
    size_t len;
    int64_t base;
    for (int i = 0; i < 50; i++) {
        const uint8_t *d = batch_of(b, 10, i * 10, -1, -1, &len);
        CU_ASSERT_EQUAL(produce(&c, 9, "r", 0, d, len, &base), 0);
    }
    int64_t ls, hw;
    kafka_mock_partition_offsets(m, "r", 0, &ls, &hw);
    CU_ASSERT_EQUAL(hw, 500);
    CU_ASSERT(ls >= 180 && ls % 10 == 0); /* 2000 bytes hold at most 32 batches of >= 61 bytes */
    int n;
    CU_ASSERT_EQUAL(fetch(&c, 12, "r", 0, 0, 1, 0, &n), KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(fetch(&c, 12, "r", 0, ls, 1, 0, &n), 0);
    CU_ASSERT_EQUAL(n, (int)(hw - ls));
    kafka_batch_destroy(b);
    client_close(&c);
    kafka_mock_destroy(m);
}

/* The broker's message.max.bytes: a batch over it (log overhead included) is refused
 * with MESSAGE_TOO_LARGE and nothing of it appended; one at the limit is taken; the
 * limit can be set and lifted by command. */
static void test_message_max_bytes(void) {
    kafka_mock_t *m = start(1, false);
    kafka_mock_topic_create(m, "mx", 1, 1);
    client_t c;
    client_open(&c, m, 1);
    kafka_batch_t *b = kafka_batch_new(0);
    size_t small, big;
    int64_t base;
    batch_of(b, 2, 0, -1, -1, &small);
    batch_of(b, 200, 0, -1, -1, &big);
    CU_ASSERT_FATAL(small < big);
    char reply[256];
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "message.max.bytes %zu", small);
    CU_ASSERT_EQUAL(kafka_mock_command(m, cmd, reply, sizeof(reply)), KAFKA_OK);
    const uint8_t *d = batch_of(b, 200, 0, -1, -1, &big);
    CU_ASSERT_EQUAL(produce(&c, 9, "mx", 0, d, big, &base), KAFKA_ERR_MESSAGE_TOO_LARGE);
    CU_ASSERT_EQUAL(base, -1);
    int64_t ls, hw;
    kafka_mock_partition_offsets(m, "mx", 0, &ls, &hw);
    CU_ASSERT_EQUAL(hw, 0);
    d = batch_of(b, 2, 0, -1, -1, &small);
    CU_ASSERT_EQUAL(produce(&c, 9, "mx", 0, d, small, &base), 0);
    CU_ASSERT_EQUAL(base, 0);
    CU_ASSERT_EQUAL(kafka_mock_set_message_max_bytes(m, 0), KAFKA_OK);
    d = batch_of(b, 200, 2, -1, -1, &big);
    CU_ASSERT_EQUAL(produce(&c, 9, "mx", 0, d, big, &base), 0);
    CU_ASSERT_EQUAL(base, 2);
    kafka_mock_partition_offsets(m, "mx", 0, &ls, &hw);
    CU_ASSERT_EQUAL(hw, 202);
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "message.max.bytes x", reply, sizeof(reply)), KAFKA_OK);
    kafka_batch_destroy(b);
    client_close(&c);
    kafka_mock_destroy(m);
}

/* OffsetForLeaderEpoch for one partition: the error, *end and *epoch answered. */
static int16_t epoch_end(client_t *c, int16_t v, const char *topic, int32_t current, int32_t epoch, int64_t *end,
                         int32_t *found) {
    kafka_offset_for_leader_epoch_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, &req);
    req.replica_id = -1;
    kafka_offset_for_leader_epoch_request_offset_for_leader_partition_t lp = {0, current, epoch};
    kafka_offset_for_leader_epoch_request_offset_for_leader_topic_t lt = {kafka_str(topic), {&lp, 1}};
    req.topics.items = &lt;
    req.topics.count = 1;
    kafka_offset_for_leader_epoch_response_t resp;
    *end = -2;
    *found = -2;
    CU_ASSERT_EQUAL_FATAL(call(c, KAFKA_API_OFFSET_FOR_LEADER_EPOCH, v, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(resp.topics.count, 1);
    CU_ASSERT_EQUAL_FATAL(resp.topics.items[0].partitions.count, 1);
    const kafka_offset_for_leader_epoch_response_epoch_end_offset_t *pr = &resp.topics.items[0].partitions.items[0];
    *end = pr->end_offset;
    *found = pr->leader_epoch;
    return pr->error_code;
}

/* Leader epochs as KIP-101/KIP-320 use them: OffsetForLeaderEpoch answers where an epoch
 * ended, fences clients with old or too new epochs, and an unclean leader election
 * (truncate) loses the tail so that a reader past it can tell. */
static void test_leader_epochs(void) {
    kafka_mock_t *m = start(1, false);
    kafka_mock_topic_create(m, "le", 1, 1);
    client_t c;
    client_open(&c, m, 1);
    kafka_batch_t *b = kafka_batch_new(0);
    size_t len;
    int64_t base, end;
    int32_t e0, ep;
    for (int i = 0; i < 3; i++) {
        const uint8_t *d = batch_of(b, 10, i * 10, -1, -1, &len);
        CU_ASSERT_EQUAL(produce(&c, 9, "le", 0, d, len, &base), 0);
    }
    /* The current epoch ends at the log end. */
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", -1, 0, &end, &e0), 0);
    CU_ASSERT_EQUAL(e0, 0);
    CU_ASSERT_EQUAL(end, 30);
    /* A new leader (epoch 1) writes 10 more: epoch 0 ended at 30. */
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "le", 0, 1), KAFKA_OK);
    const uint8_t *d = batch_of(b, 10, 30, -1, -1, &len);
    CU_ASSERT_EQUAL(produce(&c, 9, "le", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 30);
    for (int16_t v = 0; v <= KAFKA_API_OFFSET_FOR_LEADER_EPOCH_MAX_VERSION; v++) {
        CU_ASSERT_EQUAL(epoch_end(&c, v, "le", v >= 2 ? 1 : -1, 0, &end, &ep), 0);
        CU_ASSERT_EQUAL(end, 30);
        CU_ASSERT_EQUAL(ep, v >= 1 ? 0 : -1); /* LeaderEpoch is answered from v1 */
    }
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", 1, 1, &end, &ep), 0);
    CU_ASSERT_EQUAL(end, 40);
    CU_ASSERT_EQUAL(ep, 1);
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", 1, 7, &end, &ep), 0); /* above the current: unknown */
    CU_ASSERT_EQUAL(end, -1);
    CU_ASSERT_EQUAL(ep, -1);
    /* Fencing by CurrentLeaderEpoch (v2+). */
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", 0, 0, &end, &ep), KAFKA_ERR_FENCED_LEADER_EPOCH);
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", 2, 0, &end, &ep), KAFKA_ERR_UNKNOWN_LEADER_EPOCH);
    CU_ASSERT_EQUAL(end, -1);
    /* Unclean election at 25: the batches 20-29 and 30-39 go, epoch 2 writes from 20. */
    CU_ASSERT_EQUAL(kafka_mock_partition_truncate(m, "le", 0, 25, &end), KAFKA_OK);
    CU_ASSERT_EQUAL(end, 20);
    int64_t ls, hw;
    kafka_mock_partition_offsets(m, "le", 0, &ls, &hw);
    CU_ASSERT_EQUAL(hw, 20);
    int n = 0;
    CU_ASSERT_EQUAL(fetch(&c, 11, "le", 0, 30, 1, 0, &n), KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    d = batch_of(b, 10, 20, -1, -1, &len);
    CU_ASSERT_EQUAL(produce(&c, 9, "le", 0, d, len, &base), 0);
    CU_ASSERT_EQUAL(base, 20);
    CU_ASSERT_EQUAL(fetch(&c, 11, "le", 0, 20, 1, 0, &n), 0);
    CU_ASSERT_EQUAL(n, 10);
    /* A reader that was at 40 in epoch 1 learns its history diverged at 20. */
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", 2, 1, &end, &ep), 0);
    CU_ASSERT_EQUAL(end, 20);
    CU_ASSERT_EQUAL(ep, 0);
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "le", 2, 2, &end, &ep), 0);
    CU_ASSERT_EQUAL(end, 30);
    CU_ASSERT_EQUAL(ep, 2);
    /* Not the leader; unknown partition. */
    CU_ASSERT_EQUAL(epoch_end(&c, 4, "nope", -1, 0, &end, &ep), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    /* The command: a batch goes whole (offset 5 takes the one from 0); bad input refused. */
    char reply[256];
    CU_ASSERT_EQUAL(kafka_mock_command(m, "truncate le 0 5", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(reply, "ok le/0 truncated: log end 0");
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "truncate le 0 99", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "truncate le", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_partition_truncate(m, "le", 3, 0, NULL), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kafka_batch_destroy(b);
    client_close(&c);
    kafka_mock_destroy(m);
}

static void test_faults(void) {
    kafka_mock_t *m = start(3, false);
    kafka_mock_topic_create(m, "f", 1, 3);
    client_t c;
    client_open(&c, m, 1);
    /* Injected errors: the next 2 Metadata responses carry the code, the third not. */
    char reply[256];
    CU_ASSERT_EQUAL(kafka_mock_command(m, "error Metadata 2 LEADER_NOT_AVAILABLE", reply, sizeof(reply)), KAFKA_OK);
    kafka_metadata_response_t md = metadata(&c, 12, "f");
    CU_ASSERT_EQUAL(md.topics.items[0].error_code, KAFKA_ERR_LEADER_NOT_AVAILABLE);
    md = metadata(&c, 12, "f");
    CU_ASSERT_EQUAL(md.topics.items[0].error_code, KAFKA_ERR_LEADER_NOT_AVAILABLE);
    md = metadata(&c, 12, "f");
    CU_ASSERT_EQUAL(md.topics.items[0].error_code, 0);
    int leader = leader_of(&md, 0);
    /* Leader moves. */
    int target = leader % 3 + 1;
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "leader f 0 %d", target);
    CU_ASSERT_EQUAL(kafka_mock_command(m, cmd, reply, sizeof(reply)), KAFKA_OK);
    md = metadata(&c, 12, "f");
    CU_ASSERT_EQUAL(leader_of(&md, 0), target);
    /* Broker down: gone from Metadata, its partitions re-elected, connections refused. */
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, target, true), KAFKA_OK);
    md = metadata(&c, 12, "f");
    CU_ASSERT_EQUAL(md.brokers.count, 2);
    CU_ASSERT(leader_of(&md, 0) != target && leader_of(&md, 0) > 0);
    CU_ASSERT_EQUAL(kafka_test_connect(kafka_mock_broker_port(m, target)), -1);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, target, false), KAFKA_OK);
    int fd = kafka_test_connect(kafka_mock_broker_port(m, target));
    CU_ASSERT(fd >= 0);
    close(fd);
    md = metadata(&c, 12, "f");
    CU_ASSERT_EQUAL(md.brokers.count, 3);
    /* Latency. */
    CU_ASSERT_EQUAL(kafka_mock_broker_set_latency(m, 1, 300), KAFKA_OK);
    int64_t t0 = kafka_test_now_ms();
    md = metadata(&c, 12, "f");
    CU_ASSERT(kafka_test_now_ms() - t0 >= 290);
    kafka_mock_broker_set_latency(m, 1, 0);
    /* A response cut in half: the client sees the connection end mid-frame. */
    CU_ASSERT_EQUAL(kafka_mock_drop_next_response(m, KAFKA_API_METADATA, 1), KAFKA_OK);
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    req.topics.count = -1;
    kafka_metadata_response_t resp;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_METADATA, 12, &req, &resp), KAFKA_ERR__TRANSPORT);
    client_close(&c);
    client_open(&c, m, 1);
    md = metadata(&c, 12, NULL);
    CU_ASSERT_EQUAL(md.topics.count, 1);
    /* Bad commands are refused with a reason. */
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "error Nope 1 2", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT(strstr(reply, "usage") != NULL);
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "down 9", reply, sizeof(reply)), KAFKA_OK);
    client_close(&c);
    kafka_mock_destroy(m);
}

/* Legacy mode: a Kafka 0.8 broker. ApiVersions and v1+ requests end the connection;
 * Produce v0 with MessageSet v0 (plain and gzip) gets offsets; Fetch v0 returns them with
 * absolute offsets; a RecordBatch is refused. */
static void test_legacy(void) {
    kafka_mock_t *m = start(1, true);
    client_t c;
    client_open(&c, m, 1);
    kafka_api_versions_request_t avr;
    kafka_request_init(KAFKA_API_API_VERSIONS, &avr);
    kafka_api_versions_response_t av;
    CU_ASSERT_EQUAL(call(&c, KAFKA_API_API_VERSIONS, 0, &avr, &av), KAFKA_ERR__TRANSPORT);
    client_close(&c);
    client_open(&c, m, 1);
    kafka_metadata_response_t md = metadata(&c, 0, "old");
    CU_ASSERT_EQUAL(md.topics.count, 1);
    int64_t base;
    kafka_buf_t set = KAFKA_BUF_INIT, inner = KAFKA_BUF_INIT;
    for (int i = 0; i < 3; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "rec-%d", i);
        kafka_msgset_append(&set, 0, 0, 0, KAFKA_COMPRESSION_NONE, NULL, -1, v, vl, NULL, 0);
    }
    CU_ASSERT_EQUAL(produce(&c, 0, "old", 0, set.data, set.len, &base), 0);
    CU_ASSERT_EQUAL(base, 0);
    for (int i = 3; i < 6; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "rec-%d", i);
        kafka_msgset_append(&inner, 0, i - 3, 0, KAFKA_COMPRESSION_NONE, NULL, -1, v, vl, NULL, 0);
    }
    kafka__buf_reset(&set);
    kafka_msgset_append(&set, 0, 0, 0, KAFKA_COMPRESSION_GZIP, NULL, -1, inner.data, (int32_t)inner.len, NULL, 0);
    CU_ASSERT_EQUAL(produce(&c, 0, "old", 0, set.data, set.len, &base), 0);
    CU_ASSERT_EQUAL(base, 3);
    int n;
    CU_ASSERT_EQUAL(fetch(&c, 0, "old", 0, 0, 0, 0, &n), 0);
    CU_ASSERT_EQUAL(n, 6); /* offsets 3..5 come out absolute from the recompressed wrapper */
    kafka_batch_t *b = kafka_batch_new(0);
    size_t len;
    const uint8_t *d = batch_of(b, 1, 0, -1, -1, &len);
    CU_ASSERT_EQUAL(produce(&c, 0, "old", 0, d, len, &base), KAFKA_ERR_CORRUPT_MESSAGE);
    CU_ASSERT_EQUAL(produce(&c, 3, "old", 0, d, len, &base), KAFKA_ERR__TRANSPORT);
    kafka_batch_destroy(b);
    kafka__buf_free(&set);
    kafka__buf_free(&inner);
    client_close(&c);
    kafka_mock_destroy(m);
}

/* An ApiVersions version the mock does not know: a v0 answer with UNSUPPORTED_VERSION
 * and ApiVersions' own range (KIP-511, as Kafka 2.4+); other unknown versions close the
 * connection. */
static void test_unsupported_versions(void) {
    kafka_mock_t *m = start(1, false);
    client_t c;
    client_open(&c, m, 1);
    static const uint8_t av9[] = {0, 0, 0, 11, 0, 18, 0, 9, 0, 0, 0, 7, 0xff, 0xff, 0}; /* header v2 */
    size_t len;
    uint8_t *resp = kafka_test_roundtrip(c.fd, av9, sizeof(av9), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
    kafka_api_versions_response_t av;
    int32_t corr;
    CU_ASSERT_EQUAL(kafka_response_decode(resp, len, KAFKA_API_API_VERSIONS, 0, &c.arena, &corr, &av, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(corr, 7);
    CU_ASSERT_EQUAL(av.error_code, KAFKA_ERR_UNSUPPORTED_VERSION);
    CU_ASSERT_EQUAL_FATAL(av.api_keys.count, 1);
    CU_ASSERT_EQUAL(av.api_keys.items[0].api_key, KAFKA_API_API_VERSIONS);
    CU_ASSERT_EQUAL(av.api_keys.items[0].min_version, 0);
    CU_ASSERT_EQUAL(av.api_keys.items[0].max_version, KAFKA_API_API_VERSIONS_MAX_VERSION);
    free(resp);
    static const uint8_t prod99[] = {0, 0, 0, 10, 0, 0, 0, 99, 0, 0, 0, 8, 0xff, 0xff};
    CU_ASSERT_PTR_NULL(kafka_test_roundtrip(c.fd, prod99, sizeof(prod99), &len));
    client_close(&c);
    kafka_mock_destroy(m);
}


/* Two clusters alive at once each answer on their own ports (their listeners must not
 * share state), and a legacy cluster serves OffsetCommit/OffsetFetch v1 as 0.8.2 did. */
static void test_two_clusters_and_legacy_commits(void) {
    kafka_mock_t *a = start(1, false), *b = start(1, true);
    client_t ca, cb;
    client_open(&ca, a, 1);
    client_open(&cb, b, 1);
    kafka_metadata_response_t md = metadata(&ca, 12, NULL);
    CU_ASSERT_EQUAL(md.brokers.count, 1);
    CU_ASSERT_EQUAL(md.brokers.items[0].port, kafka_mock_broker_port(a, 1));
    md = metadata(&cb, 0, NULL);
    CU_ASSERT_EQUAL(md.brokers.items[0].port, kafka_mock_broker_port(b, 1));
    kafka_mock_topic_create(b, "old", 1, 1);
    kafka_offset_commit_request_t cr;
    kafka_request_init(KAFKA_API_OFFSET_COMMIT, &cr);
    kafka_offset_commit_request_partition_t cp = {0, 7, -1, -1, kafka_str("")};
    kafka_offset_commit_request_topic_t ct = {kafka_str("old"), {&cp, 1}};
    cr.group_id = kafka_str("g");
    cr.generation_id_or_member_epoch = -1;
    cr.member_id = kafka_str("");
    cr.topics.items = &ct;
    cr.topics.count = 1;
    kafka_offset_commit_response_t co;
    CU_ASSERT_EQUAL(call(&cb, KAFKA_API_OFFSET_COMMIT, 1, &cr, &co), KAFKA_OK);
    CU_ASSERT_EQUAL(co.topics.items[0].partitions.items[0].error_code, 0);
    kafka_offset_fetch_request_t of;
    kafka_request_init(KAFKA_API_OFFSET_FETCH, &of);
    int32_t part = 0;
    kafka_offset_fetch_request_topic_t ot = {kafka_str("old"), {&part, 1}};
    of.group_id = kafka_str("g");
    of.topics.items = &ot;
    of.topics.count = 1;
    kafka_offset_fetch_response_t ofr;
    CU_ASSERT_EQUAL(call(&cb, KAFKA_API_OFFSET_FETCH, 1, &of, &ofr), KAFKA_OK);
    CU_ASSERT_EQUAL(ofr.topics.items[0].partitions.items[0].committed_offset, 7);
    CU_ASSERT_EQUAL(call(&cb, KAFKA_API_OFFSET_FETCH, 2, &of, &ofr), KAFKA_ERR__TRANSPORT);
    client_close(&cb);
    kafka_mock_destroy(b); /* the other cluster keeps serving */
    md = metadata(&ca, 12, NULL);
    CU_ASSERT_EQUAL(md.brokers.count, 1);
    client_close(&ca);
    kafka_mock_destroy(a);
}

static CU_TestInfo tests[] = {
    {"two clusters at once; legacy commits v1", test_two_clusters_and_legacy_commits},
    {"modern: produce, fetch, list offsets, leadership, corrupt batch", test_modern_produce_fetch_offsets},
    {"idempotent producer: duplicates, out-of-order, epoch bump", test_idempotent_sequences},
    {"offset commit/fetch on the coordinator", test_commits_and_coordinator},
    {"fetch waits for min bytes and wakes on produce", test_fetch_long_poll},
    {"retention advances the log start offset", test_retention},
    {"message.max.bytes refuses a larger batch", test_message_max_bytes},
    {"fault injection: errors, leader move, broker down/up, latency, cut response", test_faults},
    {"leader epochs: OffsetForLeaderEpoch, fencing, unclean truncation", test_leader_epochs},
    {"legacy 0.8 mode", test_legacy},
    {"unsupported versions", test_unsupported_versions},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("mock", tests)
