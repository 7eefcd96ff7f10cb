/* kafka-agent run: the INI configuration (see run_conf.h). */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "alog.h"
#include "run_conf.h"

__attribute__((format(printf, 4, 5))) static bool bad(char *errstr, size_t size, const char *where, const char *fmt,
                                                      ...) {
    int n = snprintf(errstr, size, "%s: ", where);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < size)
        vsnprintf(errstr + n, size - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

static bool copy(char *dst, size_t size, const char *v) {
    if (strlen(v) >= size)
        return false;
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

/* The checks that need the whole section. */
static bool check_input(const run_conf_t *rc, const run_input_t *in, char *errstr, size_t size) {
    char where[1100];
    snprintf(where, sizeof(where), "%s:%d", rc->path, in->line);
    if (!in->topic[0])
        return bad(errstr, size, where, "[input.%s]: topic= is missing", in->name);
    if (in->is_stdin)
        return true;
    if (!in->path[0])
        return bad(errstr, size, where, "[input.%s]: type=file needs path= (a glob)", in->name);
    /* The directory must be readable now; files may come later. */
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", in->path);
    char *d = dirname(dir);
    if (strpbrk(d, "*?[") == NULL && access(d, R_OK | X_OK) != 0)
        return bad(errstr, size, where, "[input.%s]: path=%s: directory %s is not readable: %s", in->name, in->path, d,
                   strerror(errno));
    glob_t g;
    if (glob(in->path, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (access(g.gl_pathv[i], R_OK) != 0) {
                bool r = bad(errstr, size, where, "[input.%s]: %s is not readable: %s", in->name, g.gl_pathv[i],
                             strerror(errno));
                globfree(&g);
                return r;
            }
        globfree(&g);
    }
    return true;
}

bool run_conf_load(const char *path, run_conf_t *rc, kafka_conf_t *conf, char *errstr, size_t size) {
    memset(rc, 0, sizeof(*rc));
    snprintf(rc->path, sizeof(rc->path), "%s", path);
    rc->stats_interval_ms = 10000;
    rc->healthz_stall_ms = 60000;
    rc->txn_interval_ms = 100;
    snprintf(rc->checkpoint_topic, sizeof(rc->checkpoint_topic), "%s", RUN_CHECKPOINT_TOPIC);
    FILE *f = fopen(path, "r");
    if (!f)
        return bad(errstr, size, path, "cannot read: %s", strerror(errno));
    char line[4096];
    int lineno = 0;
    run_input_t *in = NULL;
    bool kafka_section = true, ok = true;
    char where[1100];
    while (ok && fgets(line, sizeof(line), f)) {
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1]) {
                ok = bad(errstr, size, where, "a section header is [name]");
                break;
            }
            *end = 0;
            char *name = trim(s + 1);
            if (in)
                ok = check_input(rc, in, errstr, size);
            in = NULL;
            kafka_section = false;
            if (!ok)
                break;
            if (strcmp(name, "kafka") == 0) {
                kafka_section = true;
            } else if (strncmp(name, "input.", 6) == 0 && name[6]) {
                if (rc->ninputs == RUN_MAX_INPUTS) {
                    ok = bad(errstr, size, where, "more than %d inputs", RUN_MAX_INPUTS);
                    break;
                }
                for (int i = 0; i < rc->ninputs; i++)
                    if (strcmp(rc->inputs[i].name, name + 6) == 0)
                        ok = bad(errstr, size, where, "[input.%s] appears twice", name + 6);
                in = &rc->inputs[rc->ninputs++];
                if (!copy(in->name, sizeof(in->name), name + 6))
                    ok = bad(errstr, size, where, "input name too long");
                in->line = lineno;
            } else {
                ok = bad(errstr, size, where, "unknown section [%s] (expected [kafka] or [input.NAME])", name);
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            ok = bad(errstr, size, where, "expected key = value");
            break;
        }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        if (!in) {
            if (!kafka_section) {
                ok = bad(errstr, size, where, "%s: not in a section", key);
            } else if (strcmp(key, "data.dir") == 0) {
                struct stat st;
                errno = 0;
                if (!copy(rc->data_dir, sizeof(rc->data_dir), val))
                    ok = bad(errstr, size, where, "data.dir: too long");
                else if (stat(val, &st) != 0 || !S_ISDIR(st.st_mode) || access(val, W_OK | X_OK) != 0)
                    ok = bad(errstr, size, where, "data.dir=%s: not a writable directory%s%s", val,
                             errno ? ": " : "", errno ? strerror(errno) : "");
            } else if (strcmp(key, "delivery.guarantee") == 0) {
                if (strcmp(val, "at-least-once") && strcmp(val, "exactly-once"))
                    ok = bad(errstr, size, where, "delivery.guarantee=%s: at-least-once or exactly-once", val);
                rc->exactly_once = strcmp(val, "exactly-once") == 0;
            } else if (strcmp(key, "agent.id") == 0) {
                if (!*val || strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                                 strlen(val) || !copy(rc->agent_id, sizeof(rc->agent_id), val))
                    ok = bad(errstr, size, where, "agent.id=%s: 1..127 of [A-Za-z0-9._-] expected", val);
            } else if (strcmp(key, "checkpoint.topic") == 0) {
                if (!*val || strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                                 strlen(val) || !copy(rc->checkpoint_topic, sizeof(rc->checkpoint_topic), val))
                    ok = bad(errstr, size, where, "checkpoint.topic=%s: a topic name is expected", val);
            } else if (strcmp(key, "transaction.interval.ms") == 0) {
                if (!agent_parse_i64(val, 1, 3600000, &rc->txn_interval_ms))
                    ok = bad(errstr, size, where, "transaction.interval.ms=%s: 1..3600000 expected", val);
            } else if (strcmp(key, "transactional.id") == 0) {
                ok = bad(errstr, size, where,
                         "transactional.id: run derives it from agent.id (\"" RUN_TXN_ID_PREFIX "\" + agent.id); set agent.id");
            } else if (strcmp(key, "stats.interval.ms") == 0) {
                if (!agent_parse_i64(val, 0, 86400000, &rc->stats_interval_ms))
                    ok = bad(errstr, size, where, "stats.interval.ms=%s: 0..86400000 expected", val);
            } else if (strcmp(key, "metrics.listen") == 0) {
                if (!copy(rc->metrics_listen, sizeof(rc->metrics_listen), val) || !strchr(val, ':'))
                    ok = bad(errstr, size, where, "metrics.listen=%s: HOST:PORT expected", val);
            } else if (strcmp(key, "healthz.stall.ms") == 0) {
                if (!agent_parse_i64(val, 100, 86400000, &rc->healthz_stall_ms))
                    ok = bad(errstr, size, where, "healthz.stall.ms=%s: 100..86400000 expected", val);
            } else if (strcmp(key, "log.format") == 0) {
                if (!agent_log_set_format(val))
                    ok = bad(errstr, size, where, "log.format=%s: text or json", val);
            } else if (strcmp(key, "stats.file") == 0) {
                if (!copy(rc->stats_file, sizeof(rc->stats_file), val))
                    ok = bad(errstr, size, where, "stats.file: too long");
            } else {
                char e[512];
                if (kafka_conf_set(conf, key, val, e, sizeof(e)) != KAFKA_OK)
                    ok = bad(errstr, size, where, "%s", e);
                if (strcmp(key, "log.level") == 0)
                    agent_log_level_given();
                if (strcmp(key, "delivery.timeout.ms") == 0)
                    rc->delivery_timeout_set = true;
                if (strcmp(key, "queue.full.timeout.ms") == 0)
                    rc->queue_full_timeout_set = true;
            }
            continue;
        }
        if (strcmp(key, "type") == 0) {
            if (strcmp(val, "file") && strcmp(val, "stdin"))
                ok = bad(errstr, size, where, "type=%s: file or stdin", val);
            in->is_stdin = strcmp(val, "stdin") == 0;
        } else if (strcmp(key, "path") == 0) {
            if (!copy(in->path, sizeof(in->path), val))
                ok = bad(errstr, size, where, "path: too long");
        } else if (strcmp(key, "topic") == 0) {
            if (!*val || !copy(in->topic, sizeof(in->topic), val))
                ok = bad(errstr, size, where, "topic: a topic name is expected");
        } else if (strcmp(key, "key.delimiter") == 0) {
            if (!copy(in->delim, sizeof(in->delim), val) || (in->delim_len = agent_unescape(in->delim)) == 0)
                ok = bad(errstr, size, where, "key.delimiter: 1..31 bytes (escapes such as \\t allowed)");
        } else if (strcmp(key, "start") == 0) {
            if (strcmp(val, "beginning") && strcmp(val, "end"))
                ok = bad(errstr, size, where, "start=%s: beginning or end", val);
            in->start_end = strcmp(val, "end") == 0;
        } else if (strcmp(key, "oversize") == 0) {
            if (strcmp(val, "skip") && strcmp(val, "fail"))
                ok = bad(errstr, size, where, "oversize=%s: skip or fail", val);
            in->oversize_fail = strcmp(val, "fail") == 0;
        } else {
            ok = bad(errstr, size, where,
                     "[input.%s]: unknown key %s (type, path, topic, key.delimiter, start, oversize)", in->name, key);
        }
    }
    fclose(f);
    if (ok && in)
        ok = check_input(rc, in, errstr, size);
    if (!ok)
        return false;
    if (rc->exactly_once && !rc->agent_id[0])
        return bad(errstr, size, path,
                   "delivery.guarantee=exactly-once needs agent.id= (the transactional.id and the checkpoints' key)");
    if (!rc->data_dir[0] && !rc->exactly_once)
        return bad(errstr, size, path, "data.dir= is missing (the directory for checkpoints)");
    if (rc->ninputs == 0)
        return bad(errstr, size, path, "no [input.NAME] section");
    return true;
}
