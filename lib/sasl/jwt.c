/* JWT claims for OAUTHBEARER (see sasl/jwt.h): base64url and a bounded JSON reader that
 * knows objects, strings, numbers and literals, and skips what it does not need. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sasl/jwt.h"

#define MAX_DEPTH 32                             /* nested JSON deeper than this is refused */
#define MAX_CLAIM_MS INT64_C(100000000000000)    /* 1e11 s: a date in the year 5138 */

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_size, const char *fmt, ...) {
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* ---- base64url ---- */

static int b64url_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long kafka__base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size) {
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= out_size)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

bool kafka__base64url_encode(const uint8_t *in, size_t n, char *out, size_t out_size) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0) + 1;
    if (need > out_size)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = 0;
    return true;
}

/* ---- JSON ---- */

typedef struct js_s {
    const uint8_t *p, *end;
} js_t;

static void js_ws(js_t *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool js_lit(js_t *s, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

static int hex(uint8_t c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool js_u4(js_t *s, uint32_t *cp) {
    if (s->end - s->p < 4)
        return false;
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex(s->p[i]);
        if (h < 0)
            return false;
        *cp = *cp << 4 | (uint32_t)h;
    }
    s->p += 4;
    return true;
}

/* A string at s->p, decoded (escapes, \u as UTF-8) into out[0..out_size) when out is
 * not NULL; false when malformed or it does not fit (*too_long then says so). */
static bool js_string(js_t *s, char *out, size_t out_size, bool *too_long) {
    if (s->p >= s->end || *s->p != '"')
        return false;
    s->p++;
    size_t n = 0;
    while (s->p < s->end) {
        uint8_t c = *s->p++;
        if (c == '"') {
            if (out)
                out[n] = 0;
            return true;
        }
        if (c < 0x20)
            return false;
        uint8_t enc[4];
        size_t k = 1;
        enc[0] = c;
        if (c == '\\') {
            if (s->p >= s->end)
                return false;
            uint32_t cp;
            switch (c = *s->p++) {
            case '"': case '\\': case '/': cp = c; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!js_u4(s, &cp) || (cp >= 0xDC00 && cp <= 0xDFFF))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
                    uint32_t lo;
                    if (!js_lit(s, "\\u") || !js_u4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                break;
            default: return false;
            }
            if (cp < 0x80) {
                enc[0] = (uint8_t)cp;
            } else if (cp < 0x800) {
                enc[0] = (uint8_t)(0xC0 | cp >> 6), enc[1] = (uint8_t)(0x80 | (cp & 63)), k = 2;
            } else if (cp < 0x10000) {
                enc[0] = (uint8_t)(0xE0 | cp >> 12), enc[1] = (uint8_t)(0x80 | (cp >> 6 & 63));
                enc[2] = (uint8_t)(0x80 | (cp & 63)), k = 3;
            } else {
                enc[0] = (uint8_t)(0xF0 | cp >> 18), enc[1] = (uint8_t)(0x80 | (cp >> 12 & 63));
                enc[2] = (uint8_t)(0x80 | (cp >> 6 & 63)), enc[3] = (uint8_t)(0x80 | (cp & 63)), k = 4;
            }
        }
        if (out) {
            if (n + k >= out_size) {
                *too_long = true;
                return false;
            }
            memcpy(out + n, enc, k);
        }
        n += k;
    }
    return false;
}

/* A number at s->p (JSON's grammar) as milliseconds: the value times 1000, truncated.
 * false when malformed; *range when it is negative or above MAX_CLAIM_MS. */
static bool js_number_ms(js_t *s, int64_t *ms, bool *range) {
    bool neg = s->p < s->end && *s->p == '-';
    if (neg)
        s->p++;
    int64_t digits = 0; /* the significant digits, up to 18 of them */
    int ndig = 0, scale = 0;
    bool any = false;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
        any = true;
    } else {
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (ndig < 18)
                digits = digits * 10 + (*s->p - '0'), ndig += digits > 0;
            else
                scale++;
            s->p++;
            any = true;
        }
    }
    if (!any)
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        bool frac = false;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (ndig < 18) {
                digits = digits * 10 + (*s->p - '0'), ndig += digits > 0;
                scale--;
            }
            s->p++;
            frac = true;
        }
        if (!frac)
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        bool eneg = s->p < s->end && *s->p == '-';
        if (s->p < s->end && (*s->p == '-' || *s->p == '+'))
            s->p++;
        int e = 0;
        bool edig = false;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (e < 10000)
                e = e * 10 + (*s->p - '0');
            s->p++;
            edig = true;
        }
        if (!edig)
            return false;
        scale += eneg ? -e : e;
    }
    scale += 3; /* seconds -> milliseconds */
    int64_t v = digits;
    if (neg && v != 0) {
        *range = true;
        return true;
    }
    for (; scale > 0 && v != 0; scale--) {
        if (v > MAX_CLAIM_MS / 10) {
            *range = true;
            return true;
        }
        v *= 10;
    }
    for (; scale < 0 && v != 0; scale++)
        v /= 10;
    if (v > MAX_CLAIM_MS) {
        *range = true;
        return true;
    }
    *ms = v;
    return true;
}

static bool js_skip(js_t *s, int depth);

/* An object at s->p; calls claim() for each member with s->p at its value, which must
 * consume the value (or leave it to js_skip by returning 0); -1 from claim stops. */
typedef int (*js_member_t)(js_t *s, const char *key, bool key_long, void *arg);

static bool js_object(js_t *s, int depth, js_member_t member, void *arg) {
    if (depth > MAX_DEPTH || s->p >= s->end || *s->p != '{')
        return false;
    s->p++;
    js_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        js_ws(s);
        char key[16];
        bool key_long = false;
        const uint8_t *start = s->p;
        if (!js_string(s, key, sizeof(key), &key_long)) {
            if (!key_long)
                return false;
            s->p = start; /* a longer key is none we want: read past it */
            key[0] = 0;
            if (!js_string(s, NULL, 0, &key_long))
                return false;
        }
        js_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        js_ws(s);
        int r = member ? member(s, key, key_long, arg) : 0;
        if (r < 0)
            return false;
        if (r == 0 && !js_skip(s, depth + 1))
            return false;
        js_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return true;
        }
        return false;
    }
}

static bool js_skip(js_t *s, int depth) {
    if (depth > MAX_DEPTH || s->p >= s->end)
        return false;
    bool unused = false;
    int64_t ms;
    switch (*s->p) {
    case '"': return js_string(s, NULL, 0, &unused);
    case '{': return js_object(s, depth, NULL, NULL);
    case '[':
        s->p++;
        js_ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return true;
        }
        for (;;) {
            js_ws(s);
            if (!js_skip(s, depth + 1))
                return false;
            js_ws(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == ']') {
                s->p++;
                return true;
            }
            return false;
        }
    case 't': return js_lit(s, "true");
    case 'f': return js_lit(s, "false");
    case 'n': return js_lit(s, "null");
    default: return js_number_ms(s, &ms, &unused);
    }
}

/* ---- claims ---- */

typedef struct claims_s {
    kafka__jwt_t *jwt;
    bool header;
    char *why;
    size_t why_size;
} claims_t;

static int claim_string(js_t *s, claims_t *c, const char *name, char *out, size_t out_size) {
    bool too_long = false;
    if (s->p >= s->end || *s->p != '"')
        return fail(c->why, c->why_size, "the %s claim is not a string", name), -1;
    if (!js_string(s, out, out_size, &too_long))
        return fail(c->why, c->why_size, too_long ? "the %s claim is longer than %zu bytes" : "the %s claim is "
                    "not a valid JSON string", name, out_size - 1), -1;
    return 1;
}

static int claim_time(js_t *s, claims_t *c, const char *name, int64_t *ms) {
    bool range = false;
    if (s->p >= s->end || !(*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
        return fail(c->why, c->why_size, "the %s claim is not a number", name), -1;
    if (!js_number_ms(s, ms, &range))
        return fail(c->why, c->why_size, "the %s claim is not a valid JSON number", name), -1;
    if (range)
        return fail(c->why, c->why_size, "the %s claim is outside 0..1e11 seconds", name), -1;
    return 1;
}

static int member(js_t *s, const char *key, bool key_long, void *arg) {
    claims_t *c = arg;
    kafka__jwt_t *j = c->jwt;
    if (key_long)
        return 0;
    if (c->header)
        return strcmp(key, "alg") == 0 ? claim_string(s, c, "alg", j->alg, sizeof(j->alg)) : 0;
    if (strcmp(key, "sub") == 0) {
        j->has_sub = true;
        return claim_string(s, c, "sub", j->sub, sizeof(j->sub));
    }
    if (strcmp(key, "exp") == 0) {
        j->has_exp = true;
        return claim_time(s, c, "exp", &j->exp_ms);
    }
    if (strcmp(key, "iat") == 0) {
        j->has_iat = true;
        return claim_time(s, c, "iat", &j->iat_ms);
    }
    return 0;
}

/* One base64url part holding a JSON object, its claims into jwt. */
static bool part(const char *b64, size_t len, bool header, kafka__jwt_t *jwt, char *why, size_t why_size) {
    const char *what = header ? "header" : "payload";
    uint8_t buf[KAFKA__JWT_MAX / 4 * 3 + 3];
    long n = kafka__base64url_decode(b64, len, buf, sizeof(buf));
    if (n < 0)
        return fail(why, why_size, "the JWT's %s is not base64url", what);
    char inner[160] = "";
    claims_t c = {jwt, header, inner, sizeof(inner)};
    js_t s = {buf, buf + n};
    js_ws(&s);
    bool ok = js_object(&s, 0, member, &c);
    if (ok) {
        js_ws(&s);
        ok = s.p == s.end;
    }
    if (!ok && inner[0])
        return fail(why, why_size, "the JWT's %s: %s", what, inner);
    if (!ok)
        return fail(why, why_size, "the JWT's %s is not a JSON object", what);
    return true;
}

bool kafka__jwt_parse(const char *token, size_t len, kafka__jwt_t *jwt, char *why, size_t why_size) {
    memset(jwt, 0, sizeof(*jwt));
    if (len == 0)
        return fail(why, why_size, "the token is empty");
    if (len > KAFKA__JWT_MAX)
        return fail(why, why_size, "the token is %zu bytes, more than %d", len, KAFKA__JWT_MAX);
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return fail(why, why_size, "the token is not a JWT (three base64url parts separated by dots)");
    const char *sig = d2 + 1;
    size_t sig_len = len - (size_t)(sig - token);
    for (size_t i = 0; i < sig_len; i++)
        if (b64url_value((unsigned char)sig[i]) < 0 && sig[i] != '=')
            return fail(why, why_size, "the JWT's signature is not base64url");
    jwt->signed_ = sig_len > 0;
    return part(token, (size_t)(d1 - token), true, jwt, why, why_size) &&
           part(d1 + 1, (size_t)(d2 - d1 - 1), false, jwt, why, why_size);
}
