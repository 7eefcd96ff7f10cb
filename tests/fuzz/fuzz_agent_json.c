/* libFuzzer target for kafka-agent's JSON reader (daemon/agent/json.c), which reads the
 * file given to bench --compare: any bytes must parse or fail with a reason, never read
 * past the input, never recurse without bound; what parses is walked whole (every string
 * NUL-terminated, every member named). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const json_t *v, int depth) {
    size_t n = 0;
    for (; v; v = v->next) {
        if (v->type == JSON_STR)
            n += strlen(v->str);
        if (v->key)
            n += strlen(v->key);
        if (depth > 70)
            abort(); /* json.c bounds nesting at 64 */
        n += walk(v->child, depth + 1) + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *in = malloc(size ? size : 1); /* exactly size bytes: reading past them is caught */
    if (!in)
        return 0;
    memcpy(in, data, size);
    char why[160];
    json_t *v = json_parse(in, size, why, sizeof(why));
    if (v) {
        volatile size_t n = walk(v, 0);
        (void)n;
        (void)json_num(v, "msgs_per_s", 0);
        (void)json_get(json_get(v, "latency_ms"), "p99");
    } else if (!why[0]) {
        abort(); /* a failure always says why */
    }
    json_free(v);
    free(in);
    return 0;
}
