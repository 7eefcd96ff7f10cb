/* Condition variables on the monotonic clock, waited on until a kafka__now_ms()
 * deadline. */
#ifndef KAFKA_UTIL_COND_H
#define KAFKA_UTIL_COND_H

#include <pthread.h>
#include <time.h>

#include "util/clock.h"

static inline void kafka__cond_init(pthread_cond_t *cond) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
}

/* Waits on cond (initialized by kafka__cond_init) until signalled or deadline_ms
 * (kafka__now_ms() time) passed; returns at once when it already has. */
static inline void kafka__cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t deadline_ms) {
    int64_t left = deadline_ms - kafka__now_ms();
    if (left <= 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cond, lock, &ts);
}

#endif
