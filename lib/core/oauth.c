/* A client's OAUTHBEARER token: file, command or unsecured JWT (see core/oauth.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "core/oauth.h"
#include "sasl/jwt.h"
#include "sasl/oauthbearer.h"
#include "util/clock.h"
#include "util/secret.h"

extern char **environ;

#define TOKEN_FILE_MAX 65536 /* a token file or command output larger than this is refused */
#define REFRESH_PERMILLE 800 /* refresh at 80% of the lifetime, as Java and librdkafka do */

struct kafka__oauth_s {
    atomic_int refs;  /* the copies of a conf that share it (kafka__oauth_ref) */
    pthread_mutex_t lock;
    char *source;     /* the settings the token came from (secret memory), or NULL */
    char *token;      /* the token held, or NULL */
    kafka__jwt_t jwt; /* its claims */
    int64_t got_ms;   /* wall clock when it was had */
    int64_t refresh_ms; /* wall clock from when a command or the config makes a new one; INT64_MAX never */
    bool have_id;     /* the file's identity when it was read */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

kafka__oauth_t *kafka__oauth_new(void) {
    kafka__oauth_t *o = calloc(1, sizeof(*o));
    if (o && pthread_mutex_init(&o->lock, NULL) != 0) {
        free(o);
        return NULL;
    }
    if (o)
        atomic_init(&o->refs, 1);
    return o;
}

kafka__oauth_t *kafka__oauth_ref(kafka__oauth_t *o) {
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
    return o;
}

void kafka__oauth_token_free(char *token) { kafka__secret_free(token); }

static void drop(kafka__oauth_t *o) {
    kafka__oauth_token_free(o->token);
    o->token = NULL;
    o->have_id = false;
}

kafka__oauth_t *kafka__oauth_unshare(kafka__oauth_t *o) {
    if (atomic_load_explicit(&o->refs, memory_order_acquire) == 1)
        return o;
    kafka__oauth_t *own = kafka__oauth_new();
    if (!own)
        return o; /* still right: the holder checks the settings it is asked with */
    kafka__oauth_destroy(o);
    return own;
}

void kafka__oauth_destroy(kafka__oauth_t *o) {
    if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    drop(o);
    kafka__secret_free(o->source);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

__attribute__((format(printf, 3, 4))) static kafka_err_t fail(char *why, size_t why_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return KAFKA_ERR__AUTHENTICATION;
}

/* "2026-12-04T20:00:00Z" */
static const char *utc(int64_t ms, char buf[32]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, 32, "%" PRId64 " ms", ms);
    return buf;
}

/* ---- sources ---- */

/* Appends what fd gives (up to max; the rest read and dropped, *over set) to buf. */
static void take(int fd, char *buf, size_t max, size_t *len, bool *over, bool *eof) {
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
        *eof = n == 0 || (errno != EINTR && errno != EAGAIN);
        return;
    }
    size_t room = max - *len, k = (size_t)n < room ? (size_t)n : room;
    memcpy(buf + *len, chunk, k);
    *len += k;
    if (k < (size_t)n)
        *over = true;
    OPENSSL_cleanse(chunk, sizeof(chunk));
}

#define CMD_VAR "KAFKA_OAUTHBEARER_TOKEN_COMMAND" /* how the command reaches the shell */

/* Runs cmd with /bin/sh, its stdin /dev/null: its stdout into *out (malloc'd, NUL-ended). */
static kafka_err_t run_command(const char *cmd, int64_t timeout_ms, char **out, char *why, size_t why_size) {
    char *buf = malloc(TOKEN_FILE_MAX + 1);
    if (!buf)
        return KAFKA_ERR__NO_MEMORY;
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        int err = errno;
        free(buf);
        for (int i = 0; i < 2; i++) {
            if (po[i] >= 0)
                close(po[i]);
            if (pe[i] >= 0)
                close(pe[i]);
        }
        return fail(why, why_size, "sasl.oauthbearer.token.command: cannot make a pipe: %s", strerror(err));
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawnattr_init(&attr);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE); /* the application may ignore it; the command should not inherit that */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    /* Its own process group: a timeout kills what the command started too. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    /* The command is a secret: it goes in the environment (readable by the same user only),
     * not in the argument list every local user sees in ps. */
    size_t nenv = 0;
    while (environ && environ[nenv])
        nenv++;
    char **envp = calloc(nenv + 2, sizeof(*envp));
    size_t vlen = strlen(CMD_VAR) + 1 + strlen(cmd) + 1;
    char *var = envp ? malloc(vlen) : NULL;
    if (!var) {
        free(envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        free(buf);
        return KAFKA_ERR__NO_MEMORY;
    }
    snprintf(var, vlen, "%s=%s", CMD_VAR, cmd);
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], CMD_VAR "=", strlen(CMD_VAR) + 1) != 0)
            envp[k++] = environ[i];
    envp[k++] = var;
    envp[k] = NULL;
    char *argv[] = {"sh", "-c", "eval \"$" CMD_VAR "\"", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp);
    OPENSSL_cleanse(var, vlen);
    free(var);
    free(envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        close(po[0]);
        close(pe[0]);
        free(buf);
        return fail(why, why_size, "sasl.oauthbearer.token.command: cannot run /bin/sh: %s", strerror(rc));
    }
    char err[512];
    size_t len = 0, elen = 0;
    bool over = false, eover = false, oeof = false, eeof = false, timed_out = false, exited = false;
    int status = 0;
    int64_t deadline = kafka__now_ms() + timeout_ms;
    while (!oeof || !eeof) {
        /* The shell ended but something it started holds the pipes: a moment more for
         * what is in them, then stop waiting (its group is killed below). */
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            int64_t grace = kafka__now_ms() + 200;
            deadline = grace < deadline ? grace : deadline;
        }
        struct pollfd fds[2];
        int n = 0;
        if (!oeof)
            fds[n++] = (struct pollfd){po[0], POLLIN, 0};
        if (!eeof)
            fds[n++] = (struct pollfd){pe[0], POLLIN, 0};
        int64_t left = deadline - kafka__now_ms();
        if (left <= 0) {
            timed_out = !exited;
            break;
        }
        int r = poll(fds, (nfds_t)n, left > 100 ? 100 : (int)left);
        if (r < 0 && errno != EINTR) {
            timed_out = !exited;
            break;
        }
        for (int i = 0; r > 0 && i < n; i++) {
            if (!fds[i].revents)
                continue;
            if (fds[i].fd == po[0])
                take(po[0], buf, TOKEN_FILE_MAX, &len, &over, &oeof);
            else
                take(pe[0], err, sizeof(err) - 1, &elen, &eover, &eeof);
        }
    }
    close(po[0]);
    close(pe[0]);
    kill(-pid, SIGKILL); /* whatever of the command's group is left (the shell too on a timeout) */
    bool no_status = false;
    if (!exited) {
        pid_t w;
        while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
        }
        no_status = w < 0; /* ECHILD: the application ignores SIGCHLD, children reap themselves */
    }
    err[elen] = 0;
    char *nl = strchr(err, '\n');
    if (nl)
        *nl = 0;
    kafka_err_t e = KAFKA_OK;
    if (timed_out)
        e = fail(why, why_size, "sasl.oauthbearer.token.command failed: no end within %" PRId64 " ms (killed)",
                 timeout_ms);
    else if (no_status)
        e = fail(why, why_size, "sasl.oauthbearer.token.command: its exit status cannot be read (SIGCHLD is "
                                "ignored by the application)");
    else if (WIFSIGNALED(status))
        e = fail(why, why_size, "sasl.oauthbearer.token.command failed: killed by signal %d%s%s", WTERMSIG(status),
                 err[0] ? ": " : "", err);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        e = fail(why, why_size, "sasl.oauthbearer.token.command failed: exit status %d%s%s",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, err[0] ? ": " : "", err[0] ? err : "(no stderr)");
    else if (over)
        e = fail(why, why_size, "sasl.oauthbearer.token.command printed more than %d bytes", TOKEN_FILE_MAX);
    if (e) {
        OPENSSL_cleanse(buf, len);
        free(buf);
        return e;
    }
    buf[len] = 0;
    *out = buf;
    return KAFKA_OK;
}

/* The file's token when it is not the one held (by identity), into *out; *same when it
 * is the one held. */
static kafka_err_t read_file(kafka__oauth_t *o, const char *path, char **out, bool *same, char *why,
                             size_t why_size) {
    *same = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return fail(why, why_size, "sasl.oauthbearer.token.file %s: %s", path, strerror(err));
    }
    if (o->token && o->have_id && st.st_dev == o->dev && st.st_ino == o->ino && st.st_size == o->size &&
        st.st_mtim.tv_sec == o->mtime.tv_sec && st.st_mtim.tv_nsec == o->mtime.tv_nsec) {
        close(fd);
        *same = true;
        return KAFKA_OK;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > TOKEN_FILE_MAX) {
        close(fd);
        return fail(why, why_size, "sasl.oauthbearer.token.file %s: %s", path,
                    S_ISREG(st.st_mode) ? "larger than 64 KiB: not a token" : "not a regular file");
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t len = 0;
    if (!buf) {
        close(fd);
        return KAFKA_ERR__NO_MEMORY;
    }
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = errno;
            close(fd);
            OPENSSL_cleanse(buf, len);
            free(buf);
            return fail(why, why_size, "sasl.oauthbearer.token.file %s: %s", path,
                        n < 0 ? strerror(err) : "it shrank while being read");
        }
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->size = st.st_size;
    o->mtime = st.st_mtim;
    *out = buf;
    return KAFKA_OK;
}

bool kafka__oauth_config_parse(const char *config, char *principal, size_t principal_size, int64_t *life_ms,
                               char *why, size_t why_size) {
    *life_ms = 3600 * 1000;
    principal[0] = 0;
    const char *p = config ? config : "";
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ' ');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        size_t kl = eq ? (size_t)(eq - p) : 0;
        if (!eq || kl == 0) {
            snprintf(why, why_size, "sasl.oauthbearer.config: expected key=value pairs separated by spaces");
            return false;
        }
        const char *v = eq + 1;
        size_t vl = (size_t)(end - v);
        if (kl == 9 && memcmp(p, "principal", 9) == 0) {
            if (vl == 0 || vl >= principal_size) {
                snprintf(why, why_size, "sasl.oauthbearer.config: principal is empty or too long");
                return false;
            }
            memcpy(principal, v, vl);
            principal[vl] = 0;
        } else if (kl == 11 && memcmp(p, "lifeSeconds", 11) == 0) {
            char num[16];
            char *e;
            snprintf(num, sizeof(num), "%.*s", (int)(vl < 15 ? vl : 15), v);
            long s = strtol(num, &e, 10);
            if (vl == 0 || vl > 9 || *e || s < 1) {
                snprintf(why, why_size, "sasl.oauthbearer.config: lifeSeconds must be 1..999999999");
                return false;
            }
            *life_ms = (int64_t)s * 1000;
        } else if (!(kl == 5 && memcmp(p, "scope", 5) == 0) && !(kl > 10 && memcmp(p, "extension_", 10) == 0)) {
            snprintf(why, why_size, "sasl.oauthbearer.config: unknown key %.*s (principal, lifeSeconds, scope, "
                     "extension_NAME)", (int)(kl < 40 ? kl : 40), p);
            return false;
        }
        p = end;
    }
    if (!principal[0]) {
        snprintf(why, why_size, "sasl.oauthbearer.config: principal=NAME is required for an unsecured JWT");
        return false;
    }
    return true;
}

/* An unsecured JWT (alg none, no signature) for the config's principal, as librdkafka's
 * enable.sasl.oauthbearer.unsecure.jwt makes: sub, iat and exp now + lifeSeconds. */
static kafka_err_t make_unsecured(const char *config, int64_t now_ms, char **out, char *why, size_t why_size) {
    char principal[256], payload[1024], esc[600];
    int64_t life_ms;
    if (!kafka__oauth_config_parse(config, principal, sizeof(principal), &life_ms, why, why_size))
        return KAFKA_ERR__INVALID_CONF;
    size_t n = 0;
    for (const char *c = principal; *c && n + 7 < sizeof(esc); c++) {
        if (*c == '"' || *c == '\\')
            esc[n++] = '\\', esc[n++] = *c;
        else if ((unsigned char)*c < 0x20)
            n += (size_t)snprintf(esc + n, sizeof(esc) - n, "\\u%04x", (unsigned)(unsigned char)*c);
        else
            esc[n++] = *c;
    }
    esc[n] = 0;
    int pl = snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%" PRId64 ",\"exp\":%" PRId64 "}", esc,
                      now_ms / 1000, (now_ms + life_ms) / 1000);
    static const char header[] = "eyJhbGciOiJub25lIn0"; /* {"alg":"none"} */
    size_t cap = sizeof(header) + (size_t)pl / 3 * 4 + 8;
    char *tok = malloc(cap);
    if (!tok)
        return KAFKA_ERR__NO_MEMORY;
    memcpy(tok, header, sizeof(header) - 1);
    tok[sizeof(header) - 1] = '.';
    char *body = tok + sizeof(header);
    kafka__base64url_encode((const uint8_t *)payload, (size_t)pl, body, cap - sizeof(header) - 1);
    strcat(body, ".");
    *out = tok;
    return KAFKA_OK;
}

/* ---- the holder ---- */

/* Takes raw (a source's output, freed here) as the token held: trimmed, a JWT. */
static kafka_err_t accept(kafka__oauth_t *o, char *raw, const char *src, int64_t now_ms, char *why,
                          size_t why_size) {
    char *s = raw, *e = raw + strlen(raw);
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    size_t len = (size_t)(e - s);
    kafka__jwt_t jwt;
    char jwhy[200];
    kafka_err_t err = KAFKA_OK;
    if (len == 0)
        err = fail(why, why_size, "%s: no token in it", src);
    else if (!kafka__jwt_parse(s, len, &jwt, jwhy, sizeof(jwhy)))
        err = fail(why, why_size, "%s: %s", src, jwhy);
    else if (!kafka__oauthbearer_token_ok(s, len))
        err = fail(why, why_size, "%s: the token holds characters a bearer token may not", src);
    if (err) {
        OPENSSL_cleanse(raw, strlen(raw));
        free(raw);
        return err;
    }
    /* The token held lives in secret memory (left out of core dumps); the source's
     * buffer is wiped. */
    char saved = s[len];
    s[len] = 0;
    char *held = kafka__secret_dup(s);
    s[len] = saved;
    OPENSSL_cleanse(raw, strlen(raw));
    free(raw);
    if (!held) {
        snprintf(why, why_size, "%s: out of memory holding the token", src);
        return KAFKA_ERR__NO_MEMORY;
    }
    kafka__oauth_token_free(o->token);
    o->token = held;
    o->jwt = jwt;
    o->got_ms = now_ms;
    o->refresh_ms = jwt.has_exp ? now_ms + (jwt.exp_ms - now_ms) * REFRESH_PERMILLE / 1000 : INT64_MAX;
    return KAFKA_OK;
}

/* The copies of a conf share one holder, but a copy may be changed after it was made: a
 * token had from other settings than conf's is dropped, and conf's are remembered. */
static kafka_err_t same_source(kafka__oauth_t *o, const char *path, const char *cmd, bool unsecured,
                               const char *config) {
    size_t n = strlen(path) + strlen(cmd) + strlen(config) + 8;
    char *src = malloc(n);
    if (!src)
        return KAFKA_ERR__NO_MEMORY;
    snprintf(src, n, "%s\n%s\n%d\n%s", path, cmd, unsecured, config);
    bool same = o->source && strcmp(o->source, src) == 0;
    kafka_err_t e = KAFKA_OK;
    if (!same) {
        drop(o);
        o->refresh_ms = 0;
        kafka__secret_free(o->source);
        if (!(o->source = kafka__secret_dup(src)))
            e = KAFKA_ERR__NO_MEMORY;
    }
    OPENSSL_cleanse(src, n);
    free(src);
    return e;
}

kafka_err_t kafka__oauth_token(kafka__oauth_t *o, const kafka_conf_t *conf, char **token, char *principal,
                               size_t principal_size, char *why, size_t why_size) {
    *token = NULL;
    const char *path = kafka_conf_str(conf, KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_FILE);
    const char *cmd = kafka_conf_str(conf, KAFKA_CONF_SASL_OAUTHBEARER_TOKEN_COMMAND);
    bool unsecured = kafka_conf_bool(conf, KAFKA_CONF_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT);
    char src[320];
    if (*path)
        snprintf(src, sizeof(src), "sasl.oauthbearer.token.file %.280s", path);
    else if (*cmd)
        snprintf(src, sizeof(src), "sasl.oauthbearer.token.command");
    else if (unsecured)
        snprintf(src, sizeof(src), "the unsecured JWT of sasl.oauthbearer.config");
    else
        return fail(why, why_size, "sasl.mechanism OAUTHBEARER needs sasl.oauthbearer.token.file or "
                                   "sasl.oauthbearer.token.command");
    pthread_mutex_lock(&o->lock);
    kafka_err_t se = same_source(o, path, cmd, unsecured, kafka_conf_str(conf, KAFKA_CONF_SASL_OAUTHBEARER_CONFIG));
    if (se) {
        pthread_mutex_unlock(&o->lock);
        snprintf(why, why_size, "out of memory reading the OAUTHBEARER token");
        return se;
    }
    int64_t now = kafka__wall_ms();
    char *raw = NULL;
    char rwhy[400] = "";
    kafka_err_t e = KAFKA_OK;
    if (*path) {
        bool same;
        e = read_file(o, path, &raw, &same, rwhy, sizeof(rwhy));
    } else if (!o->token || now >= o->refresh_ms) {
        e = *cmd ? run_command(cmd, kafka_conf_int(conf, KAFKA_CONF_REQUEST_TIMEOUT_MS), &raw, rwhy, sizeof(rwhy))
                 : make_unsecured(kafka_conf_str(conf, KAFKA_CONF_SASL_OAUTHBEARER_CONFIG), now, &raw, rwhy,
                                  sizeof(rwhy));
    }
    if (!e && raw) {
        if (*path)
            o->have_id = false; /* until the token is taken */
        e = accept(o, raw, src, now, rwhy, sizeof(rwhy));
        if (!e && *path)
            o->have_id = true;
        if (!e) {
            char at[32];
            kafka__log(conf, KAFKA__LOG_DEBUG, "SASL", "oauth-token", "OAUTHBEARER: a token for principal %s from %s%s%s",
                       o->jwt.sub[0] ? o->jwt.sub : "(no sub)", src, o->jwt.has_exp ? ", expires " : ", no exp",
                       o->jwt.has_exp ? utc(o->jwt.exp_ms, at) : "");
        }
    }
    bool held_valid = o->token && (!o->jwt.has_exp || now < o->jwt.exp_ms);
    if (e == KAFKA_ERR__NO_MEMORY) {
        pthread_mutex_unlock(&o->lock);
        snprintf(why, why_size, "out of memory reading the OAUTHBEARER token");
        return e;
    }
    if (e && !held_valid) {
        drop(o);
        pthread_mutex_unlock(&o->lock);
        snprintf(why, why_size, "%s", rwhy);
        return e == KAFKA_ERR__INVALID_CONF ? e : KAFKA_ERR__AUTHENTICATION;
    }
    if (e && *cmd) {
        /* Not again at every authentication (each run may take request.timeout.ms under
         * the lock): in 10 s, or at half of what the held token has left if sooner. */
        int64_t retry = 10000, left = o->jwt.has_exp ? o->jwt.exp_ms - now : INT64_MAX;
        o->refresh_ms = now + (left / 2 < retry ? (left / 2 > 100 ? left / 2 : 100) : retry);
    }
    if (e) {
        char at[32];
        kafka__log(conf, KAFKA__LOG_WARNING, "SASL", "oauth-refresh",
                   "OAUTHBEARER: cannot refresh the token (%s); the one held is used until it expires at %s", rwhy,
                   o->jwt.has_exp ? utc(o->jwt.exp_ms, at) : "never");
    }
    if (!o->token || (o->jwt.has_exp && now >= o->jwt.exp_ms)) {
        char at[32];
        int64_t ago = o->token ? (now - o->jwt.exp_ms) / 1000 : 0;
        e = fail(why, why_size, "the OAUTHBEARER token (%s) expired at %s, %" PRId64 " s ago", src,
                 o->token ? utc(o->jwt.exp_ms, at) : "?", ago);
        pthread_mutex_unlock(&o->lock);
        return e;
    }
    *token = kafka__secret_dup(o->token);
    snprintf(principal, principal_size, "%s", o->jwt.sub);
    pthread_mutex_unlock(&o->lock);
    if (!*token) {
        snprintf(why, why_size, "out of memory copying the OAUTHBEARER token");
        return KAFKA_ERR__NO_MEMORY;
    }
    return KAFKA_OK;
}
