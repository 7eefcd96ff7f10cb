/* SASL/OAUTHBEARER and KIP-368 re-authentication: the JWT reader and the message format,
 * the token sources (file, command, unsecured JWT) with their refresh and failures, the
 * exchange with the mock's validator (bad and expired tokens, injected failures), session
 * lifetimes and re-authentication on one connection, producer and consumer through all
 * of it, and librdkafka as an independent OAUTHBEARER client of the mock. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bconn.h"
#include "core/metadata.h"
#include "core/oauth.h"
#include "core/sasl.h"
#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "sasl/jwt.h"
#include "sasl/oauthbearer.h"
#include "testutil.h"
#include "util/clock.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>
#endif

/* A JWT with header {"alg":alg} and payload {"sub":sub,"iat":now,"exp":now+exp_in_s}
 * (no exp when exp_in_s is 0); signed with a dummy signature unless alg is none. */
static char *make_jwt(const char *alg, const char *sub, int64_t exp_in_s) {
    char header[64], payload[512], h64[128], p64[800];
    int64_t now = kafka__wall_ms() / 1000;
    snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    if (exp_in_s)
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld,\"scope\":[\"a\",\"b\"]}", sub,
                 (long long)now, (long long)(now + exp_in_s));
    else
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%lld}", sub, (long long)now);
    CU_ASSERT_FATAL(kafka__base64url_encode((const uint8_t *)header, strlen(header), h64, sizeof(h64)));
    CU_ASSERT_FATAL(kafka__base64url_encode((const uint8_t *)payload, strlen(payload), p64, sizeof(p64)));
    char *tok = malloc(strlen(h64) + strlen(p64) + 16);
    sprintf(tok, "%s.%s.%s", h64, p64, strcmp(alg, "none") ? "c2lnbmF0dXJl" : "");
    return tok;
}

/* Writes content to path through a rename, as token rotators do (a new inode). */
static void write_file(const char *path, const char *content) {
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "%s\n", content);
    fclose(f);
    CU_ASSERT_EQUAL(rename(tmp, path), 0);
}

/* Sleeps to just past the start of the next wall-clock second, so that a token's exp
 * (whole seconds) is as far as asked for. */
static void second_start(void) {
    kafka_test_sleep_ms(1000 - kafka__wall_ms() % 1000 + 10);
}

static char tmpdir[64];

static const char *tmp_path(const char *name) {
    static _Thread_local char buf[4][300];
    static _Thread_local int i;
    char *p = buf[i++ % 4];
    snprintf(p, 300, "%s/%s", tmpdir, name);
    return p;
}

/* ---- the JWT and the message ---- */

static bool parse(const char *json_header, const char *json_payload, kafka__jwt_t *j, char *why, size_t why_size) {
    char h[512], p[2048], tok[3000];
    CU_ASSERT_FATAL(kafka__base64url_encode((const uint8_t *)json_header, strlen(json_header), h, sizeof(h)));
    CU_ASSERT_FATAL(kafka__base64url_encode((const uint8_t *)json_payload, strlen(json_payload), p, sizeof(p)));
    snprintf(tok, sizeof(tok), "%s.%s.", h, p);
    return kafka__jwt_parse(tok, strlen(tok), j, why, why_size);
}

static void test_jwt(void) {
    kafka__jwt_t j;
    char why[200];
    /* RFC 7519's example (section 3.1), signed: exp 1300819380, iss joe. */
    const char *rfc = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
                      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
                      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    CU_ASSERT_FATAL(kafka__jwt_parse(rfc, strlen(rfc), &j, why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(j.alg, "HS256");
    CU_ASSERT(j.has_exp);
    CU_ASSERT_EQUAL(j.exp_ms, INT64_C(1300819380000));
    CU_ASSERT_FALSE(j.has_sub);
    CU_ASSERT(j.signed_);
    /* Numbers as JSON writes them; escapes in strings; members we skip of every kind. */
    CU_ASSERT(parse("{\"alg\":\"none\"}", "{\"exp\":1.7e9,\"iat\":1700000000.25,\"sub\":\"al\\u00e9\\\"x\\\\\"}", &j,
                    why, sizeof(why)));
    CU_ASSERT_EQUAL(j.exp_ms, INT64_C(1700000000000));
    CU_ASSERT_EQUAL(j.iat_ms, INT64_C(1700000000250));
    CU_ASSERT_STRING_EQUAL(j.sub, "al\xc3\xa9\"x\\");
    CU_ASSERT(parse(" {\"alg\" : \"none\" } ", "{\"aud\":[1,{\"x\":[null,true,false]},\"s\"],\"a-very-long-claim-name"
                    "-that-we-skip\":{},\"sub\":\"bob\"}", &j, why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(j.sub, "bob");
    CU_ASSERT_FALSE(j.has_exp); /* no exp: never expires */
    CU_ASSERT_FALSE(j.signed_);
    /* What is refused, and said so. */
    const struct {
        const char *header, *payload, *want;
    } bad[] = {
        {"{\"alg\":\"none\"}", "{\"exp\":\"soon\"}", "the exp claim is not a number"},
        {"{\"alg\":\"none\"}", "{\"exp\":-5}", "the exp claim is outside 0..1e11 seconds"},
        {"{\"alg\":\"none\"}", "{\"exp\":1e300}", "outside 0..1e11"},
        {"{\"alg\":\"none\"}", "{\"exp\":01}", "not a JSON object"},
        {"{\"alg\":\"none\"}", "{\"sub\":42}", "the sub claim is not a string"},
        {"{\"alg\":\"none\"}", "[1,2]", "payload is not a JSON object"},
        {"{\"alg\":\"none\"}", "{\"sub\":\"x\"} trailing", "payload is not a JSON object"},
        {"{\"alg\":\"none\"}", "{\"sub\":\"\\ud800\"}", "sub claim is not a valid JSON string"},
        {"{\"alg\":none}", "{}", "the JWT's header: the alg claim is not a string"},
        {"{\"alg\":\"none\"", "{}", "header is not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        CU_ASSERT_FALSE(parse(bad[i].header, bad[i].payload, &j, why, sizeof(why)));
        if (!strstr(why, bad[i].want))
            fprintf(stderr, "case %zu: %s\n", i, why);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].want));
    }
    char deep[300] = "{\"a\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    CU_ASSERT_FALSE(parse("{}", deep, &j, why, sizeof(why))); /* deeper than we follow */
    CU_ASSERT_FALSE(kafka__jwt_parse("abc.def", 7, &j, why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a JWT"));
    CU_ASSERT_FALSE(kafka__jwt_parse("a.b.c.d", 7, &j, why, sizeof(why)));
    CU_ASSERT_FALSE(kafka__jwt_parse("e30.e30.s!g", 11, &j, why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "signature is not base64url"));
    CU_ASSERT_FALSE(kafka__jwt_parse("e3$.e30.", 8, &j, why, sizeof(why)));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "header is not base64url"));
    CU_ASSERT(kafka__jwt_parse("e30.e30.", 8, &j, why, sizeof(why))); /* {} . {} */
}

static void test_message(void) {
    size_t len;
    uint8_t *m = kafka__oauthbearer_client_message("aGVsbG8.d29ybGQ.", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char want[] = "n,,\x01" "auth=Bearer aGVsbG8.d29ybGQ.\x01\x01";
    CU_ASSERT_EQUAL(len, sizeof(want) - 1);
    CU_ASSERT_EQUAL(memcmp(m, want, len), 0);
    const char *tok, *az;
    size_t tl, azl;
    char why[200];
    CU_ASSERT(kafka__oauthbearer_server_parse(m, len, &tok, &tl, &az, &azl, why, sizeof(why)));
    CU_ASSERT_EQUAL(tl, strlen("aGVsbG8.d29ybGQ."));
    CU_ASSERT_EQUAL(memcmp(tok, "aGVsbG8.d29ybGQ.", tl), 0);
    CU_ASSERT_EQUAL(azl, 0);
    free(m);
    CU_ASSERT_PTR_NULL(kafka__oauthbearer_client_message("two words", &len));
    CU_ASSERT_PTR_NULL(kafka__oauthbearer_client_message("", &len));
    /* As other clients send it: an authorization identity, extensions, "bearer" in any case. */
    const char other[] = "n,a=alice,\x01" "host=k1\x01" "auth=bearer  x.y.z\x01" "port=9092\x01\x01";
    CU_ASSERT(kafka__oauthbearer_server_parse((const uint8_t *)other, sizeof(other) - 1, &tok, &tl, &az, &azl, why,
                                              sizeof(why)));
    CU_ASSERT_EQUAL(tl, 5);
    CU_ASSERT_EQUAL(azl, 5);
    const char *malformed[] = {
        "y,,\x01" "auth=Bearer x\x01\x01",  /* channel binding */
        "n,,\x01" "auth=Bearer x\x01",      /* no final \x01 */
        "n,,\x01" "auth=Basic x\x01\x01",   /* another scheme */
        "n,,\x01" "auth=Bearer x y\x01\x01", /* not one token */
        "n,,\x01\x01",                       /* no auth */
        "n,,\x01" "auth=Bearer x\x01\x01zz", /* bytes after the end */
        "n,,",
        "",
    };
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        why[0] = 0;
        CU_ASSERT_FALSE(kafka__oauthbearer_server_parse((const uint8_t *)malformed[i], strlen(malformed[i]), &tok,
                                                        &tl, &az, &azl, why, sizeof(why)));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "Invalid OAUTHBEARER client first message"));
    }
}

/* ---- token sources ---- */

static kafka_conf_t *oauth_conf(const char *key, const char *value) {
    kafka_conf_t *conf = kafka_conf_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    CU_ASSERT_EQUAL_FATAL(kafka_conf_set(conf, key, value, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "request.timeout.ms", "5000", NULL, 0), KAFKA_OK);
    return conf;
}

/* The conf's token now: KAFKA_OK and the token in tok (NULL: not wanted), or the error and why. */
static kafka_err_t token_of(kafka_conf_t *conf, char *tok, size_t tok_size, char *principal, char *why,
                            size_t why_size) {
    char *t = NULL, p[256];
    kafka_err_t e = kafka__oauth_token(kafka__conf_oauth(conf), conf, &t, p, sizeof(p), why, why_size);
    if (!e) {
        CU_ASSERT_EQUAL(kafka_test_vmflag(t, "dd"), 1); /* the token copy is left out of core dumps */
        if (tok)
            snprintf(tok, tok_size, "%s", t);
        if (principal)
            strcpy(principal, p);
    }
    kafka__oauth_token_free(t);
    return e;
}

static void test_token_file(void) {
    const char *path = tmp_path("token.jwt");
    kafka_conf_t *conf = oauth_conf("sasl.oauthbearer.token.file", path);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "log.level", "0", NULL, 0), KAFKA_OK); /* the warning is expected */
    char tok[2048], who[256], why[512];
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    char want[400];
    snprintf(want, sizeof(want), "sasl.oauthbearer.token.file %s: No such file or directory", path);
    CU_ASSERT_STRING_EQUAL(why, want);
    char *a = make_jwt("RS256", "alice", 3600);
    write_file(path, a);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, a); /* the line's end trimmed */
    CU_ASSERT_STRING_EQUAL(who, "alice");
    /* Replaced: the new one from the next authentication on. */
    char *b = make_jwt("RS256", "bob", 0);
    write_file(path, b);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, b);
    CU_ASSERT_STRING_EQUAL(who, "bob");
    /* Gone: the token held is used while it has not expired (bob's never does). */
    CU_ASSERT_EQUAL(unlink(path), 0);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, b);
    /* Expired: never sent; the message says when, and not the token. */
    char *old = make_jwt("RS256", "carol", -30);
    write_file(path, old);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the OAUTHBEARER token (sasl.oauthbearer.token.file "));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, ") expired at 20"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, " s ago"));
    CU_ASSERT_PTR_NULL(strstr(why, old));
    /* Not a JWT. */
    write_file(path, "opaque-token-without-dots");
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "the token is not a JWT"));
    CU_ASSERT_PTR_NULL(strstr(why, "opaque-token"));
    /* Unreadable. */
    if (geteuid() != 0) {
        write_file(path, a);
        chmod(path, 0);
        CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "Permission denied"));
    }
    unlink(path);
    free(a);
    free(b);
    free(old);
    kafka_conf_destroy(conf);
}

/* The copies of a conf share its token (a command runs once for all of them); a copy set
 * to other token settings gets its token from those, and the others keep theirs. */
static void test_token_shared(void) {
    const char *path = tmp_path("shared.jwt"), *path2 = tmp_path("shared2.jwt"), *runs = tmp_path("shared-runs");
    unlink(runs);
    char *a = make_jwt("none", "alice", 3600), *b = make_jwt("none", "bob", 3600);
    write_file(path, a);
    write_file(path2, b);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "echo run >> '%s'; cat '%s'", runs, path);
    kafka_conf_t *conf = oauth_conf("sasl.oauthbearer.token.command", cmd);
    kafka_conf_t *copy = kafka_conf_dup(conf), *other = kafka_conf_dup(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    CU_ASSERT_EQUAL(kafka_conf_set(other, "sasl.oauthbearer.token.command", "", NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_conf_set(other, "sasl.oauthbearer.token.file", path2, NULL, 0), KAFKA_OK);
    char tok[2048], who[256], why[512];
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(who, "alice");
    CU_ASSERT_EQUAL(token_of(copy, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, a);
    struct stat st;
    CU_ASSERT_EQUAL(stat(runs, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 4); /* one "run\n" for the conf and its copy */
    CU_ASSERT_EQUAL(token_of(other, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, b);
    CU_ASSERT_STRING_EQUAL(who, "bob");
    kafka_conf_destroy(conf); /* the copy still holds the holder, and its token */
    CU_ASSERT_EQUAL(token_of(copy, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, a);
    CU_ASSERT_EQUAL(stat(runs, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 4); /* not run again */
    kafka_conf_destroy(copy);
    kafka_conf_destroy(other);
    unlink(path);
    unlink(path2);
    unlink(runs);
    free(a);
    free(b);
}

static void test_token_command(void) {
    const char *src = tmp_path("cmd-token"), *runs = tmp_path("cmd-runs");
    char cmd[700], tok[2048], who[256], why[512];
    snprintf(cmd, sizeof(cmd), "echo run >> %s; cat %s", runs, src);
    kafka_conf_t *conf = oauth_conf("sasl.oauthbearer.token.command", cmd);
    /* A token of 5 s: refreshed from 80% of it (4 s) on, not before. */
    char *a = make_jwt("none", "alice", 5);
    write_file(src, a);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, a);
    char *b = make_jwt("none", "alice", 3600);
    write_file(src, b);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, a); /* not due yet: no run */
    kafka_test_sleep_ms(4200);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, b);
    struct stat st;
    CU_ASSERT_EQUAL(stat(runs, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 8); /* "run\n" twice */
    kafka_conf_destroy(conf);
    /* A failing command: its exit status and the first line of its stderr. */
    conf = oauth_conf("sasl.oauthbearer.token.command",
                      "echo 'vault: permission denied' >&2; echo 'second line' >&2; exit 3");
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_STRING_EQUAL(why, "sasl.oauthbearer.token.command failed: exit status 3: vault: permission denied");
    kafka_conf_destroy(conf);
    conf = oauth_conf("sasl.oauthbearer.token.command", "true");
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_STRING_EQUAL(why, "sasl.oauthbearer.token.command: no token in it");
    kafka_conf_destroy(conf);
    conf = oauth_conf("sasl.oauthbearer.token.command", "kill -9 $$");
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_STRING_EQUAL(why, "sasl.oauthbearer.token.command failed: killed by signal 9");
    kafka_conf_destroy(conf);
    /* A command that hangs is killed at request.timeout.ms. */
    conf = oauth_conf("sasl.oauthbearer.token.command", "sleep 30");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "request.timeout.ms", "300", NULL, 0), KAFKA_OK);
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT(kafka_test_now_ms() - t0 < 3000);
    CU_ASSERT_STRING_EQUAL(why, "sasl.oauthbearer.token.command failed: no end within 300 ms (killed)");
    kafka_conf_destroy(conf);
    /* The command (a secret) is not on the shell's command line, which every local user
     * sees in ps: the shell tells its own, and it holds no part of the command. */
    conf = oauth_conf("sasl.oauthbearer.token.command",
                      "tr '\\0' ' ' </proc/$$/cmdline >&2; echo >&2; exit 4 # s3cret-in-command");
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "exit status 4: sh -c eval "));
    CU_ASSERT_PTR_NULL(strstr(why, "s3cret"));
    kafka_conf_destroy(conf);
    /* A command that leaves something running with its stdout: the token counts once the
     * shell ends (not a timeout), and what it left is killed with its process group. */
    free(a);
    a = make_jwt("none", "alice", 3600);
    write_file(src, a);
    snprintf(cmd, sizeof(cmd), "sleep 30 & cat %s", src);
    conf = oauth_conf("sasl.oauthbearer.token.command", cmd);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "request.timeout.ms", "5000", NULL, 0), KAFKA_OK);
    t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT(kafka_test_now_ms() - t0 < 2000);
    CU_ASSERT_STRING_EQUAL(tok, a);
    kafka_conf_destroy(conf);
    /* A refresh that fails keeps the token held while it lasts. */
    snprintf(cmd, sizeof(cmd), "cat %s", src);
    conf = oauth_conf("sasl.oauthbearer.token.command", cmd);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "log.level", "0", NULL, 0), KAFKA_OK); /* the warning is expected */
    free(a);
    second_start();
    a = make_jwt("none", "alice", 3);
    write_file(src, a);
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    unlink(src);
    kafka_test_sleep_ms(2600); /* past 80% of 3 s, before the end */
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(tok, a);
    kafka_test_sleep_ms(600); /* expired now */
    CU_ASSERT_EQUAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_ERR__AUTHENTICATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "sasl.oauthbearer.token.command failed: exit status 1: cat: "));
    kafka_conf_destroy(conf);
    unlink(runs);
    free(a);
    free(b);
}

static void test_unsecured_jwt(void) {
    kafka_conf_t *conf = oauth_conf("enable.sasl.oauthbearer.unsecure.jwt", "true");
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "sasl.oauthbearer.config", "principal=admin lifeSeconds=60 scope=x", NULL, 0),
                    KAFKA_OK);
    char tok[2048], who[256], why[512];
    CU_ASSERT_EQUAL_FATAL(token_of(conf, tok, sizeof(tok), who, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(who, "admin");
    kafka__jwt_t j;
    CU_ASSERT_FATAL(kafka__jwt_parse(tok, strlen(tok), &j, why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(j.alg, "none");
    CU_ASSERT_FALSE(j.signed_);
    CU_ASSERT(j.has_exp && j.has_iat);
    CU_ASSERT_EQUAL(j.exp_ms - j.iat_ms, 60000);
    kafka_conf_destroy(conf);
}

/* ---- with the mock ---- */

static kafka_mock_t *oauth_mock(int brokers, int64_t lifetime_ms) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = brokers;
    mc.retention_bytes = 0;
    mc.sasl_mechanisms = "OAUTHBEARER,PLAIN";
    mc.sasl_users = "alice:wonderland";
    mc.sasl_session_lifetime_ms = lifetime_ms;
    return kafka_test_mock_new(&mc);
}

static bool metadata_ok(kafka__bconn_t *bc) {
    kafka_err_t err;
    char errstr[512];
    kafka__metadata_t *md = kafka__metadata_fetch(bc, NULL, 0, false, &err, errstr, sizeof(errstr));
    kafka__metadata_release(md);
    return md != NULL;
}

/* A plaintext connection to broker 1 that has not authenticated. */
static kafka__bconn_t *raw_conn(kafka_mock_t *m, kafka_conf_t *conf) {
    kafka_err_t err;
    char errstr[256];
    kafka__bconn_t *bc =
        kafka__bconn_open(conf, NULL, "127.0.0.1", kafka_mock_broker_port(m, 1), &err, errstr, sizeof(errstr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    return bc;
}

/* OAUTHBEARER with token over a fresh connection: the result, why, whether the
 * connection then serves Metadata, and the session lifetime the broker gave. */
static kafka_err_t auth_with(kafka_mock_t *m, const char *token, bool *usable, int64_t *lifetime, char *why,
                             size_t why_size) {
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = raw_conn(m, conf);
    kafka_err_t e = kafka__sasl_authenticate(bc, "OAUTHBEARER", "alice", token, lifetime, why, why_size);
    *usable = metadata_ok(bc);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    return e;
}

static void test_mock_validator(void) {
    kafka_mock_t *m = oauth_mock(1, 0);
    char why[512];
    bool usable;
    int64_t life = -1;
    char *good = make_jwt("none", "alice", 3600);
    CU_ASSERT_EQUAL(auth_with(m, good, &usable, &life, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT(usable);
    CU_ASSERT_EQUAL(life, 0); /* no connections.max.reauth.ms: no limit */
    /* Refused tokens get the error challenge; the client acknowledges and reports it. */
    char *bad[] = {make_jwt("none", "alice", -10), make_jwt("RS256", "alice", 3600), make_jwt("none", "", 3600),
                   make_jwt("none", "alice", 0), strdup("not.a.jwt")};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_EQUAL(auth_with(m, bad[i], &usable, &life, why, sizeof(why)), KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
        CU_ASSERT_FALSE(usable);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "SASL_AUTHENTICATION_FAILED: OAUTHBEARER as principal alice: the broker "
                                           "refused the token: {\"status\":\"invalid_token\"}"));
        CU_ASSERT_PTR_NULL(strstr(why, bad[i]));
        free(bad[i]);
    }
    /* Injected failures: the next two authentications fail, the third passes. */
    char reply[256];
    CU_ASSERT_EQUAL(kafka_mock_command(m, "sasl-fail 2", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(reply, "ok sasl-fail 2");
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(auth_with(m, good, &usable, &life, why, sizeof(why)), KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "SASL_AUTHENTICATION_FAILED"));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "(sasl-fail)"));
    }
    CU_ASSERT_EQUAL(auth_with(m, good, &usable, &life, why, sizeof(why)), KAFKA_OK);
    CU_ASSERT(usable);
    /* PLAIN on the same listener is unaffected by OAUTHBEARER being there. */
    kafka_conf_t *conf = kafka_conf_new();
    kafka__bconn_t *bc = raw_conn(m, conf);
    CU_ASSERT_EQUAL(kafka__sasl_authenticate(bc, "PLAIN", "alice", "wonderland", NULL, why, sizeof(why)), KAFKA_OK);
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    kafka_mock_sasl_stats_t st;
    kafka_mock_sasl_stats(m, &st);
    CU_ASSERT_EQUAL(st.authentications, 3);
    CU_ASSERT_EQUAL(st.failures, 7);
    CU_ASSERT_EQUAL(kafka_mock_command(m, "sasl-stats", reply, sizeof(reply)), KAFKA_OK);
    CU_ASSERT_STRING_EQUAL(reply, "ok authentications=3 reauthentications=0 failures=7 expired_closes=0 "
                                  "max_reauths_per_connection=0");
    CU_ASSERT_NOT_EQUAL(kafka_mock_command(m, "sasl-fail x", reply, sizeof(reply)), KAFKA_OK);
    free(good);
    kafka_mock_destroy(m);
}

/* A client conf for OAUTHBEARER from the token file path. */
static kafka_conf_t *file_conf(kafka_mock_t *m, const char *path) {
    const char *kv[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER",
                        "sasl.oauthbearer.token.file", path, NULL};
    return kafka_test_conf(kafka_mock_bootstrap(m), kv);
}

static kafka__bconn_t *auth_conn(kafka_mock_t *m, kafka_conf_t *conf) {
    kafka_err_t err;
    char errstr[512];
    kafka__bconn_t *bc =
        kafka__bconn_open(conf, NULL, "127.0.0.1", kafka_mock_broker_port(m, 1), &err, errstr, sizeof(errstr));
    if (!bc)
        fprintf(stderr, "connect: %s\n", errstr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    return bc;
}

/* KIP-368 on one connection: the lifetime the broker gives (capped by the token's exp),
 * the point the client picks (85-95%), re-authentication on the same socket when a
 * request goes after it, and the broker closing a connection that did not. */
static void test_session_lifetime(void) {
    kafka_mock_t *m = oauth_mock(1, 1500);
    const char *path = tmp_path("session.jwt");
    char *tok = make_jwt("none", "alice", 3600);
    write_file(path, tok);
    kafka_conf_t *conf = file_conf(m, path);
    int64_t t0 = kafka__now_ms();
    kafka__bconn_t *bc = auth_conn(m, conf);
    CU_ASSERT_EQUAL(bc->session_ms, 1500);
    CU_ASSERT(bc->reauth_at >= t0 + 1275 && bc->reauth_at <= kafka__now_ms() + 1425);
    /* Past the end of the session: the next request re-authenticates first. */
    kafka_test_sleep_ms(1600);
    CU_ASSERT(metadata_ok(bc));
    CU_ASSERT_EQUAL(bc->reauths, 1);
    CU_ASSERT(metadata_ok(bc));
    CU_ASSERT_EQUAL(bc->reauths, 1);
    kafka_mock_sasl_stats_t st;
    kafka_mock_sasl_stats(m, &st);
    CU_ASSERT_EQUAL(st.authentications, 1);
    CU_ASSERT_EQUAL(st.reauthentications, 1);
    CU_ASSERT_EQUAL(st.expired_closes, 0);
    /* A client that does not re-authenticate is hung up on at its first request after
     * the session ended. */
    bc->reauth_at = 0;
    kafka_test_sleep_ms(1600);
    CU_ASSERT_FALSE(metadata_ok(bc));
    kafka_mock_sasl_stats(m, &st);
    CU_ASSERT_EQUAL(st.expired_closes, 1);
    kafka__bconn_close(bc);
    /* A token that expires first ends the session first. */
    free(tok);
    second_start();
    tok = make_jwt("none", "alice", 2);
    write_file(path, tok);
    kafka_test_sleep_ms(700);
    kafka__jwt_t j;
    char jwhy[200];
    CU_ASSERT_FATAL(kafka__jwt_parse(tok, strlen(tok), &j, jwhy, sizeof(jwhy)));
    int64_t left = j.exp_ms - kafka__wall_ms(); /* about 1.3 s */
    bc = auth_conn(m, conf);
    CU_ASSERT(bc->session_ms > left - 100 && bc->session_ms <= left);
    if (!(bc->session_ms > left - 100 && bc->session_ms <= left))
        fprintf(stderr, "session %lld ms, token left %lld ms\n", (long long)bc->session_ms, (long long)left);
    kafka__bconn_close(bc);
    /* Re-authenticating with a token that expired in between fails with the cause. */
    bc = auth_conn(m, conf);
    kafka_test_sleep_ms(2100);
    CU_ASSERT_FALSE(metadata_ok(bc));
    CU_ASSERT_PTR_NOT_NULL(strstr(kafka__bconn_last_error(bc), "re-authentication: 127.0.0.1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(kafka__bconn_last_error(bc), "expired at"));
    kafka__bconn_close(bc);
    kafka_conf_destroy(conf);
    unlink(path);
    free(tok);
    kafka_mock_destroy(m);
}

static size_t produce_and_consume(kafka_mock_t *m, const char *const *kv, const char *topic, size_t n) {
    kafka_test_produce(kafka_mock_bootstrap(m), kv, topic, 2, n, 64, "oauth-");
    return kafka_test_consume(kafka_mock_bootstrap(m), kv, topic, 2, n, "oauth-");
}

static void test_clients(void) {
    kafka_mock_t *m = oauth_mock(2, 0);
    const char *path = tmp_path("clients.jwt");
    char *tok = make_jwt("none", "alice", 3600);
    write_file(path, tok);
    const char *file[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER",
                          "sasl.oauthbearer.token.file", path, NULL};
    CU_ASSERT_EQUAL(produce_and_consume(m, file, "oauth-file", 2000), 2000);
    char cmd[400];
    const char *runs = tmp_path("clients-runs");
    unlink(runs);
    snprintf(cmd, sizeof(cmd), "echo run >> '%s'; cat '%s'", runs, path);
    const char *command[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER",
                             "sasl.oauthbearer.token.command", cmd, NULL};
    CU_ASSERT_EQUAL(produce_and_consume(m, command, "oauth-command", 2000), 2000);
    /* One run per client: a client's broker threads and its metadata connection (copies of
     * its conf) share one token. */
    struct stat st;
    CU_ASSERT_EQUAL(stat(runs, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 8); /* "run\n": the producer's, the consumer's */
    unlink(runs);
    const char *unsecured[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER",
                               "enable.sasl.oauthbearer.unsecure.jwt", "true", "sasl.oauthbearer.config",
                               "principal=alice", NULL};
    CU_ASSERT_EQUAL(produce_and_consume(m, unsecured, "oauth-unsecured", 500), 500);
    /* A token the broker refuses fails at once (not retried), naming the broker's answer. */
    free(tok);
    tok = make_jwt("HS256", "alice", 3600);
    write_file(path, tok);
    kafka_conf_t *conf = file_conf(m, path);
    CU_ASSERT_EQUAL(kafka_conf_set(conf, "log.level", "0", NULL, 0), KAFKA_OK);
    char err[1024];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_produce_msg_t msg = {.value = "x", .value_len = 1};
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "oauth-file", 0, &msg, NULL, err, sizeof(err)),
                    KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "{\"status\":\"invalid_token\"}"));
    CU_ASSERT_PTR_NULL(strstr(err, tok));
    kafka_producer_destroy(p);
    unlink(path);
    free(tok);
    kafka_mock_destroy(m);
}

/* Produces one message every 5 ms for ms; counts failures. */
typedef struct feeder_s {
    kafka_producer_t *p;
    const char *topic;
    int64_t ms;
    size_t sent;
} feeder_t;

static void *feed(void *arg) {
    feeder_t *f = arg;
    int64_t end = kafka_test_now_ms() + f->ms;
    char buf[64], err[256];
    while (kafka_test_now_ms() < end) {
        int l = kafka_test_filler(buf, "oauth-", f->sent, 40, false);
        kafka_produce_msg_t msg = {.value = buf, .value_len = l};
        if (kafka_producer_produce(f->p, f->topic, (int32_t)(f->sent % 2), &msg, (void *)(f->sent + 1), err,
                                   sizeof(err)) != KAFKA_OK) {
            fprintf(stderr, "produce: %s\n", err);
            break;
        }
        f->sent++;
        kafka_test_sleep_ms(5);
    }
    return NULL;
}

/* A producer sending for 4 s and a consumer reading meanwhile, with 1.5 s sessions: every
 * connection re-authenticates in place, nothing fails, nothing reconnects, the broker
 * closes nothing. */
static void test_reauth_continuous(void) {
    kafka_mock_t *m = oauth_mock(1, 1500);
    const char *path = tmp_path("continuous.jwt");
    char *tok = make_jwt("none", "alice", 3600);
    write_file(path, tok);
    kafka_conf_t *conf = file_conf(m, path);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_test_dr_t dr;
    kafka_test_dr_init(&dr, 2000);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, &dr);
    feeder_t f = {p, "reauth", 4000, 0};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, feed, &f), 0);
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    kafka_test_sleep_ms(100); /* the topic exists once the first produce made it */
    kafka_topic_partition_t tps[2] = {{"reauth", 0, KAFKA_OFFSET_BEGINNING}, {"reauth", 1, KAFKA_OFFSET_BEGINNING}};
    CU_ASSERT_EQUAL(kafka_consumer_assign(c, tps, 2, err, sizeof(err)), KAFKA_OK);
    size_t got = 0;
    int64_t start = kafka_test_now_ms(), end = start + 4000, auths = -1;
    kafka_mock_sasl_stats_t st;
    while (kafka_test_now_ms() < end) {
        if (auths < 0 && kafka_test_now_ms() - start >= 1100) { /* every connection is up, none re-authenticated */
            kafka_mock_sasl_stats(m, &st);
            auths = st.authentications;
            CU_ASSERT_EQUAL(st.reauthentications, 0);
        }
        kafka_message_t *msgs[256];
        size_t cnt = 0;
        if (kafka_consumer_poll(c, 100, msgs, 256, &cnt, err, sizeof(err)))
            fprintf(stderr, "poll: %s\n", err);
        for (size_t i = 0; i < cnt; i++)
            kafka_message_destroy(msgs[i]);
        got += cnt;
    }
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    for (int64_t dl = kafka_test_now_ms() + 5000; got < f.sent && kafka_test_now_ms() < dl;) {
        kafka_message_t *msgs[256];
        size_t cnt = 0;
        kafka_consumer_poll(c, 100, msgs, 256, &cnt, err, sizeof(err));
        for (size_t i = 0; i < cnt; i++)
            kafka_message_destroy(msgs[i]);
        got += cnt;
    }
    CU_ASSERT(f.sent > 300);
    CU_ASSERT_EQUAL(atomic_load(&dr.reports), (int)f.sent);
    CU_ASSERT_EQUAL(atomic_load(&dr.failed), 0);
    CU_ASSERT_EQUAL(got, f.sent);
    kafka_producer_stats_t ps;
    kafka_producer_stats(p, &ps);
    CU_ASSERT_EQUAL(ps.connects, 1); /* the worker's connection never dropped */
    kafka_mock_sasl_stats(m, &st);
    CU_ASSERT_EQUAL(st.expired_closes, 0);
    CU_ASSERT(st.max_reauths_per_connection >= 2);
    CU_ASSERT(st.reauthentications >= 4);     /* the producer's worker and the consumer's fetcher, twice each */
    CU_ASSERT_EQUAL(st.authentications, auths); /* no connection was made again */
    if (st.max_reauths_per_connection < 2 || st.authentications != auths)
        fprintf(stderr, "auths %lld reauths %lld max/conn %lld\n", (long long)st.authentications,
                (long long)st.reauthentications, (long long)st.max_reauths_per_connection);
    kafka_consumer_destroy(c);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&dr);
    kafka_conf_destroy(conf);
    unlink(path);
    free(tok);
    kafka_mock_destroy(m);
}

/* The token file is rotated while a producer runs: its first token expires 3 s in, the
 * replacement is read at the next re-authentication, and the producer never notices. */
static void test_token_rotated(void) {
    kafka_mock_t *m = oauth_mock(1, 1500);
    const char *path = tmp_path("rotated.jwt");
    char *a = make_jwt("none", "alice", 3), *b = make_jwt("none", "alice", 3600);
    write_file(path, a);
    kafka_conf_t *conf = file_conf(m, path);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_test_dr_t dr;
    kafka_test_dr_init(&dr, 2000);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, &dr);
    feeder_t f = {p, "rotated", 5000, 0};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, feed, &f), 0);
    kafka_test_sleep_ms(1000);
    write_file(path, b);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 10000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&dr.reports), (int)f.sent);
    CU_ASSERT_EQUAL(atomic_load(&dr.failed), 0);
    kafka_producer_stats_t ps;
    kafka_producer_stats(p, &ps);
    CU_ASSERT_EQUAL(ps.connects, 1);
    kafka_mock_sasl_stats_t st;
    kafka_mock_sasl_stats(m, &st);
    CU_ASSERT_EQUAL(st.expired_closes, 0);
    CU_ASSERT(st.reauthentications >= 2);
    CU_ASSERT_EQUAL(st.failures, 0);
    kafka_producer_destroy(p);
    kafka_test_dr_free(&dr);
    kafka_conf_destroy(conf);
    unlink(path);
    free(a);
    free(b);
    kafka_mock_destroy(m);
}

/* The token expires and nothing replaces it: what is queued is not lost and not sent
 * with an expired token; it fails after delivery.timeout.ms, naming the expiry. */
static void test_token_expired(void) {
    kafka_mock_t *m = oauth_mock(1, 1500);
    const char *path = tmp_path("expired.jwt");
    char *a = make_jwt("none", "alice", 2);
    write_file(path, a);
    const char *kv[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER",
                        "sasl.oauthbearer.token.file", path, "request.timeout.ms", "1000", "delivery.timeout.ms",
                        "3000", "log.level", "0", NULL};
    kafka_conf_t *conf = kafka_test_conf(kafka_mock_bootstrap(m), kv);
    char err[512];
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    kafka_test_dr_t dr;
    kafka_test_dr_init(&dr, 20);
    kafka_producer_set_delivery_cb(p, kafka_test_dr_cb, &dr);
    kafka_produce_msg_t msg = {.value = "before", .value_len = 6};
    CU_ASSERT_EQUAL(kafka_producer_produce(p, "expiring", 0, &msg, (void *)1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_producer_flush(p, 5000, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(atomic_load(&dr.failed), 0);
    kafka_test_sleep_ms(2500); /* the token and the session are over */
    int64_t t0 = kafka_test_now_ms();
    for (int i = 1; i < 11; i++) {
        msg = (kafka_produce_msg_t){.value = "after", .value_len = 5};
        CU_ASSERT_EQUAL(kafka_producer_produce(p, "expiring", 0, &msg, (void *)(intptr_t)(i + 1), err, sizeof(err)),
                        KAFKA_OK);
    }
    kafka_producer_flush(p, 10000, err, sizeof(err));
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT_EQUAL(atomic_load(&dr.reports), 11);
    CU_ASSERT_EQUAL(atomic_load(&dr.failed), 10);
    CU_ASSERT(took >= 2500 && took < 9000); /* at delivery.timeout.ms, not at once */
    CU_ASSERT_EQUAL(dr.err[1], KAFKA_ERR__TIMED_OUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(dr.last_err, "_AUTHENTICATION"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dr.last_err, "expired at"));
    if (!strstr(dr.last_err, "expired at"))
        fprintf(stderr, "last error: %s\n", dr.last_err);
    CU_ASSERT_PTR_NULL(strstr(dr.last_err, a));
    int64_t hw = 0, ls = 0;
    CU_ASSERT_EQUAL(kafka_mock_partition_offsets(m, "expiring", 0, &ls, &hw), KAFKA_OK);
    CU_ASSERT_EQUAL(hw, 1); /* nothing went with the expired token */
    kafka_producer_destroy(p);
    kafka_test_dr_free(&dr);
    unlink(path);
    free(a);
    kafka_mock_destroy(m);
}

#ifdef KAFKA_HAVE_RDKAFKA
static atomic_int rdk_delivered, rdk_failed;

static void rdk_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk, (void)opaque;
    if (msg->err)
        atomic_fetch_add(&rdk_failed, 1);
    else
        atomic_fetch_add(&rdk_delivered, 1);
}

static rd_kafka_conf_t *rdk_conf(kafka_mock_t *m) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[] = {"bootstrap.servers", kafka_mock_bootstrap(m), "security.protocol", "sasl_plaintext",
                        "sasl.mechanisms", "OAUTHBEARER", "enable.sasl.oauthbearer.unsecure.jwt", "true",
                        "sasl.oauthbearer.config", "principal=alice", "log_level", "0", NULL};
    for (const char **p = kv; *p; p += 2)
        CU_ASSERT_EQUAL_FATAL(rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err)), RD_KAFKA_CONF_OK);
    return conf;
}

/* librdkafka (an OAUTHBEARER client we did not write) produces and consumes through the
 * mock's validator; with 1.5 s sessions, a librdkafka without KIP-368 (before 2.2) is hung
 * up on when its session ends, reconnects, and still delivers everything. */
static void test_rdkafka_oauthbearer(void) {
    kafka_mock_t *m = oauth_mock(1, 1500);
    char err[512];
    rd_kafka_conf_t *conf = rdk_conf(m);
    rd_kafka_conf_set_dr_msg_cb(conf, rdk_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
    atomic_store(&rdk_delivered, 0);
    atomic_store(&rdk_failed, 0);
    int n = 0;
    for (int64_t end = kafka_test_now_ms() + 3500; kafka_test_now_ms() < end; n++) {
        char v[32];
        int l = snprintf(v, sizeof(v), "rdk-%d", n);
        CU_ASSERT_EQUAL(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("rdk-oauth"), RD_KAFKA_V_PARTITION(0),
                                          RD_KAFKA_V_VALUE(v, (size_t)l), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                          RD_KAFKA_V_END),
                        RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_poll(rk, 20);
    }
    CU_ASSERT_EQUAL(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
    CU_ASSERT_EQUAL(atomic_load(&rdk_delivered), n);
    CU_ASSERT_EQUAL(atomic_load(&rdk_failed), 0);
    kafka_mock_sasl_stats_t st;
    kafka_mock_sasl_stats(m, &st);
    CU_ASSERT(st.authentications >= 1);
    if (rd_kafka_version() < 0x020200ff)
        CU_ASSERT(st.expired_closes >= 1);
    /* Read back with librdkafka's consumer. */
    conf = rdk_conf(m);
    rd_kafka_t *rc = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rc, "rdk-oauth", NULL);
    CU_ASSERT_EQUAL(rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING), 0);
    int got = 0, wrong = 0;
    for (int64_t end = kafka_test_now_ms() + 10000; got < n && kafka_test_now_ms() < end;) {
        rd_kafka_message_t *msg = rd_kafka_consume(rkt, 0, 200);
        if (!msg)
            continue;
        if (!msg->err) {
            char want[32];
            int l = snprintf(want, sizeof(want), "rdk-%d", got);
            wrong += msg->len != (size_t)l || memcmp(msg->payload, want, (size_t)l) != 0;
            got++;
        }
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consume_stop(rkt, 0);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rc);
    CU_ASSERT_EQUAL(got, n);
    CU_ASSERT_EQUAL(wrong, 0);
    kafka_mock_destroy(m);
}
#endif

static int suite_init(void) {
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kafka-oauth-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static CU_TestInfo tests[] = {
    {"JWT: RFC 7519's example, JSON numbers and strings, what is refused", test_jwt},
    {"OAUTHBEARER client message: built, parsed, malformed ones refused", test_message},
    {"token file: missing, replaced, removed, expired, not a JWT, unreadable", test_token_file},
    {"token command: refresh at 80%, exit status and stderr, killed, timed out", test_token_command},
    {"copies of a conf share the token; a copy with other settings has its own", test_token_shared},
    {"unsecured JWT from sasl.oauthbearer.config", test_unsecured_jwt},
    {"the mock's validator: bad and expired tokens, sasl-fail, stats", test_mock_validator},
    {"KIP-368: lifetime, re-authentication in place, expiry close, token expiry", test_session_lifetime},
    {"producer and consumer with a token file, a command, an unsecured JWT; a refused token", test_clients},
    {"re-authentication while producing and consuming for 4 s", test_reauth_continuous},
    {"the token file rotated under a running producer", test_token_rotated},
    {"an expired token: queued messages fail after delivery.timeout.ms, naming it", test_token_expired},
#ifdef KAFKA_HAVE_RDKAFKA
    {"librdkafka with OAUTHBEARER against the mock, and KIP-368 expiry", test_rdkafka_oauthbearer},
#endif
    CU_TEST_INFO_NULL,
};

int main(void) {
    if (suite_init() != 0)
        return 1;
    int rc = kafka_test_run("sasl_oauth", tests);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
