/* kafka-agent against librdkafka's mock cluster (in this process, on 127.0.0.1), every
 * API at the versions the mock offers: offsets, consume and bench consume work (its
 * ListOffsets v4/v5 do not decode; the client steps down to v3), and on a log the mock
 * trimmed (it keeps 5 MiB per partition) what cannot be read is named: consume from a
 * deleted offset reports the gap auto.offset.reset jumped and exits 1; bench consume
 * asked for more than the broker holds says where the logs start now. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA

#include "rdk_data.h"

/* Runs kafka-agent with args (stdout and stderr together into out); its exit status. */
#define agent(out, out_size, ...) kafka_test_exec(KAFKA_AGENT, out, out_size, __VA_ARGS__)

/* Lines of out that are exactly `line`. */
static int count_lines(const char *out, const char *line) {
    int n = 0;
    size_t len = strlen(line);
    for (const char *s = out; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
        n += strncmp(s, line, len) == 0 && (s[len] == '\n' || s[len] == 0);
    return n;
}

static char out[1 << 22];

/* The uncapped mock: offsets, consume -e and bench consume all go (they failed with
 * "ListOffsetsResponse v5: trailing bytes after the message at byte 48" before). */
static void test_uncapped(void) {
    const char *bs = start_rdkafka_mock(3);
    rd_kafka_mock_topic_create(mc, "ag", 2, 3);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, "ag", 2, 0, 60);
    rd_kafka_destroy(rk);
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "offsets -b %s -t ag -p 1 --time latest", bs), 0);
    CU_ASSERT(count_lines(out, "30") == 1);
    CU_ASSERT(strstr(out, "ListOffsets v5 response does not decode") != NULL); /* said on stderr */
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "consume -b %s -t ag -o beginning -e -f 'P%%p\\n'", bs), 0);
    CU_ASSERT_EQUAL(count_lines(out, "P0"), 30);
    CU_ASSERT_EQUAL(count_lines(out, "P1"), 30);
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "bench consume -b %s -t ag -n 60 -s 100", bs), 0);
    CU_ASSERT(strstr(out, "RESULT mode=consume msgs=60 ") != NULL);
    if (!strstr(out, "RESULT mode=consume msgs=60 "))
        fprintf(stderr, "%s\n", out);
    stop_rdkafka_mock();
}

/* ~7 MB into one partition: the mock deletes the first messages. */
static void test_trimmed(void) {
    const char *bs = start_rdkafka_mock(1);
    rd_kafka_mock_topic_create(mc, "tr", 1, 1);
    rd_kafka_t *rk = rd_producer(bs, "none", "5");
    rdk_produce(rk, "tr", 1, 0, 400);
    int64_t lo = -1, hi = -1;
    CU_ASSERT_EQUAL(rd_kafka_query_watermark_offsets(rk, "tr", 0, &lo, &hi, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
    CU_ASSERT(lo > 0 && hi == 400);
    char want[300];
    /* From the beginning: all the broker holds, exit 0. */
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "consume -b %s -t tr -o beginning -e -f 'O%%o\\n'", bs), 0);
    snprintf(want, sizeof(want), "O%lld", (long long)lo);
    CU_ASSERT_EQUAL(count_lines(out, want), 1);
    CU_ASSERT_EQUAL(count_lines(out, "O399"), 1);
    /* From offset 0, deleted: the gap is reported, the rest printed, exit 1. */
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "consume -b %s -t tr -o 0 -e -f 'O%%o\\n' -X auto.offset.reset=earliest", bs),
                    1);
    CU_ASSERT(strstr(out, "tr/0: offset 0 is out of range on broker 1 (127.0.0.1:") != NULL);
    snprintf(want, sizeof(want), "(log start %lld, high watermark 400: the broker no longer holds the messages before %lld",
             (long long)lo, (long long)lo);
    CU_ASSERT(strstr(out, want) != NULL);
    snprintf(want, sizeof(want), "auto.offset.reset=earliest moved the position to %lld, so offsets 0..%lld were not read",
             (long long)lo, (long long)lo - 1);
    CU_ASSERT(strstr(out, want) != NULL);
    CU_ASSERT(strstr(out, "messages were skipped by auto.offset.reset, reported above") != NULL);
    snprintf(want, sizeof(want), "O%lld", (long long)lo);
    CU_ASSERT_EQUAL(count_lines(out, want), 1);
    CU_ASSERT_EQUAL(count_lines(out, "O399"), 1);
    /* The same with reset=latest (the default): nothing printed, yet not a silent end. */
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "consume -b %s -t tr -o 0 -e -f 'O%%o\\n'", bs), 1);
    CU_ASSERT(strstr(out, "auto.offset.reset=latest moved the position to 400, so offsets 0..399 were not read") !=
              NULL);
    CU_ASSERT_EQUAL(count_lines(out, "O399"), 0);
    /* bench consume of more than the broker keeps: it fills the topic, the mock deletes
     * again, and the failure says so. */
    CU_ASSERT_EQUAL(agent(out, sizeof(out), "bench consume -b %s -t tr -n 100000 -s 100", bs), 1);
    CU_ASSERT(strstr(out, "the topic ended after ") != NULL);
    CU_ASSERT(strstr(out, "of 100000 messages: the broker holds ") != NULL);
    CU_ASSERT(strstr(out, "its log starting at tr/0 at ") != NULL);
    CU_ASSERT(strstr(out, "the messages before were deleted (retention)") != NULL);
    if (!strstr(out, "the messages before were deleted"))
        fprintf(stderr, "%s\n", out);
    stop_rdkafka_mock();
}

static CU_TestInfo tests[] = {
    {"offsets, consume and bench consume on the uncapped mock", test_uncapped},
    {"a trimmed log: the gap and the deletions are named", test_trimmed},
    CU_TEST_INFO_NULL,
};

#else

static void test_skipped(void) { fprintf(stderr, "librdkafka not found: skipped\n"); }
static CU_TestInfo tests[] = {{"skipped (no librdkafka)", test_skipped}, CU_TEST_INFO_NULL};

#endif

KAFKA_TEST_MAIN("agent_rdkafka", tests)
