/* kafka-agent: the Prometheus endpoint and the health check (see metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "kafka/connection.h"
#include "kafka/error.h"
#include "kafka/protocol.h"
#include "alog.h"
#include "metrics.h"

#define HTTP_CONNECTIONS 32        /* at once; more wait in the listen backlog */
#define HTTP_IDLE_S 5              /* a connection silent this long is closed (slow clients) */
#define HTTP_MEMORY (8 * 1024)     /* per connection: request line and headers must fit (else 414/431) */
#define HEALTH_TICK_MS 500         /* how often the health thread samples progress */
#define PROBE_AFTER_MS 2000        /* no delivery for this long: ask a broker for metadata */
#define PROBE_TIMEOUT_MS 2000      /* ... waiting at most this long for an answer */

struct agent_page_s {
    char *buf;
    size_t len, cap;
    bool oom;
};

static void page_put(agent_page_t *pg, const char *s, size_t n) {
    if (pg->oom)
        return;
    if (pg->len + n + 1 > pg->cap) {
        size_t cap = pg->cap ? pg->cap : 4096;
        while (pg->len + n + 1 > cap)
            cap *= 2;
        char *b = realloc(pg->buf, cap);
        if (!b) {
            pg->oom = true;
            return;
        }
        pg->buf = b;
        pg->cap = cap;
    }
    memcpy(pg->buf + pg->len, s, n);
    pg->len += n;
    pg->buf[pg->len] = 0;
}

__attribute__((format(printf, 2, 3))) static void page_printf(agent_page_t *pg, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        page_put(pg, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void agent_page_family(agent_page_t *pg, const char *name, const char *type, const char *help) {
    page_printf(pg, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels...} without the value. */
static void sample_head(agent_page_t *pg, const char *name, const char *const *labels) {
    page_put(pg, name, strlen(name));
    for (int i = 0; labels && labels[i]; i += 2) {
        page_put(pg, i ? "," : "{", 1);
        page_put(pg, labels[i], strlen(labels[i]));
        page_put(pg, "=\"", 2);
        for (const char *v = labels[i + 1]; *v; v++) {
            if (*v == '\\')
                page_put(pg, "\\\\", 2);
            else if (*v == '"')
                page_put(pg, "\\\"", 2);
            else if (*v == '\n')
                page_put(pg, "\\n", 2);
            else
                page_put(pg, v, 1);
        }
        page_put(pg, "\"", 1);
    }
    if (labels && labels[0])
        page_put(pg, "}", 1);
}

void agent_page_sample(agent_page_t *pg, const char *name, const char *const *labels, int64_t value) {
    sample_head(pg, name, labels);
    page_printf(pg, " %lld\n", (long long)value);
}

void agent_page_sample_f(agent_page_t *pg, const char *name, const char *const *labels, double value) {
    sample_head(pg, name, labels);
    page_printf(pg, " %.9g\n", value);
}

void agent_page_metric(agent_page_t *pg, const char *name, const char *type, const char *help, int64_t value) {
    agent_page_family(pg, name, type, help);
    agent_page_sample(pg, name, NULL, value);
}

void agent_reasons_add(agent_reasons_t *r, int code) {
    int i = 0;
    for (; i < AGENT_REASONS - 1; i++) {
        int seen = atomic_load(&r->code[i]);
        if (seen == code)
            break;
        if (seen == 0) {
            int expect = 0;
            if (atomic_compare_exchange_strong(&r->code[i], &expect, code) || expect == code)
                break;
        }
    }
    if (i == AGENT_REASONS - 1)
        atomic_store(&r->code[i], code); /* "other": the code is not exported */
    atomic_fetch_add_explicit(&r->n[i], 1, memory_order_relaxed);
}

void agent_reasons_samples(agent_page_t *pg, const char *name, const agent_reasons_t *r) {
    for (int i = 0; i < AGENT_REASONS; i++) {
        int code = atomic_load(&((agent_reasons_t *)r)->code[i]);
        if (!code)
            continue;
        const char *reason = i == AGENT_REASONS - 1 ? "other" : kafka_err_name((kafka_err_t)code);
        agent_page_sample(pg, name, (const char *[]){"reason", reason, NULL},
                          atomic_load(&((agent_reasons_t *)r)->n[i]));
    }
}

/* ---- the server ---- */

struct agent_metrics_s {
    agent_metrics_source_t src;
    struct MHD_Daemon *d;
    kafka_connection_t *probe; /* the health thread's */
    int64_t stall_ms;
    pthread_t health;
    pthread_mutex_t lock; /* the fields below */
    pthread_cond_t cond;
    bool stop;
    bool healthy;
    char reason[600];
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
                             size_t len) {
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text) {
    char *body = strdup(text);
    return body ? reply(conn, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

/* @thread http  @locks m->lock (healthz) */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    agent_metrics_t *m = cls;
    (void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
    bool metrics = strcmp(url, "/metrics") == 0, healthz = strcmp(url, "/healthz") == 0;
    if (!metrics && !healthz)
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: GET /metrics or /healthz\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
        MHD_destroy_response(resp);
        return r;
    }
    if (healthz) {
        char text[640];
        pthread_mutex_lock(&m->lock);
        bool ok = m->healthy;
        snprintf(text, sizeof(text), "%s\n", ok ? "ok" : m->reason);
        pthread_mutex_unlock(&m->lock);
        return reply_text(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text);
    }
    agent_page_t pg = {0};
    pthread_mutex_lock(&m->lock);
    bool ok = m->healthy;
    pthread_mutex_unlock(&m->lock);
    agent_page_metric(&pg, "kafka_agent_healthy", "gauge", "1 while /healthz answers 200, else 0", ok);
    if (m->src.collect)
        m->src.collect(&pg, m->src.arg);
    if (pg.oom) {
        free(pg.buf);
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", pg.buf, pg.len);
}

/* Health: sampled every HEALTH_TICK_MS. A delivery proves a broker answers; without one
 * for PROBE_AFTER_MS, a Metadata request on a connection of the probe's own says whether
 * any broker does. */
/* @thread health  @locks m->lock */
static void *health_main(void *arg) {
    agent_metrics_t *m = arg;
    char errstr[512];
    int64_t last_done = -1, last_progress = now_ms(), last_contact = 0, last_probe = 0;
    bool reachable = true;
    char unreachable[520] = "";
    pthread_mutex_lock(&m->lock);
    while (!m->stop) {
        pthread_mutex_unlock(&m->lock);
        int64_t done = 0, pending = 0, now = now_ms();
        if (m->src.progress)
            m->src.progress(m->src.arg, &done, &pending);
        if (done != last_done || pending == 0)
            last_progress = now;
        if (done != last_done && last_done >= 0) {
            last_contact = now;
            reachable = true;
        }
        last_done = done;
        if (now - last_contact >= PROBE_AFTER_MS && now - last_probe >= PROBE_AFTER_MS) {
            kafka_metadata_t *md =
                kafka_connection_metadata(m->probe, NULL, 0, PROBE_TIMEOUT_MS, NULL, errstr, sizeof(errstr));
            kafka_metadata_release(md);
            now = now_ms();
            last_probe = now;
            reachable = md != NULL;
            if (md)
                last_contact = now;
            else
                snprintf(unreachable, sizeof(unreachable), "no broker reachable: %.480s", errstr);
        }
        int64_t stalled = now - last_progress;
        pthread_mutex_lock(&m->lock);
        m->healthy = reachable && stalled < m->stall_ms;
        if (!reachable)
            snprintf(m->reason, sizeof(m->reason), "%s", unreachable);
        else if (stalled >= m->stall_ms)
            snprintf(m->reason, sizeof(m->reason), "no delivery for %lld s with %lld messages pending",
                     (long long)(stalled / 1000), (long long)pending);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += HEALTH_TICK_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        if (!m->stop)
            pthread_cond_timedwait(&m->cond, &m->lock, &ts);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* A listening socket on HOST:PORT, or -1 with errstr. */
static int listen_on(const char *spec, char *host, size_t host_size, char *errstr, size_t errstr_size) {
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        snprintf(errstr, errstr_size, "%s: HOST:PORT expected", spec);
        return -1;
    }
    size_t hl = (size_t)(colon - spec);
    if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']')
        spec++, hl -= 2;
    if (hl >= host_size) {
        snprintf(errstr, errstr_size, "%s: host too long", spec);
        return -1;
    }
    memcpy(host, spec, hl);
    host[hl] = 0;
    int64_t port;
    if (!agent_parse_i64(colon + 1, 0, 65535, &port)) {
        snprintf(errstr, errstr_size, "%s: port 0..65535 expected", colon + 1);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai) {
        snprintf(errstr, errstr_size, "%s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(errstr, errstr_size, "cannot listen on %s:%s: %s", host, colon + 1, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

int agent_metrics_open(agent_ctx_t *ctx, const char *listen, const agent_metrics_source_t *src, int64_t stall_ms,
                       agent_metrics_t **out) {
    *out = NULL;
    if (!listen || !*listen)
        return AGENT_OK;
    char host[256], errstr[512];
    int fd = listen_on(listen, host, sizeof(host), errstr, sizeof(errstr));
    if (fd < 0) {
        agent_err(ctx, "--metrics / metrics.listen: %s", errstr);
        return AGENT_USAGE;
    }
    agent_metrics_t *m = calloc(1, sizeof(*m));
    kafka_connection_t *probe = kafka_connection_new(ctx->conf, errstr, sizeof(errstr));
    if (!m || !probe) {
        agent_err(ctx, "metrics: %s", m ? errstr : "out of memory");
        kafka_connection_destroy(probe);
        free(m);
        close(fd);
        return AGENT_USAGE;
    }
    if (src)
        m->src = *src;
    m->probe = probe;
    m->stall_ms = stall_ms;
    m->healthy = true;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    /* One polling thread of its own; the listening socket is ours, so that errors name
     * the cause. */
    m->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC, 0, NULL, NULL, on_request, m,
                            MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)HTTP_MEMORY, MHD_OPTION_END);
    bool started = m->d && pthread_create(&m->health, NULL, health_main, m) == 0;
    if (!started) {
        agent_err(ctx, "metrics: cannot start the HTTP server on %s", listen);
        if (m->d) {
            MHD_quiesce_daemon(m->d);
            MHD_stop_daemon(m->d);
        }
        close(fd);
        kafka_connection_destroy(probe);
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->cond);
        free(m);
        return AGENT_USAGE;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    bool v6 = strchr(host, ':') != NULL;
    agent_log(ctx, AGENT_LOG_INFO, true, NULL, "metrics at http://%s%s%s:%u/metrics", v6 ? "[" : "", host,
              v6 ? "]" : "", info ? (unsigned)info->port : 0u);
    *out = m;
    return AGENT_OK;
}

void agent_metrics_stop(agent_metrics_t *m) {
    if (!m)
        return;
    /* Quiesced, MHD hands the listening socket back (and never closes it itself). */
    MHD_socket fd = MHD_quiesce_daemon(m->d);
    MHD_stop_daemon(m->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    pthread_mutex_lock(&m->lock);
    m->stop = true;
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->health, NULL);
    kafka_connection_destroy(m->probe);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m);
}

void agent_metrics_deliveries(agent_page_t *pg, int64_t delivered, const agent_reasons_t *failed) {
    agent_page_metric(pg, "kafka_agent_messages_delivered_total", "counter", "Messages Kafka acknowledged",
                      delivered);
    agent_page_family(pg, "kafka_agent_messages_failed_total", "counter", "Messages reported failed, by error");
    agent_reasons_samples(pg, "kafka_agent_messages_failed_total", failed);
}

/* The library's request statistics of one client: requests, errors and the latency
 * histogram per broker and API. */
static void requests(agent_page_t *pg, size_t (*read)(void *, kafka_request_stats_t *, size_t),
                     size_t (*read_errors)(void *, kafka_request_error_t *, size_t), void *client) {
    enum { MAX_ROWS = 512 };
    kafka_request_stats_t *rs = malloc(sizeof(*rs) * MAX_ROWS);
    kafka_request_error_t *es = malloc(sizeof(*es) * MAX_ROWS);
    if (!rs || !es) {
        free(rs);
        free(es);
        return;
    }
    size_t n = read(client, rs, MAX_ROWS), ne = read_errors(client, es, MAX_ROWS);
    n = n < MAX_ROWS ? n : MAX_ROWS;
    ne = ne < MAX_ROWS ? ne : MAX_ROWS;
    char api[32];
#define API_NAME(k) (kafka_api_name(k) ? kafka_api_name(k) : (snprintf(api, sizeof(api), "%d", (int)(k)), api))
    agent_page_family(pg, "kafka_client_requests_total", "counter", "Requests written to a broker, per API");
    for (size_t i = 0; i < n; i++)
        agent_page_sample(pg, "kafka_client_requests_total",
                          (const char *[]){"broker", rs[i].broker, "api", API_NAME(rs[i].api_key), NULL},
                          rs[i].requests);
    agent_page_family(pg, "kafka_client_request_errors_total", "counter",
                      "Requests failed on the connection, and error codes brokers answered (per partition for "
                      "Produce and Fetch)");
    for (size_t i = 0; i < ne; i++)
        agent_page_sample(pg, "kafka_client_request_errors_total",
                          (const char *[]){"broker", es[i].broker, "api", API_NAME(es[i].api_key), "error",
                                           kafka_err_name(es[i].err), NULL},
                          es[i].count);
    agent_page_family(pg, "kafka_client_request_latency_seconds", "histogram",
                      "From a request's write to its response's arrival");
    for (size_t i = 0; i < n; i++) {
        const char *a = API_NAME(rs[i].api_key);
        int64_t cum = 0;
        for (int k = 0; k < KAFKA_LATENCY_BUCKETS; k++) {
            char le[32];
            if (k < KAFKA_LATENCY_BUCKETS - 1)
                snprintf(le, sizeof(le), "%g", kafka_latency_bounds_s[k]);
            else
                snprintf(le, sizeof(le), "+Inf");
            cum += rs[i].latency[k];
            agent_page_sample(pg, "kafka_client_request_latency_seconds_bucket",
                              (const char *[]){"broker", rs[i].broker, "api", a, "le", le, NULL}, cum);
        }
        agent_page_sample_f(pg, "kafka_client_request_latency_seconds_sum",
                            (const char *[]){"broker", rs[i].broker, "api", a, NULL}, rs[i].latency_sum_s);
        agent_page_sample(pg, "kafka_client_request_latency_seconds_count",
                          (const char *[]){"broker", rs[i].broker, "api", a, NULL}, cum);
    }
#undef API_NAME
    free(rs);
    free(es);
}

static size_t producer_rows(void *p, kafka_request_stats_t *o, size_t m) { return kafka_producer_request_stats(p, o, m); }
static size_t producer_errs(void *p, kafka_request_error_t *o, size_t m) { return kafka_producer_request_errors(p, o, m); }
static size_t consumer_rows(void *c, kafka_request_stats_t *o, size_t m) { return kafka_consumer_request_stats(c, o, m); }
static size_t consumer_errs(void *c, kafka_request_error_t *o, size_t m) { return kafka_consumer_request_errors(c, o, m); }

void agent_metrics_producer(agent_page_t *pg, kafka_producer_t *p) {
    requests(pg, producer_rows, producer_errs, p);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    agent_page_metric(pg, "kafka_agent_batches_retried_total", "counter",
                      "Batches sent again after a retriable error or a lost connection", st.retries);
    agent_page_metric(pg, "kafka_agent_in_flight_messages", "gauge", "Messages produced and not reported yet",
                      st.outstanding);
    agent_page_metric(pg, "kafka_client_connects_total", "counter", "Broker connections opened by the producer",
                      st.connects);
    agent_page_metric(pg, "kafka_client_connections", "gauge", "Producer connections open (connects - disconnects)",
                      st.connects - st.disconnects);
    agent_page_metric(pg, "kafka_agent_messages_retried_total", "counter",
                      "Messages sent again (in the batches kafka_agent_batches_retried_total counts)",
                      st.retried_messages);
    agent_page_metric(pg, "kafka_client_broker_workers", "gauge", "Producer threads, one per leader broker in use",
                      st.workers);
    agent_page_metric(pg, "kafka_client_produce_requests_total", "counter", "ProduceRequests written", st.requests);
    agent_page_metric(pg, "kafka_client_produce_request_bytes_total", "counter", "Bytes of those requests",
                      st.request_bytes);
}

void agent_metrics_consumer(agent_page_t *pg, kafka_consumer_t *c) {
    requests(pg, consumer_rows, consumer_errs, c);
    kafka_consumer_stats_t st;
    kafka_consumer_stats(c, &st);
    static const struct {
        const char *name, *type, *help;
        size_t field;
    } fams[] = {
        {"kafka_agent_messages_consumed_total", "counter", "Messages the consumer loop returned",
         offsetof(kafka_consumer_stats_t, messages)},
        {"kafka_agent_consumed_bytes_total", "counter", "Record bytes of the fetched data returned",
         offsetof(kafka_consumer_stats_t, bytes)},
        {"kafka_agent_consumer_lag_messages", "gauge",
         "Sum over the assigned partitions of high watermark - position", offsetof(kafka_consumer_stats_t, lag)},
        {"kafka_agent_consumer_max_lag_messages", "gauge", "The largest lag of one assigned partition",
         offsetof(kafka_consumer_stats_t, max_lag)},
        {"kafka_agent_consumer_assigned_partitions", "gauge", "Partitions assigned",
         offsetof(kafka_consumer_stats_t, assigned)},
        {"kafka_agent_consumer_failed_partitions", "gauge", "Assigned partitions stopped by an error",
         offsetof(kafka_consumer_stats_t, failed)},
        {"kafka_agent_consumer_buffered_messages", "gauge", "Messages fetched and waiting to be returned",
         offsetof(kafka_consumer_stats_t, buffered_messages)},
        {"kafka_agent_consumer_buffered_bytes", "gauge", "Their record bytes",
         offsetof(kafka_consumer_stats_t, buffered_bytes)},
        {"kafka_agent_consumer_offset_resets_total", "counter", "auto.offset.reset applied to a partition",
         offsetof(kafka_consumer_stats_t, offset_resets)},
        {"kafka_agent_consumer_commits_total", "counter", "Commits of the positions",
         offsetof(kafka_consumer_stats_t, commits)},
        {"kafka_agent_consumer_commit_failures_total", "counter", "Commits that failed",
         offsetof(kafka_consumer_stats_t, commit_failures)},
        {"kafka_client_fetch_requests_total", "counter", "Fetch requests sent",
         offsetof(kafka_consumer_stats_t, fetch_requests)},
        {"kafka_client_fetch_errors_total", "counter", "Partitions a Fetch failed for",
         offsetof(kafka_consumer_stats_t, fetch_errors)},
        {"kafka_client_connects_total", "counter", "Broker connections opened by the fetchers",
         offsetof(kafka_consumer_stats_t, connects)},
    };
    for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
        agent_page_metric(pg, fams[i].name, fams[i].type, fams[i].help,
                          *(const int64_t *)((const char *)&st + fams[i].field));
    agent_page_metric(pg, "kafka_client_connections", "gauge", "Broker connections of the fetchers open now",
                      st.connects - st.disconnects);
    /* per partition: the lag, and the position it is measured from */
    enum { MAX_PARTS = 4096 };
    kafka_partition_lag_t *lags = malloc(sizeof(*lags) * MAX_PARTS);
    size_t n = lags ? kafka_consumer_lags(c, lags, MAX_PARTS) : 0;
    n = n < MAX_PARTS ? n : MAX_PARTS;
    static const struct {
        const char *name, *help;
        size_t field;
    } per[] = {{"kafka_agent_consumer_partition_lag_messages", "High watermark - position of an assigned partition",
                offsetof(kafka_partition_lag_t, lag)},
               {"kafka_agent_consumer_partition_position", "The offset after the last message returned",
                offsetof(kafka_partition_lag_t, position)}};
    for (size_t k = 0; k < 2; k++) {
        agent_page_family(pg, per[k].name, "gauge", per[k].help);
        for (size_t i = 0; i < n; i++) {
            char part[16];
            snprintf(part, sizeof(part), "%d", (int)lags[i].partition);
            agent_page_sample(pg, per[k].name, (const char *[]){"topic", lags[i].topic, "partition", part, NULL},
                              *(const int64_t *)((const char *)&lags[i] + per[k].field));
        }
    }
    free(lags);
}

/* @thread http  @locks none */
static void consumer_collect(agent_page_t *pg, void *arg) { agent_metrics_consumer(pg, arg); }

/* @thread health  @locks none */
static void consumer_progress(void *arg, int64_t *done, int64_t *pending) {
    kafka_consumer_stats_t st;
    kafka_consumer_stats(arg, &st);
    *done = st.messages;
    *pending = st.lag;
}

agent_metrics_source_t agent_metrics_consumer_source(kafka_consumer_t *c) {
    return (agent_metrics_source_t){consumer_collect, consumer_progress, c};
}
