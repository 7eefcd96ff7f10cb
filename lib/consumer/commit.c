/* Committed offsets: kafka_consumer_commit() / kafka_consumer_committed().
 *
 * offsets.storage=kafka: OffsetCommit / OffsetFetch at the group coordinator of group.id
 * (FindCoordinator on any broker; NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and
 * COORDINATOR_LOAD_IN_PROGRESS find it again), retried with backoff until
 * request.timeout.ms. A group member (kafka_consumer_subscribe) commits with its
 * generation, member id and group.instance.id; otherwise the consumer is not a member:
 * generation -1, member "" (the simple consumer's commits, as Kafka's assign() does).
 * offsets.storage=file: offsets.file holds "topic partition offset" lines, replaced
 * atomically (write to a temporary file, fsync, rename, fsync of the directory). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consumer/consumer_int.h"
#include "consumer/group.h"
#include "util/arena.h"
#include "util/clock.h"

/* ---- file storage ---- */

typedef struct fentry_s {
    char topic[256];
    int32_t partition;
    int64_t offset;
} fentry_t;

static size_t file_load(const char *path, fentry_t **out) {
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = 0, cap = 0;
    fentry_t e;
    while (fscanf(f, "%255s %d %lld", e.topic, &e.partition, (long long *)&e.offset) == 3) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            fentry_t *g = realloc(*out, cap * sizeof(fentry_t));
            if (!g)
                break;
            *out = g;
        }
        (*out)[n++] = e;
    }
    fclose(f);
    return n;
}

static kafka_err_t file_commit(kafka_consumer_t *c, const kafka_topic_partition_t *tps, size_t n, char *why,
                               size_t why_size) {
    const char *path = kafka_conf_str(c->conf, KAFKA_CONF_OFFSETS_FILE);
    if (!path || !*path) {
        snprintf(why, why_size, "offsets.storage=file needs offsets.file");
        return KAFKA_ERR__INVALID_CONF;
    }
    fentry_t *es;
    size_t ne = file_load(path, &es);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < ne && !(es[k].partition == tps[i].partition && strcmp(es[k].topic, tps[i].topic) == 0))
            k++;
        if (k == ne) {
            fentry_t *g = realloc(es, (ne + 1) * sizeof(fentry_t));
            if (!g) {
                free(es);
                return KAFKA_ERR__NO_MEMORY;
            }
            es = g;
            snprintf(es[ne].topic, sizeof(es[ne].topic), "%s", tps[i].topic);
            es[ne].partition = tps[i].partition;
            ne++;
        }
        es[k].offset = tps[i].offset;
    }
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    kafka_err_t err = KAFKA_OK;
    if (!f) {
        snprintf(why, why_size, "offsets.file %.300s: %s", tmp, strerror(errno));
        free(es);
        return KAFKA_ERR__INVALID_ARG;
    }
    for (size_t k = 0; k < ne; k++)
        fprintf(f, "%s %d %lld\n", es[k].topic, es[k].partition, (long long)es[k].offset);
    free(es);
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(why, why_size, "offsets.file %.300s: %s", path, strerror(errno));
        err = KAFKA_ERR__INVALID_ARG;
    } else {
        char dirbuf[4096];
        snprintf(dirbuf, sizeof(dirbuf), "%s", path);
        int dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return err;
}

/* ---- Kafka storage ---- */

static bool coordinator_error(kafka_err_t e) {
    return e == KAFKA_ERR_NOT_COORDINATOR || e == KAFKA_ERR_COORDINATOR_NOT_AVAILABLE ||
           e == KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

/* A connection to the group coordinator (FindCoordinator over any known broker). */
static kafka__bconn_t *coordinator(kafka_consumer_t *c, const char *group, int32_t *id, kafka_err_t *errp, char *why,
                                   size_t why_size) {
    kafka__metadata_t *md = kafka__connection_metadata(c->cluster);
    if (!md || md->nbrokers == 0) {
        kafka__metadata_release(md);
        kafka_connection_wait_metadata(c->cluster, NULL, (int)c->request_timeout_ms, why, why_size);
        md = kafka__connection_metadata(c->cluster);
    }
    if (!md || md->nbrokers == 0) {
        kafka__metadata_release(md);
        *errp = KAFKA_ERR__NO_KNOWN_BROKERS;
        if (!*why)
            snprintf(why, why_size, "no broker known");
        return NULL;
    }
    const kafka__md_broker_t *b = &md->brokers[(size_t)kafka__now_ms() % (size_t)md->nbrokers];
    kafka__bconn_t *bc = kafka__conn_take(c, b->id, b->host, b->port, errp, why, why_size);
    int32_t any_id = b->id;
    kafka__metadata_release(md);
    if (!bc)
        return NULL;
    char host[256];
    int port = 0;
    bool conn_ok = false;
    kafka_err_t e = kafka__find_coordinator(bc, group, id, host, sizeof(host), &port, &conn_ok, why, why_size);
    if (conn_ok)
        kafka__conn_give(c, any_id, bc);
    else
        kafka__bconn_close(bc);
    if (e) {
        *errp = e;
        return NULL;
    }
    return kafka__conn_take(c, *id, host, port, errp, why, why_size);
}

#define STALE_WAIT_MS 2000 /* a KIP-848 member's next epoch comes with its next heartbeat */

/* One OffsetCommit; the first error (request or partition) with why. */
static kafka_err_t commit_once(kafka_consumer_t *c, kafka__bconn_t *bc, const char *group,
                               const kafka_topic_partition_t *tps, size_t n, bool *conn_ok, char *why,
                               size_t why_size) {
    kafka_offset_commit_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_COMMIT, &req);
    req.group_id = kafka_str(group);
    /* A group member commits in its generation; otherwise a simple consumer's commit. */
    kafka__group_t *g = kafka__group_of(c);
    int32_t generation = -1;
    char member[256] = "";
    const char *instance = NULL;
    if (g)
        kafka__group_identity(g, &generation, member, sizeof(member), &instance);
    req.generation_id_or_member_epoch = generation;
    req.member_id = kafka_str(member);
    if (kafka__bconn_version(bc, KAFKA_API_OFFSET_COMMIT) >= 7) /* older brokers know no static members */
        req.group_instance_id = kafka_str(instance);
    req.retention_time_ms = -1;
    kafka_offset_commit_request_topic_t *ts = calloc(n, sizeof(*ts));
    kafka_offset_commit_request_partition_t *ps = calloc(n, sizeof(*ps));
    if (!ts || !ps) {
        free(ts);
        free(ps);
        return KAFKA_ERR__NO_MEMORY;
    }
    int32_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        /* One topic entry per distinct topic, its partitions adjacent. */
        int32_t t = 0;
        while (t < nt && !kafka_str_eq(ts[t].name, tps[i].topic))
            t++;
        if (t == nt)
            ts[nt++].name = kafka_str(tps[i].topic);
    }
    size_t k = 0;
    for (int32_t t = 0; t < nt; t++) {
        ts[t].partitions.items = &ps[k];
        for (size_t i = 0; i < n; i++) {
            if (!kafka_str_eq(ts[t].name, tps[i].topic))
                continue;
            ps[k] = (kafka_offset_commit_request_partition_t){tps[i].partition, tps[i].offset, -1, -1, kafka_str("")};
            k++;
            ts[t].partitions.count++;
        }
    }
    req.topics.items = ts;
    req.topics.count = nt;
    kafka_offset_commit_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_OFFSET_COMMIT, &req, &resp, &arena, &frame, NULL);
    *conn_ok = !e;
    if (e) {
        snprintf(why, why_size, "OffsetCommit: %s", kafka__bconn_last_error(bc));
    } else {
        for (int32_t t = 0; t < resp.topics.count && !e; t++)
            for (int32_t p = 0; p < resp.topics.items[t].partitions.count && !e; p++)
                if ((e = (kafka_err_t)resp.topics.items[t].partitions.items[p].error_code))
                    snprintf(why, why_size, "OffsetCommit of %.*s/%d for group %s: %s",
                             resp.topics.items[t].name.len > 0 ? resp.topics.items[t].name.len : 0,
                             resp.topics.items[t].name.str ? resp.topics.items[t].name.str : "",
                             resp.topics.items[t].partitions.items[p].partition_index, group, kafka_err_name(e));
    }
    if (g && (e == KAFKA_ERR_ILLEGAL_GENERATION || e == KAFKA_ERR_UNKNOWN_MEMBER_ID ||
              e == KAFKA_ERR_REBALANCE_IN_PROGRESS || e == KAFKA_ERR_FENCED_INSTANCE_ID)) {
        /* Stale: say which generation was refused; the member rejoins. */
        size_t len = strlen(why);
        snprintf(why + len, why_size > len ? why_size - len : 0,
                 " (refused for generation %d, member \"%s\": the group rebalanced; the member rejoins)",
                 (int)generation, member);
        kafka__group_commit_refused(g, e, generation);
    } else if (g && e == KAFKA_ERR_STALE_MEMBER_EPOCH && !kafka__group_epoch_refresh(g, generation, STALE_WAIT_MS)) {
        size_t len = strlen(why);
        snprintf(why + len, why_size > len ? why_size - len : 0, " (member epoch %d, no newer one came)",
                 (int)generation);
        e = KAFKA_ERR__STATE; /* not retried */
    }
    free(frame);
    kafka__arena_free(&arena);
    free(ts);
    free(ps);
    return e;
}

/* One OffsetFetch of one partition. */
static kafka_err_t fetch_once(kafka__bconn_t *bc, const char *group, const char *topic, int32_t partition,
                              int64_t *offset, bool *conn_ok, char *why, size_t why_size) {
    kafka_offset_fetch_request_t req;
    kafka_request_init(KAFKA_API_OFFSET_FETCH, &req);
    int16_t v = kafka__bconn_version(bc, KAFKA_API_OFFSET_FETCH);
    int32_t pidx = partition;
    kafka_offset_fetch_request_topic_t t = {kafka_str(topic), {&pidx, 1}};
    kafka_offset_fetch_request_topics_t t8 = {kafka_str(topic), {&pidx, 1}};
    kafka_offset_fetch_request_group_t g = {.group_id = kafka_str(group), .member_id = kafka_str(NULL),
                                            .member_epoch = -1, .topics = {&t8, 1}};
    if (v >= 8) {
        req.groups.items = &g;
        req.groups.count = 1;
    } else {
        req.group_id = kafka_str(group);
        req.topics.items = &t;
        req.topics.count = 1;
    }
    kafka_offset_fetch_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *frame = NULL;
    kafka_err_t e = kafka__bconn_request(bc, KAFKA_API_OFFSET_FETCH, &req, &resp, &arena, &frame, NULL);
    *conn_ok = !e;
    *offset = -1;
    if (e) {
        snprintf(why, why_size, "OffsetFetch: %s", kafka__bconn_last_error(bc));
    } else if (v >= 8) {
        if (resp.groups.count < 1 || (e = (kafka_err_t)resp.groups.items[0].error_code))
            snprintf(why, why_size, "OffsetFetch for group %s: %s", group, e ? kafka_err_name(e) : "no group answered");
        else
            for (int32_t i = 0; i < resp.groups.items[0].topics.count; i++)
                for (int32_t p = 0; p < resp.groups.items[0].topics.items[i].partitions.count; p++)
                    if (resp.groups.items[0].topics.items[i].partitions.items[p].partition_index == partition) {
                        e = (kafka_err_t)resp.groups.items[0].topics.items[i].partitions.items[p].error_code;
                        *offset = resp.groups.items[0].topics.items[i].partitions.items[p].committed_offset;
                    }
        if (e == KAFKA_ERR__REQUEST_OR_RESPONSE && !*why)
            snprintf(why, why_size, "OffsetFetch: no answer for %s/%d", topic, partition);
    } else {
        e = (kafka_err_t)resp.error_code;
        for (int32_t i = 0; i < resp.topics.count && !e; i++)
            for (int32_t p = 0; p < resp.topics.items[i].partitions.count; p++)
                if (resp.topics.items[i].partitions.items[p].partition_index == partition) {
                    e = (kafka_err_t)resp.topics.items[i].partitions.items[p].error_code;
                    *offset = resp.topics.items[i].partitions.items[p].committed_offset;
                }
    }
    if (e && !*why)
        snprintf(why, why_size, "OffsetFetch of %s/%d for group %s: %s", topic, partition, group, kafka_err_name(e));
    free(frame);
    kafka__arena_free(&arena);
    return e;
}

/* Runs op at the coordinator with refinding and backoff until request.timeout.ms. */
static kafka_err_t at_coordinator(kafka_consumer_t *c, const char *group, const kafka_topic_partition_t *tps, size_t n,
                                  const char *topic, int32_t partition, int64_t *offset, char *why, size_t why_size) {
    int64_t deadline = kafka__now_ms() + c->request_timeout_ms;
    kafka__backoff_t backoff;
    kafka__backoff_init(&backoff, c->backoff_ms, c->backoff_max_ms);
    kafka_err_t e;
    for (;;) {
        why[0] = 0;
        int32_t id = -1;
        kafka__bconn_t *bc = coordinator(c, group, &id, &e, why, why_size);
        if (bc) {
            bool conn_ok = false;
            e = tps ? commit_once(c, bc, group, tps, n, &conn_ok, why, why_size)
                    : fetch_once(bc, group, topic, partition, offset, &conn_ok, why, why_size);
            if (conn_ok)
                kafka__conn_give(c, id, bc);
            else
                kafka__bconn_close(bc);
        }
        /* STALE_MEMBER_EPOCH: commit_once waited for the member's next epoch (KIP-848). */
        if (!e || !(coordinator_error(e) || kafka__call_retriable(e) || e == KAFKA_ERR_STALE_MEMBER_EPOCH) ||
            kafka__now_ms() + kafka__backoff_peek(&backoff) >= deadline)
            break;
        kafka__sleep_ms(kafka__backoff_next(&backoff));
    }
    if (e && kafka__call_retriable(e) && kafka__now_ms() + kafka__backoff_peek(&backoff) >= deadline) {
        char cause[400];
        snprintf(cause, sizeof(cause), "%s", why);
        snprintf(why, why_size, "not done within request.timeout.ms %lld: %s", (long long)c->request_timeout_ms, cause);
        e = KAFKA_ERR__TIMED_OUT;
    }
    return e;
}

kafka_err_t kafka_consumer_commit(kafka_consumer_t *c, const kafka_topic_partition_t *tps, size_t n, char *errstr,
                                  size_t errstr_size) {
    char why[512] = "";
    if (!tps || n == 0) {
        snprintf(why, sizeof(why), "commit: no offsets given");
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
    }
    for (size_t i = 0; i < n; i++)
        if (!tps[i].topic || !*tps[i].topic || tps[i].partition < 0 || tps[i].offset < 0) {
            snprintf(why, sizeof(why), "commit: entry %zu needs a topic, a partition >= 0 and an offset >= 0", i);
            return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
        }
    kafka_err_t e;
    if (kafka_conf_int(c->conf, KAFKA_CONF_OFFSETS_STORAGE) == KAFKA_OFFSETS_STORAGE_FILE) {
        e = file_commit(c, tps, n, why, sizeof(why));
    } else {
        const char *group = kafka_conf_str(c->conf, KAFKA_CONF_GROUP_ID);
        if (!group || !*group) {
            snprintf(why, sizeof(why), "commit: group.id is required with offsets.storage=kafka");
            return kafka__consumer_fail(c, KAFKA_ERR__INVALID_CONF, why, errstr, errstr_size);
        }
        e = at_coordinator(c, group, tps, n, NULL, -1, NULL, why, sizeof(why));
    }
    return e ? kafka__consumer_fail(c, e, why, errstr, errstr_size) : KAFKA_OK;
}

kafka_err_t kafka_consumer_committed(kafka_consumer_t *c, const char *topic, int32_t partition, int64_t *offset,
                                     char *errstr, size_t errstr_size) {
    char why[512] = "";
    *offset = -1;
    if (!topic || !*topic || partition < 0) {
        snprintf(why, sizeof(why), "committed: a topic and a partition >= 0 are required");
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_ARG, why, errstr, errstr_size);
    }
    if (kafka_conf_int(c->conf, KAFKA_CONF_OFFSETS_STORAGE) == KAFKA_OFFSETS_STORAGE_FILE) {
        const char *path = kafka_conf_str(c->conf, KAFKA_CONF_OFFSETS_FILE);
        if (!path || !*path) {
            snprintf(why, sizeof(why), "offsets.storage=file needs offsets.file");
            return kafka__consumer_fail(c, KAFKA_ERR__INVALID_CONF, why, errstr, errstr_size);
        }
        fentry_t *es;
        size_t ne = file_load(path, &es);
        for (size_t k = 0; k < ne; k++)
            if (es[k].partition == partition && strcmp(es[k].topic, topic) == 0)
                *offset = es[k].offset;
        free(es);
        return KAFKA_OK;
    }
    const char *group = kafka_conf_str(c->conf, KAFKA_CONF_GROUP_ID);
    if (!group || !*group) {
        snprintf(why, sizeof(why), "committed: group.id is required with offsets.storage=kafka");
        return kafka__consumer_fail(c, KAFKA_ERR__INVALID_CONF, why, errstr, errstr_size);
    }
    kafka_err_t e = at_coordinator(c, group, NULL, 0, topic, partition, offset, why, sizeof(why));
    return e ? kafka__consumer_fail(c, e, why, errstr, errstr_size) : KAFKA_OK;
}
