/* The broker layer: a connection's pipelined requests and its correlation check
 * (core/bconn.h), and a broker's reconnecting link (core/broker.h): backoff, state
 * callbacks, one log line per transition. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/broker.h"
#include "kafka/mock.h"
#include "testutil.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"

static void set(kafka_conf_t *conf, const char *k, const char *v) {
    char errstr[256];
    CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, k, v, errstr, sizeof(errstr)), KAFKA_OK);
}

/* Writes a Metadata request at version (no topics) on bc, pipelined. */
static int32_t send_metadata(kafka__bconn_t *bc, int16_t version) {
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    int32_t corr = kafka__bconn_corr(bc);
    kafka_request_header_t hdr = {KAFKA_API_METADATA, version, corr, kafka_str("t")};
    kafka_buf_t out = KAFKA_BUF_INIT;
    char errstr[256];
    CU_ASSERT_EQUAL_FATAL(kafka_request_encode(&out, &hdr, &req, errstr, sizeof(errstr)), KAFKA_OK);
    struct iovec iov = {out.data, out.len};
    CU_ASSERT_EQUAL(kafka__bconn_sendv(bc, KAFKA_API_METADATA, version, corr, &iov, 1, true), KAFKA_OK);
    kafka_buf_free(&out);
    return corr;
}

/* Three requests at three versions in flight at once: each response is taken in order
 * and decoded at its own request's version. */
static void test_pipelined_in_order(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    kafka_conf_t *conf = kafka_conf_new();
    kafka_err_t err;
    char errstr[256];
    kafka__bconn_t *bc =
        kafka__bconn_open(conf, NULL, "127.0.0.1", kafka_mock_broker_port(m, 1), &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    const int16_t versions[] = {1, 4, 9};
    for (int i = 0; i < 3; i++)
        send_metadata(bc, versions[i]);
    CU_ASSERT_EQUAL(kafka__bconn_waiting(bc), 3);
    for (int i = 0; i < 3; i++) {
        kafka_metadata_response_t resp;
        kafka_arena_t arena = KAFKA_ARENA_INIT;
        uint8_t *frame = NULL;
        int16_t v = -1;
        CU_ASSERT_EQUAL(kafka__bconn_receive(bc, &resp, &arena, &frame, 5000, &v), KAFKA_OK);
        CU_ASSERT_EQUAL(v, versions[i]);
        CU_ASSERT_EQUAL(resp.brokers.count, 1);
        if (resp.brokers.count == 1)
            CU_ASSERT_EQUAL(resp.brokers.items[0].port, kafka_mock_broker_port(m, 1));
        free(frame);
        kafka_arena_free(&arena);
    }
    CU_ASSERT_EQUAL(kafka__bconn_waiting(bc), 0);
    /* Nothing waits: receive says so instead of blocking. */
    kafka_metadata_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    CU_ASSERT_EQUAL(kafka__bconn_receive(bc, &resp, &arena, &frame, 100, NULL), KAFKA_ERR__STATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(kafka__bconn_last_error(bc), "no request is waiting"));
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    kafka_mock_destroy(m);
}

/* A broker that answers each request with a Metadata v0 response under a wrong
 * correlation id (the request's + 1000). */
typedef struct liar_s {
    int lfd, port;
    pthread_t thread;
} liar_t;

static void *liar_main(void *arg) {
    liar_t *l = arg;
    int fd = accept(l->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    uint8_t in[1024];
    ssize_t n = 0;
    while (n < 12) { /* size, api key, version, correlation id */
        ssize_t r = read(fd, in + n, sizeof(in) - (size_t)n);
        if (r <= 0)
            break;
        n += r;
    }
    if (n >= 12) {
        uint32_t corr = (uint32_t)in[8] << 24 | (uint32_t)in[9] << 16 | (uint32_t)in[10] << 8 | in[11];
        corr += 1000;
        uint8_t out[16] = {0, 0, 0, 12, (uint8_t)(corr >> 24), (uint8_t)(corr >> 16), (uint8_t)(corr >> 8),
                           (uint8_t)corr}; /* then brokers [] and topics [], both count 0 */
        (void)!write(fd, out, sizeof(out));
    }
    struct pollfd pf = {fd, POLLIN, 0};
    poll(&pf, 1, 5000); /* until the client hangs up */
    close(fd);
    return NULL;
}

static void test_correlation_mismatch(void) {
    liar_t l;
    l.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CU_ASSERT_EQUAL_FATAL(bind(l.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(l.lfd, (struct sockaddr *)&sa, &sl);
    l.port = ntohs(sa.sin_port);
    CU_ASSERT_EQUAL_FATAL(listen(l.lfd, 1), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&l.thread, NULL, liar_main, &l), 0);
    kafka_conf_t *conf = kafka_conf_new();
    set(conf, "api.version.request", "false"); /* no ApiVersions, and 0.9's Metadata v0 */
    set(conf, "broker.version.fallback", "0.9.0");
    kafka_err_t err;
    char errstr[256];
    kafka__bconn_t *bc = kafka__bconn_open(conf, NULL, "127.0.0.1", l.port, &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    kafka_metadata_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    CU_ASSERT_EQUAL(kafka__bconn_request(bc, KAFKA_API_METADATA, &req, &resp, &arena, &frame, NULL),
                    KAFKA_ERR__MISMATCH_CORRELATIONID);
    const char *why = kafka__bconn_last_error(bc);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d: response correlation id 1001, expected 1", l.port);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, want));
    free(frame);
    kafka_arena_free(&arena);
    kafka__bconn_close(bc);
    pthread_join(l.thread, NULL);
    close(l.lfd);
    kafka_conf_destroy(conf);
}

/* ---- the reconnecting link ---- */

typedef struct seen_s {
    int ups, downs, closes;
    kafka_err_t last_err;
    char last_why[300];
    int lost_lines, restored_lines;
} seen_t;

static void on_state(kafka__broker_t *b, kafka__bconn_t *bc, kafka_err_t err, const char *why, void *arg) {
    seen_t *s = arg;
    CU_ASSERT_PTR_EQUAL(bc, b->bc);
    if (bc)
        s->ups++;
    else if (err == KAFKA_ERR__DESTROYED)
        s->closes++;
    else
        s->downs++;
    s->last_err = err;
    snprintf(s->last_why, sizeof(s->last_why), "%s", why ? why : "");
}

static void on_log(int level, const char *fac, const char *msg, void *opaque) {
    seen_t *s = opaque;
    (void)level;
    if (strcmp(fac, "TEST") != 0)
        return;
    if (strstr(msg, "connection lost"))
        s->lost_lines++;
    if (strstr(msg, "connection restored"))
        s->restored_lines++;
}

static void test_reconnect_backoff_and_state(void) {
    seen_t s = {0};
    kafka_conf_t *conf = kafka_conf_new();
    set(conf, "reconnect.backoff.ms", "40");
    set(conf, "reconnect.backoff.max.ms", "150");
    kafka_conf_set_log_cb(conf, on_log, &s);
    kafka__broker_t b;
    int dead = kafka_test_dead_port();
    kafka__broker_init(&b, conf, NULL, "TEST", 7, "127.0.0.1", dead, on_state, &s);
    char who[64];
    snprintf(who, sizeof(who), "broker 7 (127.0.0.1:%d)", dead);
    CU_ASSERT_STRING_EQUAL(b.who, who);

    /* Refused: backing off 40, 80, 150 (the cap), 150 ms; one "lost" line in all. */
    const int64_t waits[] = {40, 80, 150, 150};
    for (int i = 0; i < 4; i++) {
        if (b.retry_at > kafka__now_ms())
            kafka__sleep_ms(b.retry_at - kafka__now_ms());
        int64_t now = kafka__now_ms();
        CU_ASSERT_PTR_NULL(kafka__broker_up(&b, now));
        CU_ASSERT_EQUAL(s.downs, i + 1);
        CU_ASSERT(b.err != KAFKA_OK);
        CU_ASSERT(b.why[0] != 0);
        int64_t wait = b.retry_at - now;
        CU_ASSERT(wait >= waits[i] && wait <= waits[i] + 50);
        /* Before retry_at nothing is tried. */
        CU_ASSERT_PTR_NULL(kafka__broker_up(&b, b.retry_at - 1));
        CU_ASSERT_EQUAL(s.downs, i + 1);
    }
    CU_ASSERT_EQUAL(b.failures, 4);
    CU_ASSERT_EQUAL(s.lost_lines, 1);
    CU_ASSERT_STRING_EQUAL(s.last_why, b.why);

    /* The broker moves to a live address: connected, told, restored said once. */
    kafka_mock_t *m = kafka_test_mock(1, true);
    int port = kafka_mock_broker_port(m, 1);
    kafka__broker_address(&b, "127.0.0.1", port);
    snprintf(who, sizeof(who), "broker 7 (127.0.0.1:%d)", port);
    CU_ASSERT_STRING_EQUAL(b.who, who);
    kafka__sleep_ms(b.retry_at - kafka__now_ms());
    kafka__bconn_t *bc = kafka__broker_up(&b, kafka__now_ms());
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT_PTR_EQUAL(kafka__broker_up(&b, 0), bc); /* up stays up */
    CU_ASSERT_EQUAL(s.ups, 1);
    CU_ASSERT_EQUAL(b.connects, 1);
    CU_ASSERT_EQUAL(b.err, KAFKA_OK);
    CU_ASSERT_EQUAL(s.restored_lines, 1);

    /* A failure after a response backs off from the start again. */
    kafka__broker_ok(&b);
    int64_t before = kafka__now_ms();
    kafka__broker_down(&b, KAFKA_ERR__CANT_RECV, "127.0.0.1: connection closed by the broker");
    CU_ASSERT_PTR_NULL(b.bc);
    CU_ASSERT_EQUAL(s.downs, 5);
    CU_ASSERT_EQUAL(s.last_err, KAFKA_ERR__CANT_RECV);
    CU_ASSERT(b.retry_at - before >= 40 && b.retry_at - before <= 90);
    CU_ASSERT_EQUAL(s.lost_lines, 2);

    /* Closing on purpose: told as DESTROYED, nothing logged. */
    kafka__sleep_ms(b.retry_at - kafka__now_ms());
    CU_ASSERT_PTR_NOT_NULL_FATAL(kafka__broker_up(&b, kafka__now_ms()));
    CU_ASSERT_EQUAL(s.restored_lines, 2);
    kafka__broker_close(&b);
    CU_ASSERT_PTR_NULL(b.bc);
    CU_ASSERT_EQUAL(s.closes, 1);
    CU_ASSERT_EQUAL(s.lost_lines, 2);
    kafka__broker_close(&b); /* closed already: no-op */
    CU_ASSERT_EQUAL(s.closes, 1);
    kafka_mock_destroy(m);
    kafka_conf_destroy(conf);
}

static CU_TestInfo tests[] = {
    {"pipelined requests answered in order, each at its version", test_pipelined_in_order},
    {"a response under another correlation id is refused", test_correlation_mismatch},
    {"reconnect: backoff, state callback, one log line per transition", test_reconnect_backoff_and_state},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("broker link", tests)
