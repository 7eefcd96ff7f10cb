/* The library's log: one line per event, to the application's log callback
 * (kafka_conf_set_log_cb) or else to stderr. kafka__log() is the one place that decides
 * what is written: the severity against log.level, then the rate limit per (facility,
 * key), so a flapping broker cannot flood the application's log. */
#ifndef KAFKA_CORE_LOG_H
#define KAFKA_CORE_LOG_H

#include <stdbool.h>

#include "kafka/conf.h"

#define KAFKA__LOG_WARNING 4
#define KAFKA__LOG_NOTICE 5
#define KAFKA__LOG_INFO 6
#define KAFKA__LOG_DEBUG 7

/* Without a callback, and when the application did not set log.level, stderr gets
 * warnings and worse only. */
#define KAFKA__LOG_STDERR_DEFAULT KAFKA__LOG_WARNING

/* The rate limit: per (facility, key), the first BURST lines of an interval pass, the
 * rest are counted and the next line that passes ends with "(N similar messages
 * suppressed)". */
#define KAFKA__LOG_BURST 3
#define KAFKA__LOG_INTERVAL_MS 10000

typedef struct kafka__logger_s kafka__logger_t;

/* A fresh limiter with the given rate (burst lines per interval_ms); NULL when out of memory. */
kafka__logger_t *kafka__logger_new(int burst, int interval_ms);
/* A fresh limiter with l's rate, none of its history. */
kafka__logger_t *kafka__logger_clone(const kafka__logger_t *l);
void kafka__logger_destroy(kafka__logger_t *l);
/* Changes the rate (tests shorten the interval). */
/* @thread any  @locks the logger's */
void kafka__logger_set_rate(kafka__logger_t *l, int burst, int interval_ms);

/* Logs one formatted line under facility fac (e.g. "VERSION"); key names the event for
 * the rate limit (NULL: the message itself). conf NULL: nothing. */
/* @thread any  @locks the conf's logger (not held while the callback runs) */
__attribute__((format(printf, 5, 6))) void kafka__log(const kafka_conf_t *conf, int level, const char *fac,
                                                      const char *key, const char *fmt, ...);

/* The most verbose level logged: log.level if the application set it, else 6 with a
 * callback and KAFKA__LOG_STDERR_DEFAULT without. */
int kafka__log_level(const kafka_conf_t *conf);

/* A connection's state as the log has told it: each transition is logged once, not each
 * retry. who names the peer ("broker 1 (host:9092)"); why is the cause (never a secret). */
typedef struct kafka__linkstate_s {
    bool down;
} kafka__linkstate_t;

/* Warning "who: connection lost: why" when s was up. */
void kafka__log_lost(const kafka_conf_t *conf, kafka__linkstate_t *s, const char *fac, const char *who,
                     const char *why);
/* Warning "who: connection restored" when s was down, at the loss's level so that a sink
 * that showed the loss shows its end. */
void kafka__log_restored(const kafka_conf_t *conf, kafka__linkstate_t *s, const char *fac, const char *who);

/* The conf's parts the log reads (lib/core/conf.c). */
kafka__logger_t *kafka__conf_logger(const kafka_conf_t *conf);
bool kafka__conf_is_set(const kafka_conf_t *conf, kafka_conf_prop_t prop);

#endif
