/* The codec's two memory owners, public so that an application can encode and decode
 * with protocol.h: kafka_buf_t, a growable byte buffer requests and responses are
 * encoded into, and kafka_arena_t, which owns the arrays of a decoded message (its
 * strings and bytes point into the frame instead). Both start zeroed (the _INIT
 * macros), grow as the codec needs, and are released with one call each; the library
 * manages the fields, the caller reads data and len of a buffer. */
#ifndef KAFKA_BUF_H
#define KAFKA_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_buf_s {
    uint8_t *data; /* the bytes written, len of them */
    size_t len;
    size_t cap;
    bool oom; /* sticky: set when a grow failed; later writes are dropped, encode reports it */
} kafka_buf_t;

#define KAFKA_BUF_INIT {NULL, 0, 0, false}

typedef struct kafka_arena_s {
    struct kafka__arena_chunk_s *chunks; /* the library's, newest first */
    size_t total;                        /* bytes handed out */
} kafka_arena_t;

#define KAFKA_ARENA_INIT {NULL, 0}

/* Frees the buffer's memory; it is empty (KAFKA_BUF_INIT) afterwards. */
void kafka_buf_free(kafka_buf_t *b);
/* Frees everything decoded into the arena: messages decoded with it are gone. The arena
 * can be used again. */
void kafka_arena_free(kafka_arena_t *a);

#ifdef __cplusplus
}
#endif

#endif
