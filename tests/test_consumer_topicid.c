/* Topic ids in Fetch (KIP-516): against a broker with Fetch v13+ the consumer names
 * topics by the ids Metadata v10+ gave (counted by the mock), against one without (2.8:
 * Fetch v12) by name; UNKNOWN_TOPIC_ID refreshes the metadata and loses or repeats
 * nothing; a topic deleted and re-created under its name mid-consumption is reported
 * once (KAFKA_ERR__TOPIC_RECREATED, naming the topic and both ids) and the new topic is
 * read from auto.offset.reset's position; a producer goes on producing into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "kafka/message.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "kafka/protocol.h"
#include "kafka/reqstats.h"
#include "testutil.h"

#define TOPIC "tid"

typedef struct read_s {
    int old_seen[400], new_seen[400], x_seen[400]; /* per index of "o-"/"n-"/"x-" messages: how often read */
    int recreated;
    kafka_err_t other;
    char why[1200];
} read_t;

/* Polls until want messages came or 10 s passed (want 1: or a TOPIC_RECREATED report),
 * counting them per prefix and the TOPIC_RECREATED reports; another error is kept in
 * r->other. */
static int poll_some(kafka_consumer_t *c, read_t *r, int want) {
    int got = 0, reports = r->recreated;
    int64_t deadline = kafka_test_now_ms() + 10000;
    while (got < want && kafka_test_now_ms() < deadline && !(want == 1 && r->recreated > reports)) {
        kafka_message_t *msgs[64];
        size_t n = 0;
        char err[1200];
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err));
        if (e == KAFKA_ERR__TOPIC_RECREATED) {
            r->recreated++;
            snprintf(r->why, sizeof(r->why), "%s", err);
        } else if (e) {
            r->other = e;
            snprintf(r->why, sizeof(r->why), "%s", err);
            fprintf(stderr, "poll: %s: %s\n", kafka_err_name(e), err);
        }
        for (size_t i = 0; i < n; i++) {
            int32_t len;
            const char *v = kafka_message_payload(msgs[i], &len);
            unsigned long idx = strtoul(v + 2, NULL, 10);
            if (idx < 400)
                (v[0] == 'o' ? r->old_seen : v[0] == 'n' ? r->new_seen : r->x_seen)[idx]++;
            kafka_message_destroy(msgs[i]);
            got++;
        }
    }
    return got;
}

static kafka_mock_t *cluster(const char *version, int partitions) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 2;
    conf.kafka_version = version;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, TOPIC, partitions, 2), KAFKA_OK);
    return m;
}

static kafka_consumer_t *consumer(const char *bs, const char *reset, int partitions) {
    const char *kv[] = {"auto.offset.reset", reset, "retry.backoff.ms", "20", "metadata.max.age.ms", "60000", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[8];
    for (int i = 0; i < partitions; i++)
        tps[i] = (kafka_topic_partition_t){TOPIC, i, KAFKA_OFFSET_BEGINNING};
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, (size_t)partitions, err, sizeof(err)), KAFKA_OK);
    return c;
}

static int64_t requests(kafka_consumer_t *c, int16_t api) {
    kafka_request_stats_t st[64];
    size_t n = kafka_consumer_request_stats(c, st, 64);
    return kafka_test_api_requests(st, n < 64 ? n : 64, api);
}

/* Reads a profile's topic whole; the mock's counts of Fetches (all, and v13+). */
static void read_all(const char *version, int64_t *fetches, int64_t *by_id) {
    kafka_mock_t *m = cluster(version, 3);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 3, 300, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "earliest", 3);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 300), 300);
    for (int i = 0; i < 300; i++)
        CU_ASSERT_EQUAL(r.old_seen[i], 1);
    CU_ASSERT_EQUAL(r.other, KAFKA_OK);
    /* The origin's one-partition fetch takes the same road. */
    kafka_message_t **msgs = NULL;
    size_t n = 0;
    char err[600];
    CU_ASSERT_EQUAL(kafka_consumer_fetch(c, TOPIC, 1, 0, 0, &msgs, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(n >= 1 && n <= 100);
    for (size_t i = 0; i < n; i++)
        kafka_message_destroy(msgs[i]);
    free(msgs);
    kafka_mock_fetch_stats_t st;
    kafka_mock_fetch_stats(m, &st);
    *fetches = st.fetch_requests;
    *by_id = st.by_topic_id;
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

static void test_latest_fetches_by_id(void) {
    int64_t fetches, by_id;
    read_all("latest", &fetches, &by_id);
    CU_ASSERT(fetches >= 2);
    CU_ASSERT_EQUAL(by_id, fetches); /* every Fetch named its topic by id */
}

static void test_28_fetches_by_name(void) {
    int64_t fetches, by_id;
    read_all("2.8", &fetches, &by_id);
    CU_ASSERT(fetches >= 2);
    CU_ASSERT_EQUAL(by_id, 0); /* Fetch v12 at most */
}

/* 3.7 serves Fetch v16 (and 4.0 v17): by id too. */
static void test_40_fetches_by_id(void) {
    int64_t fetches, by_id;
    read_all("4.0", &fetches, &by_id);
    CU_ASSERT(fetches >= 2);
    CU_ASSERT_EQUAL(by_id, fetches);
}

/* UNKNOWN_TOPIC_ID, then INCONSISTENT_TOPIC_ID (a broker whose metadata lags): a
 * metadata refresh, fetching goes on, nothing lost or read twice. */
static void test_unknown_topic_id(void) {
    kafka_mock_t *m = cluster("latest", 2);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 2, 100, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "earliest", 2);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 100), 100);
    int64_t md_before = requests(c, KAFKA_API_METADATA);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_FETCH, -1, 3, KAFKA_ERR_UNKNOWN_TOPIC_ID), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 2, 100, 40, "n-");
    CU_ASSERT_EQUAL(poll_some(c, &r, 100), 100);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_FETCH, -1, 2, KAFKA_ERR_INCONSISTENT_TOPIC_ID), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 2, 100, 40, "x-");
    CU_ASSERT_EQUAL(poll_some(c, &r, 100), 100);
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    CU_ASSERT(st.fetch_errors >= 1); /* the injected errors came */
    /* and asked for metadata (the metadata thread's refresh, spaced by retry.backoff.ms) */
    for (int64_t deadline = kafka_test_now_ms() + 3000;
         requests(c, KAFKA_API_METADATA) <= md_before && kafka_test_now_ms() < deadline;)
        kafka_test_sleep_ms(10);
    CU_ASSERT(requests(c, KAFKA_API_METADATA) > md_before);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(r.old_seen[i], 1);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(r.new_seen[i] * 10 + r.x_seen[i], 11);
    CU_ASSERT_EQUAL(r.recreated, 0);
    CU_ASSERT_EQUAL(r.other, KAFKA_OK);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Kafka's text form of a topic id: base64url without padding. */
static void id_text(const uint8_t id[16], char out[23]) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t b[18] = {0};
    memcpy(b, id, 16);
    int o = 0;
    for (int i = 0; i < 18; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        for (int k = 3; k >= 0 && o < 22; k--)
            out[o++] = abc[(v >> (6 * k)) & 63];
    }
    out[22] = '\0';
}

/* A topic deleted and re-created under its name while the consumer holds positions in
 * it: reported once, naming both ids; the new topic read from the start. */
static void recreated_topic(const char *version) {
    kafka_mock_t *m = cluster(version, 2);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 2, 100, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "earliest", 2);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 100), 100);
    uint8_t old_id[16], new_id[16];
    CU_ASSERT_EQUAL(kafka_mock_topic_id(m, TOPIC, old_id), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_delete(m, TOPIC), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, TOPIC, 2, 2), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_id(m, TOPIC, new_id), KAFKA_OK);
    CU_ASSERT(memcmp(old_id, new_id, 16) != 0);
    kafka_test_produce(bs, NULL, TOPIC, 2, 30, 40, "n-"); /* offsets 0..14 of each: below the positions held */
    CU_ASSERT_EQUAL(poll_some(c, &r, 30), 30);
    for (int i = 0; i < 30; i++)
        CU_ASSERT_EQUAL(r.new_seen[i], 1);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(r.old_seen[i], 1);
    /* Once per partition (each held a position in the old log). */
    CU_ASSERT_EQUAL(r.recreated, 2);
    CU_ASSERT_EQUAL(r.other, KAFKA_OK);
    char was[23], now[23];
    id_text(old_id, was);
    id_text(new_id, now);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, "topic " TOPIC " was deleted and re-created"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, was));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, now));
    fprintf(stderr, "  reported: %s\n", r.why);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, TOPIC, 0), 15);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, TOPIC, 1), 15);
    /* Nothing more to report: the new topic's next messages just come. */
    kafka_test_produce(bs, NULL, TOPIC, 2, 60, 40, "n-");
    memset(r.new_seen, 0, sizeof(r.new_seen));
    CU_ASSERT_EQUAL(poll_some(c, &r, 60), 60);
    CU_ASSERT_EQUAL(r.recreated, 2);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

static void test_recreated_topic(void) { recreated_topic("latest"); }

/* Fetch v12 (by name) sees the re-created topic as offsets out of range; the reset looks
 * at fresh metadata first, which tells the new id. */
static void test_recreated_topic_28(void) { recreated_topic("2.8"); }

/* auto.offset.reset=error: the partitions fail with TOPIC_RECREATED instead. */
static void test_recreated_under_reset_error(void) {
    kafka_mock_t *m = cluster("latest", 1);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 1, 20, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "error", 1);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 20), 20);
    CU_ASSERT_EQUAL(kafka_mock_topic_delete(m, TOPIC), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, TOPIC, 1, 2), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 1, 5, 40, "n-");
    for (int64_t deadline = kafka_test_now_ms() + 10000; !r.recreated && kafka_test_now_ms() < deadline;)
        CU_ASSERT_EQUAL(poll_some(c, &r, 1), 0); /* 10 s when nothing is reported: the first gives up */
    CU_ASSERT_EQUAL(r.recreated, 1);
    for (int i = 0; i < 3; i++) { /* failed: nothing more, and not reported again */
        kafka_message_t *msgs[8];
        size_t n = 0;
        char err[600];
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, 8, &n, err, sizeof(err));
        CU_ASSERT(e != KAFKA_ERR__TOPIC_RECREATED);
        CU_ASSERT_EQUAL(n, 0);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, "auto.offset.reset=error"));
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* 24 partitions over 3 brokers, all re-created at once: each fetcher resets all of its
 * partitions in one ListOffsets (not one per partition), every partition is reported
 * once and every message of the new topic read exactly once. fault: broker 1's first
 * ListOffsets answers NOT_LEADER_OR_FOLLOWER for its partitions: they back off and are
 * reset by the next one. */
#define MANY 24
static void recreated_many(const char *version, bool fault) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    conf.kafka_version = version;
    conf.auto_create = false; /* the consumer's metadata between delete and create must not create it */
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, TOPIC, MANY, 2), KAFKA_OK);
    for (int i = 0; i < MANY; i++) /* spread over the brokers, 8 each */
        CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, i, 1 + i % 3), KAFKA_OK);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, MANY, MANY * 10, 40, "o-"); /* 10 a partition */
    const char *kv[] = {"auto.offset.reset", "earliest", "retry.backoff.ms", "20", "metadata.max.age.ms", "60000",
                        NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[MANY];
    for (int i = 0; i < MANY; i++)
        tps[i] = (kafka_topic_partition_t){TOPIC, i, KAFKA_OFFSET_BEGINNING};
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, MANY, err, sizeof(err)), KAFKA_OK);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, MANY * 10), MANY * 10);
    for (int i = 0; i < MANY * 10; i++)
        CU_ASSERT_EQUAL(r.old_seen[i], 1);
    int64_t before = requests(c, KAFKA_API_LIST_OFFSETS);
    if (fault)
        CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_LIST_OFFSETS, 1, 1, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER),
                        KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_delete(m, TOPIC), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, TOPIC, MANY, 2), KAFKA_OK);
    for (int i = 0; i < MANY; i++)
        CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, i, 1 + i % 3), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, MANY, MANY * 5, 40, "n-"); /* offsets 0..4: below the positions held */
    CU_ASSERT_EQUAL(poll_some(c, &r, MANY * 5), MANY * 5);
    for (int i = 0; i < MANY * 5; i++)
        CU_ASSERT_EQUAL(r.new_seen[i], 1);
    CU_ASSERT_EQUAL(r.recreated, MANY); /* once per partition */
    CU_ASSERT_EQUAL(r.other, KAFKA_OK);
    for (int i = 0; i < MANY; i++)
        CU_ASSERT_EQUAL(kafka_consumer_position(c, TOPIC, i), 5);
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    CU_ASSERT(st.offset_resets >= MANY);
    /* One request per broker and round; one per partition would be 24 (28 on 2.8). The
     * latest profile: one round (UNKNOWN_TOPIC_ID told the re-creation before the reset).
     * 2.8: two (the first reset's metadata refresh tells the new id, which moves the
     * partitions: they are reset again as re-created). One more allowed for a fetcher
     * whose partitions came to the reset in two Fetch answers. */
    int64_t lists = requests(c, KAFKA_API_LIST_OFFSETS) - before;
    int rounds = strcmp(version, "2.8") == 0 ? 2 : 1;
    fprintf(stderr, "  %s%s: %lld ListOffsets for the reset of %d partitions on 3 brokers\n", version,
            fault ? " (broker 1's first failed)" : "", (long long)lists, MANY);
    CU_ASSERT(lists >= 3 + fault);
    CU_ASSERT(lists <= 3 * (rounds + 1));
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Polls for up to ms; how many polls returned err want (the others printed). */
static int reports_of(kafka_consumer_t *c, kafka_err_t want, int ms) {
    int seen = 0;
    for (int64_t deadline = kafka_test_now_ms() + ms; !seen && kafka_test_now_ms() < deadline;) {
        kafka_message_t *msgs[64];
        size_t n = 0;
        char err[1200];
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err));
        for (size_t i = 0; i < n; i++)
            kafka_message_destroy(msgs[i]);
        if (e == want)
            seen++;
        else if (e)
            fprintf(stderr, "  poll: %s: %s\n", kafka_err_name(e), err);
    }
    return seen;
}

/* The re-creation's reset fails (ListOffsets refused) and the application seeks: a later
 * reset of its own (the seek below the log start) is still reported as a skip. */
static void test_recreated_then_seek(void) {
    kafka_mock_t *m = cluster("latest", 1);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 1, 20, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "earliest", 1);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 20), 20);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_LIST_OFFSETS, -1, 1, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_delete(m, TOPIC), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, TOPIC, 1, 2), KAFKA_OK);
    CU_ASSERT_EQUAL(reports_of(c, KAFKA_ERR__TOPIC_RECREATED, 5000), 1);
    CU_ASSERT_EQUAL(reports_of(c, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED, 5000), 1);
    CU_ASSERT_EQUAL(kafka_mock_set_retention(m, 2000), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 1, 100, 100, "n-");
    kafka_test_produce(bs, NULL, TOPIC, 1, 100, 100, "n-");
    int64_t log_start = -1, hw = -1;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, TOPIC, 0, &log_start, &hw), KAFKA_OK);
    CU_ASSERT(log_start > 0);
    char err[256];
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, TOPIC, 0, 0, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(reports_of(c, KAFKA_ERR__AUTO_OFFSET_RESET, 5000), 1);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

static void test_recreated_many(void) { recreated_many("latest", false); }
static void test_recreated_many_28(void) { recreated_many("2.8", false); }
static void test_recreated_many_fault(void) { recreated_many("latest", true); }

/* One producer across the re-creation: what it sends afterwards lands in the new topic. */
static void test_producer_across_recreation(void) {
    kafka_mock_t *m = cluster("latest", 1);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_conf_t *conf = kafka_test_conf(bs, NULL);
    char err[600];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_produce_msg_t msg = {.value = "o-0", .value_len = 3, .timestamp_ms = -1};
    int64_t base = -1;
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(kafka_producer_send(p, TOPIC, 0, &msg, 1, NULL, &base, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(base, 9);
    CU_ASSERT_EQUAL(kafka_mock_topic_delete(m, TOPIC), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, TOPIC, 1, 2), KAFKA_OK);
    kafka_err_t e = KAFKA_OK;
    for (int i = 0; i < 5; i++) {
        e = kafka_producer_send(p, TOPIC, 0, &msg, 1, NULL, &base, err, sizeof(err));
        if (e)
            fprintf(stderr, "send after re-creation: %s: %s\n", kafka_err_name(e), err);
        CU_ASSERT_EQUAL(e, KAFKA_OK);
    }
    CU_ASSERT_EQUAL(base, 4);
    /* What told it: the new partition has no state for its producer id's sequence. */
    kafka_request_error_t errs[32];
    size_t ne = kafka_producer_request_errors(p, errs, 32);
    int64_t seq_errors = 0;
    for (size_t i = 0; i < ne && i < 32; i++) {
        fprintf(stderr, "  producer: %s %s x%lld\n", kafka_api_name(errs[i].api_key), kafka_err_name(errs[i].err),
                (long long)errs[i].count);
        seq_errors += errs[i].api_key == KAFKA_API_PRODUCE && errs[i].err == KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    CU_ASSERT(seq_errors >= 1);
    int64_t start, hw;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, TOPIC, 0, &start, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 5);
    kafka_producer_destroy(p);
    kafka_mock_destroy(m);
}

/* One topic of a raw Fetch: partitions 0..n-1 from offset 0, the topic named by id. */
static void raw_fetch(kafka_fetch_request_t *req, kafka_fetch_request_topic_t *t, kafka_fetch_request_partition_t *p,
                      int n, const uint8_t id[16], int32_t session_id, int32_t epoch) {
    kafka_request_init(KAFKA_API_FETCH, req);
    req->max_wait_ms = 0;
    req->min_bytes = 0;
    req->session_id = session_id;
    req->session_epoch = epoch;
    for (int i = 0; i < n; i++)
        p[i] = (kafka_fetch_request_partition_t){i, -1, 0, -1, -1, 1 << 20, {{0}}};
    memset(t, 0, sizeof(*t));
    t->topic = kafka_str(TOPIC);
    memcpy(t->topic_id.b, id, 16);
    t->partitions.items = p;
    t->partitions.count = n;
    req->topics.items = t;
    req->topics.count = n ? 1 : 0;
}

/* kafka-mock's side: by id at v13+, an unknown id UNKNOWN_TOPIC_ID in each partition,
 * a session by id, FETCH_SESSION_TOPIC_ID_ERROR across the v12/v13 line, a deleted
 * topic's id unknown in its session; v16's NodeEndpoints for NOT_LEADER_OR_FOLLOWER. */
static void test_mock_fetch_by_id(void) {
    kafka_mock_t *m = kafka_test_mock(2, true);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, TOPIC, 2, 2), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, 0, 1), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, 1, 1), KAFKA_OK);
    kafka_test_produce(kafka_mock_bootstrap(m), NULL, TOPIC, 2, 10, 40, "o-");
    uint8_t id[16], bogus[16];
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_id(m, TOPIC, id), KAFKA_OK);
    memcpy(bogus, id, 16);
    bogus[0] ^= 0xff;
    kafka_test_client_t cl;
    kafka_test_client_open(&cl, m, 1, "raw");
    kafka_fetch_request_t req;
    kafka_fetch_request_topic_t t;
    kafka_fetch_request_partition_t p[2];
    kafka_fetch_response_t resp;
    for (int16_t v = 13; v <= 17; v++) {
        raw_fetch(&req, &t, p, 2, bogus, 0, -1);
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, v, &req, &resp), KAFKA_OK);
        CU_ASSERT_EQUAL(resp.error_code, 0);
        CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1);
        CU_ASSERT(!memcmp(resp.responses.items[0].topic_id.b, bogus, 16));
        CU_ASSERT_EQUAL_FATAL(resp.responses.items[0].partitions.count, 2);
        for (int i = 0; i < 2; i++)
            CU_ASSERT_EQUAL(resp.responses.items[0].partitions.items[i].error_code, KAFKA_ERR_UNKNOWN_TOPIC_ID);
        raw_fetch(&req, &t, p, 2, id, 0, -1);
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, v, &req, &resp), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1);
        CU_ASSERT(!memcmp(resp.responses.items[0].topic_id.b, id, 16));
        for (int i = 0; i < 2; i++) {
            CU_ASSERT_EQUAL(resp.responses.items[0].partitions.items[i].error_code, 0);
            CU_ASSERT_EQUAL(resp.responses.items[0].partitions.items[i].high_watermark, 5);
            CU_ASSERT(resp.responses.items[0].partitions.items[i].records.len > 0);
        }
    }
    /* A session opened at v13 by id: incremental at v13 answers by id; at v12 refused. */
    raw_fetch(&req, &t, p, 2, id, 0, 0);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 13, &req, &resp), KAFKA_OK);
    int32_t sid = resp.session_id;
    CU_ASSERT(sid != 0);
    raw_fetch(&req, &t, p, 0, id, sid, 1);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 13, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, 0);
    CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1); /* offsets still 0: records again */
    CU_ASSERT(!memcmp(resp.responses.items[0].topic_id.b, id, 16));
    raw_fetch(&req, &t, p, 0, id, sid, 2);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 12, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, KAFKA_ERR_FETCH_SESSION_TOPIC_ID_ERROR);
    /* The topic deleted and re-created: the session's partitions (old id) are unknown. */
    CU_ASSERT_EQUAL(kafka_mock_topic_delete(m, TOPIC), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, TOPIC, 2, 2), KAFKA_OK);
    raw_fetch(&req, &t, p, 0, id, sid, 2);
    CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, 13, &req, &resp), KAFKA_OK);
    CU_ASSERT_EQUAL(resp.error_code, 0);
    CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1);
    for (int32_t i = 0; i < resp.responses.items[0].partitions.count; i++)
        CU_ASSERT_EQUAL(resp.responses.items[0].partitions.items[i].error_code, KAFKA_ERR_UNKNOWN_TOPIC_ID);
    /* Not the leader: CurrentLeader, and from v16 its address (NodeEndpoints). */
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, 0, 2), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_id(m, TOPIC, id), KAFKA_OK);
    for (int16_t v = 15; v <= 16; v++) {
        raw_fetch(&req, &t, p, 1, id, 0, -1);
        CU_ASSERT_EQUAL_FATAL(kafka_test_client_call(&cl, KAFKA_API_FETCH, v, &req, &resp), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(resp.responses.count, 1);
        const kafka_fetch_response_partition_data_t *pd = &resp.responses.items[0].partitions.items[0];
        CU_ASSERT_EQUAL(pd->error_code, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER);
        CU_ASSERT_EQUAL(pd->current_leader.leader_id, 2);
        CU_ASSERT_EQUAL(resp.node_endpoints.count, v >= 16 ? 1 : 0);
        if (v >= 16 && resp.node_endpoints.count == 1) {
            char addr[64];
            snprintf(addr, sizeof(addr), "127.0.0.1:%d", (int)resp.node_endpoints.items[0].port);
            CU_ASSERT_EQUAL(resp.node_endpoints.items[0].node_id, 2);
            CU_ASSERT_PTR_NOT_NULL(strstr(kafka_mock_bootstrap(m), addr));
        }
    }
    kafka_mock_fetch_stats_t st;
    kafka_mock_fetch_stats(m, &st);
    CU_ASSERT(st.by_topic_id >= 13);
    kafka_test_client_close(&cl);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"latest (Fetch v17): every Fetch names its topic by id, nothing lost", test_latest_fetches_by_id},
    {"2.8 (Fetch v12): topics by name", test_28_fetches_by_name},
    {"4.0 (Fetch v17): topics by id", test_40_fetches_by_id},
    {"UNKNOWN_TOPIC_ID, INCONSISTENT_TOPIC_ID: metadata refresh, nothing lost or twice", test_unknown_topic_id},
    {"kafka-mock: Fetch v13-17 by id, unknown ids, sessions by id", test_mock_fetch_by_id},
    {"a topic deleted and re-created: TOPIC_RECREATED once per partition, then the new topic", test_recreated_topic},
    {"2.8 (Fetch v12, Metadata v11): the re-creation told by the id as well", test_recreated_topic_28},
    {"auto.offset.reset=error: the partition fails with TOPIC_RECREATED", test_recreated_under_reset_error},
    {"24 partitions on 3 brokers re-created: one ListOffsets per broker resets them", test_recreated_many},
    {"2.8 (Fetch v12): 24 partitions out of range at once, one ListOffsets per broker", test_recreated_many_28},
    {"24 partitions re-created, one broker's ListOffsets fails: its partitions back off, then reset",
     test_recreated_many_fault},
    {"a producer across the re-creation produces into the new topic", test_producer_across_recreation},
    {"a failed re-creation reset, then a seek: a later skip is still reported", test_recreated_then_seek},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_topicid", tests)
