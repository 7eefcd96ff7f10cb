/* kafka-agent's log lines (see alog.h). */
#include "alog.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_bool json_mode;
static atomic_bool level_given;

bool agent_log_set_format(const char *name) {
    if (strcmp(name, "text") != 0 && strcmp(name, "json") != 0)
        return false;
    atomic_store(&json_mode, strcmp(name, "json") == 0);
    return true;
}

bool agent_log_is_json(void) { return atomic_load(&json_mode); }

void agent_log_level_given(void) { atomic_store(&level_given, true); }

/* A line being built: content stops RESERVE bytes short of cap, all or nothing per
 * character, so the closing quote and brace always fit and a cut line still parses. */
#define RESERVE 32
typedef struct jbuf_s {
    char *b;
    size_t cap, pos;
    bool full; /* content was dropped */
} jbuf_t;

static void put(jbuf_t *j, const char *s, size_t len) {
    if (j->full || j->pos + len + RESERVE > j->cap) {
        j->full = true;
        return;
    }
    memcpy(j->b + j->pos, s, len);
    j->pos += len;
}

/* Structure (quotes, braces) goes in the reserve. */
static void put_force(jbuf_t *j, const char *s, size_t len) {
    if (j->pos + len <= j->cap) {
        memcpy(j->b + j->pos, s, len);
        j->pos += len;
    }
}

/* The length of the valid UTF-8 sequence at s (at most len bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t len) {
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if (n > len)
        return 0;
    unsigned cp = c & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void jstring(jbuf_t *j, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    put(j, "\"", 1);
    if (j->full) {
        put_force(j, "\"\"", 2); /* the key before it stands: give it an empty value */
        return;
    }
    for (size_t i = 0; i < len && !j->full;) {
        unsigned c = p[i];
        char esc[8];
        size_t n = 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(j, esc, 2);
        } else if (c == '\n') {
            put(j, "\\n", 2);
        } else if (c == '\t') {
            put(j, "\\t", 2);
        } else if (c == '\r') {
            put(j, "\\r", 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(j, esc, 6);
        } else if ((n = utf8_len(p + i, len - i)) == 0) {
            put(j, "\\ufffd", 6);
            n = 1;
        } else {
            put(j, (const char *)p + i, n);
        }
        i += n;
    }
    put_force(j, "\"", 1);
}

void agent_json_string(char *buf, size_t cap, size_t *pos, const char *s, size_t len) {
    jbuf_t j = {buf, cap, *pos, false};
    jstring(&j, s, len);
    *pos = j.pos;
}

static bool is_number(const char *v) {
    const char *p = v;
    if (*p == '-')
        p++;
    if (!(*p >= '0' && *p <= '9') || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == 0 && p - v <= 24;
}

static const char *level_name(int level) {
    switch (level) {
    case 0: case 1: case 2: return "critical";
    case 3: return "error";
    case 4: return "warning";
    case 5: return "notice";
    case 6: return "info";
    default: return "debug";
    }
}

/* One JSON object line into buf; its length (the newline included). */
static size_t json_line(char *buf, size_t cap, int level, const char *component, const char *msg,
                        const char *const *fields) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    jbuf_t j = {buf, cap, 0, false};
    char head[96];
    int n = snprintf(head, sizeof(head), "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\"",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_name(level));
    put(&j, head, (size_t)n);
    put(&j, ",\"component\":", 13);
    jstring(&j, component, strlen(component));
    put(&j, ",\"message\":", 11);
    jstring(&j, msg, strlen(msg));
    for (const char *const *f = fields; f && f[0] && f[1] && !j.full; f += 2) {
        size_t mark = j.pos;
        put(&j, ",", 1);
        jstring(&j, f[0], strlen(f[0]));
        put(&j, ":", 1);
        if (is_number(f[1]))
            put(&j, f[1], strlen(f[1]));
        else
            jstring(&j, f[1], strlen(f[1]));
        if (j.full)
            j.pos = mark; /* a field is whole or absent */
    }
    if (j.full)
        put_force(&j, ",\"truncated\":true", 17);
    put_force(&j, "}\n", 2);
    return j.pos;
}

static void write_line(const char *buf, size_t len) {
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

static void vlog(const agent_ctx_t *ctx, int level, bool prefix, const char *component, const char *const *fields,
                 const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char line[4096];
    size_t len;
    if (atomic_load(&json_mode)) {
        char comp[96];
        if (!component) {
            snprintf(comp, sizeof(comp), "%s/%s", ctx->prog, ctx->mode ? ctx->mode : "");
            component = comp;
        }
        len = json_line(line, sizeof(line), level, component, msg, fields);
    } else {
        int n = prefix ? snprintf(line, sizeof(line), "%s %s: %s\n", ctx->prog, ctx->mode ? ctx->mode : "", msg)
                       : snprintf(line, sizeof(line), "%s\n", msg);
        if (n < 0) {
            len = 0;
        } else if ((size_t)n < sizeof(line)) {
            len = (size_t)n;
        } else { /* cut: still one line */
            len = sizeof(line) - 1;
            line[len - 1] = '\n';
        }
    }
    fflush(stderr); /* whatever stdio holds goes first */
    write_line(line, len);
}

void agent_log(const agent_ctx_t *ctx, int level, bool prefix, const char *const *fields, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(ctx, level, prefix, NULL, fields, fmt, ap);
    va_end(ap);
}

static void lvlog(const agent_ctx_t *ctx, int level, const char *component, const char *const *fields, const char *fmt,
                  ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(ctx, level, false, component, fields, fmt, ap);
    va_end(ap);
}

/* The library's lines: "broker N (host:port): ..." names its broker. */
static void on_library_log(int level, const char *facility, const char *message, void *opaque) {
    const agent_ctx_t *ctx = opaque;
    if (!atomic_load(&level_given) && level > AGENT_LOG_WARNING)
        return; /* as the library's own stderr sink: warnings and worse unless log.level is set */
    char component[64], broker[16] = "";
    snprintf(component, sizeof(component), "libkafka/%s", facility);
    int id, n = 0;
    if (sscanf(message, "broker %d%n", &id, &n) == 1 && n > 0 && (message[n] == ' ' || message[n] == ':'))
        snprintf(broker, sizeof(broker), "%d", id);
    const char *fields[] = {"broker", broker, NULL};
    lvlog(ctx, level, component, broker[0] ? fields : NULL, "%s", message);
}

void agent_log_library(const agent_ctx_t *ctx, kafka_conf_t *conf) {
    if (!atomic_load(&json_mode))
        return;
    char v[16];
    if (kafka_conf_get(conf, "log.level", v, sizeof(v)) == KAFKA_OK && strcmp(v, "6") != 0)
        agent_log_level_given();
    kafka_conf_set_log_cb(conf, on_library_log, (void *)ctx);
}
