/* kafka-agent run: file checkpoints, in data.dir (at-least-once) or in checkpoint.topic
 * (exactly-once).
 *
 * A checkpoint says where to resume one file: its device and inode, a fingerprint of its
 * first fp_len bytes (a reused inode with other content is another file), the offset
 * just past the last line shipped, and the path it had (to find it again by inode when
 * it was renamed while the agent was down).
 *
 * In checkpoint.topic each checkpoint is one record, produced in the transaction of the
 * lines it covers: key "AGENT.ID\tDEV:INO", value "OFF FP_LEN FP(hex) PATH", a null
 * value (a tombstone) once the file is forgotten. The topic is created when missing
 * with cleanup.policy=compact, so Kafka keeps the latest record per key; the reader
 * takes the latest per key itself, and so works on a log that is not compacted (as
 * kafka-mock's, which stores cleanup.policy but never compacts). */
#ifndef KAFKA_AGENT_RUN_CKPT_H
#define KAFKA_AGENT_RUN_CKPT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"

typedef struct run_ckpt_s {
    unsigned long long dev, ino, fp;
    int fp_len;
    long long off;
    char path[1024];
} run_ckpt_t;

/* The checkpoints of DIR/checkpoints ("DEV INO FP_LEN FP OFF PATH" per line): a malloc'd
 * array in *out (NULL when none), their count returned; a missing file is none. */
int run_ckpt_load_file(const char *dir, run_ckpt_t **out);

/* The record key and value of a checkpoint in checkpoint.topic; the length, or 0 when
 * buf is too small. */
size_t run_ckpt_key(char *buf, size_t size, const char *agent_id, unsigned long long dev, unsigned long long ino);
size_t run_ckpt_value(char *buf, size_t size, const run_ckpt_t *c);

/* Creates topic when it is missing: 1 partition, replication factor min(3, brokers),
 * cleanup.policy=compact. An existing topic is used as it is. False with errstr on
 * failure. */
bool run_ckpt_topic_ensure(const kafka_conf_t *conf, const char *topic, char *errstr, size_t errstr_size);

/* Reads every partition of topic to its end with isolation.level=read_committed and
 * returns agent_id's checkpoints, the latest record per key (tombstones remove it): a
 * malloc'd array in *out, the count in *n. Gives up after timeout_ms. False with errstr
 * on failure. */
bool run_ckpt_topic_load(const kafka_conf_t *conf, const char *topic, const char *agent_id, int timeout_ms,
                         run_ckpt_t **out, int *n, char *errstr, size_t errstr_size);

#endif
