/* kafka_arena_t: a bump allocator for everything one decoded message owns (its
 * arrays); freed at once. Decoders check every count against the bytes left in the
 * input before allocating, so an arena never grows beyond a small multiple of the
 * input size. */
#ifndef KAFKA_UTIL_ARENA_H
#define KAFKA_UTIL_ARENA_H

#include <stddef.h>

typedef struct kafka__arena_chunk_s kafka__arena_chunk_t;

typedef struct kafka_arena_s {
    kafka__arena_chunk_t *chunks; /* newest first */
    size_t total;                 /* bytes handed out, for tests and limits */
} kafka_arena_t;

#define KAFKA_ARENA_INIT {NULL, 0}

/* Returns n zeroed bytes aligned to 16, or NULL when memory is exhausted. */
void *kafka__arena_alloc(kafka_arena_t *a, size_t n);
/* Frees everything the arena handed out; the arena can be used again. */
void kafka__arena_free(kafka_arena_t *a);

#endif
