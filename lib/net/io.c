/* kafka_io_t: a blocking TCP connection with deadlines, built on non-blocking sockets
 * and poll() so every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kafka/io.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"

struct kafka_io_s {
    int fd;
    int32_t next_corr;
    char peer[300];
    kafka_err_t last_err;
    char last_error[512];
};

/* A transport failure leaves a stream that may hold half a frame: it is closed, and
 * later calls fail fast with CANT_SEND/CANT_RECV. */
static void io_broken(kafka_io_t *io) {
    if (io->fd >= 0) {
        close(io->fd);
        io->fd = -1;
    }
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
    size_t hl = host ? strlen(host) : 0;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') /* [::1] */
        snprintf(name, sizeof(name), "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(name, sizeof(name), "%s", host ? host : "");
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
    if (io->fd >= 0)
        close(io->fd);
    free(io);
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

static kafka_err_t read_full(kafka_io_t *io, uint8_t *p, size_t n, int64_t deadline, int timeout_ms) {
    while (n) {
        ssize_t r = read(io->fd, p, n);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
            continue;
        }
        kafka_err_t e = KAFKA_OK;
        if (r == 0)
            e = io_fail(io, KAFKA_ERR__CANT_RECV, "%s: connection closed by the broker", io->peer);
        else if (errno == EINTR)
            continue;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            e = io_fail(io, KAFKA_ERR__CANT_RECV, "%s: receive failed: %s", io->peer, strerror(errno));
        else if (!wait_fd(io->fd, POLLIN, deadline))
            e = io_fail(io, KAFKA_ERR__TIMED_OUT, "%s: no response within %d ms", io->peer, timeout_ms);
        if (e) {
            io_broken(io);
            return e;
        }
    }
    return KAFKA_OK;
}

kafka_err_t kafka_io_receive(kafka_io_t *io, uint8_t **frame, size_t *len, size_t max_frame, int timeout_ms) {
    *frame = NULL;
    *len = 0;
    if (io->fd < 0)
        return io_fail(io, KAFKA_ERR__CANT_RECV, "%s: connection is closed", io->peer);
    int64_t deadline = kafka__now_ms() + timeout_ms;
    uint8_t sz[4];
    kafka_err_t err = read_full(io, sz, 4, deadline, timeout_ms);
    if (err)
        return err;
    int32_t size = (int32_t)((uint32_t)sz[0] << 24 | (uint32_t)sz[1] << 16 | (uint32_t)sz[2] << 8 | sz[3]);
    size_t max = max_frame ? max_frame : KAFKA_IO_MAX_FRAME;
    if (size < 0 || (size_t)size > max) {
        io_broken(io); /* the stream cannot be resynchronised */
        return io_fail(io, KAFKA_ERR__REQUEST_OR_RESPONSE, "%s: response size %d is outside 0..%zu", io->peer, size,
                       max);
    }
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
