/* Incremental fetch sessions (KIP-227): kafka-mock's session cache spoken to raw (full
 * and incremental fetches, epochs, forgotten partitions, eviction, the cache limit), and
 * the consumer loop with sessions: every message of many partitions exactly once, with
 * sessions on, evicted and skewed mid-stream, off, on a release without them (0.11),
 * across a changed assignment, and on librdkafka's mock cluster (no sessions there:
 * SessionId 0, full fetches); an idle consumer's Fetch requests are a fraction of the
 * size of sessionless ones (the request statistics' bytes), and the starts of an
 * assignment take one ListOffsets per leader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/fsession.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"
#endif

/* ---- the mock, raw ---- */

static kafka_fetch_request_partition_t parts3[3];
static kafka_fetch_request_topic_t topic1;

static void fetch_req(kafka_fetch_request_t *req, int32_t id, int32_t epoch, int nparts, int first) {
    kafka_request_init(KAFKA_API_FETCH, req);
    req->replica_id = -1;
    req->max_wait_ms = 0;
    req->min_bytes = 0;
    req->session_id = id;
    req->session_epoch = epoch;
    for (int i = 0; i < nparts; i++)
        parts3[i] = (kafka_fetch_request_partition_t){first + i, -1, 0, -1, -1, 1 << 20, {{0}}};
    topic1 = (kafka_fetch_request_topic_t){.topic = kafka_str("fs"), .partitions = {parts3, nparts}};
    req->topics.items = &topic1;
    req->topics.count = nparts ? 1 : 0;
}

static int answered(const kafka_fetch_response_t *r) {
    int n = 0;
    for (int32_t t = 0; t < r->responses.count; t++)
        n += r->responses.items[t].partitions.count;
    return n;
}

static void test_mock_sessions(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "fs", 4, 1), KAFKA_OK);
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, "fs", 4, 8, 40, "m");
    kafka_test_client_t cl;
    kafka_test_client_open(&cl, m, 1, "raw");
    kafka_fetch_request_t req;
    kafka_fetch_response_t resp;
    /* Full fetch opening a session: every partition answered. */
    fetch_req(&req, 0, 0, 3, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, 0);
    int32_t id = resp.session_id;
    CU_ASSERT(id != 0);
    CU_ASSERT_EQUAL(answered(&resp), 3);
    /* Incremental, nothing changed: the partitions (fetch offsets still 0: records) again. */
    fetch_req(&req, id, 1, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, 0);
    CU_ASSERT_EQUAL(resp.session_id, id);
    CU_ASSERT_EQUAL(answered(&resp), 3);
    /* Moved to the end of partitions 0 and 1; 2 forgotten: nothing to answer. */
    fetch_req(&req, id, 2, 2, 0);
    parts3[0].fetch_offset = parts3[1].fetch_offset = 2;
    int32_t forgot = 2;
    kafka_fetch_request_forgotten_topic_t ft = {.topic = kafka_str("fs"), .partitions = {&forgot, 1}};
    req.forgotten_topics_data.items = &ft;
    req.forgotten_topics_data.count = 1;
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, 0);
    CU_ASSERT_EQUAL(answered(&resp), 0);
    /* New records in partitions 0 and 1: they are answered (one topic run). */
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, "fs", 2, 2, 40, "n"); /* one to 0, one to 1 */
    fetch_req(&req, id, 3, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(answered(&resp), 2);
    CU_ASSERT(resp.responses.count == 1 && resp.responses.items[0].partitions.items[0].records.len > 0);
    /* A wrong epoch; then the session evicted. */
    fetch_req(&req, id, 7, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, KAFKA_ERR_INVALID_FETCH_SESSION_EPOCH);
    CU_ASSERT_EQUAL(kafka_mock_fetch_sessions_evict(m, 1), 1);
    fetch_req(&req, id, 4, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, KAFKA_ERR_FETCH_SESSION_ID_NOT_FOUND);
    /* Sessionless (epoch -1): no session; below v7 none either. */
    fetch_req(&req, 0, -1, 3, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.session_id, 0);
    CU_ASSERT_EQUAL(answered(&resp), 3);
    kafka_mock_fetch_stats_t st;
    kafka_mock_fetch_stats(m, &st);
    CU_ASSERT_EQUAL(st.sessions, 0);
    CU_ASSERT_EQUAL(st.created, 1);
    CU_ASSERT_EQUAL(st.evicted, 1);
    CU_ASSERT_EQUAL(st.incremental_fetches, 3);
    CU_ASSERT_EQUAL(st.session_errors, 2);
    CU_ASSERT_EQUAL(st.forgotten_partitions, 1);
    char reply[512];
    CU_ASSERT_EQUAL(kafka_mock_command(m, "fetch-sessions", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(reply, "created=1 evicted=1"));
    kafka_test_client_close(&cl);
    kafka_mock_destroy(m);
}

/* The cache limit: a third session on a broker of 2 slots evicts the smallest session
 * when it is larger, else gets none (SessionId 0). */
static void test_mock_session_limit(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 1;
    mc.fetch_session_slots = 2;
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "fs", 4, 1), KAFKA_OK);
    kafka_test_client_t cl;
    kafka_test_client_open(&cl, m, 1, "raw");
    kafka_fetch_request_t req;
    kafka_fetch_response_t resp;
    int32_t ids[4];
    int sizes[4] = {2, 3, 1, 3};
    for (int i = 0; i < 4; i++) {
        fetch_req(&req, 0, 0, sizes[i], 0);
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
        ids[i] = resp.session_id;
    }
    CU_ASSERT(ids[0] != 0 && ids[1] != 0);
    CU_ASSERT_EQUAL(ids[2], 0); /* 1 partition: smaller than both */
    CU_ASSERT(ids[3] != 0);     /* 3: evicts the 2-partition session */
    fetch_req(&req, ids[0], 1, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, KAFKA_ERR_FETCH_SESSION_ID_NOT_FOUND);
    fetch_req(&req, ids[1], 1, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, 0);
    kafka_test_client_close(&cl);
    kafka_mock_destroy(m);
}

/* ---- the consumer ---- */

#define NPARTS 64
#define NMSGS 6400

/* Reads topic's partitions [first, first + n) from the start until want messages of
 * prefix came (15 s at most), each message index counted; fault (if set) is called
 * every 20 polls. Dups and foreign messages counted. */
typedef struct seen_s {
    unsigned char *count;
    size_t n, good, dups, other;
} seen_t;

static void consume(kafka_consumer_t *c, const char *topic, int first, int n, size_t want, const char *prefix,
                    seen_t *s, void (*fault)(void *), void *arg) {
    kafka_topic_partition_t tps[NPARTS];
    for (int i = 0; i < n; i++)
        tps[i] = (kafka_topic_partition_t){topic, first + i, KAFKA_OFFSET_BEGINNING};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, (size_t)n, err, sizeof(err)), KAFKA_OK);
    size_t pl = strlen(prefix);
    int64_t deadline = kafka_test_now_ms() + 15000;
    for (int polls = 1; s->good < want && kafka_test_now_ms() < deadline; polls++) {
        kafka_message_t *msgs[256];
        size_t cnt = 0;
        if (kafka_consumer_poll(c, 100, msgs, 256, &cnt, err, sizeof(err)))
            fprintf(stderr, "poll: %s\n", err);
        for (size_t i = 0; i < cnt; i++) {
            int32_t len = 0;
            const char *v = kafka_message_payload(msgs[i], &len);
            char *end = NULL;
            size_t idx = v && (size_t)len > pl && memcmp(v, prefix, pl) == 0 ? strtoul(v + pl, &end, 10) : s->n;
            if (end && *end == '|' && idx < s->n) {
                s->good += !s->count[idx];
                s->dups += s->count[idx] > 0;
                s->count[idx]++;
            } else {
                s->other++;
            }
            kafka_message_destroy(msgs[i]);
        }
        if (fault && polls % 20 == 0)
            fault(arg);
    }
}

static void seen_init(seen_t *s, size_t n) {
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->count = calloc(n, 1);
}

/* Request bytes and requests of api_key c sent so far. */
static void api_bytes(kafka_consumer_t *c, int16_t api_key, int64_t *bytes, int64_t *requests) {
    kafka_request_stats_t rows[64];
    size_t n = kafka_consumer_request_stats(c, rows, 64);
    *bytes = *requests = 0;
    for (size_t i = 0; i < n && i < 64; i++)
        if (rows[i].api_key == api_key) {
            *bytes += rows[i].request_bytes;
            *requests += rows[i].requests;
            CU_ASSERT(rows[i].response_bytes > 0);
        }
}

static void fetch_bytes(kafka_consumer_t *c, int64_t *bytes, int64_t *requests) {
    api_bytes(c, KAFKA_API_FETCH, bytes, requests);
}

/* Every message once, with sessions on or off; then, caught up and idle, the mean
 * Fetch request size: with sessions a fraction of the sessionless size. */
static double read_all(bool sessions, int64_t *incremental) {
    kafka_mock_t *m = kafka_test_mock(3, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "many", NPARTS, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "many", NPARTS, NMSGS, 100, "x");
    const char *kv[] = {"enable.fetch.sessions", sessions ? "true" : "false", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    seen_t s;
    seen_init(&s, NMSGS);
    consume(c, "many", 0, NPARTS, NMSGS, "x", &s, NULL, NULL);
    CU_ASSERT_EQUAL(s.good, NMSGS);
    CU_ASSERT_EQUAL(s.dups, 0);
    CU_ASSERT_EQUAL(s.other, 0);
    int64_t b0, r0, b1, r1;
    api_bytes(c, KAFKA_API_LIST_OFFSETS, &b0, &r0);
    CU_ASSERT(r0 >= 1 && r0 <= 3); /* the 64 starts: one ListOffsets per leader */
    fetch_bytes(c, &b0, &r0);
    int64_t until = kafka_test_now_ms() + 600;
    while (kafka_test_now_ms() < until) {
        kafka_message_t *msg[4];
        size_t cnt;
        kafka_consumer_poll(c, 100, msg, 4, &cnt, NULL, 0);
        CU_ASSERT_EQUAL(cnt, 0);
    }
    fetch_bytes(c, &b1, &r1);
    CU_ASSERT(r1 - r0 >= 6); /* three brokers, fetch.max.wait.ms 100 */
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    *incremental = st.fetch_incremental;
    kafka_mock_fetch_stats_t ms;
    kafka_mock_fetch_stats(m, &ms);
    if (sessions) {
        CU_ASSERT_EQUAL(ms.created, 3); /* one per broker */
        CU_ASSERT(ms.incremental_fetches > 0);
    } else {
        CU_ASSERT_EQUAL(ms.created, 0);
        CU_ASSERT_EQUAL(ms.incremental_fetches, 0);
    }
    kafka_consumer_destroy(c);
    free(s.count);
    kafka_mock_destroy(m);
    return r1 > r0 ? (double)(b1 - b0) / (double)(r1 - r0) : 0;
}

static void test_sessions_on_off(void) {
    int64_t inc_on, inc_off;
    double on = read_all(true, &inc_on), off = read_all(false, &inc_off);
    fprintf(stderr, "idle Fetch request: %.0f bytes with sessions, %.0f without\n", on, off);
    CU_ASSERT(inc_on > 0);
    CU_ASSERT_EQUAL(inc_off, 0);
    CU_ASSERT(on > 0 && on * 5 < off); /* ~21 partitions a broker: ~100 bytes of header and session fields vs ~760 */
}

static void evict_and_skew(void *arg) {
    static int turn;
    kafka_mock_t *m = arg;
    if (turn++ % 2)
        kafka_mock_fetch_sessions_evict(m, -1);
    else
        kafka_mock_fetch_sessions_skew(m, -1);
}

/* Sessions evicted and epochs skewed while the consumer reads: full fetches open new
 * sessions, nothing lost or read twice. */
static void test_sessions_lost_midstream(void) {
    kafka_mock_t *m = kafka_test_mock(2, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "lost", NPARTS, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "lost", NPARTS, NMSGS, 100, "y");
    /* Small fetches: many round trips, so the faults land mid-stream. */
    const char *kv[] = {"max.partition.fetch.bytes", "2000", "fetch.max.bytes", "20000", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    seen_t s;
    seen_init(&s, NMSGS);
    consume(c, "lost", 0, NPARTS, NMSGS, "y", &s, evict_and_skew, m);
    CU_ASSERT_EQUAL(s.good, NMSGS);
    CU_ASSERT_EQUAL(s.dups, 0);
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    kafka_mock_fetch_stats_t ms;
    kafka_mock_fetch_stats(m, &ms);
    fprintf(stderr, "session resets %lld, mock: created %lld, session errors %lld, incremental %lld\n",
            (long long)st.fetch_session_resets, (long long)ms.created, (long long)ms.session_errors,
            (long long)ms.incremental_fetches);
    CU_ASSERT(st.fetch_session_resets > 0);
    CU_ASSERT_EQUAL(st.fetch_session_resets, ms.session_errors);
    CU_ASSERT(ms.created > 2);
    kafka_consumer_destroy(c);
    free(s.count);
    kafka_mock_destroy(m);
}

/* A new assignment: the session forgets the partitions given up and adds the new ones. */
static void test_session_reassign(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "re", 20, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "re", 20, 2000, 100, "z");
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    seen_t s;
    seen_init(&s, 2000);
    consume(c, "re", 0, 10, 1000, "z", &s, NULL, NULL); /* partitions 0-9 */
    CU_ASSERT_EQUAL(s.good, 1000);
    consume(c, "re", 10, 10, 2000, "z", &s, NULL, NULL);
    CU_ASSERT_EQUAL(s.good, 2000);
    CU_ASSERT_EQUAL(s.dups, 0);
    kafka_mock_fetch_stats_t ms;
    kafka_mock_fetch_stats(m, &ms);
    CU_ASSERT(ms.forgotten_partitions >= 10);
    CU_ASSERT(ms.incremental_fetches > 0);
    kafka_consumer_destroy(c);
    free(s.count);
    kafka_mock_destroy(m);
}

/* Kafka 0.11 has no Fetch v7: no sessions, everything read. */
static void test_no_sessions_before_1_1(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 1;
    mc.kafka_version = "0.11";
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    const char *bs = kafka_mock_bootstrap(m);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "old", 8, 1), KAFKA_OK);
    kafka_test_produce(bs, NULL, "old", 8, 800, 100, "o");
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    seen_t s;
    seen_init(&s, 800);
    consume(c, "old", 0, 8, 800, "o", &s, NULL, NULL);
    CU_ASSERT_EQUAL(s.good, 800);
    CU_ASSERT_EQUAL(s.dups, 0);
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    CU_ASSERT_EQUAL(st.fetch_incremental, 0);
    kafka_mock_fetch_stats_t ms;
    kafka_mock_fetch_stats(m, &ms);
    CU_ASSERT_EQUAL(ms.created, 0);
    CU_ASSERT(ms.fetch_requests > 0);
    kafka_consumer_destroy(c);
    free(s.count);
    kafka_mock_destroy(m);
}

#ifdef KAFKA_HAVE_RDKAFKA
/* librdkafka 2.0.2's mock cluster answers Fetch v7+ with SessionId 0 (it keeps no
 * sessions): every Fetch stays full, and everything is read once. */
static void test_rdkafka_mock_no_sessions(void) {
    const char *bs = start_rdkafka_mock(2);
    CU_ASSERT_EQUAL(rd_kafka_mock_topic_create(mc, "rdk", 16, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    kafka_test_produce(bs, NULL, "rdk", 16, 1600, 100, "r");
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    seen_t s;
    seen_init(&s, 1600);
    consume(c, "rdk", 0, 16, 1600, "r", &s, NULL, NULL);
    CU_ASSERT_EQUAL(s.good, 1600);
    CU_ASSERT_EQUAL(s.dups, 0);
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    CU_ASSERT(st.fetch_requests > 0);
    CU_ASSERT_EQUAL(st.fetch_incremental, 0);
    CU_ASSERT_EQUAL(st.fetch_session_resets, 0);
    kafka_consumer_destroy(c);
    free(s.count);
    stop_rdkafka_mock();
}
#endif

/* The session lists a kept partition again when its LastFetchedEpoch changed (the
 * broker's session keeps the epoch sent: unsent, a DivergingEpoch answer would repeat). */
static void test_session_last_epoch(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = 1;
    kafka_mock_t *m = kafka_test_mock_new(&mc);
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    kafka__fsession_t s;
    kafka__fsession_init(&s, true);
    kafka_uuid_t id = {{1, 2, 3}};
    kafka__fspart_t want[2] = {{"t", 0, 10, 1, id, 5}, {"t", 1, 20, 1, id, 5}};
    int32_t sid, sepoch;
    CU_ASSERT_FALSE(kafka__fsession_header(&s, 17, &sid, &sepoch)); /* the first: full */
    kafka__fsession_answered(&s, c, want, 2, sepoch, 77);
    CU_ASSERT_TRUE(kafka__fsession_header(&s, 17, &sid, &sepoch));
    CU_ASSERT_EQUAL(sid, 77);
    bool send[2];
    kafka__fspart_t *forget = NULL;
    size_t nforget = 0;
    CU_ASSERT_TRUE(kafka__fsession_diff(&s, want, 2, send, &forget, &nforget));
    CU_ASSERT(!send[0] && !send[1] && nforget == 0);
    want[1].last_epoch = 4;
    CU_ASSERT_TRUE(kafka__fsession_diff(&s, want, 2, send, &forget, &nforget));
    CU_ASSERT(!send[0] && send[1] && nforget == 0);
    free(forget);
    kafka__fsession_free(&s);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

int main(void) {
    CU_TestInfo tests[] = {
        {"session: a changed LastFetchedEpoch is sent again", test_session_last_epoch},
        {"mock: full, incremental, forgotten, epochs, eviction", test_mock_sessions},
        {"mock: the session cache limit", test_mock_session_limit},
        {"consumer: sessions on and off, idle request size", test_sessions_on_off},
        {"consumer: sessions evicted and skewed mid-stream", test_sessions_lost_midstream},
        {"consumer: a new assignment", test_session_reassign},
        {"consumer: Kafka 0.11 (no Fetch v7)", test_no_sessions_before_1_1},
#ifdef KAFKA_HAVE_RDKAFKA
        {"consumer: librdkafka's mock cluster (no sessions)", test_rdkafka_mock_no_sessions},
#endif
        CU_TEST_INFO_NULL,
    };
    return kafka_test_run("consumer_fsession", tests);
}
