/* The round-robin assignor (Java's RoundRobinAssignor). */
#include "group/assignor.h"

kafka_err_t kafka__assign_roundrobin(const kafka__assign_topic_t *topics, int32_t ntopics,
                                     kafka__assign_member_t *members, int32_t nmembers, kafka_arena_t *arena) {
    kafka__assign_ctx_t c;
    kafka_err_t e = kafka__assign_ctx_init(&c, topics, ntopics, members, nmembers, arena);
    if (e)
        return e;
    int32_t at = 0; /* position in c.order: the next member to consider */
    for (int32_t k = 0; k < c.ntps; k++) {
        /* Some member subscribes to every tp's topic, so this ends within one lap. */
        while (!kafka__assign_subscribed(&c, c.order[at], c.tp_topic[k]))
            at = (at + 1) % nmembers;
        c.owner[k] = c.order[at];
        at = (at + 1) % nmembers;
    }
    return kafka__assign_ctx_output(&c, arena);
}
