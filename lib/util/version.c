/* The library's version at run time, from the macros it was built with. */
#include "kafka/kafka.h"

const char *kafka_version(void) {
    return KAFKA_VERSION_STR;
}

int kafka_version_hex(void) {
    return KAFKA_VERSION_HEX;
}
