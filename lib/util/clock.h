/* Clocks: monotonic milliseconds for deadlines and timeouts (microseconds for latencies), wall-clock milliseconds for
 * record timestamps, and a sleep that takes milliseconds. */
#ifndef KAFKA_UTIL_CLOCK_H
#define KAFKA_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t kafka__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic microseconds: request latencies. */
static inline int64_t kafka__now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic milliseconds that lag by up to a kernel tick (a few ms) and cost a
 * fraction of kafka__now_ms(): for per-message bookkeeping such as delivery timeouts. */
static inline int64_t kafka__now_coarse_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t kafka__wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void kafka__sleep_ms(int64_t ms) {
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
