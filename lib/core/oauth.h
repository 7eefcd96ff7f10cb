/* The OAUTHBEARER token of a client (sasl.mechanism=OAUTHBEARER): where it comes from,
 * when it is fetched again, and when it may no longer be used.
 *
 * Sources, one per conf: sasl.oauthbearer.token.file (read again whenever the file's
 * inode, size or mtime changed since it was read: checked before every authentication),
 * sasl.oauthbearer.token.command (run through /bin/sh when a token is needed and none is
 * held, or the one held is past 80% of its lifetime, as Java's and librdkafka's refresh),
 * or, with enable.sasl.oauthbearer.unsecure.jwt, an unsecured JWT (alg none) made from
 * sasl.oauthbearer.config ("principal=NAME [lifeSeconds=N] [scope=A,B]"), as librdkafka
 * makes for development clusters. The lifetime is the JWT's exp claim (a token without
 * one never expires here; the broker may think otherwise).
 *
 * A failed refresh keeps the token held while it has not expired (logged as a warning);
 * an expired token is never sent. The token is a secret: never logged, never put in an
 * error message; the one held and the copies handed out live in secret memory
 * (util/secret.h: left out of core dumps) and are wiped by kafka__oauth_token_free().
 *
 * Thread-safe: broker threads ask concurrently; one lock, held while a token is read or
 * a command runs, so a command runs once for all of them. */
#ifndef KAFKA_CORE_OAUTH_H
#define KAFKA_CORE_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/conf.h"

typedef struct kafka__oauth_s kafka__oauth_t;

/* An empty holder; NULL when out of memory. */
kafka__oauth_t *kafka__oauth_new(void);
/* o shared once more (kafka_conf_dup: the copies of a conf ask one holder, so a client
 * and its connections run a token command once per refresh); returns o. */
kafka__oauth_t *kafka__oauth_ref(kafka__oauth_t *o);
/* o when not shared; otherwise a new empty holder, o's share given up (kafka_conf_set of a
 * token setting: the copy's token comes from its own settings from then on). */
kafka__oauth_t *kafka__oauth_unshare(kafka__oauth_t *o);
/* Gives up one share; the last frees it, the token wiped; NULL is a no-op. */
void kafka__oauth_destroy(kafka__oauth_t *o);

/* The token to authenticate with now, fetched or refreshed as conf says: KAFKA_OK with
 * *token (secret memory, for kafka__oauth_token_free) and the principal (the JWT's sub, "" when
 * none) for messages. Otherwise KAFKA_ERR__AUTHENTICATION (retriable: the file may be
 * put back, the command may work next time) with why naming the cause: the file and
 * strerror, the command's exit status and the first line of its stderr, a token that is
 * not a JWT, a token that expired (when, how long ago); or KAFKA_ERR__NO_MEMORY. */
/* @thread any  @locks o's (a command runs under it) */
kafka_err_t kafka__oauth_token(kafka__oauth_t *o, const kafka_conf_t *conf, char **token, char *principal,
                               size_t principal_size, char *why, size_t why_size);
/* Wipes and frees a token from kafka__oauth_token; NULL is a no-op. */
void kafka__oauth_token_free(char *token);

/* Reads sasl.oauthbearer.config: true with the principal and the lifetime (ms, default
 * one hour); false with why naming the key that is wrong or missing. */
bool kafka__oauth_config_parse(const char *config, char *principal, size_t principal_size, int64_t *life_ms,
                               char *why, size_t why_size);

/* The conf's holder (lib/core/conf.c): shared by a conf and its copies until a token
 * setting of one is set (it gets a holder of its own). */
kafka__oauth_t *kafka__conf_oauth(const kafka_conf_t *conf);

#endif /* KAFKA_CORE_OAUTH_H */
