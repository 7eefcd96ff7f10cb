/* kafka-agent run: file checkpoints in data.dir and in checkpoint.topic (run_ckpt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/admin.h"
#include "kafka/connection.h"
#include "kafka/consumer.h"
#include "run_ckpt.h"

static bool push(run_ckpt_t **arr, int *n, int *cap, const run_ckpt_t *c) {
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 16;
        run_ckpt_t *na = realloc(*arr, sizeof(run_ckpt_t) * (size_t)ncap);
        if (!na)
            return false;
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = *c;
    return true;
}

int run_ckpt_load_file(const char *dir, run_ckpt_t **out) {
    char path[1100];
    snprintf(path, sizeof(path), "%s/checkpoints", dir);
    FILE *f = fopen(path, "r");
    *out = NULL;
    if (!f)
        return 0;
    int n = 0, cap = 0;
    run_ckpt_t c;
    while (fscanf(f, "%llu %llu %d %llx %lld %1023[^\n]", &c.dev, &c.ino, &c.fp_len, &c.fp, &c.off, c.path) == 6)
        if (!push(out, &n, &cap, &c))
            break;
    fclose(f);
    return n;
}

size_t run_ckpt_key(char *buf, size_t size, const char *agent_id, unsigned long long dev, unsigned long long ino) {
    int n = snprintf(buf, size, "%s\t%llu:%llu", agent_id, dev, ino);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t run_ckpt_value(char *buf, size_t size, const run_ckpt_t *c) {
    int n = snprintf(buf, size, "%lld %d %llx %s", c->off, c->fp_len, c->fp, c->path);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

bool run_ckpt_topic_ensure(const kafka_conf_t *conf, const char *topic, char *errstr, size_t errstr_size) {
    kafka_connection_t *c = kafka_connection_new(conf, errstr, errstr_size);
    if (!c)
        return false;
    int64_t ms = kafka_conf_int(conf, KAFKA_CONF_REQUEST_TIMEOUT_MS);
    int timeout = (int)(ms < 30000 ? 30000 : ms);
    char why[512];
    kafka_err_t e = kafka_connection_wait_metadata(c, NULL, timeout, why, sizeof(why));
    if (!e && kafka_connection_partition_count(c, topic) <= 0) {
        int brokers = kafka_connection_broker_count(c);
        kafka_config_kv_t compact = {"cleanup.policy", "compact"};
        kafka_new_topic_t t = {topic, 1, (int16_t)(brokers < 3 ? (brokers > 0 ? brokers : 1) : 3), &compact, 1};
        kafka_topic_result_t res;
        e = kafka_connection_create_topics(c, &t, 1, false, timeout, &res, why, sizeof(why));
        if (e == KAFKA_ERR_TOPIC_ALREADY_EXISTS) /* another agent was quicker */
            e = KAFKA_OK;
        if (!e)
            e = kafka_connection_wait_metadata(c, topic, timeout, why, sizeof(why));
    }
    if (e)
        snprintf(errstr, errstr_size, "checkpoint.topic %s: %s: %s", topic, kafka_err_name(e),
                 why[0] ? why : kafka_err2str(e));
    kafka_connection_destroy(c);
    return !e;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies one record: the latest per (dev, ino) wins; a tombstone removes. */
static bool apply(run_ckpt_t **arr, int *n, int *cap, const char *prefix, size_t plen, const kafka_message_t *m) {
    int32_t klen, vlen;
    const char *k = kafka_message_key(m, &klen);
    const char *v = kafka_message_payload(m, &vlen);
    if (!k || (size_t)klen <= plen || memcmp(k, prefix, plen) != 0)
        return true; /* another agent's */
    char kb[64], vb[1200];
    if ((size_t)klen - plen >= sizeof(kb))
        return true;
    memcpy(kb, k + plen, (size_t)klen - plen);
    kb[(size_t)klen - plen] = 0;
    run_ckpt_t c = {0};
    if (sscanf(kb, "%llu:%llu", &c.dev, &c.ino) != 2)
        return true;
    int i = 0;
    while (i < *n && ((*arr)[i].dev != c.dev || (*arr)[i].ino != c.ino))
        i++;
    if (!v) {
        if (i < *n)
            (*arr)[i] = (*arr)[--*n];
        return true;
    }
    if (vlen <= 0 || (size_t)vlen >= sizeof(vb))
        return true;
    memcpy(vb, v, (size_t)vlen);
    vb[vlen] = 0;
    if (sscanf(vb, "%lld %d %llx %1023[^\n]", &c.off, &c.fp_len, &c.fp, c.path) != 4)
        return true;
    if (i < *n) {
        (*arr)[i] = c;
        return true;
    }
    return push(arr, n, cap, &c);
}

bool run_ckpt_topic_load(const kafka_conf_t *conf, const char *topic, const char *agent_id, int timeout_ms,
                         run_ckpt_t **out, int *nout, char *errstr, size_t errstr_size) {
    *out = NULL;
    *nout = 0;
    kafka_conf_t *cc = kafka_conf_dup(conf);
    char why[512] = "";
    if (!cc || kafka_conf_set(cc, "isolation.level", "read_committed", why, sizeof(why)) ||
        kafka_conf_set(cc, "auto.offset.reset", "earliest", why, sizeof(why))) {
        snprintf(errstr, errstr_size, "checkpoint.topic %s: %s", topic, why[0] ? why : "out of memory");
        kafka_conf_destroy(cc);
        return false;
    }
    kafka_connection_t *conn = kafka_connection_new(cc, why, sizeof(why));
    int nparts = -1;
    if (conn && !kafka_connection_wait_metadata(conn, topic, timeout_ms, why, sizeof(why)))
        nparts = kafka_connection_partition_count(conn, topic);
    kafka_connection_destroy(conn);
    kafka_consumer_t *c = nparts > 0 ? kafka_consumer_new(cc, why, sizeof(why)) : NULL;
    kafka_conf_destroy(cc);
    if (!c) {
        snprintf(errstr, errstr_size, "checkpoint.topic %s: no metadata: %s", topic, why);
        return false;
    }
    char prefix[160];
    size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%s\t", agent_id);
    int n = 0, cap = 0;
    bool ok = true;
    int64_t deadline = now_ms() + timeout_ms;
    for (int32_t p = 0; p < nparts && ok; p++) {
        int64_t *offs = NULL, end = 0, at = KAFKA_OFFSET_EARLIEST;
        size_t noffs = 0;
        kafka_err_t e = kafka_consumer_offsets(c, topic, p, KAFKA_OFFSET_LATEST, 1, &offs, &noffs, why, sizeof(why));
        if (!e && noffs)
            end = offs[0];
        free(offs);
        while (!e && end > 0 && (at == KAFKA_OFFSET_EARLIEST || at < end) && ok) {
            kafka_message_t **msgs = NULL;
            size_t count = 0;
            e = kafka_consumer_fetch(c, topic, p, at, 0, &msgs, &count, why, sizeof(why));
            if (e)
                break;
            for (size_t i = 0; i < count && ok; i++)
                if (kafka_message_valid(msgs[i]) && kafka_message_offset(msgs[i]) < end)
                    ok = apply(out, &n, &cap, prefix, plen, msgs[i]);
            kafka_messages_destroy(msgs, count);
            int64_t next = kafka_consumer_next_offset(c, topic, p);
            if (next <= at && at != KAFKA_OFFSET_EARLIEST && now_ms() > deadline) {
                e = KAFKA_ERR__TIMED_OUT;
                snprintf(why, sizeof(why), "stuck at offset %lld of %lld", (long long)at, (long long)end);
            }
            at = next;
        }
        if (e) {
            snprintf(errstr, errstr_size, "checkpoint.topic %s [%d]: %s: %s", topic, (int)p, kafka_err_name(e),
                     why[0] ? why : kafka_err2str(e));
            ok = false;
        }
    }
    kafka_consumer_destroy(c);
    if (!ok) {
        free(*out);
        *out = NULL;
        return false;
    }
    *nout = n;
    return true;
}
