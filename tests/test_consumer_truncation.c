/* Leader epochs in the consumer loop (KIP-320): each Fetch carries the leader epoch the
 * metadata gave (CurrentLeaderEpoch), a broker with a newer one fences it, and after an
 * epoch change the consumer asks OffsetForLeaderEpoch where the epoch it read ended.
 * An unclean leader election that truncated the log behind the consumer is reported
 * (KAFKA_ERR__LOG_TRUNCATION, naming the offsets lost) and reading goes on in the new
 * history; an ordinary leader change costs nothing: no error, no message twice. With
 * Fetch v13+ (the latest profile) the Fetch's LastFetchedEpoch tells it instead
 * (DivergingEpoch), no OffsetForLeaderEpoch sent; 2.4 (Fetch v11) asks. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/consumer.h"
#include "kafka/message.h"
#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "kafka/reqstats.h"
#include "testutil.h"

#define TOPIC "trunc"

typedef struct read_s {
    int old_seen[200], new_seen[200], x_seen[200]; /* per index of "o-"/"n-"/"x-" messages: how often read */
    int64_t last_offset;
    int truncations;
    char why[1200];
} read_t;

/* Polls until want messages came or 10 s passed; counts them per prefix and notes the
 * LOG_TRUNCATION reports. Any other error fails the test. */
static int poll_some(kafka_consumer_t *c, read_t *r, int want) {
    int got = 0;
    int64_t deadline = kafka_test_now_ms() + 10000;
    while (got < want && kafka_test_now_ms() < deadline) {
        kafka_message_t *msgs[64];
        size_t n = 0;
        char err[1200];
        kafka_err_t e = kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err));
        if (e == KAFKA_ERR__LOG_TRUNCATION) {
            r->truncations++;
            snprintf(r->why, sizeof(r->why), "%s", err);
        } else if (e) {
            fprintf(stderr, "poll: %s: %s\n", kafka_err_name(e), err);
            CU_FAIL("unexpected poll error");
        }
        for (size_t i = 0; i < n; i++) {
            int32_t len;
            const char *v = kafka_message_payload(msgs[i], &len);
            unsigned long idx = strtoul(v + 2, NULL, 10);
            if (idx < 200)
                (v[0] == 'o' ? r->old_seen : v[0] == 'n' ? r->new_seen : r->x_seen)[idx]++;
            r->last_offset = kafka_message_offset(msgs[i]);
            kafka_message_destroy(msgs[i]);
            got++;
        }
    }
    return got;
}

/* OffsetForLeaderEpoch requests c made (to any broker). */
static int64_t validations(kafka_consumer_t *c) {
    kafka_request_stats_t st[64];
    size_t n = kafka_consumer_request_stats(c, st, 64);
    return kafka_test_api_requests(st, n < 64 ? n : 64, KAFKA_API_OFFSET_FOR_LEADER_EPOCH);
}

/* The TRUNCATION warnings the consumers logged: how many, and the last. */
static atomic_int truncation_logs;
static char truncation_log[1024];
static pthread_mutex_t truncation_log_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_log(int level, const char *facility, const char *message, void *opaque) {
    (void)opaque;
    if (level != 4 || strcmp(facility, "TRUNCATION") != 0)
        return;
    pthread_mutex_lock(&truncation_log_lock);
    snprintf(truncation_log, sizeof(truncation_log), "%s", message);
    pthread_mutex_unlock(&truncation_log_lock);
    atomic_fetch_add(&truncation_logs, 1);
}

static kafka_consumer_t *consumer(const char *bs, const char *reset) {
    const char *kv[] = {"auto.offset.reset", reset, "retry.backoff.ms", "20", "metadata.max.age.ms", "60000",
                        NULL};
    kafka_conf_t *conf = kafka_test_conf(bs, kv);
    kafka_conf_set_log_cb(conf, on_log, NULL);
    char cerr[512];
    kafka_consumer_t *c = kafka_consumer_new(conf, cerr, sizeof(cerr));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_topic_partition_t tp = {TOPIC, 0, KAFKA_OFFSET_BEGINNING};
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    return c;
}

static kafka_mock_t *cluster_of(const char *version) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    conf.kafka_version = version;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, TOPIC, 1, 3), KAFKA_OK);
    return m;
}

static kafka_mock_t *cluster(void) { return cluster_of(NULL); }

static void truncation_reported(const char *version) {
    bool by_fetch = !version; /* latest: Fetch v17 */
    atomic_store(&truncation_logs, 0);
    kafka_mock_t *m = cluster_of(version);
    const char *bs = kafka_mock_bootstrap(m);
    const char *small[] = {"batch.size", "1000", NULL}; /* ~10 messages a batch: the truncation keeps a prefix */
    kafka_test_produce(bs, small, TOPIC, 1, 100, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "earliest");
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 100), 100);
    CU_ASSERT_EQUAL(r.last_offset, 99);
    /* An unclean election loses 60.. (at a batch boundary at or before 60); the new
     * leader writes 30 messages of its own from there. */
    int64_t end = -1;
    CU_ASSERT_EQUAL_FATAL(kafka_mock_partition_truncate(m, TOPIC, 0, 60, &end), KAFKA_OK);
    CU_ASSERT(end >= 40 && end <= 60);
    kafka_test_produce(bs, NULL, TOPIC, 1, 30, 40, "n-");
    int got = poll_some(c, &r, 30);
    CU_ASSERT_EQUAL(got, 30);
    CU_ASSERT_EQUAL(r.truncations, 1);
    CU_ASSERT(by_fetch ? validations(c) == 0 : validations(c) >= 1);
    char want[128];
    snprintf(want, sizeof(want), "truncated at offset %lld", (long long)end);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, want));
    /* logged once as a warning too, either way it was found */
    CU_ASSERT_EQUAL(atomic_load(&truncation_logs), 1);
    pthread_mutex_lock(&truncation_log_lock);
    CU_ASSERT_PTR_NOT_NULL(strstr(truncation_log, want));
    pthread_mutex_unlock(&truncation_log_lock);
    snprintf(want, sizeof(want), "poll() had returned offsets %lld..99 of the lost history", (long long)end);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.why, want));
    fprintf(stderr, "  reported: %s\n", r.why);
    for (int i = 0; i < 30; i++)
        CU_ASSERT_EQUAL(r.new_seen[i], 1);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(r.old_seen[i], 1); /* nothing of the old history read again */
    CU_ASSERT_EQUAL(r.last_offset, end + 29);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, TOPIC, 0), end + 30);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

static void test_truncation_reported(void) { truncation_reported(NULL); }
static void test_truncation_reported_24(void) { truncation_reported("2.4"); }

/* auto.offset.reset=error: the partition fails with the cause instead of moving. */
static void test_truncation_under_reset_error(void) {
    kafka_mock_t *m = cluster();
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 1, 50, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "error");
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 50), 50);
    CU_ASSERT_EQUAL(kafka_mock_partition_truncate(m, TOPIC, 0, 10, NULL), KAFKA_OK);
    kafka_err_t e = KAFKA_OK;
    char err[1200] = "";
    for (int64_t deadline = kafka_test_now_ms() + 10000; !e && kafka_test_now_ms() < deadline;) {
        kafka_message_t *msgs[8];
        size_t n = 0;
        e = kafka_consumer_poll(c, 100, msgs, 8, &n, err, sizeof(err));
        CU_ASSERT_EQUAL(n, 0);
    }
    CU_ASSERT_EQUAL(e, KAFKA_ERR__LOG_TRUNCATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unclean leader election lost offsets"));
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Leadership moves (epoch bumps) without loss: validated, no error, nothing twice. */
static void leader_change_no_truncation(const char *version) {
    bool by_fetch = !version;
    kafka_mock_t *m = cluster_of(version);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_test_produce(bs, NULL, TOPIC, 1, 40, 40, "o-");
    kafka_consumer_t *c = consumer(bs, "earliest");
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 40), 40);
    /* Leader to broker 2 (epoch 1), 40 "n-"; then to broker 3 (epoch 2), 80 "x-". */
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, 0, 2), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 1, 40, 40, "n-");
    int got = poll_some(c, &r, 40);
    CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, TOPIC, 0, 3), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 1, 80, 40, "x-");
    got += poll_some(c, &r, 80);
    CU_ASSERT_EQUAL(got, 120);
    CU_ASSERT_EQUAL(r.truncations, 0);
    for (int i = 0; i < 40; i++) {
        CU_ASSERT_EQUAL(r.old_seen[i], 1);
        CU_ASSERT_EQUAL(r.new_seen[i], 1);
    }
    for (int i = 0; i < 80; i++)
        CU_ASSERT_EQUAL(r.x_seen[i], 1);
    /* latest: each Fetch's LastFetchedEpoch checked; 2.4: one check per epoch change */
    CU_ASSERT(by_fetch ? validations(c) == 0 : validations(c) >= 2);
    CU_ASSERT_EQUAL(r.last_offset, 159);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* Unclean elections in 8 partitions at once: each reported. On 2.4 in one
 * OffsetForLeaderEpoch per leader broker (the fetcher checks every partition waiting for
 * it together), not one request per partition; on latest (Fetch v13+) by DivergingEpoch,
 * with no request at all. */
static void truncations_checked_together(const char *version) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    conf.kafka_version = version;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_topic_create(m, TOPIC, 8, 3), KAFKA_OK);
    const char *bs = kafka_mock_bootstrap(m);
    const char *small[] = {"batch.size", "1000", NULL};
    kafka_test_produce(bs, small, TOPIC, 8, 160, 40, "o-");
    const char *kv[] = {"auto.offset.reset", "earliest", "retry.backoff.ms", "20", "metadata.max.age.ms", "60000",
                        NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[8];
    for (int p = 0; p < 8; p++)
        tps[p] = (kafka_topic_partition_t){TOPIC, p, KAFKA_OFFSET_BEGINNING};
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, 8, err, sizeof(err)), KAFKA_OK);
    read_t r;
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(poll_some(c, &r, 160), 160);
    int64_t before = validations(c);
    for (int p = 0; p < 8; p++)
        CU_ASSERT_EQUAL_FATAL(kafka_mock_partition_truncate(m, TOPIC, p, 15, NULL), KAFKA_OK);
    kafka_test_produce(bs, NULL, TOPIC, 8, 80, 40, "n-");
    CU_ASSERT_EQUAL(poll_some(c, &r, 80), 80);
    int64_t checks = validations(c) - before;
    fprintf(stderr, "  %lld OffsetForLeaderEpoch requests for 8 partitions\n", (long long)checks);
    CU_ASSERT(version ? checks >= 1 && checks < 8 : checks == 0);
    CU_ASSERT_EQUAL(r.truncations, 8);
    for (int i = 0; i < 80; i++)
        CU_ASSERT_EQUAL(r.new_seen[i], 1);
    for (int i = 0; i < 160; i++)
        CU_ASSERT_EQUAL(r.old_seen[i], 1); /* nothing of the old history read again */
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}
static void test_truncations_checked_together(void) { truncations_checked_together(NULL); }
static void test_truncations_checked_together_24(void) { truncations_checked_together("2.4"); }
static void test_leader_change_no_truncation(void) { leader_change_no_truncation(NULL); }
static void test_leader_change_no_truncation_24(void) { leader_change_no_truncation("2.4"); }

static CU_TestInfo tests[] = {
    {"an unclean election behind the consumer: LOG_TRUNCATION, then the new history", test_truncation_reported},
    {"auto.offset.reset=error: the partition fails with LOG_TRUNCATION", test_truncation_under_reset_error},
    {"leader changes without loss: validated, nothing read twice", test_leader_change_no_truncation},
    {"2.4 (Fetch v11): the unclean election told by OffsetForLeaderEpoch", test_truncation_reported_24},
    {"2.4: leader changes validated by OffsetForLeaderEpoch, nothing read twice", test_leader_change_no_truncation_24},
    {"truncations in 8 partitions: each reported, by DivergingEpoch with no request", test_truncations_checked_together},
    {"2.4: truncations in 8 partitions: each reported, checked in one request per broker",
     test_truncations_checked_together_24},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_truncation", tests)
