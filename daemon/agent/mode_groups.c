/* kafka-agent groups: the cluster's consumer groups, or one group's state, members,
 * assignment, committed offsets and lag (what kafka-consumer-groups.sh --list and
 * --describe show).
 *
 *   kafka-agent groups [-G GROUP] [--json] [--timeout MS] */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "alog.h"

static const char help[] =
    "usage: kafka-agent groups [-G GROUP] [--json] [--timeout MS]\n"
    "\n"
    "Without -G: every group of the cluster (ListGroups on each broker), one a line: group id,\n"
    "protocol type, state (\"-\" from brokers before Kafka 2.6) and coordinator.\n"
    "With -G GROUP: the group's state, assignor and members (member id, group.instance.id,\n"
    "client id, host, assigned partitions; for a KIP-848 group, described with\n"
    "ConsumerGroupDescribe, also the group and assignment epochs, each member's epoch and\n"
    "its target assignment when it differs), then one line per partition it committed to or\n"
    "has assigned: topic, partition, committed offset, log end offset, lag (end - committed)\n"
    "and the member consuming it (\"-\" for none or unknown), and the total lag.\n"
    "--json prints one JSON object instead. --timeout MS bounds the call, retries of a\n"
    "coordinator not available included (default: request.timeout.ms, at least 30000).\n"
    "Exit status 1 when the group does not exist or its coordinator cannot be reached.\n\n";

/* s as a JSON string on stdout (escaped, bytes that are not UTF-8 as U+FFFD). */
static void json_str(const char *s) {
    size_t len = s ? strlen(s) : 0, cap = len * 6 + 64, pos = 0; /* agent_json_string keeps 32 spare */
    char *buf = malloc(cap);
    if (!buf) {
        fputs("\"\"", stdout);
        return;
    }
    agent_json_string(buf, cap, &pos, s ? s : "", len);
    fwrite(buf, 1, pos, stdout);
    free(buf);
}

static int list_groups(agent_ctx_t *ctx, agent_admin_t *adm, int timeout_ms, bool json) {
    kafka_err_t err;
    char errstr[2048];
    kafka_group_list_t *gl = kafka_connection_list_groups(adm->c, timeout_ms, &err, errstr, sizeof(errstr));
    if (!gl) {
        agent_err(ctx, "cannot list the groups: %s: %s", kafka_err_name(err), errstr);
        return AGENT_FAIL;
    }
    int n = kafka_group_list_count(gl);
    if (json) {
        printf("{\"groups\":[");
        for (int i = 0; i < n; i++) {
            const kafka_group_listing_t *l = kafka_group_list_entry(gl, i);
            printf("%s{\"group\":", i ? "," : "");
            json_str(l->group_id);
            printf(",\"protocol_type\":");
            json_str(l->protocol_type);
            printf(",\"state\":");
            json_str(l->state);
            printf(",\"coordinator\":%" PRId32 "}", l->coordinator);
        }
        printf("]}\n");
    } else {
        printf("%d group%s\n", n, n == 1 ? "" : "s");
        if (n)
            printf("%-30s %-14s %-20s %s\n", "GROUP", "PROTOCOL-TYPE", "STATE", "COORDINATOR");
        for (int i = 0; i < n; i++) {
            const kafka_group_listing_t *l = kafka_group_list_entry(gl, i);
            printf("%-30s %-14s %-20s %" PRId32 "\n", l->group_id, l->protocol_type[0] ? l->protocol_type : "-",
                   l->state[0] ? l->state : "-", l->coordinator);
        }
    }
    kafka_group_list_destroy(gl);
    return AGENT_OK;
}

static void json_tps(const kafka_group_tp_t *tps, int n) {
    printf("[");
    for (int k = 0; k < n; k++) {
        printf("%s{\"topic\":", k ? "," : "");
        json_str(tps[k].topic);
        printf(",\"partition\":%" PRId32 "}", tps[k].partition);
    }
    printf("]");
}

static bool same_tps(const kafka_group_member_t *m) {
    if (m->nassigned != m->ntarget)
        return false;
    for (int k = 0; k < m->nassigned; k++)
        if (m->assigned[k].partition != m->target[k].partition || strcmp(m->assigned[k].topic, m->target[k].topic))
            return false;
    return true;
}

static void print_json(const kafka_group_t *g) {
    printf("{\"group\":");
    json_str(kafka_group_id(g));
    printf(",\"state\":");
    json_str(kafka_group_state(g));
    printf(",\"protocol_type\":");
    json_str(kafka_group_protocol_type(g));
    printf(",\"protocol\":");
    json_str(kafka_group_protocol(g));
    printf(",\"type\":");
    json_str(kafka_group_type(g));
    printf(",\"group_epoch\":%" PRId32 ",\"assignment_epoch\":%" PRId32, kafka_group_epoch(g),
           kafka_group_assignment_epoch(g));
    printf(",\"coordinator\":%" PRId32 ",\"members\":[", kafka_group_coordinator(g));
    for (int i = 0; i < kafka_group_member_count(g); i++) {
        const kafka_group_member_t *m = kafka_group_member(g, i);
        printf("%s{\"member_id\":", i ? "," : "");
        json_str(m->member_id);
        printf(",\"group_instance_id\":");
        if (m->group_instance_id)
            json_str(m->group_instance_id);
        else
            printf("null");
        printf(",\"client_id\":");
        json_str(m->client_id);
        printf(",\"host\":");
        json_str(m->client_host);
        printf(",\"assignment\":");
        json_tps(m->assigned, m->nassigned);
        if (strcmp(kafka_group_type(g), "consumer") == 0) {
            printf(",\"member_epoch\":%" PRId32 ",\"rack_id\":", m->member_epoch);
            if (m->rack_id)
                json_str(m->rack_id);
            else
                printf("null");
            printf(",\"target_assignment\":");
            json_tps(m->target, m->ntarget);
        }
        printf("}");
    }
    printf("],\"partitions\":[");
    for (int i = 0; i < kafka_group_partition_count(g); i++) {
        const kafka_group_partition_t *p = kafka_group_partition(g, i);
        printf("%s{\"topic\":", i ? "," : "");
        json_str(p->topic);
        printf(",\"partition\":%" PRId32 ",\"committed\":%" PRId64 ",\"end\":%" PRId64 ",\"lag\":%" PRId64
               ",\"member_id\":",
               p->partition, p->committed, p->end, p->lag);
        if (p->member >= 0)
            json_str(kafka_group_member(g, p->member)->member_id);
        else
            printf("null");
        printf(",\"error\":");
        if (p->err)
            json_str(kafka_err_name(p->err));
        else
            printf("null");
        printf("}");
    }
    printf("],\"total_lag\":%" PRId64 "}\n", kafka_group_total_lag(g));
}

static void print_text(const kafka_group_t *g) {
    const char *proto = kafka_group_protocol(g);
    int nm = kafka_group_member_count(g);
    bool kip848 = strcmp(kafka_group_type(g), "consumer") == 0;
    printf("group \"%s\": state %s, protocol %s%s%s, coordinator broker %" PRId32 ", %d member%s",
           kafka_group_id(g), kafka_group_state(g),
           kafka_group_protocol_type(g)[0] ? kafka_group_protocol_type(g) : "-", proto[0] ? "/" : "", proto,
           kafka_group_coordinator(g), nm, nm == 1 ? "" : "s");
    if (kip848)
        printf(", KIP-848 group epoch %" PRId32 ", assignment epoch %" PRId32, kafka_group_epoch(g),
               kafka_group_assignment_epoch(g));
    printf("\n");
    for (int i = 0; i < nm; i++) {
        const kafka_group_member_t *m = kafka_group_member(g, i);
        printf("  member %s", m->member_id);
        if (m->group_instance_id)
            printf(" (group.instance.id %s)", m->group_instance_id);
        printf(", client %s, host %s", m->client_id, m->client_host);
        if (kip848)
            printf(", epoch %" PRId32, m->member_epoch);
        printf(": ");
        if (!m->assignment_decoded)
            printf("assignment not readable");
        else if (!m->nassigned)
            printf("no partitions");
        for (int k = 0; k < m->nassigned; k++)
            printf("%s%s/%" PRId32, k ? " " : "", m->assigned[k].topic, m->assigned[k].partition);
        printf("\n");
        if (kip848 && !same_tps(m)) {
            printf("    target:");
            if (!m->ntarget)
                printf(" no partitions");
            for (int k = 0; k < m->ntarget; k++)
                printf(" %s/%" PRId32, m->target[k].topic, m->target[k].partition);
            printf("\n");
        }
    }
    int np = kafka_group_partition_count(g);
    if (np)
        printf("%-24s %9s %12s %12s %10s  %s\n", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER");
    for (int i = 0; i < np; i++) {
        const kafka_group_partition_t *p = kafka_group_partition(g, i);
        char c[24] = "-", e[24] = "-", l[24] = "-";
        if (p->committed >= 0)
            snprintf(c, sizeof(c), "%" PRId64, p->committed);
        if (p->end >= 0)
            snprintf(e, sizeof(e), "%" PRId64, p->end);
        if (p->lag >= 0)
            snprintf(l, sizeof(l), "%" PRId64, p->lag);
        printf("%-24s %9" PRId32 " %12s %12s %10s  %s", p->topic, p->partition, c, e, l,
               p->member >= 0 ? kafka_group_member(g, p->member)->member_id : "-");
        if (p->err)
            printf("  (%s)", kafka_err_name(p->err));
        printf("\n");
    }
    printf("total lag %" PRId64 "\n", kafka_group_total_lag(g));
}

int agent_groups(agent_ctx_t *ctx) {
    const char *group = NULL;
    bool json = false;
    int64_t timeout_ms = -1;
    for (int i = 1; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            fputs(agent_common_help, stdout);
            return AGENT_OK;
        } else if (strcmp(a, "-G") == 0 && i + 1 < ctx->argc) {
            group = ctx->argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < ctx->argc) {
            if (!agent_parse_i64(ctx->argv[++i], 1, INT32_MAX, &timeout_ms))
                return agent_usage_err(ctx, "--timeout %s: milliseconds, 1..2147483647", ctx->argv[i]);
        } else {
            return agent_usage_err(ctx, "unknown option or missing value: %s", a);
        }
    }
    if (group && !*group)
        return agent_usage_err(ctx, "-G wants a group id");
    agent_admin_t adm;
    int rc = agent_admin_open(ctx, &adm);
    if (rc != AGENT_OK)
        return rc;
    if (timeout_ms < 0)
        timeout_ms = agent_admin_timeout(ctx);
    if (!group) {
        rc = list_groups(ctx, &adm, (int)timeout_ms, json);
    } else {
        kafka_err_t err;
        char errstr[2048];
        kafka_group_t *g =
            kafka_connection_describe_group(adm.c, group, (int)timeout_ms, &err, errstr, sizeof(errstr));
        if (g) {
            if (json)
                print_json(g);
            else
                print_text(g);
            kafka_group_destroy(g);
        } else {
            agent_err(ctx, "cannot describe group \"%s\": %s: %s", group, kafka_err_name(err), errstr);
            rc = AGENT_FAIL;
        }
    }
    fflush(stdout);
    agent_admin_close(&adm);
    return rc;
}
