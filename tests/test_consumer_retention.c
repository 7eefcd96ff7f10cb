/* The consumer loop on a log whose start has moved: librdkafka 2.0.2's mock cluster
 * keeps at most 5 MiB (and 100,000 message sets) per partition and deletes the oldest
 * message sets when a produce goes past it, moving the log start. Reading from the
 * beginning returns everything the broker holds, up to the high watermark; an offset
 * the broker no longer holds makes auto.offset.reset move the position, and poll()
 * says so once, in its place (KAFKA_ERR__AUTO_OFFSET_RESET naming the partition, the
 * offset, the log's range and the offsets skipped) instead of skipping them silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "kafka/message.h"
#include "kafka/mock.h"
#include "kafka/reqstats.h"
#include "testutil.h"

/* kafka-mock: 24 partitions on 3 brokers whose offsets are all gone (retention kept only
 * the last batch of each): the first Fetch finds all out of range, and each fetcher
 * resets all of its partitions in one ListOffsets (not one per partition); each
 * partition reports its skip once, then everything retention kept is read once. */
#define MANY 24
static void test_many_out_of_range(void) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, "many", MANY, 2), KAFKA_OK);
    for (int i = 0; i < MANY; i++) /* spread over the brokers, 8 each */
        CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "many", i, 1 + i % 3), KAFKA_OK);
    const char *bs = kafka_mock_bootstrap(m);
    for (int round = 0; round < 3; round++) /* a flush each: batches apart */
        kafka_test_produce(bs, NULL, "many", MANY, MANY * 10, 40, "r-");
    kafka_mock_set_retention(m, 1); /* older batches go: each log starts at its last batch */
    int64_t start[MANY], end[MANY];
    for (int i = 0; i < MANY; i++) {
        CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "many", i, &start[i], &end[i]), KAFKA_OK);
        CU_ASSERT(start[i] > 0 && start[i] < end[i] && end[i] == 30);
    }
    const char *kv[] = {"auto.offset.reset", "earliest", "retry.backoff.ms", "20", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[MANY];
    for (int i = 0; i < MANY; i++)
        tps[i] = (kafka_topic_partition_t){"many", i, 0};
    char err[1024];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, MANY, err, sizeof(err)), KAFKA_OK);
    int seen[MANY][30], notices[MANY];
    memset(seen, 0, sizeof(seen));
    memset(notices, 0, sizeof(notices));
    int want = 0, got = 0;
    for (int i = 0; i < MANY; i++)
        want += (int)(end[i] - start[i]);
    for (int64_t until = kafka_test_now_ms() + 10000; got < want && kafka_test_now_ms() < until;) {
        kafka_message_t *msgs[64];
        size_t n = 0;
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET) {
            int p = -1;
            CU_ASSERT_EQUAL(sscanf(err, "many/%d:", &p), 1);
            if (p >= 0 && p < MANY)
                notices[p]++;
            continue;
        }
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        if (e)
            fprintf(stderr, "poll: %s\n", err);
        for (size_t i = 0; i < n; i++) {
            int32_t p = kafka_message_partition(msgs[i]);
            int64_t off = kafka_message_offset(msgs[i]);
            CU_ASSERT(p >= 0 && p < MANY && off >= start[p] && off < end[p]);
            if (p >= 0 && p < MANY && off >= 0 && off < 30)
                seen[p][off]++;
            got++;
            kafka_message_destroy(msgs[i]);
        }
    }
    CU_ASSERT_EQUAL(got, want);
    for (int i = 0; i < MANY; i++) {
        CU_ASSERT_EQUAL(notices[i], 1);
        for (int64_t off = start[i]; off < end[i]; off++)
            CU_ASSERT_EQUAL(seen[i][off], 1);
        CU_ASSERT_EQUAL(kafka_consumer_position(c, "many", i), end[i]);
    }
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    CU_ASSERT_EQUAL(st.offset_resets, MANY);
    int64_t skipped = 0;
    for (int i = 0; i < MANY; i++)
        skipped += start[i];
    CU_ASSERT_EQUAL(st.offsets_skipped, skipped);
    /* One per broker (a second round allowed for a fetcher whose partitions came to the
     * reset in two Fetch answers); one per partition would be 24. */
    kafka_request_stats_t rs[64];
    size_t nrs = kafka_consumer_request_stats(c, rs, 64);
    int64_t lists = kafka_test_api_requests(rs, nrs < 64 ? nrs : 64, KAFKA_API_LIST_OFFSETS);
    fprintf(stderr, "  %lld ListOffsets for the reset of %d partitions on 3 brokers\n", (long long)lists, MANY);
    CU_ASSERT(lists >= 3 && lists <= 6);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

#ifdef KAFKA_HAVE_RDKAFKA

#include "rdk_data.h"

/* Messages 0..N-1 into partition 0 (every 11th+3 of them 200 KiB: ~7 MB in all), so the
 * mock deletes the first ones. */
#define N 400

static int64_t log_start, high_watermark;

static const char *start_trimmed(const char *topic) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, topic, 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, topic, 1, 0, N);
    CU_ASSERT_EQUAL(rd_kafka_query_watermark_offsets(rk, topic, 0, &log_start, &high_watermark, 5000),
                    RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
    CU_ASSERT_EQUAL(high_watermark, N);
    CU_ASSERT(log_start > 0 && log_start < N - 20); /* the mock deleted the first ones */
    return bs;
}

/* Polls until the position reaches the high watermark (or 10 s): checks each message
 * (message i at offset i, offsets going up by one from *next), counts the notices and
 * keeps the last one's text, and where the first message after it was. */
typedef struct run_s {
    int64_t next, first_after_notice;
    int notices, got;
    char notice[1024];
} run_t;

static void run_to_end(kafka_consumer_t *c, const char *topic, run_t *r) {
    int64_t until = kafka_test_now_ms() + 10000;
    while (kafka_consumer_position(c, topic, 0) < N && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[128];
        size_t n;
        char err[1024];
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, 128, &n, err, sizeof(err));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET) {
            r->notices++;
            snprintf(r->notice, sizeof(r->notice), "%s", err);
            r->first_after_notice = -1;
            continue;
        }
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        if (e)
            fprintf(stderr, "poll: %s\n", err);
        for (size_t i = 0; i < n; i++) {
            int64_t off = kafka_message_offset(msgs[i]);
            if (r->notices && r->first_after_notice < 0) {
                r->first_after_notice = off;
                r->next = off;
            }
            CU_ASSERT_EQUAL(off, r->next);
            check_message(msgs[i], topic, 0, (int)off, off);
            r->next = off + 1;
            r->got++;
            kafka_message_destroy(msgs[i]);
        }
    }
    CU_ASSERT_EQUAL(kafka_consumer_position(c, topic, 0), N);
    CU_ASSERT_EQUAL(kafka_consumer_high_watermark(c, topic, 0), N);
}

/* From the beginning: the log start's message first, every one to the high watermark,
 * nothing to report. */
static void test_beginning(void) {
    const char *bs = start_trimmed("ret");
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    kafka_topic_partition_t tp = {"ret", 0, KAFKA_OFFSET_BEGINNING};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "ret", 0), log_start);
    run_t r = {log_start, -1, 0, 0, ""};
    run_to_end(c, "ret", &r);
    CU_ASSERT_EQUAL(r.got, N - log_start);
    CU_ASSERT_EQUAL(r.notices, 0);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* Offset 0, deleted: reset=earliest goes on from the log start, reset=latest from the
 * end; either way poll() reports the gap once, before the messages after it. */
static void test_deleted_offset(void) {
    const char *bs = start_trimmed("gone");
    const char *resets[] = {"earliest", "latest"};
    for (int k = 0; k < 2; k++) {
        const char *kv[] = {"auto.offset.reset", resets[k], NULL};
        kafka_consumer_t *c = kafka_test_consumer(bs, kv);
        kafka_topic_partition_t tp = {"gone", 0, 0};
        char err[512];
        CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
        run_t r = {0, -1, 0, 0, ""};
        run_to_end(c, "gone", &r);
        int64_t to = k == 0 ? log_start : N;
        CU_ASSERT_EQUAL(r.notices, 1);
        CU_ASSERT_EQUAL(r.got, N - to);
        if (k == 0)
            CU_ASSERT_EQUAL(r.first_after_notice, log_start);
        char want[300];
        snprintf(want, sizeof(want), "gone/0: offset 0 is out of range on broker 1");
        CU_ASSERT(strstr(r.notice, want) != NULL);
        snprintf(want, sizeof(want), "log start %lld, high watermark %d", (long long)log_start, N);
        CU_ASSERT(strstr(r.notice, want) != NULL);
        snprintf(want, sizeof(want), "auto.offset.reset=%s moved the position to %lld, so offsets 0..%lld were not read",
                 resets[k], (long long)to, (long long)to - 1);
        CU_ASSERT(strstr(r.notice, want) != NULL);
        if (r.notices != 1 || !strstr(r.notice, want))
            fprintf(stderr, "notices %d, last: %s\n", r.notices, r.notice);
        /* Once: nothing more to report at the end. */
        kafka_message_t *msgs[8];
        size_t n;
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 200, msgs, 8, &n, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(n, 0);
        kafka_consumer_destroy(c);
    }
    stop_rdkafka_mock();
}

/* An offset past the end moved back to it by reset=latest skips nothing: no report. */
static void test_past_end(void) {
    const char *bs = start_trimmed("past");
    const char *kv[] = {"auto.offset.reset", "latest", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tp = {"past", 0, N + 50};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    int64_t until = kafka_test_now_ms() + 5000;
    while (kafka_consumer_position(c, "past", 0) != N && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[8];
        size_t n;
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 100, msgs, 8, &n, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(n, 0);
    }
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "past", 0), N);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

static CU_TestInfo tests[] = {
    {"from the beginning of a trimmed log: everything it holds, to the high watermark", test_beginning},
    {"a deleted offset: the reset's gap reported once, in its place", test_deleted_offset},
    {"an offset past the end: back to it, nothing reported", test_past_end},
    {"kafka-mock: 24 partitions out of range at once, one ListOffsets per broker", test_many_out_of_range},
    CU_TEST_INFO_NULL,
};

#else

static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {
    {"skipped (no librdkafka)", test_skipped},
    {"kafka-mock: 24 partitions out of range at once, one ListOffsets per broker", test_many_out_of_range},
    CU_TEST_INFO_NULL,
};

#endif

KAFKA_TEST_MAIN("consumer_retention", tests)
