/* kafka-agent consume: messages of a topic on stdout, formatted as kcat's -f.
 *
 *   kafka-agent consume -t TOPIC [-p PART] [-o beginning|end|OFFSET|@MS] [-e] [-c N]
 *                       [-f FMT] [-G GROUP [-t TOPIC]... [-v]]
 *
 * Without -G every partition (or -p's) is assigned; with -G the agent is a member of the
 * consumer group GROUP (kafka_consumer_subscribe, kcat -G's semantics) and commits what
 * it printed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "alog.h"
#include "kafka/connection.h"
#include "kafka/consumer.h"
#include "metrics.h"

static const char help[] =
    "usage: kafka-agent consume -t TOPIC [-p PART] [-o beginning|end|OFFSET|@MS] [-e] [-c N]\n"
    "                           [-f FMT] [-G GROUP [-t TOPIC]... [-v]]\n"
    "\n"
    "Prints the messages of TOPIC (every partition, or -p PART) on stdout.\n"
    "  -o  where to start: beginning (the default without -G), end, an offset, or @MS the first\n"
    "      message at or after MS milliseconds since the epoch\n"
    "  -e  exit once every partition (with -G: of the assignment) is read to its end\n"
    "  -c  exit after N messages\n"
    "  -G  join the consumer group GROUP (group.id) as kcat -G does: -t may repeat (a TOPIC\n"
    "      starting with ^ is a regular expression), the group assigns the partitions\n"
    "      (partition.assignment.strategy, default range,roundrobin), each starts at the\n"
    "      group's committed offset, else auto.offset.reset (default latest; -o beginning\n"
    "      and -o end set it); what is printed is committed every second, before partitions\n"
    "      are revoked and at exit; SIGINT/SIGTERM, -c and -e leave the group.\n"
    "      With -p, or offsets.storage=file (offsets.file=PATH), -G only names where offsets\n"
    "      are committed: every partition (or -p's) is assigned, starting at the committed\n"
    "      offset without -o\n"
    "  -v  with -G: assignment changes on stderr\n"
    "  -f  output format, as kcat: %%t topic, %%p partition, %%o offset, %%k key, %%s payload,\n"
    "      %%S payload size, %%T timestamp (ms), %%h headers (k=v,...), %%%% a percent sign;\n"
    "      escapes \\n \\t \\r \\\\ \\xHH. Default: \"%%s\\n\".\n"
    "A message that fails its CRC or cannot be decompressed is reported on stderr, skipped,\n"
    "and makes the exit status 1.\n\n";

/* Writes one message as fmt says. */
static void format_message(FILE *out, const char *fmt, size_t fmt_len, const kafka_message_t *m) {
    for (size_t i = 0; i < fmt_len; i++) {
        char c = fmt[i];
        if (c != '%' || i + 1 == fmt_len) {
            fputc(c, out);
            continue;
        }
        int32_t len;
        const void *p;
        switch (fmt[++i]) {
        case 't':
            fputs(kafka_message_topic(m), out);
            break;
        case 'p':
            fprintf(out, "%d", kafka_message_partition(m));
            break;
        case 'o':
            fprintf(out, "%lld", (long long)kafka_message_offset(m));
            break;
        case 'k':
            if ((p = kafka_message_key(m, &len)) && len > 0)
                fwrite(p, 1, (size_t)len, out);
            break;
        case 's':
            if ((p = kafka_message_payload(m, &len)) && len > 0)
                fwrite(p, 1, (size_t)len, out);
            break;
        case 'S':
            kafka_message_payload(m, &len);
            fprintf(out, "%d", len);
            break;
        case 'T':
            fprintf(out, "%lld", (long long)kafka_message_timestamp(m, NULL));
            break;
        case 'h': {
            int n = kafka_message_header_count(m);
            for (int h = 0; h < n; h++) {
                kafka_str_t k;
                kafka_bytes_t v;
                if (kafka_message_header(m, h, &k, &v))
                    break;
                fprintf(out, "%s%.*s=", h ? "," : "", k.len > 0 ? k.len : 0, k.str ? k.str : "");
                if (v.len > 0)
                    fwrite(v.data, 1, (size_t)v.len, out);
            }
            break;
        }
        case '%':
            fputc('%', out);
            break;
        default:
            fputc('%', out);
            fputc(fmt[i], out);
        }
    }
}

typedef struct out_state_s {
    const char *format;
    size_t fmt_len;
    int64_t limit;
    long long seen, invalid;
    const agent_ctx_t *ctx;
} out_state_t;

static bool print_message(const kafka_message_t *m, void *arg) {
    out_state_t *st = arg;
    if (!kafka_message_valid(m)) {
        fflush(stdout);
        agent_err(st->ctx, "%s/%d offset %lld: %s", kafka_message_topic(m), kafka_message_partition(m),
                  (long long)kafka_message_offset(m), kafka_message_errstr(m));
        st->invalid++;
        return true;
    }
    format_message(stdout, st->format, st->fmt_len, m);
    st->seen++;
    return st->limit < 0 || st->seen < st->limit;
}

/* Commits the position of every partition (the next offset to print). */
static int commit(agent_ctx_t *ctx, kafka_consumer_t *c) {
    char errstr[1024];
    fflush(stdout); /* committed means printed */
    if (kafka_consumer_commit_positions(c, false, errstr, sizeof(errstr))) {
        agent_err(ctx, "commit: %s", errstr);
        return AGENT_FAIL;
    }
    return AGENT_OK;
}

/* Every partition returned up to its high watermark. */
static bool at_end(kafka_consumer_t *c, const char *topic, const kafka_topic_partition_t *tps, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        int64_t hw = kafka_consumer_high_watermark(c, topic, tps[i].partition);
        if (hw < 0 || kafka_consumer_position(c, topic, tps[i].partition) < hw)
            return false;
    }
    return true;
}

/* ---- -G: a member of the consumer group ---- */

typedef struct member_state_s {
    const agent_ctx_t *ctx;
    const char *group;
    bool verbose;
} member_state_t;

/* What was printed is committed before partitions go; -v tells each change. */
static void on_rebalance(kafka_consumer_t *c, kafka_rebalance_event_t event, const kafka_topic_partition_t *tps,
                         size_t n, void *opaque) {
    member_state_t *ms = opaque;
    char errstr[1024];
    if (event == KAFKA_REBALANCE_REVOKED) {
        fflush(stdout);
        if (kafka_consumer_commit_positions(c, false, errstr, sizeof(errstr)))
            agent_err(ms->ctx, "group %s: commit before the partitions are revoked: %s", ms->group, errstr);
    }
    if (!ms->verbose)
        return;
    kafka_consumer_group_info_t info;
    kafka_consumer_group_info(c, &info);
    fflush(stdout);
    fprintf(stderr, "%s %s: group %s: %s:", ms->ctx->prog, ms->ctx->mode, ms->group,
            event == KAFKA_REBALANCE_ASSIGNED ? "assigned" : event == KAFKA_REBALANCE_REVOKED ? "revoked" : "lost");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s/%d", tps[i].topic, (int)tps[i].partition);
    fprintf(stderr, "%s (generation %d, %s, member %s%s)\n", n ? "" : " none", (int)info.generation,
            info.protocol[0] ? info.protocol : "-", info.member_id, info.leader ? ", leader" : "");
}

/* Every partition of the assignment returned up to its high watermark, the group stable. */
static bool group_at_end(kafka_consumer_t *c) {
    kafka_consumer_group_info_t info;
    if (kafka_consumer_group_info(c, &info) || strcmp(info.state, "stable") != 0)
        return false;
    kafka_topic_partition_t tps[1024];
    size_t n = kafka_consumer_assignment(c, tps, 1024);
    for (size_t i = 0; i < n && i < 1024; i++) {
        int64_t hw = kafka_consumer_high_watermark(c, tps[i].topic, tps[i].partition);
        if (hw < 0 || tps[i].offset < hw)
            return false;
    }
    return true;
}

static int consume_group(agent_ctx_t *ctx, const char *const *topics, size_t ntopics, const char *group,
                         const char *start, bool verbose, out_state_t *st, bool exit_at_end) {
    char errstr[1024];
    if (start) {
        bool begin = strcmp(start, "beginning") == 0, end = strcmp(start, "end") == 0;
        if (!begin && !end)
            return agent_usage_err(ctx, "-o %s: with -G only beginning or end (auto.offset.reset); partitions "
                                        "start at the group's committed offsets", start);
        kafka_conf_set(ctx->conf, "auto.offset.reset", begin ? "earliest" : "latest", errstr, sizeof(errstr));
    }
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK)
        return rc;
    kafka_consumer_t *c = kafka_consumer_new(ctx->conf, errstr, sizeof(errstr));
    if (!c) {
        agent_err(ctx, "%s", errstr);
        return AGENT_USAGE;
    }
    member_state_t ms = {ctx, group, verbose};
    kafka_consumer_set_rebalance_cb(c, on_rebalance, &ms);
    agent_metrics_t *metrics = NULL;
    agent_metrics_source_t src = agent_metrics_consumer_source(c);
    if ((rc = agent_metrics_open(ctx, ctx->metrics_listen, &src, AGENT_STALL_MS, &metrics)) != AGENT_OK)
        goto out;
    if (kafka_consumer_subscribe(c, topics, ntopics, errstr, sizeof(errstr))) {
        agent_err(ctx, "%s", errstr);
        rc = AGENT_USAGE;
        goto out;
    }
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    time_t last_commit = time(NULL);
    bool skipped = false;
    static kafka_message_t *batch[4096];
    while (!agent_stopping() && (st->limit < 0 || st->seen < st->limit)) {
        size_t n, max = st->limit >= 0 && st->limit - st->seen < 4096 ? (size_t)(st->limit - st->seen) : 4096;
        kafka_err_t e = kafka_consumer_poll(c, 200, batch, max, &n, errstr, sizeof(errstr));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET || e == KAFKA_ERR__MAX_POLL_EXCEEDED) { /* goes on */
            fflush(stdout);
            agent_err(ctx, "%s", errstr);
            skipped |= e == KAFKA_ERR__AUTO_OFFSET_RESET;
            continue;
        }
        if (e) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_FAIL;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            print_message(batch[i], st);
            kafka_message_destroy(batch[i]);
        }
        if (time(NULL) != last_commit) {
            fflush(stdout);
            /* A refusal in a rebalance is said; the next commit, in the new generation, covers it. */
            if (kafka_consumer_commit_positions(c, false, errstr, sizeof(errstr)))
                agent_err(ctx, "commit: %s", errstr);
            last_commit = time(NULL);
        }
        if (exit_at_end && !n && group_at_end(c))
            break;
    }
    if (commit(ctx, c) != AGENT_OK)
        rc = AGENT_FAIL;
    fflush(stdout);
    agent_log(ctx, AGENT_LOG_INFO, true, (const char *[]){"group", group, NULL}, "%lld messages as a member of group %s%s%s",
              st->seen, group, st->invalid ? " (and invalid ones, reported above)" : "",
              skipped ? " (messages were skipped by auto.offset.reset, reported above)" : "");
    if ((st->invalid || skipped) && rc == AGENT_OK)
        rc = AGENT_FAIL;
out:
    agent_metrics_stop(metrics);
    kafka_consumer_destroy(c); /* leaves the group */
    return rc;
}

int agent_consume(agent_ctx_t *ctx) {
    const char *topic = NULL, *group = NULL, *start = NULL;
    char *fmt = NULL;
    int64_t partition = -1, limit = -1;
    bool exit_at_end = false, verbose = false;
    const char **topics = calloc((size_t)ctx->argc + 1, sizeof(*topics));
    size_t ntopics = 0;
    if (!topics)
        return agent_usage_err(ctx, "out of memory");
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        bool v = i + 1 < ctx->argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            free(fmt);
            free(topics);
            return AGENT_OK;
        } else if (strcmp(a, "-t") == 0 && v) {
            topic = topics[ntopics++] = ctx->argv[++i];
        } else if (strcmp(a, "-v") == 0) {
            verbose = true;
        } else if (strcmp(a, "-p") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, INT32_MAX, &partition)) {
                free(fmt);
                free(topics);
                return agent_usage_err(ctx, "-p %s: a partition number >= 0 is expected", ctx->argv[i]);
            }
        } else if (strcmp(a, "-o") == 0 && v) {
            start = ctx->argv[++i];
        } else if (strcmp(a, "-e") == 0) {
            exit_at_end = true;
        } else if (strcmp(a, "-c") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, INT64_MAX, &limit)) {
                free(fmt);
                free(topics);
                return agent_usage_err(ctx, "-c %s: a count >= 0 is expected", ctx->argv[i]);
            }
        } else if (strcmp(a, "-f") == 0 && v) {
            free(fmt);
            fmt = strdup(ctx->argv[++i]);
        } else if (strcmp(a, "-G") == 0 && v) {
            group = ctx->argv[++i];
        } else {
            free(fmt);
            free(topics);
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
    }
    bool member = group && partition < 0 &&
                  kafka_conf_int(ctx->conf, KAFKA_CONF_OFFSETS_STORAGE) != KAFKA_OFFSETS_STORAGE_FILE;
    if (!topic || (ntopics > 1 && !member)) {
        free(fmt);
        free(topics);
        return agent_usage_err(ctx, !topic ? "-t TOPIC is required"
                                           : "-t is given once, unless -G joins a group (then it may repeat)");
    }
    size_t fmt_len = fmt ? agent_unescape(fmt) : 3;
    const char *format = fmt ? fmt : "%s\n";
    if (member) {
        char errstr[1024];
        int grc;
        if (kafka_conf_set(ctx->conf, "group.id", group, errstr, sizeof(errstr)))
            grc = agent_usage_err(ctx, "-G %s: %s", group, errstr);
        else {
            /* This mode commits what it printed itself. */
            kafka_conf_set(ctx->conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
            out_state_t st = {format, fmt_len, limit, 0, 0, ctx};
            grc = consume_group(ctx, topics, ntopics, group, start, verbose, &st, exit_at_end);
        }
        free(fmt);
        free(topics);
        return grc;
    }
    free(topics);
    /* Where to start: -o, else the group's committed offset (auto.offset.reset where
     * there is none), else the beginning. */
    int64_t offset = group ? KAFKA_OFFSET_STORED : KAFKA_OFFSET_BEGINNING, ts = -1;
    if (start) {
        if (strcmp(start, "beginning") == 0)
            offset = KAFKA_OFFSET_BEGINNING;
        else if (strcmp(start, "end") == 0)
            offset = KAFKA_OFFSET_END;
        else if (start[0] == '@' && agent_parse_i64(start + 1, 0, INT64_MAX, &ts))
            offset = KAFKA_OFFSET_AT_TIME(ts);
        else if (!agent_parse_i64(start, 0, INT64_MAX, &offset)) {
            free(fmt);
            return agent_usage_err(ctx, "-o %s: beginning, end, an offset or @MS", start);
        }
    }
    char errstr[1024];
    if (group && kafka_conf_set(ctx->conf, "group.id", group, errstr, sizeof(errstr))) {
        free(fmt);
        return agent_usage_err(ctx, "-G %s: %s", group, errstr);
    }
    /* This mode commits what it printed itself (every second and at exit). */
    kafka_conf_set(ctx->conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
    int rc = agent_brokers(ctx);
    if (rc != AGENT_OK) {
        free(fmt);
        return rc;
    }
    /* Which partitions: -p, or every one of the topic. */
    int32_t nparts = 1;
    if (partition < 0) {
        kafka_connection_t *conn = kafka_connection_new(ctx->conf, errstr, sizeof(errstr));
        if (!conn) {
            agent_err(ctx, "%s", errstr);
            free(fmt);
            return AGENT_USAGE;
        }
        int wait = (int)kafka_conf_int(ctx->conf, KAFKA_CONF_REQUEST_TIMEOUT_MS) * 4;
        kafka_err_t e = kafka_connection_wait_metadata(conn, topic, wait, errstr, sizeof(errstr));
        nparts = e ? -1 : kafka_connection_partition_count(conn, topic);
        kafka_connection_destroy(conn);
        if (nparts <= 0) {
            agent_err(ctx, "topic %s: %s", topic, e ? errstr : "no partitions");
            free(fmt);
            return e == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == KAFKA_ERR__TIMED_OUT ? AGENT_FAIL : AGENT_FAIL;
        }
    }
    kafka_consumer_t *c = kafka_consumer_new(ctx->conf, errstr, sizeof(errstr));
    if (!c) {
        agent_err(ctx, "%s", errstr);
        free(fmt);
        return AGENT_USAGE;
    }
    agent_metrics_t *metrics = NULL;
    agent_metrics_source_t src = agent_metrics_consumer_source(c);
    kafka_topic_partition_t *tps = calloc((size_t)nparts, sizeof(*tps));
    if ((rc = agent_metrics_open(ctx, ctx->metrics_listen, &src, AGENT_STALL_MS, &metrics)) != AGENT_OK)
        goto out;
    for (int32_t i = 0; i < nparts; i++)
        tps[i] = (kafka_topic_partition_t){topic, partition >= 0 ? (int32_t)partition : i, offset};
    kafka_err_t e = kafka_consumer_assign(c, tps, (size_t)nparts, errstr, sizeof(errstr));
    if (e) {
        agent_err(ctx, "%s", errstr);
        rc = AGENT_FAIL;
        goto out;
    }
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    out_state_t st = {format, fmt_len, limit, 0, 0, ctx};
    time_t last_commit = time(NULL);
    bool skipped = false; /* auto.offset.reset jumped past messages: reported, exit 1 */
    static kafka_message_t *batch[4096];
    while (!agent_stopping() && (limit < 0 || st.seen < limit)) {
        size_t n, max = limit >= 0 && limit - st.seen < 4096 ? (size_t)(limit - st.seen) : 4096;
        e = kafka_consumer_poll(c, 200, batch, max, &n, errstr, sizeof(errstr));
        if (e == KAFKA_ERR__AUTO_OFFSET_RESET) { /* the partition goes on past the gap */
            fflush(stdout);
            agent_err(ctx, "%s", errstr);
            skipped = true;
            continue;
        }
        if (e) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_FAIL;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            print_message(batch[i], &st);
            kafka_message_destroy(batch[i]);
        }
        if (group && time(NULL) != last_commit) {
            if (commit(ctx, c) != AGENT_OK)
                rc = AGENT_FAIL;
            last_commit = time(NULL);
        }
        if ((exit_at_end && !n && at_end(c, topic, tps, nparts)) || rc != AGENT_OK)
            break;
    }
    if (group && commit(ctx, c) != AGENT_OK)
        rc = AGENT_FAIL;
    fflush(stdout);
    agent_log(ctx, AGENT_LOG_INFO, true, (const char *[]){"topic", topic, NULL}, "%lld messages from %s%s%s", st.seen,
              topic, st.invalid ? " (and invalid ones, reported above)" : "",
              skipped ? " (messages were skipped by auto.offset.reset, reported above)" : "");
    if ((st.invalid || skipped) && rc == AGENT_OK)
        rc = AGENT_FAIL;
out:
    agent_metrics_stop(metrics);
    free(tps);
    kafka_consumer_destroy(c);
    free(fmt);
    return rc;
}
