/* kafka-agent run: its INI configuration.
 *
 *   # Kafka properties at the top level or in [kafka]
 *   bootstrap.servers = 127.0.0.1:9092
 *   data.dir = /var/lib/kafka-agent       # checkpoints (required for at-least-once, must exist)
 *   delivery.guarantee = at-least-once | exactly-once
 *   agent.id = web-1                      # exactly-once: required; transactional.id is
 *                                         # "kafka-agent-" + agent.id
 *   checkpoint.topic = __kafka_agent_checkpoints   # exactly-once: the checkpoints' topic
 *   transaction.interval.ms = 100         # exactly-once: a transaction at least this often
 *   stats.interval.ms = 10000             # a stats line on stderr (0: none)
 *   stats.file = /run/kafka-agent.json    # optional JSON stats, replaced atomically
 *   metrics.listen = 127.0.0.1:9464       # optional: GET /metrics and /healthz (metrics.h)
 *   healthz.stall.ms = 60000              # /healthz: 503 when lines wait this long undelivered
 *   log.format = text | json              # stderr lines (alog.h); log.level goes to the library
 *
 *   [input.NAME]
 *   type = file | stdin
 *   path = /var/log/app/<glob>.log        # file: a glob (* ? [...])
 *   topic = logs
 *   key.delimiter = \t                    # optional: key before the first delimiter
 *   start = beginning | end               # file: where files seen the first time start
 *   oversize = skip | fail                # a line over message.max.bytes
 */
#ifndef KAFKA_AGENT_RUN_CONF_H
#define KAFKA_AGENT_RUN_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/conf.h"

#define RUN_MAX_INPUTS 64
#define RUN_CHECKPOINT_TOPIC "__kafka_agent_checkpoints" /* checkpoint.topic's default */
#define RUN_TXN_ID_PREFIX "kafka-agent-"                  /* transactional.id = this + agent.id */

typedef struct run_input_s {
    char name[128];
    bool is_stdin;
    char path[1024]; /* glob */
    char topic[256];
    char delim[32];
    size_t delim_len;
    bool start_end;
    bool oversize_fail;
    int line; /* where the section starts, for messages */
} run_input_t;

typedef struct run_conf_s {
    char path[1024]; /* the config file */
    char data_dir[1024];
    bool exactly_once;           /* delivery.guarantee */
    char agent_id[128];          /* "" when not set */
    char checkpoint_topic[250];
    int64_t txn_interval_ms;
    int64_t stats_interval_ms;
    char stats_file[1024];
    char metrics_listen[300];
    int64_t healthz_stall_ms;
    bool delivery_timeout_set, queue_full_timeout_set;
    int ninputs;
    run_input_t inputs[RUN_MAX_INPUTS];
} run_conf_t;

/* Reads the config file into rc and its Kafka properties into conf. On error prints
 * nothing and fills errstr with "FILE:LINE: reason" (or "FILE: reason"); false. */
bool run_conf_load(const char *path, run_conf_t *rc, kafka_conf_t *conf, char *errstr, size_t errstr_size);

#endif
