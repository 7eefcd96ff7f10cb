/* librdkafka 2.0.2 (an independent client) against our mock cluster: every codec with
 * the idempotent producer, a consumer reading back exactly what was written, offset
 * commits resumed by a second consumer, faults injected into the mock and observed by
 * the client, ListOffsets, retention, and the Kafka 0.8 (legacy) protocol. Each test
 * starts and destroys its own 3-broker cluster; every wait has a deadline. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/mock.h"
#include "kafka/protocol.h"
#include "util/buf.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

/* Under ThreadSanitizer, tests/tsan_rdkafka.c makes librdkafka's threads visible. */

#define MAXMSG 4096
#define WAIT_MS 15000

/* ---- cluster and clients ---- */

static kafka_mock_t *start_cluster(bool legacy) {
    kafka_mock_conf_t conf;
    kafka_mock_conf_init(&conf);
    conf.brokers = 3;
    conf.legacy = legacy;
    kafka_mock_t *m = kafka_test_mock_new(&conf);
    CU_ASSERT_FATAL(strncmp(kafka_mock_bootstrap(m), "127.0.0.1:", 10) == 0);
    return m;
}

/* Delivery reports of one producer: per message (by its opaque index) the partition,
 * offset and when the report came. */
typedef struct dr_state_s {
    int ok, failed, errors_seen;
    rd_kafka_resp_err_t last_err;
    int32_t part[MAXMSG];
    int64_t off[MAXMSG];
    int64_t at_ms[MAXMSG];
    int reports[MAXMSG];
} dr_state_t;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    dr_state_t *st = opaque;
    intptr_t i = (intptr_t)msg->_private;
    if (msg->err) {
        st->failed++;
        st->last_err = msg->err;
        fprintf(stderr, "delivery of #%d failed: %s\n", (int)i, rd_kafka_err2str(msg->err));
    } else {
        st->ok++;
    }
    if (i >= 0 && i < MAXMSG) {
        st->part[i] = msg->partition;
        st->off[i] = msg->offset;
        st->at_ms[i] = kafka_test_now_ms();
        st->reports[i]++;
    }
}

/* Client-level errors (a broker connection lost, ...). */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    (void)reason;
    dr_state_t *st = opaque;
    if (st && (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN))
        st->errors_seen++;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, k, v, err, sizeof(err));
    if (r != RD_KAFKA_CONF_OK)
        fprintf(stderr, "%s=%s: %s\n", k, v, err);
    CU_ASSERT_EQUAL_FATAL(r, RD_KAFKA_CONF_OK);
}

/* Settings every client here shares: quick reconnects and refreshes, quiet logs. */
static rd_kafka_conf_t *base_conf(kafka_mock_t *m, bool legacy) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", kafka_mock_bootstrap(m));
    set(conf, "log_level", "2");
    set(conf, "reconnect.backoff.ms", "20");
    set(conf, "reconnect.backoff.max.ms", "200");
    set(conf, "retry.backoff.ms", "50");
    set(conf, "topic.metadata.refresh.interval.ms", "1000");
    set(conf, "socket.timeout.ms", "5000");
    if (getenv("KAFKA_TEST_RDKAFKA_DEBUG")) { /* e.g. "msg,protocol": librdkafka's own trace */
        set(conf, "log_level", "7");
        set(conf, "debug", getenv("KAFKA_TEST_RDKAFKA_DEBUG"));
    }
    if (legacy) {
        set(conf, "api.version.request", "false");
        set(conf, "broker.version.fallback", "0.8.2.2");
    }
    return conf;
}

/* extra: NULL-terminated key, value pairs. */
static rd_kafka_t *new_producer(kafka_mock_t *m, bool legacy, dr_state_t *st, const char *const *extra) {
    rd_kafka_conf_t *conf = base_conf(m, legacy);
    set(conf, "linger.ms", "5");
    set(conf, "message.timeout.ms", "20000");
    for (int i = 0; extra && extra[i]; i += 2)
        set(conf, extra[i], extra[i + 1]);
    memset(st, 0, sizeof(*st));
    rd_kafka_conf_set_opaque(conf, st);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    char err[256];
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!p)
        fprintf(stderr, "producer: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

static rd_kafka_t *new_consumer(kafka_mock_t *m, bool legacy, const char *group) {
    rd_kafka_conf_t *conf = base_conf(m, legacy);
    if (group)
        set(conf, "group.id", group);
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "true");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "fetch.wait.max.ms", "100");
    set(conf, "check.crcs", "true");
    char err[256];
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!c)
        fprintf(stderr, "consumer: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static void close_consumer(rd_kafka_t *c) {
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
}

/* Waits (bounded) until every message produced so far has a delivery report. */
static void flush_all(rd_kafka_t *p, dr_state_t *st, int expect_ok) {
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    while (rd_kafka_outq_len(p) > 0 && kafka_test_now_ms() < deadline)
        rd_kafka_flush(p, 100);
    CU_ASSERT_EQUAL(rd_kafka_outq_len(p), 0);
    CU_ASSERT_EQUAL(st->failed, 0);
    CU_ASSERT_EQUAL(st->ok, expect_ok);
}

/* ---- messages ---- */

static int key_of(int i, char *buf) { return snprintf(buf, 32, "k-%05d", i); }
/* Values vary in length and compress well, so every codec has work to do. */
static int value_of(const char *tag, int i, char *buf) {
    int n = snprintf(buf, 256, "%s-value-%05d-", tag, i);
    for (int k = 0; k < i % 97; k++)
        buf[n++] = (char)('a' + (i + k) % 7);
    buf[n] = 0;
    return n;
}

static void produce_one(rd_kafka_t *p, const char *topic, int32_t partition, const char *tag, int i, int64_t ts) {
    char key[32], val[256], idx[16];
    int kl = key_of(i, key), vl = value_of(tag, i, val), il = snprintf(idx, sizeof(idx), "%d", i);
    rd_kafka_resp_err_t e;
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    do {
        e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, (size_t)kl),
                              RD_KAFKA_V_VALUE(val, (size_t)vl), RD_KAFKA_V_HEADER("idx", idx, il),
                              RD_KAFKA_V_HEADER("tag", tag, -1), RD_KAFKA_V_TIMESTAMP(ts),
                              RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
    } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && kafka_test_now_ms() < deadline);
    CU_ASSERT_EQUAL(e, RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* What a consumer saw: per message index, how often and where. */
typedef struct seen_s {
    int total, bad, out_of_order;
    int count[MAXMSG];
    int32_t part[MAXMSG];
    int64_t off[MAXMSG];
    int64_t last_off[64]; /* per partition, to check order */
} seen_t;

static void seen_init(seen_t *s) {
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 64; i++)
        s->last_off[i] = -1;
}

/* Checks one consumed message against what was produced (key, value, headers unless
 * legacy) and records it. */
static void seen_add(seen_t *s, const rd_kafka_message_t *m, const char *tag, bool headers) {
    char key[32], val[256];
    int i = -1;
    if (m->key_len == 7 && memcmp(m->key, "k-", 2) == 0) {
        i = 0;
        for (int d = 2; d < 7; d++)
            i = i * 10 + (((const char *)m->key)[d] - '0');
    }
    if (i < 0 || i >= MAXMSG) {
        s->bad++;
        return;
    }
    int kl = key_of(i, key), vl = value_of(tag, i, val);
    bool ok = m->key_len == (size_t)kl && memcmp(m->key, key, (size_t)kl) == 0 && m->len == (size_t)vl &&
              memcmp(m->payload, val, (size_t)vl) == 0;
    if (headers) {
        rd_kafka_headers_t *h = NULL;
        const void *hv;
        size_t hl;
        char idx[16];
        int il = snprintf(idx, sizeof(idx), "%d", i);
        ok = ok && rd_kafka_message_headers(m, &h) == 0 && rd_kafka_header_get_last(h, "idx", &hv, &hl) == 0 &&
             hl == (size_t)il && memcmp(hv, idx, hl) == 0 && rd_kafka_header_get_last(h, "tag", &hv, &hl) == 0 &&
             hl == strlen(tag) && memcmp(hv, tag, hl) == 0;
    }
    if (!ok) {
        fprintf(stderr, "message #%d at %d/%lld does not match what was produced\n", i, (int)m->partition,
                (long long)m->offset);
        s->bad++;
    }
    if (m->partition >= 0 && m->partition < 64) {
        if (m->offset <= s->last_off[m->partition])
            s->out_of_order++;
        s->last_off[m->partition] = m->offset;
    }
    s->count[i]++;
    s->part[i] = m->partition;
    s->off[i] = m->offset;
    s->total++;
}

/* Polls until `expect` messages were seen or the deadline, then a little longer to
 * catch any extra (duplicate) message. */
static void consume_n(rd_kafka_t *c, seen_t *s, int expect, const char *tag, bool headers) {
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    int64_t extra_until = -1;
    while (kafka_test_now_ms() < deadline) {
        if (s->total >= expect) {
            if (extra_until < 0)
                extra_until = kafka_test_now_ms() + 300;
            else if (kafka_test_now_ms() >= extra_until)
                break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 50);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "consumer: %s\n", rd_kafka_message_errstr(m));
        } else {
            seen_add(s, m, tag, headers);
        }
        rd_kafka_message_destroy(m);
    }
    CU_ASSERT_EQUAL(s->total, expect);
    CU_ASSERT_EQUAL(s->bad, 0);
    CU_ASSERT_EQUAL(s->out_of_order, 0);
}

static void assign_all(rd_kafka_t *c, const char *topic, int nparts, int64_t offset) {
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++)
        rd_kafka_topic_partition_list_add(tp, topic, p)->offset = offset;
    CU_ASSERT_EQUAL(rd_kafka_assign(c, tp), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(tp);
}

/* Every message index in [from, to) was seen exactly once, where its delivery report
 * said it landed. */
static void check_exactly_once(const seen_t *s, const dr_state_t *st, int from, int to) {
    int wrong = 0;
    for (int i = from; i < to; i++)
        if (s->count[i] != 1 || s->part[i] != st->part[i] || s->off[i] != st->off[i]) {
            if (wrong++ < 5)
                fprintf(stderr, "#%d: seen %d times at %d/%lld, delivered to %d/%lld\n", i, s->count[i],
                        (int)s->part[i], (long long)s->off[i], (int)st->part[i], (long long)st->off[i]);
        }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* ---- every codec, idempotent, read back, commit, resume ---- */

#define NPARTS 4
#define NCODEC_MSGS 200
#define NLATER 20

static void codec_roundtrip(kafka_mock_t *m, const char *codec) {
    static dr_state_t st;
    static seen_t seen;
    char topic[64];
    snprintf(topic, sizeof(topic), "codec-%s", codec);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, topic, NPARTS, 3), KAFKA_OK);
    const char *extra[] = {"compression.codec", codec, "enable.idempotence", "true", NULL};
    rd_kafka_t *p = new_producer(m, false, &st, extra);
    for (int i = 0; i < NCODEC_MSGS; i++)
        produce_one(p, topic, RD_KAFKA_PARTITION_UA, codec, i, 0);
    flush_all(p, &st, NCODEC_MSGS);
    int per_part[NPARTS] = {0};
    for (int i = 0; i < NCODEC_MSGS; i++)
        if (st.part[i] >= 0 && st.part[i] < NPARTS)
            per_part[st.part[i]]++;
    int used = 0;
    for (int q = 0; q < NPARTS; q++) {
        int64_t ls = -1, hw = -1;
        CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, topic, q, &ls, &hw), KAFKA_OK);
        CU_ASSERT_EQUAL(ls, 0);
        CU_ASSERT_EQUAL(hw, per_part[q]);
        used += per_part[q] > 0;
    }
    CU_ASSERT(used > 1); /* keys spread over partitions */

    char group[64];
    snprintf(group, sizeof(group), "group-%s", codec);
    rd_kafka_t *c = new_consumer(m, false, group);
    assign_all(c, topic, NPARTS, RD_KAFKA_OFFSET_BEGINNING);
    seen_init(&seen);
    consume_n(c, &seen, NCODEC_MSGS, codec, true);
    check_exactly_once(&seen, &st, 0, NCODEC_MSGS);

    CU_ASSERT_EQUAL(rd_kafka_commit(c, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(NPARTS);
    for (int q = 0; q < NPARTS; q++)
        rd_kafka_topic_partition_list_add(tp, topic, q);
    CU_ASSERT_EQUAL(rd_kafka_committed(c, tp, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int q = 0; q < tp->cnt; q++) {
        CU_ASSERT_EQUAL(tp->elems[q].err, RD_KAFKA_RESP_ERR_NO_ERROR);
        /* Nothing consumed from a partition: librdkafka commits nothing there. */
        CU_ASSERT_EQUAL(tp->elems[q].offset, per_part[tp->elems[q].partition] ? per_part[tp->elems[q].partition]
                                                                                : RD_KAFKA_OFFSET_INVALID);
    }
    rd_kafka_topic_partition_list_destroy(tp);
    close_consumer(c);

    /* Later messages, then a second consumer of the group resumes where the first
     * committed: it sees only those. */
    for (int i = NCODEC_MSGS; i < NCODEC_MSGS + NLATER; i++)
        produce_one(p, topic, RD_KAFKA_PARTITION_UA, codec, i, 0);
    flush_all(p, &st, NCODEC_MSGS + NLATER);
    rd_kafka_destroy(p);
    c = new_consumer(m, false, group);
    assign_all(c, topic, NPARTS, RD_KAFKA_OFFSET_STORED);
    seen_init(&seen);
    consume_n(c, &seen, NLATER, codec, true);
    check_exactly_once(&seen, &st, NCODEC_MSGS, NCODEC_MSGS + NLATER);
    close_consumer(c);
}

static void test_codecs_idempotent_commit_resume(void) {
    static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int i = 0; i < 5; i++) {
        kafka_mock_t *m = start_cluster(false);
        codec_roundtrip(m, codecs[i]);
        kafka_mock_destroy(m);
    }
}

/* ---- faults ---- */

/* The leader of partition 0 of topic, as librdkafka's metadata says; -1 if unknown. */
static int leader_of(rd_kafka_t *rk, const char *topic, int32_t partition) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int leader = -1;
    if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int p = 0; md->topic_cnt == 1 && p < md->topics[0].partition_cnt; p++)
            if (md->topics[0].partitions[p].id == partition)
                leader = md->topics[0].partitions[p].leader;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    return leader;
}

static void consume_and_check(kafka_mock_t *m, const char *topic, int nparts, const dr_state_t *st, int n,
                              const char *tag) {
    static seen_t seen;
    rd_kafka_t *c = new_consumer(m, false, "faults");
    assign_all(c, topic, nparts, RD_KAFKA_OFFSET_BEGINNING);
    seen_init(&seen);
    consume_n(c, &seen, n, tag, true);
    check_exactly_once(&seen, st, 0, n);
    close_consumer(c);
}

static const char *const idem[] = {"enable.idempotence", "true", "acks", "all", NULL};

static void test_fault_produce_errors(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "faults", 2, 3), KAFKA_OK);
    /* A permanent injected error reaches the application. (librdkafka retries
     * NOT_LEADER_OR_FOLLOWER even with retries=0: a leader change is not a retry.) */
    const char *no_retries[] = {"retries", "0", "linger.ms", "0", NULL};
    rd_kafka_t *p = new_producer(m, false, &st, no_retries);
    CU_ASSERT(leader_of(p, "faults", 0) > 0);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_PRODUCE, -1, 1, KAFKA_ERR_MESSAGE_TOO_LARGE), KAFKA_OK);
    produce_one(p, "faults", 0, "errors", 0, 0);
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    while (rd_kafka_outq_len(p) > 0 && kafka_test_now_ms() < deadline)
        rd_kafka_flush(p, 100);
    CU_ASSERT_EQUAL(st.failed, 1);
    CU_ASSERT_EQUAL(st.last_err, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    rd_kafka_destroy(p);

    /* With retries, three errors cost retries but every message lands exactly once. */
    p = new_producer(m, false, &st, idem);
    CU_ASSERT_EQUAL(kafka_mock_push_error(m, KAFKA_API_PRODUCE, -1, 3, KAFKA_ERR_NOT_LEADER_OR_FOLLOWER), KAFKA_OK);
    for (int i = 0; i < 100; i++)
        produce_one(p, "faults", i % 2, "errors", i, 0);
    flush_all(p, &st, 100);
    rd_kafka_destroy(p);
    char reply[256];
    CU_ASSERT_EQUAL(kafka_mock_command(m, "offsets faults 0", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(reply, "ok faults/0 log_start=0 high_watermark=50");

    /* The three injected errors were all used up: nothing fails any more. */
    static dr_state_t st2;
    p = new_producer(m, false, &st2, no_retries);
    produce_one(p, "faults", 1, "errors", 100, 0);
    flush_all(p, &st2, 1);
    rd_kafka_destroy(p);
    st.part[100] = st2.part[100];
    st.off[100] = st2.off[100];
    consume_and_check(m, "faults", 2, &st, 101, "errors");
    kafka_mock_destroy(m);
}

static void test_fault_leader_moves(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "moving", 1, 3), KAFKA_OK);
    rd_kafka_t *p = new_producer(m, false, &st, idem);
    int first = leader_of(p, "moving", 0);
    CU_ASSERT_FATAL(first >= 1 && first <= 3);
    int next = first % 3 + 1;
    for (int i = 0; i < 300; i++) {
        if (i == 150) {
            /* Some of the first half is delivered, some still in flight or queued. */
            int64_t deadline = kafka_test_now_ms() + WAIT_MS;
            while (st.ok < 50 && rd_kafka_outq_len(p) > 0 && kafka_test_now_ms() < deadline)
                rd_kafka_poll(p, 5);
            CU_ASSERT_EQUAL(kafka_mock_partition_set_leader(m, "moving", 0, next), KAFKA_OK);
        }
        produce_one(p, "moving", 0, "moving", i, 0);
        if (i % 10 == 0)
            rd_kafka_poll(p, 1);
    }
    flush_all(p, &st, 300);
    CU_ASSERT_EQUAL(leader_of(p, "moving", 0), next);
    rd_kafka_destroy(p);
    consume_and_check(m, "moving", 1, &st, 300, "moving");
    kafka_mock_destroy(m);
}

static void test_fault_broker_down_up(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    /* Replication factor 1: while its broker is down the partition has no leader. */
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "downup", 1, 1), KAFKA_OK);
    const char *extra[] = {"acks", "all", NULL};
    rd_kafka_t *p = new_producer(m, false, &st, extra);
    int leader = leader_of(p, "downup", 0);
    CU_ASSERT_FATAL(leader >= 1 && leader <= 3);
    produce_one(p, "downup", 0, "downup", 0, 0);
    flush_all(p, &st, 1);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, leader, true), KAFKA_OK);
    for (int i = 1; i < 50; i++)
        produce_one(p, "downup", 0, "downup", i, 0);
    int64_t until = kafka_test_now_ms() + 1000;
    while (kafka_test_now_ms() < until)
        rd_kafka_poll(p, 50);
    CU_ASSERT_EQUAL(st.ok, 1); /* nothing delivered while the only replica is down */
    CU_ASSERT_EQUAL(st.failed, 0);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_down(m, leader, false), KAFKA_OK);
    flush_all(p, &st, 50);
    rd_kafka_destroy(p);
    consume_and_check(m, "downup", 1, &st, 50, "downup");
    kafka_mock_destroy(m);
}

static void test_fault_latency(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "slow", 1, 3), KAFKA_OK);
    const char *extra[] = {"linger.ms", "0", NULL};
    rd_kafka_t *p = new_producer(m, false, &st, extra);
    int leader = leader_of(p, "slow", 0);
    CU_ASSERT_FATAL(leader >= 1);
    produce_one(p, "slow", 0, "slow", 0, 0); /* connected and warm */
    flush_all(p, &st, 1);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_latency(m, leader, 300), KAFKA_OK);
    int64_t t0 = kafka_test_now_ms();
    produce_one(p, "slow", 0, "slow", 1, 0);
    flush_all(p, &st, 2);
    CU_ASSERT_EQUAL(st.reports[1], 1);
    int64_t rtt = st.at_ms[1] - t0;
    if (rtt < 300 || getenv("KAFKA_TEST_VERBOSE"))
        fprintf(stderr, "produce round trip %lld ms with 300 ms latency\n", (long long)rtt);
    CU_ASSERT(rtt >= 300);
    CU_ASSERT_EQUAL(kafka_mock_broker_set_latency(m, leader, 0), KAFKA_OK);
    produce_one(p, "slow", 0, "slow", 2, 0);
    flush_all(p, &st, 3);
    rd_kafka_destroy(p);
    kafka_mock_destroy(m);
}

static void test_fault_drop_response(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "dropped", 1, 3), KAFKA_OK);
    rd_kafka_t *p = new_producer(m, false, &st, idem);
    int leader = leader_of(p, "dropped", 0);
    CU_ASSERT_FATAL(leader >= 1);
    for (int i = 0; i < 10; i++)
        produce_one(p, "dropped", 0, "dropped", i, 0);
    flush_all(p, &st, 10);
    /* The next Produce response is cut in half after the batch was appended: librdkafka
     * sees the connection die and retries; the mock recognises the duplicate. */
    CU_ASSERT_EQUAL(kafka_mock_drop_next_response(m, KAFKA_API_PRODUCE, leader), KAFKA_OK);
    for (int i = 10; i < 60; i++)
        produce_one(p, "dropped", 0, "dropped", i, 0);
    flush_all(p, &st, 60);
    CU_ASSERT(st.errors_seen >= 1);
    int64_t hw = -1;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "dropped", 0, NULL, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 60);
    rd_kafka_destroy(p);
    consume_and_check(m, "dropped", 1, &st, 60, "dropped");
    kafka_mock_destroy(m);
}

/* ---- ListOffsets ---- */

#define T0 1700000000000LL

static void test_list_offsets(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "times", 1, 3), KAFKA_OK);
    const char *extra[] = {"linger.ms", "0", NULL};
    rd_kafka_t *p = new_producer(m, false, &st, extra);
    /* One batch per message: the mock looks timestamps up at batch granularity. */
    for (int i = 0; i < 30; i++) {
        produce_one(p, "times", 0, "times", i, T0 + i * 1000);
        flush_all(p, &st, i + 1);
    }
    int64_t lo = -1, hi = -1;
    CU_ASSERT_EQUAL(rd_kafka_query_watermark_offsets(p, "times", 0, &lo, &hi, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    CU_ASSERT_EQUAL(lo, 0);
    CU_ASSERT_EQUAL(hi, 30);
    static const struct {
        int64_t ts, offset;
    } cases[] = {{T0 + 10 * 1000, 10}, {T0 + 10 * 1000 - 500, 10}, {T0 - 1, 0}, {T0 + 29 * 1000, 29},
                 {T0 + 60 * 1000, RD_KAFKA_OFFSET_END}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tp, "times", 0)->offset = cases[k].ts;
        CU_ASSERT_EQUAL(rd_kafka_offsets_for_times(p, tp, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
        CU_ASSERT_EQUAL(tp->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
        if (tp->elems[0].offset != cases[k].offset)
            fprintf(stderr, "offsets_for_times(%lld) = %lld, want %lld\n", (long long)cases[k].ts,
                    (long long)tp->elems[0].offset, (long long)cases[k].offset);
        CU_ASSERT_EQUAL(tp->elems[0].offset, cases[k].offset);
        rd_kafka_topic_partition_list_destroy(tp);
    }
    rd_kafka_destroy(p);
    kafka_mock_destroy(m);
}

/* ---- retention ---- */

static void test_retention(void) {
    static dr_state_t st;
    kafka_mock_t *m = start_cluster(false);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, "retained", 1, 3), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_mock_set_retention(m, 8192), KAFKA_OK);
    const char *extra[] = {"batch.num.messages", "20", NULL};
    rd_kafka_t *p = new_producer(m, false, &st, extra);
    int n = 2000;
    for (int i = 0; i < n; i++)
        produce_one(p, "retained", 0, "retained", i, 0);
    flush_all(p, &st, n);
    int64_t ls = -1, hw = -1;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "retained", 0, &ls, &hw), KAFKA_OK);
    CU_ASSERT(ls > 0);
    CU_ASSERT(ls > n / 2); /* about 8 KiB of ~150-byte records is kept */
    CU_ASSERT_EQUAL(hw, n);
    int64_t lo = -1, hi = -1;
    CU_ASSERT_EQUAL(rd_kafka_query_watermark_offsets(p, "retained", 0, &lo, &hi, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    CU_ASSERT_EQUAL(lo, ls);
    CU_ASSERT_EQUAL(hi, n);
    rd_kafka_destroy(p);

    /* A consumer from the beginning starts at the log start: the retained-away
     * messages are gone, the rest arrive intact. */
    static seen_t seen;
    rd_kafka_t *c = new_consumer(m, false, NULL);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c, "retained", NULL);
    CU_ASSERT_EQUAL(rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING), 0);
    seen_init(&seen);
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    while (seen.total < n - ls && kafka_test_now_ms() < deadline) {
        rd_kafka_message_t *msg = rd_kafka_consume(rkt, 0, 50);
        if (!msg)
            continue;
        if (!msg->err)
            seen_add(&seen, msg, "retained", true);
        rd_kafka_message_destroy(msg);
    }
    CU_ASSERT_EQUAL(seen.total, n - ls);
    CU_ASSERT_EQUAL(seen.bad, 0);
    CU_ASSERT_EQUAL(seen.count[ls], 1);
    CU_ASSERT_EQUAL(seen.off[n - 1], n - 1);
    rd_kafka_consume_stop(rkt, 0);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(c);
    kafka_mock_destroy(m);
}

/* ---- legacy (Kafka 0.8) ---- */

static void legacy_roundtrip(kafka_mock_t *m, const char *codec) {
    static dr_state_t st;
    static seen_t seen;
    char topic[64];
    snprintf(topic, sizeof(topic), "legacy-%s", codec);
    CU_ASSERT_EQUAL(kafka_mock_topic_create(m, topic, 2, 3), KAFKA_OK);
    const char *extra[] = {"compression.codec", codec, NULL};
    rd_kafka_t *p = new_producer(m, true, &st, extra);
    int n = 100;
    for (int i = 0; i < n; i++)
        produce_one(p, topic, i % 2, codec, i, 0);
    flush_all(p, &st, n);
    rd_kafka_destroy(p);

    rd_kafka_t *c = new_consumer(m, true, NULL);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c, topic, NULL);
    for (int q = 0; q < 2; q++)
        CU_ASSERT_EQUAL(rd_kafka_consume_start(rkt, q, RD_KAFKA_OFFSET_BEGINNING), 0);
    seen_init(&seen);
    int64_t deadline = kafka_test_now_ms() + WAIT_MS;
    while (seen.total < n && kafka_test_now_ms() < deadline) {
        for (int q = 0; q < 2; q++) {
            rd_kafka_message_t *msg = rd_kafka_consume(rkt, q, 20);
            if (!msg)
                continue;
            if (!msg->err)
                seen_add(&seen, msg, codec, false); /* MessageSet v0 has no headers */
            else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "legacy consumer: %s\n", rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
        }
    }
    CU_ASSERT_EQUAL(seen.total, n);
    CU_ASSERT_EQUAL(seen.bad, 0);
    CU_ASSERT_EQUAL(seen.out_of_order, 0);
    check_exactly_once(&seen, &st, 0, n);
    for (int q = 0; q < 2; q++)
        rd_kafka_consume_stop(rkt, q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(c);
}

/* Sends an ApiVersions v0 request on a plain socket; returns what read() gives back
 * first (0: the broker closed the connection). */
static ssize_t api_versions_probe(int port) {
    int fd = kafka_test_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    kafka_api_versions_request_t req;
    kafka_request_init(KAFKA_API_API_VERSIONS, &req);
    kafka_request_header_t hdr = {KAFKA_API_API_VERSIONS, 0, 7, kafka_str("probe")};
    kafka_buf_t out = KAFKA_BUF_INIT;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(kafka_request_encode(&out, &hdr, &req, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(write(fd, out.data, out.len), (ssize_t)out.len);
    kafka__buf_free(&out);
    uint8_t buf[4096];
    ssize_t r = read(fd, buf, sizeof(buf));
    close(fd);
    return r;
}

static void test_legacy(void) {
    kafka_mock_t *m = start_cluster(true);
    legacy_roundtrip(m, "none");
    legacy_roundtrip(m, "gzip");
    for (int id = 1; id <= 3; id++)
        CU_ASSERT_EQUAL(api_versions_probe(kafka_mock_broker_port(m, id)), 0);
    kafka_mock_destroy(m);
    /* The same probe on a current broker gets an answer. */
    m = start_cluster(false);
    CU_ASSERT(api_versions_probe(kafka_mock_broker_port(m, 1)) > 0);
    kafka_mock_destroy(m);
}

static CU_TestInfo tests[] = {
    {"codecs_idempotent_commit_resume", test_codecs_idempotent_commit_resume},
    {"fault_produce_errors", test_fault_produce_errors},
    {"fault_leader_moves", test_fault_leader_moves},
    {"fault_broker_down_up", test_fault_broker_down_up},
    {"fault_latency", test_fault_latency},
    {"fault_drop_response", test_fault_drop_response},
    {"list_offsets", test_list_offsets},
    {"retention", test_retention},
    {"legacy", test_legacy},
    CU_TEST_INFO_NULL,
};
#else
static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {{"skipped", test_skipped}, CU_TEST_INFO_NULL};
#endif

KAFKA_TEST_MAIN("mock_rdkafka", tests)
