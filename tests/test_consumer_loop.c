/* The consumer loop (assign / poll / position / commit_positions) reading what a
 * librdkafka producer wrote (rdk_data.h's sequence): librdkafka's mock cluster for data
 * with every codec, starts (offset, beginning, end, stored, time), faults while
 * consuming (Fetch errors, leader moves, brokers down and up: disconnects), commit /
 * stop / restart with Kafka- and file-stored offsets, sync, async and auto commit; our
 * mock for retention passing the position (auto.offset.reset) and the buffer bound.
 * Every test checks that each message comes exactly once, in offset order, and is the
 * one produced there. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

/* Under ThreadSanitizer everything runs several times slower: fewer messages. */
#if defined(__SANITIZE_THREAD__)
#define SCALE 10
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SCALE 10
#endif
#endif
#ifndef SCALE
#define SCALE 1
#endif

/* What a test expects of its partitions: message i of the sequence went to partition
 * i % nparts, so offset k of partition p holds message p + k * nparts. */
typedef struct expect_s {
    const char *topic;
    int nparts;
    int64_t next[16]; /* the offset expected next per partition */
    int64_t end[16];  /* how many messages each partition holds */
    int got, dups, gaps;
} expect_t;

static void expect_init(expect_t *x, const char *topic, int nparts, int total) {
    memset(x, 0, sizeof(*x));
    x->topic = topic;
    x->nparts = nparts;
    for (int i = 0; i < total; i++)
        x->end[i % nparts]++;
}

static int expect_left(const expect_t *x) {
    int left = 0;
    for (int p = 0; p < x->nparts; p++)
        left += (int)(x->end[p] - x->next[p]);
    return left;
}

/* Checks m against x (in order, no repeat, no gap, the produced content) and destroys it. */
static void expect_take(expect_t *x, kafka_message_t *m) {
    int p = kafka_message_partition(m);
    int64_t off = kafka_message_offset(m);
    CU_ASSERT_STRING_EQUAL(kafka_message_topic(m), x->topic);
    CU_ASSERT(p >= 0 && p < x->nparts);
    if (p >= 0 && p < x->nparts) {
        if (off < x->next[p])
            x->dups++;
        else if (off > x->next[p])
            x->gaps++;
        if (off != x->next[p])
            fprintf(stderr, "%s/%d: offset %lld, expected %lld\n", x->topic, p, (long long)off,
                    (long long)x->next[p]);
        else
            check_message(m, x->topic, p, p + (int)off * x->nparts, off);
        if (off >= x->next[p])
            x->next[p] = off + 1;
        x->got++;
    }
    kafka_message_destroy(m);
}

/* Polls c until x has everything or max_ms passed; calls between(k) after each poll
 * (and then polls at most 8 messages at a time, so that it is called often). */
static void drain(kafka_consumer_t *c, expect_t *x, int64_t max_ms, void (*between)(int got)) {
    int64_t until = kafka_test_now_ms() + max_ms;
    kafka_message_t *msgs[64];
    while (expect_left(x) > 0 && kafka_test_now_ms() < until) {
        size_t n;
        char err[512];
        kafka_err_t e = kafka_consumer_poll(c, 200, msgs, between ? 8 : 64, &n, err, sizeof(err));
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        if (e) {
            fprintf(stderr, "poll: %s\n", err);
            break;
        }
        for (size_t i = 0; i < n; i++)
            expect_take(x, msgs[i]);
        if (between)
            between(x->got);
    }
    CU_ASSERT_EQUAL(expect_left(x), 0);
    CU_ASSERT_EQUAL(x->dups, 0);
    CU_ASSERT_EQUAL(x->gaps, 0);
}

static void assign_all(kafka_consumer_t *c, const char *topic, int nparts, int64_t start) {
    kafka_topic_partition_t tps[16];
    for (int p = 0; p < nparts; p++)
        tps[p] = (kafka_topic_partition_t){topic, p, start};
    char err[512];
    kafka_err_t e = kafka_consumer_assign(c, tps, (size_t)nparts, err, sizeof(err));
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    if (e)
        fprintf(stderr, "assign: %s\n", err);
}

/* ---- data: every codec, several topics in one consumer ---- */

static void test_every_codec(void) {
    const char *bs = start_rdkafka_mock(3);
    const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    enum { NC = 5, NP = 3, N = 60 };
    expect_t x[NC];
    char topics[NC][32];
    kafka_topic_partition_t tps[NC * NP];
    for (int k = 0; k < NC; k++) {
        snprintf(topics[k], sizeof(topics[k]), "loop-%s", codecs[k]);
        rd_kafka_mock_topic_create(mc, topics[k], NP, 2);
        rd_kafka_t *rk = rd_producer(bs, codecs[k], "20");
        rdk_produce(rk, topics[k], NP, 0, N / 2);
        rdk_produce(rk, topics[k], NP, N / 2, N / 2); /* several batches per partition */
        rd_kafka_destroy(rk);
        expect_init(&x[k], topics[k], NP, N);
        for (int p = 0; p < NP; p++)
            tps[k * NP + p] = (kafka_topic_partition_t){topics[k], p, KAFKA_OFFSET_BEGINNING};
    }
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, NC * NP, err, sizeof(err)), KAFKA_OK);
    /* Small polls: partitions take turns and each keeps its order. */
    int64_t until = kafka_test_now_ms() + 20000;
    int left = NC * N;
    while (left > 0 && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[7];
        size_t n;
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 200, msgs, 7, &n, err, sizeof(err)), KAFKA_OK);
        for (size_t i = 0; i < n; i++) {
            int k = 0;
            while (k < NC - 1 && strcmp(kafka_message_topic(msgs[i]), topics[k]) != 0)
                k++;
            expect_take(&x[k], msgs[i]);
            left--;
        }
    }
    for (int k = 0; k < NC; k++) {
        CU_ASSERT_EQUAL(expect_left(&x[k]), 0);
        CU_ASSERT_EQUAL(x[k].dups + x[k].gaps, 0);
        for (int p = 0; p < NP; p++) {
            CU_ASSERT_EQUAL(kafka_consumer_position(c, topics[k], p), N / NP);
            CU_ASSERT_EQUAL(kafka_consumer_high_watermark(c, topics[k], p), N / NP);
        }
    }
    /* Nothing more: poll times out empty. */
    kafka_message_t *m;
    size_t n;
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 300, &m, 1, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(kafka_test_now_ms() - t0 >= 250);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "loop-none", 9), -1);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* ---- starts, seeks, bad assignments ---- */


/* On our mock: librdkafka 2.0.2's answers ListOffsets by time with the end. */
static void test_starts(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_mock_topic_create(m, "starts", 2, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    /* 20 per partition, one message per batch: our mock finds times per batch. */
    for (int i = 0; i < 40; i += 2)
        rdk_produce(rk, "starts", 2, i, 2);
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    char err[512];
    kafka_message_t *msgs[64];
    size_t n;
    /* p0 from offset 5, p1 from its end. */
    kafka_topic_partition_t tps[2] = {{"starts", 0, 5}, {"starts", 1, KAFKA_OFFSET_END}};
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, 2, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 0), 5);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 1), 20);
    expect_t x;
    expect_init(&x, "starts", 2, 40);
    x.next[0] = 5;
    x.next[1] = 20;
    drain(c, &x, 10000, NULL);
    /* New messages on both: p1 gives only those. */
    rdk_produce(rk, "starts", 2, 40, 10);
    x.end[0] += 5;
    x.end[1] += 5;
    drain(c, &x, 10000, NULL);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 1), 25);
    /* Assigning p0 alone keeps its position (25); a seek to its timestamp T0 + 30
     * (message 30: offset 15) moves it. */
    kafka_topic_partition_t only0 = {"starts", 0, KAFKA_OFFSET_BEGINNING};
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &only0, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 0), 25);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 1), -1); /* unassigned */
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "starts", 0, KAFKA_OFFSET_AT_TIME(T0 + 30), err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 0), 15);
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "starts", 1, 0, err, sizeof(err)), KAFKA_ERR__STATE);
    CU_ASSERT(strstr(err, "not assigned") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 5000, msgs, 64, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT(n >= 1);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(kafka_message_offset(msgs[i]), 15 + (int64_t)i);
        check_message(msgs[i], "starts", 0, 2 * (15 + (int)i), 15 + (int64_t)i);
        kafka_message_destroy(msgs[i]);
    }
    /* A time after every message: the end. */
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "starts", 0, KAFKA_OFFSET_AT_TIME(T0 + 100000), err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 0), 25);
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "starts", 0, KAFKA_OFFSET_BEGINNING, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 0), 0);
    /* Bad assignments change nothing and say why. */
    kafka_topic_partition_t bad[2] = {{"starts", 0, 0}, {"starts", 0, 1}};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, bad, 2, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "twice") != NULL);
    bad[0] = (kafka_topic_partition_t){"starts", 7, 0};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, bad, 1, err, sizeof(err)), KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    CU_ASSERT(strstr(err, "starts/7") != NULL && strstr(err, "2 partitions") != NULL);
    bad[0] = (kafka_topic_partition_t){"starts", 0, -3};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, bad, 1, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    bad[0] = (kafka_topic_partition_t){"starts", 1, KAFKA_OFFSET_STORED}; /* not assigned: resolved */
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, bad, 1, err, sizeof(err)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT(strstr(err, "group.id") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "starts", 0), 0); /* still assigned as before */
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_ERR__INVALID_CONF);
    /* Nothing assigned: poll says so at once. */
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, NULL, 0, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 1000, msgs, 64, &n, err, sizeof(err)), KAFKA_ERR__STATE);
    CU_ASSERT_EQUAL(n, 0);
    rd_kafka_destroy(rk);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* ---- faults while consuming ---- */

static rd_kafka_t *fault_rk;
static int fault_step;

/* Faults at points of the consumption, with more messages produced in between. */
static void inject(int got) {
    int at[] = {50, 150, 250, 350, 450, 550};
    if (fault_step >= 6 || got < at[fault_step] / SCALE)
        return;
    switch (fault_step++) {
    case 0: /* retriable Fetch errors */
        rd_kafka_mock_push_request_errors(mc, 1, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                          RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                                          RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
        break;
    case 1: /* every leader moves */
    case 3:
        for (int p = 0; p < 4; p++)
            rd_kafka_mock_partition_set_leader(mc, "faults", p, 1 + (p + fault_step) % 3);
        break;
    case 2: /* a broker down (its connections cut), then up */
    case 4:
        rd_kafka_mock_broker_set_down(mc, 1 + fault_step % 3);
        usleep(300 * 1000);
        rd_kafka_mock_broker_set_up(mc, 1 + fault_step % 3);
        break;
    default: /* more errors, including one the fetch sees on the whole request */
        rd_kafka_mock_push_request_errors(mc, 1, 2, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                          RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR);
        break;
    }
}

static void test_faults(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "faults", 4, 3);
    int total = 800 / SCALE;
    fault_rk = rd_producer(bs, "lz4", "5");
    rdk_produce(fault_rk, "faults", 4, 0, total);
    rd_kafka_destroy(fault_rk);
    fault_step = 0;
    /* Small fetches so the faults land between many of them. */
    const char *kv[] = {"max.partition.fetch.bytes", "20000", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    assign_all(c, "faults", 4, KAFKA_OFFSET_BEGINNING);
    expect_t x;
    expect_init(&x, "faults", 4, total);
    drain(c, &x, 60000, inject);
    CU_ASSERT(fault_step >= 4);
    for (int p = 0; p < 4; p++)
        CU_ASSERT_EQUAL(kafka_consumer_position(c, "faults", p), x.end[p]);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* The same on our mock: Fetch responses cut in the middle (connection closed), error
 * codes, leader moves, a broker down and up. */
static kafka_mock_t *cut_mock;
static int cut_step;

static void inject_ours(int got) {
    int at[] = {30, 80, 130, 180, 230};
    if (cut_step >= 5 || got < at[cut_step] / SCALE)
        return;
    switch (cut_step++) {
    case 0:
        kafka_mock_drop_next_response(cut_mock, KAFKA_API_FETCH, -1);
        break;
    case 1:
        kafka_mock_push_error(cut_mock, KAFKA_API_FETCH, -1, 2, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER);
        kafka_mock_drop_next_response(cut_mock, KAFKA_API_FETCH, -1);
        break;
    case 2:
        for (int p = 0; p < 4; p++)
            kafka_mock_partition_set_leader(cut_mock, "cut", p, (p + 1) % 3);
        break;
    case 3:
        kafka_mock_broker_set_down(cut_mock, 1, true);
        kafka_test_sleep_ms(300);
        kafka_mock_broker_set_down(cut_mock, 1, false);
        break;
    default:
        kafka_mock_push_error(cut_mock, KAFKA_API_FETCH, -1, 1, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
        break;
    }
}

static void test_faults_our_mock(void) {
    cut_mock = kafka_test_mock(3, true);
    const char *bs = kafka_mock_bootstrap(cut_mock);
    kafka_mock_topic_create(cut_mock, "cut", 4, 3);
    int total = 400 / SCALE;
    rd_kafka_t *rk = rd_producer(bs, "snappy", "5");
    rdk_produce(rk, "cut", 4, 0, total);
    rd_kafka_destroy(rk);
    cut_step = 0;
    const char *kv[] = {"max.partition.fetch.bytes", "20000", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    assign_all(c, "cut", 4, KAFKA_OFFSET_BEGINNING);
    expect_t x;
    expect_init(&x, "cut", 4, total);
    drain(c, &x, 60000, inject_ours);
    CU_ASSERT(cut_step >= 3);
    /* Every broker down: the fetchers back off reconnecting; destroy does not wait. */
    for (int b = 0; b < 3; b++)
        kafka_mock_broker_set_down(cut_mock, b, true);
    kafka_test_sleep_ms(1500);
    int64_t t0 = kafka_test_now_ms();
    kafka_consumer_destroy(c);
    CU_ASSERT(kafka_test_now_ms() - t0 < 500);
    kafka_mock_destroy(cut_mock);
}

/* A partition assigned while it has no leader is fetched as soon as one is elected
 * (not at the next periodic metadata refresh, minutes later). */
static void test_leader_elected_later(void) {
    const char *bs = start_rdkafka_mock(2);
    rd_kafka_mock_topic_create(mc, "nolead", 1, 2);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, "nolead", 1, 0, 10);
    rd_kafka_destroy(rk);
    rd_kafka_mock_partition_set_leader(mc, "nolead", 0, -1);
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    assign_all(c, "nolead", 1, 0);
    kafka_message_t *m;
    size_t n;
    char err[512];
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 300, &m, 1, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(n, 0);
    rd_kafka_mock_partition_set_leader(mc, "nolead", 0, 2);
    int64_t t0 = kafka_test_now_ms();
    expect_t x;
    expect_init(&x, "nolead", 1, 10);
    drain(c, &x, 5000, NULL);
    CU_ASSERT(kafka_test_now_ms() - t0 < 3000);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

/* ---- commit, stop, restart, resume ---- */

static int async_calls;
static kafka_err_t async_err;
static pthread_mutex_t async_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_commit(kafka_consumer_t *c, kafka_err_t err, const char *errstr, const kafka_topic_partition_t *tps,
                      size_t n, void *opaque) {
    (void)c;
    (void)opaque;
    if (err)
        fprintf(stderr, "async commit: %s\n", errstr);
    pthread_mutex_lock(&async_lock);
    async_calls++;
    async_err = err;
    CU_ASSERT(n >= 1 && n <= 3);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT(tps[i].offset > 0);
    pthread_mutex_unlock(&async_lock);
}

/* Takes exactly want messages from c into x. */
static void take_some(kafka_consumer_t *c, expect_t *x, int want) {
    int64_t until = kafka_test_now_ms() + 10000;
    int start = x->got;
    while (x->got - start < want && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[16];
        size_t n;
        char err[512];
        size_t max = (size_t)(want - (x->got - start));
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 200, msgs, max < 16 ? max : 16, &n, err, sizeof(err)), KAFKA_OK);
        for (size_t i = 0; i < n; i++)
            expect_take(x, msgs[i]);
    }
    CU_ASSERT_EQUAL(x->got - start, want);
}

/* Three consumers in turn on the same storage (kv), each resuming from the committed
 * positions: by sync commit, by async commit, by auto commit at destroy. */
static void resume_three_times(const char *bs, const char *topic, const char *const *kv, int total) {
    expect_t x;
    expect_init(&x, topic, 3, total);
    char err[512];
    /* 1: sync commit of what it took. */
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    assign_all(c, topic, 3, KAFKA_OFFSET_STORED);
    take_some(c, &x, total / 4);
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, false, err, sizeof(err)), KAFKA_OK);
    for (int p = 0; p < 3; p++) {
        int64_t off = -2;
        CU_ASSERT_EQUAL(kafka_consumer_committed(c, topic, p, &off, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(off, x.next[p]);
        CU_ASSERT_EQUAL(kafka_consumer_position(c, topic, p), x.next[p]);
    }
    kafka_consumer_destroy(c); /* enable.auto.commit=false in kv: nothing more stored */
    /* 2: resumes there; async commit with its callback. */
    c = kafka_test_consumer(bs, kv);
    kafka_consumer_set_commit_cb(c, on_commit, NULL);
    assign_all(c, topic, 3, KAFKA_OFFSET_STORED);
    take_some(c, &x, total / 4);
    async_calls = 0;
    CU_ASSERT_EQUAL(kafka_consumer_commit_positions(c, true, err, sizeof(err)), KAFKA_OK);
    int64_t until = kafka_test_now_ms() + 5000;
    int calls = 0;
    while (!calls && kafka_test_now_ms() < until) {
        kafka_test_sleep_ms(10);
        pthread_mutex_lock(&async_lock);
        calls = async_calls;
        pthread_mutex_unlock(&async_lock);
    }
    pthread_mutex_lock(&async_lock);
    CU_ASSERT_EQUAL(async_calls, 1);
    CU_ASSERT_EQUAL(async_err, KAFKA_OK);
    pthread_mutex_unlock(&async_lock);
    /* Stored: every position (the partitions that had not moved were already). */
    for (int p = 0; p < 3; p++) {
        int64_t off = -2;
        CU_ASSERT_EQUAL(kafka_consumer_committed(c, topic, p, &off, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(off, x.next[p]);
    }
    kafka_consumer_destroy(c);
    /* 3: auto commit on (interval 50 ms): positions stored by destroy. */
    const char *kv_auto[16];
    size_t k = 0;
    for (; kv[k]; k++)
        kv_auto[k] = kv[k];
    kv_auto[k++] = "enable.auto.commit";
    kv_auto[k++] = "true";
    kv_auto[k++] = "auto.commit.interval.ms";
    kv_auto[k++] = "50";
    kv_auto[k] = NULL;
    c = kafka_test_consumer(bs, kv_auto);
    assign_all(c, topic, 3, KAFKA_OFFSET_STORED);
    take_some(c, &x, total / 4);
    kafka_consumer_destroy(c);
    /* 4: the rest, from there: nothing skipped, nothing repeated. */
    c = kafka_test_consumer(bs, kv);
    assign_all(c, topic, 3, KAFKA_OFFSET_STORED);
    for (int p = 0; p < 3; p++)
        CU_ASSERT_EQUAL(kafka_consumer_position(c, topic, p), x.next[p]);
    drain(c, &x, 10000, NULL);
    CU_ASSERT_EQUAL(x.got, total);
    kafka_consumer_destroy(c);
}

static void test_resume_kafka(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "resume", 3, 2);
    rd_kafka_t *rk = rd_producer(bs, "zstd", "5");
    rdk_produce(rk, "resume", 3, 0, 300 / SCALE);
    rd_kafka_destroy(rk);
    const char *kv[] = {"group.id", "loop-group", "enable.auto.commit", "false", "auto.offset.reset", "earliest", NULL};
    resume_three_times(bs, "resume", kv, 300 / SCALE);
    /* STORED with nothing stored and auto.offset.reset=error: a clear error. */
    const char *kv_err[] = {"group.id", "fresh-group", "auto.offset.reset", "error", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv_err);
    kafka_topic_partition_t tp = {"resume", 0, KAFKA_OFFSET_STORED};
    char err[512];
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_ERR__NO_OFFSET);
    CU_ASSERT(strstr(err, "resume/0") != NULL);
    kafka_consumer_destroy(c);
    stop_rdkafka_mock();
}

static void test_resume_file(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "resume-file", 3, 1);
    rd_kafka_t *rk = rd_producer(bs, "gzip", "5");
    rdk_produce(rk, "resume-file", 3, 0, 240 / SCALE);
    rd_kafka_destroy(rk);
    char path[] = "/tmp/kafka-loop-offsets-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    unlink(path);
    const char *kv[] = {"offsets.storage", "file", "offsets.file", path, "enable.auto.commit", "false",
                        "auto.offset.reset", "earliest", NULL};
    resume_three_times(bs, "resume-file", kv, 240 / SCALE);
    unlink(path);
    stop_rdkafka_mock();
}

/* ---- our mock: retention passes the position; the buffer bound ---- */

static void test_out_of_range(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_mock_topic_create(m, "oor", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "0");
    rdk_produce(rk, "oor", 1, 0, 50);
    /* reset=error: poll reports it once, naming the partition and the range. */
    const char *kv_err[] = {"auto.offset.reset", "error", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv_err);
    kafka_topic_partition_t tp = {"oor", 0, 80}; /* past the end */
    char err[1024];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *msgs[64];
    size_t n;
    kafka_err_t e = KAFKA_OK;
    for (int i = 0; i < 20 && !e; i++)
        e = kafka_consumer_poll(c, 200, msgs, 64, &n, err, sizeof(err));
    CU_ASSERT_EQUAL(e, KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    CU_ASSERT(strstr(err, "oor/0") != NULL && strstr(err, "auto.offset.reset=error") != NULL &&
              strstr(err, "high watermark 50") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 200, msgs, 64, &n, err, sizeof(err)), KAFKA_OK); /* once */
    CU_ASSERT_EQUAL(n, 0);
    /* Assigned again at a valid offset, it goes on. */
    tp.offset = 48;
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    expect_t x;
    expect_init(&x, "oor", 1, 50);
    x.next[0] = 48;
    drain(c, &x, 5000, NULL);
    kafka_consumer_destroy(c);
    /* reset=latest: an offset past the end jumps to the end; what comes after is read. */
    const char *kv_latest[] = {"auto.offset.reset", "latest", NULL};
    c = kafka_test_consumer(bs, kv_latest);
    tp.offset = 80;
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    int64_t until_end = kafka_test_now_ms() + 5000;
    while (kafka_consumer_position(c, "oor", 0) != 50 && kafka_test_now_ms() < until_end) {
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 100, msgs, 64, &n, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL(n, 0);
    }
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "oor", 0), 50);
    rdk_produce(rk, "oor", 1, 50, 5);
    expect_init(&x, "oor", 1, 55);
    x.next[0] = 50;
    drain(c, &x, 5000, NULL);
    kafka_consumer_destroy(c);
    /* reset=earliest: retention removes what the consumer would read next. */
    const char *kv[] = {"auto.offset.reset", "earliest", NULL};
    c = kafka_test_consumer(bs, kv);
    tp.offset = 0;
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    expect_init(&x, "oor", 1, 50);
    take_some(c, &x, 10);
    kafka_mock_set_retention(m, 1); /* older segments go: the log starts at the last batch */
    rdk_produce(rk, "oor", 1, 55, 10);
    int64_t log_start = -1, hw = -1;
    kafka_mock_partition_offsets(m, "oor", 0, &log_start, &hw);
    CU_ASSERT(log_start > x.next[0] && hw == 65);
    /* What was buffered before still comes; then the position jumps to a log start
     * (retention may have moved it again since): offsets only go up, and everything
     * retention kept comes. */
    bool seen[65] = {false};
    const int64_t next_before = x.next[0];
    int resets = 0;
    int64_t until = kafka_test_now_ms() + 10000;
    while (kafka_consumer_position(c, "oor", 0) < 65 && kafka_test_now_ms() < until) {
        kafka_err_t e = kafka_consumer_poll(c, 200, msgs, 64, &n, err, sizeof(err));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET) { /* the jump skipped offsets not yet fetched */
            resets++;
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "oor"));
            continue;
        }
        CU_ASSERT_EQUAL(e, KAFKA_OK);
        for (size_t i = 0; i < n; i++) {
            int64_t off = kafka_message_offset(msgs[i]);
            CU_ASSERT(off >= x.next[0] && off < 65);
            if (off >= x.next[0] && off < 65) {
                seen[off] = true;
                check_message(msgs[i], "oor", 0, (int)off, off);
                x.next[0] = off + 1;
            }
            kafka_message_destroy(msgs[i]);
        }
    }
    for (int64_t off = log_start; off < 65; off++)
        CU_ASSERT_TRUE(seen[off]);
    /* Whether a jump skipped anything depends on how much was fetched before retention
     * ran; each batch the producer adds can move the log start again, so there may be
     * more than one jump. poll() said so for each, and never without a skip. */
    bool skipped = false;
    for (int64_t off = next_before; off < log_start; off++)
        skipped |= !seen[off];
    if (skipped != (resets > 0))
        fprintf(stderr, "oor: %d reset reports, skipped %s\n", resets, skipped ? "yes" : "no");
    CU_ASSERT(skipped ? resets >= 1 : resets == 0);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "oor", 0), 65);
    kafka_consumer_destroy(c);
    rd_kafka_destroy(rk);
    kafka_mock_destroy(m);
}

/* Batches damaged on the broker's disk (a flipped byte: a CRC mismatch, or with the CRC
 * rewritten, gzip data that does not inflate): each comes from poll() as one invalid
 * message naming the cause and spanning the batch's offsets; everything around it comes
 * intact; the position moves past it (no fetch loop on the same bytes). */
static void test_damaged_batches(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_mock_topic_create(m, "damaged", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "gzip", "5");
    enum { N = 40 };
    for (int i = 0; i < N; i += 10)
        rdk_produce(rk, "damaged", 1, i, 10); /* a batch (or more) per call */
    rd_kafka_destroy(rk);
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_mock_partition_damage(m, "damaged", 0, 12, false), KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(kafka_mock_partition_damage(m, "damaged", 0, 25, true), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_partition_damage(m, "damaged", 0, N, true), KAFKA_ERR_OFFSET_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(kafka_mock_command(m, "damage damaged 0 35 nonsense", err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    kafka_consumer_t *c = kafka_test_consumer(bs, NULL);
    assign_all(c, "damaged", 1, KAFKA_OFFSET_BEGINNING);
    int covered[N] = {0};
    int crc_errors = 0, decode_errors = 0;
    int64_t next = 0, until = kafka_test_now_ms() + 10000;
    while (kafka_consumer_position(c, "damaged", 0) < N && kafka_test_now_ms() < until) {
        kafka_message_t *msgs[16];
        size_t n;
        CU_ASSERT_EQUAL(kafka_consumer_poll(c, 200, msgs, 16, &n, err, sizeof(err)), KAFKA_OK);
        for (size_t i = 0; i < n; i++) {
            int64_t off = kafka_message_offset(msgs[i]), end = kafka_message_next_offset(msgs[i]);
            CU_ASSERT_EQUAL(off, next); /* in order, no gap, no repeat */
            CU_ASSERT(end > off && end <= N);
            if (kafka_message_valid(msgs[i])) {
                CU_ASSERT_EQUAL(end, off + 1);
                check_message(msgs[i], "damaged", 0, (int)off, off);
            } else {
                const char *why = kafka_message_errstr(msgs[i]);
                fprintf(stderr, "invalid [%lld, %lld): %s: %s\n", (long long)off, (long long)end,
                        kafka_err_name(kafka_message_error(msgs[i])), why);
                CU_ASSERT(strstr(why, "damaged/0") != NULL);
                if (kafka_message_error(msgs[i]) == KAFKA_ERR__BAD_CRC) {
                    crc_errors++;
                    CU_ASSERT(off <= 12 && 12 < end);
                    CU_ASSERT(strstr(why, "CRC") != NULL);
                } else {
                    decode_errors++;
                    CU_ASSERT(off <= 25 && 25 < end);
                }
            }
            for (int64_t o = off; o < end && o < N; o++)
                covered[o]++;
            next = end;
            kafka_message_destroy(msgs[i]);
        }
    }
    CU_ASSERT_EQUAL(crc_errors, 1);
    CU_ASSERT_EQUAL(decode_errors, 1);
    for (int o = 0; o < N; o++)
        CU_ASSERT_EQUAL(covered[o], 1);
    CU_ASSERT_EQUAL(kafka_consumer_position(c, "damaged", 0), N);
    /* Nothing more comes: the damaged batches are not fetched again. */
    kafka_message_t *more;
    size_t n;
    CU_ASSERT_EQUAL(kafka_consumer_poll(c, 300, &more, 1, &n, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(n, 0);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

/* queued.max.messages.kbytes bounds what is fetched ahead; messages outlive the
 * consumer. */
static void test_buffer_bound(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    const char *bs = kafka_mock_bootstrap(m);
    kafka_mock_topic_create(m, "bound", 2, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    int total = SCALE > 1 ? 80 : 2000; /* under TSan the (instrumented) mock takes 200 KiB values slowly */
    rdk_produce(rk, "bound", 2, 0, total); /* ~10 MB: every 11th value is 200 KiB */
    rd_kafka_destroy(rk);
    const char *kv[] = {"queued.max.messages.kbytes", "1024", "max.partition.fetch.bytes", "262144", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    assign_all(c, "bound", 2, KAFKA_OFFSET_BEGINNING);
    kafka_message_t *first = NULL;
    size_t n;
    char err[512];
    while (!first) {
        CU_ASSERT_EQUAL_FATAL(kafka_consumer_poll(c, 2000, &first, 1, &n, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_FATAL(n == 1);
    }
    kafka_test_sleep_ms(300); /* the fetchers fill the buffer up to the bound and stop */
    /* Fetched ahead while the application did nothing, but no more than the bound plus
     * one response (each partition at most max.partition.fetch.bytes, or one batch
     * larger than that). */
    size_t ahead = kafka_consumer_buffered_bytes(c);
    CU_ASSERT(ahead > 256 * 1024);
    CU_ASSERT(ahead <= 1024 * 1024 + 2 * (262144 + BIG + 1024));
    if (ahead > 1024 * 1024 + 2 * (262144 + BIG + 1024))
        fprintf(stderr, "buffered %zu bytes\n", ahead);
    expect_t x;
    expect_init(&x, "bound", 2, total);
    expect_take(&x, first);
    drain(c, &x, 20000, NULL);
    /* A message kept past the consumer's destroy stays readable. */
    kafka_topic_partition_t tp = {"bound", 0, KAFKA_OFFSET_STORED}; /* kept where it is */
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, &tp, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_consumer_seek(c, "bound", 0, 3, err, sizeof(err)), KAFKA_OK);
    kafka_message_t *kept = NULL;
    for (int i = 0; i < 20 && !kept; i++)
        kafka_consumer_poll(c, 200, &kept, 1, &n, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(kept);
    kafka_consumer_destroy(c);
    check_message(kept, "bound", 0, 6, 3);
    kafka_message_destroy(kept);
    kafka_mock_destroy(m);
}
#endif

static CU_TestInfo tests[] = {
#ifdef KAFKA_HAVE_RDKAFKA
    {"every codec, 5 topics x 3 partitions, one assignment", test_every_codec},
    {"starts: offset, end, time, seek, bad assignments", test_starts},
    {"faults while consuming: nothing skipped or repeated", test_faults},
    {"faults on our mock: cut responses, errors, moves, a broker down", test_faults_our_mock},
    {"a partition without a leader at assign is read once one is elected", test_leader_elected_later},
    {"commit, stop, restart, resume: Kafka offsets", test_resume_kafka},
    {"commit, stop, restart, resume: offsets file", test_resume_file},
    {"out of range: error once, reset to the end, or to the log start", test_out_of_range},
    {"damaged batches on the broker: invalid messages, then the rest", test_damaged_batches},
    {"buffer bound; messages outlive the consumer", test_buffer_bound},
#endif
    CU_TEST_INFO_NULL};

KAFKA_TEST_MAIN("consumer_loop", tests)
