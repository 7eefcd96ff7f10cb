/* Names, descriptions and retriable flags of kafka_err_t, each a switch generated from
 * the X-macro tables in kafka/error.h and kafka/error_codes.h, so a code added there is
 * known here without further edits. */
#include "kafka/error.h"

const char *kafka_err2str(kafka_err_t err) {
    switch ((int)err) {
#define KAFKA__ERR_DESC(name, code, retriable, desc) \
    case (code):                                     \
        return desc;
        KAFKA_CLIENT_ERRORS(KAFKA__ERR_DESC)
        KAFKA_BROKER_ERRORS(KAFKA__ERR_DESC)
#undef KAFKA__ERR_DESC
    default:
        return "Unknown error code";
    }
}

/* Client names keep one leading underscore of their KAFKA_ERR__ prefix, as librdkafka
 * spells local errors, so they never collide with a broker name. */
const char *kafka_err_name(kafka_err_t err) {
    switch ((int)err) {
#define KAFKA__ERR_CLIENT_NAME(name, code, retriable, desc) \
    case (code):                                            \
        return "_" #name;
#define KAFKA__ERR_BROKER_NAME(name, code, retriable, desc) \
    case (code):                                            \
        return #name;
        KAFKA_CLIENT_ERRORS(KAFKA__ERR_CLIENT_NAME)
        KAFKA_BROKER_ERRORS(KAFKA__ERR_BROKER_NAME)
#undef KAFKA__ERR_CLIENT_NAME
#undef KAFKA__ERR_BROKER_NAME
    default:
        return "UNKNOWN_CODE";
    }
}

bool kafka_err_retriable(kafka_err_t err) {
    switch ((int)err) {
#define KAFKA__ERR_RETRIABLE(name, code, retriable, desc) \
    case (code):                                          \
        return (retriable);
        KAFKA_CLIENT_ERRORS(KAFKA__ERR_RETRIABLE)
        KAFKA_BROKER_ERRORS(KAFKA__ERR_RETRIABLE)
#undef KAFKA__ERR_RETRIABLE
    default:
        return false;
    }
}
