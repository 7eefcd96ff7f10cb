/* TLS for kafka_io (security.protocol=SSL): the client's OpenSSL context built from the
 * conf's ssl.* properties, and OpenSSL's reasons turned into messages that name the
 * cause. The record I/O itself lives in io.c, next to the plaintext path it mirrors. */
#ifndef KAFKA_NET_TLS_H
#define KAFKA_NET_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "kafka/conf.h"
#include "kafka/error.h"

/* A client context as conf says: ssl.min.version, ssl.cipher.suites, the CAs of
 * ssl.ca.location (file or directory; empty: the system trust store), the certificate
 * and key of ssl.certificate.location / ssl.key.location (decrypted with
 * ssl.key.password, which no message ever shows), peer verification on, kTLS asked for.
 * NULL on failure: KAFKA_ERR__SSL (or NO_MEMORY) and errstr naming the property, the
 * file and the reason. The caller frees it with SSL_CTX_free. */
SSL_CTX *kafka__tls_client_ctx(const kafka_conf_t *conf, kafka_err_t *errp, char *errstr, size_t errstr_size);

/* The verify callback of every context here: keeps the subject of the first certificate
 * that failed in the char[KAFKA__TLS_SUBJECT_MAX] the SSL's app data points to. */
#define KAFKA__TLS_SUBJECT_MAX 256
int kafka__tls_verify_cb(int preverify_ok, X509_STORE_CTX *ctx);

/* The reasons queued in OpenSSL's (per-thread) error queue, "; "-separated, into buf;
 * the queue is emptied. "" when it was empty. Returns the first reason code (0: none). */
int kafka__tls_reasons(char *buf, size_t size);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384, kTLS send on|off" for io's TLS session into buf;
 * false (buf untouched) for plaintext. */
struct kafka_io_s;
bool kafka__io_tls_describe(const struct kafka_io_s *io, char *buf, size_t size);

#endif /* KAFKA_NET_TLS_H */
