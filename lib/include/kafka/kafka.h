/* libkafka: the umbrella header (every public header) and the library's version.
 *
 * The version macros say which headers were compiled against; kafka_version() says
 * which library was loaded at run time. The SONAME carries KAFKA_VERSION_MAJOR. */
#ifndef KAFKA_KAFKA_H
#define KAFKA_KAFKA_H

#include "kafka/admin.h"
#include "kafka/buf.h"
#include "kafka/conf.h"
#include "kafka/connection.h"
#include "kafka/consumer.h"
#include "kafka/error.h"
#include "kafka/groupmeta.h"
#include "kafka/io.h"
#include "kafka/message.h"
#include "kafka/mock.h"
#include "kafka/producer.h"
#include "kafka/protocol.h"

#define KAFKA_VERSION_MAJOR 0
#define KAFKA_VERSION_MINOR 1
#define KAFKA_VERSION_PATCH 0

#define KAFKA__STRINGIFY(x) #x
#define KAFKA__VERSION_STR(major, minor, patch) \
    KAFKA__STRINGIFY(major) "." KAFKA__STRINGIFY(minor) "." KAFKA__STRINGIFY(patch)
/* "MAJOR.MINOR.PATCH" */
#define KAFKA_VERSION_STR \
    KAFKA__VERSION_STR(KAFKA_VERSION_MAJOR, KAFKA_VERSION_MINOR, KAFKA_VERSION_PATCH)
/* 0xMMmmpp, for compile-time comparisons: #if KAFKA_VERSION_HEX >= 0x000200 */
#define KAFKA_VERSION_HEX \
    ((KAFKA_VERSION_MAJOR << 16) | (KAFKA_VERSION_MINOR << 8) | KAFKA_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The loaded library's KAFKA_VERSION_STR; a static string. Thread-safe. */
const char *kafka_version(void);

/* The loaded library's KAFKA_VERSION_HEX. Thread-safe. */
int kafka_version_hex(void);

#ifdef __cplusplus
}
#endif

#endif /* KAFKA_KAFKA_H */
