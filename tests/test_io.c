/* kafka_io_t against the mock cluster: connect, round trips, timeouts, a broker that
 * hangs up mid-response, refused connections, IPv6 loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kafka/io.h"
#include "kafka/mock.h"
#include "util/arena.h"
#include "testutil.h"

static kafka_err_t api_versions(kafka_io_t *io, int timeout_ms, int *napis) {
    kafka_api_versions_request_t req;
    kafka_request_init(KAFKA_API_API_VERSIONS, &req);
    req.client_software_name = kafka_str("libkafka");
    req.client_software_version = kafka_str("0.1.0");
    kafka_api_versions_response_t resp;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka_io_request(io, KAFKA_API_API_VERSIONS, 3, "test-io", &req, &resp, &a, &frame, timeout_ms);
    *napis = e ? -1 : resp.api_keys.count;
    free(frame);
    kafka__arena_free(&a);
    return e;
}

static void test_connect_and_round_trips(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    kafka_err_t err;
    char errstr[256];
    kafka_io_t *io = kafka_io_connect("localhost", kafka_mock_broker_port(m, 1), 2000, &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(io);
    CU_ASSERT_EQUAL(err, KAFKA_OK);
    int n;
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(api_versions(io, 2000, &n), KAFKA_OK);
        CU_ASSERT_EQUAL(n, 28); /* the APIs the mock serves */
    }
    kafka_io_close(io);
    kafka_mock_destroy(m);
}

static void test_timeout_and_hangup(void) {
    kafka_mock_t *m = kafka_test_mock(1, true);
    kafka_io_t *io = kafka_io_connect("127.0.0.1", kafka_mock_broker_port(m, 1), 2000, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(io);
    kafka_mock_broker_set_latency(m, 1, 1000);
    int n;
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(api_versions(io, 200, &n), KAFKA_ERR__TIMED_OUT);
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 190 && took < 900);
    CU_ASSERT(strstr(kafka_io_last_error(io), "no response within 200 ms") != NULL);
    /* The timed-out connection is closed: the next call fails at once. */
    CU_ASSERT_EQUAL(api_versions(io, 200, &n), KAFKA_ERR__CANT_SEND);
    kafka_io_close(io);
    kafka_mock_broker_set_latency(m, 1, 0);
    io = kafka_io_connect("127.0.0.1", kafka_mock_broker_port(m, 1), 2000, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(io);
    kafka_mock_drop_next_response(m, -1, 1);
    CU_ASSERT_EQUAL(api_versions(io, 2000, &n), KAFKA_ERR__CANT_RECV);
    CU_ASSERT(strstr(kafka_io_last_error(io), "closed by the broker") != NULL);
    CU_ASSERT_EQUAL(kafka_io_last_errorcode(io), KAFKA_ERR__CANT_RECV);
    kafka_io_close(io);
    kafka_mock_destroy(m);
}

static void test_refused_and_bad_addresses(void) {
    int port = kafka_test_dead_port(); /* bound, never listening */
    kafka_err_t err;
    char errstr[256];
    CU_ASSERT_PTR_NULL(kafka_io_connect("127.0.0.1", port, 1000, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__CANT_BIND);
    CU_ASSERT(strstr(errstr, "refused") != NULL);
    CU_ASSERT_PTR_NULL(kafka_io_connect("127.0.0.1", 0, 1000, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__INVALID_ARG);
    CU_ASSERT_PTR_NULL(kafka_io_connect("", 9092, 1000, &err, errstr, sizeof(errstr)));
    CU_ASSERT_EQUAL(err, KAFKA_ERR__INVALID_ARG);
}

/* A frame size the peer cannot mean: refused before any allocation. */
static void test_oversized_frame(void) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    listen(lfd, 1);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    kafka_io_t *io = kafka_io_connect("127.0.0.1", ntohs(sa.sin_port), 1000, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(io);
    int cfd = accept(lfd, NULL, NULL);
    static const uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
    CU_ASSERT_EQUAL(write(cfd, huge, 4), 4);
    uint8_t *frame;
    size_t len;
    CU_ASSERT_EQUAL(kafka_io_receive(io, &frame, &len, 0, 1000), KAFKA_ERR__REQUEST_OR_RESPONSE);
    CU_ASSERT(strstr(kafka_io_last_error(io), "outside") != NULL);
    kafka_io_close(io);
    close(cfd);
    close(lfd);
}

/* IPv6 loopback, written with brackets as in bootstrap.servers; skipped (with a note)
 * where the machine has no ::1. */
static void test_ipv6_loopback(void) {
    int lfd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t sl = sizeof(sa);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0) {
        fprintf(stderr, "test_ipv6_loopback: no IPv6 loopback here, nothing to test\n");
        if (lfd >= 0)
            close(lfd);
        return;
    }
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    char errstr[256];
    kafka_io_t *io = kafka_io_connect("[::1]", ntohs(sa.sin6_port), 1000, NULL, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL(io);
    int cfd = accept(lfd, NULL, NULL);
    CU_ASSERT(cfd >= 0);
    CU_ASSERT_EQUAL(kafka_io_send(io, "ping", 4, 1000), KAFKA_OK);
    char got[4];
    CU_ASSERT_EQUAL(read(cfd, got, 4), 4);
    CU_ASSERT(memcmp(got, "ping", 4) == 0);
    kafka_io_close(io);
    close(cfd);
    close(lfd);
}

static CU_TestInfo tests[] = {
    {"connect by name and round trips", test_connect_and_round_trips},
    {"receive timeout and a hang-up mid-response", test_timeout_and_hangup},
    {"refused connections and bad addresses", test_refused_and_bad_addresses},
    {"oversized frame refused", test_oversized_frame},
    {"IPv6 loopback", test_ipv6_loopback},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("io", tests)
