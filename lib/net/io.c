/* kafka_io_t: a blocking TCP connection with deadlines, built on non-blocking sockets
 * and poll() so every wait is bounded; with security.protocol=SSL the same calls go
 * through OpenSSL on that socket (SSL_ERROR_WANT_READ/WRITE wait on the same poll
 * deadlines).
 *
 * Writes over TLS keep scatter-gather without a copy per message: the buffers of one
 * kafka_io_sendv are gathered into chunks of one TLS record (16 KiB); a buffer that
 * starts a chunk and is at least that long (a record batch) goes to SSL_write from its
 * own memory, smaller ones (headers, small batches) are copied into the chunk. So a
 * request's bytes are copied at most once before encryption reads them, and records are
 * full-sized rather than one per buffer. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <signal.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kafka/io.h"
#include "net/tls.h"
#include "proto/reader.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"

#define TLS_CHUNK 16384 /* one TLS record's payload */

struct kafka_io_s {
    int fd;
    int32_t next_corr;
    char peer[300];
    kafka_err_t last_err;
    char last_error[512];
    SSL *ssl;                                /* NULL: plaintext */
    char subject[KAFKA__TLS_SUBJECT_MAX];    /* of the certificate that failed verification */
    bool answered;                           /* a response began to arrive (plaintext) */
    uint8_t *chunk;                          /* TLS_CHUNK bytes, for gathering small buffers */
};

/* A transport failure leaves a stream that may hold half a frame: it is closed, and
 * later calls fail fast with CANT_SEND/CANT_RECV. */
static void io_broken(kafka_io_t *io) {
    if (io->ssl) {
        SSL_free(io->ssl);
        io->ssl = NULL;
    }
    if (io->fd >= 0) {
        close(io->fd);
        io->fd = -1;
    }
}

/* OpenSSL writes to the socket with write(), which raises SIGPIPE on a connection the
 * peer closed; sendmsg's MSG_NOSIGNAL is not available to it. Around every TLS call
 * SIGPIPE is blocked for the calling thread, and one it raised is taken back before the
 * mask is restored (libpq does the same), so the application's handler and the default
 * action never see it. */
typedef struct sigpipe_guard_s {
    sigset_t old;
    bool was_pending;
} sigpipe_guard_t;

static void sigpipe_block(sigpipe_guard_t *g) {
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
}

static void sigpipe_restore(const sigpipe_guard_t *g) {
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

__attribute__((format(printf, 3, 4))) static kafka_err_t io_fail(kafka_io_t *io, kafka_err_t err, const char *fmt,
                                                                 ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(io->last_error, sizeof(io->last_error), fmt, ap);
    va_end(ap);
    io->last_err = err;
    return err;
}

/* Waits for fd to become ready for `events` until deadline; 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        int64_t left = deadline - kafka__now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pf = {fd, events, 0};
        int n = poll(&pf, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return 1; /* let the following syscall report the error */
    }
}

/* host without the brackets of an IPv6 literal ([::1]) into name[256]. */
static void host_name(const char *host, char name[256]) {
    size_t hl = host ? strlen(host) : 0;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']')
        snprintf(name, 256, "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(name, 256, "%s", host ? host : "");
}

kafka_io_t *kafka_io_connect(const char *host, int port, int timeout_ms, kafka_err_t *errp, char *errstr,
                             size_t errstr_size) {
    char dummy[8];
    kafka_err_t dummy_err;
    if (!errstr) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    if (!errp)
        errp = &dummy_err;
    char name[256];
    host_name(host, name);
    if (!name[0] || port < 1 || port > 65535) {
        *errp = KAFKA_ERR__INVALID_ARG;
        snprintf(errstr, errstr_size, "invalid broker address \"%s:%d\"", host ? host : "", port);
        return NULL;
    }
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(name, service, &hints, &res);
    if (gai != 0) {
        *errp = KAFKA_ERR__RESOLVE;
        snprintf(errstr, errstr_size, "%s:%d: cannot resolve host: %s", name, port, gai_strerror(gai));
        return NULL;
    }
    int64_t deadline = kafka__now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int fd = -1;
    char why[256] = "no address to connect to";
    *errp = KAFKA_ERR__CANT_BIND;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(why, sizeof(why), "socket: %s", strerror(errno));
            continue;
        }
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            if (!wait_fd(fd, POLLOUT, deadline)) {
                *errp = KAFKA_ERR__TIMED_OUT;
                snprintf(why, sizeof(why), "connect timed out after %d ms", timeout_ms);
                close(fd);
                fd = -1;
                break;
            }
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            rc = soerr ? -1 : 0;
            errno = soerr;
        }
        if (rc != 0) {
            snprintf(why, sizeof(why), "%s", strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "%s:%d: cannot connect: %s", name, port, why);
        return NULL;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    kafka_io_t *io = calloc(1, sizeof(*io));
    if (!io) {
        close(fd);
        *errp = KAFKA_ERR__NO_MEMORY;
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    io->fd = fd;
    io->next_corr = 1;
    snprintf(io->peer, sizeof(io->peer), "%s:%d", host, port);
    *errp = KAFKA_OK;
    return io;
}

void kafka_io_close(kafka_io_t *io) {
    if (!io)
        return;
    io_broken(io);
    free(io->chunk);
    free(io);
}

/* ---- TLS ---- */

/* What a failed TLS call means, into io's last error: CANT_SEND / CANT_RECV for a
 * transport failure, KAFKA_ERR__SSL for TLS itself. what: "send", "receive". */
static kafka_err_t tls_fail(kafka_io_t *io, int ssl_err, kafka_err_t transport, const char *what) {
    char why[300];
    int saved = errno;
    int reason = kafka__tls_reasons(why, sizeof(why));
    if (ssl_err == SSL_ERROR_ZERO_RETURN || (ssl_err == SSL_ERROR_SYSCALL && !why[0] && saved == 0))
        return io_fail(io, transport, "%s: connection closed by the broker", io->peer);
    if (ssl_err == SSL_ERROR_SYSCALL && !why[0])
        return io_fail(io, transport, "%s: %s failed: %s", io->peer, what, strerror(saved));
    /* TLS 1.3 brokers judge the client's certificate after the handshake: their verdict
     * comes as an alert on the first read. */
    const char *hint = reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED
                           ? ": the broker requires a client certificate (ssl.certificate.location, ssl.key.location)"
                       : reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE
                           ? ": the broker does not accept ssl.certificate.location"
                           : "";
    return io_fail(io, KAFKA_ERR__SSL, "%s: %s failed: TLS: %s%s", io->peer, what, why, hint);
}

/* Waits for what OpenSSL wants (ssl_err WANT_READ or WANT_WRITE) until deadline: 1 ready,
 * 0 timed out, -1 when ssl_err is not a want. */
static int tls_wait(kafka_io_t *io, int ssl_err, int64_t deadline) {
    if (ssl_err == SSL_ERROR_WANT_READ)
        return wait_fd(io->fd, POLLIN, deadline);
    if (ssl_err == SSL_ERROR_WANT_WRITE)
        return wait_fd(io->fd, POLLOUT, deadline);
    return -1;
}

/* The handshake failed (ssl_err from SSL_connect): why, naming the cause. */
static kafka_err_t handshake_fail(kafka_io_t *io, int ssl_err, const char *name) {
    char why[300];
    int saved = errno;
    int reason = kafka__tls_reasons(why, sizeof(why));
    long vr = SSL_get_verify_result(io->ssl);
    const char *subject = io->subject[0] ? io->subject : "?";
    if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return io_fail(io, KAFKA_ERR__SSL,
                       "%s: TLS: the broker's certificate (subject %s) is not for %s: %s "
                       "(ssl.endpoint.identification.algorithm=https)",
                       io->peer, subject, name, X509_verify_cert_error_string(vr));
    if (vr != X509_V_OK)
        return io_fail(io, KAFKA_ERR__SSL,
                       "%s: TLS: the broker's certificate is not trusted: %s (subject %s; see ssl.ca.location)",
                       io->peer, X509_verify_cert_error_string(vr), subject);
    if (ssl_err == SSL_ERROR_ZERO_RETURN || (ssl_err == SSL_ERROR_SYSCALL && !why[0]) ||
        reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return io_fail(io, KAFKA_ERR__SSL,
                       "%s: TLS: the broker closed the connection during the handshake%s%s: is this a TLS port? "
                       "(a PLAINTEXT listener hangs up on a TLS hello; security.protocol=SSL or SASL_SSL)",
                       io->peer, saved ? ": " : "", saved ? strerror(saved) : "");
    if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
        reason == SSL_R_UNEXPECTED_MESSAGE)
        return io_fail(io, KAFKA_ERR__SSL, "%s: TLS: the broker did not answer in TLS (%s): is this a TLS port?",
                       io->peer, why);
    return io_fail(io, KAFKA_ERR__SSL, "%s: TLS handshake failed: %s", io->peer, why[0] ? why : "unknown reason");
}

/* Runs the client handshake on io's socket within deadline and verifies the broker
 * (name: the host as given, without brackets). */
static kafka_err_t tls_start(kafka_io_t *io, SSL_CTX *ctx, const char *name, bool verify_name, int64_t deadline,
                             int timeout_ms) {
    io->chunk = malloc(TLS_CHUNK);
    io->ssl = SSL_new(ctx);
    if (!io->chunk || !io->ssl || SSL_set_fd(io->ssl, io->fd) != 1)
        return io_fail(io, KAFKA_ERR__NO_MEMORY, "%s: out of memory for TLS", io->peer);
    SSL_set_app_data(io->ssl, io->subject);
    SSL_set_connect_state(io->ssl);
    unsigned char addr[16];
    bool ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    if (!ip)
        SSL_set_tlsext_host_name(io->ssl, name); /* SNI is for names only (RFC 6066) */
    if (verify_name && ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(io->ssl), name);
    else if (verify_name)
        SSL_set1_host(io->ssl, name);
    sigpipe_guard_t g;
    sigpipe_block(&g);
    kafka_err_t e = KAFKA_OK;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(io->ssl);
        if (r == 1)
            break;
        int se = SSL_get_error(io->ssl, r);
        int w = tls_wait(io, se, deadline);
        if (w == 1)
            continue;
        if (w == 0) /* a busy broker, or a plaintext one waiting for a request: may pass */
            e = io_fail(io, KAFKA_ERR__TIMED_OUT,
                        "%s: TLS: no handshake answer within %d ms: is this a TLS port? "
                        "(security.protocol=SSL or SASL_SSL)",
                        io->peer, timeout_ms);
        else
            e = handshake_fail(io, se, name);
        break;
    }
    sigpipe_restore(&g);
    return e;
}

/* kafka_io_open with errp and errstr present. */
static kafka_io_t *io_open(const kafka_conf_t *conf, const char *host, int port, kafka_err_t *errp, char *errstr,
                           size_t errstr_size) {
    int timeout_ms = (int)kafka_conf_int(conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    int64_t deadline = kafka__now_ms() + timeout_ms;
    SSL_CTX *ctx = NULL;
    int64_t sp = kafka_conf_int(conf, KAFKA_CONF_SECURITY_PROTOCOL);
    if (sp == KAFKA_SECURITY_SSL || sp == KAFKA_SECURITY_SASL_SSL) {
        char why[400];
        if (!(ctx = kafka__tls_client_ctx(conf, errp, why, sizeof(why)))) {
            snprintf(errstr, errstr_size, "%s:%d: %s", host ? host : "", port, why);
            return NULL;
        }
    }
    kafka_io_t *io = kafka_io_connect(host, port, timeout_ms, errp, errstr, errstr_size);
    if (!io || !ctx) {
        SSL_CTX_free(ctx);
        return io;
    }
    char name[256];
    host_name(host, name);
    kafka_err_t e = tls_start(io, ctx, name, kafka_conf_int(conf, KAFKA_CONF_SSL_ENDPOINT_IDENTIFICATION) != 0,
                              deadline, timeout_ms);
    SSL_CTX_free(ctx); /* the connection keeps its own reference */
    if (e) {
        *errp = e;
        snprintf(errstr, errstr_size, "%s", io->last_error);
        kafka_io_close(io);
        return NULL;
    }
    return io;
}

kafka_io_t *kafka_io_open(const kafka_conf_t *conf, const char *host, int port, kafka_err_t *errp, char *errstr,
                          size_t errstr_size) {
    kafka_err_t err = KAFKA_OK;
    char why[600] = "";
    kafka_io_t *io = io_open(conf, host, port, &err, why, sizeof(why));
    if (errp)
        *errp = err;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", why);
    return io;
}

int kafka_io_pending(const kafka_io_t *io) {
    return io->ssl ? SSL_has_pending(io->ssl) : 0;
}

bool kafka__io_tls_describe(const kafka_io_t *io, char *buf, size_t size) {
    if (!io->ssl)
        return false;
    BIO *w = SSL_get_wbio(io->ssl);
    snprintf(buf, size, "%s %s, kTLS send %s", SSL_get_version(io->ssl), SSL_get_cipher_name(io->ssl),
             w && BIO_get_ktls_send(w) ? "on" : "off");
    return true;
}

/* Moves p[0..len) through TLS within deadline: writes it (write) or reads that much. */
static kafka_err_t tls_transfer(kafka_io_t *io, uint8_t *p, size_t len, bool write, int64_t deadline,
                                int timeout_ms) {
    while (len) {
        size_t done = 0;
        ERR_clear_error();
        errno = 0;
        int r = write ? SSL_write_ex(io->ssl, p, len, &done) : SSL_read_ex(io->ssl, p, len, &done);
        if (r == 1) {
            p += done;
            len -= done;
            continue;
        }
        int se = SSL_get_error(io->ssl, r);
        int w = tls_wait(io, se, deadline);
        if (w == 1)
            continue;
        kafka_err_t e;
        if (w == 0 && write)
            e = io_fail(io, KAFKA_ERR__TIMED_OUT, "%s: send timed out after %d ms", io->peer, timeout_ms);
        else if (w == 0)
            e = io_fail(io, KAFKA_ERR__TIMED_OUT, "%s: no response within %d ms", io->peer, timeout_ms);
        else
            e = tls_fail(io, se, write ? KAFKA_ERR__CANT_SEND : KAFKA_ERR__CANT_RECV, write ? "send" : "receive");
        io_broken(io);
        return e;
    }
    return KAFKA_OK;
}

/* kafka_io_sendv over TLS: record-sized chunks, see the top of the file. */
static kafka_err_t tls_sendv(kafka_io_t *io, const struct iovec *iov, int iovcnt, int64_t deadline, int timeout_ms) {
    size_t fill = 0;
    kafka_err_t e = KAFKA_OK;
    for (int i = 0; i < iovcnt && !e; i++) {
        const uint8_t *b = iov[i].iov_base;
        size_t l = iov[i].iov_len;
        while (l && !e) {
            if (fill == 0 && l >= TLS_CHUNK) {
                /* only read: the cast lets sends and receives share tls_transfer */
                e = tls_transfer(io, (uint8_t *)b, l, true, deadline, timeout_ms);
                break;
            }
            size_t take = l < TLS_CHUNK - fill ? l : TLS_CHUNK - fill;
            memcpy(io->chunk + fill, b, take);
            fill += take;
            b += take;
            l -= take;
            if (fill == TLS_CHUNK) {
                e = tls_transfer(io, io->chunk, fill, true, deadline, timeout_ms);
                fill = 0;
            }
        }
    }
    if (!e && fill)
        e = tls_transfer(io, io->chunk, fill, true, deadline, timeout_ms);
    return e;
}

const char *kafka_io_peer(const kafka_io_t *io) { return io->peer; }
int kafka_io_fd(const kafka_io_t *io) { return io->fd; }
const char *kafka_io_last_error(const kafka_io_t *io) { return io->last_error; }
kafka_err_t kafka_io_last_errorcode(const kafka_io_t *io) { return io->last_err; }

kafka_err_t kafka_io_sendv(kafka_io_t *io, const struct iovec *iov_in, int iovcnt, int timeout_ms) {
    if (io->fd < 0)
        return io_fail(io, KAFKA_ERR__CANT_SEND, "%s: connection is closed", io->peer);
    if (iovcnt < 0)
        return io_fail(io, KAFKA_ERR__INVALID_ARG, "%s: %d buffers in one send", io->peer, iovcnt);
    int64_t deadline = kafka__now_ms() + timeout_ms;
    if (io->ssl) {
        sigpipe_guard_t g;
        sigpipe_block(&g);
        kafka_err_t e = tls_sendv(io, iov_in, iovcnt, deadline, timeout_ms);
        sigpipe_restore(&g);
        return e;
    }
    /* sendmsg takes up to IOV_MAX buffers; a window of 64 at a time (copied, as the
     * window's first entry is advanced past what was written). */
    struct iovec iov[64];
    int cnt = 0, next = 0;
    struct iovec *v = iov;
    for (;;) {
        if (cnt == 0) {
            if (next == iovcnt)
                break;
            cnt = iovcnt - next < 64 ? iovcnt - next : 64;
            memcpy(iov, iov_in + next, sizeof(*iov) * (size_t)cnt);
            next += cnt;
            v = iov;
        }
        struct msghdr mh = {.msg_iov = v, .msg_iovlen = (size_t)cnt};
        ssize_t n = sendmsg(io->fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!wait_fd(io->fd, POLLOUT, deadline)) {
                    io_broken(io);
                    return io_fail(io, KAFKA_ERR__TIMED_OUT, "%s: send timed out after %d ms", io->peer, timeout_ms);
                }
                continue;
            }
            kafka_err_t e = io_fail(io, KAFKA_ERR__CANT_SEND, "%s: send failed: %s", io->peer, strerror(errno));
            io_broken(io);
            return e;
        }
        size_t done = (size_t)n;
        while (cnt > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            cnt--;
        }
        if (cnt > 0) {
            v->iov_base = (uint8_t *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return KAFKA_OK;
}

kafka_err_t kafka_io_send(kafka_io_t *io, const void *buf, size_t len, int timeout_ms) {
    struct iovec iov = {(void *)buf, len};
    return kafka_io_sendv(io, &iov, 1, timeout_ms);
}

/* A TLS connection's caller holds a SIGPIPE guard (kafka_io_receive). */
static kafka_err_t read_full(kafka_io_t *io, uint8_t *p, size_t n, int64_t deadline, int timeout_ms) {
    if (io->ssl) /* decrypted bytes OpenSSL holds come first, then the socket */
        return tls_transfer(io, p, n, false, deadline, timeout_ms);
    while (n) {
        ssize_t r = read(io->fd, p, n);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
            continue;
        }
        kafka_err_t e = KAFKA_OK;
        /* A TLS listener hangs up on a plaintext request (as Kafka 0.8 does on ApiVersions). */
#define TLS_HINT(io) ((io)->answered ? "" : " before any response: a TLS listener? (security.protocol=SSL or SASL_SSL)")
        if (r == 0)
            e = io_fail(io, KAFKA_ERR__CANT_RECV, "%s: connection closed by the broker%s", io->peer, TLS_HINT(io));
        else if (errno == EINTR)
            continue;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            e = io_fail(io, KAFKA_ERR__CANT_RECV, "%s: receive failed: %s%s", io->peer, strerror(errno),
                        TLS_HINT(io));
#undef TLS_HINT
        else if (!wait_fd(io->fd, POLLIN, deadline))
            e = io_fail(io, KAFKA_ERR__TIMED_OUT, "%s: no response within %d ms", io->peer, timeout_ms);
        if (e) {
            io_broken(io);
            return e;
        }
    }
    return KAFKA_OK;
}

static kafka_err_t receive_frame(kafka_io_t *io, uint8_t **frame, size_t *len, size_t max_frame, int timeout_ms) {
    int64_t deadline = kafka__now_ms() + timeout_ms;
    uint8_t sz[4];
    kafka_err_t err = read_full(io, sz, 4, deadline, timeout_ms);
    if (err)
        return err;
    int32_t size = (int32_t)kafka__ld_be32(sz);
    size_t max = max_frame ? max_frame : KAFKA_IO_MAX_FRAME;
    if (size < 0 || (size_t)size > max) {
        io_broken(io); /* the stream cannot be resynchronised */
        /* A TLS listener answers a plaintext request with an alert record (0x15 0x03 ..),
         * or a handshake (0x16 0x03 ..): read as a size, far above any frame's. */
        if (!io->ssl && !io->answered && (sz[0] == 0x15 || sz[0] == 0x16) && sz[1] == 0x03)
            return io_fail(io, KAFKA_ERR__SSL,
                           "%s: the broker answered with TLS, not Kafka: is this a TLS port? "
                           "(set security.protocol=SSL or SASL_SSL)",
                           io->peer);
        return io_fail(io, KAFKA_ERR__REQUEST_OR_RESPONSE, "%s: response size %d is outside 0..%zu", io->peer, size,
                       max);
    }
    io->answered = true;
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf)
        return io_fail(io, KAFKA_ERR__NO_MEMORY, "%s: out of memory for a %d-byte response", io->peer, size);
    err = read_full(io, buf, (size_t)size, deadline, timeout_ms);
    if (err) {
        free(buf);
        return err;
    }
    *frame = buf;
    *len = (size_t)size;
    return KAFKA_OK;
}

kafka_err_t kafka_io_receive(kafka_io_t *io, uint8_t **frame, size_t *len, size_t max_frame, int timeout_ms) {
    *frame = NULL;
    *len = 0;
    if (io->fd < 0)
        return io_fail(io, KAFKA_ERR__CANT_RECV, "%s: connection is closed", io->peer);
    if (!io->ssl)
        return receive_frame(io, frame, len, max_frame, timeout_ms);
    sigpipe_guard_t g; /* once for the whole frame, as kafka_io_sendv does */
    sigpipe_block(&g);
    kafka_err_t e = receive_frame(io, frame, len, max_frame, timeout_ms);
    sigpipe_restore(&g);
    return e;
}

kafka_err_t kafka_io_request(kafka_io_t *io, int16_t api_key, int16_t version, const char *client_id,
                             const void *req, void *resp, kafka_arena_t *arena, uint8_t **frame, int timeout_ms) {
    *frame = NULL;
    kafka_buf_t out = KAFKA_BUF_INIT;
    int32_t corr = io->next_corr++;
    if (io->next_corr < 0)
        io->next_corr = 1;
    kafka_request_header_t hdr = {api_key, version, corr, kafka_str(client_id)};
    char err[256];
    kafka_err_t e = kafka_request_encode(&out, &hdr, req, err, sizeof(err));
    if (e) {
        kafka__buf_free(&out);
        return io_fail(io, e, "%s: %s", io->peer, err);
    }
    e = kafka_io_send(io, out.data, out.len, timeout_ms);
    kafka__buf_free(&out);
    if (e)
        return e;
    size_t len;
    e = kafka_io_receive(io, frame, &len, 0, timeout_ms);
    if (e)
        return e;
    int32_t got;
    e = kafka_response_decode(*frame, len, api_key, version, arena, &got, resp, err, sizeof(err));
    if (!e && got != corr)
        return io_fail(io, KAFKA_ERR__MISMATCH_CORRELATIONID, "%s: response correlation id %d, expected %d",
                       io->peer, got, corr);
    if (e)
        return io_fail(io, e, "%s: %s", io->peer, err);
    return KAFKA_OK;
}
