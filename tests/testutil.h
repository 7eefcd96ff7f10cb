/* Shared helpers for the CUnit suites: one suite per tests/test_<area>.c. */
#ifndef KAFKA_TESTUTIL_H
#define KAFKA_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/mock.h"
#include "kafka/producer.h"
#include "kafka/protocol.h"
#include "util/arena.h"

/* Runs one suite with CUnit's basic interface; the exit code is non-zero when any
 * assertion failed, so ctest sees the failure. */
int kafka_test_run(const char *suite_name, CU_TestInfo *tests);

#define KAFKA_TEST_MAIN(suite_name, tests) \
    int main(void) { return kafka_test_run(suite_name, tests); }

/* Reads a whole file under tests/fixtures into a malloc'd buffer; NULL if missing. */
uint8_t *kafka_test_fixture(const char *relpath, size_t *lenp);

/* Parses hex (whitespace and '#' comments ignored) into a malloc'd buffer. */
uint8_t *kafka_test_unhex(const char *hex, size_t *lenp);

/* A blocking TCP connection to 127.0.0.1:port with 5 s send/receive timeouts; -1 on
 * failure. */
int kafka_test_connect(int port);
/* Writes the whole frame req[0..len), reads one response frame; returns it (after its
 * size prefix, malloc'd, *resp_len set) or NULL when the peer closed or timed out. */
uint8_t *kafka_test_roundtrip(int fd, const uint8_t *req, size_t len, size_t *resp_len);

/* Runs the program prog (a path) with the shell words args, its stdout and stderr
 * together into out (what fits; the rest is read and dropped); its exit status, -1 when
 * it did not exit. */
int kafka_test_exec(const char *prog, char *out, size_t out_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A raw client of one mock broker: requests encoded by the codec, one at a time, each
 * response checked for its correlation id and decoded into the caller's struct (valid
 * until the next call; the arena lives until close). */
typedef struct kafka_test_client_s {
    int fd;
    int32_t corr;
    kafka_arena_t arena;
    uint8_t *last;     /* the last response frame */
    const char *name;  /* the client id sent */
} kafka_test_client_t;
void kafka_test_client_open(kafka_test_client_t *c, kafka_mock_t *m, int broker, const char *name);
void kafka_test_client_close(kafka_test_client_t *c);
/* The decode result, or KAFKA_ERR__TRANSPORT when the broker closed the connection. */
kafka_err_t kafka_test_client_call(kafka_test_client_t *c, int16_t key, int16_t version, const void *req, void *resp);
/* A port on 127.0.0.1 that refuses connections for the rest of the process: a socket is
 * bound to it and never listens, so no other test (run in parallel by ctest) can take
 * it. */
int kafka_test_dead_port(void);

/* A conf for bootstrap with quick test settings (fetch.max.wait.ms 100,
 * retry.backoff.ms 20, request.timeout.ms 5000), then kv (NULL-terminated key, value
 * pairs, each asserted valid); the caller destroys it. */
struct kafka_conf_s *kafka_test_conf(const char *bootstrap, const char *const *kv);
/* A consumer of ours made with kafka_test_conf(bootstrap, kv). Fails the test when it
 * cannot be made. */
struct kafka_consumer_s *kafka_test_consumer(const char *bootstrap, const char *const *kv);
/* Our mock cluster as mconf says; fails the test when it cannot start (saying why). */
struct kafka_mock_s *kafka_test_mock_new(const struct kafka_mock_conf_s *mconf);
/* Our mock cluster with brokers brokers (auto_create: topics made on first use). */
struct kafka_mock_s *kafka_test_mock(int brokers, bool auto_create);

/* Milliseconds on the monotonic clock; a sleep in milliseconds. */
int64_t kafka_test_now_ms(void);
void kafka_test_sleep_ms(int64_t ms);

/* Delivery bookkeeping of the producer tests: one slot per message index, the
 * message's opaque being index + 1. A second report for a slot counts in dups. */
typedef struct kafka_test_dr_s {
    size_t n;
    int32_t *partition; /* per message index, from its report (-2: not reported yet) */
    int64_t *offset;
    kafka_err_t *err;
    char (*why)[400];   /* the report's errstr, per message */
    atomic_int reports, failed, dups;
    char last_err[512]; /* the last failed report's errstr */
    pthread_mutex_t lock;
} kafka_test_dr_t;

void kafka_test_dr_init(kafka_test_dr_t *s, size_t n);
void kafka_test_dr_free(kafka_test_dr_t *s);
/* The delivery callback: kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, s). */
void kafka_test_dr_cb(const kafka_delivery_t *d, void *arg);

/* Produces n messages kafka_test_filler(prefix, i, len) with kv to topic, message i to
 * partition i % partitions; asserts each was delivered. */
void kafka_test_produce(const char *bootstrap, const char *const *kv, const char *topic, int partitions, size_t n,
                        int len, const char *prefix);
/* Reads topic's partitions from the start with kv until n messages came (20 s at most);
 * how many were kafka_test_produce's messages i < n of prefix, each counted once. */
size_t kafka_test_consume(const char *bootstrap, const char *const *kv, const char *topic, int partitions, size_t n,
                          const char *prefix);

/* A test value: "<prefix><i>|" then filler to len bytes (len >= 32): xorshift bytes
 * seeded by i (incompressible), or with half set random bytes whose second half
 * repeats the first (every codec halves it). Returns len. */
int kafka_test_filler(char *buf, const char *prefix, size_t i, int len, bool half);

/* Whether the mapping holding addr has VmFlag flag ("dd": left out of core dumps) in
 * /proc/self/smaps: 1 yes, 0 no, -1 no mapping holds addr. */
int kafka_test_vmflag(const void *addr, const char *flag);

/* The requests of API api_key in st[0..n) (request statistics rows, every broker). */
int64_t kafka_test_api_requests(const kafka_request_stats_t *st, size_t n, int16_t api_key);

#endif
