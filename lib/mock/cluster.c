/* The mock cluster: the epoll event loop, connections and request dispatch. Listeners
 * live in listener.c, handlers in hNN_<api>.c, partition logs in log.c. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mock/mock_int.h"
#include "proto/schema.h"
#include "util/clock.h"

#define KMOCK_MAX_FRAME (100 << 20) /* Kafka's socket.request.max.bytes default */

struct kmock_conn_s {
    int kind; /* KMOCK_POLL_CONN: first, so epoll data can tell listeners from connections */
    int fd;
    kmock_broker_t *broker;
    int listener; /* the index of the broker's listener it came in on */
    kafka_buf_t rbuf;
    size_t rpos;
    kafka_buf_t wbuf;
    size_t wpos;
    int64_t ready_at;     /* wbuf is held until then (injected latency) */
    size_t cut_at;        /* close after writing this many bytes (0: no cut) */
    bool want_out;        /* EPOLLOUT registered */
    bool closing;
    uint8_t *parked;      /* a Fetch frame waiting for data, a JoinGroup/SyncGroup at its barrier */
    size_t parked_len;
    int64_t park_deadline;
    kafka_request_u *body;
    char park_member[KMOCK_MEMBER_ID_MAX]; /* what a parked request's handler keeps */
    kmock_sasl_t sasl;
    SSL *ssl;             /* a connection of a TLS listener (SSL, SASL_SSL), else NULL */
    kmock_conn_t *next;
};

static const int wake_tag = KMOCK_POLL_WAKE;

void kafka_mock_conf_init(kafka_mock_conf_t *conf) {
    memset(conf, 0, sizeof(*conf)); /* fields added later start at 0 / NULL too */
    conf->brokers = 3;
    conf->default_partitions = 4;
    conf->auto_create = true;
    conf->retention_bytes = KAFKA_MOCK_DEFAULT_RETENTION;
}

static void wake(kafka_mock_t *m) {
    uint64_t one = 1;
    ssize_t r = write(m->wake_fd, &one, sizeof(one));
    (void)r;
}

static void conn_close(kafka_mock_t *m, kmock_conn_t *c) {
    if (c->fd >= 0) {
        epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->closing = true;
}

/* Closes after reading what the peer sent: closing with unread input would reset the
 * connection, and the peer might never read the TLS alert written before. */
static void conn_drop(kafka_mock_t *m, kmock_conn_t *c) {
    char junk[4096];
    while (c->fd >= 0 && read(c->fd, junk, sizeof(junk)) > 0) {
    }
    conn_close(m, c);
}

static void conn_free(kmock_conn_t *c) {
    SSL_free(c->ssl);
    kafka__buf_free(&c->rbuf);
    kafka__buf_free(&c->wbuf);
    free(c->parked);
    free(c->body);
    free(c);
}

/* Takes the listener's new connections: over TLS for SSL and SASL_SSL, with SASL to go
 * through first for SASL_PLAINTEXT and SASL_SSL. */
static void accept_conns(kafka_mock_t *m, kmock_listener_t *l) {
    bool tls = kmock__proto_tls(l->proto);
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        kmock_conn_t *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->kind = KMOCK_POLL_CONN;
        c->fd = fd;
        c->broker = l->broker;
        c->listener = (int)(l - l->broker->listeners);
        /* Off a SASL listener a connection is authenticated as it stands: a SaslHandshake
         * then gets ILLEGAL_SASL_STATE, as from Kafka. */
        c->sasl.stage = kmock__proto_sasl(l->proto) ? KMOCK_SASL_START : KMOCK_SASL_DONE;
        c->body = malloc(sizeof(*c->body));
        if (tls && (c->ssl = SSL_new(m->ssl_ctx)) != NULL) {
            SSL_set_fd(c->ssl, fd);
            SSL_set_accept_state(c->ssl);
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (!c->body || (tls && !c->ssl) || epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            SSL_free(c->ssl);
            free(c->body);
            free(c);
            continue;
        }
        c->next = m->conns;
        m->conns = c;
    }
}

static void conn_want_out(kafka_mock_t *m, kmock_conn_t *c, bool on);

/* SSL_read_ex returned r (not 1): wait for what it wants, or close. */
static void conn_tls_read_failed(kafka_mock_t *m, kmock_conn_t *c, int r) {
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE)
        conn_want_out(m, c, true); /* the handshake's answer waits for room */
    else if (e == SSL_ERROR_WANT_READ && c->wpos == c->wbuf.len)
        conn_want_out(m, c, false); /* written: no response pending to keep EPOLLOUT for */
    else if (e != SSL_ERROR_WANT_READ)
        conn_drop(m, c); /* a failed handshake already wrote its alert */
    ERR_clear_error();
}

/* Reads all there is. Over TLS (the handshake runs inside SSL_read) everything
 * decrypted goes to rbuf too, so nothing waits in OpenSSL that epoll would not announce. */
static void conn_read(kafka_mock_t *m, kmock_conn_t *c) {
    for (;;) {
        if (c->rpos && c->rpos == c->rbuf.len) {
            c->rpos = 0;
            kafka__buf_reset(&c->rbuf);
        }
        if (!kafka__buf_grow(&c->rbuf, 64 * 1024)) {
            conn_close(m, c);
            return;
        }
        uint8_t *at = c->rbuf.data + c->rbuf.len;
        size_t room = c->rbuf.cap - c->rbuf.len, n = 0;
        if (c->ssl) {
            ERR_clear_error();
            int r = SSL_read_ex(c->ssl, at, room, &n);
            if (r != 1) {
                conn_tls_read_failed(m, c, r);
                return;
            }
        } else {
            ssize_t got = read(c->fd, at, room);
            if (got <= 0) {
                if (got == 0 || (errno != EAGAIN && errno != EINTR))
                    conn_close(m, c);
                return;
            }
            n = (size_t)got;
        }
        c->rbuf.len += n;
    }
}

static void conn_want_out(kafka_mock_t *m, kmock_conn_t *c, bool on) {
    if (c->fd < 0 || c->want_out == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

static void conn_flush(kafka_mock_t *m, kmock_conn_t *c, int64_t now) {
    if (c->fd < 0 || c->wpos == c->wbuf.len || now < c->ready_at)
        return;
    while (c->wpos < c->wbuf.len) {
        size_t end = c->cut_at ? c->cut_at : c->wbuf.len;
        ssize_t n;
        if (c->ssl) {
            size_t done = 0;
            ERR_clear_error();
            int r = SSL_write_ex(c->ssl, c->wbuf.data + c->wpos, end - c->wpos, &done);
            int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
            ERR_clear_error();
            n = (ssize_t)done;
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                errno = EAGAIN;
                n = -1;
            } else if (e != SSL_ERROR_NONE) {
                errno = EPIPE;
                n = -1;
            }
        } else {
            /* MSG_NOSIGNAL: a client that hung up is EPIPE here, not SIGPIPE in the process
             * hosting the mock (a test, kafka-agent --mock); the loop thread blocks SIGPIPE
             * for OpenSSL's own writes. */
            n = send(c->fd, c->wbuf.data + c->wpos, end - c->wpos, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                conn_want_out(m, c, true);
                return;
            }
            conn_close(m, c);
            return;
        }
        c->wpos += (size_t)n;
        if (c->cut_at && c->wpos >= c->cut_at) {
            conn_close(m, c); /* the injected cut: half a response, then gone */
            return;
        }
    }
    c->wpos = 0;
    kafka__buf_reset(&c->wbuf);
    conn_want_out(m, c, false);
}

/* ---- request dispatch ---- */

/* The first pushed fault matching (api, broker), with its count taken down by one; when
 * that was its last use it is unlinked and the caller frees it (count is then 0). */
static kmock_fault_t *take_fault(kafka_mock_t *m, int16_t key, int broker_id) {
    for (kmock_fault_t **pp = &m->faults; *pp; pp = &(*pp)->next) {
        kmock_fault_t *f = *pp;
        if (f->api_key != key || (f->broker_id >= 0 && f->broker_id != broker_id))
            continue;
        if (--f->count == 0)
            *pp = f->next;
        return f;
    }
    return NULL;
}

/* Appends the response frame to the connection's output. */
static void respond(kafka_mock_t *m, kmock_conn_t *c, int16_t key, int16_t version, int32_t corr,
                    kafka_response_u *resp, int64_t now) {
    size_t start = c->wbuf.len;
    char err[256];
    /* Handlers fill every field; what this version lacks goes back to its default. */
    kafka__schema_clamp(kafka__api_find(key)->response, version, resp);
    if (kafka_response_encode(&c->wbuf, key, version, corr, resp, err, sizeof(err)) != KAFKA_OK) {
        fprintf(stderr, "kafka-mock: broker %d: cannot encode %s v%d response: %s\n", c->broker->id,
                kafka_api_name(key), version, err);
        conn_close(m, c);
        return;
    }
    kmock_broker_t *b = c->broker;
    if (b->latency_ms > 0)
        c->ready_at = now + b->latency_ms;
    if (b->drop_next != -2 && (b->drop_next == -1 || b->drop_next == key)) {
        b->drop_next = -2;
        c->cut_at = start + (c->wbuf.len - start) / 2;
        if (c->cut_at == start)
            c->cut_at = start + 1;
    }
}

/* Handles one request frame (after its size prefix): a response is queued, or the
 * connection closed, or (a Fetch waiting for data) the frame parked on the connection.
 * deadline is 0 for a new request, the parked Fetch's deadline for a retry. */
static void handle_frame(kafka_mock_t *m, kmock_conn_t *c, const uint8_t *frame, size_t len, int64_t now,
                         int64_t deadline) {
    if (c->sasl.raw && c->sasl.stage == KMOCK_SASL_MECH) {
        /* After SaslHandshake v0 the client's SASL tokens come in bare size-prefixed frames. */
        if (!kmock__sasl_raw(m, &c->sasl, frame, len, &c->wbuf))
            conn_close(m, c);
        return;
    }
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    kafka_request_header_t hdr;
    char err[256];
    kafka_err_t e = kafka_request_decode(frame, len, &arena, &hdr, c->body, err, sizeof(err));
    const kmock_api_t *api = e == KAFKA_OK || e == KAFKA_ERR__UNSUPPORTED_VERSION ? kmock__api(hdr.request_api_key)
                                                                                  : NULL;
    int16_t key = hdr.request_api_key, version = hdr.request_api_version;
    int16_t vmin, vmax;
    if (api && !kmock__profile_range(m, key, &vmin, &vmax))
        api = NULL; /* an API the release lacks (ApiVersions before 0.10): Kafka hangs up */
    else if (api && (version < vmin || version > vmax))
        e = KAFKA_ERR__UNSUPPORTED_VERSION;
    if (api && !kmock__sasl_allows(m, &c->sasl, key))
        api = NULL; /* before authentication Kafka serves nothing else: it hangs up */
    if (api && kmock__sasl_expired(m, &c->sasl, key, now))
        api = NULL; /* the session ended (KIP-368): Kafka hangs up on all but re-authentication */
    if (api && e == KAFKA_ERR__UNSUPPORTED_VERSION && key == KAFKA_API_API_VERSIONS) {
        /* An unknown ApiVersions version is answered at v0 with UNSUPPORTED_VERSION and, from
         * Kafka 2.4 (KIP-511), ApiVersions' own range, so the client can pick one. */
        kafka_response_u resp;
        kafka_response_init(key, &resp);
        kmock_req_t rq = {m, c->broker, &hdr, c->body, &arena, now, KAFKA_OK, deadline, &c->sasl, c->listener,
                          c->park_member};
        if (m->profile->kip511) {
            KMOCK_ARRAY(resp.api_versions.api_keys, &rq, "ApiVersion", 1);
            if (resp.api_versions.api_keys.count) {
                resp.api_versions.api_keys.items[0].api_key = key;
                resp.api_versions.api_keys.items[0].min_version = vmin;
                resp.api_versions.api_keys.items[0].max_version = vmax;
            }
        }
        resp.api_versions.error_code = KAFKA_ERR_UNSUPPORTED_VERSION;
        respond(m, c, key, 0, hdr.correlation_id, &resp, now);
        kafka__arena_free(&arena);
        return;
    }
    if (!api || e != KAFKA_OK) {
        /* Kafka closes the connection on a request it cannot parse or does not serve. */
        conn_close(m, c);
        kafka__arena_free(&arena);
        return;
    }
    kmock_req_t rq = {m, c->broker, &hdr, c->body, &arena, now, KAFKA_OK, deadline, &c->sasl, c->listener,
                      c->park_member};
    kmock_fault_t *f = deadline ? NULL : take_fault(m, key, c->broker->id);
    if (f) {
        rq.inject = f->err;
        if (f->count == 0)
            free(f);
    }
    kafka_response_u resp;
    kafka_response_init(key, &resp);
    kmock_result_t r = api->handle(&rq, &resp);
    if (rq.inject)
        kmock__set_error_codes(key, &resp, rq.inject);
    switch (r) {
    case KMOCK_RESPOND: respond(m, c, key, version, hdr.correlation_id, &resp, now); break;
    case KMOCK_NO_RESPONSE: break;
    case KMOCK_CLOSE: conn_close(m, c); break;
    case KMOCK_PARK:
        if (!c->parked) {
            c->parked = malloc(len);
            if (!c->parked) {
                conn_close(m, c);
                break;
            }
            memcpy(c->parked, frame, len);
            c->parked_len = len;
            c->park_deadline = rq.deadline_ms;
        }
        break;
    }
    kafka__arena_free(&arena);
}

/* Serves what a connection can: a parked Fetch first, then queued frames, one at a
 * time and only while no response is pending (Kafka's per-connection ordering). */
static void conn_process(kafka_mock_t *m, kmock_conn_t *c, int64_t now) {
    conn_flush(m, c, now);
    while (c->fd >= 0 && c->wbuf.len == 0) {
        if (c->parked) {
            uint8_t *frame = c->parked;
            size_t len = c->parked_len;
            int64_t deadline = c->park_deadline;
            c->parked = NULL;
            handle_frame(m, c, frame, len, now, deadline);
            if (c->parked) { /* still waiting */
                free(frame);
                return;
            }
            free(frame);
            conn_flush(m, c, now);
            continue;
        }
        size_t avail = c->rbuf.len - c->rpos;
        if (avail < 4)
            return;
        uint32_t size = (uint32_t)c->rbuf.data[c->rpos] << 24 | (uint32_t)c->rbuf.data[c->rpos + 1] << 16 |
                        (uint32_t)c->rbuf.data[c->rpos + 2] << 8 | c->rbuf.data[c->rpos + 3];
        if (size > KMOCK_MAX_FRAME) {
            conn_close(m, c);
            return;
        }
        if (avail < 4 + (size_t)size)
            return;
        const uint8_t *frame = c->rbuf.data + c->rpos + 4;
        c->rpos += 4 + (size_t)size;
        handle_frame(m, c, frame, size, now, 0);
        conn_flush(m, c, now);
    }
}

static int next_timeout(kafka_mock_t *m, int64_t now) {
    int64_t t = -1;
    for (kmock_conn_t *c = m->conns; c; c = c->next) {
        int64_t at = -1;
        if (c->wbuf.len && c->ready_at > now)
            at = c->ready_at;
        if (c->parked)
            at = c->park_deadline;
        if (at >= 0 && (t < 0 || at < t))
            t = at;
    }
    int64_t txn = kmock__txn_deadline(m);
    if (txn != INT64_MAX && (t < 0 || txn < t))
        t = txn;
    if (t < 0)
        return -1;
    return t <= now ? 0 : t - now > INT32_MAX ? INT32_MAX : (int)(t - now);
}

static void *loop(void *arg) {
    kafka_mock_t *m = arg;
    struct epoll_event evs[64];
    /* OpenSSL writes with write(): a client gone would raise SIGPIPE in this thread and
     * kill the process hosting the mock. Blocked, it stays pending here, harmlessly. */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        int timeout = next_timeout(m, kafka__now_ms());
        pthread_mutex_unlock(&m->lock);
        int n = epoll_wait(m->epfd, evs, 64, timeout);
        pthread_mutex_lock(&m->lock);
        for (int i = 0; i < n; i++) {
            int kind = *(int *)evs[i].data.ptr;
            if (kind == KMOCK_POLL_WAKE) {
                uint64_t v;
                ssize_t r = read(m->wake_fd, &v, sizeof(v));
                (void)r;
            } else if (kind == KMOCK_POLL_LISTEN) {
                kmock_listener_t *l = evs[i].data.ptr;
                if (l->fd >= 0)
                    accept_conns(m, l);
            } else {
                kmock_conn_t *c = evs[i].data.ptr;
                /* TLS reads may have waited for room to write (the handshake). */
                if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | (c->ssl ? EPOLLOUT : 0))))
                    conn_read(m, c);
            }
        }
        int64_t now = kafka__now_ms();
        m->parked_recheck = false;
        kmock__txn_tick(m, now);
        for (kmock_conn_t *c = m->conns; c; c = c->next)
            if (c->fd >= 0)
                conn_process(m, c, now);
        /* A Produce or a group change served above may satisfy requests parked on connections
         * already passed. */
        if (m->parked_recheck)
            for (kmock_conn_t *c = m->conns; c; c = c->next)
                if (c->fd >= 0 && c->parked)
                    conn_process(m, c, now);
        for (kmock_conn_t **pp = &m->conns; *pp;) {
            kmock_conn_t *c = *pp;
            if (c->closing) {
                *pp = c->next;
                conn_free(c);
            } else {
                pp = &c->next;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

kafka_mock_t *kafka_mock_new(const kafka_mock_conf_t *conf, char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    kafka_mock_t *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (conf)
        m->conf = *conf;
    else
        kafka_mock_conf_init(&m->conf);
    if (m->conf.brokers < 1 || m->conf.brokers > KMOCK_MAX_BROKERS || m->conf.default_partitions < 1) {
        snprintf(errstr, errstr_size, "brokers must be 1..%d and default partitions >= 1 (got %d, %d)",
                 KMOCK_MAX_BROKERS, m->conf.brokers, m->conf.default_partitions);
        free(m);
        return NULL;
    }
    const char *assignor = m->conf.consumer_assignor;
    if (assignor && strcmp(assignor, "uniform") != 0 && strcmp(assignor, "range") != 0) {
        snprintf(errstr, errstr_size, "consumer_assignor must be uniform or range (got %s)", assignor);
        free(m);
        return NULL;
    }
    m->conf.consumer_assignor = assignor && strcmp(assignor, "range") == 0 ? "range" : "uniform";
    if (m->conf.consumer_session_timeout_ms <= 0)
        m->conf.consumer_session_timeout_ms = 45000;
    if (m->conf.consumer_heartbeat_interval_ms <= 0)
        m->conf.consumer_heartbeat_interval_ms = 5000;
    const char *mechs = m->conf.sasl_mechanisms, *users = m->conf.sasl_users;
    m->conf.sasl_mechanisms = m->conf.sasl_users = NULL;
    if (!kmock__sasl_conf_ok(mechs, errstr, errstr_size)) {
        free(m);
        return NULL;
    }
    if ((mechs && *mechs && !(m->conf.sasl_mechanisms = strdup(mechs))) ||
        (users && !(m->conf.sasl_users = strdup(users)))) {
        snprintf(errstr, errstr_size, "out of memory");
        free((char *)m->conf.sasl_mechanisms);
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->next_producer_id = 1000;
    snprintf(m->cluster_id, sizeof(m->cluster_id), "libkafka-mock-%d", (int)getpid());
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = (void *)&wake_tag};
    if (m->epfd < 0 || m->wake_fd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->wake_fd, &ev) != 0) {
        snprintf(errstr, errstr_size, "epoll/eventfd: %s", strerror(errno));
        kafka_mock_destroy(m);
        return NULL;
    }
    if (!kmock__profile_set(m, errstr, errstr_size)) {
        kafka_mock_destroy(m);
        return NULL;
    }
    const char *listeners = m->conf.listeners;
    m->conf.listeners = NULL; /* the caller's string: m->protos holds what it said */
    if (!kmock__listeners_parse(m, listeners, errstr, errstr_size)) {
        kafka_mock_destroy(m);
        return NULL;
    }
    bool tls = false;
    for (int i = 0; i < m->nlisteners; i++)
        tls |= kmock__proto_tls(m->protos[i]);
    if (tls && !(m->ssl_ctx = kmock__tls_ctx(&m->conf, &m->tls_files, errstr, errstr_size))) {
        kafka_mock_destroy(m);
        return NULL;
    }
    /* The conf's strings belong to the caller: only the context made from them stays. */
    m->conf.tls_cert = m->conf.tls_key = m->conf.tls_cert_name = NULL;
    m->nbrokers = m->conf.brokers;
    for (int i = 0; i < m->nbrokers; i++)
        for (int k = 0; k < KMOCK_MAX_LISTENERS; k++)
            m->brokers[i].listeners[k].fd = -1;
    size_t off[KMOCK_MAX_LISTENERS] = {0};
    for (int i = 0; i < m->nbrokers; i++) {
        kmock_broker_t *b = &m->brokers[i];
        b->id = i + 1;
        b->drop_next = -2;
        if (kmock__broker_listen(m, b, errstr, errstr_size) != 0) {
            kafka_mock_destroy(m);
            return NULL;
        }
        for (int k = 0; k < m->nlisteners; k++)
            off[k] += (size_t)snprintf(m->bootstrap[k] + off[k], sizeof(m->bootstrap[k]) - off[k], "%s127.0.0.1:%d",
                                       i ? "," : "", b->listeners[k].port);
    }
    if (pthread_create(&m->thread, NULL, loop, m) != 0) {
        snprintf(errstr, errstr_size, "cannot start the event loop thread");
        kafka_mock_destroy(m);
        return NULL;
    }
    return m;
}

void kafka_mock_destroy(kafka_mock_t *m) {
    if (!m)
        return;
    if (m->thread) {
        pthread_mutex_lock(&m->lock);
        m->stopping = true;
        pthread_mutex_unlock(&m->lock);
        wake(m);
        pthread_join(m->thread, NULL);
    }
    for (kmock_conn_t *c = m->conns, *n; c; c = n) {
        n = c->next;
        if (c->fd >= 0)
            close(c->fd);
        conn_free(c);
    }
    for (int i = 0; i < m->nbrokers; i++)
        for (int k = 0; k < m->nlisteners; k++)
            if (m->brokers[i].listeners[k].fd >= 0)
                close(m->brokers[i].listeners[k].fd);
    SSL_CTX_free(m->ssl_ctx);
    kmock__tls_files_remove(&m->tls_files);
    for (kmock_topic_t *t = m->topics, *n; t; t = n) {
        n = t->next;
        kmock__topic_free(t);
    }
    kmock__groups_free(m);
    kmock__txns_free(m);
    kmock__fsessions_free(m);
    for (kmock_commit_t *c = m->commits, *n; c; c = n) {
        n = c->next;
        free(c->group);
        free(c->topic);
        free(c->metadata);
        free(c);
    }
    for (kmock_fault_t *f = m->faults, *n; f; f = n) {
        n = f->next;
        free(f);
    }
    free((char *)m->conf.sasl_mechanisms);
    free((char *)m->conf.sasl_users);
    if (m->epfd >= 0)
        close(m->epfd);
    if (m->wake_fd >= 0)
        close(m->wake_fd);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

const char *kafka_mock_bootstrap(const kafka_mock_t *m) { return m->bootstrap[0]; }

/* The index of the listener named protocol ("SASL_SSL", any case), or -1. */
static int listener_named(const kafka_mock_t *m, const char *protocol) {
    for (int i = 0; protocol && i < m->nlisteners; i++)
        if (strcasecmp(kmock__proto_name(m->protos[i]), protocol) == 0)
            return i;
    return -1;
}

/* The first TLS listener (SSL, else SASL_SSL), or -1. */
static int tls_listener(const kafka_mock_t *m) {
    int i = kmock__listener_index(m, KMOCK_SSL);
    return i >= 0 ? i : kmock__listener_index(m, KMOCK_SASL_SSL);
}

const char *kafka_mock_bootstrap_ssl(const kafka_mock_t *m) {
    int i = tls_listener(m);
    return i >= 0 ? m->bootstrap[i] : "";
}

const char *kafka_mock_bootstrap_listener(const kafka_mock_t *m, const char *protocol) {
    int i = listener_named(m, protocol);
    return i >= 0 ? m->bootstrap[i] : NULL;
}

int kafka_mock_listener_count(const kafka_mock_t *m) { return m->nlisteners; }

const char *kafka_mock_listener_protocol(const kafka_mock_t *m, int n) {
    return n >= 0 && n < m->nlisteners ? kmock__proto_name(m->protos[n]) : NULL;
}
const char *kafka_mock_tls_ca(const kafka_mock_t *m) { return m->tls_files.ca[0] ? m->tls_files.ca : NULL; }
const char *kafka_mock_tls_client_cert(const kafka_mock_t *m) {
    return m->tls_files.client_cert[0] ? m->tls_files.client_cert : NULL;
}
const char *kafka_mock_tls_client_key(const kafka_mock_t *m) {
    return m->tls_files.client_key[0] ? m->tls_files.client_key : NULL;
}
int kafka_mock_broker_count(const kafka_mock_t *m) { return m->nbrokers; }
/* Broker id's port of listener n, -1 when there is none. A broker keeps its ports
 * across down/up (it re-binds the same ones), and ports are written only while the
 * cluster starts or under the lock: read under it too. */
static int broker_port(const kafka_mock_t *m, int id, int n) {
    kafka_mock_t *mm = (kafka_mock_t *)m;
    pthread_mutex_lock(&mm->lock);
    int port = id < 1 || id > m->nbrokers || n < 0 || n >= m->nlisteners ? -1 : m->brokers[id - 1].listeners[n].port;
    pthread_mutex_unlock(&mm->lock);
    return port;
}

int kafka_mock_broker_port(const kafka_mock_t *m, int id) { return broker_port(m, id, 0); }
int kafka_mock_broker_ssl_port(const kafka_mock_t *m, int id) { return broker_port(m, id, tls_listener(m)); }
int kafka_mock_broker_listener_port(const kafka_mock_t *m, int id, const char *protocol) {
    return broker_port(m, id, listener_named(m, protocol));
}

kmock_broker_t *kmock__broker(kafka_mock_t *m, int id) {
    return id >= 1 && id <= m->nbrokers ? &m->brokers[id - 1] : NULL;
}

/* Moves leadership of every partition led by `down` to its next live replica, as
 * Kafka's controller does; -1 when no replica is alive. */
static void reelect(kafka_mock_t *m, int down) {
    for (kmock_topic_t *t = m->topics; t; t = t->next) {
        for (int i = 0; i < t->npartitions; i++) {
            kmock_partition_t *p = &t->partitions[i];
            if (p->leader != down && p->leader != -1)
                continue;
            p->leader = -1;
            for (int r = 0; r < p->nreplicas; r++) {
                kmock_broker_t *b = kmock__broker(m, p->replicas[r]);
                if (b && !b->down) {
                    p->leader = b->id;
                    break;
                }
            }
            p->leader_epoch++;
        }
    }
}

kafka_err_t kafka_mock_broker_set_down(kafka_mock_t *m, int broker_id, bool down) {
    pthread_mutex_lock(&m->lock);
    kmock_broker_t *b = kmock__broker(m, broker_id);
    kafka_err_t err = KAFKA_OK;
    if (!b) {
        err = KAFKA_ERR__INVALID_ARG;
    } else if (down && !b->down) {
        b->down = true;
        kmock__broker_unlisten(m, b);
        for (kmock_conn_t *c = m->conns; c; c = c->next)
            if (c->broker == b)
                conn_close(m, c);
        reelect(m, b->id);
    } else if (!down && b->down) {
        char e[128];
        if (kmock__broker_listen(m, b, e, sizeof(e)) != 0) {
            err = KAFKA_ERR__TRANSPORT;
        } else {
            b->down = false;
            reelect(m, -1); /* partitions left without a leader get one back */
        }
    }
    pthread_mutex_unlock(&m->lock);
    wake(m);
    return err;
}

kafka_err_t kafka_mock_broker_set_latency(kafka_mock_t *m, int broker_id, int ms) {
    pthread_mutex_lock(&m->lock);
    kmock_broker_t *b = kmock__broker(m, broker_id);
    if (b)
        b->latency_ms = ms < 0 ? 0 : ms;
    pthread_mutex_unlock(&m->lock);
    return b ? KAFKA_OK : KAFKA_ERR__INVALID_ARG;
}

kafka_err_t kafka_mock_drop_next_response(kafka_mock_t *m, int16_t api_key, int broker_id) {
    pthread_mutex_lock(&m->lock);
    kafka_err_t err = KAFKA_OK;
    if (broker_id == -1) {
        for (int i = 0; i < m->nbrokers; i++)
            m->brokers[i].drop_next = api_key < 0 ? -1 : api_key;
    } else if (kmock__broker(m, broker_id)) {
        kmock__broker(m, broker_id)->drop_next = api_key < 0 ? -1 : api_key;
    } else {
        err = KAFKA_ERR__INVALID_ARG;
    }
    pthread_mutex_unlock(&m->lock);
    return err;
}

kafka_err_t kafka_mock_push_error(kafka_mock_t *m, int16_t api_key, int broker_id, int count, kafka_err_t err) {
    if (!kmock__api(api_key) || count < 1 || (broker_id != -1 && (broker_id < 1 || broker_id > m->nbrokers)))
        return KAFKA_ERR__INVALID_ARG;
    kmock_fault_t *f = calloc(1, sizeof(*f));
    if (!f)
        return KAFKA_ERR__NO_MEMORY;
    f->api_key = api_key;
    f->broker_id = broker_id;
    f->count = count;
    f->err = err;
    pthread_mutex_lock(&m->lock);
    kmock_fault_t **pp = &m->faults; /* appended: faults fire in the order pushed */
    while (*pp)
        pp = &(*pp)->next;
    *pp = f;
    pthread_mutex_unlock(&m->lock);
    return KAFKA_OK;
}

kafka_err_t kafka_mock_set_retention(kafka_mock_t *m, size_t bytes) {
    pthread_mutex_lock(&m->lock);
    m->conf.retention_bytes = bytes;
    for (kmock_topic_t *t = m->topics; t; t = t->next)
        for (int i = 0; i < t->npartitions; i++)
            kmock__log_retain(&t->partitions[i], bytes);
    pthread_mutex_unlock(&m->lock);
    return KAFKA_OK;
}

kafka_err_t kafka_mock_sasl_fail(kafka_mock_t *m, int count) {
    if (count < 0)
        return KAFKA_ERR__INVALID_ARG;
    pthread_mutex_lock(&m->lock);
    m->sasl_fail_next = count;
    pthread_mutex_unlock(&m->lock);
    return KAFKA_OK;
}

void kafka_mock_sasl_stats(kafka_mock_t *m, kafka_mock_sasl_stats_t *stats) {
    pthread_mutex_lock(&m->lock);
    *stats = m->sasl_stats;
    pthread_mutex_unlock(&m->lock);
}

kafka_err_t kafka_mock_set_message_max_bytes(kafka_mock_t *m, size_t bytes) {
    pthread_mutex_lock(&m->lock);
    m->conf.message_max_bytes = bytes;
    pthread_mutex_unlock(&m->lock);
    return KAFKA_OK;
}

void kmock__wake(kafka_mock_t *m) { wake(m); }
