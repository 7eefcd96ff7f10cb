/* libFuzzer target for what OAUTHBEARER reads from a peer or a token source
 * (lib/sasl/jwt.c, lib/sasl/oauthbearer.c). Byte 0 picks: even, the input is a token
 * (a JWT from a file or command, as the client and the mock's validator read it); odd,
 * a client message the mock's server parses, then the token in it as a JWT. Every path
 * must end in true or false with a reason, never read past the input, and a parsed
 * token must be one the client message can carry. */
#include <stdlib.h>
#include <string.h>

#include "sasl/jwt.h"
#include "sasl/oauthbearer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void jwt(const char *tok, size_t len) {
    kafka__jwt_t j;
    char why[200];
    why[0] = 0;
    if (!kafka__jwt_parse(tok, len, &j, why, sizeof(why))) {
        if (!why[0])
            abort(); /* a refusal always says why */
        return;
    }
    if ((j.has_exp && (j.exp_ms < 0 || j.exp_ms > INT64_C(100000000000000))) || strlen(j.sub) >= sizeof(j.sub) ||
        strlen(j.alg) >= sizeof(j.alg))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int mode = data[0];
    data++;
    size--;
    /* A copy of exactly size bytes, so that reading past it is caught. */
    uint8_t *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    if (!(mode & 1)) {
        jwt((const char *)in, size);
    } else {
        const char *tok, *az;
        size_t tl, azl;
        char why[200];
        why[0] = 0;
        if (kafka__oauthbearer_server_parse(in, size, &tok, &tl, &az, &azl, why, sizeof(why))) {
            if (!kafka__oauthbearer_token_ok(tok, tl) || tok < (const char *)in || tok + tl > (const char *)in + size)
                abort();
            jwt(tok, tl);
        } else if (!why[0]) {
            abort();
        }
    }
    free(in);
    return 0;
}
