/* A small JSON reader (see json.h). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser_s {
    const char *s;
    size_t len, pos;
    const char *err;
} parser_t;

static void ws(parser_t *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r'))
        p->pos++;
}

static bool lit(parser_t *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static int hex4(parser_t *p) {
    if (p->len - p->pos < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + (size_t)i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    p->pos += 4;
    return v;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3f)), o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3f)), o[2] = (char)(0x80 | (cp >> 6 & 0x3f)),
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string at p->pos (after its opening quote was checked); malloc'd. */
static char *string(parser_t *p) {
    p->pos++; /* the quote */
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] != '"') {
        if (p->s[p->pos] == '\\')
            p->pos++;
        p->pos++;
    }
    if (p->pos >= p->len) {
        p->err = "unterminated string";
        return NULL;
    }
    size_t end = p->pos;
    char *out = malloc(end - start + 1), *o = out; /* escapes never grow: \uXXXX is 6 bytes for at most 4 */
    if (!out) {
        p->err = "out of memory";
        return NULL;
    }
    p->pos = start;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c < 0x20) {
            p->err = "control character in a string";
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        char e = p->s[p->pos++];
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int hi = p->pos <= end ? hex4(p) : -1;
            if (hi < 0 || p->pos > end) {
                p->err = "bad \\u escape";
                free(out);
                return NULL;
            }
            unsigned cp = (unsigned)hi;
            if (hi >= 0xd800 && hi <= 0xdbff && end - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                size_t save = p->pos;
                p->pos += 2;
                int lo = hex4(p);
                if (lo >= 0xdc00 && lo <= 0xdfff)
                    cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
                else
                    p->pos = save;
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd;
            o += put_utf8(o, cp);
            break;
        }
        default:
            p->err = "bad escape";
            free(out);
            return NULL;
        }
    }
    *o = 0;
    p->pos = end + 1;
    return out;
}

static json_t *value(parser_t *p, int depth);

static json_t *node(parser_t *p, json_type_t t) {
    json_t *v = calloc(1, sizeof(*v));
    if (!v)
        p->err = "out of memory";
    else
        v->type = t;
    return v;
}

static json_t *container(parser_t *p, int depth, bool obj) {
    p->pos++; /* [ or { */
    json_t *v = node(p, obj ? JSON_OBJ : JSON_ARR), **tail = v ? &v->child : NULL;
    if (!v)
        return NULL;
    ws(p);
    if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
        p->pos++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        if (obj) {
            ws(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                p->err = "a member name expected";
                break;
            }
            if (!(key = string(p)))
                break;
            ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                p->err = "':' expected";
                free(key);
                break;
            }
            p->pos++;
        }
        json_t *e = value(p, depth + 1);
        if (!e) {
            free(key);
            break;
        }
        e->key = key;
        *tail = e;
        tail = &e->next;
        ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
            p->pos++;
            return v;
        }
        p->err = obj ? "',' or '}' expected" : "',' or ']' expected";
        break;
    }
    json_free(v);
    return NULL;
}

static json_t *number(parser_t *p) {
    size_t start = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    size_t digits = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    if (p->pos == digits || (p->s[digits] == '0' && p->pos - digits > 1)) {
        p->err = "bad number";
        return NULL;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        size_t f = ++p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        if (p->pos == f) {
            p->err = "bad number";
            return NULL;
        }
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        size_t x = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        if (p->pos == x) {
            p->err = "bad number";
            return NULL;
        }
    }
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof(buf)) {
        p->err = "number too long";
        return NULL;
    }
    memcpy(buf, p->s + start, n);
    buf[n] = 0;
    json_t *v = node(p, JSON_NUM);
    if (v)
        v->num = strtod(buf, NULL);
    return v;
}

static json_t *value(parser_t *p, int depth) {
    if (depth > MAX_DEPTH) {
        p->err = "nested too deep";
        return NULL;
    }
    ws(p);
    if (p->pos >= p->len) {
        p->err = "a value expected";
        return NULL;
    }
    char c = p->s[p->pos];
    if (c == '{' || c == '[')
        return container(p, depth, c == '{');
    if (c == '"') {
        char *s = string(p);
        json_t *v = s ? node(p, JSON_STR) : NULL;
        if (v)
            v->str = s;
        else
            free(s);
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(p);
    json_t *v = NULL;
    if (lit(p, "true") || lit(p, "false")) {
        if ((v = node(p, JSON_BOOL)))
            v->b = c == 't';
    } else if (lit(p, "null")) {
        v = node(p, JSON_NULL);
    } else {
        p->err = "a value expected";
    }
    return v;
}

json_t *json_parse(const char *s, size_t len, char *errstr, size_t errstr_size) {
    parser_t p = {s, len, 0, NULL};
    json_t *v = value(&p, 0);
    if (v) {
        ws(&p);
        if (p.pos != len) {
            p.err = "text after the value";
            json_free(v);
            v = NULL;
        }
    }
    if (!v && errstr_size)
        snprintf(errstr, errstr_size, "%s at byte %zu", p.err ? p.err : "bad JSON", p.pos);
    return v;
}

void json_free(json_t *v) {
    while (v) {
        json_t *next = v->next;
        json_free(v->child);
        free(v->str);
        free(v->key);
        free(v);
        v = next;
    }
}

const json_t *json_get(const json_t *o, const char *key) {
    if (!o || o->type != JSON_OBJ)
        return NULL;
    for (const json_t *m = o->child; m; m = m->next)
        if (m->key && strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

double json_num(const json_t *o, const char *key, double dflt) {
    const json_t *m = json_get(o, key);
    return m && m->type == JSON_NUM ? m->num : dflt;
}
