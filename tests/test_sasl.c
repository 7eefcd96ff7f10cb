/* SASL: SCRAM against RFC 7677's published SCRAM-SHA-256 exchange, our SCRAM client
 * against our SCRAM server (both hashes, wrong passwords, forged server signatures,
 * hostile server messages). */
#include <stdio.h>
#include <string.h>

#include "sasl/scram.h"
#include "testutil.h"

#define U8(s) ((const uint8_t *)(s)), strlen(s)

/* RFC 7677, section 3: user "user", password "pencil". */
static void test_rfc7677_vector(void) {
    kafka__scram_client_t s;
    char out[KAFKA__SCRAM_MAX_MSG], why[256];
    CU_ASSERT_FATAL(kafka__scram_client_start(&s, "SCRAM-SHA-256", "user", "pencil", "rOprNGfwEbeRWgbNEkqO", out,
                                              sizeof(out), why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(out, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const char *server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    CU_ASSERT_FATAL(kafka__scram_client_final(&s, U8(server_first), out, sizeof(out), why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(out, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    CU_ASSERT(kafka__scram_client_verify(&s, U8("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), why, sizeof(why)));
    /* A server that does not know the keys cannot sign. */
    CU_ASSERT_FALSE(kafka__scram_client_verify(&s, U8("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "signature is wrong"));
    CU_ASSERT_FALSE(kafka__scram_client_verify(&s, U8("e=invalid-proof"), why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the server refused: invalid-proof"));
    kafka__scram_client_free(&s);
}

static const char *lookup(const char *user, void *arg) {
    (void)arg;
    if (strcmp(user, "alice") == 0)
        return "wonderland";
    if (strcmp(user, "bob,=x") == 0)
        return "builder";
    return NULL;
}

/* The whole exchange; returns whether the server accepted and the client verified. */
static bool exchange(const char *mech, const char *user, const char *password, char *why, size_t why_size) {
    kafka__scram_client_t c;
    kafka__scram_server_t s;
    char m1[KAFKA__SCRAM_MAX_MSG], m2[KAFKA__SCRAM_MAX_MSG], m3[KAFKA__SCRAM_MAX_MSG], m4[KAFKA__SCRAM_MAX_MSG];
    char swhy[256];
    m2[0] = 0;
    bool ok = kafka__scram_client_start(&c, mech, user, password, NULL, m1, sizeof(m1), why, why_size);
    ok = ok && kafka__scram_server_first(&s, mech, U8(m1), lookup, NULL, m2, sizeof(m2), swhy, sizeof(swhy));
    if (ok)
        ok = kafka__scram_client_final(&c, U8(m2), m3, sizeof(m3), why, why_size);
    if (ok) {
        bool accepted = kafka__scram_server_final(&s, U8(m3), m4, sizeof(m4), swhy, sizeof(swhy));
        ok = kafka__scram_client_verify(&c, U8(m4), why, why_size);
        CU_ASSERT_EQUAL(accepted, ok);
    } else if (m2[0] == 'e') {
        snprintf(why, why_size, "%s", m2);
    }
    kafka__scram_client_free(&c);
    return ok;
}

static void test_scram_client_server(void) {
    char why[256];
    CU_ASSERT(exchange("SCRAM-SHA-256", "alice", "wonderland", why, sizeof(why)));
    CU_ASSERT(exchange("SCRAM-SHA-512", "alice", "wonderland", why, sizeof(why)));
    CU_ASSERT(exchange("SCRAM-SHA-512", "bob,=x", "builder", why, sizeof(why))); /* escaped name */
    CU_ASSERT_FALSE(exchange("SCRAM-SHA-256", "alice", "wonderlant", why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the server refused: invalid-proof"));
    CU_ASSERT_FALSE(exchange("SCRAM-SHA-256", "mallory", "x", why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(why, "e=unknown-user");
    CU_ASSERT_FALSE(exchange("SCRAM-SHA-1", "alice", "wonderland", why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not a SCRAM mechanism"));
}

/* Server-first messages a client must refuse before computing anything. */
static void test_scram_hostile_server(void) {
    const char *bad[][2] = {
        {"r=other-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend"},
        {"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100", "outside 4096..1000000"},
        {"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999", "outside"},
        {"r=abcXYZ,s=!!!!,i=4096", "not base64"},
        {"r=abcXYZ,i=4096", "lacks s="},
        {"e=server-error", "refused: server-error"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kafka__scram_client_t c;
        char out[KAFKA__SCRAM_MAX_MSG], why[256];
        CU_ASSERT_FATAL(kafka__scram_client_start(&c, "SCRAM-SHA-256", "u", "p", "abc", out, sizeof(out), why,
                                                  sizeof(why)));
        CU_ASSERT_FALSE(kafka__scram_client_final(&c, U8(bad[i][0]), out, sizeof(out), why, sizeof(why)));
        if (!strstr(why, bad[i][1]))
            fprintf(stderr, "case %zu: %s\n", i, why);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i][1]));
        kafka__scram_client_free(&c);
    }
}

static CU_TestInfo tests[] = {
    {"SCRAM-SHA-256: RFC 7677's exchange, byte for byte", test_rfc7677_vector},
    {"SCRAM client against SCRAM server, both hashes, wrong password, unknown user", test_scram_client_server},
    {"SCRAM: hostile server-first messages are refused", test_scram_hostile_server},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("sasl", tests)
