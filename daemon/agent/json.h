/* A small JSON reader for kafka-agent (bench --compare reads a previous --json report):
 * RFC 8259 values into a tree; strings unescaped to UTF-8 (\u escapes included,
 * surrogate pairs joined; a lone surrogate becomes U+FFFD). Bounded: at most 64 levels
 * deep; malformed input gives NULL and the byte offset of the error, never a crash (it
 * has a fuzz target). */
#ifndef KAFKA_AGENT_JSON_H
#define KAFKA_AGENT_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum json_type_e { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ } json_type_t;

typedef struct json_s {
    json_type_t type;
    bool b;
    double num;
    char *str;            /* JSON_STR: the string (NUL-terminated; may hold NULs before it) */
    char *key;            /* a member of an object: its name */
    struct json_s *child; /* JSON_ARR, JSON_OBJ: the first element / member */
    struct json_s *next;  /* the next element / member */
} json_t;

json_t *json_parse(const char *s, size_t len, char *errstr, size_t errstr_size);
void json_free(json_t *v);
/* The member key of object o, or NULL. */
const json_t *json_get(const json_t *o, const char *key);
/* The number member key of o, or dflt. */
double json_num(const json_t *o, const char *key, double dflt);

#endif
