/* The consumer protocol's bytes and the assignors fed with what they decode. Input:
 * byte 0 even: a subscription, odd: an assignment; the rest is decoded. Whatever decodes
 * must re-encode (at its version, capped at 3) and decode again; a subscription's topics
 * (with partition counts from byte 0) then go through every assignor for three members
 * that subscribe to them and own what it says it owns. */
#include <stdlib.h>
#include <string.h>

#include "group/assignor.h"
#include "group/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int mode = data[0];
    data++;
    size--;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    kafka_buf_t out = KAFKA_BUF_INIT;
    char err[200];
    if (mode % 2 == 0) {
        kafka__group_subscription_t s, s2;
        if (kafka__group_subscription_decode(data, size, &arena, &s, err, sizeof(err)) == KAFKA_OK) {
            if (s.version > KAFKA__CONSUMER_PROTOCOL_MAX_VERSION)
                s.version = KAFKA__CONSUMER_PROTOCOL_MAX_VERSION;
            if (kafka__group_subscription_encode(&s, &out) != KAFKA_OK ||
                kafka__group_subscription_decode(out.data, out.len, &arena, &s2, err, sizeof(err)) != KAFKA_OK ||
                s2.ntopics != s.ntopics || s2.nowned != s.nowned)
                abort();
            int32_t nt = s.ntopics < 16 ? s.ntopics : 16;
            kafka__assign_topic_t topics[16];
            for (int32_t i = 0; i < nt; i++)
                topics[i] = (kafka__assign_topic_t){s.topics[i], (int32_t)((mode >> 1) % 9)};
            static const char *ids[] = {"m1", "m2", "m3"};
            kafka__assign_member_t ms[3];
            for (int i = 0; i < 3; i++) {
                memset(&ms[i], 0, sizeof(ms[i]));
                ms[i].member_id = kafka_str(ids[i]);
                ms[i].instance_id = i == 1 ? s.rack_id : kafka_str(NULL);
                ms[i].topics = s.topics;
                ms[i].ntopics = i == 2 ? (s.ntopics + 1) / 2 : s.ntopics;
                ms[i].owned = i < 2 ? s.owned : NULL;
                ms[i].nowned = i < 2 ? s.nowned : 0;
                ms[i].generation = i == 0 ? s.generation_id : -1;
            }
            kafka__assign_range(topics, nt, ms, 3, &arena);
            kafka__assign_roundrobin(topics, nt, ms, 3, &arena);
            kafka__assign_cooperative_sticky(topics, nt, ms, 3, &arena);
        }
    } else {
        kafka__group_assignment_t a, a2;
        if (kafka__group_assignment_decode(data, size, &arena, &a, err, sizeof(err)) == KAFKA_OK) {
            if (a.version > KAFKA__CONSUMER_PROTOCOL_MAX_VERSION)
                a.version = KAFKA__CONSUMER_PROTOCOL_MAX_VERSION;
            if (kafka__group_assignment_encode(&a, &out) != KAFKA_OK ||
                kafka__group_assignment_decode(out.data, out.len, &arena, &a2, err, sizeof(err)) != KAFKA_OK ||
                a2.npartitions != a.npartitions)
                abort();
        }
    }
    kafka__buf_free(&out);
    kafka__arena_free(&arena);
    return 0;
}
