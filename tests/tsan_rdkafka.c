/* Linked into every test executable: only does something in ThreadSanitizer builds,
 * where tests that run librdkafka (an independent peer) need its threads to be visible
 * and its uninstrumented internals to be suppressed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_THREAD__) && defined(KAFKA_HAVE_RDKAFKA)
#include <pthread.h>
#include <threads.h>

/* Debian's librdkafka starts its threads with C11 thrd_create(), which ThreadSanitizer
 * does not intercept (glibc calls its internal pthread_create directly): such threads
 * have no TSan state and crash in its allocator. This definition, exported from the
 * executable, takes precedence for librdkafka and starts them through pthread_create(),
 * which TSan sees. glibc's thrd_join()/thrd_exit() agree with the int-in-void* result. */
typedef struct c11_start_s {
    thrd_start_t fn;
    void *arg;
} c11_start_t;

static void *c11_trampoline(void *p) {
    c11_start_t s = *(c11_start_t *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg) {
    c11_start_t *s = malloc(sizeof(*s));
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    pthread_t t;
    int r = pthread_create(&t, NULL, c11_trampoline, s);
    if (r) {
        free(s);
        return r == ENOMEM ? thrd_nomem : thrd_error;
    }
    *thr = (thrd_t)t;
    return thrd_success;
}

/* Joins and detaches go through pthreads too: glibc's own thrd_join() is invisible to
 * TSan, which then believes the thread still runs and trips over its id being reused
 * ("dup thread with used id") when a later thread gets it. */
int thrd_join(thrd_t thr, int *res) {
    void *r = NULL;
    if (pthread_join((pthread_t)thr, &r) != 0)
        return thrd_error;
    if (res)
        *res = (int)(intptr_t)r;
    return thrd_success;
}

int thrd_detach(thrd_t thr) { return pthread_detach((pthread_t)thr) == 0 ? thrd_success : thrd_error; }

/* librdkafka itself is not instrumented, and glibc's C11 mtx_lock()/cnd_wait() and its
 * inline atomics are invisible to TSan, so every hand-over through its queues looks like
 * a race. Reports with a librdkafka frame in either access (or the creating stack of a
 * "leaked" thread, joined by the invisible thrd_join()) say nothing about our code: the
 * mock shares no memory with librdkafka, only sockets. Races between the mock's event
 * loop and this thread's kafka_mock_* calls stay reported. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void) { return "race:librdkafka.so\nthread:librdkafka.so\n"; }
#endif

/* ISO C forbids an empty translation unit. */
typedef int kafka__tsan_rdkafka_unused_t;
