#include "testutil.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "util/buf.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int kafka_test_run(const char *suite_name, CU_TestInfo *tests) {
    CU_SuiteInfo suites[] = {
        {suite_name, NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "%s: no test ran\n", suite_name);
        return 1;
    }
    return failed ? 1 : 0;
}

uint8_t *kafka_test_fixture(const char *relpath, size_t *lenp) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", KAFKA_FIXTURES_DIR, relpath);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (lenp)
        *lenp = len;
    return buf;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *kafka_test_unhex(const char *hex, size_t *lenp) {
    size_t cap = strlen(hex) / 2 + 1, len = 0;
    uint8_t *out = malloc(cap);
    int hi = -1;
    for (const char *p = hex; out && *p; p++) {
        if (*p == '#') {
            while (*p && *p != '\n') p++;
            if (!*p) break;
            continue;
        }
        int v = hexval((unsigned char)*p);
        if (v < 0) continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (lenp) *lenp = len;
    return out;
}

int kafka_test_connect(int port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int io_full(int fd, void *buf, size_t n, int rd) {
    uint8_t *p = buf;
    while (n) {
        ssize_t r = rd ? read(fd, p, n) : write(fd, p, n);
        if (r <= 0)
            return 0;
        p += r;
        n -= (size_t)r;
    }
    return 1;
}

uint8_t *kafka_test_roundtrip(int fd, const uint8_t *req, size_t len, size_t *resp_len) {
    uint8_t sz[4];
    if (!io_full(fd, (void *)req, len, 0) || !io_full(fd, sz, 4, 1))
        return NULL;
    *resp_len = (size_t)sz[0] << 24 | (size_t)sz[1] << 16 | (size_t)sz[2] << 8 | sz[3];
    uint8_t *resp = malloc(*resp_len ? *resp_len : 1);
    if (resp && !io_full(fd, resp, *resp_len, 1)) {
        free(resp);
        return NULL;
    }
    return resp;
}

int64_t kafka_test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kafka_test_sleep_ms(int64_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int kafka_test_dead_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 1; /* port 1: nothing listens there either */
    return ntohs(a.sin_port); /* fd stays open (bound, not listening) until exit */
}

kafka_conf_t *kafka_test_conf(const char *bootstrap, const char *const *kv) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    char err[512];
    const char *base[] = {"bootstrap.servers", bootstrap, "fetch.max.wait.ms", "100", "retry.backoff.ms", "20",
                          "request.timeout.ms", "5000", NULL};
    for (const char *const *p = base; *p; p += 2)
        CU_ASSERT_EQUAL(kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), KAFKA_OK);
    for (; kv && kv[0]; kv += 2)
        if (kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)) != KAFKA_OK) {
            fprintf(stderr, "%s\n", err);
            CU_FAIL("a test property was refused");
        }
    return conf;
}

kafka_consumer_t *kafka_test_consumer(const char *bootstrap, const char *const *kv) {
    kafka_conf_t *conf = kafka_test_conf(bootstrap, kv);
    char err[512];
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    if (!c)
        fprintf(stderr, "consumer: %s\n", err);
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

kafka_mock_t *kafka_test_mock_new(const kafka_mock_conf_t *mconf) {
    char err[256];
    kafka_mock_t *m = kafka_mock_new(mconf, err, sizeof(err));
    if (!m)
        fprintf(stderr, "mock: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

kafka_mock_t *kafka_test_mock(int brokers, bool auto_create) {
    kafka_mock_conf_t mconf;
    kafka_mock_conf_init(&mconf);
    mconf.brokers = brokers;
    mconf.auto_create = auto_create;
    mconf.retention_bytes = 0; /* tests read back all they write; retention tests set their own */
    return kafka_test_mock_new(&mconf);
}

void kafka_test_dr_init(kafka_test_dr_t *s, size_t n) {
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->partition = malloc(n * sizeof(*s->partition));
    s->offset = malloc(n * sizeof(*s->offset));
    s->err = calloc(n, sizeof(*s->err));
    s->why = calloc(n, sizeof(*s->why));
    for (size_t i = 0; i < n; i++)
        s->partition[i] = -2;
    pthread_mutex_init(&s->lock, NULL);
}

void kafka_test_dr_free(kafka_test_dr_t *s) {
    free(s->partition);
    free(s->offset);
    free(s->err);
    free(s->why);
    pthread_mutex_destroy(&s->lock);
}

void kafka_test_dr_cb(const kafka_delivery_t *d, void *arg) {
    kafka_test_dr_t *s = arg;
    size_t i = (size_t)(intptr_t)d->opaque - 1;
    pthread_mutex_lock(&s->lock);
    if (i >= s->n || s->partition[i] != -2) {
        atomic_fetch_add(&s->dups, 1);
    } else {
        s->partition[i] = d->partition;
        s->offset[i] = d->offset;
        s->err[i] = d->err;
        if (d->err) {
            atomic_fetch_add(&s->failed, 1);
            snprintf(s->why[i], sizeof(s->why[i]), "%s", d->errstr ? d->errstr : "");
            snprintf(s->last_err, sizeof(s->last_err), "%s", d->errstr ? d->errstr : "");
        }
    }
    pthread_mutex_unlock(&s->lock);
    atomic_fetch_add(&s->reports, 1);
}

int kafka_test_filler(char *buf, const char *prefix, size_t i, int len, bool half) {
    int n = snprintf(buf, 32, "%s%zu|", prefix, i);
    int end = half ? n + (len - n) / 2 : len;
    uint32_t x = (uint32_t)i * 2654435761u + 1;
    for (int k = n; k < end; k++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[k] = (char)x;
    }
    for (int k = end; k < len; k++)
        buf[k] = buf[k - (end - n)];
    return len;
}

void kafka_test_produce(const char *bootstrap, const char *const *kv, const char *topic, int partitions, size_t n,
                        int len, const char *prefix) {
    kafka_conf_t *conf = kafka_test_conf(bootstrap, kv);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_test_dr_t s;
    kafka_test_dr_init(&s, n);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, &s);
    char *buf = malloc((size_t)len);
    for (size_t i = 0; i < n; i++) {
        int l = kafka_test_filler(buf, prefix, i, len, false);
        kafka_produce_msg_t msg = {.value = buf, .value_len = l};
        kafka_err_t e = kafka_producer_produce(p, topic, (int32_t)(i % (size_t)partitions), &msg, (void *)(i + 1), err,
                                               sizeof(err));
        CU_ASSERT_EQUAL_FATAL(e, KAFKA_OK);
    }
    free(buf);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 20000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&s.reports), (int)n);
    CU_ASSERT_EQUAL(atomic_load(&s.failed), 0);
    if (atomic_load(&s.failed))
        fprintf(stderr, "delivery failed: %s\n", s.last_err);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&s);
}

size_t kafka_test_consume(const char *bootstrap, const char *const *kv, const char *topic, int partitions, size_t n,
                          const char *prefix) {
    kafka_consumer_t *c = kafka_test_consumer(bootstrap, kv);
    kafka_topic_partition_t *tps = calloc((size_t)partitions, sizeof(*tps));
    for (int i = 0; i < partitions; i++)
        tps[i] = (kafka_topic_partition_t){topic, i, KAFKA_OFFSET_BEGINNING};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(kafka_consumer_assign(c, tps, (size_t)partitions, err, sizeof(err)), KAFKA_OK);
    free(tps);
    unsigned char *seen = calloc(n, 1);
    size_t got = 0, good = 0, pl = strlen(prefix);
    int64_t deadline = kafka_test_now_ms() + 20000;
    while (got < n && kafka_test_now_ms() < deadline) {
        kafka_message_t *msgs[256];
        size_t cnt = 0;
        if (kafka_consumer_poll(c, 200, msgs, 256, &cnt, err, sizeof(err)))
            fprintf(stderr, "poll: %s\n", err);
        for (size_t i = 0; i < cnt; i++) {
            int32_t len = 0;
            const char *v = kafka_message_payload(msgs[i], &len);
            char *end = NULL;
            size_t idx = v && (size_t)len > pl && memcmp(v, prefix, pl) == 0 ? strtoul(v + pl, &end, 10) : n;
            if (end && *end == '|' && idx < n && !seen[idx]) {
                seen[idx] = 1;
                good++;
            }
            got++;
            kafka_message_destroy(msgs[i]);
        }
    }
    free(seen);
    kafka_consumer_destroy(c);
    return good;
}

void kafka_test_client_open(kafka_test_client_t *c, kafka_mock_t *m, int broker, const char *name) {
    memset(c, 0, sizeof(*c));
    c->name = name;
    c->fd = kafka_test_connect(kafka_mock_broker_port(m, broker));
    CU_ASSERT_FATAL(c->fd >= 0);
}

void kafka_test_client_close(kafka_test_client_t *c) {
    close(c->fd);
    free(c->last);
    kafka__arena_free(&c->arena);
}

kafka_err_t kafka_test_client_call(kafka_test_client_t *c, int16_t key, int16_t version, const void *req, void *resp) {
    kafka_buf_t out = KAFKA_BUF_INIT;
    kafka_request_header_t hdr = {key, version, ++c->corr, kafka_str(c->name)};
    char err[256];
    kafka_err_t e = kafka_request_encode(&out, &hdr, req, err, sizeof(err));
    if (e)
        fprintf(stderr, "encode %s v%d: %s\n", kafka_api_name(key), version, err);
    CU_ASSERT_EQUAL_FATAL(e, KAFKA_OK);
    size_t len;
    free(c->last);
    c->last = kafka_test_roundtrip(c->fd, out.data, out.len, &len);
    kafka__buf_free(&out);
    if (!c->last)
        return KAFKA_ERR__TRANSPORT;
    int32_t corr;
    e = kafka_response_decode(c->last, len, key, version, &c->arena, &corr, resp, err, sizeof(err));
    if (e)
        fprintf(stderr, "%s v%d: %s\n", kafka_api_name(key), version, err);
    CU_ASSERT_EQUAL(corr, c->corr);
    return e;
}

int kafka_test_exec(const char *prog, char *out, size_t out_size, const char *fmt, ...) {
    char args[1024], cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", prog, args);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t n = 0, k;
    while (n + 1 < out_size && (k = fread(out + n, 1, out_size - n - 1, p)) > 0)
        n += k;
    out[n] = 0;
    char sink[4096];
    while (fread(sink, 1, sizeof(sink), p) > 0)
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether the mapping holding addr has VmFlag flag ("dd": left out of core dumps) in
 * /proc/self/smaps: 1 yes, 0 no, -1 no mapping holds addr. */
int kafka_test_vmflag(const void *addr, const char *flag) {
    FILE *f = fopen("/proc/self/smaps", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[512];
    bool inside = false;
    int found = -1;
    uintptr_t a = (uintptr_t)addr;
    while (found < 0 && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = a >= lo && a < hi;
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            char want[8];
            snprintf(want, sizeof(want), " %s", flag);
            char *hit = strstr(line + 8, want);
            found = hit && (hit[strlen(want)] == ' ' || hit[strlen(want)] == '\n');
        }
    }
    fclose(f);
    return found;
}

int64_t kafka_test_api_requests(const kafka_request_stats_t *st, size_t n, int16_t api_key) {
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i].api_key == api_key)
            k += st[i].requests;
    return k;
}
