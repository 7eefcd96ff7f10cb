/* The conf's parts that are not properties, as the clients read them (lib/core/conf.c). */
#ifndef KAFKA_CORE_CONF_INT_H
#define KAFKA_CORE_CONF_INT_H

#include "kafka/conf.h"

/* The callbacks a conf carries besides its properties (kafka_conf_set_log_cb,
 * kafka_conf_set_stats_cb, kafka_conf_set_consumer_stats_cb), each NULL when not set,
 * with its argument. Copied with the conf. */
typedef struct kafka__conf_cbs_s {
    kafka_log_cb_t *log;
    void *log_opaque;
    kafka_stats_cb_t *stats;
    void *stats_opaque;
    kafka_consumer_stats_cb_t *consumer_stats;
    void *consumer_stats_opaque;
} kafka__conf_cbs_t;

/* conf's callbacks, valid as long as conf. */
const kafka__conf_cbs_t *kafka__conf_cbs(const kafka_conf_t *conf);

#endif
