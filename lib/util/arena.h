/* kafka_arena_t: a bump allocator for everything one decoded message owns (its
 * arrays); freed at once. Decoders check every count against the bytes left in the
 * input before allocating, so an arena never grows beyond a small multiple of the
 * input size. */
#ifndef KAFKA_UTIL_ARENA_H
#define KAFKA_UTIL_ARENA_H

#include <stddef.h>

#include "kafka/buf.h" /* the struct and KAFKA_ARENA_INIT, public for the codec's users */

typedef struct kafka__arena_chunk_s kafka__arena_chunk_t;

/* Returns n zeroed bytes aligned to 16, or NULL when memory is exhausted. */
void *kafka__arena_alloc(kafka_arena_t *a, size_t n);
/* Frees everything the arena handed out; the arena can be used again. */
void kafka__arena_free(kafka_arena_t *a);

#endif
