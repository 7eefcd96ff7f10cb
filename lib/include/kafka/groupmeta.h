/* A consumer group member's identity, as Java's ConsumerGroupMetadata: what a
 * transactional producer sends with the offsets it commits for the group
 * (kafka_producer_send_offsets_to_transaction_group), so that the group coordinator
 * fences a commit from a member that is no longer in the generation (a zombie that lost
 * its partitions in a rebalance). Filled by kafka_consumer_group_metadata(). */
#ifndef KAFKA_GROUPMETA_H
#define KAFKA_GROUPMETA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafka_group_metadata_s {
    char group_id[256];
    int32_t generation_id;        /* -1: none (then member_id is "": a simple consumer's commit) */
    char member_id[256];          /* "" none */
    char group_instance_id[256];  /* "" none (a dynamic member) */
} kafka_group_metadata_t;

#ifdef __cplusplus
}
#endif

#endif
