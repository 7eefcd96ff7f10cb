/* librdkafka's mock cluster (for every suite that uses it) and a librdkafka producer
 * writing a known sequence of messages, for the consumer suites (test_consumer_rdkafka,
 * test_consumer_loop).
 * Message i: key "key-i" (every 5th null); value "value-i", every 7th null, every 7th+1
 * empty, every 11th+3 200 KiB of letters; i % 3 headers ("h0"="hv-i", "h1"=null);
 * timestamp T0 + i. */
#ifndef KAFKA_TESTS_RDK_DATA_H
#define KAFKA_TESTS_RDK_DATA_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/consumer.h"

#define T0 1600000000000LL
#define BIG (200 * 1024)

extern rd_kafka_t *mock_rk;
extern rd_kafka_mock_cluster_t *mc;
extern int delivered, failed; /* delivery reports of rd_producer()'s producer */

/* Starts the mock cluster (mock_rk, mc), every API at the versions it offers (its
 * ListOffsets v4/v5 responses do not decode, so the client steps down to v3); returns its
 * bootstrap servers, on 127.0.0.1, valid until stop_rdkafka_mock(). It logs errors
 * (librdkafka log_level 3); _logging takes the level. */
const char *start_rdkafka_mock(int brokers);
const char *start_rdkafka_mock_logging(int brokers, int log_level);
void stop_rdkafka_mock(void);
/* A consumer of ours with quick test settings, then kv (NULL-terminated key, value). */
/* Message i's key and value (len -1: null) into key (32 bytes) and val (BIG + 1). */
void message_kv(int i, char *key, int32_t *kl, char *val, int32_t *vl);
/* A librdkafka producer with codec and linger.ms; resets delivered/failed. */
rd_kafka_t *rd_producer(const char *bootstrap, const char *codec, const char *linger_ms);
/* Produces messages [first, first + n), message i to partition i % nparts, and waits
 * for their delivery reports. */
void rdk_produce(rd_kafka_t *rk, const char *topic, int nparts, int first, int n);
/* m must be message i at partition offset `offset` of topic/partition. */
void check_message(const kafka_message_t *m, const char *topic, int32_t partition, int i, int64_t offset);

#endif
