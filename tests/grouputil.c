#include "grouputil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void on_rebalance(kafka_consumer_t *c, kafka_rebalance_event_t event, const kafka_topic_partition_t *tps,
                         size_t n, void *opaque) {
    gu_member_t *mb = opaque;
    if (event >= 1 && event <= 3)
        mb->events[event]++;
    if (event == KAFKA_REBALANCE_REVOKED && mb->commit_on_revoke) {
        char err[600];
        kafka_err_t e = kafka_consumer_commit_positions(c, false, err, sizeof(err));
        if (e)
            fprintf(stderr, "commit in the revoke callback: %s\n", err);
    }
    for (size_t i = 0; i < n; i++) {
        if (mb->topic)
            CU_ASSERT_STRING_EQUAL(tps[i].topic, mb->topic);
        if (tps[i].partition >= 0 && tps[i].partition < GU_MAXPART)
            mb->assigned[tps[i].partition] = event == KAFKA_REBALANCE_ASSIGNED;
    }
}

void gu_start(gu_member_t *mb, const char *bootstrap, const char *group, const char *strategy, const char *topic,
              const char *const *kv, int *seen, size_t nmsg, const char *prefix) {
    memset(mb, 0, sizeof(*mb));
    mb->topic = topic;
    mb->prefix = prefix;
    mb->seen = seen;
    mb->nmsg = nmsg;
    const char *base[40] = {"group.id", group, "partition.assignment.strategy", strategy, "session.timeout.ms", "6000",
                            "heartbeat.interval.ms", "100", "auto.offset.reset", "earliest", "auto.commit.interval.ms",
                            "200", "metadata.max.age.ms", "1000"};
    size_t k = 14;
    for (const char *const *p = kv; p && *p && k < 38; p += 2) {
        base[k++] = p[0];
        base[k++] = p[1];
        if (strcmp(p[0], "enable.auto.commit") == 0 && strcmp(p[1], "false") == 0)
            mb->commit_on_revoke = true;
    }
    base[k] = NULL;
    mb->c = kafka_test_consumer(bootstrap, base);
    kafka_consumer_set_rebalance_cb(mb->c, on_rebalance, mb);
    char err[600];
    const char *topics[] = {topic};
    kafka_err_t e = kafka_consumer_subscribe(mb->c, topics, 1, err, sizeof(err));
    if (e)
        fprintf(stderr, "subscribe: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(e, KAFKA_OK);
}

int gu_poll(gu_member_t *mb, int timeout_ms) {
    kafka_message_t *msgs[256];
    size_t n = 0;
    kafka_err_t e = kafka_consumer_poll(mb->c, timeout_ms, msgs, 256, &n, mb->errstr, sizeof(mb->errstr));
    if (e) {
        mb->errors++;
        mb->last_err = e;
        mb->sync_refused += e == KAFKA_ERR_INVALID_REQUEST && strstr(mb->errstr, "SyncGroup") != NULL;
        fprintf(stderr, "member poll: %s: %s\n", kafka_err_name(e), mb->errstr);
    }
    size_t plen = strlen(mb->prefix);
    for (size_t i = 0; i < n; i++) {
        int32_t len;
        const char *v = kafka_message_payload(msgs[i], &len);
        int32_t p = kafka_message_partition(msgs[i]);
        CU_ASSERT(p >= 0 && p < GU_MAXPART && mb->assigned[p]); /* only from a partition it holds */
        if (v && len > (int32_t)plen && memcmp(v, mb->prefix, plen) == 0) {
            size_t idx = strtoul(v + plen, NULL, 10);
            if (idx < mb->nmsg)
                mb->seen[idx]++;
        }
        kafka_message_destroy(msgs[i]);
    }
    mb->got += (int)n;
    return (int)n;
}

int gu_nassigned(const gu_member_t *mb) {
    int n = 0;
    for (int p = 0; p < GU_MAXPART; p++)
        n += mb->assigned[p];
    return n;
}

void gu_stop(gu_member_t *mb) {
    kafka_consumer_destroy(mb->c);
    mb->c = NULL;
}

void gu_tally(const int *seen, size_t n, size_t *none, size_t *once, size_t *more) {
    *none = *once = *more = 0;
    for (size_t i = 0; i < n; i++) {
        if (seen[i] == 0)
            ++*none;
        else if (seen[i] == 1)
            ++*once;
        else
            ++*more;
    }
}

bool gu_all_stable(gu_member_t **mbs, int n) {
    int32_t gen = -2;
    for (int i = 0; i < n; i++) {
        kafka_consumer_group_info_t info;
        if (kafka_consumer_group_info(mbs[i]->c, &info) || strcmp(info.state, "stable") != 0)
            return false;
        if (gen != -2 && info.generation != gen)
            return false;
        gen = info.generation;
    }
    return true;
}

bool gu_all_seen(const int *seen, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            return false;
    return true;
}

bool gu_split_ok(gu_member_t **mbs, int n, int npart) {
    for (int p = 0; p < npart; p++) {
        int holders = 0;
        for (int i = 0; i < n; i++)
            holders += mbs[i]->c && mbs[i]->assigned[p];
        if (holders != 1)
            return false;
    }
    return true;
}

void gu_expect_once(const int *seen, size_t n, const char *what) {
    size_t none, once, more;
    gu_tally(seen, n, &none, &once, &more);
    if (none || more)
        fprintf(stderr, "%s: %zu never consumed, %zu once, %zu more than once\n", what, none, once, more);
    CU_ASSERT_EQUAL(none, 0);
    CU_ASSERT_EQUAL(more, 0);
}

int64_t gu_committed_sum(const char *bootstrap, const char *group, const char *topic, int npart) {
    const char *kv[] = {"group.id", group, NULL};
    kafka_consumer_t *c = kafka_test_consumer(bootstrap, kv);
    int64_t sum = 0;
    for (int p = 0; p < npart; p++) {
        int64_t off = -1;
        char err[512];
        CU_ASSERT_EQUAL(kafka_consumer_committed(c, topic, p, &off, err, sizeof(err)), KAFKA_OK);
        sum += off > 0 ? off : 0;
    }
    kafka_consumer_destroy(c);
    return sum;
}
