/* Client-side partition assignors of the classic consumer protocol (internal): pure
 * functions from the members' subscriptions (and, for the sticky one, what each owns)
 * and the topics' partition counts to each member's partitions. Names are what goes in
 * JoinGroup's protocol list, as Java and librdkafka spell them.
 *
 * Every assignor orders members as Java's MemberInfo does (those with a
 * group.instance.id first, by it; then by member id), so a group of ours and Java's
 * members computes the same assignment whoever leads. */
#ifndef KAFKA_GROUP_ASSIGNOR_H
#define KAFKA_GROUP_ASSIGNOR_H

#include <stdint.h>

#include "group/protocol.h"

#define KAFKA__ASSIGNOR_RANGE "range"
#define KAFKA__ASSIGNOR_ROUNDROBIN "roundrobin"
#define KAFKA__ASSIGNOR_COOPERATIVE_STICKY "cooperative-sticky"

/* A topic of the cluster's metadata and its partition count. */
typedef struct kafka__assign_topic_s {
    kafka_str_t name;
    int32_t partitions;
} kafka__assign_topic_t;

typedef struct kafka__assign_member_s {
    kafka_str_t member_id;
    kafka_str_t instance_id;           /* len -1: not a static member */
    const kafka_str_t *topics;         /* its subscription (topics missing from metadata are skipped) */
    int32_t ntopics;
    const kafka__group_tps_t *owned;   /* cooperative-sticky: what it owns now */
    int32_t nowned;
    int32_t generation;                /* of `owned` (subscription v2+), -1: unknown */
    /* out: its partitions, by topic name, each topic's in ascending order (from arena) */
    kafka__group_tps_t *assigned;
    int32_t nassigned;
} kafka__assign_member_t;

/* Each fills every member's `assigned`. KAFKA_ERR__NO_MEMORY, KAFKA_ERR__INVALID_ARG
 * (a negative partition count); members' inputs are not modified otherwise. */

/* Java's RangeAssignor: per topic, its subscribers in member order share the partitions
 * in contiguous ranges, the first (partitions % subscribers) one partition more. */
kafka_err_t kafka__assign_range(const kafka__assign_topic_t *topics, int32_t ntopics, kafka__assign_member_t *members,
                                int32_t nmembers, kafka_arena_t *arena);
/* Java's RoundRobinAssignor: every subscribed topic-partition in (topic, partition)
 * order goes to the next member, circularly in member order, subscribed to its topic. */
kafka_err_t kafka__assign_roundrobin(const kafka__assign_topic_t *topics, int32_t ntopics,
                                     kafka__assign_member_t *members, int32_t nmembers, kafka_arena_t *arena);
/* KIP-54/KIP-429 cooperative sticky: balanced (no partition can move to a subscribed
 * member holding two or more fewer), members keep what they own as far as balance
 * allows, and a partition that changes owner is left out of everyone's assignment this
 * round (its old owner revokes it; the follow-up rebalance hands it over). Ownership
 * claimed by two members goes to the higher generation, or to neither on a tie. */
kafka_err_t kafka__assign_cooperative_sticky(const kafka__assign_topic_t *topics, int32_t ntopics,
                                             kafka__assign_member_t *members, int32_t nmembers, kafka_arena_t *arena);

/* ---- shared by the assignors (assignor.c) ---- */

/* The topic-partitions some member subscribes to, topics by name, flattened: tp k is
 * partition part[k] of topic topic[k] (an index into the caller's topics). */
typedef struct kafka__assign_ctx_s {
    const kafka__assign_topic_t *topics;
    int32_t ntopics;
    kafka__assign_member_t *members;
    int32_t nmembers;
    int32_t *order;    /* member indexes in Java's member order */
    int32_t *tsorted;  /* subscribed topic indexes by name */
    int32_t ntsorted;
    int32_t *tfirst;   /* per topic index: its first tp, -1 when nobody subscribes */
    int32_t ntps;
    int32_t *tp_topic, *tp_part;
    int32_t *owner;    /* per tp: member index, -1 unassigned; the assignor fills it */
    uint8_t *subs;     /* nmembers x ntopics: member subscribes to topic */
} kafka__assign_ctx_t;

kafka_err_t kafka__assign_ctx_init(kafka__assign_ctx_t *c, const kafka__assign_topic_t *topics, int32_t ntopics,
                                   kafka__assign_member_t *members, int32_t nmembers, kafka_arena_t *arena);
static inline bool kafka__assign_subscribed(const kafka__assign_ctx_t *c, int32_t member, int32_t topic) {
    return c->subs[(size_t)member * (size_t)c->ntopics + (size_t)topic] != 0;
}
/* The tp of (topic name, partition), or -1 when nobody subscribes to it. */
int32_t kafka__assign_tp_find(const kafka__assign_ctx_t *c, kafka_str_t topic, int32_t partition);
/* Writes each member's `assigned` from c->owner. */
kafka_err_t kafka__assign_ctx_output(kafka__assign_ctx_t *c, kafka_arena_t *arena);

#endif
