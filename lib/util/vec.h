/* Growable arrays: room for one more element, doubling the capacity. */
#ifndef KAFKA_UTIL_VEC_H
#define KAFKA_UTIL_VEC_H

#include <stdlib.h>

/* Returns items (len used, *cap allocated, elements of elem bytes) with room for one
 * more: as is when there is room, else reallocated to `initial` first, then doubled,
 * with *cap updated. NULL on ENOMEM (items and *cap unchanged). */
static inline void *kafka__vec_grow(void *items, size_t *cap, size_t len, size_t elem, size_t initial) {
    if (len < *cap)
        return items;
    size_t ncap = *cap ? *cap * 2 : initial;
    void *n = realloc(items, ncap * elem);
    if (n)
        *cap = ncap;
    return n;
}

#endif
