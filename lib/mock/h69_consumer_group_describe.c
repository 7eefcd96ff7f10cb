/* ConsumerGroupDescribe (key 69), versions 0-1: the KIP-848 groups (group848.c) this
 * broker coordinates: state, group and assignment epochs, assignor, and each member's
 * epoch, subscription, assignment and target assignment (topic ids with their names).
 * As Kafka 4.0's GroupMetadataManager.consumerGroupDescribe: GROUP_ID_NOT_FOUND for a
 * group it does not know and for a classic group ("not a consumer group"), so a client
 * falls back to DescribeGroups. v1 (KIP-1099) adds MemberType: 1, a consumer member (the
 * mock has no classic members in KIP-848 groups). */
#include <stdio.h>
#include <string.h>

#include "mock/mock_int.h"

/* set as an Assignment, topics in their order of first appearance, partitions ascending;
 * partitions of a topic since deleted are left out (Kafka names topics from its image). */
static void fill_assignment(kmock_req_t *rq, const kmock_tpset_t *set,
                            kafka_consumer_group_describe_response_assignment_t *a) {
    kmock_topic_t **topics = kafka__arena_alloc(rq->arena, (size_t)(set->n + 1) * sizeof(*topics));
    int ntopics = 0;
    for (int i = 0; topics && i < set->n; i++) {
        kmock_topic_t *t = kmock__topic_by_id(rq->m, &set->v[i].topic);
        int k = 0;
        while (k < ntopics && topics[k] != t)
            k++;
        if (t && k == ntopics)
            topics[ntopics++] = t;
    }
    KMOCK_ARRAY(a->topic_partitions, rq, "TopicPartitions", ntopics);
    for (int32_t k = 0; k < a->topic_partitions.count; k++) {
        kafka_consumer_group_describe_response_topic_partitions_t *tp = &a->topic_partitions.items[k];
        tp->topic_id = topics[k]->id;
        tp->topic_name = kafka_str(topics[k]->name);
        int32_t *parts = kafka__arena_alloc(rq->arena, (size_t)set->n * sizeof(int32_t));
        int32_t n = 0;
        for (int i = 0; parts && i < set->n; i++) {
            if (memcmp(set->v[i].topic.b, topics[k]->id.b, 16) != 0)
                continue;
            int32_t p = set->v[i].partition, j = n++;
            for (; j > 0 && parts[j - 1] > p; j--)
                parts[j] = parts[j - 1];
            parts[j] = p;
        }
        tp->partitions.items = parts;
        tp->partitions.count = parts ? n : 0;
    }
}

static void describe_member(kmock_req_t *rq, const kmock_cmember_t *mem,
                            kafka_consumer_group_describe_response_member_t *dm) {
    dm->member_id = kafka_str(mem->id);
    dm->instance_id = kafka_str(mem->instance_id);
    dm->rack_id = kafka_str(mem->rack_id);
    dm->member_epoch = mem->epoch;
    dm->client_id = kafka_str(mem->client_id ? mem->client_id : "");
    dm->client_host = kafka_str("/127.0.0.1");
    kafka_str_t *names = kafka__arena_alloc(rq->arena, (size_t)(mem->ntopics + 1) * sizeof(*names));
    for (int i = 0; names && i < mem->ntopics; i++)
        names[i] = kafka_str(mem->topics[i]);
    dm->subscribed_topic_names.items = names;
    dm->subscribed_topic_names.count = names ? mem->ntopics : 0;
    dm->subscribed_topic_regex = kafka_str(mem->regex);
    /* What it owns: what it may consume plus what it has yet to give up. */
    kmock_tpset_t owned = {0};
    for (int i = 0; i < mem->assigned.n; i++)
        kmock__tpset_add(&owned, &mem->assigned.v[i]);
    for (int i = 0; i < mem->revoking.n; i++)
        kmock__tpset_add(&owned, &mem->revoking.v[i]);
    fill_assignment(rq, &owned, &dm->assignment);
    kmock__tpset_free(&owned);
    fill_assignment(rq, &mem->target, &dm->target_assignment);
    dm->member_type = 1;
}

kmock_result_t kmock__handle_consumer_group_describe(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_consumer_group_describe_request_t *req = &rq->body->consumer_group_describe;
    kafka_consumer_group_describe_response_t *r = &resp->consumer_group_describe;
    KMOCK_ARRAY(r->groups, rq, "DescribedGroup", req->group_ids.count);
    for (int32_t i = 0; i < r->groups.count; i++) {
        kafka_consumer_group_describe_response_described_group_t *dg = &r->groups.items[i];
        dg->group_id = req->group_ids.items[i];
        if (rq->inject)
            continue;
        if ((dg->error_code = kmock__group_check(rq, dg->group_id)))
            continue;
        kmock_group_t *g = kmock__group_find(rq->m, dg->group_id);
        if (g)
            kmock__group_tick(rq->m, g, rq->now_ms);
        if (!g || !g->kip848) {
            dg->error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
            size_t cap = (size_t)(dg->group_id.len > 0 ? dg->group_id.len : 0) + 40;
            char *msg = kafka__arena_alloc(rq->arena, cap);
            if (msg) {
                snprintf(msg, cap, "Group %.*s %s.", dg->group_id.len > 0 ? (int)dg->group_id.len : 0,
                         dg->group_id.str ? dg->group_id.str : "", g ? "is not a consumer group" : "not found");
                dg->error_message = kafka_str(msg);
            }
            continue;
        }
        dg->group_state = kafka_str(kmock__group848_state(g));
        dg->group_epoch = g->group_epoch;
        dg->assignment_epoch = g->assignment_epoch;
        dg->assignor_name = kafka_str(g->assignor848 ? g->assignor848 : rq->m->conf.consumer_assignor);
        int32_t n = kmock__group848_count(g);
        KMOCK_ARRAY(dg->members, rq, "Member", n);
        int32_t k = 0;
        for (const kmock_cmember_t *mem = g->cmembers; mem && k < dg->members.count; mem = mem->next, k++)
            describe_member(rq, mem, &dg->members.items[k]);
    }
    return KMOCK_RESPOND;
}
