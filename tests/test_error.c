/* kafka_err_t: names, descriptions and retriable flags of Kafka's protocol codes and of
 * our client codes, and the broker names against librdkafka's when it is installed. */
#include <stdio.h>
#include <string.h>

#include "kafka/error.h"
#include "testutil.h"

#ifdef KAFKA_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>
#endif

typedef struct {
    int code;
    const char *name;
    bool client;
} err_entry_t;

/* The tables as written, kept apart from lib/util/error.c's switches. */
static const err_entry_t all_errors[] = {
#define CLIENT_ENTRY(name, code, retriable, desc) {(code), #name, true},
#define BROKER_ENTRY(name, code, retriable, desc) {(code), #name, false},
    KAFKA_CLIENT_ERRORS(CLIENT_ENTRY) KAFKA_BROKER_ERRORS(BROKER_ENTRY)
#undef CLIENT_ENTRY
#undef BROKER_ENTRY
};
#define N_ERRORS (sizeof(all_errors) / sizeof(all_errors[0]))

/* Apache Kafka 4.4 (KIP-1331); raise it with the table. */
#define HIGHEST_BROKER_CODE 135

static int max_broker_code(void) {
    int max = -1;
    for (size_t i = 0; i < N_ERRORS; i++)
        if (!all_errors[i].client && all_errors[i].code > max)
            max = all_errors[i].code;
    return max;
}

static void check(kafka_err_t err, const char *name, bool retriable) {
    CU_ASSERT_STRING_EQUAL(kafka_err_name(err), name);
    CU_ASSERT_EQUAL(kafka_err_retriable(err), retriable);
    CU_ASSERT_STRING_NOT_EQUAL(kafka_err2str(err), "Unknown error code");
}

static void test_known_codes(void) {
    check(-1, "UNKNOWN_SERVER_ERROR", false);
    check(0, "NONE", false);
    check(1, "OFFSET_OUT_OF_RANGE", false);
    check(2, "CORRUPT_MESSAGE", true);
    check(3, "UNKNOWN_TOPIC_OR_PARTITION", true);
    check(6, "NOT_LEADER_OR_FOLLOWER", true);
    check(7, "REQUEST_TIMED_OUT", true);
    check(10, "MESSAGE_TOO_LARGE", false);
    check(15, "COORDINATOR_NOT_AVAILABLE", true);
    check(16, "NOT_COORDINATOR", true);
    check(27, "REBALANCE_IN_PROGRESS", false);
    check(35, "UNSUPPORTED_VERSION", false);
    check(45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false);
    check(46, "DUPLICATE_SEQUENCE_NUMBER", false);
    check(47, "INVALID_PRODUCER_EPOCH", false);
    check(51, "CONCURRENT_TRANSACTIONS", true);
    check(59, "UNKNOWN_PRODUCER_ID", false);
    check(74, "FENCED_LEADER_EPOCH", true);
    check(89, "THROTTLING_QUOTA_EXCEEDED", true);
    check(90, "PRODUCER_FENCED", false);
    check(100, "UNKNOWN_TOPIC_ID", true);
    check(128, "INVALID_REGULAR_EXPRESSION", false);
    check(129, "REBOOTSTRAP_REQUIRED", false);
    check(133, "SHARE_SESSION_LIMIT_REACHED", true);
    check(HIGHEST_BROKER_CODE, "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", false);
    CU_ASSERT_EQUAL(max_broker_code(), HIGHEST_BROKER_CODE);

    CU_ASSERT_EQUAL(KAFKA_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    CU_ASSERT_EQUAL(KAFKA_ERR_NONE, KAFKA_OK);
    CU_ASSERT_EQUAL(KAFKA_ERR__TIMED_OUT, -120);
    check(KAFKA_ERR__TIMED_OUT, "_TIMED_OUT", true);
    check(KAFKA_ERR__BAD_CRC, "_BAD_CRC", false);
    check(KAFKA_ERR__UNKNOWN, "_UNKNOWN", false);
    CU_ASSERT_STRING_EQUAL(kafka_err2str(KAFKA_ERR_NONE), "No error.");
    CU_ASSERT_STRING_EQUAL(kafka_err2str(KAFKA_ERR__TIMED_OUT), "Operation timed out");
}

/* Kafka never skips a code: every one from -1 to the highest has an entry. */
static void test_contiguous(void) {
    int max = max_broker_code();
    for (int c = -1; c <= max; c++) {
        if (strcmp(kafka_err_name((kafka_err_t)c), "UNKNOWN_CODE") == 0) {
            fprintf(stderr, "\n  code %d has no entry\n", c);
            CU_FAIL("a broker code between -1 and the highest has no entry");
        }
    }
    size_t brokers = 0;
    for (size_t i = 0; i < N_ERRORS; i++)
        brokers += !all_errors[i].client;
    CU_ASSERT_EQUAL(brokers, (size_t)(max + 2));
}

static void test_names(void) {
    int duplicates = 0;
    for (size_t i = 0; i < N_ERRORS; i++) {
        const err_entry_t *e = &all_errors[i];
        const char *name = kafka_err_name((kafka_err_t)e->code);
        if (e->client) {
            CU_ASSERT(e->code <= -101 && e->code >= -199);
            CU_ASSERT_EQUAL(name[0], '_');
            CU_ASSERT_STRING_EQUAL(name + 1, e->name);
        } else {
            CU_ASSERT(e->code >= -1);
            CU_ASSERT_NOT_EQUAL(name[0], '_');
            CU_ASSERT_STRING_EQUAL(name, e->name);
        }
        for (size_t j = i + 1; j < N_ERRORS; j++) {
            if (e->code == all_errors[j].code ||
                strcmp(name, kafka_err_name((kafka_err_t)all_errors[j].code)) == 0)
                duplicates++;
        }
    }
    CU_ASSERT_EQUAL(duplicates, 0);
}

static void test_descriptions(void) {
    for (size_t i = 0; i < N_ERRORS; i++) {
        const char *d = kafka_err2str((kafka_err_t)all_errors[i].code);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT(d[0] != '\0');
        CU_ASSERT(strchr(d, '\n') == NULL);
        CU_ASSERT_STRING_NOT_EQUAL(d, "Unknown error code");
    }
}

static void test_unknown_codes(void) {
    /* Past the table, below UNKNOWN_SERVER_ERROR, gaps in the client range, far out. */
    const int unknown[] = {HIGHEST_BROKER_CODE + 1, 1000, 32767, -2, -100, -115,
                           -119, -150, -198, -200, -32768};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        kafka_err_t err = (kafka_err_t)unknown[i];
        CU_ASSERT_STRING_EQUAL(kafka_err_name(err), "UNKNOWN_CODE");
        CU_ASSERT_STRING_EQUAL(kafka_err2str(err), "Unknown error code");
        CU_ASSERT_FALSE(kafka_err_retriable(err));
    }
}

#ifdef KAFKA_HAVE_RDKAFKA
/* librdkafka 2.0.2 still uses pre-rename or shortened names for these codes; Kafka's
 * current names are ours. Any other difference is a mistake in one of the tables. */
static const struct {
    int code;
    const char *rdkafka, *kafka;
} renames[] = {
    {0, "NO_ERROR", "NONE"},
    {2, "INVALID_MSG", "CORRUPT_MESSAGE"},
    {3, "UNKNOWN_TOPIC_OR_PART", "UNKNOWN_TOPIC_OR_PARTITION"},
    {4, "INVALID_MSG_SIZE", "INVALID_FETCH_SIZE"},
    {6, "NOT_LEADER_FOR_PARTITION", "NOT_LEADER_OR_FOLLOWER"}, /* renamed by KIP-392 */
    {10, "MSG_SIZE_TOO_LARGE", "MESSAGE_TOO_LARGE"},
    {11, "STALE_CTRL_EPOCH", "STALE_CONTROLLER_EPOCH"},
    {17, "TOPIC_EXCEPTION", "INVALID_TOPIC_EXCEPTION"},
};

/* rd_kafka_err2name() answers "ERR_<n>?" for codes it does not know. */
static bool rdkafka_knows(const char *name) {
    size_t n = strlen(name);
    return !(strncmp(name, "ERR_", 4) == 0 && name[n - 1] == '?');
}

static void test_matches_librdkafka(void) {
    CU_ASSERT_STRING_EQUAL(rd_kafka_err2name(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION),
                           "NOT_LEADER_FOR_PARTITION");
    int compared = 0;
    for (int c = 0; c < RD_KAFKA_RESP_ERR_END_ALL; c++) {
        const char *theirs = rd_kafka_err2name((rd_kafka_resp_err_t)c);
        if (!theirs || !rdkafka_knows(theirs))
            continue;
        const char *ours = kafka_err_name((kafka_err_t)c);
        const char *expect = theirs;
        for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++) {
            if (renames[i].code == c && strcmp(renames[i].rdkafka, theirs) == 0)
                expect = renames[i].kafka;
        }
        if (strcmp(ours, expect) != 0)
            fprintf(stderr, "\n  code %d: ours %s, librdkafka %s\n", c, ours, theirs);
        CU_ASSERT_STRING_EQUAL(ours, expect);
        compared++;
    }
    CU_ASSERT(compared > 90);
}
#endif

static CU_TestInfo tests[] = {
    {"specific codes, names and retriable flags", test_known_codes},
    {"broker codes contiguous from -1 to the highest", test_contiguous},
    {"names unique, client names with leading underscore", test_names},
    {"every description non-empty and on one line", test_descriptions},
    {"unknown codes get fixed strings, not retriable", test_unknown_codes},
#ifdef KAFKA_HAVE_RDKAFKA
    {"broker names match librdkafka's, known renames aside", test_matches_librdkafka},
#endif
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("error", tests)
