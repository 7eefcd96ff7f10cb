/* The conf's parts that are not properties, as the clients read them (lib/core/conf.c). */
#ifndef KAFKA_CORE_CONF_INT_H
#define KAFKA_CORE_CONF_INT_H

#include "kafka/conf.h"

/* The stats callback (kafka_conf_set_stats_cb), NULL when none; *opaque (optional)
 * receives its argument. */
kafka_stats_cb_t *kafka__conf_stats_cb(const kafka_conf_t *conf, void **opaque);

#endif
