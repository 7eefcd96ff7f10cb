/* The mock's TLS listener context: the certificate and key given, or a CA and a server
 * certificate made in memory for the test at hand, the CA written to a file a client
 * can trust (ssl.ca.location). */
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock/mock_int.h"
#include "net/tls.h"

/* A certificate for pkey with subject CN=cn, valid from not_before to not_after (seconds
 * from now), the given extensions ("name=value" pairs, NULL-terminated), signed by
 * issuer's key (issuer NULL: self-signed). NULL on failure. */
static X509 *make_cert(EVP_PKEY *pkey, const char *cn, long not_before, long not_after, X509 *issuer,
                       EVP_PKEY *issuer_key, long serial, const char *const *ext) {
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    int ok = X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
             X509_gmtime_adj(X509_getm_notBefore(x), not_before) && X509_gmtime_adj(X509_getm_notAfter(x), not_after) &&
             X509_set_pubkey(x, pkey) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"libkafka mock", -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    for (int i = 0; ok && ext[i]; i += 2) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, ext[i], ext[i + 1]);
        ok = e && X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    if (!ok || !X509_sign(x, issuer_key ? issuer_key : pkey, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Writes cert and key (either may be NULL) in PEM to path, created anew with mode 0600
 * (fd >= 0: already created by mkstemp). 0, or -1 with the file removed. */
static int write_pem(const char *path, int fd, X509 *cert, EVP_PKEY *key) {
    if (fd < 0)
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && (!cert || PEM_write_X509(f, cert) == 1) &&
             (!key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    if (!ok && fd >= 0)
        unlink(path);
    return ok ? 0 : -1;
}

void kmock__tls_files_remove(kmock_tls_files_t *files) {
    char *paths[] = {files->ca, files->client_cert, files->client_key};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (paths[i][0])
            unlink(paths[i]);
        paths[i][0] = 0;
    }
}

/* A CA and a server certificate it signed, for conf's name (localhost and 127.0.0.1 by
 * default), installed in ctx; the CA in PEM at a new temporary file (files->ca). With
 * tls_client_auth, clients must show a certificate of that CA too, and one is made for
 * them (files->client_cert and client_key, next to the CA's file). */
static int generate(SSL_CTX *ctx, const kafka_mock_conf_t *conf, kmock_tls_files_t *files, char *errstr,
                    size_t errstr_size) {
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
    EVP_PKEY *client_key = conf->tls_client_auth ? EVP_EC_gen("P-256") : NULL;
    const char *name = conf->tls_cert_name && *conf->tls_cert_name ? conf->tls_cert_name : NULL;
    char san[300];
    if (name)
        snprintf(san, sizeof(san), "DNS:%s", name);
    else
        snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1");
    static const char *const ca_ext[] = {"basicConstraints", "critical,CA:TRUE", "keyUsage", "critical,keyCertSign,cRLSign",
                                         "subjectKeyIdentifier", "hash", NULL};
    const char *const leaf_ext[] = {"basicConstraints", "CA:FALSE", "keyUsage", "critical,digitalSignature",
                                    "extendedKeyUsage", "serverAuth", "subjectAltName", san,
                                    "authorityKeyIdentifier", "keyid", NULL};
    static const char *const client_ext[] = {"basicConstraints", "CA:FALSE", "keyUsage", "critical,digitalSignature",
                                             "extendedKeyUsage", "clientAuth", "authorityKeyIdentifier", "keyid", NULL};
    X509 *ca = ca_key ? make_cert(ca_key, "libkafka mock CA", -3600, 7 * 86400, NULL, NULL, 1, ca_ext) : NULL;
    /* An expired certificate ended yesterday; a valid one lasts a week. */
    long from = conf->tls_cert_expired ? -2 * 86400 : -3600, to = conf->tls_cert_expired ? -86400 : 7 * 86400;
    X509 *leaf = ca && key ? make_cert(key, name ? name : "localhost", from, to, ca, ca_key, 2, leaf_ext) : NULL;
    X509 *client = ca && client_key ? make_cert(client_key, "libkafka mock client", -3600, 7 * 86400, ca, ca_key, 3,
                                                client_ext)
                                    : NULL;
    int rc = -1;
    if (!leaf || (conf->tls_client_auth && !client)) {
        char why[200];
        kafka__tls_reasons(why, sizeof(why));
        snprintf(errstr, errstr_size, "cannot make the TLS certificates: %s", why);
        goto out;
    }
    if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        snprintf(errstr, errstr_size, "cannot use the generated TLS certificate");
        goto out;
    }
    if (client) {
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(files->ca, sizeof(files->ca), "%s/kafka-mock-ca-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(files->ca);
    if (fd < 0 || write_pem(files->ca, fd, ca, NULL) != 0) {
        snprintf(errstr, errstr_size, "cannot write the CA certificate to %s", files->ca);
        files->ca[0] = 0;
        goto out;
    }
    if (client) {
        snprintf(files->client_cert, sizeof(files->client_cert), "%s-client.pem", files->ca);
        snprintf(files->client_key, sizeof(files->client_key), "%s-client.key", files->ca);
        if (write_pem(files->client_cert, -1, client, NULL) != 0 || write_pem(files->client_key, -1, NULL, client_key)) {
            snprintf(errstr, errstr_size, "cannot write the client certificate and key next to %s", files->ca);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc)
        kmock__tls_files_remove(files);
    X509_free(client);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(client_key);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

SSL_CTX *kmock__tls_ctx(const kafka_mock_conf_t *conf, kmock_tls_files_t *files, char *errstr, size_t errstr_size) {
    memset(files, 0, sizeof(*files));
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(errstr, errstr_size, "cannot create an OpenSSL context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_ENABLE_KTLS | SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* The connection's output buffer may grow (move) between a write that wanted the
     * socket and its retry. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    int rc;
    if (conf->tls_cert && *conf->tls_cert && conf->tls_client_auth) {
        snprintf(errstr, errstr_size, "client authentication (mutual TLS) needs the generated certificates");
        rc = -1;
    } else if (conf->tls_cert && *conf->tls_cert) {
        char why[200] = "";
        rc = SSL_CTX_use_certificate_chain_file(ctx, conf->tls_cert) == 1 &&
                     SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key ? conf->tls_key : "", SSL_FILETYPE_PEM) == 1 &&
                     SSL_CTX_check_private_key(ctx) == 1
                 ? 0
                 : -1;
        if (rc) {
            kafka__tls_reasons(why, sizeof(why));
            snprintf(errstr, errstr_size, "TLS certificate %s, key %s: %s", conf->tls_cert,
                     conf->tls_key ? conf->tls_key : "(none)", why);
        }
    } else {
        rc = generate(ctx, conf, files, errstr, errstr_size);
    }
    if (rc) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}
