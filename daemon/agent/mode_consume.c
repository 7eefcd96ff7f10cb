/* kafka-agent consume: messages of a topic on stdout, formatted as kcat's -f.
 *
 *   kafka-agent consume -t TOPIC [-p PART] [-o beginning|end|OFFSET|@MS] [-e] [-c N]
 *                       [-f FMT] [-G GROUP] */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "kafka/connection.h"
#include "kafka/consumer.h"
#include "fetch_loop.h"

static const char help[] =
    "usage: kafka-agent consume -t TOPIC [-p PART] [-o beginning|end|OFFSET|@MS] [-e] [-c N]\n"
    "                           [-f FMT] [-G GROUP]\n"
    "\n"
    "Prints the messages of TOPIC (every partition, or -p PART) on stdout.\n"
    "  -o  where to start: beginning (the default without -G), end, an offset, or @MS the first\n"
    "      message at or after MS milliseconds since the epoch\n"
    "  -e  exit once every partition is read to its end\n"
    "  -c  exit after N messages\n"
    "  -G  commit offsets for GROUP (group.id; offsets.storage=kafka, or =file with\n"
    "      offsets.file=PATH): without -o, each partition starts at the group's committed\n"
    "      offset (else auto.offset.reset, whose default is latest), and what is printed is\n"
    "      committed every second and at exit, so a rerun resumes where it stopped\n"
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

/* Commits every cursor's position (the next offset to print). */
static int commit_positions(agent_ctx_t *ctx, kafka_consumer_t *c, const char *topic, const agent_cursor_t *cur,
                            int32_t n) {
    kafka_topic_partition_t *tps = calloc((size_t)n, sizeof(*tps));
    size_t k = 0;
    for (int32_t i = 0; i < n; i++)
        if (cur[i].offset >= 0)
            tps[k++] = (kafka_topic_partition_t){topic, cur[i].partition, cur[i].offset};
    char errstr[1024];
    kafka_err_t e = k ? kafka_consumer_commit(c, tps, k, errstr, sizeof(errstr)) : KAFKA_OK;
    free(tps);
    if (e) {
        agent_err(ctx, "commit: %s", errstr);
        return AGENT_FAIL;
    }
    return AGENT_OK;
}

int agent_consume(agent_ctx_t *ctx) {
    const char *topic = NULL, *group = NULL, *start = NULL;
    char *fmt = NULL;
    int64_t partition = -1, limit = -1;
    bool exit_at_end = false;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        bool v = i + 1 < ctx->argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            free(fmt);
            return AGENT_OK;
        } else if (strcmp(a, "-t") == 0 && v) {
            topic = ctx->argv[++i];
        } else if (strcmp(a, "-p") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, INT32_MAX, &partition)) {
                free(fmt);
                return agent_usage_err(ctx, "-p %s: a partition number >= 0 is expected", ctx->argv[i]);
            }
        } else if (strcmp(a, "-o") == 0 && v) {
            start = ctx->argv[++i];
        } else if (strcmp(a, "-e") == 0) {
            exit_at_end = true;
        } else if (strcmp(a, "-c") == 0 && v) {
            if (!agent_parse_i64(ctx->argv[++i], 0, INT64_MAX, &limit)) {
                free(fmt);
                return agent_usage_err(ctx, "-c %s: a count >= 0 is expected", ctx->argv[i]);
            }
        } else if (strcmp(a, "-f") == 0 && v) {
            free(fmt);
            fmt = strdup(ctx->argv[++i]);
        } else if (strcmp(a, "-G") == 0 && v) {
            group = ctx->argv[++i];
        } else {
            free(fmt);
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
    }
    if (!topic) {
        free(fmt);
        return agent_usage_err(ctx, "-t TOPIC is required");
    }
    size_t fmt_len = fmt ? agent_unescape(fmt) : 3;
    const char *format = fmt ? fmt : "%s\n";
    int64_t offset = KAFKA_OFFSET_EARLIEST, ts = -1;
    if (start) {
        if (strcmp(start, "beginning") == 0)
            offset = KAFKA_OFFSET_EARLIEST;
        else if (strcmp(start, "end") == 0)
            offset = KAFKA_OFFSET_LATEST;
        else if (start[0] == '@' && agent_parse_i64(start + 1, 0, INT64_MAX, &ts))
            offset = KAFKA_OFFSET_EARLIEST;
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
    agent_cursor_t *cur = calloc((size_t)nparts, sizeof(*cur));
    for (int32_t i = 0; i < nparts; i++)
        cur[i].partition = partition >= 0 ? (int32_t)partition : i;
    kafka_err_t e = agent_cursors_start(c, topic, cur, nparts, ts >= 0 ? KAFKA_OFFSET_EARLIEST : offset, ts, errstr,
                                        sizeof(errstr));
    if (e) {
        agent_err(ctx, "%s", errstr);
        rc = AGENT_FAIL;
        goto out;
    }
    if (group && !start) {
        /* Resume where the group stopped; auto.offset.reset where it has no offset. */
        bool latest = kafka_conf_int(ctx->conf, KAFKA_CONF_AUTO_OFFSET_RESET) == KAFKA_OFFSET_RESET_LATEST;
        for (int32_t i = 0; i < nparts; i++) {
            int64_t committed;
            if ((e = kafka_consumer_committed(c, topic, cur[i].partition, &committed, errstr, sizeof(errstr)))) {
                agent_err(ctx, "%s", errstr);
                rc = AGENT_FAIL;
                goto out;
            }
            if (committed >= 0)
                cur[i].offset = committed;
            else if (latest && cur[i].hw >= 0)
                cur[i].offset = cur[i].hw;
        }
    }
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    out_state_t st = {format, fmt_len, limit, 0, 0, ctx};
    time_t last_commit = time(NULL);
    while (!agent_stopping() && (limit < 0 || st.seen < limit)) {
        bool at_end, stopped;
        e = agent_fetch_round(c, topic, cur, nparts, exit_at_end, print_message, &st, &at_end, &stopped, errstr,
                              sizeof(errstr));
        if (e) {
            agent_err(ctx, "%s", errstr);
            rc = AGENT_FAIL;
            break;
        }
        if (group && time(NULL) != last_commit) {
            fflush(stdout); /* committed means printed */
            if (commit_positions(ctx, c, topic, cur, nparts) != AGENT_OK)
                rc = AGENT_FAIL;
            last_commit = time(NULL);
        }
        if (stopped || (exit_at_end && at_end) || rc != AGENT_OK)
            break;
    }
    fflush(stdout);
    if (group && commit_positions(ctx, c, topic, cur, nparts) != AGENT_OK)
        rc = AGENT_FAIL;
    fprintf(stderr, "%s consume: %lld messages from %s%s\n", ctx->prog, st.seen, topic,
            st.invalid ? " (and invalid ones, reported above)" : "");
    if (st.invalid && rc == AGENT_OK)
        rc = AGENT_FAIL;
out:
    free(cur);
    kafka_consumer_destroy(c);
    free(fmt);
    return rc;
}
