/* The client's TLS context from the conf, and OpenSSL's reasons as readable text. */
#include <errno.h>
#include <stdarg.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/tls.h"

#define TLS_READ_BUFFER (128 * 1024) /* OpenSSL's read-ahead buffer: 8 full records */

int kafka__tls_reasons(char *buf, size_t size) {
    size_t n = 0;
    int first = 0;
    if (size)
        buf[0] = 0;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        if (!first)
            first = ERR_GET_REASON(e);
        const char *r = ERR_reason_error_string(e);
        char code[32];
        if (!r) {
            snprintf(code, sizeof(code), "error %lu", e);
            r = code;
        }
        if (n < size && !strstr(buf, r)) /* OpenSSL often queues one reason at several layers */
            n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "; " : "", r);
    }
    return first;
}

int kafka__tls_verify_cb(int preverify_ok, X509_STORE_CTX *ctx) {
    if (preverify_ok)
        return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    char *subject = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    if (subject && !subject[0] && cert)
        X509_NAME_oneline(X509_get_subject_name(cert), subject, KAFKA__TLS_SUBJECT_MAX);
    return 0;
}

/* The key's password, from the conf (userdata); never a terminal prompt. */
static int password_cb(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    const char *pw = userdata;
    size_t len = pw ? strlen(pw) : 0;
    if (len > (size_t)size)
        return 0;
    memcpy(buf, pw, len);
    return (int)len;
}

__attribute__((format(printf, 4, 5))) static SSL_CTX *ctx_fail(SSL_CTX *ctx, char *errstr, size_t errstr_size,
                                                              const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

/* "" when path is a readable file (or directory with dir_ok), else why not. */
static const char *unreadable(const char *path, int dir_ok) {
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return strerror(errno);
    if (S_ISDIR(st.st_mode) && !dir_ok)
        return "is a directory";
    return "";
}

/* Splits ssl.cipher.suites: TLS_* names are TLS 1.3 suites, the rest the TLS 1.2 list. */
static int set_ciphers(SSL_CTX *ctx, const char *list, char *errstr, size_t errstr_size) {
    char v12[1024] = "", v13[1024] = "";
    size_t n12 = 0, n13 = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ":, ");
        if (len) {
            int tls13 = strncmp(p, "TLS_", 4) == 0;
            char *out = tls13 ? v13 : v12;
            size_t *n = tls13 ? &n13 : &n12;
            if (*n + len + 2 > sizeof(v12)) {
                snprintf(errstr, errstr_size, "ssl.cipher.suites: the list is too long");
                return -1;
            }
            *n += (size_t)snprintf(out + *n, sizeof(v12) - *n, "%s%.*s", *n ? ":" : "", (int)len, p);
        }
        p += len;
        p += *p != 0;
    }
    char why[256];
    if ((n12 && SSL_CTX_set_cipher_list(ctx, v12) != 1) || (n13 && SSL_CTX_set_ciphersuites(ctx, v13) != 1)) {
        kafka__tls_reasons(why, sizeof(why));
        snprintf(errstr, errstr_size, "ssl.cipher.suites \"%s\": %s", list, why);
        return -1;
    }
    return 0;
}

SSL_CTX *kafka__tls_client_ctx(const kafka_conf_t *conf, kafka_err_t *errp, char *errstr, size_t errstr_size) {
    *errp = KAFKA_ERR__SSL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        *errp = KAFKA_ERR__NO_MEMORY;
        return ctx_fail(NULL, errstr, errstr_size, "cannot create an OpenSSL context");
    }
    SSL_CTX_set_min_proto_version(ctx, (int)kafka_conf_int(conf, KAFKA_CONF_SSL_MIN_VERSION));
    /* kTLS moves record encryption into the kernel where it has it (the tls module and an
     * OpenSSL built with it); elsewhere OpenSSL ignores the option. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_ENABLE_KTLS);
    /* Kafka frames carry their sizes, so a hang-up without close_notify cannot truncate
     * a response unnoticed: it reads as the peer closing, as on a plaintext socket. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* io.c resumes a write that wanted the socket with what is left of its chunk, and
     * takes partial progress record by record. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Reading ahead takes whole socket buffers instead of a header, then a record, per
     * read(); kafka_io_pending() tells the poller about what it holds. */
    SSL_CTX_set_read_ahead(ctx, 1);
    /* ... and a read buffer of several records, so that a large Fetch response costs a
     * read() per 128 KiB rather than per 16 KiB record. */
    SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, kafka__tls_verify_cb);
    char why[300];
    const char *ciphers = kafka_conf_str(conf, KAFKA_CONF_SSL_CIPHER_SUITES);
    if (*ciphers && set_ciphers(ctx, ciphers, errstr, errstr_size) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    const char *ca = kafka_conf_str(conf, KAFKA_CONF_SSL_CA_LOCATION);
    if (*ca) {
        const char *bad = unreadable(ca, 1);
        if (*bad)
            return ctx_fail(ctx, errstr, errstr_size, "ssl.ca.location %s: %s", ca, bad);
        struct stat st;
        int dir = stat(ca, &st) == 0 && S_ISDIR(st.st_mode);
        if (SSL_CTX_load_verify_locations(ctx, dir ? NULL : ca, dir ? ca : NULL) != 1) {
            kafka__tls_reasons(why, sizeof(why));
            return ctx_fail(ctx, errstr, errstr_size, "ssl.ca.location %s: no CA certificate loaded: %s", ca,
                            why[0] ? why : "no PEM certificate in it");
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        kafka__tls_reasons(why, sizeof(why));
        return ctx_fail(ctx, errstr, errstr_size, "the system trust store: %s", why);
    }
    const char *cert = kafka_conf_str(conf, KAFKA_CONF_SSL_CERTIFICATE_LOCATION);
    const char *key = kafka_conf_str(conf, KAFKA_CONF_SSL_KEY_LOCATION);
    if (*cert || *key) {
        if (!*cert || !*key)
            return ctx_fail(ctx, errstr, errstr_size, "%s is set but %s is not: a client certificate needs both",
                            *cert ? "ssl.certificate.location" : "ssl.key.location",
                            *cert ? "ssl.key.location" : "ssl.certificate.location");
        const char *bad = unreadable(cert, 0);
        if (*bad)
            return ctx_fail(ctx, errstr, errstr_size, "ssl.certificate.location %s: %s", cert, bad);
        if (*(bad = unreadable(key, 0)))
            return ctx_fail(ctx, errstr, errstr_size, "ssl.key.location %s: %s", key, bad);
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
            kafka__tls_reasons(why, sizeof(why));
            return ctx_fail(ctx, errstr, errstr_size, "ssl.certificate.location %s: %s", cert, why);
        }
        const char *pw = kafka_conf_str(conf, KAFKA_CONF_SSL_KEY_PASSWORD);
        SSL_CTX_set_default_passwd_cb(ctx, password_cb);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)pw);
        int ok = SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
        if (ok != 1) {
            kafka__tls_reasons(why, sizeof(why));
            /* A wrong password shows as a decryption or decoding failure of the key. */
            return ctx_fail(ctx, errstr, errstr_size, "ssl.key.location %s: cannot load the private key (%s)%s", key,
                            why, *pw ? ": is ssl.key.password right?" : ": is it encrypted (ssl.key.password)?");
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            kafka__tls_reasons(why, sizeof(why));
            return ctx_fail(ctx, errstr, errstr_size,
                            "ssl.key.location %s does not belong to ssl.certificate.location %s: %s", key, cert, why);
        }
    }
    *errp = KAFKA_OK;
    return ctx;
}
