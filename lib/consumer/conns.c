/* The consumer's broker connections: a call takes its leader's idle connection out of
 * the table (or opens one) and gives it back when done, so concurrent calls never share
 * a socket and no lock is held during I/O. At most one idle connection per broker. */
#include <stdlib.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "util/vec.h"

kafka__bconn_t *kafka__conn_take(kafka_consumer_t *c, int32_t broker_id, const char *host, int port, kafka_err_t *errp,
                                 char *why, size_t why_size) {
    kafka__bconn_t *bc = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nidle; i++)
        if (c->idle[i].broker_id == broker_id) {
            bc = c->idle[i].bc;
            c->idle[i] = c->idle[--c->nidle];
            break;
        }
    pthread_mutex_unlock(&c->lock);
    if (bc && (bc->port != port || strcmp(bc->host, host) != 0)) {
        kafka__bconn_close(bc); /* the broker id moved to another address */
        bc = NULL;
    }
    if (!bc)
        bc = kafka__bconn_open(c->conf, kafka__connection_vcaps(c->cluster), host, port, errp, why, why_size);
    else
        *errp = KAFKA_OK;
    return bc;
}

void kafka__conn_give(kafka_consumer_t *c, int32_t broker_id, kafka__bconn_t *bc) {
    pthread_mutex_lock(&c->lock);
    bool kept = false;
    bool present = false;
    for (size_t i = 0; i < c->nidle && !present; i++)
        present = c->idle[i].broker_id == broker_id;
    if (!present) {
        kafka__cconn_t *grown = kafka__vec_grow(c->idle, &c->capidle, c->nidle, sizeof(*c->idle), 4);
        if (grown) {
            c->idle = grown;
            c->idle[c->nidle++] = (kafka__cconn_t){broker_id, bc};
            kept = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (!kept)
        kafka__bconn_close(bc);
}

void kafka__conn_close_all(kafka_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nidle; i++)
        kafka__bconn_close(c->idle[i].bc);
    free(c->idle);
    c->idle = NULL;
    c->nidle = c->capidle = 0;
    pthread_mutex_unlock(&c->lock);
}
