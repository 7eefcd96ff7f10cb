/* DescribeGroups (key 15), versions 0-6: state, protocol and members (metadata of the
 * chosen protocol and assignment) of each group this broker coordinates. An unknown
 * group is "Dead" before v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043); so is a KIP-848 group
 * (Kafka 4.0's describeGroups takes classic groups only: ConsumerGroupDescribe, h69,
 * describes those). */
#include <string.h>

#include "mock/mock_int.h"

kmock_result_t kmock__handle_describe_groups(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_describe_groups_request_t *req = &rq->body->describe_groups;
    kafka_describe_groups_response_t *r = &resp->describe_groups;
    int16_t v = rq->hdr->request_api_version;
    KMOCK_ARRAY(r->groups, rq, "DescribedGroup", req->groups.count);
    for (int32_t i = 0; i < r->groups.count; i++) {
        kafka_describe_groups_response_described_group_t *dg = &r->groups.items[i];
        dg->group_id = req->groups.items[i];
        if (rq->inject)
            continue;
        if ((dg->error_code = kmock__group_check(rq, dg->group_id)))
            continue;
        kmock_group_t *g = kmock__group_find(rq->m, dg->group_id);
        if (g)
            kmock__group_tick(rq->m, g, rq->now_ms);
        if (!g || g->kip848 || (v >= 6 && g->state == KMOCK_GROUP_EMPTY && !g->generation)) {
            dg->group_state = kafka_str("Dead");
            if (v >= 6) {
                dg->error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
                dg->error_message = kafka_str(g ? "Group is not a classic group." : "Group not found.");
            }
            continue;
        }
        dg->group_state = kafka_str(kmock__group_state_name(g->state));
        dg->protocol_type = kafka_str(g->protocol_type ? g->protocol_type : "");
        dg->protocol_data = kafka_str(g->protocol_name && g->state != KMOCK_GROUP_PREPARING ? g->protocol_name : "");
        int32_t n = 0;
        for (kmock_member_t *mem = g->members; mem; mem = mem->next)
            n++;
        KMOCK_ARRAY(dg->members, rq, "DescribedGroupMember", n);
        int32_t k = 0;
        for (kmock_member_t *mem = g->members; mem && k < dg->members.count; mem = mem->next, k++) {
            kafka_describe_groups_response_described_group_member_t *dm = &dg->members.items[k];
            dm->member_id = kafka_str(mem->id);
            dm->group_instance_id = kafka_str(mem->instance_id);
            dm->client_id = kafka_str(mem->client_id ? mem->client_id : "");
            dm->client_host = kafka_str("/127.0.0.1");
            for (int p = 0; p < mem->nprotocols; p++)
                if (g->protocol_name && strcmp(mem->proto_names[p], g->protocol_name) == 0)
                    dm->member_metadata = mem->proto_meta[p];
            dm->member_assignment = (kafka_bytes_t){mem->assignment, mem->assignment_len};
        }
    }
    return KMOCK_RESPOND;
}
