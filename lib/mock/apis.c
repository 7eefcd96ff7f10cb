/* The APIs the mock serves: exactly the versions the codec implements. A profile
 * (profiles.c) narrows them to what a Kafka release served; legacy_max_version is no
 * longer read (the 0.8.2 profile replaces it) and goes once the branches adding rows here
 * have merged. */
#include "mock/mock_int.h"

const kmock_api_t kmock__apis[] = {
    {KAFKA_API_PRODUCE, 0, KAFKA_API_PRODUCE_MAX_VERSION, 0, kmock__handle_produce},
    {KAFKA_API_FETCH, 0, KAFKA_API_FETCH_MAX_VERSION, 0, kmock__handle_fetch},
    {KAFKA_API_LIST_OFFSETS, 0, KAFKA_API_LIST_OFFSETS_MAX_VERSION, 0, kmock__handle_list_offsets},
    {KAFKA_API_METADATA, 0, KAFKA_API_METADATA_MAX_VERSION, 0, kmock__handle_metadata},
    {KAFKA_API_OFFSET_COMMIT, 0, KAFKA_API_OFFSET_COMMIT_MAX_VERSION, 1, kmock__handle_offset_commit},
    {KAFKA_API_OFFSET_FETCH, 0, KAFKA_API_OFFSET_FETCH_MAX_VERSION, 1, kmock__handle_offset_fetch},
    {KAFKA_API_FIND_COORDINATOR, 0, KAFKA_API_FIND_COORDINATOR_MAX_VERSION, 0, kmock__handle_find_coordinator},
    {KAFKA_API_JOIN_GROUP, 0, KAFKA_API_JOIN_GROUP_MAX_VERSION, -1, kmock__handle_join_group},
    {KAFKA_API_HEARTBEAT, 0, KAFKA_API_HEARTBEAT_MAX_VERSION, -1, kmock__handle_heartbeat},
    {KAFKA_API_LEAVE_GROUP, 0, KAFKA_API_LEAVE_GROUP_MAX_VERSION, -1, kmock__handle_leave_group},
    {KAFKA_API_SYNC_GROUP, 0, KAFKA_API_SYNC_GROUP_MAX_VERSION, -1, kmock__handle_sync_group},
    {KAFKA_API_DESCRIBE_GROUPS, 0, KAFKA_API_DESCRIBE_GROUPS_MAX_VERSION, -1, kmock__handle_describe_groups},
    {KAFKA_API_LIST_GROUPS, 0, KAFKA_API_LIST_GROUPS_MAX_VERSION, -1, kmock__handle_list_groups},
    {KAFKA_API_API_VERSIONS, 0, KAFKA_API_API_VERSIONS_MAX_VERSION, -1, kmock__handle_api_versions},
    {KAFKA_API_SASL_HANDSHAKE, 0, KAFKA_API_SASL_HANDSHAKE_MAX_VERSION, -1, kmock__handle_sasl_handshake},
    {KAFKA_API_INIT_PRODUCER_ID, 0, KAFKA_API_INIT_PRODUCER_ID_MAX_VERSION, -1, kmock__handle_init_producer_id},
    {KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 0, KAFKA_API_OFFSET_FOR_LEADER_EPOCH_MAX_VERSION, 0, kmock__handle_offset_for_leader_epoch},
    {KAFKA_API_ADD_PARTITIONS_TO_TXN, 0, KAFKA_API_ADD_PARTITIONS_TO_TXN_MAX_VERSION, -1, kmock__handle_add_partitions_to_txn},
    {KAFKA_API_ADD_OFFSETS_TO_TXN, 0, KAFKA_API_ADD_OFFSETS_TO_TXN_MAX_VERSION, -1, kmock__handle_add_offsets_to_txn},
    {KAFKA_API_END_TXN, 0, KAFKA_API_END_TXN_MAX_VERSION, -1, kmock__handle_end_txn},
    {KAFKA_API_TXN_OFFSET_COMMIT, 0, KAFKA_API_TXN_OFFSET_COMMIT_MAX_VERSION, -1, kmock__handle_txn_offset_commit},
    {KAFKA_API_SASL_AUTHENTICATE, 0, KAFKA_API_SASL_AUTHENTICATE_MAX_VERSION, -1, kmock__handle_sasl_authenticate},
    {KAFKA_API_CREATE_TOPICS, 0, KAFKA_API_CREATE_TOPICS_MAX_VERSION, -1, kmock__handle_create_topics},
    {KAFKA_API_DELETE_TOPICS, 0, KAFKA_API_DELETE_TOPICS_MAX_VERSION, -1, kmock__handle_delete_topics},
    {KAFKA_API_DESCRIBE_CONFIGS, 0, KAFKA_API_DESCRIBE_CONFIGS_MAX_VERSION, -1, kmock__handle_describe_configs},
    {KAFKA_API_CREATE_PARTITIONS, 0, KAFKA_API_CREATE_PARTITIONS_MAX_VERSION, -1, kmock__handle_create_partitions},
    {KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 0, KAFKA_API_CONSUMER_GROUP_HEARTBEAT_MAX_VERSION, -1,
     kmock__handle_consumer_group_heartbeat},
    {KAFKA_API_CONSUMER_GROUP_DESCRIBE, 0, KAFKA_API_CONSUMER_GROUP_DESCRIBE_MAX_VERSION, -1,
     kmock__handle_consumer_group_describe},
};
const int kmock__napis = (int)(sizeof(kmock__apis) / sizeof(kmock__apis[0]));

const kmock_api_t *kmock__api(int16_t key) {
    for (int i = 0; i < kmock__napis; i++)
        if (kmock__apis[i].key == key)
            return &kmock__apis[i];
    return NULL;
}
