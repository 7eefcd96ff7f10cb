/* ListGroups (key 16), versions 0-5: the groups this broker coordinates, with their
 * state (v4+) and type (v5+: "classic", or "consumer" for KIP-848 groups), filtered by
 * state (v4+, case-insensitive, as Kafka) and type (v5+). */
#include <strings.h>

#include "mock/mock_int.h"

static bool listed(const kafka_str_t *filter, int32_t n, const char *value) {
    if (n <= 0)
        return true;
    for (int32_t i = 0; i < n; i++)
        if (filter[i].len == (int32_t)strlen(value) && strncasecmp(filter[i].str, value, (size_t)filter[i].len) == 0)
            return true;
    return false;
}

kmock_result_t kmock__handle_list_groups(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_list_groups_request_t *req = &rq->body->list_groups;
    kafka_list_groups_response_t *r = &resp->list_groups;
    if (rq->inject)
        return KMOCK_RESPOND;
    int32_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        int32_t i = 0;
        for (kmock_group_t *g = rq->m->groups; g; g = g->next) {
            if (pass == 0)
                kmock__group_tick(rq->m, g, rq->now_ms);
            kafka_str_t id = kafka_str(g->id);
            const char *state = g->kip848 ? kmock__group848_state(g) : kmock__group_state_name(g->state);
            bool never_used = g->kip848 ? !g->group_epoch
                                        : g->state == KMOCK_GROUP_EMPTY && !g->generation && !g->protocol_type;
            if (kmock__group_check(rq, id) || never_used ||
                !listed(req->states_filter.items, req->states_filter.count, state) ||
                !listed(req->types_filter.items, req->types_filter.count, g->kip848 ? "consumer" : "classic"))
                continue;
            if (pass == 0) {
                n++;
                continue;
            }
            if (i >= r->groups.count)
                break;
            kafka_list_groups_response_listed_group_t *lg = &r->groups.items[i++];
            lg->group_id = id;
            lg->protocol_type = kafka_str(g->protocol_type ? g->protocol_type : "consumer");
            lg->group_state = kafka_str(state);
            lg->group_type = kafka_str(g->kip848 ? "consumer" : "classic");
        }
        if (pass == 0)
            KMOCK_ARRAY(r->groups, rq, "ListedGroup", n);
    }
    return KMOCK_RESPOND;
}
