/* Committed offsets (kafka_consumer_commit / kafka_consumer_committed): in Kafka at the
 * group coordinator (our mock, with NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS
 * injected; librdkafka's mock, checked with a librdkafka consumer's committed()), and in
 * a local file replaced atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/consumer.h"
#include "kafka/mock.h"
#include "testutil.h"

static void test_kafka_storage_our_mock(void) {
    kafka_mock_conf_t mc;
    kafka_mock_conf_init(&mc);
    kafka_mock_t *m = kafka_mock_new(&mc, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    kafka_mock_topic_create(m, "t", 3, 3);
    kafka_mock_topic_create(m, "u", 1, 3);
    const char *kv[] = {"group.id", "g1", "retry.backoff.ms", "20", NULL};
    kafka_consumer_t *c = kafka_test_consumer(kafka_mock_bootstrap(m), kv);
    char err[512];
    int64_t off;
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "t", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, -1);
    kafka_topic_partition_t tps[] = {{"t", 0, 10}, {"u", 0, 3}, {"t", 2, 7}};
    CU_ASSERT_EQUAL(kafka_consumer_commit(c, tps, 3, err, sizeof(err)), KAFKA_OK);
    /* The coordinator moving or loading: found again, retried. */
    kafka_mock_push_error(m, KAFKA_API_OFFSET_COMMIT, -1, 1, KAFKA_ERR_NOT_COORDINATOR);
    kafka_mock_push_error(m, KAFKA_API_OFFSET_COMMIT, -1, 1, KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    tps[0].offset = 11;
    kafka_err_t e = kafka_consumer_commit(c, tps, 1, err, sizeof(err));
    if (e)
        fprintf(stderr, "commit: %s\n", err);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    kafka_consumer_destroy(c);
    /* A new consumer of the group (a restart) sees them. */
    c = kafka_test_consumer(kafka_mock_bootstrap(m), kv);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "t", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 11);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "t", 2, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 7);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "u", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 3);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "t", 1, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, -1);
    /* A non-retriable error is returned at once, naming the group. */
    kafka_mock_push_error(m, KAFKA_API_OFFSET_COMMIT, -1, 1, KAFKA_ERR_GROUP_AUTHORIZATION_FAILED);
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka_consumer_commit(c, tps, 1, err, sizeof(err)), KAFKA_ERR_GROUP_AUTHORIZATION_FAILED);
    CU_ASSERT(strstr(err, "g1") != NULL);
    CU_ASSERT(kafka_test_now_ms() - t0 < 2000);
    kafka_consumer_destroy(c);
    /* Without group.id: a config error saying so. */
    c = kafka_test_consumer(kafka_mock_bootstrap(m), NULL);
    CU_ASSERT_EQUAL(kafka_consumer_commit(c, tps, 1, err, sizeof(err)), KAFKA_ERR__INVALID_CONF);
    CU_ASSERT(strstr(err, "group.id") != NULL);
    CU_ASSERT_EQUAL(kafka_consumer_commit(c, NULL, 0, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    kafka_consumer_destroy(c);
    kafka_mock_destroy(m);
}

static void test_file_storage(void) {
    char dir[] = "/tmp/kafka-commit-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[256], tmp[300];
    snprintf(path, sizeof(path), "%s/offsets", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    const char *kv[] = {"offsets.storage", "file", "offsets.file", path, NULL};
    /* No broker is needed for file offsets: an address nothing listens on. */
    kafka_consumer_t *c = kafka_test_consumer("127.0.0.1:1", kv);
    char err[512];
    int64_t off;
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "logs", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, -1);
    kafka_topic_partition_t tps[] = {{"logs", 0, 100}, {"logs", 1, 5}};
    CU_ASSERT_EQUAL(kafka_consumer_commit(c, tps, 2, err, sizeof(err)), KAFKA_OK);
    tps[0].offset = 150;
    CU_ASSERT_EQUAL(kafka_consumer_commit(c, tps, 1, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0); /* renamed into place, nothing left behind */
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char text[256] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = 0;
    fclose(f);
    CU_ASSERT_STRING_EQUAL(text, "logs 0 150\nlogs 1 5\n");
    kafka_consumer_destroy(c);
    c = kafka_test_consumer("127.0.0.1:1", kv);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "logs", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 150);
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "logs", 1, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 5);
    kafka_consumer_destroy(c);
    /* offsets.storage=file without offsets.file: refused when the consumer is made. */
    kafka_conf_t *conf = kafka_conf_new();
    kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof(err));
    kafka_conf_set(conf, "offsets.storage", "file", err, sizeof(err));
    CU_ASSERT_PTR_NULL(kafka_consumer_new(conf, err, sizeof(err)));
    CU_ASSERT(strstr(err, "offsets.file") != NULL);
    kafka_conf_destroy(conf);
    unlink(path);
    rmdir(dir);
}

#ifdef KAFKA_HAVE_RDKAFKA
#include "rdk_data.h"

/* Committed through librdkafka's mock coordinator; a librdkafka consumer of the group
 * reads the same offsets back. */
static void test_kafka_storage_rdkafka(void) {
    char err[512];
    const char *bs = start_rdkafka_mock_logging(3, 0);
    rd_kafka_mock_topic_create(mc, "rt", 2, 3);
    const char *kv[] = {"group.id", "rg", NULL};
    kafka_consumer_t *c = kafka_test_consumer(bs, kv);
    kafka_topic_partition_t tps[] = {{"rt", 0, 42}, {"rt", 1, 9}};
    kafka_err_t e = kafka_consumer_commit(c, tps, 2, err, sizeof(err));
    if (e)
        fprintf(stderr, "commit: %s\n", err);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
    int64_t off;
    CU_ASSERT_EQUAL(kafka_consumer_committed(c, "rt", 0, &off, err, sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(off, 42);
    kafka_consumer_destroy(c);
    rd_kafka_conf_t *cf = rd_kafka_conf_new();
    rd_kafka_conf_set(cf, "bootstrap.servers", bs, err, sizeof(err));
    rd_kafka_conf_set(cf, "group.id", "rg", err, sizeof(err));
    rd_kafka_conf_set(cf, "log_level", "0", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, cf, err, sizeof(err));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, "rt", 0);
    rd_kafka_topic_partition_list_add(l, "rt", 1);
    CU_ASSERT_EQUAL(rd_kafka_committed(rk, l, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    CU_ASSERT_EQUAL(l->elems[0].offset, 42);
    CU_ASSERT_EQUAL(l->elems[1].offset, 9);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    stop_rdkafka_mock();
}
#endif

static CU_TestInfo tests[] = {
    {"Kafka storage at our mock's coordinator", test_kafka_storage_our_mock},
    {"file storage, atomic replace", test_file_storage},
#ifdef KAFKA_HAVE_RDKAFKA
    {"Kafka storage at librdkafka's mock, read by librdkafka", test_kafka_storage_rdkafka},
#endif
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("consumer_commit", tests)
