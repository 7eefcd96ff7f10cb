/* SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka uses them: no channel
 * binding ("n,,"), no authorization identity, user names escaped ('=' -> "=3D",
 * ',' -> "=2C"). The client side proves the password and verifies the server's
 * signature; the server side (the mock cluster's) checks the proof against keys derived
 * from the password once. Secrets are wiped when a state is freed.
 *
 * Not thread-safe: one exchange per state, on its connection's thread. */
#ifndef KAFKA_SASL_SCRAM_H
#define KAFKA_SASL_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KAFKA__SCRAM_MAX_MSG 1024 /* a longer message from the peer is refused */
#define KAFKA__SCRAM_MAX_HASH 64
#define KAFKA__SCRAM_MIN_ITERATIONS 4096 /* RFC 7677's minimum, Kafka's default */
#define KAFKA__SCRAM_MAX_ITERATIONS 1000000 /* a server asking more is refused (a stall, not security) */

/* The hash of a mechanism name ("SCRAM-SHA-256", "SCRAM-SHA-512"); NULL: not SCRAM. */
const struct evp_md_st *kafka__scram_md(const char *mechanism);

/* A password's keys for one salt and iteration count (RFC 5802: SaltedPassword,
 * ClientKey, StoredKey = H(ClientKey), ServerKey); false when OpenSSL fails. */
typedef struct kafka__scram_keys_s {
    size_t len; /* the hash's size */
    uint8_t client_key[KAFKA__SCRAM_MAX_HASH], stored_key[KAFKA__SCRAM_MAX_HASH], server_key[KAFKA__SCRAM_MAX_HASH];
} kafka__scram_keys_t;
bool kafka__scram_derive(const struct evp_md_st *md, const char *password, const uint8_t *salt, size_t salt_len,
                         int iterations, kafka__scram_keys_t *keys);

/* ---- client ---- */

typedef struct kafka__scram_client_s {
    const struct evp_md_st *md;
    char *password;
    char first_bare[KAFKA__SCRAM_MAX_MSG];  /* "n=user,r=cnonce" */
    char nonce[64];                         /* the client's */
    uint8_t server_signature[KAFKA__SCRAM_MAX_HASH];
    size_t sig_len;
} kafka__scram_client_t;

/* Starts an exchange for user/password with mechanism; nonce NULL: 24 random bytes,
 * base64 (tests give RFC 7677's). Writes the client-first message ("n,,n=...,r=...")
 * to out (out_size >= KAFKA__SCRAM_MAX_MSG). false with why on a bad mechanism, a user
 * name too long, or no randomness. */
bool kafka__scram_client_start(kafka__scram_client_t *s, const char *mechanism, const char *user,
                               const char *password, const char *nonce, char *out, size_t out_size, char *why,
                               size_t why_size);

/* Takes the server-first message (r=, s=, i=) and writes the client-final message with
 * the proof to out. false with why when the message is malformed, the nonce is not the
 * client's extended, the iteration count is outside [4096, 1000000], or it carries e=. */
bool kafka__scram_client_final(kafka__scram_client_t *s, const uint8_t *server_first, size_t len, char *out,
                               size_t out_size, char *why, size_t why_size);

/* Checks the server-final message: v= must be the server's signature (the server knew
 * the password's keys), e= is the server's refusal. false with why otherwise. */
bool kafka__scram_client_verify(kafka__scram_client_t *s, const uint8_t *server_final, size_t len, char *why,
                                size_t why_size);

/* Wipes and frees what the exchange holds (s itself is the caller's). */
void kafka__scram_client_free(kafka__scram_client_t *s);

/* ---- server ---- */

typedef struct kafka__scram_server_s {
    const struct evp_md_st *md;
    kafka__scram_keys_t keys;
    char auth_start[2 * KAFKA__SCRAM_MAX_MSG + 2]; /* client-first-bare "," server-first */
    char nonce[160];                                /* client's + server's */
    char user[256];
    bool have_keys;
} kafka__scram_server_t;

/* Looks up a user's password (NULL: unknown user); the server derives keys from it. */
typedef const char *(kafka__scram_lookup_t)(const char *user, void *arg);

/* Takes the client-first message; writes server-first (salt and iterations fixed per
 * user, a random server nonce) to out. false with why (and an "e=" message in out when
 * the client should be told) on a malformed message or an unknown user. */
bool kafka__scram_server_first(kafka__scram_server_t *s, const char *mechanism, const uint8_t *client_first,
                               size_t len, kafka__scram_lookup_t *lookup, void *arg, char *out, size_t out_size,
                               char *why, size_t why_size);

/* Takes the client-final message and checks its proof; writes server-final ("v=..." or
 * "e=invalid-proof") to out. true when the client proved the password. Its nonce must be
 * the server-first one (RFC 5802, Kafka 4); lenient also accepts one that only ends with
 * it, as Kafka 3.8.1-3.9 do for librdkafka before 2.6.1, which sends its own nonce twice. */
bool kafka__scram_server_final(kafka__scram_server_t *s, const uint8_t *client_final, size_t len, bool lenient,
                               char *out, size_t out_size, char *why, size_t why_size);

#endif /* KAFKA_SASL_SCRAM_H */
