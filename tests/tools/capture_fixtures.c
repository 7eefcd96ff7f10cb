/*
 * capture_fixtures: drive librdkafka clients against librdkafka's own mock
 * cluster so that scripts/capture-fixtures.sh can record the Kafka frames on
 * the wire as golden fixtures (tests/fixtures/wire/). The frames come from an
 * encoder that is not ours, which is the point.
 *
 * Links librdkafka and libc only. Everything is on 127.0.0.1: the mock brokers
 * listen on loopback and the clients are given only their bootstrap list.
 *
 * stdout (line oriented, parsed by the script):
 *   BOOTSTRAP 127.0.0.1:P1,127.0.0.1:P2,...   first line, before any client exists
 *   RECORD <tab separated record, see RECORDS_FORMAT below>
 *   API <name> <result>                        one per client call, informational
 *   DONE ok|failed
 * stderr: progress and errors.
 *
 * With --wait, it waits after BOOTSTRAP for a line on stdin (at most 15 s) so
 * the capture can start, filtered on the brokers' ports, before any traffic.
 * The whole run is bounded by alarm(): it exits by itself in < 30 s.
 */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BROKER_CNT 3
#define RECORD_CNT 5
#define BIG_VALUE_LEN 1000
#define TS_BASE INT64_C(1700000000000)
#define RUN_LIMIT_S 28
#define GROUP_ID "fx-group"

/* Documented at the top of tests/fixtures/wire/records.txt, which is this. */
static const char RECORDS_FORMAT[] =
    "# records.txt: the records librdkafka 2.0.2 produced into the mock cluster\n"
    "# (written by tests/tools/capture_fixtures.c, see README.md).\n"
    "# One record per line, fields separated by one TAB:\n"
    "#   codec topic partition offset timestamp_ms key value headers\n"
    "# key, value: '-' = NULL, else 'x:' followed by the bytes in lower-case hex\n"
    "#   ('x:' alone = empty, zero-length, not NULL).\n"
    "# headers: the count, then ';name=value' per header in order, value as above\n"
    "#   (e.g. '2;h1=x:7631;hnull=-'; '0' = no headers).\n"
    "# Records of one topic went out in ONE Produce request as ONE RecordBatch\n"
    "# (base offset 0, CreateTime timestamps), compressed with the topic's codec.\n";

struct codec {
        const char *name;     /* compression.codec */
        int idempotent;       /* enable.idempotence */
        const char *acks;
};

static const struct codec codecs[] = {
    {"none", 1, "all"},   {"gzip", 0, "1"},    {"snappy", 1, "all"},
    {"lz4", 0, "all"},    {"zstd", 1, "all"},
};
#define CODEC_CNT (sizeof(codecs) / sizeof(codecs[0]))

struct rec {
        const void *key;
        size_t key_len;
        const void *value;
        size_t value_len;
        int hdr_cnt;
        const char *hdr_name[2];
        const char *hdr_value[2]; /* NULL = null header value */
        int64_t ts;
        int64_t offset;           /* from the delivery report */
        int delivered;
};

static struct rec recs[CODEC_CNT][RECORD_CNT];
static char keybuf[CODEC_CNT][RECORD_CNT][8];
static char valbuf[CODEC_CNT][RECORD_CNT][BIG_VALUE_LEN + 1];
static int failures;

static void on_alarm(int sig) {
        static const char msg[] = "capture_fixtures: time limit reached\n";
        (void)sig;
        (void)!write(2, msg, sizeof(msg) - 1);
        _exit(3);
}

static void fail(const char *what, const char *detail) {
        fprintf(stderr, "capture_fixtures: %s: %s\n", what, detail);
        failures++;
}

static void api(const char *name, rd_kafka_resp_err_t err) {
        printf("API %s %s\n", name, rd_kafka_err2name(err));
        if (err)
                fail(name, rd_kafka_err2str(err));
}

static void conf_set(rd_kafka_conf_t *conf, const char *k, const char *v) {
        char errstr[256];
        if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
                fprintf(stderr, "capture_fixtures: %s=%s: %s\n", k, v, errstr);
                exit(2);
        }
}

/* Loopback only, IPv4 only, quiet, and no surprise requests. */
static rd_kafka_conf_t *base_conf(const char *bootstrap) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (bootstrap)
                conf_set(conf, "bootstrap.servers", bootstrap);
        conf_set(conf, "broker.address.family", "v4");
        conf_set(conf, "client.id", "capture-fixtures");
        conf_set(conf, "topic.metadata.refresh.interval.ms", "60000");
        conf_set(conf, "log_level", "3");
        return conf;
}

static void build_records(void) {
        for (size_t c = 0; c < CODEC_CNT; c++) {
                for (int i = 0; i < RECORD_CNT; i++) {
                        struct rec *r = &recs[c][i];
                        snprintf(keybuf[c][i], sizeof(keybuf[c][i]), "k%d", i);
                        r->key     = keybuf[c][i];
                        r->key_len = strlen(keybuf[c][i]);
                        snprintf(valbuf[c][i], sizeof(valbuf[c][i]),
                                 "value-%d-%s", i, codecs[c].name);
                        r->value     = valbuf[c][i];
                        r->value_len = strlen(valbuf[c][i]);
                        r->ts        = TS_BASE + i;
                        r->hdr_cnt   = 1;
                        r->hdr_name[0]  = "h1";
                        r->hdr_value[0] = "v1";
                }
                /* The odd cases, one per record. */
                recs[c][1].key     = NULL; /* NULL key */
                recs[c][1].key_len = 0;
                recs[c][1].hdr_cnt      = 2; /* a header with a NULL value */
                recs[c][1].hdr_name[1]  = "hnull";
                recs[c][1].hdr_value[1] = NULL;
                recs[c][2].value     = NULL; /* NULL value (tombstone) */
                recs[c][2].value_len = 0;
                recs[c][3].value     = ""; /* empty, not NULL */
                recs[c][3].value_len = 0;
                recs[c][3].hdr_cnt   = 0;  /* no headers */
                {
                        /* A ~1000-byte value that compresses well. */
                        char *v   = valbuf[c][4];
                        size_t n  = strlen(v);
                        while (n < BIG_VALUE_LEN) {
                                v[n] = (char)('a' + (n % 26));
                                n++;
                        }
                        v[n]              = '\0';
                        recs[c][4].value_len = n;
                }
        }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        struct rec *r = m->_private;
        (void)rk;
        (void)opaque;
        if (m->err) {
                fail("delivery", rd_kafka_err2str(m->err));
                return;
        }
        r->offset    = m->offset;
        r->delivered = 1;
}

static void produce_codec(const char *bootstrap, size_t c) {
        char errstr[256], topic[32];
        rd_kafka_conf_t *conf = base_conf(bootstrap);
        rd_kafka_t *rk;

        snprintf(topic, sizeof(topic), "fx-%s", codecs[c].name);
        conf_set(conf, "compression.codec", codecs[c].name);
        conf_set(conf, "enable.idempotence",
                 codecs[c].idempotent ? "true" : "false");
        conf_set(conf, "acks", codecs[c].acks);
        /* All records must leave in one batch, in one Produce request. */
        conf_set(conf, "linger.ms", "200");
        conf_set(conf, "batch.num.messages", "1000");
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fail("rd_kafka_new(producer)", errstr);
                return;
        }
        for (int i = 0; i < RECORD_CNT; i++) {
                struct rec *r = &recs[c][i];
                rd_kafka_headers_t *h = rd_kafka_headers_new(2);
                rd_kafka_resp_err_t err;
                for (int k = 0; k < r->hdr_cnt; k++)
                        rd_kafka_header_add(h, r->hdr_name[k], -1,
                                            r->hdr_value[k],
                                            r->hdr_value[k]
                                                ? (ssize_t)strlen(r->hdr_value[k])
                                                : 0);
                err = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(r->key, r->key_len),
                    RD_KAFKA_V_VALUE((void *)r->value, r->value_len),
                    RD_KAFKA_V_TIMESTAMP(r->ts), RD_KAFKA_V_HEADERS(h),
                    RD_KAFKA_V_OPAQUE(r), RD_KAFKA_V_END);
                if (err) {
                        rd_kafka_headers_destroy(h);
                        api("producev", err);
                }
        }
        api("flush", rd_kafka_flush(rk, 8000));
        rd_kafka_destroy(rk);
}

static void put_bytes(const void *p, size_t len) {
        const unsigned char *b = p;
        if (!p) {
                fputs("-", stdout);
                return;
        }
        fputs("x:", stdout);
        for (size_t i = 0; i < len; i++)
                printf("%02x", b[i]);
}

static void print_records(void) {
        for (size_t c = 0; c < CODEC_CNT; c++) {
                for (int i = 0; i < RECORD_CNT; i++) {
                        const struct rec *r = &recs[c][i];
                        if (!r->delivered)
                                fail("record not delivered", codecs[c].name);
                        printf("RECORD %s\tfx-%s\t0\t%" PRId64 "\t%" PRId64 "\t",
                               codecs[c].name, codecs[c].name, r->offset, r->ts);
                        put_bytes(r->key, r->key_len);
                        putchar('\t');
                        put_bytes(r->value, r->value_len);
                        printf("\t%d", r->hdr_cnt);
                        for (int k = 0; k < r->hdr_cnt; k++) {
                                printf(";%s=", r->hdr_name[k]);
                                put_bytes(r->hdr_value[k],
                                          r->hdr_value[k]
                                              ? strlen(r->hdr_value[k])
                                              : 0);
                        }
                        putchar('\n');
                }
        }
}

static int same_bytes(const void *a, size_t alen, const void *b, size_t blen) {
        if (!a || !b)
                return !a && !b;
        return alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

/* The consumer must read back exactly what was produced. */
static void check_consumed(const rd_kafka_message_t *m, size_t c) {
        const struct rec *r;
        rd_kafka_headers_t *h = NULL;
        rd_kafka_timestamp_type_t tstype;

        if (m->offset < 0 || m->offset >= RECORD_CNT) {
                fail("consumed", "unexpected offset");
                return;
        }
        r = &recs[c][m->offset];
        if (!same_bytes(m->key, m->key_len, r->key, r->key_len))
                fail("consumed key differs", codecs[c].name);
        /* An empty value may come back with either payload pointer; a NULL
         * value must come back NULL. */
        if (!(r->value && r->value_len == 0 && m->len == 0) &&
            !same_bytes(m->payload, m->len, r->value, r->value_len))
                fail("consumed value differs", codecs[c].name);
        if (r->value == NULL && m->payload != NULL)
                fail("consumed value not NULL", codecs[c].name);
        if (rd_kafka_message_timestamp(m, &tstype) != r->ts ||
            tstype != RD_KAFKA_TIMESTAMP_CREATE_TIME)
                fail("consumed timestamp differs", codecs[c].name);
        rd_kafka_message_headers(m, &h);
        if ((h ? (int)rd_kafka_header_cnt(h) : 0) != r->hdr_cnt)
                fail("consumed header count differs", codecs[c].name);
        for (int k = 0; h && k < r->hdr_cnt; k++) {
                const char *name;
                const void *val;
                size_t size;
                if (rd_kafka_header_get_all(h, (size_t)k, &name, &val, &size) ||
                    strcmp(name, r->hdr_name[k]) ||
                    !same_bytes(val, size, r->hdr_value[k],
                                r->hdr_value[k] ? strlen(r->hdr_value[k]) : 0))
                        fail("consumed header differs", codecs[c].name);
        }
}

static int codec_of_topic(const char *topic) {
        for (size_t c = 0; c < CODEC_CNT; c++)
                if (!strcmp(topic + 3, codecs[c].name))
                        return (int)c;
        return -1;
}

static void consume_all(const char *bootstrap) {
        char errstr[256];
        rd_kafka_conf_t *conf = base_conf(bootstrap);
        rd_kafka_topic_partition_list_t *parts, *committed;
        rd_kafka_t *rk;
        int got = 0, want = (int)(CODEC_CNT * RECORD_CNT);
        int64_t lo, hi;
        struct timespec t0, t;

        conf_set(conf, "group.id", GROUP_ID);
        conf_set(conf, "enable.auto.commit", "false");
        conf_set(conf, "auto.offset.reset", "earliest");
        conf_set(conf, "fetch.wait.max.ms", "100");
        conf_set(conf, "check.crcs", "true");
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fail("rd_kafka_new(consumer)", errstr);
                return;
        }
        rd_kafka_poll_set_consumer(rk);

        {
                const struct rd_kafka_metadata *md;
                rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
                api("metadata(all topics)", err);
                if (!err)
                        rd_kafka_metadata_destroy(md);
        }

        /* assign(), not subscribe(): the group's offsets are used without
         * joining it, which keeps JoinGroup/SyncGroup/Heartbeat off the wire. */
        parts = rd_kafka_topic_partition_list_new((int)CODEC_CNT);
        for (size_t c = 0; c < CODEC_CNT; c++) {
                char topic[32];
                snprintf(topic, sizeof(topic), "fx-%s", codecs[c].name);
                rd_kafka_topic_partition_list_add(parts, topic, 0)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        }
        api("assign", rd_kafka_assign(rk, parts));

        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (got < want) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
                clock_gettime(CLOCK_MONOTONIC, &t);
                if (t.tv_sec - t0.tv_sec > 10) {
                        fail("consume", "timed out");
                        break;
                }
                if (!m)
                        continue;
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fail("consume", rd_kafka_message_errstr(m));
                } else {
                        int c = codec_of_topic(rd_kafka_topic_name(m->rkt));
                        if (c < 0)
                                fail("consume", "unknown topic");
                        else
                                check_consumed(m, (size_t)c);
                        got++;
                }
                rd_kafka_message_destroy(m);
        }
        printf("API consumed %d/%d\n", got, want);

        /* OffsetCommit (needs FindCoordinator), then OffsetFetch. */
        for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = RECORD_CNT;
        api("commit", rd_kafka_commit(rk, parts, 0));
        committed = rd_kafka_topic_partition_list_copy(parts);
        for (int i = 0; i < committed->cnt; i++)
                committed->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        api("committed", rd_kafka_committed(rk, committed, 5000));
        for (int i = 0; i < committed->cnt; i++)
                if (committed->elems[i].offset != RECORD_CNT)
                        fail("committed", "offset differs from what was committed");
        rd_kafka_topic_partition_list_destroy(committed);

        /* ListOffsets: earliest/latest, then by time. */
        api("query_watermark_offsets",
            rd_kafka_query_watermark_offsets(rk, "fx-none", 0, &lo, &hi, 5000));
        if (lo != 0 || hi != RECORD_CNT)
                fail("query_watermark_offsets", "unexpected watermarks");
        for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = TS_BASE + 2;
        api("offsets_for_times", rd_kafka_offsets_for_times(rk, parts, 5000));
        for (int i = 0; i < parts->cnt; i++)
                printf("API offsets_for_times %s [0] %" PRId64 " -> %" PRId64 " %s\n",
                       parts->elems[i].topic, TS_BASE + 2, parts->elems[i].offset,
                       rd_kafka_err2name(parts->elems[i].err));

        {
                const struct rd_kafka_metadata *md;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "fx-zstd", NULL);
                rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
                api("metadata(fx-zstd)", err);
                if (!err)
                        rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
        }

        rd_kafka_topic_partition_list_destroy(parts);
        api("close", rd_kafka_consumer_close(rk));
        rd_kafka_destroy(rk);
}

/* With --wait: block until the capture is running (a line on stdin). */
static void wait_for_go(void) {
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        char line[64];
        if (poll(&pfd, 1, 15000) != 1 || !fgets(line, sizeof(line), stdin)) {
                fprintf(stderr, "capture_fixtures: no go signal on stdin\n");
                exit(2);
        }
}

int main(int argc, char **argv) {
        char errstr[256];
        rd_kafka_conf_t *conf;
        rd_kafka_t *mrk;
        rd_kafka_mock_cluster_t *mc;
        char *bootstrap;
        int wait = argc > 1 && !strcmp(argv[1], "--wait");

        signal(SIGALRM, on_alarm);
        alarm(RUN_LIMIT_S);
        setvbuf(stdout, NULL, _IOLBF, 0);

        /* The handle that owns the mock cluster never connects anywhere. */
        conf = base_conf(NULL);
        mrk  = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!mrk) {
                fprintf(stderr, "capture_fixtures: %s\n", errstr);
                return 2;
        }
        mc = rd_kafka_mock_cluster_new(mrk, BROKER_CNT);
        if (!mc) {
                fprintf(stderr, "capture_fixtures: mock cluster failed\n");
                return 2;
        }
        bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(mc));
        printf("BOOTSTRAP %s\n", bootstrap);
        if (strncmp(bootstrap, "127.0.0.1:", 10)) {
                fprintf(stderr, "capture_fixtures: mock not on 127.0.0.1\n");
                return 2;
        }
        for (size_t c = 0; c < CODEC_CNT; c++) {
                char topic[32];
                snprintf(topic, sizeof(topic), "fx-%s", codecs[c].name);
                api("mock_topic_create",
                    rd_kafka_mock_topic_create(mc, topic, 1, BROKER_CNT));
                /* The mock picks leaders at random; fixed ones make the
                 * frames (which broker, which Fetch) the same every run. */
                api("mock_partition_set_leader",
                    rd_kafka_mock_partition_set_leader(
                        mc, topic, 0, (int32_t)(c % BROKER_CNT) + 1));
        }
        api("mock_coordinator_set",
            rd_kafka_mock_coordinator_set(mc, "group", GROUP_ID, 1));
        if (wait)
                wait_for_go();

        build_records();
        for (size_t c = 0; c < CODEC_CNT; c++)
                produce_codec(bootstrap, c);
        consume_all(bootstrap);

        fputs(RECORDS_FORMAT, stdout);
        print_records();

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(mrk);
        free(bootstrap);
        printf("DONE %s\n", failures ? "failed" : "ok");
        return failures ? 1 : 0;
}
