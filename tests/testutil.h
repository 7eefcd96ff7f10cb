/* Shared helpers for the CUnit suites: one suite per tests/test_<area>.c. */
#ifndef KAFKA_TESTUTIL_H
#define KAFKA_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

/* Runs one suite with CUnit's basic interface; the exit code is non-zero when any
 * assertion failed, so ctest sees the failure. */
int kafka_test_run(const char *suite_name, CU_TestInfo *tests);

#define KAFKA_TEST_MAIN(suite_name, tests) \
    int main(void) { return kafka_test_run(suite_name, tests); }

/* Reads a whole file under tests/fixtures into a malloc'd buffer; NULL if missing. */
uint8_t *kafka_test_fixture(const char *relpath, size_t *lenp);

/* Parses hex (whitespace and '#' comments ignored) into a malloc'd buffer. */
uint8_t *kafka_test_unhex(const char *hex, size_t *lenp);

#endif
