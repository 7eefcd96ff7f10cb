/* kafka-agent: mode dispatch and the options common to every mode. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "agent.h"
#include "alog.h"

const char agent_common_help[] =
    "Common options (every mode):\n"
    "  -b host:port,...   brokers to bootstrap from (bootstrap.servers)\n"
    "  --mock[=N]         start an embedded mock cluster of N brokers (default 3) on 127.0.0.1\n"
    "                     and use it; the default when no broker is given\n"
    "  -X key=value       set a client property (repeatable), e.g. -X acks=1 -X linger.ms=20\n"
    "  -F file            read client properties from a .properties file\n"
    "  --metrics HOST:PORT  serve Prometheus GET /metrics and GET /healthz there (port 0: any)\n"
    "  -X log.format=json one JSON object per stderr line (time, level, component, message,\n"
    "                     fields); text (the default) as ever. -X log.level=0..7 (default 4)\n"
    "  -h, --help         this help\n"
    "Exit status: 0 success, 1 a delivery or broker failure, 2 a usage or config error.\n";

static const char *modes_help =
    "usage: kafka-agent MODE [options]\n"
    "\n"
    "Modes:\n"
    "  produce  -t TOPIC [-p PART] [-K DELIM] [FILE...]   lines of stdin/files become messages\n"
    "  consume  -t TOPIC [-p PART] [-o beginning|end|OFFSET|@MS] [-e] [-c N] [-f FMT] [-G GROUP]\n"
    "  metadata [-t TOPIC] [-v]                          brokers, topics, partitions, leaders\n"
    "  offsets  -t TOPIC -p PART [--time earliest|latest|MS] [--max N]\n"
    "  bench    produce|consume -t TOPIC -n COUNT -s SIZE [--rate R] [--json]\n"
    "  run      -c CONFIG                                the log shipping service\n"
    "  topics   [--create NAME --partitions N --replication-factor R [--config k=v]...]\n"
    "           [--delete NAME] [--describe NAME] [--alter NAME --partitions N]\n"
    "                                                    list, create, delete, grow, describe topics\n"
    "  configs  --describe (--topic T | --broker ID)     a topic's or a broker's configs\n"
    "  groups   [-G GROUP] [--json]                      groups; one group's state, members, assignment,\n"
    "                                                    committed offsets, lag\n"
    "\n"
    "kafka-agent MODE --help describes a mode.\n\n";

static volatile sig_atomic_t stop_flag, hup_flag;
static void on_stop(int sig) {
    (void)sig;
    stop_flag = 1;
}
static void on_hup(int sig) {
    (void)sig;
    hup_flag = 1;
}
bool agent_stopping(void) { return stop_flag != 0; }
bool agent_hup_take(void) {
    if (!hup_flag)
        return false;
    hup_flag = 0;
    return true;
}

static void verr(const agent_ctx_t *ctx, const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    agent_log(ctx, AGENT_LOG_ERR, true, NULL, "%s", msg);
}

void agent_err(const agent_ctx_t *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(ctx, fmt, ap);
    va_end(ap);
}

int agent_usage_err(const agent_ctx_t *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(ctx, fmt, ap);
    va_end(ap);
    agent_log(ctx, AGENT_LOG_INFO, false, NULL, "try: %s %s --help", ctx->prog, ctx->mode ? ctx->mode : "");
    return AGENT_USAGE;
}

bool agent_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t agent_unescape(char *s) {
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p != '\\' || !p[1]) {
            *o++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case '0': *o++ = '\0'; break;
        case '\\': *o++ = '\\'; break;
        case 'x':
            if (hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                p += 2;
                break;
            }
            /* fall through */
        default:
            *o++ = '\\';
            *o++ = *p;
        }
    }
    *o = 0;
    return (size_t)(o - s);
}

typedef int (*mode_fn)(agent_ctx_t *);
static const struct {
    const char *name;
    mode_fn fn;
} modes[] = {{"produce", agent_produce}, {"consume", agent_consume}, {"metadata", agent_metadata},
             {"offsets", agent_offsets}, {"bench", agent_bench},     {"run", agent_run},
             {"topics", agent_topics},   {"configs", agent_configs}, {"groups", agent_groups}};

/* Takes the common options out of argv (the mode's stay, in order). */
static int common_options(agent_ctx_t *ctx, int argc, char **argv) {
    char errstr[512];
    const char *brokers = NULL;
    int mock_n = 0;
    int out = 1; /* argv[0] (the mode) stays */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "-b") == 0 || strcmp(a, "-X") == 0 || strcmp(a, "-F") == 0) {
            if (i + 1 >= argc)
                return agent_usage_err(ctx, "%s needs a value", a);
            val = argv[++i];
        } else if (strncmp(a, "-b", 2) == 0 || strncmp(a, "-X", 2) == 0 || strncmp(a, "-F", 2) == 0) {
            val = a + 2;
        } else if (strcmp(a, "--mock") == 0 || strncmp(a, "--mock=", 7) == 0) {
            int64_t n = 3;
            if (a[6] == '=' && !agent_parse_i64(a + 7, 1, 64, &n))
                return agent_usage_err(ctx, "--mock=N: N must be 1..64, not '%s'", a + 7);
            mock_n = (int)n;
            continue;
        } else if (strcmp(a, "--metrics") == 0 || strncmp(a, "--metrics=", 10) == 0) {
            if (a[9] == '=') {
                ctx->metrics_listen = a + 10;
            } else {
                if (i + 1 >= argc)
                    return agent_usage_err(ctx, "--metrics needs HOST:PORT");
                ctx->metrics_listen = argv[++i];
            }
            continue;
        } else if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        switch (a[1]) {
        case 'b':
            brokers = val;
            break;
        case 'X': {
            char *kv = strdup(val);
            char *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq) {
                free(kv);
                return agent_usage_err(ctx, "-X %s: expected key=value", val);
            }
            *eq = 0;
            kafka_err_t e = KAFKA_OK;
            if (strcmp(kv, "log.format") == 0) { /* the agent's, not the library's */
                if (!agent_log_set_format(eq + 1))
                    snprintf(errstr, sizeof(errstr), "log.format: text or json"), e = KAFKA_ERR__INVALID_ARG;
            } else {
                if (strcmp(kv, "log.level") == 0)
                    agent_log_level_given();
                e = kafka_conf_set(ctx->conf, kv, eq + 1, errstr, sizeof(errstr));
            }
            free(kv);
            if (e) {
                agent_err(ctx, "-X %s: %s", val, errstr);
                return AGENT_USAGE;
            }
            break;
        }
        case 'F':
            if (kafka_conf_set_file(ctx->conf, val, errstr, sizeof(errstr))) {
                agent_err(ctx, "-F %s", errstr);
                return AGENT_USAGE;
            }
            break;
        }
    }
    argv[out] = NULL;
    ctx->argc = out;
    ctx->argv = argv;
    if (brokers && mock_n)
        return agent_usage_err(ctx, "-b and --mock exclude each other");
    if (brokers) {
        if (kafka_conf_set(ctx->conf, "bootstrap.servers", brokers, errstr, sizeof(errstr))) {
            agent_err(ctx, "-b %s: %s", brokers, errstr);
            return AGENT_USAGE;
        }
    }
    ctx->mock_brokers = mock_n;
    return AGENT_OK;
}

int agent_brokers(agent_ctx_t *ctx) {
    agent_log_library(ctx, ctx->conf);
    if (ctx->mock)
        return AGENT_OK;
    if (!ctx->mock_brokers && kafka_conf_brokers(ctx->conf, NULL, 0) > 0)
        return AGENT_OK;
    /* No broker given: the embedded mock cluster, so every mode works out of the box. */
    char errstr[512];
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    mc.brokers = ctx->mock_brokers ? ctx->mock_brokers : 3;
    mc.retention_bytes = 0; /* the agent reads back what it wrote (bench consume fills, then reads) */
    ctx->mock = kafka_mock_new(&mc, errstr, sizeof(errstr));
    if (!ctx->mock) {
        agent_err(ctx, "cannot start the mock cluster: %s", errstr);
        return AGENT_FAIL;
    }
    kafka_conf_set(ctx->conf, "bootstrap.servers", kafka_mock_bootstrap(ctx->mock), errstr, sizeof(errstr));
    agent_log(ctx, AGENT_LOG_INFO, true, (const char *[]){"bootstrap", kafka_mock_bootstrap(ctx->mock), NULL},
              "using an embedded mock cluster of %d brokers at %s", mc.brokers, kafka_mock_bootstrap(ctx->mock));
    return AGENT_OK;
}

int main(int argc, char **argv) {
    agent_ctx_t ctx = {.prog = "kafka-agent"};
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        /* jemalloc is the allocator (DESIGN.md): mallctl answers only when it is linked in. */
        const char *jv = "none";
        size_t sz = sizeof(jv);
        if (mallctl("version", &jv, &sz, NULL, 0) != 0)
            jv = "not jemalloc";
        printf("kafka-agent (libkafka) allocator jemalloc %s\n", jv);
        return AGENT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(modes_help, argc < 2 ? stderr : stdout);
        fputs(agent_common_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? AGENT_USAGE : AGENT_OK;
    }
    mode_fn fn = NULL;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            fn = modes[i].fn;
    ctx.mode = argv[1];
    if (!fn) {
        fprintf(stderr, "kafka-agent: unknown mode '%s'\n\n%s", argv[1], modes_help);
        return AGENT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            /* Each mode prints its own help (with agent_common_help) when it sees it. */
            ctx.argc = argc - 1;
            ctx.argv = argv + 1;
            return fn(&ctx);
        }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!(ctx.conf = kafka_conf_new()))
        return AGENT_FAIL;
    int rc = common_options(&ctx, argc - 1, argv + 1);
    if (rc == AGENT_OK)
        rc = fn(&ctx);
    kafka_conf_destroy(ctx.conf);
    kafka_mock_destroy(ctx.mock);
    return rc;
}
