/* Linked into every test executable: only does something in ThreadSanitizer builds,
 * where tests that run librdkafka (an independent peer) need its threads and locks to be
 * visible and its uninstrumented internals to be suppressed. */
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

/* Its mutexes, condition variables and call_once likewise (these are all the C11 calls
 * it imports): glibc's mtx_lock(), cnd_wait() and the rest call its internal pthread
 * functions, past TSan's interceptors, so the hand-over of a message from the
 * application thread to a broker thread (which compresses it with zlib, snappy, lz4 or
 * zstd) would look like a race in the codec library. glibc's mtx_t, cnd_t and once_flag
 * are its pthread_mutex_t, pthread_cond_t and pthread_once_t, so these go through the
 * intercepted calls instead. */
int mtx_init(mtx_t *m, int type) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (type & mtx_recursive)
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    int r = pthread_mutex_init((pthread_mutex_t *)m, &a);
    pthread_mutexattr_destroy(&a);
    return r == 0 ? thrd_success : thrd_error;
}

int mtx_lock(mtx_t *m) { return pthread_mutex_lock((pthread_mutex_t *)m) == 0 ? thrd_success : thrd_error; }
int mtx_unlock(mtx_t *m) { return pthread_mutex_unlock((pthread_mutex_t *)m) == 0 ? thrd_success : thrd_error; }
void mtx_destroy(mtx_t *m) { pthread_mutex_destroy((pthread_mutex_t *)m); }

int cnd_init(cnd_t *c) { return pthread_cond_init((pthread_cond_t *)c, NULL) == 0 ? thrd_success : thrd_error; }
int cnd_signal(cnd_t *c) { return pthread_cond_signal((pthread_cond_t *)c) == 0 ? thrd_success : thrd_error; }
int cnd_broadcast(cnd_t *c) {
    return pthread_cond_broadcast((pthread_cond_t *)c) == 0 ? thrd_success : thrd_error;
}
void cnd_destroy(cnd_t *c) { pthread_cond_destroy((pthread_cond_t *)c); }

int cnd_wait(cnd_t *c, mtx_t *m) {
    return pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m) == 0 ? thrd_success : thrd_error;
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts) {
    int r = pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts);
    return r == 0 ? thrd_success : r == ETIMEDOUT ? thrd_timedout : thrd_error;
}

void call_once(once_flag *flag, void (*fn)(void)) { pthread_once((pthread_once_t *)flag, fn); }

/* librdkafka itself is not instrumented, and its inline atomics (reference counts) are
 * invisible to TSan: a buffer it frees on one thread after another dropped the last
 * reference, or a lock it destroys, looks like a race. Reports with a librdkafka frame in
 * either access (or the creating stack of a "leaked" thread) say nothing about our code:
 * the mock shares no memory with librdkafka, only sockets. Races between the mock's event
 * loop and this thread's kafka_mock_* calls stay reported, and so do races in the codec
 * libraries: those called by librdkafka were the C11 mutex hand-overs above, those
 * called by us are ours. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void) { return "race:librdkafka.so\nthread:librdkafka.so\n"; }
#endif

/* ISO C forbids an empty translation unit. */
typedef int kafka__tsan_rdkafka_unused_t;
