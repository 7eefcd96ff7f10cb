/* OAUTHBEARER's client message, built and parsed (see sasl/oauthbearer.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl/oauthbearer.h"

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return false;
}

static bool token_char(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

bool kafka__oauthbearer_token_ok(const char *token, size_t len) {
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!token_char((unsigned char)token[i]))
            return false;
    return true;
}

uint8_t *kafka__oauthbearer_client_message(const char *token, size_t *len) {
    static const char head[] = "n,,\x01" "auth=Bearer ";
    size_t tl = strlen(token), hl = sizeof(head) - 1;
    if (!kafka__oauthbearer_token_ok(token, tl))
        return NULL;
    uint8_t *m = malloc(hl + tl + 2);
    if (!m)
        return NULL;
    memcpy(m, head, hl);
    memcpy(m + hl, token, tl);
    m[hl + tl] = 1;
    m[hl + tl + 1] = 1;
    *len = hl + tl + 2;
    return m;
}

bool kafka__oauthbearer_server_parse(const uint8_t *msg, size_t len, const char **token, size_t *token_len,
                                     const char **authzid, size_t *authzid_len, char *why, size_t why_size) {
    const char *p = (const char *)msg, *end = p + len;
    *token = *authzid = NULL;
    *token_len = *authzid_len = 0;
    /* gs2-header: "n," [ "a=" authzid ] "," — no channel binding ("y" or "p") */
    if (end - p < 3 || p[0] != 'n' || p[1] != ',')
        return fail(why, why_size, "Invalid OAUTHBEARER client first message: no GS2 header \"n,\"");
    p += 2;
    if (end - p >= 2 && p[0] == 'a' && p[1] == '=') {
        const char *comma = memchr(p + 2, ',', (size_t)(end - p - 2));
        if (!comma)
            return fail(why, why_size, "Invalid OAUTHBEARER client first message: the authorization identity "
                                       "does not end");
        *authzid = p + 2;
        *authzid_len = (size_t)(comma - p - 2);
        p = comma;
    }
    if (p >= end || *p != ',')
        return fail(why, why_size, "Invalid OAUTHBEARER client first message: bad GS2 header");
    p++;
    if (p >= end || *p != 1)
        return fail(why, why_size, "Invalid OAUTHBEARER client first message: no \\x01 after the GS2 header");
    p++;
    /* key=value\x01 ... \x01 */
    bool last = false;
    while (p < end) {
        const char *sep = memchr(p, 1, (size_t)(end - p));
        if (!sep)
            return fail(why, why_size, "Invalid OAUTHBEARER client first message: a key=value pair does not end "
                                       "with \\x01");
        if (sep == p) { /* the empty pair: the end */
            last = sep + 1 == end;
            if (!last)
                return fail(why, why_size, "Invalid OAUTHBEARER client first message: bytes after its end");
            break;
        }
        const char *eq = memchr(p, '=', (size_t)(sep - p));
        if (!eq || eq == p)
            return fail(why, why_size, "Invalid OAUTHBEARER client first message: a pair without key=value");
        for (const char *k = p; k < eq; k++)
            if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')))
                return fail(why, why_size, "Invalid OAUTHBEARER client first message: a key that is not letters");
        if (eq - p == 4 && memcmp(p, "auth", 4) == 0) {
            const char *v = eq + 1;
            if (sep - v < 7 || strncasecmp(v, "bearer", 6) != 0 || v[6] != ' ')
                return fail(why, why_size, "Invalid OAUTHBEARER client first message: auth is not \"Bearer <token>\"");
            v += 7;
            while (v < sep && *v == ' ')
                v++;
            if (*token)
                return fail(why, why_size, "Invalid OAUTHBEARER client first message: auth twice");
            if (!kafka__oauthbearer_token_ok(v, (size_t)(sep - v)))
                return fail(why, why_size, "Invalid OAUTHBEARER client first message: the token is empty or holds "
                                           "characters a token may not");
            *token = v;
            *token_len = (size_t)(sep - v);
        }
        p = sep + 1;
    }
    if (!last)
        return fail(why, why_size, "Invalid OAUTHBEARER client first message: it does not end with \\x01\\x01");
    if (!*token)
        return fail(why, why_size, "Invalid OAUTHBEARER client first message: no auth=Bearer pair");
    return true;
}
