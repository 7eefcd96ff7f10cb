#include "util/buf.h"

#include <stdlib.h>

void kafka__buf_init(kafka_buf_t *b) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void kafka__buf_free(kafka_buf_t *b) {
    free(b->data);
    kafka__buf_init(b);
}

bool kafka__buf_grow(kafka_buf_t *b, size_t n) {
    if (b->oom)
        return false;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + n;
    if (need <= b->cap && b->data)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void kafka_buf_free(kafka_buf_t *b) {
    kafka__buf_free(b);
}
