/* The group leader's work between JoinGroup and SyncGroup: the members' subscriptions
 * (ConsumerProtocol bytes, group/protocol.h) and the partition counts of every topic
 * any of them subscribes to, through the assignor the group chose (group/assignor.h),
 * into one encoded assignment per member. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/group.h"
#include "core/log.h"
#include "group/assignor.h"
#include "util/buf.h"

#define TOPIC_WAIT_MS 5000 /* for the metadata of a topic only another member subscribes to */

/* The distinct topics of the members' subscriptions that exist, with their partition
 * counts (from arena). */
static kafka_err_t topics_of(kafka__group_t *g, const kafka__assign_member_t *members, int32_t nmembers,
                             kafka__assign_topic_t **out, int32_t *nout, kafka_arena_t *arena) {
    size_t total = 0;
    for (int32_t i = 0; i < nmembers; i++)
        total += members[i].ntopics > 0 ? (size_t)members[i].ntopics : 0;
    kafka__assign_topic_t *topics = kafka__arena_alloc(arena, (total + 1) * sizeof(*topics));
    if (!topics)
        return KAFKA_ERR__NO_MEMORY;
    int32_t n = 0;
    for (int32_t i = 0; i < nmembers; i++)
        for (int32_t t = 0; t < members[i].ntopics; t++) {
            kafka_str_t name = members[i].topics[t];
            if (name.len <= 0)
                continue;
            bool seen = false;
            for (int32_t k = 0; k < n && !seen; k++)
                seen = kafka__str_same(topics[k].name, name);
            const char *interned = seen ? NULL : kafka__consumer_intern_n(g->c, name.str, (size_t)name.len);
            if (!interned)
                continue;
            kafka__connection_add_topic(g->c->cluster, interned);
            char why[300];
            int count = -1;
            if (kafka_connection_wait_metadata(g->c->cluster, interned, TOPIC_WAIT_MS, why, sizeof(why)) == KAFKA_OK)
                count = kafka_connection_partition_count(g->c->cluster, interned);
            if (count > 0)
                topics[n++] = (kafka__assign_topic_t){kafka_str(interned), count};
            else
                kafka__log(g->c->conf, KAFKA__LOG_NOTICE, "GROUP", NULL,
                           "group %s: topic %s, subscribed to by a member, is not assigned: %s", g->group_id,
                           interned, count == 0 ? "no partitions" : why);
        }
    *out = topics;
    *nout = n;
    return KAFKA_OK;
}

kafka_err_t kafka__group_leader_assign(kafka__group_t *g, const char *protocol,
                                       const struct kafka_join_group_response_s *resp,
                                       struct kafka_sync_group_request_assignment_s **out, int32_t *nout,
                                       kafka__assign_counts_t **counts, size_t *ncounts, kafka_arena_t *arena,
                                       char *why, size_t why_size) {
    *out = NULL;
    *nout = 0;
    *counts = NULL;
    *ncounts = 0;
    int32_t nm = resp->members.count > 0 ? resp->members.count : 0;
    kafka__assign_member_t *members = kafka__arena_alloc(arena, ((size_t)nm + 1) * sizeof(*members));
    int16_t *versions = kafka__arena_alloc(arena, ((size_t)nm + 1) * sizeof(*versions));
    kafka_sync_group_request_assignment_t *items = kafka__arena_alloc(arena, ((size_t)nm + 1) * sizeof(*items));
    if (!members || !versions || !items) {
        snprintf(why, why_size, "out of memory");
        return KAFKA_ERR__NO_MEMORY;
    }
    memset(members, 0, ((size_t)nm + 1) * sizeof(*members));
    for (int32_t i = 0; i < nm; i++) {
        const kafka_join_group_response_member_t *m = &resp->members.items[i];
        kafka__group_subscription_t s;
        char err[200] = "";
        members[i].member_id = m->member_id;
        members[i].instance_id = m->group_instance_id;
        members[i].generation = -1;
        versions[i] = 0;
        if (m->metadata.len <= 0 ||
            kafka__group_subscription_decode(m->metadata.data, (size_t)m->metadata.len, arena, &s, err, sizeof(err))) {
            kafka__log(g->c->conf, KAFKA__LOG_WARNING, "GROUP", NULL,
                       "group %s: member %.*s's subscription does not decode (%s): it gets nothing", g->group_id,
                       m->member_id.len > 0 ? m->member_id.len : 0, m->member_id.str ? m->member_id.str : "",
                       err[0] ? err : "empty");
            continue;
        }
        members[i].topics = s.topics;
        members[i].ntopics = s.ntopics;
        members[i].owned = s.owned;
        members[i].nowned = s.nowned;
        members[i].generation = s.generation_id;
        versions[i] = s.version < KAFKA__CONSUMER_PROTOCOL_MAX_VERSION ? s.version : KAFKA__CONSUMER_PROTOCOL_MAX_VERSION;
    }
    kafka__assign_topic_t *topics;
    int32_t nt;
    kafka_err_t e = topics_of(g, members, nm, &topics, &nt, arena);
    if (!e) {
        if (strcmp(protocol, KAFKA__ASSIGNOR_RANGE) == 0)
            e = kafka__assign_range(topics, nt, members, nm, arena);
        else if (strcmp(protocol, KAFKA__ASSIGNOR_ROUNDROBIN) == 0)
            e = kafka__assign_roundrobin(topics, nt, members, nm, arena);
        else if (strcmp(protocol, KAFKA__ASSIGNOR_COOPERATIVE_STICKY) == 0)
            e = kafka__assign_cooperative_sticky(topics, nt, members, nm, arena);
        else {
            snprintf(why, why_size, "the group chose assignor \"%s\", which this client does not have", protocol);
            return KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
        }
    }
    if (e) {
        snprintf(why, why_size, "assignor %s: %s", protocol, kafka_err_name(e));
        return e;
    }
    for (int32_t i = 0; i < nm; i++) {
        kafka__group_assignment_t a = {.version = versions[i], .partitions = members[i].assigned,
                                       .npartitions = members[i].nassigned, .user_data = {NULL, -1}};
        kafka_buf_t buf = KAFKA_BUF_INIT;
        e = kafka__group_assignment_encode(&a, &buf);
        uint8_t *bytes = e ? NULL : kafka__arena_alloc(arena, buf.len + 1);
        if (!e && !bytes)
            e = KAFKA_ERR__NO_MEMORY;
        if (!e)
            memcpy(bytes, buf.data, buf.len);
        items[i] = (kafka_sync_group_request_assignment_t){members[i].member_id, {bytes, (int32_t)buf.len}};
        kafka__buf_free(&buf);
        if (e) {
            snprintf(why, why_size, "an assignment did not encode: %s", kafka_err_name(e));
            return e;
        }
    }
    if (nt && !(*counts = malloc((size_t)nt * sizeof(**counts)))) {
        snprintf(why, why_size, "out of memory");
        return KAFKA_ERR__NO_MEMORY;
    }
    for (int32_t t = 0; t < nt; t++)
        (*counts)[t] = (kafka__assign_counts_t){topics[t].name.str, topics[t].partitions};
    *ncounts = (size_t)nt;
    *out = items;
    *nout = nm;
    return KAFKA_OK;
}
