/* What a SASL/OAUTHBEARER client and the mock's validator read of a JWT (RFC 7519):
 * header.payload.signature, the first two base64url JSON objects. Only the claims Kafka
 * looks at are kept: the header's alg, the payload's sub, iat and exp (seconds since the
 * epoch, as JSON numbers, kept in milliseconds as Java's client does). The signature is
 * not checked: a client cannot, and Kafka's unsecured validator wants none.
 *
 * No allocation, no global state: usable from any thread. */
#ifndef KAFKA_SASL_JWT_H
#define KAFKA_SASL_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KAFKA__JWT_MAX 16384 /* a longer token is refused (Kafka's are a few hundred bytes to ~2 KiB) */

typedef struct kafka__jwt_s {
    char alg[32];   /* the header's "alg"; "" when absent */
    char sub[256];  /* the payload's "sub" (the principal); "" when absent */
    bool has_sub, has_exp, has_iat;
    int64_t exp_ms; /* "exp" * 1000, when has_exp */
    int64_t iat_ms; /* "iat" * 1000, when has_iat */
    bool signed_;   /* the third part is not empty */
} kafka__jwt_t;

/* Parses token[0..len). true with *jwt filled; false with why saying what is wrong
 * (never quoting the token): not three dot-separated base64url parts, a part that is
 * not a JSON object, a claim of the wrong type (sub not a string, exp/iat not a number
 * within 0..1e11 seconds), a string longer than its field. */
bool kafka__jwt_parse(const char *token, size_t len, kafka__jwt_t *jwt, char *why, size_t why_size);

/* Decodes base64url (RFC 4648 section 5; '=' padding tolerated) of in[0..len) into out;
 * the decoded length, or -1 when malformed or longer than out_size. */
long kafka__base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size);
/* Encodes n bytes as base64url without padding into out (NUL-terminated); false when it
 * does not fit. */
bool kafka__base64url_encode(const uint8_t *in, size_t n, char *out, size_t out_size);

#endif /* KAFKA_SASL_JWT_H */
