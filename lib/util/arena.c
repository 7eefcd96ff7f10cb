#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct kafka__arena_chunk_s {
    kafka__arena_chunk_t *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK_MIN 4096

void *kafka__arena_alloc(kafka_arena_t *a, size_t n) {
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    kafka__arena_chunk_t *c = a->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
        if (c && cap < c->cap * 2 && c->cap * 2 <= (1u << 20))
            cap = c->cap * 2;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

void kafka__arena_free(kafka_arena_t *a) {
    kafka__arena_chunk_t *c = a->chunks;
    while (c) {
        kafka__arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = NULL;
    a->total = 0;
}

void kafka_arena_free(kafka_arena_t *a) {
    kafka__arena_free(a);
}
