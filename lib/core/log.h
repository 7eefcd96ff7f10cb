/* The library's log: one line per event, to the application's log callback
 * (kafka_conf_set_log_cb) or else to stderr, when its severity is within log.level. */
#ifndef KAFKA_CORE_LOG_H
#define KAFKA_CORE_LOG_H

#include "kafka/conf.h"

#define KAFKA__LOG_WARNING 4
#define KAFKA__LOG_INFO 6

/* Logs one formatted line under facility fac (e.g. "VERSION"); conf NULL: nothing. */
/* @thread any  @locks none (the callback runs on the caller's thread) */
__attribute__((format(printf, 4, 5))) void kafka__log(const kafka_conf_t *conf, int level, const char *fac,
                                                      const char *fmt, ...);

#endif
