/* Text commands: what kafka-mock reads on stdin, one per line, and tests can send. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mock/mock_int.h"

static const char help[] =
    "Commands (one per line):\n"
    "  topic NAME PARTITIONS [RF]          create a topic\n"
    "  delete-topic NAME                    delete a topic (created again, it gets a new topic id)\n"
    "  error API COUNT CODE [BROKER]        answer the next COUNT requests of API (name or key, e.g. Produce\n"
    "                                       or 0) with error CODE (number or name, e.g. NOT_LEADER_OR_FOLLOWER),\n"
    "                                       on BROKER only if given\n"
    "  leader TOPIC PARTITION BROKER        move a partition's leadership\n"
    "  down BROKER | up BROKER              take a broker down (listener and connections close) or up\n"
    "  latency BROKER MS                    delay every response of BROKER by MS\n"
    "  drop [API] [BROKER]                  cut the next response (of API, on BROKER) in half and close\n"
    "  retention BYTES                      bound every partition log to BYTES (0: unbounded)\n"
    "  message.max.bytes BYTES              refuse (MESSAGE_TOO_LARGE) a Produce partition holding a batch\n"
    "                                       over BYTES, 12-byte log overhead included (0: no limit)\n"
    "  offsets TOPIC PARTITION              print the log start offset and high watermark\n"
    "  sasl-fail N                          fail the next N SASL authentications (SASL_AUTHENTICATION_FAILED)\n"
    "  sasl-stats                           print the SASL authentications, re-authentications (KIP-368),\n"
    "                                       failures and connections closed for an ended session\n"
    "  damage TOPIC PARTITION OFFSET [crc|payload]\n"
    "                                       flip a byte in the stored batch holding OFFSET: its CRC fails\n"
    "                                       (crc, the default), or the CRC is rewritten (payload)\n"
    "  truncate TOPIC PARTITION OFFSET      unclean leader election: the log loses the batches from OFFSET\n"
    "                                       on, the leader epoch is bumped\n"
    "  group GROUP                          print a group's state, generation and member count\n"
    "  group-move GROUP BROKER              move a group's coordinator (members get NOT_COORDINATOR)\n"
    "  group-expire GROUP [MEMBER]          end a member's session (every member's without MEMBER)\n"
    "  txn ID                               print a transactional id's state, producer id, epoch, partitions\n"
    "  txn-move ID BROKER                   move a transactional id's coordinator (NOT_COORDINATOR on the old)\n"
    "  lso TOPIC PARTITION                  print a partition's last stable offset\n"
    "  fetch-sessions [evict|skew] [BROKER] print the fetch session counters (KIP-227); evict: drop the\n"
    "                                       sessions (their next Fetch: FETCH_SESSION_ID_NOT_FOUND); skew:\n"
    "                                       move their epochs on (INVALID_FETCH_SESSION_EPOCH)\n"
    "  help                                 this text\n";

const char *kafka_mock_command_help(void) { return help; }

static int16_t parse_api(const char *s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end)
        return kmock__api((int16_t)v) ? (int16_t)v : -1;
    for (int i = 0; i < kmock__napis; i++)
        if (strcasecmp(kafka_api_name(kmock__apis[i].key), s) == 0)
            return kmock__apis[i].key;
    return -1;
}

static bool parse_err(const char *s, kafka_err_t *err) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end) {
        *err = (kafka_err_t)v;
        return strcmp(kafka_err_name(*err), "UNKNOWN_CODE") != 0;
    }
    for (int code = -1; code < 1000; code++) {
        if (strcasecmp(kafka_err_name((kafka_err_t)code), s) == 0) {
            *err = (kafka_err_t)code;
            return true;
        }
    }
    return false;
}

static bool parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    if (!s)
        return false;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

#define REPLY(...) (snprintf(reply, reply_size, __VA_ARGS__), KAFKA_OK)
#define FAIL(e, ...) (snprintf(reply, reply_size, __VA_ARGS__), (e))

kafka_err_t kafka_mock_command(kafka_mock_t *m, const char *line, char *reply, size_t reply_size) {
    char buf[512], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", line);
    char *argv[8] = {0};
    int argc = 0;
    for (char *tok = strtok_r(buf, " \t\r\n", &save); tok && argc < 8; tok = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = tok;
    if (argc == 0)
        return REPLY("ok");
    const char *cmd = argv[0];
    long a, b, c;
    kafka_err_t err;
    if (!strcmp(cmd, "help"))
        return REPLY("%s", help);
    if (!strcmp(cmd, "topic")) {
        if (argc < 3 || !parse_int(argv[2], 1, 100000, &a) || (argc > 3 && !parse_int(argv[3], 1, 64, &b)))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: topic NAME PARTITIONS [RF]");
        err = kafka_mock_topic_create(m, argv[1], (int)a, argc > 3 ? (int)b : 1);
        return err ? FAIL(err, "topic %s: %s", argv[1], kafka_err2str(err)) : REPLY("ok topic %s", argv[1]);
    }
    if (!strcmp(cmd, "delete-topic")) {
        if (argc < 2)
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: delete-topic NAME");
        err = kafka_mock_topic_delete(m, argv[1]);
        return err ? FAIL(err, "delete-topic %s: %s", argv[1], kafka_err2str(err)) : REPLY("ok deleted %s", argv[1]);
    }
    if (!strcmp(cmd, "error")) {
        int16_t api = argc > 1 ? parse_api(argv[1]) : -1;
        if (argc < 4 || api < 0 || !parse_int(argv[2], 1, 1000000, &a) || !parse_err(argv[3], &err) ||
            (argc > 4 && !parse_int(argv[4], 1, m->nbrokers, &b)))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: error API COUNT CODE [BROKER] (API a served API, CODE a "
                                                "Kafka error name or number)");
        kafka_err_t e2 = kafka_mock_push_error(m, api, argc > 4 ? (int)b : -1, (int)a, err);
        return e2 ? FAIL(e2, "error: %s", kafka_err2str(e2))
                  : REPLY("ok %s x%ld -> %s", kafka_api_name(api), a, kafka_err_name(err));
    }
    if (!strcmp(cmd, "fetch-sessions")) {
        bool evict = argc > 1 && !strcmp(argv[1], "evict"), skew = argc > 1 && !strcmp(argv[1], "skew");
        if ((argc > 1 && !evict && !skew) || (argc > 2 && !parse_int(argv[2], 1, m->nbrokers, &a)))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: fetch-sessions [evict|skew] [BROKER]");
        int broker = argc > 2 ? (int)a : -1;
        if (evict || skew) {
            int n = evict ? kafka_mock_fetch_sessions_evict(m, broker) : kafka_mock_fetch_sessions_skew(m, broker);
            return REPLY("ok %s %d sessions", evict ? "evicted" : "skewed", n);
        }
        kafka_mock_fetch_stats_t st;
        kafka_mock_fetch_stats(m, &st);
        return REPLY("ok sessions=%lld created=%lld evicted=%lld full=%lld incremental=%lld session_errors=%lld "
                     "fetches=%lld partitions=%lld forgotten=%lld by_topic_id=%lld",
                     (long long)st.sessions, (long long)st.created, (long long)st.evicted,
                     (long long)st.full_fetches, (long long)st.incremental_fetches, (long long)st.session_errors,
                     (long long)st.fetch_requests, (long long)st.request_partitions,
                     (long long)st.forgotten_partitions, (long long)st.by_topic_id);
    }
    if (!strcmp(cmd, "leader")) {
        if (argc < 4 || !parse_int(argv[2], 0, 100000, &a) || !parse_int(argv[3], 1, m->nbrokers, &b))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: leader TOPIC PARTITION BROKER");
        err = kafka_mock_partition_set_leader(m, argv[1], (int)a, (int)b);
        return err ? FAIL(err, "leader: %s", kafka_err2str(err)) : REPLY("ok %s/%ld leader %ld", argv[1], a, b);
    }
    if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
        if (argc < 2 || !parse_int(argv[1], 1, m->nbrokers, &a))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: %s BROKER (1..%d)", cmd, m->nbrokers);
        err = kafka_mock_broker_set_down(m, (int)a, cmd[0] == 'd');
        return err ? FAIL(err, "%s: %s", cmd, kafka_err2str(err)) : REPLY("ok broker %ld %s", a, cmd);
    }
    if (!strcmp(cmd, "latency")) {
        if (argc < 3 || !parse_int(argv[1], 1, m->nbrokers, &a) || !parse_int(argv[2], 0, 3600000, &b))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: latency BROKER MS");
        kafka_mock_broker_set_latency(m, (int)a, (int)b);
        return REPLY("ok broker %ld latency %ld ms", a, b);
    }
    if (!strcmp(cmd, "drop")) {
        int16_t api = argc > 1 ? parse_api(argv[1]) : -1;
        if ((argc > 1 && api < 0) || (argc > 2 && !parse_int(argv[2], 1, m->nbrokers, &b)))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: drop [API] [BROKER]");
        kafka_mock_drop_next_response(m, api, argc > 2 ? (int)b : -1);
        return REPLY("ok drop next %s response", api < 0 ? "any" : kafka_api_name(api));
    }
    if (!strcmp(cmd, "retention")) {
        if (argc < 2 || !parse_int(argv[1], 0, 1L << 40, &a))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: retention BYTES");
        kafka_mock_set_retention(m, (size_t)a);
        return REPLY("ok retention %ld", a);
    }
    if (!strcmp(cmd, "message.max.bytes")) {
        if (argc < 2 || !parse_int(argv[1], 0, INT_MAX, &a))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: message.max.bytes BYTES");
        kafka_mock_set_message_max_bytes(m, (size_t)a);
        return REPLY("ok message.max.bytes %ld", a);
    }
    if (!strcmp(cmd, "sasl-fail")) {
        if (argc < 2 || !parse_int(argv[1], 0, 1000000, &a))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: sasl-fail N");
        kafka_mock_sasl_fail(m, (int)a);
        return REPLY("ok sasl-fail %ld", a);
    }
    if (!strcmp(cmd, "sasl-stats")) {
        kafka_mock_sasl_stats_t st;
        kafka_mock_sasl_stats(m, &st);
        return REPLY("ok authentications=%lld reauthentications=%lld failures=%lld expired_closes=%lld "
                     "max_reauths_per_connection=%lld",
                     (long long)st.authentications, (long long)st.reauthentications, (long long)st.failures,
                     (long long)st.expired_closes, (long long)st.max_reauths_per_connection);
    }
    if (!strcmp(cmd, "offsets")) {
        int64_t ls, hw;
        if (argc < 3 || !parse_int(argv[2], 0, 100000, &c))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: offsets TOPIC PARTITION");
        err = kafka_mock_partition_offsets(m, argv[1], (int)c, &ls, &hw);
        return err ? FAIL(err, "offsets: %s", kafka_err2str(err))
                   : REPLY("ok %s/%ld log_start=%lld high_watermark=%lld", argv[1], c, (long long)ls, (long long)hw);
    }
    if (!strcmp(cmd, "damage")) {
        bool keep_crc = argc > 4 && !strcmp(argv[4], "payload");
        if (argc < 4 || !parse_int(argv[2], 0, 100000, &a) || !parse_int(argv[3], 0, LONG_MAX, &b) ||
            (argc > 4 && !keep_crc && strcmp(argv[4], "crc") != 0))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: damage TOPIC PARTITION OFFSET [crc|payload]");
        err = kafka_mock_partition_damage(m, argv[1], (int)a, b, keep_crc);
        return err ? FAIL(err, "damage %s/%ld at %ld: %s", argv[1], a, b, kafka_err2str(err))
                   : REPLY("ok %s/%ld damaged at offset %ld (%s)", argv[1], a, b, keep_crc ? "payload" : "crc");
    }
    if (!strcmp(cmd, "truncate")) {
        int64_t end = -1;
        if (argc < 4 || !parse_int(argv[2], 0, 100000, &a) || !parse_int(argv[3], 0, LONG_MAX, &b))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: truncate TOPIC PARTITION OFFSET");
        err = kafka_mock_partition_truncate(m, argv[1], (int)a, b, &end);
        return err ? FAIL(err, "truncate %s/%ld at %ld: %s", argv[1], a, b, kafka_err2str(err))
                   : REPLY("ok %s/%ld truncated: log end %lld", argv[1], a, (long long)end);
    }
    if (!strcmp(cmd, "group")) {
        char state[32];
        int32_t gen;
        int n;
        if (argc < 2)
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: group GROUP");
        err = kafka_mock_group_state(m, argv[1], state, sizeof(state), &gen, &n);
        return err ? FAIL(err, "group %s: %s", argv[1], kafka_err2str(err))
                   : REPLY("ok group %s state=%s generation=%d members=%d", argv[1], state, (int)gen, n);
    }
    if (!strcmp(cmd, "group-move")) {
        if (argc < 3 || !parse_int(argv[2], 1, m->nbrokers, &a))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: group-move GROUP BROKER");
        err = kafka_mock_group_move(m, argv[1], (int)a);
        return err ? FAIL(err, "group-move: %s", kafka_err2str(err)) : REPLY("ok group %s coordinator %ld", argv[1], a);
    }
    if (!strcmp(cmd, "group-expire")) {
        if (argc < 2)
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: group-expire GROUP [MEMBER]");
        err = kafka_mock_group_expire(m, argv[1], argc > 2 ? argv[2] : NULL);
        return err ? FAIL(err, "group-expire: %s", kafka_err2str(err))
                   : REPLY("ok group %s expired %s", argv[1], argc > 2 ? argv[2] : "every member");
    }
    if (!strcmp(cmd, "txn")) {
        char state[32];
        int64_t pid;
        int16_t epoch;
        int n;
        if (argc < 2)
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: txn ID");
        err = kafka_mock_txn_state(m, argv[1], state, sizeof(state), &pid, &epoch, &n);
        return err ? FAIL(err, "txn %s: %s", argv[1], kafka_err2str(err))
                   : REPLY("ok txn %s state=%s producer_id=%lld epoch=%d partitions=%d", argv[1], state,
                           (long long)pid, (int)epoch, n);
    }
    if (!strcmp(cmd, "txn-move")) {
        if (argc < 3 || !parse_int(argv[2], 1, m->nbrokers, &a))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: txn-move ID BROKER");
        err = kafka_mock_txn_move(m, argv[1], (int)a);
        return err ? FAIL(err, "txn-move: %s", kafka_err2str(err)) : REPLY("ok txn %s coordinator %ld", argv[1], a);
    }
    if (!strcmp(cmd, "lso")) {
        int64_t lso;
        if (argc < 3 || !parse_int(argv[2], 0, 100000, &c))
            return FAIL(KAFKA_ERR__INVALID_ARG, "usage: lso TOPIC PARTITION");
        err = kafka_mock_partition_lso(m, argv[1], (int)c, &lso);
        return err ? FAIL(err, "lso: %s", kafka_err2str(err))
                   : REPLY("ok %s/%ld last_stable_offset=%lld", argv[1], c, (long long)lso);
    }
    return FAIL(KAFKA_ERR__INVALID_ARG, "unknown command '%s' (try: help)", cmd);
}
