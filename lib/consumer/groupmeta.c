/* kafka_consumer_group_metadata(): the member's identity (group id, generation, member
 * id, group.instance.id) for a transactional producer's offsets (kafka/groupmeta.h). */
#include <stdio.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "consumer/group.h"

kafka_err_t kafka_consumer_group_metadata(kafka_consumer_t *c, kafka_group_metadata_t *meta) {
    if (!meta)
        return KAFKA_ERR__INVALID_ARG;
    memset(meta, 0, sizeof(*meta));
    meta->generation_id = -1;
    const char *group = c ? kafka_conf_str(c->conf, KAFKA_CONF_GROUP_ID) : NULL;
    if (!group || !*group)
        return KAFKA_ERR__STATE;
    snprintf(meta->group_id, sizeof(meta->group_id), "%s", group);
    kafka__group_t *g = kafka__group_of(c);
    if (!g)
        return KAFKA_OK; /* not subscribed: a simple consumer's commit */
    const char *instance = NULL;
    kafka__group_identity(g, &meta->generation_id, meta->member_id, sizeof(meta->member_id), &instance);
    snprintf(meta->group_instance_id, sizeof(meta->group_instance_id), "%s", instance ? instance : "");
    return KAFKA_OK;
}
