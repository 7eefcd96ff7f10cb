/* Group members of ours for the consumer group suites: a consumer subscribed to one
 * topic, its assignment as the rebalance callback told it, and the messages it polled
 * counted per message index (kafka_test_produce's "prefix<i>|..." values) in a table
 * shared by the members of a test. */
#ifndef KAFKA_TEST_GROUPUTIL_H
#define KAFKA_TEST_GROUPUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "kafka/consumer.h"

#define GU_MAXPART 16

typedef struct gu_member_s {
    kafka_consumer_t *c;
    const char *topic, *prefix;
    int assigned[GU_MAXPART]; /* per partition of topic, per the callback */
    int events[4];            /* callbacks per kafka_rebalance_event_t */
    int *seen;                /* shared: per message index, how often polled */
    size_t nmsg;
    int got;                  /* messages it polled */
    int errors;               /* poll errors */
    int sync_refused;         /* of which SyncGroup INVALID_REQUEST (librdkafka's mock: a late follower) */
    kafka_err_t last_err;
    char errstr[600];
    bool commit_on_revoke;    /* the callback commits (enable.auto.commit=false) */
} gu_member_t;

/* Starts mb: a consumer of ours in group with strategy, subscribed to topic, with test
 * settings (session 6 s, heartbeat 100 ms, earliest, auto commit every 200 ms) then kv
 * (NULL-terminated pairs, may be NULL). */
void gu_start(gu_member_t *mb, const char *bootstrap, const char *group, const char *strategy, const char *topic,
              const char *const *kv, int *seen, size_t nmsg, const char *prefix);
/* One poll of up to timeout_ms; counts what came. Returns the number of messages. */
int gu_poll(gu_member_t *mb, int timeout_ms);
/* Partitions assigned now. */
int gu_nassigned(const gu_member_t *mb);
/* Destroys the consumer (commits, leaves a dynamic member). */
void gu_stop(gu_member_t *mb);
/* Indexes i < n whose count is 0, 1 and more. */
void gu_tally(const int *seen, size_t n, size_t *none, size_t *once, size_t *more);
/* The group's state on its coordinator: stable with members at generation (any when -1). */
bool gu_all_stable(gu_member_t **mbs, int n);
/* Every message index below n polled at least once. */
bool gu_all_seen(const int *seen, size_t n);
/* Each of partitions 0..npart-1 held by exactly one of the live members. */
bool gu_split_ok(gu_member_t **mbs, int n, int npart);
/* Asserts each message index below n was polled exactly once (says how it was not). */
void gu_expect_once(const int *seen, size_t n, const char *what);
/* The committed offsets of the topic's npart partitions, summed, read by a consumer
 * outside the group. */
int64_t gu_committed_sum(const char *bootstrap, const char *group, const char *topic, int npart);

#endif
