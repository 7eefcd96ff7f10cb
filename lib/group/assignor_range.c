/* The range assignor (Java's RangeAssignor, without rack awareness). */
#include "group/assignor.h"

kafka_err_t kafka__assign_range(const kafka__assign_topic_t *topics, int32_t ntopics, kafka__assign_member_t *members,
                                int32_t nmembers, kafka_arena_t *arena) {
    kafka__assign_ctx_t c;
    kafka_err_t e = kafka__assign_ctx_init(&c, topics, ntopics, members, nmembers, arena);
    if (e)
        return e;
    for (int32_t u = 0; u < c.ntsorted; u++) {
        int32_t t = c.tsorted[u], nsubs = 0;
        for (int32_t i = 0; i < nmembers; i++)
            nsubs += kafka__assign_subscribed(&c, c.order[i], t);
        int32_t n = topics[t].partitions, each = n / nsubs, extra = n % nsubs, next = 0, rank = 0;
        for (int32_t i = 0; i < nmembers; i++) {
            int32_t m = c.order[i];
            if (!kafka__assign_subscribed(&c, m, t))
                continue;
            int32_t len = each + (rank < extra ? 1 : 0);
            for (int32_t k = 0; k < len; k++)
                c.owner[c.tfirst[t] + next + k] = m;
            next += len;
            rank++;
        }
    }
    return kafka__assign_ctx_output(&c, arena);
}
