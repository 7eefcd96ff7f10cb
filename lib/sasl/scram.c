/* SCRAM (RFC 5802 / RFC 7677) for Kafka's SCRAM-SHA-256 and SCRAM-SHA-512. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl/scram.h"
#include "util/secret.h"

__attribute__((format(printf, 3, 4))) static bool fail(char *why, size_t why_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return false;
}

const struct evp_md_st *kafka__scram_md(const char *mechanism) {
    if (mechanism && strcmp(mechanism, "SCRAM-SHA-256") == 0)
        return EVP_sha256();
    if (mechanism && strcmp(mechanism, "SCRAM-SHA-512") == 0)
        return EVP_sha512();
    return NULL;
}

static bool hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t *out) {
    unsigned int n = 0;
    return HMAC(md, key, (int)key_len, data, len, out, &n) != NULL;
}

bool kafka__scram_derive(const EVP_MD *md, const char *password, const uint8_t *salt, size_t salt_len,
                         int iterations, kafka__scram_keys_t *keys) {
    uint8_t salted[KAFKA__SCRAM_MAX_HASH];
    keys->len = (size_t)EVP_MD_get_size(md);
    bool ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations, md, (int)keys->len,
                                salted) == 1 &&
              hmac(md, salted, keys->len, "Client Key", 10, keys->client_key) &&
              hmac(md, salted, keys->len, "Server Key", 10, keys->server_key) &&
              EVP_Digest(keys->client_key, keys->len, keys->stored_key, NULL, md, NULL) == 1;
    OPENSSL_cleanse(salted, sizeof(salted));
    return ok;
}

/* base64 of n bytes into out (NUL-terminated); false when it does not fit. */
static bool b64(const uint8_t *in, size_t n, char *out, size_t out_size) {
    if (4 * ((n + 2) / 3) + 1 > out_size)
        return false;
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return true;
}

/* Decodes base64 text of length n into out; -1 when malformed or too long. */
static int unb64(const char *in, size_t n, uint8_t *out, size_t out_size) {
    if (n == 0 || n % 4 || n / 4 * 3 > out_size)
        return -1;
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (len < 0)
        return -1;
    if (in[n - 1] == '=')
        len--;
    if (n > 1 && in[n - 2] == '=')
        len--;
    return len;
}

/* The value of attribute `name` (one letter) in a comma-separated SCRAM message, its
 * length in *len; NULL when absent. */
static const char *attr(const char *msg, size_t msg_len, char name, size_t *len) {
    const char *p = msg, *end = msg + msg_len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (stop - p >= 2 && p[0] == name && p[1] == '=') {
            *len = (size_t)(stop - p - 2);
            return p + 2;
        }
        p = stop + 1;
    }
    return NULL;
}

/* ---- client ---- */

bool kafka__scram_client_start(kafka__scram_client_t *s, const char *mechanism, const char *user,
                               const char *password, const char *nonce, char *out, size_t out_size, char *why,
                               size_t why_size) {
    memset(s, 0, sizeof(*s));
    s->md = kafka__scram_md(mechanism);
    if (!s->md)
        return fail(why, why_size, "%s is not a SCRAM mechanism", mechanism ? mechanism : "(none)");
    if (nonce) {
        snprintf(s->nonce, sizeof(s->nonce), "%s", nonce);
    } else {
        uint8_t raw[24];
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return fail(why, why_size, "SCRAM: no random bytes for the nonce");
        b64(raw, sizeof(raw), s->nonce, sizeof(s->nonce));
    }
    char name[512];
    size_t n = 0;
    for (const char *c = user; *c && n + 4 < sizeof(name); c++) {
        if (*c == '=' || *c == ',') {
            memcpy(name + n, *c == '=' ? "=3D" : "=2C", 3);
            n += 3;
        } else {
            name[n++] = *c;
        }
    }
    name[n] = 0;
    int len = snprintf(s->first_bare, sizeof(s->first_bare), "n=%s,r=%s", name, s->nonce);
    if (len < 0 || (size_t)len >= sizeof(s->first_bare) || (size_t)len + 3 >= out_size)
        return fail(why, why_size, "SCRAM: the user name is too long");
    s->password = kafka__secret_dup(password ? password : ""); /* out of core dumps, as the conf's */
    if (!s->password)
        return fail(why, why_size, "out of memory");
    snprintf(out, out_size, "n,,%s", s->first_bare);
    return true;
}

bool kafka__scram_client_final(kafka__scram_client_t *s, const uint8_t *server_first, size_t len, char *out,
                               size_t out_size, char *why, size_t why_size) {
    if (len == 0 || len >= KAFKA__SCRAM_MAX_MSG || memchr(server_first, 0, len))
        return fail(why, why_size, "SCRAM: the server-first message is %s", len ? "malformed" : "empty");
    const char *msg = (const char *)server_first;
    size_t rl = 0, sl = 0, il = 0, el = 0;
    const char *e = attr(msg, len, 'e', &el);
    if (e)
        return fail(why, why_size, "SCRAM: the server refused: %.*s", (int)el, e);
    const char *r = attr(msg, len, 'r', &rl), *salt64 = attr(msg, len, 's', &sl), *it = attr(msg, len, 'i', &il);
    size_t cl = strlen(s->nonce);
    if (!r || !salt64 || !it)
        return fail(why, why_size, "SCRAM: the server-first message lacks %s", !r ? "r=" : !salt64 ? "s=" : "i=");
    if (rl <= cl || memcmp(r, s->nonce, cl) != 0 || rl >= 160)
        return fail(why, why_size, "SCRAM: the server's nonce does not extend the client's");
    char num[16];
    if (il == 0 || il >= sizeof(num))
        return fail(why, why_size, "SCRAM: bad iteration count");
    memcpy(num, it, il);
    num[il] = 0;
    char *endp;
    long iters = strtol(num, &endp, 10);
    if (*endp || iters < KAFKA__SCRAM_MIN_ITERATIONS || iters > KAFKA__SCRAM_MAX_ITERATIONS)
        return fail(why, why_size, "SCRAM: iteration count %s is outside %d..%d", num, KAFKA__SCRAM_MIN_ITERATIONS,
                    KAFKA__SCRAM_MAX_ITERATIONS);
    uint8_t salt[256];
    int saltn = unb64(salt64, sl, salt, sizeof(salt));
    if (saltn <= 0)
        return fail(why, why_size, "SCRAM: the salt is not base64");
    kafka__scram_keys_t k;
    if (!kafka__scram_derive(s->md, s->password, salt, (size_t)saltn, (int)iters, &k))
        return fail(why, why_size, "SCRAM: key derivation failed");
    char without_proof[256];
    snprintf(without_proof, sizeof(without_proof), "c=biws,r=%.*s", (int)rl, r);
    char auth[3 * KAFKA__SCRAM_MAX_MSG];
    int al = snprintf(auth, sizeof(auth), "%s,%.*s,%s", s->first_bare, (int)len, msg, without_proof);
    uint8_t sig[KAFKA__SCRAM_MAX_HASH], proof[KAFKA__SCRAM_MAX_HASH];
    bool ok = al > 0 && (size_t)al < sizeof(auth) && hmac(s->md, k.stored_key, k.len, auth, (size_t)al, sig) &&
              hmac(s->md, k.server_key, k.len, auth, (size_t)al, s->server_signature);
    for (size_t i = 0; ok && i < k.len; i++)
        proof[i] = k.client_key[i] ^ sig[i];
    s->sig_len = k.len;
    char proof64[100];
    ok = ok && b64(proof, k.len, proof64, sizeof(proof64));
    OPENSSL_cleanse(&k, sizeof(k));
    if (!ok)
        return fail(why, why_size, "SCRAM: computing the proof failed");
    int ol = snprintf(out, out_size, "%s,p=%s", without_proof, proof64);
    if (ol < 0 || (size_t)ol >= out_size)
        return fail(why, why_size, "SCRAM: the client-final message does not fit");
    return true;
}

bool kafka__scram_client_verify(kafka__scram_client_t *s, const uint8_t *server_final, size_t len, char *why,
                                size_t why_size) {
    if (len == 0 || len >= KAFKA__SCRAM_MAX_MSG)
        return fail(why, why_size, "SCRAM: the server-final message is %s", len ? "too long" : "empty");
    const char *msg = (const char *)server_final;
    size_t vl = 0, el = 0;
    const char *e = attr(msg, len, 'e', &el);
    if (e)
        return fail(why, why_size, "SCRAM: the server refused: %.*s", (int)el, e);
    const char *v = attr(msg, len, 'v', &vl);
    uint8_t sig[KAFKA__SCRAM_MAX_HASH + 3];
    int n = v ? unb64(v, vl, sig, sizeof(sig)) : -1;
    if (n != (int)s->sig_len || s->sig_len == 0 || CRYPTO_memcmp(sig, s->server_signature, s->sig_len) != 0)
        return fail(why, why_size, "SCRAM: the server's signature is wrong (it does not know the password's keys)");
    return true;
}

void kafka__scram_client_free(kafka__scram_client_t *s) {
    kafka__secret_free(s->password);
    OPENSSL_cleanse(s, sizeof(*s));
}

/* ---- server ---- */

bool kafka__scram_server_first(kafka__scram_server_t *s, const char *mechanism, const uint8_t *client_first,
                               size_t len, kafka__scram_lookup_t *lookup, void *arg, char *out, size_t out_size,
                               char *why, size_t why_size) {
    memset(s, 0, sizeof(*s));
    out[0] = 0;
    s->md = kafka__scram_md(mechanism);
    const char *msg = (const char *)client_first;
    if (!s->md)
        return fail(why, why_size, "%s is not a SCRAM mechanism", mechanism);
    if (len < 3 || len >= KAFKA__SCRAM_MAX_MSG || memchr(msg, 0, len) || memcmp(msg, "n,,", 3) != 0)
        return fail(why, why_size, "SCRAM: the client-first message is malformed");
    const char *bare = msg + 3;
    size_t bl = len - 3, nl = 0, rl = 0;
    const char *n = attr(bare, bl, 'n', &nl), *r = attr(bare, bl, 'r', &rl);
    if (!n || !r || rl == 0 || rl > 80 || nl >= sizeof(s->user))
        return fail(why, why_size, "SCRAM: the client-first message lacks n= or r=");
    size_t u = 0;
    for (size_t i = 0; i < nl; i++) { /* "=2C" -> ',', "=3D" -> '=' */
        if (n[i] == '=' && i + 2 < nl && (memcmp(n + i, "=2C", 3) == 0 || memcmp(n + i, "=3D", 3) == 0)) {
            s->user[u++] = n[i + 1] == '2' ? ',' : '=';
            i += 2;
        } else {
            s->user[u++] = n[i];
        }
    }
    s->user[u] = 0;
    const char *password = lookup(s->user, arg);
    if (!password) {
        snprintf(out, out_size, "e=unknown-user");
        return fail(why, why_size, "SCRAM: unknown user %s", s->user);
    }
    uint8_t salt[16], digest[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_Digest(s->user, u, digest, &dl, EVP_sha256(), NULL); /* a salt fixed per user */
    memcpy(salt, digest, sizeof(salt));
    uint8_t raw[18];
    if (RAND_bytes(raw, sizeof(raw)) != 1 || !kafka__scram_derive(s->md, password, salt, sizeof(salt),
                                                                   KAFKA__SCRAM_MIN_ITERATIONS, &s->keys))
        return fail(why, why_size, "SCRAM: no randomness or key derivation failed");
    s->have_keys = true;
    char snonce[32], salt64[32];
    b64(raw, sizeof(raw), snonce, sizeof(snonce));
    b64(salt, sizeof(salt), salt64, sizeof(salt64));
    snprintf(s->nonce, sizeof(s->nonce), "%.*s%s", (int)rl, r, snonce);
    int ol = snprintf(out, out_size, "r=%s,s=%s,i=%d", s->nonce, salt64, KAFKA__SCRAM_MIN_ITERATIONS);
    int al = snprintf(s->auth_start, sizeof(s->auth_start), "%.*s,%s", (int)bl, bare, out);
    if (ol < 0 || (size_t)ol >= out_size || al < 0 || (size_t)al >= sizeof(s->auth_start))
        return fail(why, why_size, "SCRAM: the server-first message does not fit");
    return true;
}

bool kafka__scram_server_final(kafka__scram_server_t *s, const uint8_t *client_final, size_t len, bool lenient,
                               char *out, size_t out_size, char *why, size_t why_size) {
    snprintf(out, out_size, "e=invalid-proof");
    const char *msg = (const char *)client_final;
    if (!s->have_keys || len == 0 || len >= KAFKA__SCRAM_MAX_MSG || memchr(msg, 0, len))
        return fail(why, why_size, "SCRAM: the client-final message is malformed");
    size_t cl = 0, rl = 0, pl = 0;
    const char *c = attr(msg, len, 'c', &cl), *r = attr(msg, len, 'r', &rl), *p = attr(msg, len, 'p', &pl);
    const char *proof_at = p ? p - 3 : NULL; /* ",p=" */
    size_t nl = strlen(s->nonce);
    bool nonce_ok = r && (rl == nl || (lenient && rl > nl)) && memcmp(r + rl - nl, s->nonce, nl) == 0;
    if (!c || !p || proof_at < msg || cl != 4 || memcmp(c, "biws", 4) != 0 || !nonce_ok) {
        snprintf(out, out_size, "e=other-error");
        return fail(why, why_size, "SCRAM: the client-final message has the wrong channel binding or nonce");
    }
    char auth[3 * KAFKA__SCRAM_MAX_MSG];
    int al = snprintf(auth, sizeof(auth), "%s,%.*s", s->auth_start, (int)(proof_at - msg), msg);
    uint8_t proof[KAFKA__SCRAM_MAX_HASH + 3], sig[KAFKA__SCRAM_MAX_HASH], key[KAFKA__SCRAM_MAX_HASH],
        stored[EVP_MAX_MD_SIZE], server_sig[KAFKA__SCRAM_MAX_HASH];
    int n = unb64(p, pl, proof, sizeof(proof));
    size_t hl = s->keys.len;
    if (al < 0 || (size_t)al >= sizeof(auth) || n != (int)hl ||
        !hmac(s->md, s->keys.stored_key, hl, auth, (size_t)al, sig))
        return fail(why, why_size, "SCRAM: the proof is malformed");
    for (size_t i = 0; i < hl; i++)
        key[i] = proof[i] ^ sig[i]; /* the client key the proof claims */
    unsigned int dl = 0;
    bool ok = EVP_Digest(key, hl, stored, &dl, s->md, NULL) == 1 && dl == hl &&
              CRYPTO_memcmp(stored, s->keys.stored_key, hl) == 0;
    OPENSSL_cleanse(key, sizeof(key));
    if (!ok)
        return fail(why, why_size, "SCRAM: wrong password for user %s", s->user);
    char sig64[100];
    if (!hmac(s->md, s->keys.server_key, hl, auth, (size_t)al, server_sig) || !b64(server_sig, hl, sig64, sizeof(sig64)))
        return fail(why, why_size, "SCRAM: computing the server signature failed");
    snprintf(out, out_size, "v=%s", sig64);
    return true;
}
