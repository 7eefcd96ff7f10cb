/* What the assignors share: member order, the flattened topic-partitions, the output. */
#include "group/assignor.h"

#include <stdlib.h>
#include <string.h>

/* Java's MemberInfo order: static members first, by instance id; then by member id. */
static int member_cmp(const kafka__assign_member_t *a, const kafka__assign_member_t *b) {
    bool sa = a->instance_id.len >= 0 && a->instance_id.str, sb = b->instance_id.len >= 0 && b->instance_id.str;
    if (sa && sb) {
        int c = kafka__str_cmp(a->instance_id, b->instance_id);
        if (c)
            return c;
    } else if (sa != sb) {
        return sa ? -1 : 1;
    }
    return kafka__str_cmp(a->member_id, b->member_id);
}

/* Insertion sorts: groups and topic lists are small, and stability keeps ties in input order. */
static void sort_members(int32_t *idx, int32_t n, const kafka__assign_member_t *m) {
    for (int32_t i = 1; i < n; i++) {
        int32_t x = idx[i], j = i;
        for (; j > 0 && member_cmp(&m[idx[j - 1]], &m[x]) > 0; j--)
            idx[j] = idx[j - 1];
        idx[j] = x;
    }
}

static void sort_topics(int32_t *idx, int32_t n, const kafka__assign_topic_t *t) {
    for (int32_t i = 1; i < n; i++) {
        int32_t x = idx[i], j = i;
        for (; j > 0 && kafka__str_cmp(t[idx[j - 1]].name, t[x].name) > 0; j--)
            idx[j] = idx[j - 1];
        idx[j] = x;
    }
}

kafka_err_t kafka__assign_ctx_init(kafka__assign_ctx_t *c, const kafka__assign_topic_t *topics, int32_t ntopics,
                                   kafka__assign_member_t *members, int32_t nmembers, kafka_arena_t *arena) {
    memset(c, 0, sizeof(*c));
    if (ntopics < 0 || nmembers < 0)
        return KAFKA_ERR__INVALID_ARG;
    c->topics = topics;
    c->ntopics = ntopics;
    c->members = members;
    c->nmembers = nmembers;
    size_t nt = ntopics > 0 ? (size_t)ntopics : 1, nm = nmembers > 0 ? (size_t)nmembers : 1;
    c->order = kafka__arena_alloc(arena, nm * sizeof(int32_t));
    c->tsorted = kafka__arena_alloc(arena, nt * sizeof(int32_t));
    c->tfirst = kafka__arena_alloc(arena, nt * sizeof(int32_t));
    c->subs = kafka__arena_alloc(arena, nm * nt);
    if (!c->order || !c->tsorted || !c->tfirst || !c->subs)
        return KAFKA_ERR__NO_MEMORY;
    for (int32_t i = 0; i < nmembers; i++)
        c->order[i] = i;
    sort_members(c->order, nmembers, members);
    int64_t ntps = 0;
    for (int32_t t = 0; t < ntopics; t++) {
        if (topics[t].partitions < 0)
            return KAFKA_ERR__INVALID_ARG;
        bool any = false;
        for (int32_t m = 0; m < nmembers; m++) {
            for (int32_t k = 0; k < members[m].ntopics; k++) {
                if (kafka__str_same(members[m].topics[k], topics[t].name)) {
                    c->subs[(size_t)m * nt + (size_t)t] = 1;
                    any = true;
                }
            }
        }
        /* A topic listed twice in the metadata counts once. */
        for (int32_t u = 0; any && u < c->ntsorted; u++)
            if (kafka__str_same(topics[c->tsorted[u]].name, topics[t].name))
                any = false;
        c->tfirst[t] = -1;
        if (any) {
            c->tsorted[c->ntsorted++] = t;
            ntps += topics[t].partitions;
        }
    }
    if (ntps > INT32_MAX / 2)
        return KAFKA_ERR__INVALID_ARG;
    sort_topics(c->tsorted, c->ntsorted, topics);
    size_t np = ntps > 0 ? (size_t)ntps : 1;
    c->tp_topic = kafka__arena_alloc(arena, np * sizeof(int32_t));
    c->tp_part = kafka__arena_alloc(arena, np * sizeof(int32_t));
    c->owner = kafka__arena_alloc(arena, np * sizeof(int32_t));
    if (!c->tp_topic || !c->tp_part || !c->owner)
        return KAFKA_ERR__NO_MEMORY;
    for (int32_t u = 0; u < c->ntsorted; u++) {
        int32_t t = c->tsorted[u];
        c->tfirst[t] = c->ntps;
        for (int32_t p = 0; p < topics[t].partitions; p++) {
            c->tp_topic[c->ntps] = t;
            c->tp_part[c->ntps] = p;
            c->owner[c->ntps++] = -1;
        }
    }
    return KAFKA_OK;
}

int32_t kafka__assign_tp_find(const kafka__assign_ctx_t *c, kafka_str_t topic, int32_t partition) {
    for (int32_t u = 0; u < c->ntsorted; u++) {
        int32_t t = c->tsorted[u];
        if (kafka__str_same(c->topics[t].name, topic))
            return partition >= 0 && partition < c->topics[t].partitions ? c->tfirst[t] + partition : -1;
    }
    return -1;
}

kafka_err_t kafka__assign_ctx_output(kafka__assign_ctx_t *c, kafka_arena_t *arena) {
    for (int32_t m = 0; m < c->nmembers; m++) {
        kafka__assign_member_t *mem = &c->members[m];
        mem->assigned = NULL;
        mem->nassigned = 0;
        int32_t ntopics = 0;
        for (int32_t u = 0; u < c->ntsorted; u++) {
            int32_t t = c->tsorted[u];
            for (int32_t p = 0; p < c->topics[t].partitions; p++) {
                if (c->owner[c->tfirst[t] + p] == m) {
                    ntopics++;
                    break;
                }
            }
        }
        if (!ntopics)
            continue;
        mem->assigned = kafka__arena_alloc(arena, (size_t)ntopics * sizeof(kafka__group_tps_t));
        if (!mem->assigned)
            return KAFKA_ERR__NO_MEMORY;
        for (int32_t u = 0; u < c->ntsorted; u++) {
            int32_t t = c->tsorted[u], n = 0;
            for (int32_t p = 0; p < c->topics[t].partitions; p++)
                n += c->owner[c->tfirst[t] + p] == m;
            if (!n)
                continue;
            kafka__group_tps_t *out = &mem->assigned[mem->nassigned++];
            out->topic = c->topics[t].name;
            out->partitions = kafka__arena_alloc(arena, (size_t)n * sizeof(int32_t));
            if (!out->partitions)
                return KAFKA_ERR__NO_MEMORY;
            for (int32_t p = 0; p < c->topics[t].partitions; p++)
                if (c->owner[c->tfirst[t] + p] == m)
                    out->partitions[out->npartitions++] = p;
        }
    }
    return KAFKA_OK;
}
