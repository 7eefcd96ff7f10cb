/* The brokers' listeners: one port per security protocol on every broker (PLAINTEXT,
 * SSL, SASL_PLAINTEXT, SASL_SSL), as a Kafka broker's `listeners=` lists them. A
 * connection is served by what its listener speaks (cluster.c); Metadata and
 * FindCoordinator advertise the brokers' ports of that same listener. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mock/mock_int.h"

static const char *const proto_names[KMOCK_NPROTOS] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};

const char *kmock__proto_name(kmock_proto_t proto) {
    return (int)proto >= 0 && proto < KMOCK_NPROTOS ? proto_names[proto] : NULL;
}

int kmock__listener_index(const kafka_mock_t *m, kmock_proto_t proto) {
    for (int i = 0; i < m->nlisteners; i++)
        if (m->protos[i] == proto)
            return i;
    return -1;
}

/* The protocol named by the len bytes at name (case-insensitive), or -1. */
static int proto_find(const char *name, size_t len) {
    for (int p = 0; p < KMOCK_NPROTOS; p++)
        if (strlen(proto_names[p]) == len && strncasecmp(proto_names[p], name, len) == 0)
            return p;
    return -1;
}

bool kmock__listeners_parse(kafka_mock_t *m, const char *listeners, char *errstr, size_t errstr_size) {
    bool sasl = m->conf.sasl_mechanisms != NULL;
    m->nlisteners = 0;
    if (!listeners) {
        m->protos[m->nlisteners++] = sasl ? KMOCK_SASL_PLAINTEXT : KMOCK_PLAINTEXT;
        if (m->conf.tls)
            m->protos[m->nlisteners++] = sasl ? KMOCK_SASL_SSL : KMOCK_SSL;
        return true;
    }
    const char *p = listeners;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int proto = proto_find(p, len);
        if (proto < 0) {
            snprintf(errstr, errstr_size, "listener \"%.*s\": not a security protocol (PLAINTEXT, SSL, "
                     "SASL_PLAINTEXT, SASL_SSL)", (int)(len < 64 ? len : 64), p);
            return false;
        }
        if (kmock__listener_index(m, (kmock_proto_t)proto) >= 0) {
            snprintf(errstr, errstr_size, "listener %s is named twice", proto_names[proto]);
            return false;
        }
        if (kmock__proto_sasl((kmock_proto_t)proto) && !sasl) {
            snprintf(errstr, errstr_size, "listener %s needs SASL mechanisms (sasl_mechanisms, --sasl)",
                     proto_names[proto]);
            return false;
        }
        m->protos[m->nlisteners++] = (kmock_proto_t)proto;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

/* Binds 127.0.0.1:port (0: ephemeral) and listens; returns the fd or -1. */
static int listen_on(int port, int *bound_port, char *errstr, size_t errstr_size) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        snprintf(errstr, errstr_size, "listen on 127.0.0.1:%d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    *bound_port = ntohs(sa.sin_port);
    return fd;
}

void kmock__broker_unlisten(kafka_mock_t *m, kmock_broker_t *b) {
    for (int i = 0; i < m->nlisteners; i++) {
        kmock_listener_t *l = &b->listeners[i];
        if (l->fd >= 0) {
            epoll_ctl(m->epfd, EPOLL_CTL_DEL, l->fd, NULL);
            close(l->fd);
            l->fd = -1;
        }
    }
}

int kmock__broker_listen(kafka_mock_t *m, kmock_broker_t *b, char *errstr, size_t errstr_size) {
    for (int i = 0; i < m->nlisteners; i++) {
        kmock_listener_t *l = &b->listeners[i];
        l->kind = KMOCK_POLL_LISTEN;
        l->proto = m->protos[i];
        l->broker = b;
        l->fd = listen_on(l->port, &l->port, errstr, errstr_size);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
        if (l->fd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, l->fd, &ev) != 0) {
            if (l->fd >= 0) {
                snprintf(errstr, errstr_size, "epoll: %s", strerror(errno));
                close(l->fd);
                l->fd = -1;
            }
            kmock__broker_unlisten(m, b);
            return -1;
        }
    }
    return 0;
}
