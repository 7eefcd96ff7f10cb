/* The mock's transaction coordinator driven by our codec over plain sockets:
 * InitProducerId with a transactional id (epochs, fencing the previous instance and
 * aborting what it left open), AddPartitionsToTxn before transactional Produce, EndTxn
 * markers, the last stable offset and the aborted-transaction list of a read_committed
 * Fetch, TxnOffsetCommit visible at commit only, the transaction timeout, and moving the
 * coordinator. */
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

static void client_open(client_t *c, kafka_mock_t *m, int broker) {
    kafka_test_client_open(c, m, broker, "test-mock-txn");
}
static void client_close(client_t *c) { kafka_test_client_close(c); }
/* Every call here must be answered and decode. */
static void call(client_t *c, int16_t key, int16_t version, const void *req, void *resp) {
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(c, key, version, req, resp), KAFKA_OK);
}

static int16_t init_pid(client_t *c, int16_t v, const char *txn, int32_t timeout_ms, int64_t pid, int16_t epoch,
                        int64_t *pid_out, int16_t *epoch_out) {
    kafka_init_producer_id_request_t req;
    kafka_request_init(KAFKA_API_INIT_PRODUCER_ID, &req);
    req.transactional_id = kafka_str(txn);
    req.transaction_timeout_ms = timeout_ms;
    req.producer_id = pid;
    req.producer_epoch = epoch;
    kafka_init_producer_id_response_t resp;
    call(c, KAFKA_API_INIT_PRODUCER_ID, v, &req, &resp);
    *pid_out = resp.producer_id;
    *epoch_out = resp.producer_epoch;
    return resp.error_code;
}

static int16_t add_partition(client_t *c, int16_t v, const char *txn, int64_t pid, int16_t epoch, const char *topic,
                             int32_t part) {
    kafka_add_partitions_to_txn_request_t req;
    kafka_request_init(KAFKA_API_ADD_PARTITIONS_TO_TXN, &req);
    kafka_add_partitions_to_txn_request_topic_t t = {kafka_str(topic), {&part, 1}};
    kafka_add_partitions_to_txn_request_transaction_t tx = {kafka_str(txn), pid, epoch, false, {&t, 1}};
    if (v <= 3) {
        req.v3_and_below_transactional_id = kafka_str(txn);
        req.v3_and_below_producer_id = pid;
        req.v3_and_below_producer_epoch = epoch;
        req.v3_and_below_topics.items = &t;
        req.v3_and_below_topics.count = 1;
    } else {
        req.transactions.items = &tx;
        req.transactions.count = 1;
    }
    kafka_add_partitions_to_txn_response_t resp;
    call(c, KAFKA_API_ADD_PARTITIONS_TO_TXN, v, &req, &resp);
    if (v <= 3) {
        CU_ASSERT_EQUAL_FATAL(resp.results_by_topic_v3_and_below.count, 1);
        return resp.results_by_topic_v3_and_below.items[0].results_by_partition.items[0].partition_error_code;
    }
    CU_ASSERT_EQUAL_FATAL(resp.results_by_transaction.count, 1);
    return resp.results_by_transaction.items[0].topic_results.items[0].results_by_partition.items[0]
        .partition_error_code;
}

static int16_t end_txn(client_t *c, int16_t v, const char *txn, int64_t pid, int16_t epoch, bool commit) {
    kafka_end_txn_request_t req;
    kafka_request_init(KAFKA_API_END_TXN, &req);
    req.transactional_id = kafka_str(txn);
    req.producer_id = pid;
    req.producer_epoch = epoch;
    req.committed = commit;
    kafka_end_txn_response_t resp;
    call(c, KAFKA_API_END_TXN, v, &req, &resp);
    if (v >= 5 && !resp.error_code) {
        CU_ASSERT_EQUAL(resp.producer_id, pid);
        CU_ASSERT_EQUAL(resp.producer_epoch, epoch);
    }
    return resp.error_code;
}

/* A transactional batch of n records "rec-<first + i>" of pid/epoch from sequence seq. */
static int16_t produce_txn(client_t *c, const char *topic, int32_t part, int n, int first, int64_t pid,
                           int16_t epoch, int32_t seq, int64_t *base) {
    kafka_batch_t *b = kafka_batch_new(1024);
    for (int i = 0; i < n; i++) {
        char v[32];
        int vl = snprintf(v, sizeof(v), "rec-%d", first + i);
        kafka_batch_append(b, 1700000000000 + first + i, NULL, -1, v, vl, NULL, 0);
    }
    kafka_batch_set_producer(b, pid, epoch, seq, true);
    const uint8_t *d;
    size_t len;
    kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, &d, &len, NULL, 0);
    kafka_produce_request_t req;
    kafka_request_init(KAFKA_API_PRODUCE, &req);
    kafka_produce_request_partition_produce_data_t pd = {part, {d, (int32_t)len}};
    kafka_produce_request_topic_produce_data_t td = {kafka_str(topic), {&pd, 1}};
    req.acks = -1;
    req.timeout_ms = 5000;
    req.transactional_id = kafka_str("x");
    req.topic_data.items = &td;
    req.topic_data.count = 1;
    kafka_produce_response_t resp;
    call(c, KAFKA_API_PRODUCE, 9, &req, &resp);
    kafka_batch_destroy(b);
    *base = resp.responses.items[0].partition_responses.items[0].base_offset;
    return resp.responses.items[0].partition_responses.items[0].error_code;
}

typedef struct fetched_s {
    int64_t hw, lso;
    int nrecords, ncontrol;   /* data records and control records in the answer */
    int naborted;
    int64_t aborted_pid[8], aborted_first[8];
    int64_t last_offset;      /* of the last batch returned, -1: none */
} fetched_t;

static int16_t fetch(client_t *c, int16_t v, const char *topic, int32_t part, int64_t offset, int8_t isolation,
                     fetched_t *f) {
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
    req.isolation_level = isolation;
    req.max_wait_ms = 0;
    kafka_fetch_response_t resp;
    call(c, KAFKA_API_FETCH, v, &req, &resp);
    kafka_fetch_response_partition_data_t *pd = &resp.responses.items[0].partitions.items[0];
    memset(f, 0, sizeof(*f));
    f->hw = pd->high_watermark;
    f->lso = pd->last_stable_offset;
    f->last_offset = -1;
    for (int32_t i = 0; i < pd->aborted_transactions.count && i < 8; i++) {
        f->aborted_pid[i] = pd->aborted_transactions.items[i].producer_id;
        f->aborted_first[i] = pd->aborted_transactions.items[i].first_offset;
        f->naborted++;
    }
    kafka_records_reader_t *rr =
        kafka_records_reader_new(pd->records.data, pd->records.len > 0 ? (size_t)pd->records.len : 0, true, 0);
    kafka_records_reader_set_skip_control(rr, false);
    kafka_record_t rec;
    while (kafka_records_reader_next(rr, &rec) == 1) {
        const kafka_batch_info_t *bi = kafka_records_reader_batch(rr);
        if (bi->control) {
            f->ncontrol++;
            CU_ASSERT(bi->transactional);
            CU_ASSERT_EQUAL(rec.key.len, 4);
        } else {
            f->nrecords++;
        }
        f->last_offset = rec.offset;
    }
    kafka_records_reader_destroy(rr);
    return pd->error_code;
}

static kafka_mock_t *start(int brokers) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = brokers;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "tx", 2, 1), KAFKA_OK);
    return m;
}

/* Init, produce only after AddPartitionsToTxn, LSO, commit and abort markers, the
 * aborted list, EndTxn state rules. */
static void test_commit_abort_lso(void) {
    kafka_mock_t *m = start(1);
    client_t c;
    client_open(&c, m, 1);
    int64_t pid, pid2, base;
    int16_t epoch, epoch2;
    CU_ASSERT_EQUAL(init_pid(&c, 1, "t1", 60000, -1, -1, &pid, &epoch), 0);
    CU_ASSERT(pid >= 0);
    CU_ASSERT_EQUAL(epoch, 0);
    /* A second init (an idempotent restart) keeps the id and bumps the epoch. */
    CU_ASSERT_EQUAL(init_pid(&c, 4, "t1", 60000, -1, -1, &pid2, &epoch2), 0);
    CU_ASSERT_EQUAL(pid2, pid);
    CU_ASSERT_EQUAL(epoch2, 1);
    epoch = epoch2;
    CU_ASSERT_EQUAL(init_pid(&c, 4, "t1", 0, -1, -1, &pid2, &epoch2), KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT);
    /* Transactional data before AddPartitionsToTxn is refused. */
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 0, 3, 0, pid, epoch, 0, &base), KAFKA_ERR_INVALID_TXN_STATE);
    CU_ASSERT_EQUAL(end_txn(&c, 3, "t1", pid, epoch, true), KAFKA_ERR_INVALID_TXN_STATE);
    CU_ASSERT_EQUAL(add_partition(&c, 3, "t1", pid, epoch, "tx", 0), 0);
    CU_ASSERT_EQUAL(add_partition(&c, 0, "t1", pid, epoch, "nope", 0), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT_EQUAL(add_partition(&c, 3, "t1", pid + 1, epoch, "tx", 0), KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 0, 3, 0, pid, epoch, 0, &base), 0);
    CU_ASSERT_EQUAL(base, 0);
    /* Not added: partition 1. */
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 1, 1, 0, pid, epoch, 0, &base), KAFKA_ERR_INVALID_TXN_STATE);
    fetched_t f;
    CU_ASSERT_EQUAL(fetch(&c, 4, "tx", 0, 0, 1, &f), 0);
    CU_ASSERT_EQUAL(f.hw, 3);
    CU_ASSERT_EQUAL(f.lso, 0);
    CU_ASSERT_EQUAL(f.nrecords, 0); /* read_committed stops at the LSO */
    CU_ASSERT_EQUAL(fetch(&c, 12, "tx", 0, 0, 0, &f), 0);
    CU_ASSERT_EQUAL(f.nrecords, 3); /* read_uncommitted does not */
    int64_t lso;
    CU_ASSERT_EQUAL(kafka_mock_partition_lso(m, "tx", 0, &lso), KAFKA_OK);
    CU_ASSERT_EQUAL(lso, 0);
    char reply[200];
    CU_ASSERT_EQUAL(kafka_mock_command(m, "txn t1", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=Ongoing"));
    CU_ASSERT_PTR_NOT_NULL(strstr(reply, "partitions=1"));
    /* Commit: a marker at 3, the LSO at the high watermark. */
    CU_ASSERT_EQUAL(end_txn(&c, 5, "t1", pid, epoch, true), 0);
    CU_ASSERT_EQUAL(end_txn(&c, 5, "t1", pid, epoch, true), 0);                           /* a retry */
    CU_ASSERT_EQUAL(end_txn(&c, 5, "t1", pid, epoch, false), KAFKA_ERR_INVALID_TXN_STATE); /* not what ended */
    CU_ASSERT_EQUAL(fetch(&c, 12, "tx", 0, 0, 1, &f), 0);
    CU_ASSERT_EQUAL(f.hw, 4);
    CU_ASSERT_EQUAL(f.lso, 4);
    CU_ASSERT_EQUAL(f.nrecords, 3);
    CU_ASSERT_EQUAL(f.ncontrol, 1);
    CU_ASSERT_EQUAL(f.naborted, 0);
    /* Abort: records 4-5 and a marker at 6, listed as aborted from 4. */
    CU_ASSERT_EQUAL(add_partition(&c, 5, "t1", pid, epoch, "tx", 0), 0);
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 0, 2, 4, pid, epoch, 3, &base), 0);
    CU_ASSERT_EQUAL(base, 4);
    CU_ASSERT_EQUAL(end_txn(&c, 1, "t1", pid, epoch, false), 0);
    CU_ASSERT_EQUAL(fetch(&c, 4, "tx", 0, 0, 1, &f), 0);
    CU_ASSERT_EQUAL(f.hw, 7);
    CU_ASSERT_EQUAL(f.lso, 7);
    CU_ASSERT_EQUAL(f.ncontrol, 2);
    CU_ASSERT_EQUAL_FATAL(f.naborted, 1);
    CU_ASSERT_EQUAL(f.aborted_pid[0], pid);
    CU_ASSERT_EQUAL(f.aborted_first[0], 4);
    /* A fetch past the aborted transaction's marker does not list it. */
    CU_ASSERT_EQUAL(fetch(&c, 4, "tx", 0, 7, 1, &f), 0);
    CU_ASSERT_EQUAL(f.naborted, 0);
    client_close(&c);
    kafka_mock_destroy(m);
}

/* A new instance's InitProducerId aborts what the old one left open and fences it. */
static void test_fencing(void) {
    kafka_mock_t *m = start(1);
    client_t c;
    client_open(&c, m, 1);
    int64_t pid, pid2, base;
    int16_t epoch, epoch2;
    CU_ASSERT_EQUAL(init_pid(&c, 4, "tf", 60000, -1, -1, &pid, &epoch), 0);
    CU_ASSERT_EQUAL(add_partition(&c, 3, "tf", pid, epoch, "tx", 1), 0);
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 1, 2, 0, pid, epoch, 0, &base), 0);
    CU_ASSERT_EQUAL(init_pid(&c, 4, "tf", 60000, -1, -1, &pid2, &epoch2), 0);
    CU_ASSERT_EQUAL(pid2, pid);
    CU_ASSERT_EQUAL(epoch2, epoch + 1);
    fetched_t f;
    CU_ASSERT_EQUAL(fetch(&c, 11, "tx", 1, 0, 1, &f), 0);
    CU_ASSERT_EQUAL(f.hw, 3); /* the abort marker */
    CU_ASSERT_EQUAL(f.lso, 3);
    CU_ASSERT_EQUAL(f.naborted, 1);
    /* The old instance: fenced everywhere. */
    CU_ASSERT_EQUAL(end_txn(&c, 3, "tf", pid, epoch, true), KAFKA_ERR_PRODUCER_FENCED);
    CU_ASSERT_EQUAL(end_txn(&c, 1, "tf", pid, epoch, true), KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    CU_ASSERT_EQUAL(add_partition(&c, 3, "tf", pid, epoch, "tx", 1), KAFKA_ERR_PRODUCER_FENCED);
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 1, 1, 2, pid, epoch, 2, &base), KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    /* KIP-360: presenting an epoch that is not the current one is fenced too. */
    CU_ASSERT_EQUAL(init_pid(&c, 4, "tf", 60000, pid, epoch, &pid2, &epoch2), KAFKA_ERR_PRODUCER_FENCED);
    CU_ASSERT_EQUAL(init_pid(&c, 3, "tf", 60000, pid, epoch, &pid2, &epoch2), KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    CU_ASSERT_EQUAL(init_pid(&c, 4, "tf", 60000, pid, (int16_t)(epoch + 1), &pid2, &epoch2), 0);
    CU_ASSERT_EQUAL(epoch2, epoch + 2);
    /* The new instance's epoch starts its sequences again. */
    CU_ASSERT_EQUAL(add_partition(&c, 4, "tf", pid, epoch2, "tx", 1), 0);
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 1, 1, 3, pid, epoch2, 0, &base), 0);
    CU_ASSERT_EQUAL(end_txn(&c, 4, "tf", pid, epoch2, true), 0);
    client_close(&c);
    kafka_mock_destroy(m);
}

/* The coordinator aborts a transaction past transaction.timeout.ms and fences its producer. */
static void test_timeout(void) {
    kafka_mock_t *m = start(1);
    client_t c;
    client_open(&c, m, 1);
    int64_t pid, base;
    int16_t epoch;
    CU_ASSERT_EQUAL(init_pid(&c, 4, "tt", 300, -1, -1, &pid, &epoch), 0);
    CU_ASSERT_EQUAL(add_partition(&c, 3, "tt", pid, epoch, "tx", 0), 0);
    CU_ASSERT_EQUAL(produce_txn(&c, "tx", 0, 2, 0, pid, epoch, 0, &base), 0);
    int64_t lso = -1;
    kafka_mock_partition_lso(m, "tx", 0, &lso);
    CU_ASSERT_EQUAL(lso, 0);
    int64_t t0 = kafka_test_now_ms();
    char state[32] = "";
    while (kafka_test_now_ms() - t0 < 5000) {
        kafka_mock_txn_state(m, "tt", state, sizeof(state), NULL, NULL, NULL);
        if (!strcmp(state, "CompleteAbort"))
            break;
        kafka_test_sleep_ms(20);
    }
    CU_ASSERT_STRING_EQUAL(state, "CompleteAbort");
    CU_ASSERT(kafka_test_now_ms() - t0 >= 200);
    kafka_mock_partition_lso(m, "tx", 0, &lso);
    CU_ASSERT_EQUAL(lso, 3); /* past the abort marker */
    CU_ASSERT_EQUAL(end_txn(&c, 4, "tt", pid, epoch, true), KAFKA_ERR_PRODUCER_FENCED);
    fetched_t f;
    CU_ASSERT_EQUAL(fetch(&c, 4, "tx", 0, 0, 1, &f), 0);
    CU_ASSERT_EQUAL(f.naborted, 1);
    /* The timed-out producer may re-initialise with the epoch it had (KIP-360). */
    int64_t pid2;
    int16_t epoch2;
    CU_ASSERT_EQUAL(init_pid(&c, 4, "tt", 300, pid, epoch, &pid2, &epoch2), 0);
    CU_ASSERT_EQUAL(pid2, pid);
    CU_ASSERT_EQUAL(epoch2, epoch + 2);
    client_close(&c);
    kafka_mock_destroy(m);
}

static int64_t offset_fetch(client_t *c, const char *group, const char *topic, int32_t part) {
    kafka_offset_fetch_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_FETCH, &req);
    kafka_offset_fetch_request_topic_t t = {kafka_str(topic), {&part, 1}};
    req.group_id = kafka_str(group);
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_offset_fetch_response_t resp;
    call(c, KAFKA_API_OFFSET_FETCH, 5, &req, &resp);
    CU_ASSERT_EQUAL_FATAL(resp.topics.count, 1);
    return resp.topics.items[0].partitions.items[0].committed_offset;
}

static int16_t txn_commit_offset(client_t *c, int16_t v, const char *txn, int64_t pid, int16_t epoch,
                                 const char *group, int64_t offset) {
    kafka_txn_offset_commit_request_t req;
    kafka_request_init(KAFKA_API_TXN_OFFSET_COMMIT, &req);
    kafka_txn_offset_commit_request_partition_t p = {0, offset, -1, kafka_str("meta")};
    kafka_txn_offset_commit_request_topic_t t = {kafka_str("tx"), {&p, 1}};
    req.transactional_id = kafka_str(txn);
    req.group_id = kafka_str(group);
    req.producer_id = pid;
    req.producer_epoch = epoch;
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_txn_offset_commit_response_t resp;
    call(c, KAFKA_API_TXN_OFFSET_COMMIT, v, &req, &resp);
    CU_ASSERT_EQUAL_FATAL(resp.topics.count, 1);
    return resp.topics.items[0].partitions.items[0].error_code;
}

/* Offsets committed in a transaction become visible when it commits; an abort drops them. */
static void test_txn_offsets(void) {
    kafka_mock_t *m = start(1);
    client_t c;
    client_open(&c, m, 1);
    int64_t pid;
    int16_t epoch;
    CU_ASSERT_EQUAL(init_pid(&c, 2, "to", 60000, -1, -1, &pid, &epoch), 0);
    CU_ASSERT_EQUAL(txn_commit_offset(&c, 3, "to", pid, epoch, "g", 42), KAFKA_ERR_INVALID_TXN_STATE);
    kafka_add_offsets_to_txn_request_t ao;
    kafka_request_init(KAFKA_API_ADD_OFFSETS_TO_TXN, &ao);
    ao.transactional_id = kafka_str("to");
    ao.producer_id = pid;
    ao.producer_epoch = epoch;
    ao.group_id = kafka_str("g");
    kafka_add_offsets_to_txn_response_t aor;
    call(&c, KAFKA_API_ADD_OFFSETS_TO_TXN, 4, &ao, &aor);
    CU_ASSERT_EQUAL(aor.error_code, 0);
    CU_ASSERT_EQUAL(txn_commit_offset(&c, 5, "to", pid, epoch, "g", 42), 0);
    CU_ASSERT_EQUAL(txn_commit_offset(&c, 0, "to", pid, (int16_t)(epoch - 1), "g", 43), KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    CU_ASSERT_EQUAL(offset_fetch(&c, "g", "tx", 0), -1);
    CU_ASSERT_EQUAL(end_txn(&c, 3, "to", pid, epoch, true), 0);
    CU_ASSERT_EQUAL(offset_fetch(&c, "g", "tx", 0), 42);
    call(&c, KAFKA_API_ADD_OFFSETS_TO_TXN, 0, &ao, &aor);
    CU_ASSERT_EQUAL(aor.error_code, 0);
    CU_ASSERT_EQUAL(txn_commit_offset(&c, 2, "to", pid, epoch, "g", 99), 0);
    CU_ASSERT_EQUAL(end_txn(&c, 3, "to", pid, epoch, false), 0);
    CU_ASSERT_EQUAL(offset_fetch(&c, "g", "tx", 0), 42);
    client_close(&c);
    kafka_mock_destroy(m);
}

static int32_t find_txn_coordinator(client_t *c, int16_t v, const char *txn) {
    kafka_find_coordinator_request_t req;
    kafka_request_init(KAFKA_API_FIND_COORDINATOR, &req);
    kafka_str_t key = kafka_str(txn);
    req.key_type = 1;
    if (v >= 4) {
        req.coordinator_keys.items = &key;
        req.coordinator_keys.count = 1;
    } else {
        req.key = key;
    }
    kafka_find_coordinator_response_t resp;
    call(c, KAFKA_API_FIND_COORDINATOR, v, &req, &resp);
    if (v >= 4) {
        CU_ASSERT_EQUAL_FATAL(resp.coordinators.count, 1);
        CU_ASSERT_EQUAL(resp.coordinators.items[0].error_code, 0);
        return resp.coordinators.items[0].node_id;
    }
    CU_ASSERT_EQUAL(resp.error_code, 0);
    return resp.node_id;
}

/* FindCoordinator key type 1, NOT_COORDINATOR elsewhere, and moving the coordinator. */
static void test_coordinator_move(void) {
    kafka_mock_t *m = start(3);
    client_t any;
    client_open(&any, m, 1);
    int32_t id = find_txn_coordinator(&any, 1, "tm");
    CU_ASSERT(id >= 1 && id <= 3);
    CU_ASSERT_EQUAL(find_txn_coordinator(&any, 4, "tm"), id);
    int other = id % 3 + 1;
    client_t coord, wrong;
    client_open(&coord, m, id);
    client_open(&wrong, m, other);
    int64_t pid;
    int16_t epoch;
    CU_ASSERT_EQUAL(init_pid(&wrong, 4, "tm", 60000, -1, -1, &pid, &epoch), KAFKA_ERR_NOT_COORDINATOR);
    CU_ASSERT_EQUAL(init_pid(&coord, 4, "tm", 60000, -1, -1, &pid, &epoch), 0);
    CU_ASSERT_EQUAL(add_partition(&coord, 3, "tm", pid, epoch, "tx", 0), 0);
    char cmd[64], reply[200];
    snprintf(cmd, sizeof(cmd), "txn-move tm %d", other);
    CU_ASSERT_EQUAL(kafka_mock_command(m, cmd, reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_EQUAL(find_txn_coordinator(&any, 4, "tm"), other);
    CU_ASSERT_EQUAL(end_txn(&coord, 3, "tm", pid, epoch, true), KAFKA_ERR_NOT_COORDINATOR);
    CU_ASSERT_EQUAL(end_txn(&wrong, 3, "tm", pid, epoch, true), 0); /* the state moved with it */
    /* Injected: CONCURRENT_TRANSACTIONS once, then served. */
    CU_ASSERT_EQUAL(kafka_mock_command(m, "error EndTxn 1 CONCURRENT_TRANSACTIONS", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_EQUAL(end_txn(&wrong, 3, "tm", pid, epoch, true), KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    CU_ASSERT_EQUAL(end_txn(&wrong, 3, "tm", pid, epoch, true), 0);
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "txn-move nope 1", reply, sizeof(reply)), KAFKA_OK);
    client_close(&any);
    client_close(&coord);
    client_close(&wrong);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"init, add partitions, commit and abort markers, LSO, aborted list", test_commit_abort_lso},
    {"a new instance aborts the open transaction and fences the old", test_fencing},
    {"transaction timeout: aborted by the coordinator, producer fenced", test_timeout},
    {"TxnOffsetCommit offsets visible at commit only", test_txn_offsets},
    {"FindCoordinator key type 1, NOT_COORDINATOR, coordinator move, injected errors", test_coordinator_move},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("mock_txn", tests)
