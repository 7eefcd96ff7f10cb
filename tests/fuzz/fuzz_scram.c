/* libFuzzer target for the SCRAM messages a peer sends (lib/sasl/scram.c). Byte 0 picks
 * the side: even, the input is a server-first message our client takes (then, when that
 * passes, a server-final one); odd, a client-first message our server takes (then,
 * when that passes, a client-final one; byte 0's bit 1 makes the server lenient). Every
 * path must end in true or false with a reason, never read past the input. */
#include <stdlib.h>
#include <string.h>

#include "sasl/scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(const char *user, void *arg) {
    (void)arg;
    return user[0] ? "pencil" : NULL;
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
    char out[KAFKA__SCRAM_MAX_MSG], why[256];
    if (!(mode & 1)) {
        kafka__scram_client_t c;
        if (!kafka__scram_client_start(&c, mode & 2 ? "SCRAM-SHA-512" : "SCRAM-SHA-256", "user", "pencil", "abc",
                                       out, sizeof(out), why, sizeof(why)))
            abort();
        if (kafka__scram_client_final(&c, in, size, out, sizeof(out), why, sizeof(why)))
            (void)kafka__scram_client_verify(&c, in, size, why, sizeof(why));
        else if (!why[0])
            abort(); /* a refusal always says why */
        kafka__scram_client_free(&c);
    } else {
        kafka__scram_server_t s;
        why[0] = 0;
        if (kafka__scram_server_first(&s, mode & 4 ? "SCRAM-SHA-512" : "SCRAM-SHA-256", in, size, lookup, NULL, out,
                                      sizeof(out), why, sizeof(why)))
            (void)kafka__scram_server_final(&s, in, size, (mode & 2) != 0, out, sizeof(out), why, sizeof(why));
        else if (!why[0])
            abort();
    }
    free(in);
    return 0;
}
