/* The cooperative sticky assignor (KIP-54 stickiness, KIP-429 cooperative rounds).
 *
 * 1. Ownership: each member keeps the partitions it reports owning that still exist and
 *    that it still subscribes to; a partition claimed twice goes to the claim of the
 *    higher generation (a member that missed a rebalance reports stale ownership), to
 *    neither when the generations are equal.
 * 2. Every unowned partition goes to the least loaded member subscribed to its topic.
 * 3. While some partition can move to a subscribed member holding two or more fewer, the
 *    most loaded member gives one up, preferring partitions it did not own before.
 *    Each move lowers the sum of squared loads, so this ends; at the end no single move
 *    improves balance (with equal subscriptions: loads differ by at most one).
 * 4. Cooperative: a partition whose owner changes is left out of both assignments; its
 *    owner revokes it, rejoins, and the next round gives it to its new member. */
#include "group/assignor.h"

#include <string.h>

/* The subscribed member with the fewest partitions, first in member order; -1 if none. */
static int32_t least_loaded(const kafka__assign_ctx_t *c, const int32_t *count, int32_t topic) {
    int32_t best = -1;
    for (int32_t i = 0; i < c->nmembers; i++) {
        int32_t m = c->order[i];
        if (kafka__assign_subscribed(c, m, topic) && (best < 0 || count[m] < count[best]))
            best = m;
    }
    return best;
}

/* One balancing move: true when a partition moved. */
static bool move_one(kafka__assign_ctx_t *c, int32_t *count, const int32_t *prev) {
    /* Givers by load, highest first; ties in member order. */
    int32_t max = 0;
    for (int32_t m = 0; m < c->nmembers; m++)
        max = count[m] > max ? count[m] : max;
    for (int32_t load = max; load >= 2; load--) {
        for (int32_t i = 0; i < c->nmembers; i++) {
            int32_t a = c->order[i];
            if (count[a] != load)
                continue;
            for (int pass = 0; pass < 2; pass++) { /* pass 0: partitions a did not own before */
                for (int32_t k = 0; k < c->ntps; k++) {
                    if (c->owner[k] != a || (pass == 0) == (prev[k] == a))
                        continue;
                    int32_t b = least_loaded(c, count, c->tp_topic[k]);
                    if (b >= 0 && count[b] < count[a] - 1) {
                        c->owner[k] = b;
                        count[a]--;
                        count[b]++;
                        return true;
                    }
                }
            }
        }
    }
    return false;
}

kafka_err_t kafka__assign_cooperative_sticky(const kafka__assign_topic_t *topics, int32_t ntopics,
                                             kafka__assign_member_t *members, int32_t nmembers, kafka_arena_t *arena) {
    kafka__assign_ctx_t c;
    kafka_err_t e = kafka__assign_ctx_init(&c, topics, ntopics, members, nmembers, arena);
    if (e)
        return e;
    size_t np = c.ntps > 0 ? (size_t)c.ntps : 1, nm = nmembers > 0 ? (size_t)nmembers : 1;
    int32_t *claim_gen = kafka__arena_alloc(arena, np * sizeof(int32_t));
    int32_t *prev = kafka__arena_alloc(arena, np * sizeof(int32_t));
    int32_t *count = kafka__arena_alloc(arena, nm * sizeof(int32_t));
    uint8_t *contested = kafka__arena_alloc(arena, np);
    if (!claim_gen || !prev || !count || !contested)
        return KAFKA_ERR__NO_MEMORY;
    for (int32_t i = 0; i < nmembers; i++) {
        int32_t m = c.order[i];
        const kafka__assign_member_t *mem = &members[m];
        for (int32_t t = 0; t < mem->nowned; t++) {
            for (int32_t p = 0; p < mem->owned[t].npartitions; p++) {
                int32_t k = kafka__assign_tp_find(&c, mem->owned[t].topic, mem->owned[t].partitions[p]);
                if (k < 0 || !kafka__assign_subscribed(&c, m, c.tp_topic[k]) || c.owner[k] == m)
                    continue;
                bool claimed = c.owner[k] >= 0 || contested[k];
                if (!claimed || mem->generation > claim_gen[k]) {
                    c.owner[k] = m;
                    claim_gen[k] = mem->generation;
                    contested[k] = 0;
                } else if (mem->generation == claim_gen[k]) {
                    c.owner[k] = -1;
                    contested[k] = 1;
                }
            }
        }
    }
    for (int32_t k = 0; k < c.ntps; k++) {
        prev[k] = c.owner[k];
        if (c.owner[k] >= 0)
            count[c.owner[k]]++;
    }
    for (int32_t k = 0; k < c.ntps; k++) {
        if (c.owner[k] < 0) {
            c.owner[k] = least_loaded(&c, count, c.tp_topic[k]);
            count[c.owner[k]]++;
        }
    }
    while (move_one(&c, count, prev)) {
    }
    for (int32_t k = 0; k < c.ntps; k++)
        if (prev[k] >= 0 && c.owner[k] != prev[k])
            c.owner[k] = -1; /* revoked this round, assigned in the next */
    return kafka__assign_ctx_output(&c, arena);
}
