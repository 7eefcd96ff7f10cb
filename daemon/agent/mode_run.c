/* kafka-agent run: the log shipping service.
 *
 *   kafka-agent run -c CONFIG
 *
 * Follows the files of each [input.NAME] (a glob) like tail -F and sends every line as a
 * message. A checkpoint per file (DATA.DIR/checkpoints) records the offset just past the
 * last line Kafka acknowledged — never a line only read — and is replaced atomically
 * (write, fsync, rename, fsync of the directory) every 200 ms and on exit, so a restart
 * after kill -9 resumes there: no line is lost (at-least-once; with idempotence only the
 * lines in flight at the kill can be sent twice).
 *
 * Files are known by device + inode + a fingerprint of their first bytes (a reused inode
 * is a new file). A file renamed away (rotation) is read to its end, then dropped; a new
 * file at the path starts at offset 0; a file that shrank (copytruncate) starts again at
 * 0. Files renamed while the agent was down are found again in their directory by inode.
 * When Kafka is slow or away, produce blocks (queue.buffering.max.*) and reading stops
 * with it: memory stays bounded and the place is kept. In run mode delivery.timeout.ms
 * defaults to its maximum, so an outage stalls shipping instead of failing it.
 * SIGTERM/SIGINT: stop reading, flush (up to 30 s), write checkpoints, exit 0. SIGHUP:
 * reload the config (inputs, paths, topics) and rescan.
 *
 * delivery.guarantee=exactly-once: the producer is transactional (transactional.id
 * "kafka-agent-" + agent.id) and each cycle is one transaction: the lines read since the
 * last commit, then a checkpoint record per file read in it (run_ckpt.h) in
 * checkpoint.topic, committed every transaction.interval.ms or sooner at the batch
 * limits. Here acked_off is a file's committed checkpoint and read_off the end of the
 * transaction's last line of it (exact: reading stops at a line boundary). At start,
 * InitProducerId fences an older instance and aborts its open transaction before the
 * checkpoints are read with read_committed, so a restart resumes exactly after the
 * committed lines. An abortable failure aborts and rewinds every file to its committed
 * checkpoint; fenced (a newer agent with the same id) stops with exit 1.
 *
 * metrics.listen (or --metrics) serves the counters below to Prometheus (metrics.h). The
 * endpoint's threads read them while this one and the producer's workers count: every
 * shared counter is an atomic, and per-input gauges (files, lag) are stored by the main
 * loop every 200 ms. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <sys/select.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "alog.h"
#include "kafka/producer.h"
#include "metrics.h"
#include "notify.h"
#include "run_ckpt.h"
#include "run_conf.h"

#define FP_MAX 256       /* bytes of a file's beginning in its fingerprint */
#define READ_CHUNK 65536 /* bytes read at a time */

static const char help[] =
    "usage: kafka-agent run -c CONFIG\n"
    "\n"
    "The log shipping service: follows the files (or stdin) of each [input.NAME] of the INI\n"
    "CONFIG and sends each line as a message, with a checkpoint per file in data.dir so that\n"
    "a restart, even after kill -9, resumes after the last line Kafka acknowledged\n"
    "(at-least-once). With delivery.guarantee = exactly-once the lines and their\n"
    "checkpoints go to Kafka in one transaction: read_committed readers see each line once.\n"
    "\n"
    "  # Kafka properties at the top level or in [kafka]\n"
    "  bootstrap.servers = 127.0.0.1:9092\n"
    "  data.dir = /var/lib/kafka-agent      (at-least-once, required there; checkpoints)\n"
    "  delivery.guarantee = at-least-once   (or exactly-once)\n"
    "  agent.id = web-1                     (exactly-once: required; transactional.id is\n"
    "                                        kafka-agent-<agent.id>)\n"
    "  checkpoint.topic = __kafka_agent_checkpoints  (exactly-once: created compacted)\n"
    "  transaction.interval.ms = 100        (exactly-once: commit at least this often)\n"
    "  stats.interval.ms = 10000            (a stats line on stderr; 0: none)\n"
    "  stats.file = /run/kafka-agent.json   (optional JSON stats)\n"
    "  metrics.listen = 127.0.0.1:9464      (optional: Prometheus GET /metrics, GET /healthz)\n"
    "  healthz.stall.ms = 60000             (/healthz: 503 when lines wait this long undelivered)\n"
    "  log.format = text                    (or json: one object per stderr line)\n"
    "  [input.app]\n"
    "  type = file                          (or stdin)\n"
    "  path = /var/log/app/*.log            (a glob)\n"
    "  topic = app-logs\n"
    "  key.delimiter = \\t                   (optional)\n"
    "  start = beginning                    (or end: where files seen the first time start)\n"
    "  oversize = skip                      (or fail: a line over message.max.bytes)\n"
    "\n"
    "A bad config prints FILE:LINE: reason and exits 2 before anything starts. SIGTERM or\n"
    "SIGINT: flush, write checkpoints, exit 0. SIGHUP: reload the config.\n\n";

typedef struct tfile_s tfile_t;

/* One line in flight: reported by the producer's worker thread. */
typedef struct inflight_s {
    struct inflight_s *next;
    tfile_t *file;
    int64_t end; /* the offset just past the line */
    int64_t len; /* the message's bytes, counted in queue_bytes until reported */
    uint32_t gen;
    atomic_int state; /* 0 in flight, 1 delivered, 2 failed */
} inflight_t;

struct tfile_s {
    struct tfile_s *next;
    run_input_t *input;
    char path[1024];
    dev_t dev;
    ino_t ino;
    uint64_t fp;
    int fp_len;
    int fd;
    int64_t read_off;  /* the next byte to read */
    int64_t acked_off; /* just past the last acknowledged line (the checkpoint) */
    int64_t lineno;    /* lines read; exact when reading started at 0 */
    bool lineno_exact;
    uint32_t gen;      /* bumped when the file is truncated */
    bool rotated;      /* the path now names another file (or none) */
    bool seen;         /* found by the last scan */
    bool ckpt_new;     /* exactly-once: its state (new, truncated) has no committed checkpoint */
    inflight_t *head, *tail;
};

/* An input's counters, by name: a slot is filled before nistats publishes it and its
 * name never changes, so the endpoint reads the slots without a lock; a reload maps the
 * inputs of the new config to their slots again. */
#define RUN_MAX_ISTATS (RUN_MAX_INPUTS * 4)
typedef struct run_istats_s {
    char name[128];
    atomic_llong lines, bytes; /* sent */
    atomic_llong files, lag;   /* followed now; bytes after the checkpoints (the main loop's) */
} run_istats_t;

typedef struct run_s {
    agent_ctx_t *ctx;
    run_conf_t rc;
    kafka_producer_t *p;
    tfile_t *files;
    atomic_llong delivered, failed, oversize, queue_bytes;
    agent_reasons_t fail_reasons;
    run_istats_t istats[RUN_MAX_ISTATS];
    atomic_int nistats;
    int istat_of[RUN_MAX_INPUTS]; /* rc.inputs[i]'s slot, -1 when every slot is taken */
    char first_err[512];
    atomic_flag have_err;
    bool dirty;
    bool progress; /* lines were sent in this pass: do not sleep before the next */
    char *buf;
    size_t bufsize;
    /* exactly-once (delivery.guarantee): acked_off is each file's committed checkpoint,
     * read_off the end of the last line in the transaction under way */
    bool eos;
    bool txn_failed;            /* a produce of the transaction failed: abort, read again */
    bool txn_full;              /* the transaction reached the batch limits: commit now */
    int64_t txn_lines, txn_bytes, txn_start;
    int64_t txn_max_lines, txn_max_bytes;
    atomic_llong committed, txns, aborts; /* lines committed, transactions committed, aborted */
    struct {
        unsigned long long dev, ino;
    } *tomb; /* files forgotten: a tombstone each in the next transaction */
    int ntomb, captomb;
    char txn_id[200];
} run_t;

/* send_line: the line was not sent and reading stops before it (stopping, or the
 * transaction must end first). */
#define SEND_HELD 3

static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Fingerprint of the first min(FP_MAX, size) bytes of fd. */
static int fingerprint(int fd, int want, uint64_t *fp) {
    uint8_t b[FP_MAX];
    ssize_t n = pread(fd, b, (size_t)want, 0);
    if (n < 0)
        return -1;
    *fp = fnv1a(b, (size_t)n);
    return (int)n;
}

/* @thread worker  @locks none */
static void on_delivery(const kafka_delivery_t *d, void *arg) {
    run_t *r = arg;
    inflight_t *e = d->opaque;
    if (e)
        atomic_fetch_sub_explicit(&r->queue_bytes, e->len, memory_order_relaxed);
    /* exactly-once: a failed message fails the commit, which names it; the transaction is
     * aborted and its lines read again (counted in aborts, not here). */
    if (d->err && !r->eos) {
        atomic_fetch_add(&r->failed, 1);
        agent_reasons_add(&r->fail_reasons, d->err);
        if (!atomic_flag_test_and_set(&r->have_err))
            snprintf(r->first_err, sizeof(r->first_err), "%.200s: %.300s", e ? e->file->path : "?", d->errstr);
    } else if (!d->err) {
        atomic_fetch_add(&r->delivered, 1);
    }
    if (e)
        atomic_store(&e->state, d->err ? 2 : 1);
}

/* Maps each input of r->rc to its counters' slot, by name (a new name takes a new slot). */
static void map_istats(run_t *r) {
    int n = atomic_load(&r->nistats);
    for (int i = 0; i < r->rc.ninputs; i++) {
        int k = 0;
        while (k < n && strcmp(r->istats[k].name, r->rc.inputs[i].name) != 0)
            k++;
        if (k == n && n < RUN_MAX_ISTATS) {
            snprintf(r->istats[n].name, sizeof(r->istats[n].name), "%s", r->rc.inputs[i].name);
            atomic_store_explicit(&r->nistats, ++n, memory_order_release);
        }
        r->istat_of[i] = k < n ? k : -1;
    }
}

static run_istats_t *istats_of(run_t *r, const run_input_t *in) {
    int k = r->istat_of[in - r->rc.inputs];
    return k >= 0 ? &r->istats[k] : NULL;
}

/* Stores each input's files and lag for the endpoint (and returns the totals). */
static void input_gauges(run_t *r, long long *lag_out, int *files_out) {
    long long files[RUN_MAX_ISTATS] = {0}, lag[RUN_MAX_ISTATS] = {0}, tlag = 0;
    int tfiles = 0;
    for (tfile_t *f = r->files; f; f = f->next) {
        if (f->input->is_stdin)
            continue;
        struct stat s;
        long long l = fstat(f->fd, &s) == 0 && s.st_size > f->acked_off ? s.st_size - f->acked_off : 0;
        tlag += l;
        tfiles++;
        int k = r->istat_of[f->input - r->rc.inputs];
        if (k >= 0) {
            files[k]++;
            lag[k] += l;
        }
    }
    int n = atomic_load(&r->nistats);
    for (int k = 0; k < n; k++) {
        atomic_store_explicit(&r->istats[k].files, files[k], memory_order_relaxed);
        atomic_store_explicit(&r->istats[k].lag, lag[k], memory_order_relaxed);
    }
    if (lag_out)
        *lag_out = tlag;
    if (files_out)
        *files_out = tfiles;
}

/* Advances each file's checkpoint over its acknowledged prefix; true when a delivery
 * failed (the checkpoint stops before it). */
static bool advance(run_t *r) {
    bool failed = false;
    for (tfile_t *f = r->files; f; f = f->next) {
        while (f->head) {
            int st = atomic_load(&f->head->state);
            if (st == 0)
                break;
            if (st == 2) {
                failed = true;
                break;
            }
            inflight_t *e = f->head;
            if (e->gen == f->gen && e->end > f->acked_off) {
                f->acked_off = e->end;
                r->dirty = true;
            }
            f->head = e->next;
            if (!f->head)
                f->tail = NULL;
            free(e);
        }
    }
    return failed;
}

/* ---- checkpoints in data.dir: "dev ino fp_len fp acked_off path" per line ---- */

static bool ckpt_save(run_t *r) {
    char tmp[1100], path[1100];
    snprintf(path, sizeof(path), "%s/checkpoints", r->rc.data_dir);
    snprintf(tmp, sizeof(tmp), "%s/checkpoints.tmp", r->rc.data_dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        agent_err(r->ctx, "%s: %s", tmp, strerror(errno));
        return false;
    }
    for (tfile_t *t = r->files; t; t = t->next)
        if (!t->input->is_stdin)
            fprintf(f, "%llu %llu %d %llx %lld %s\n", (unsigned long long)t->dev, (unsigned long long)t->ino, t->fp_len,
                    (unsigned long long)t->fp, (long long)t->acked_off, t->path);
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    int dfd = open(r->rc.data_dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    if (!ok)
        agent_err(r->ctx, "cannot write %s: %s", path, strerror(errno));
    else
        r->dirty = false;
    return ok;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- exactly-once: transactions with their checkpoints (run_ckpt.h) ---- */

/* The producer's transactional.id has a newer owner (or the coordinator aborted a
 * transaction older than transaction.timeout.ms): said, AGENT_FAIL. */
static int fenced(run_t *r, const char *why) {
    agent_log(r->ctx, AGENT_LOG_ERR, true, (const char *[]){"agent_id", r->rc.agent_id, "error", why, NULL},
              "fenced: another kafka-agent with agent.id=%s (transactional.id %s) started, or a transaction outlived "
              "transaction.timeout.ms; stopping without committing (%s)",
              r->rc.agent_id, r->txn_id, why);
    return AGENT_FAIL;
}

/* A rotated file read to its end and committed: its checkpoint is removed by a
 * tombstone in the next transaction. */
static void forget(run_t *r, const tfile_t *f) {
    if (r->ntomb == r->captomb) {
        int cap = r->captomb ? r->captomb * 2 : 8;
        void *n = realloc(r->tomb, sizeof(*r->tomb) * (size_t)cap);
        if (!n)
            return; /* the checkpoint stays: harmless, the file is read to its end */
        r->tomb = n;
        r->captomb = cap;
    }
    r->tomb[r->ntomb].dev = (unsigned long long)f->dev;
    r->tomb[r->ntomb++].ino = (unsigned long long)f->ino;
}

static bool txn_has_work(run_t *r) {
    if (r->txn_lines || r->ntomb || r->txn_failed)
        return true;
    for (tfile_t *f = r->files; f; f = f->next)
        if (!f->input->is_stdin && (f->ckpt_new || f->read_off != f->acked_off))
            return true;
    return false;
}

/* Produces one checkpoint record (value NULL: a tombstone) into the transaction. */
static kafka_err_t txn_produce(run_t *r, const char *key, size_t klen, const char *value, size_t vlen, char *errstr,
                               size_t errstr_size) {
    kafka_produce_msg_t m = {key, (int32_t)klen, value, value ? (int32_t)vlen : -1, NULL, 0, 0};
    kafka_err_t err;
    while ((err = kafka_producer_produce(r->p, r->rc.checkpoint_topic, KAFKA_PARTITION_ANY, &m, NULL, errstr,
                                         errstr_size)) &&
           err != KAFKA_ERR__STATE && kafka_err_retriable(err) &&
           kafka_producer_txn_error_class(r->p) != KAFKA_TXN_ERROR_FATAL && !agent_stopping()) {
        if (err != KAFKA_ERR__QUEUE_FULL && err != KAFKA_ERR__TIMED_OUT) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    }
    return err;
}

/* The checkpoints of the transaction: tombstones first (a reused inode's new
 * checkpoint must win), then one record per file read or new in it. */
static kafka_err_t txn_checkpoints(run_t *r, char *errstr, size_t errstr_size) {
    char key[300], value[1200];
    kafka_err_t err = KAFKA_OK;
    for (int i = 0; i < r->ntomb && !err; i++) {
        size_t kl = run_ckpt_key(key, sizeof(key), r->rc.agent_id, r->tomb[i].dev, r->tomb[i].ino);
        err = txn_produce(r, key, kl, NULL, 0, errstr, errstr_size);
    }
    for (tfile_t *f = r->files; f && !err; f = f->next) {
        if (f->input->is_stdin || (!f->ckpt_new && f->read_off == f->acked_off))
            continue;
        run_ckpt_t c = {(unsigned long long)f->dev, (unsigned long long)f->ino, f->fp, f->fp_len, f->read_off, ""};
        snprintf(c.path, sizeof(c.path), "%s", f->path);
        size_t kl = run_ckpt_key(key, sizeof(key), r->rc.agent_id, c.dev, c.ino);
        size_t vl = run_ckpt_value(value, sizeof(value), &c);
        err = txn_produce(r, key, kl, value, vl, errstr, errstr_size);
    }
    return err;
}

/* Retries a transactional call that failed RETRIABLE (a timeout: Kafka slow or away)
 * until it is done; when stopping, for 30 s at most. */
static kafka_err_t txn_retry(run_t *r, bool commit, char *errstr, size_t errstr_size) {
    int64_t t0 = mono_ms();
    kafka_err_t err;
    for (;;) {
        err = commit ? kafka_producer_commit_transaction(r->p, 1000, errstr, errstr_size)
                     : kafka_producer_abort_transaction(r->p, 1000, errstr, errstr_size);
        if (!err || kafka_producer_txn_error_class(r->p) != KAFKA_TXN_ERROR_RETRIABLE)
            return err;
        if (agent_stopping() && mono_ms() - t0 > 30000)
            return err;
        agent_notify_watchdog(mono_ms());
    }
}

/* Ends the transaction under way: its checkpoints are produced into it, then it is
 * committed, and each file's committed checkpoint moves to where its reading is. A
 * transaction that cannot commit (a failed message, an abortable error) is aborted and
 * every file goes back to its committed checkpoint: its lines are read again into the
 * next transaction, so nothing is lost and, the aborted copy being invisible to
 * read_committed readers, nothing is doubled. Then the next transaction begins (unless
 * last). AGENT_OK, or AGENT_FAIL when fenced or when Kafka stayed away past the stop's
 * 30 s (the transaction is left open: the next start aborts it). */
static int txn_end(run_t *r, bool last) {
    char errstr[700] = "";
    kafka_err_t err = KAFKA_OK;
    bool commit = !r->txn_failed;
    if (commit && (err = txn_checkpoints(r, errstr, sizeof(errstr))))
        commit = false;
    if (commit && !(err = txn_retry(r, true, errstr, sizeof(errstr)))) {
        for (tfile_t *f = r->files; f; f = f->next) {
            f->acked_off = f->read_off;
            f->ckpt_new = false;
        }
        r->ntomb = 0;
        atomic_fetch_add(&r->committed, r->txn_lines);
        atomic_fetch_add(&r->txns, 1);
    } else {
        kafka_txn_error_class_t cls = kafka_producer_txn_error_class(r->p);
        if (cls == KAFKA_TXN_ERROR_FATAL)
            return fenced(r, errstr);
        if (cls == KAFKA_TXN_ERROR_RETRIABLE) {
            agent_err(r->ctx, "stopping with the transaction open (its lines are sent again by the next start): %s",
                      errstr);
            return AGENT_FAIL;
        }
        char why[700];
        snprintf(why, sizeof(why), "%s", errstr[0] ? errstr : "a produce of it failed");
        if ((err = txn_retry(r, false, errstr, sizeof(errstr)))) {
            if (kafka_producer_txn_error_class(r->p) == KAFKA_TXN_ERROR_FATAL)
                return fenced(r, errstr);
            agent_err(r->ctx, "cannot abort the transaction: %s", errstr);
            return AGENT_FAIL;
        }
        char n[24];
        snprintf(n, sizeof(n), "%lld", (long long)r->txn_lines);
        agent_log(r->ctx, AGENT_LOG_WARNING, true, (const char *[]){"lines", n, "error", why, NULL},
                  "transaction aborted (%s); its %s lines are read again", why, n);
        for (tfile_t *f = r->files; f; f = f->next)
            f->read_off = f->acked_off;
        atomic_fetch_add(&r->aborts, 1);
    }
    r->txn_lines = r->txn_bytes = 0;
    r->txn_full = r->txn_failed = false;
    r->txn_start = mono_ms();
    if (last)
        return AGENT_OK;
    if ((err = kafka_producer_begin_transaction(r->p, errstr, sizeof(errstr)))) {
        agent_err(r->ctx, "begin_transaction: %s", errstr);
        return AGENT_FAIL;
    }
    return AGENT_OK;
}

/* ---- files ---- */

static tfile_t *track(run_t *r, run_input_t *in, const char *path, int fd, const struct stat *st, int64_t start) {
    tfile_t *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->input = in;
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->fd = fd;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->fp_len = fingerprint(fd, FP_MAX, &f->fp);
    if (f->fp_len < 0)
        f->fp_len = 0;
    f->read_off = f->acked_off = start;
    f->lineno_exact = start == 0;
    f->seen = true;
    f->ckpt_new = true;
    f->next = r->files;
    r->files = f;
    r->dirty = true;
    return f;
}

/* A checkpoint for this open file (same device, inode and fingerprint), or NULL. */
static const run_ckpt_t *ckpt_find(const run_ckpt_t *cp, int n, int fd, const struct stat *st) {
    for (int i = 0; i < n; i++) {
        if (cp[i].dev != (unsigned long long)st->st_dev || cp[i].ino != (unsigned long long)st->st_ino)
            continue;
        uint64_t fp = 0;
        if (fingerprint(fd, cp[i].fp_len, &fp) == cp[i].fp_len && fp == cp[i].fp)
            return &cp[i];
    }
    return NULL;
}

/* Scans the globs: new files are tracked (from their checkpoint, or per start= when
 * first seen at startup, else from 0), files whose path now names another inode are
 * marked rotated. */
static void scan(run_t *r, const run_ckpt_t *cp, int ncp, bool startup) {
    for (tfile_t *f = r->files; f; f = f->next)
        f->seen = false;
    for (int i = 0; i < r->rc.ninputs; i++) {
        run_input_t *in = &r->rc.inputs[i];
        if (in->is_stdin)
            continue;
        glob_t g;
        if (glob(in->path, 0, NULL, &g) != 0)
            continue;
        for (size_t k = 0; k < g.gl_pathc; k++) {
            struct stat st;
            if (stat(g.gl_pathv[k], &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            tfile_t *known = NULL;
            for (tfile_t *f = r->files; f && !known; f = f->next)
                if (f->dev == st.st_dev && f->ino == st.st_ino && !f->input->is_stdin)
                    known = f;
            if (known) {
                known->seen = true;
                if (strcmp(known->path, g.gl_pathv[k]) == 0)
                    known->rotated = false;
                continue;
            }
            int fd = open(g.gl_pathv[k], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                agent_err(r->ctx, "%s: %s", g.gl_pathv[k], strerror(errno));
                continue;
            }
            const run_ckpt_t *c = ckpt_find(cp, ncp, fd, &st);
            int64_t start = c ? (c->off <= st.st_size ? c->off : 0) : startup && in->start_end ? st.st_size : 0;
            tfile_t *f = track(r, in, g.gl_pathv[k], fd, &st, start);
            if (f && c && c->off == start)
                f->ckpt_new = false; /* its checkpoint says so already */
        }
        globfree(&g);
    }
    /* Files renamed away: keep reading them (rotated) until their end; at startup, a
     * checkpointed file no longer at its path is looked for by inode in its directory. */
    for (tfile_t *f = r->files; f; f = f->next)
        if (!f->seen && !f->input->is_stdin)
            f->rotated = true;
    if (!startup)
        return;
    for (int i = 0; i < ncp; i++) {
        bool have = false;
        for (tfile_t *f = r->files; f && !have; f = f->next)
            have = f->dev == cp[i].dev && f->ino == cp[i].ino;
        if (have)
            continue;
        char dirbuf[1024];
        snprintf(dirbuf, sizeof(dirbuf), "%s", cp[i].path);
        const char *dir = dirname(dirbuf);
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if ((unsigned long long)de->d_ino != cp[i].ino)
                continue;
            char p[2048];
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            struct stat st;
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            if (fstat(fd, &st) == 0 && ckpt_find(&cp[i], 1, fd, &st)) {
                /* Which input: the one whose glob matched the old path's directory. */
                run_input_t *in = NULL;
                for (int k = 0; k < r->rc.ninputs && !in; k++)
                    if (!r->rc.inputs[k].is_stdin)
                        in = &r->rc.inputs[k];
                char dir2[1024];
                for (int k = 0; k < r->rc.ninputs; k++) {
                    snprintf(dir2, sizeof(dir2), "%s", r->rc.inputs[k].path);
                    if (!r->rc.inputs[k].is_stdin && strcmp(dirname(dir2), dir) == 0)
                        in = &r->rc.inputs[k];
                }
                if (in) {
                    tfile_t *f = track(r, in, p, fd, &st, cp[i].off <= st.st_size ? cp[i].off : 0);
                    if (f) {
                        f->rotated = true;
                        f->ckpt_new = f->acked_off != cp[i].off;
                    }
                    fd = -1;
                }
            }
            if (fd >= 0)
                close(fd);
            break;
        }
        if (d)
            closedir(d);
    }
}

/* Sends one line (without its newline) ending at file offset end. */
static int send_line(run_t *r, tfile_t *f, const char *line, size_t len, int64_t end) {
    run_input_t *in = f->input;
    f->lineno++;
    kafka_produce_msg_t m = {NULL, -1, line, (int32_t)len, NULL, 0, 0};
    if (in->delim_len) {
        const char *d = memmem(line, len, in->delim, in->delim_len);
        if (d) {
            m.key = line;
            m.key_len = (int32_t)(d - line);
            m.value = d + in->delim_len;
            m.value_len = (int32_t)(len - (size_t)(d - line) - in->delim_len);
        }
    }
    inflight_t *e = r->eos ? NULL : calloc(1, sizeof(*e));
    if (e) {
        e->file = f;
        e->end = end;
        e->len = (m.key_len > 0 ? m.key_len : 0) + m.value_len;
        atomic_fetch_add_explicit(&r->queue_bytes, e->len, memory_order_relaxed);
        e->gen = f->gen;
        atomic_init(&e->state, 0);
        if (f->tail)
            f->tail->next = e;
        else
            f->head = e;
        f->tail = e;
    }
    char errstr[512];
    kafka_err_t err;
    while ((err = kafka_producer_produce(r->p, in->topic, KAFKA_PARTITION_ANY, &m, e, errstr, sizeof(errstr))) &&
           err != KAFKA_ERR__MSG_TOO_LARGE && kafka_err_retriable(err)) {
        /* Kafka is slow or away (queue full, no metadata, no broker reachable): wait
         * here, reading nothing more (backpressure); produce itself waits up to
         * queue.full.timeout.ms, and a short pause keeps a refused connection from
         * spinning. */
        if (agent_stopping())
            break;
        advance(r);
        if (err != KAFKA_ERR__QUEUE_FULL && err != KAFKA_ERR__TIMED_OUT) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (err && e)
        atomic_fetch_sub_explicit(&r->queue_bytes, e->len, memory_order_relaxed); /* no report follows */
    if (err && agent_stopping() && err != KAFKA_ERR__MSG_TOO_LARGE)
        return SEND_HELD; /* stopping while waiting: not sent; its entry keeps the checkpoint before it */
    if (err && r->eos && err != KAFKA_ERR__MSG_TOO_LARGE) {
        kafka_txn_error_class_t cls = kafka_producer_txn_error_class(r->p);
        if (cls == KAFKA_TXN_ERROR_FATAL)
            return fenced(r, errstr);
        if (cls == KAFKA_TXN_ERROR_ABORTABLE || err == KAFKA_ERR__STATE) {
            r->txn_failed = true; /* aborted, then read again from the committed checkpoints */
            return SEND_HELD;
        }
    }
    if (err == KAFKA_ERR__MSG_TOO_LARGE) {
        atomic_fetch_add(&r->oversize, 1);
        const char *fields[] = {"file", f->path, "topic", f->input->topic, "error", errstr, NULL};
        if (f->lineno_exact)
            agent_log(r->ctx, AGENT_LOG_ERR, true, fields, "%s:%lld: line of %zu bytes not sent: %s", f->path,
                      (long long)f->lineno, len, errstr);
        else
            agent_log(r->ctx, AGENT_LOG_ERR, true, fields, "%s: line ending at byte %lld (%zu bytes) not sent: %s",
                      f->path, (long long)end, len, errstr);
        if (e)
            atomic_store(&e->state, 1); /* skipped: the checkpoint may pass it */
        if (in->oversize_fail)
            return AGENT_FAIL;
        return r->eos && r->txn_failed ? SEND_HELD : AGENT_OK;
    }
    if (err) {
        agent_log(r->ctx, AGENT_LOG_ERR, true, (const char *[]){"file", f->path, "topic", f->input->topic, "error", errstr, NULL},
                  "%s: %s", f->path, errstr);
        /* Refused before any report (a wrong password, no such topic): it is the failure
         * the stop names, as on_delivery's first one would be. */
        if (!atomic_flag_test_and_set(&r->have_err))
            snprintf(r->first_err, sizeof(r->first_err), "%.200s: %.300s", f->path, errstr);
        if (e)
            atomic_store(&e->state, 2);
        return AGENT_FAIL;
    }
    run_istats_t *is = istats_of(r, in);
    if (is) {
        atomic_fetch_add_explicit(&is->lines, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&is->bytes, (long long)len, memory_order_relaxed);
    }
    r->progress = true;
    if (r->eos) {
        r->txn_lines++;
        r->txn_bytes += (int64_t)len;
        if (r->txn_lines >= r->txn_max_lines || r->txn_bytes >= r->txn_max_bytes)
            r->txn_full = true;
    }
    return AGENT_OK;
}

/* Reads what is new in f and sends its complete lines. */
static int read_file(run_t *r, tfile_t *f) {
    struct stat st;
    if (fstat(f->fd, &st) == 0 && st.st_size < f->read_off) {
        /* Truncated in place (copytruncate): start again at 0, a new generation, a new
         * fingerprint (a checkpoint must not name the content that is gone). */
        f->read_off = 0;
        f->acked_off = 0;
        f->gen++;
        f->ckpt_new = true;
        f->fp_len = fingerprint(f->fd, FP_MAX, &f->fp);
        if (f->fp_len < 0)
            f->fp_len = 0;
        f->lineno = 0;
        f->lineno_exact = true;
        r->dirty = true;
    }
    if (f->fp_len < FP_MAX && st.st_size > f->fp_len) {
        int n = fingerprint(f->fd, FP_MAX, &f->fp); /* the file grew: a longer fingerprint */
        if (n > 0)
            f->fp_len = n;
    }
    int64_t limit = (int64_t)kafka_conf_int(r->ctx->conf, KAFKA_CONF_MESSAGE_MAX_BYTES) + 1;
    for (int rounds = 0; rounds < 64 && !agent_stopping() && !r->txn_full && !r->txn_failed; rounds++) {
        ssize_t n = pread(f->fd, r->buf, r->bufsize, f->read_off);
        if (n <= 0)
            return AGENT_OK;
        size_t start = 0;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (r->buf[i] != '\n')
                continue;
            /* Stopping, or the transaction must end first: the rest stays unsent, after
             * read_off (exact: the end of the last line sent). */
            int rc = agent_stopping() || r->txn_full || r->txn_failed
                         ? SEND_HELD
                         : send_line(r, f, r->buf + start, i - start, f->read_off + (int64_t)i + 1);
            if (rc == SEND_HELD) {
                f->read_off += (int64_t)start;
                return AGENT_OK;
            }
            if (rc != AGENT_OK)
                return rc;
            start = i + 1;
        }
        if (start == 0 && (size_t)n == r->bufsize) {
            /* A line longer than the buffer: grow up to message.max.bytes + 1, beyond that
             * it is oversize (sent as what fits, which the producer refuses). */
            if ((int64_t)r->bufsize < limit * 2) {
                char *nb = realloc(r->buf, r->bufsize * 2);
                if (nb) {
                    r->buf = nb;
                    r->bufsize *= 2;
                    continue;
                }
            }
            int rc = send_line(r, f, r->buf, r->bufsize, f->read_off + (int64_t)r->bufsize);
            if (rc == SEND_HELD)
                return AGENT_OK;
            f->read_off += (int64_t)r->bufsize; /* the rest of that line follows as its own */
            if (rc != AGENT_OK)
                return rc;
            continue;
        }
        f->read_off += (int64_t)start;
        if (start < (size_t)n && (size_t)n == r->bufsize)
            continue; /* the buffer ended mid-line: read on from that line's start */
        if (start < (size_t)n) {
            /* A partial last line at the end of the file: sent once completed, or once
             * the file is rotated away and read to its end. */
            if (f->rotated) {
                int rc = send_line(r, f, r->buf + start, (size_t)n - start, f->read_off + (int64_t)((size_t)n - start));
                if (rc == SEND_HELD)
                    return AGENT_OK;
                f->read_off += (int64_t)((size_t)n - start);
                return rc;
            }
            return AGENT_OK;
        }
    }
    return AGENT_OK;
}

/* stdin's bytes read and not sent yet: read() straight into it, never through stdio,
 * whose buffer would hide complete lines from the select() that waits for more. */
typedef struct stdin_buf_s {
    char *buf;
    size_t len, cap;
    bool open; /* false after the end of input (the files are still followed) */
} stdin_buf_t;

/* Reads what stdin has (select said it is readable) and sends its complete lines; at
 * the end of input, a last line without its newline too. */
static int read_stdin(run_t *r, tfile_t *f, stdin_buf_t *in) {
    if (in->cap - in->len < READ_CHUNK) {
        char *nb = realloc(in->buf, in->cap + READ_CHUNK);
        if (!nb) {
            agent_err(r->ctx, "<stdin>: out of memory");
            return AGENT_FAIL;
        }
        in->buf = nb;
        in->cap += READ_CHUNK;
    }
    ssize_t n = read(0, in->buf + in->len, in->cap - in->len);
    if (n < 0 && errno == EINTR)
        return AGENT_OK;
    if (n <= 0) {
        in->open = false;
        int rc = in->len ? send_line(r, f, in->buf, in->len, 0) : AGENT_OK;
        in->len = 0;
        return rc == SEND_HELD ? AGENT_OK : rc;
    }
    in->len += (size_t)n;
    size_t start = 0;
    for (char *nl; (nl = memchr(in->buf + start, '\n', in->len - start));) {
        int rc = send_line(r, f, in->buf + start, (size_t)(nl - (in->buf + start)), 0);
        start = (size_t)(nl - in->buf) + 1;
        if (rc != AGENT_OK && rc != SEND_HELD) /* stdin has no checkpoint: a held line is dropped */
            return rc;
    }
    memmove(in->buf, in->buf + start, in->len - start);
    in->len -= start;
    return AGENT_OK;
}

/* Drops rotated files that are read to their end with nothing in flight. */
static void reap(run_t *r) {
    for (tfile_t **pp = &r->files; *pp;) {
        tfile_t *f = *pp;
        struct stat st;
        if (f->rotated && !f->head && fstat(f->fd, &st) == 0 && f->read_off >= st.st_size &&
            (!r->eos || (f->acked_off == f->read_off && !f->ckpt_new))) {
            if (r->eos)
                forget(r, f);
            *pp = f->next;
            close(f->fd);
            free(f);
            r->dirty = true;
            continue;
        }
        pp = &f->next;
    }
}

static void stats(run_t *r, FILE *out, bool json) {
    kafka_producer_stats_t st;
    kafka_producer_stats(r->p, &st);
    long long lag = 0, lines = 0, bytes = 0;
    int nfiles = 0;
    input_gauges(r, &lag, &nfiles);
    for (int k = 0, n = atomic_load(&r->nistats); k < n; k++) {
        lines += atomic_load(&r->istats[k].lines);
        bytes += atomic_load(&r->istats[k].bytes);
    }
    long long delivered = atomic_load(&r->delivered), failed = atomic_load(&r->failed);
    long long oversize = atomic_load(&r->oversize);
    long long committed = atomic_load(&r->committed), txns = atomic_load(&r->txns), aborts = atomic_load(&r->aborts);
    if (json && r->eos)
        fprintf(out,
                "{\"lines_read\":%lld,\"bytes\":%lld,\"delivered\":%lld,\"failed\":%lld,\"retried\":%lld,"
                "\"in_flight\":%lld,\"oversize_skipped\":%lld,\"files\":%d,\"lag_bytes\":%lld,"
                "\"committed\":%lld,\"transactions\":%lld,\"aborted\":%lld}\n",
                lines, bytes, delivered, failed, (long long)st.retries, (long long)st.outstanding, oversize, nfiles,
                lag, committed, txns, aborts);
    else if (json)
        fprintf(out,
                "{\"lines_read\":%lld,\"bytes\":%lld,\"delivered\":%lld,\"failed\":%lld,\"retried\":%lld,"
                "\"in_flight\":%lld,\"oversize_skipped\":%lld,\"files\":%d,\"lag_bytes\":%lld}\n",
                lines, bytes, delivered, failed, (long long)st.retries, (long long)st.outstanding, oversize, nfiles,
                lag);
    else if (r->eos) {
        char line[400];
        snprintf(line, sizeof(line),
                 "lines read %lld, bytes %lld, delivered %lld, committed %lld in %lld transactions, aborted %lld, "
                 "retried %lld, in flight %lld, oversize skipped %lld, lag %lld bytes",
                 lines, bytes, delivered, committed, txns, aborts, (long long)st.retries, (long long)st.outstanding,
                 oversize, lag);
        char s[6][24];
        long long v[] = {lines, bytes, delivered, committed, txns, aborts};
        for (int i = 0; i < 6; i++)
            snprintf(s[i], sizeof(s[i]), "%lld", v[i]);
        agent_log(r->ctx, AGENT_LOG_INFO, true,
                  (const char *[]){"lines_read", s[0], "bytes", s[1], "delivered", s[2], "committed", s[3],
                                   "transactions", s[4], "aborted", s[5], NULL},
                  "%s", line);
        agent_notify_status(line);
    } else {
        long long v[] = {lines, bytes, delivered, failed, (long long)st.retries, (long long)st.outstanding, oversize, lag};
        char s[8][24];
        for (int i = 0; i < 8; i++)
            snprintf(s[i], sizeof(s[i]), "%lld", v[i]);
        char line[300];
        snprintf(line, sizeof(line),
                 "lines read %s, bytes %s, delivered %s, failed %s, retried %s, in flight %s, oversize skipped %s, "
                 "lag %s bytes",
                 s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
        agent_log(r->ctx, AGENT_LOG_INFO, true,
                  (const char *[]){"lines_read", s[0], "bytes", s[1], "delivered", s[2], "failed", s[3], "retried", s[4],
                                   "in_flight", s[5], "oversize_skipped", s[6], "lag_bytes", s[7], NULL},
                  "%s", line);
        agent_notify_status(line);
    }
}

/* One per-input family: a sample per input name. */
/* @thread http  @locks none */
static void input_family(agent_page_t *pg, run_t *r, int n, const char *name, const char *type, const char *help,
                         size_t field) {
    agent_page_family(pg, name, type, help);
    for (int k = 0; k < n; k++) {
        atomic_llong *v = (atomic_llong *)((char *)&r->istats[k] + field);
        agent_page_sample(pg, name, (const char *[]){"input", r->istats[k].name, NULL},
                          atomic_load_explicit(v, memory_order_relaxed));
    }
}

/* @thread http  @locks none */
static void collect(agent_page_t *pg, void *arg) {
    run_t *r = arg;
    int n = atomic_load_explicit(&r->nistats, memory_order_acquire);
    input_family(pg, r, n, "kafka_agent_input_lines_total", "counter", "Lines of the input sent to Kafka",
                 offsetof(run_istats_t, lines));
    input_family(pg, r, n, "kafka_agent_input_bytes_total", "counter", "Bytes of those lines (without their newlines)",
                 offsetof(run_istats_t, bytes));
    input_family(pg, r, n, "kafka_agent_input_lag_bytes", "gauge", "Bytes of the input's files after their checkpoints",
                 offsetof(run_istats_t, lag));
    input_family(pg, r, n, "kafka_agent_input_files", "gauge", "Files of the input being followed",
                 offsetof(run_istats_t, files));
    agent_metrics_deliveries(pg, atomic_load(&r->delivered), &r->fail_reasons);
    agent_page_metric(pg, "kafka_agent_oversize_skipped_total", "counter",
                      "Lines over message.max.bytes not sent (oversize = skip)", atomic_load(&r->oversize));
    agent_page_metric(pg, "kafka_agent_queue_bytes", "gauge",
                      "Key and value bytes of the messages produced and not reported yet",
                      atomic_load(&r->queue_bytes));
    if (r->eos) {
        agent_page_metric(pg, "kafka_agent_lines_committed_total", "counter",
                          "Lines in committed transactions (exactly-once)", atomic_load(&r->committed));
        agent_page_metric(pg, "kafka_agent_transactions_committed_total", "counter",
                          "Transactions committed (exactly-once)", atomic_load(&r->txns));
        agent_page_metric(pg, "kafka_agent_transactions_aborted_total", "counter",
                          "Transactions aborted, their lines read again (exactly-once)", atomic_load(&r->aborts));
    }
    agent_metrics_producer(pg, r->p);
}

/* @thread health  @locks none */
static void progress(void *arg, int64_t *done, int64_t *pending) {
    run_t *r = arg;
    *done = atomic_load(&r->delivered) + atomic_load(&r->failed);
    *pending = kafka_producer_outstanding(r->p);
}

static void write_stats_file(run_t *r) {
    if (!r->rc.stats_file[0])
        return;
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.tmp", r->rc.stats_file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    stats(r, f, true);
    if (fclose(f) == 0)
        rename(tmp, r->rc.stats_file);
}

int agent_run(agent_ctx_t *ctx) {
    const char *config = NULL;
    for (int i = 1; i < ctx->argc; i++) {
        if (strcmp(ctx->argv[i], "-h") == 0 || strcmp(ctx->argv[i], "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            return AGENT_OK;
        } else if (strcmp(ctx->argv[i], "-c") == 0 && i + 1 < ctx->argc) {
            config = ctx->argv[++i];
        } else {
            return agent_usage_err(ctx, "unknown option or missing value: %s", ctx->argv[i]);
        }
    }
    if (!config)
        return agent_usage_err(ctx, "-c CONFIG is required");
    run_t *r = calloc(1, sizeof(*r));
    char errstr[1600];
    r->ctx = ctx;
    if (!run_conf_load(config, &r->rc, ctx->conf, errstr, sizeof(errstr))) {
        agent_log(ctx, AGENT_LOG_ERR, false, (const char *[]){"config", config, NULL}, "%s", errstr);
        free(r);
        return AGENT_USAGE;
    }
    char ign[256];
    if (!r->rc.delivery_timeout_set) /* an outage stalls shipping; it does not drop lines */
        kafka_conf_set(ctx->conf, "delivery.timeout.ms", "2147483647", ign, sizeof(ign));
    if (!r->rc.queue_full_timeout_set) /* a blocked produce looks at signals this often */
        kafka_conf_set(ctx->conf, "queue.full.timeout.ms", "500", ign, sizeof(ign));
    r->eos = r->rc.exactly_once;
    if (r->eos) {
        snprintf(r->txn_id, sizeof(r->txn_id), "%s%s", RUN_TXN_ID_PREFIX, r->rc.agent_id);
        kafka_conf_set(ctx->conf, "transactional.id", r->txn_id, ign, sizeof(ign));
        r->txn_max_lines = kafka_conf_int(ctx->conf, KAFKA_CONF_QUEUE_BUFFERING_MAX_MESSAGES);
        r->txn_max_bytes = kafka_conf_int(ctx->conf, KAFKA_CONF_QUEUE_BUFFERING_MAX_KBYTES) * 1024;
    }
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK) {
        free(r);
        return rc;
    }
    if (r->eos && !run_ckpt_topic_ensure(ctx->conf, r->rc.checkpoint_topic, errstr, sizeof(errstr))) {
        agent_err(ctx, "%s", errstr);
        free(r);
        return AGENT_FAIL;
    }
    if (!(r->p = kafka_producer_new(ctx->conf, errstr, sizeof(errstr)))) {
        agent_err(ctx, "%s", errstr);
        free(r);
        return AGENT_USAGE;
    }
    atomic_flag_clear(&r->have_err);
    kafka_producer_set_delivery_cb(r->p, on_delivery, r);
    map_istats(r);
    agent_metrics_t *metrics;
    agent_metrics_source_t src = {collect, progress, r};
    if (agent_metrics_open(ctx, ctx->metrics_listen ? ctx->metrics_listen : r->rc.metrics_listen, &src,
                           r->rc.healthz_stall_ms, &metrics) != AGENT_OK) {
        kafka_producer_destroy(r->p);
        free(r);
        return AGENT_USAGE;
    }
    r->bufsize = READ_CHUNK;
    r->buf = malloc(r->bufsize);
    run_ckpt_t *cp = NULL;
    int ncp = 0;
    if (r->eos) {
        /* InitProducerId first: it fences an older instance and aborts what it left open,
         * so the checkpoints read after it are final. */
        kafka_err_t err;
        while ((err = kafka_producer_init_transactions(r->p, 10000, errstr, sizeof(errstr))) &&
               kafka_producer_txn_error_class(r->p) == KAFKA_TXN_ERROR_RETRIABLE && !agent_stopping())
            agent_log(ctx, AGENT_LOG_WARNING, false, (const char *[]){"error", errstr, NULL}, "%s (retrying)", errstr);
        bool loaded = !err && run_ckpt_topic_load(ctx->conf, r->rc.checkpoint_topic, r->rc.agent_id, 60000, &cp,
                                                  &ncp, errstr, sizeof(errstr));
        if (loaded)
            err = kafka_producer_begin_transaction(r->p, errstr, sizeof(errstr));
        if (!loaded || err) {
            /* A broker without transactions (before Kafka 0.11) is no fencing. */
            if (err && err != KAFKA_ERR__UNKNOWN_APIKEY && kafka_producer_txn_error_class(r->p) == KAFKA_TXN_ERROR_FATAL)
                fenced(r, errstr);
            else if (err == KAFKA_ERR__UNKNOWN_APIKEY)
                agent_err(ctx, "delivery.guarantee=exactly-once: %s", errstr);
            else
                agent_err(ctx, "%s", errstr);
            agent_metrics_stop(metrics);
            kafka_producer_destroy(r->p);
            free(r);
            return AGENT_FAIL;
        }
        r->txn_start = mono_ms();
    } else {
        ncp = run_ckpt_load_file(r->rc.data_dir, &cp);
    }
    scan(r, cp, ncp, true);
    free(cp);
    tfile_t *stdin_file = NULL;
    for (int i = 0; i < r->rc.ninputs; i++)
        if (r->rc.inputs[i].is_stdin && !stdin_file) {
            struct stat st;
            fstat(0, &st);
            stdin_file = track(r, &r->rc.inputs[i], "<stdin>", 0, &st, 0);
        }
    int64_t last_ckpt = mono_ms(), last_stats = mono_ms(), last_scan = mono_ms(), last_gauges = 0;
    stdin_buf_t sin = {.open = stdin_file != NULL};
    char status[300];
    snprintf(status, sizeof(status), "shipping %d input%s from %s", r->rc.ninputs, r->rc.ninputs == 1 ? "" : "s",
             config);
    agent_notify_ready(status);
    while (!agent_stopping() && rc == AGENT_OK) {
        agent_notify_watchdog(mono_ms());
        if (agent_hup_take()) {
            agent_notify_reloading();
            run_conf_t nrc;
            if (!run_conf_load(config, &nrc, ctx->conf, errstr, sizeof(errstr))) {
                agent_log(ctx, AGENT_LOG_WARNING, false, (const char *[]){"config", config, NULL},
                          "%s (reload ignored)", errstr);
            } else if (nrc.exactly_once != r->rc.exactly_once || strcmp(nrc.agent_id, r->rc.agent_id) ||
                       strcmp(nrc.checkpoint_topic, r->rc.checkpoint_topic)) {
                agent_log(ctx, AGENT_LOG_WARNING, false, (const char *[]){"config", config, NULL},
                          "%s: delivery.guarantee, agent.id and checkpoint.topic change only with a restart "
                          "(reload ignored)",
                          config);
            } else {
                /* Inputs are matched by name; tracked files keep their input's new settings. */
                for (tfile_t *f = r->files; f; f = f->next) {
                    int idx = (int)(f->input - r->rc.inputs);
                    for (int k = 0; k < nrc.ninputs; k++)
                        if (strcmp(nrc.inputs[k].name, r->rc.inputs[idx].name) == 0)
                            f->input = &r->rc.inputs[k];
                }
                r->rc = nrc;
                map_istats(r);
                agent_log(ctx, AGENT_LOG_INFO, true, (const char *[]){"config", config, NULL}, "reloaded %s (%d inputs)",
                          config, r->rc.ninputs);
                scan(r, NULL, 0, false);
            }
            snprintf(status, sizeof(status), "shipping %d input%s from %s", r->rc.ninputs,
                     r->rc.ninputs == 1 ? "" : "s", config);
            agent_notify_ready(status);
        }
        int64_t now = mono_ms();
        if (now - last_scan >= 250) {
            scan(r, NULL, 0, false);
            last_scan = now;
        }
        for (tfile_t *f = r->files; f && rc == AGENT_OK && !r->txn_full && !r->txn_failed; f = f->next)
            if (f != stdin_file)
                rc = read_file(r, f);
        if (sin.open && rc == AGENT_OK) {
            /* stdin: no checkpoint; lines as they come (select, so signals are seen). */
            fd_set fds;
            FD_ZERO(&fds);
            FD_SET(0, &fds);
            struct timeval tv = {0, 100000};
            if (select(1, &fds, NULL, NULL, &tv) > 0) {
                rc = read_stdin(r, stdin_file, &sin);
                continue;
            }
        }
        if (!r->eos && advance(r)) {
            agent_log(ctx, AGENT_LOG_ERR, true, (const char *[]){"error", r->first_err, NULL},
                      "a delivery failed (%s); stopping with the checkpoint before it", r->first_err);
            rc = AGENT_FAIL;
        }
        now = mono_ms();
        if (r->eos && rc == AGENT_OK &&
            (r->txn_full || r->txn_failed || (now - r->txn_start >= r->rc.txn_interval_ms && txn_has_work(r)))) {
            rc = txn_end(r, false);
            if (rc == AGENT_OK)
                r->progress = true; /* go on reading at once */
        }
        reap(r);
        if (!r->eos && r->dirty && now - last_ckpt >= 200) {
            ckpt_save(r);
            last_ckpt = now;
        }
        if (metrics && now - last_gauges >= 200) {
            input_gauges(r, NULL, NULL);
            last_gauges = now;
        }
        if (r->rc.stats_interval_ms > 0 && now - last_stats >= r->rc.stats_interval_ms) {
            stats(r, stderr, false);
            write_stats_file(r);
            last_stats = now;
        }
        if (!sin.open && !r->progress) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
        r->progress = false;
    }
    /* Stop: flush what was read, then the checkpoints over what Kafka acknowledged. */
    agent_notify_stopping();
    if (r->eos) {
        /* What was read goes in a last transaction; fenced or failed: nothing more. */
        if (rc == AGENT_OK)
            rc = txn_end(r, true);
    } else {
        kafka_producer_flush(r->p, 30000, NULL, 0);
        if (advance(r) && rc == AGENT_OK) {
            agent_log(ctx, AGENT_LOG_ERR, true, (const char *[]){"error", r->first_err, NULL},
                      "a delivery failed (%s)", r->first_err);
            rc = AGENT_FAIL;
        }
        ckpt_save(r);
    }
    stats(r, stderr, false);
    write_stats_file(r);
    agent_metrics_stop(metrics);
    kafka_producer_destroy(r->p);
    for (tfile_t *f = r->files; f;) {
        tfile_t *n = f->next;
        while (f->head) {
            inflight_t *e = f->head->next;
            free(f->head);
            f->head = e;
        }
        if (f != stdin_file)
            close(f->fd);
        free(f);
        f = n;
    }
    free(sin.buf);
    free(r->buf);
    free(r->tomb);
    free(r);
    return rc;
}
