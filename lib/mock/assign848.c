/* The server-side assignors of KIP-848 groups (group.consumer.assignors): each member's
 * target from the members' subscriptions and the topics, at the group epoch.
 *  - uniform (Kafka's default, UniformAssignor): balanced and sticky: a partition stays
 *    with its previous target owner while that one subscribes to it; the rest go to the
 *    least loaded subscriber; then partitions move from the most loaded member to a
 *    subscriber holding two or more fewer until none can.
 *  - range (RangeAssignor): per topic, its subscribers in member order share the
 *    partitions in contiguous ranges, the first (partitions % subscribers) one more.
 * Members are ordered as Java orders them (static members first by instance id, then by
 * member id), so the result does not depend on join order. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

static int member_cmp(const void *pa, const void *pb) {
    const kmock_cmember_t *a = *(kmock_cmember_t *const *)pa, *b = *(kmock_cmember_t *const *)pb;
    if (a->instance_id && b->instance_id) {
        int c = strcmp(a->instance_id, b->instance_id);
        if (c)
            return c;
    } else if (!a->instance_id != !b->instance_id) {
        return a->instance_id ? -1 : 1;
    }
    return strcmp(a->id, b->id);
}

static int topic_cmp(const void *pa, const void *pb) {
    return strcmp((*(kmock_topic_t *const *)pa)->name, (*(kmock_topic_t *const *)pb)->name);
}

/* The least loaded subscriber of t, first in member order; -1 if none. */
static int least_loaded(kmock_cmember_t **mem, int n, const int *load, const kmock_topic_t *t) {
    int best = -1;
    for (int i = 0; i < n; i++)
        if (kmock__cmember_subscribes(mem[i], t) && (best < 0 || load[i] < load[best]))
            best = i;
    return best;
}

bool kmock__assign848(kafka_mock_t *m, kmock_group_t *g, const char *assignor) {
    int nm = kmock__group848_count(g), nt = 0;
    for (kmock_topic_t *t = m->topics; t; t = t->next)
        nt++;
    kmock_cmember_t **mem = calloc((size_t)nm + 1, sizeof(*mem));
    kmock_topic_t **topics = calloc((size_t)nt + 1, sizeof(*topics));
    int *load = calloc((size_t)nm + 1, sizeof(int));
    bool ok = mem && topics && load;
    int ntps = 0;
    if (ok) {
        int i = 0;
        for (kmock_cmember_t *c = g->cmembers; c; c = c->next)
            mem[i++] = c;
        qsort(mem, (size_t)nm, sizeof(*mem), member_cmp);
        i = 0;
        for (kmock_topic_t *t = m->topics; t; t = t->next) {
            bool any = false;
            for (int k = 0; k < nm && !any; k++)
                any = kmock__cmember_subscribes(mem[k], t);
            if (any) {
                topics[i++] = t;
                ntps += t->npartitions;
            }
        }
        nt = i;
        qsort(topics, (size_t)nt, sizeof(*topics), topic_cmp);
    }
    /* owner[k]: the member index of the k-th subscribed partition, topics in name order. */
    int *owner = ok ? calloc((size_t)ntps + 1, sizeof(int)) : NULL;
    int *tpt = ok ? calloc((size_t)ntps + 1, sizeof(int)) : NULL;
    ok = ok && owner && tpt;
    for (int t = 0, k = 0; ok && t < nt; t++)
        for (int p = 0; p < topics[t]->npartitions; p++, k++) {
            owner[k] = -1;
            tpt[k] = t;
        }
    if (ok && strcmp(assignor, "range") == 0) {
        for (int t = 0, first = 0; t < nt; first += topics[t]->npartitions, t++) {
            int nsubs = 0, rank = 0, next = 0, n = topics[t]->npartitions;
            for (int i = 0; i < nm; i++)
                nsubs += kmock__cmember_subscribes(mem[i], topics[t]);
            for (int i = 0; i < nm; i++) {
                if (!kmock__cmember_subscribes(mem[i], topics[t]))
                    continue;
                int len = n / nsubs + (rank++ < n % nsubs ? 1 : 0);
                for (int k = 0; k < len; k++)
                    owner[first + next + k] = i;
                next += len;
            }
        }
    } else if (ok) {
        for (int k = 0, t = 0, p = 0; k < ntps; k++, p++) {
            while (p >= topics[t]->npartitions) {
                t++;
                p = 0;
            }
            kmock_tp848_t tp = {topics[t]->id, p};
            for (int i = 0; i < nm && owner[k] < 0; i++)
                if (kmock__tpset_has(&mem[i]->target, &tp) && kmock__cmember_subscribes(mem[i], topics[t]))
                    owner[k] = i;
            if (owner[k] >= 0)
                load[owner[k]]++;
        }
        for (int k = 0; k < ntps; k++) {
            if (owner[k] < 0 && (owner[k] = least_loaded(mem, nm, load, topics[tpt[k]])) >= 0)
                load[owner[k]]++;
        }
        for (bool moved = true; moved;) {
            moved = false;
            for (int k = 0; k < ntps && !moved; k++) {
                int a = owner[k], b = least_loaded(mem, nm, load, topics[tpt[k]]);
                if (a >= 0 && b >= 0 && load[b] < load[a] - 1) {
                    owner[k] = b;
                    load[a]--;
                    load[b]++;
                    moved = true;
                }
            }
        }
    }
    for (int i = 0; ok && i < nm; i++)
        kmock__tpset_clear(&mem[i]->target);
    for (int t = 0, k = 0; ok && t < nt; t++)
        for (int p = 0; p < topics[t]->npartitions; p++, k++)
            if (owner[k] >= 0)
                ok = kmock__tpset_add(&mem[owner[k]]->target, &(kmock_tp848_t){topics[t]->id, p});
    free(mem);
    free(topics);
    free(load);
    free(owner);
    free(tpt);
    return ok;
}
