/* Metadata (key 3), versions 0-12: live brokers, topics (auto-created when allowed) with
 * their ids (v10+), partitions with leaders, replicas and ISRs (the live replicas). */
#include <string.h>

#include "mock/mock_int.h"

static void fill_topic(kmock_req_t *rq, kafka_metadata_response_topic_t *out, kmock_topic_t *t) {
    kafka_mock_t *m = rq->m;
    out->name = kafka_str(t->name);
    out->topic_id = t->id;
    KMOCK_ARRAY(out->partitions, rq, "MetadataResponsePartition", t->npartitions);
    for (int32_t i = 0; i < out->partitions.count; i++) {
        kmock_partition_t *p = &t->partitions[i];
        kafka_metadata_response_partition_t *op = &out->partitions.items[i];
        op->partition_index = p->id;
        op->leader_id = p->leader;
        op->leader_epoch = p->leader_epoch;
        op->error_code = p->leader < 0 ? KAFKA_ERR_LEADER_NOT_AVAILABLE : 0;
        int32_t *rep = kafka__arena_alloc(rq->arena, sizeof(int32_t) * (size_t)p->nreplicas);
        int32_t *isr = kafka__arena_alloc(rq->arena, sizeof(int32_t) * (size_t)p->nreplicas);
        int32_t *off = kafka__arena_alloc(rq->arena, sizeof(int32_t) * (size_t)p->nreplicas);
        int nisr = 0, noff = 0;
        for (int r = 0; rep && isr && off && r < p->nreplicas; r++) {
            rep[r] = p->replicas[r];
            kmock_broker_t *b = kmock__broker(m, p->replicas[r]);
            if (b && !b->down)
                isr[nisr++] = p->replicas[r];
            else
                off[noff++] = p->replicas[r];
        }
        op->replica_nodes.items = rep;
        op->replica_nodes.count = rep ? p->nreplicas : 0;
        op->isr_nodes.items = isr;
        op->isr_nodes.count = nisr;
        op->offline_replicas.items = off;
        op->offline_replicas.count = noff;
    }
}

kmock_result_t kmock__handle_metadata(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_metadata_request_t *req = &rq->body->metadata;
    kafka_metadata_response_t *r = &resp->metadata;
    int live = 0;
    for (int i = 0; i < m->nbrokers; i++)
        live += !m->brokers[i].down;
    KMOCK_ARRAY(r->brokers, rq, "MetadataResponseBroker", live);
    for (int i = 0, k = 0; i < m->nbrokers && k < r->brokers.count; i++) {
        if (m->brokers[i].down)
            continue;
        r->brokers.items[k].node_id = m->brokers[i].id;
        r->brokers.items[k].host = kafka_str("127.0.0.1");
        r->brokers.items[k].port = kmock__advertised_port(rq, &m->brokers[i]);
        r->brokers.items[k].rack = kafka_str(NULL);
        k++;
    }
    kmock_broker_t *ctl = kmock__controller(m);
    r->controller_id = ctl ? ctl->id : -1;
    r->cluster_id = kafka_str(m->cluster_id);
    int16_t v = rq->hdr->request_api_version;
    /* v0: an empty list means every topic; v1+: null means every topic. */
    bool all = req->topics.count < 0 || (v == 0 && req->topics.count == 0);
    bool create = v < 4 || req->allow_auto_topic_creation;
    if (all) {
        int n = 0;
        for (kmock_topic_t *t = m->topics; t; t = t->next)
            n++;
        KMOCK_ARRAY(r->topics, rq, "MetadataResponseTopic", n);
        int i = 0;
        for (kmock_topic_t *t = m->topics; t && i < r->topics.count; t = t->next)
            fill_topic(rq, &r->topics.items[i++], t);
        return KMOCK_RESPOND;
    }
    KMOCK_ARRAY(r->topics, rq, "MetadataResponseTopic", req->topics.count);
    for (int32_t i = 0; i < r->topics.count; i++) {
        kafka_str_t name = req->topics.items[i].name;
        kafka_metadata_response_topic_t *out = &r->topics.items[i];
        out->name = name;
        bool may_create = create && m->conf.auto_create && !rq->inject;
        kmock_topic_t *t = name.len > 0 ? kmock__topic_get(m, name.str, name.len, may_create) : NULL;
        if (t)
            fill_topic(rq, out, t);
        else if (name.len <= 0 || may_create)
            out->error_code = KAFKA_ERR_INVALID_TOPIC_EXCEPTION; /* creation refused the name */
        else
            out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return KMOCK_RESPOND;
}
