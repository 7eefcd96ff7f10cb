/* kafka__msgset_t: the shared, reference-counted memory of one fetch's messages. */
#include <stdlib.h>
#include <string.h>

#include "consumer/msgset.h"
#include "util/vec.h"

/* Copies are bump-allocated from chunks that never move; a large copy gets a chunk of
 * its own, linked behind the current one so that one keeps filling. */
struct kafka__chunk_s {
    kafka__chunk_t *next;
    size_t used, cap;
    _Alignas(8) uint8_t data[];
};

#define CHUNK_SIZE (64u << 10)
#define CHUNK_OWN (16u << 10) /* copies above this get their own chunk */

kafka__msgset_t *kafka__msgset_new(const char *topic, int32_t partition, int64_t high_watermark, uint8_t *frame) {
    kafka__msgset_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->topic = strdup(topic ? topic : ""))) {
        free(s);
        free(frame);
        return NULL;
    }
    atomic_init(&s->refcnt, 1);
    s->frame = frame;
    s->partition = partition;
    s->high_watermark = high_watermark;
    return s;
}

kafka__msgset_t *kafka__msgset_new_shared(const char *topic, int32_t partition, int64_t high_watermark,
                                          kafka__frame_t *shared) {
    kafka__msgset_t *s = kafka__msgset_new(topic, partition, high_watermark, NULL);
    if (s)
        s->shared = kafka__frame_keep(shared);
    return s;
}

kafka__frame_t *kafka__frame_wrap(uint8_t *data) {
    kafka__frame_t *f = malloc(sizeof(*f));
    if (!f) {
        free(data);
        return NULL;
    }
    atomic_init(&f->refcnt, 1);
    f->data = data;
    return f;
}

kafka__frame_t *kafka__frame_keep(kafka__frame_t *f) {
    atomic_fetch_add_explicit(&f->refcnt, 1, memory_order_relaxed);
    return f;
}

void kafka__frame_release(kafka__frame_t *f) {
    if (f && atomic_fetch_sub_explicit(&f->refcnt, 1, memory_order_acq_rel) == 1) {
        free(f->data);
        free(f);
    }
}

void kafka__msgset_free(kafka__msgset_t *s) {
    if (!s)
        return;
    for (kafka__chunk_t *c = s->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(s->msgs);
    free(s->topic);
    free(s->frame);
    kafka__frame_release(s->shared);
    free(s);
}

size_t kafka__msgset_count(const kafka__msgset_t *s) { return s->n; }

kafka_message_t *kafka__msgset_at(kafka__msgset_t *s, size_t index) { return &s->msgs[index]; }

kafka_message_t *kafka__msgset_add(kafka__msgset_t *s) {
    kafka_message_t *grown = kafka__vec_grow(s->msgs, &s->cap, s->n, sizeof(*s->msgs), 64);
    if (!grown)
        return NULL;
    s->msgs = grown;
    kafka_message_t *m = &s->msgs[s->n++];
    memset(m, 0, sizeof(*m));
    m->set = s;
    m->errstr = "";
    return m;
}

void *kafka__msgset_copy(kafka__msgset_t *s, const void *src, size_t n) {
    kafka__chunk_t *c = s->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_OWN ? n : CHUNK_SIZE;
        kafka__chunk_t *nc = malloc(sizeof(*nc) + cap);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = cap;
        if (c && n > CHUNK_OWN) { /* keep filling the current one */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            s->chunks = nc;
        }
        c = nc;
    }
    uint8_t *p = c->data + c->used;
    c->used += (n + 7) & ~(size_t)7;
    if (c->used > c->cap)
        c->used = c->cap;
    if (n)
        memcpy(p, src, n);
    return p;
}

kafka_err_t kafka__msgset_hand_out(kafka__msgset_t *s, kafka_message_t ***msgs, size_t *count) {
    *msgs = NULL;
    *count = 0;
    if (s->n == 0) {
        kafka__msgset_free(s);
        return KAFKA_OK;
    }
    kafka_message_t **out = malloc(s->n * sizeof(*out));
    if (!out) {
        kafka__msgset_free(s);
        return KAFKA_ERR__NO_MEMORY;
    }
    for (size_t i = 0; i < s->n; i++)
        out[i] = &s->msgs[i];
    /* n references for the messages replace the builder's one. */
    atomic_store_explicit(&s->refcnt, (int)s->n, memory_order_release);
    *msgs = out;
    *count = s->n;
    return KAFKA_OK;
}

size_t kafka__msgset_share(kafka__msgset_t *s) {
    size_t n = s->n;
    if (n == 0)
        kafka__msgset_free(s);
    else
        atomic_store_explicit(&s->refcnt, (int)n, memory_order_release);
    return n;
}

void kafka_message_destroy(kafka_message_t *m) {
    if (!m)
        return;
    kafka__msgset_t *s = m->set;
    if (atomic_fetch_sub_explicit(&s->refcnt, 1, memory_order_acq_rel) == 1)
        kafka__msgset_free(s);
}

void kafka_messages_destroy(kafka_message_t **msgs, size_t count) {
    if (!msgs)
        return;
    for (size_t i = 0; i < count; i++)
        kafka_message_destroy(msgs[i]);
    free(msgs);
}
