/* The MPSC queue: FIFO order, exactly-once delivery and per-producer order under
 * concurrent producers, the transient mid-push state, and the eventfd wakeup (woken
 * within a bound, never lost). Runs clean under ThreadSanitizer. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "testutil.h"
#include "util/mpscq.h"

/* queue element: application -> broker (the test's producers -> its consumer) */
typedef struct item_s {
    kafka__mpscq_node_t to_broker;
    int producer;
    int seq;
} item_t;

static item_t *pop_item(kafka__mpscq_t *q) {
    kafka__mpscq_node_t *n = kafka__mpscq_pop(q);
    return n ? KAFKA__MPSCQ_ENTRY(n, item_t, to_broker) : NULL;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_fifo_single_thread(void) {
    enum { N = 1000 };
    static item_t items[N];
    kafka__mpscq_t q;
    CU_ASSERT_FATAL(kafka__mpscq_init(&q) == 0);
    CU_ASSERT(kafka__mpscq_empty_hint(&q));
    CU_ASSERT_PTR_NULL(kafka__mpscq_pop(&q));

    for (int i = 0; i < N; i++) {
        items[i].seq = i;
        kafka__mpscq_push(&q, &items[i].to_broker);
    }
    CU_ASSERT(!kafka__mpscq_empty_hint(&q));
    for (int i = 0; i < N; i++) {
        item_t *it = pop_item(&q);
        CU_ASSERT_PTR_EQUAL_FATAL(it, &items[i]);
    }
    CU_ASSERT_PTR_NULL(kafka__mpscq_pop(&q));
    CU_ASSERT(kafka__mpscq_empty_hint(&q));

    /* Interleaved: the queue passes through "one element" and "empty" each round, so
     * the stub is re-inserted and skipped over and over; a node may be pushed again
     * once popped. */
    for (int round = 0; round < 100; round++) {
        int k = round % 5 + 1;
        for (int i = 0; i < k; i++)
            kafka__mpscq_push(&q, &items[i].to_broker);
        for (int i = 0; i < k; i++)
            CU_ASSERT_PTR_EQUAL(pop_item(&q), &items[i]);
        CU_ASSERT_PTR_NULL(kafka__mpscq_pop(&q));
        CU_ASSERT(kafka__mpscq_empty_hint(&q));
    }
    kafka__mpscq_destroy(&q);
}

/* A producer that has exchanged head but not linked yet: pop must not skip it nor run
 * past it, and wait must not sleep. Reproduced by doing push's two steps by hand. */
static void test_mid_push(void) {
    static item_t a, b, c;
    kafka__mpscq_t q;
    CU_ASSERT_FATAL(kafka__mpscq_init(&q) == 0);
    kafka__mpscq_push(&q, &a.to_broker);
    kafka__mpscq_push(&q, &b.to_broker);

    atomic_store(&c.to_broker.next, NULL);
    kafka__mpscq_node_t *prev = atomic_exchange(&q.head, &c.to_broker);
    CU_ASSERT_PTR_EQUAL(prev, &b.to_broker);
    CU_ASSERT_PTR_EQUAL(pop_item(&q), &a);
    CU_ASSERT_PTR_NULL(kafka__mpscq_pop(&q)); /* b is there, but c is not linked behind it */
    CU_ASSERT(!kafka__mpscq_empty_hint(&q));
    CU_ASSERT_EQUAL(kafka__mpscq_wait(&q, 5000), 1); /* returns at once: not empty */

    atomic_store(&prev->next, &c.to_broker); /* the producer finishes */
    CU_ASSERT_PTR_EQUAL(pop_item(&q), &b);
    CU_ASSERT_PTR_EQUAL(pop_item(&q), &c);
    CU_ASSERT_PTR_NULL(kafka__mpscq_pop(&q));
    CU_ASSERT(kafka__mpscq_empty_hint(&q));
    kafka__mpscq_destroy(&q);
}

enum { PRODUCERS = 4, PER_PRODUCER = 100000 };

typedef struct {
    kafka__mpscq_t *q;
    item_t *items; /* PER_PRODUCER of them */
    int id;
} producer_arg_t;

static void *producer_main(void *p) {
    producer_arg_t *a = p;
    for (int i = 0; i < PER_PRODUCER; i++) {
        a->items[i].producer = a->id;
        a->items[i].seq = i;
        kafka__mpscq_push(a->q, &a->items[i].to_broker);
    }
    return NULL;
}

static void test_mpsc_exactly_once(void) {
    kafka__mpscq_t q;
    CU_ASSERT_FATAL(kafka__mpscq_init(&q) == 0);
    item_t *items = calloc((size_t)PRODUCERS * PER_PRODUCER, sizeof *items);
    CU_ASSERT_FATAL(items != NULL);
    pthread_t th[PRODUCERS];
    producer_arg_t args[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        args[p] = (producer_arg_t){&q, items + (size_t)p * PER_PRODUCER, p};
        CU_ASSERT_FATAL(pthread_create(&th[p], NULL, producer_main, &args[p]) == 0);
    }

    /* Each producer's items must arrive as 0, 1, 2, ...: that is exactly once and in
     * that producer's order at the same time. */
    int next_seq[PRODUCERS] = {0};
    long received = 0, bad = 0, timeouts = 0;
    while (received < (long)PRODUCERS * PER_PRODUCER && timeouts == 0) {
        item_t *it = pop_item(&q);
        if (!it) {
            if (kafka__mpscq_wait(&q, 5000) == 0)
                timeouts++;
            continue;
        }
        if (it->producer < 0 || it->producer >= PRODUCERS || it->seq != next_seq[it->producer])
            bad++;
        else
            next_seq[it->producer]++;
        received++;
    }
    for (int p = 0; p < PRODUCERS; p++)
        pthread_join(th[p], NULL);

    CU_ASSERT_EQUAL(timeouts, 0);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(received, (long)PRODUCERS * PER_PRODUCER);
    for (int p = 0; p < PRODUCERS; p++)
        CU_ASSERT_EQUAL(next_seq[p], PER_PRODUCER);
    CU_ASSERT_PTR_NULL(kafka__mpscq_pop(&q));
    CU_ASSERT(kafka__mpscq_empty_hint(&q));
    free(items);
    kafka__mpscq_destroy(&q);
}

typedef struct {
    kafka__mpscq_t *q;
    int rc;
    int64_t woke_ms;
    item_t *got;
} waiter_arg_t;

static void *waiter_main(void *p) {
    waiter_arg_t *a = p;
    a->rc = kafka__mpscq_wait(a->q, 5000);
    a->woke_ms = kafka_test_now_ms();
    a->got = pop_item(a->q);
    return NULL;
}

static void test_wait_woken_by_push(void) {
    static item_t it;
    kafka__mpscq_t q;
    CU_ASSERT_FATAL(kafka__mpscq_init(&q) == 0);

    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(kafka__mpscq_wait(&q, 30), 0); /* empty: times out */
    CU_ASSERT(kafka_test_now_ms() - t0 >= 25);

    waiter_arg_t a = {&q, -2, 0, NULL};
    pthread_t th;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, waiter_main, &a) == 0);
    sleep_ms(100); /* let it block in poll */
    int64_t pushed_ms = kafka_test_now_ms();
    kafka__mpscq_push(&q, &it.to_broker);
    pthread_join(th, NULL);

    CU_ASSERT_EQUAL(a.rc, 1);
    CU_ASSERT_PTR_EQUAL(a.got, &it);
    CU_ASSERT(a.woke_ms - t0 >= 100);          /* it did block until the push */
    CU_ASSERT(a.woke_ms - pushed_ms < 1000);   /* and the push woke it, not the timeout */
    kafka__mpscq_destroy(&q);
}

/* Ping-pong through two queues, one per direction. The application side spins for the
 * answer and pushes the next ping at once; the broker side, after answering, waits a
 * delay that sweeps 0..1023 loops before it pops and, finding nothing, waits. So pings
 * land all over the broker's few-instruction window between its empty pop and arming
 * the wakeup — where a lost wakeup would hide. The two sides are pinned to different
 * CPUs: left to the scheduler they often share one, and then the broker is always
 * asleep long before the ping comes. Every 4th round the application side sleeps
 * in wait instead, so both directions are woken through the eventfd too. One lost
 * wakeup stalls the exchange and shows as a 5 s timeout. */
enum { ROUNDS = 20000 };

/* queue element: broker -> application */
typedef struct reply_s {
    kafka__mpscq_node_t to_app;
    int seq;
} reply_t;

typedef struct {
    kafka__mpscq_t to_broker, to_app;
    item_t ping;
    reply_t pong;
    atomic_int timeouts;
} pingpong_t;

/* Pops from q, spinning up to `spin` times, then waiting (5 s per wait); NULL after a
 * timeout on either side. */
static kafka__mpscq_node_t *pop_wait(pingpong_t *pp, kafka__mpscq_t *q, int spin) {
    for (;;) {
        kafka__mpscq_node_t *n = kafka__mpscq_pop(q);
        if (n)
            return n;
        if (atomic_load_explicit(&pp->timeouts, memory_order_relaxed))
            return NULL;
        if (spin > 0) {
            spin--;
            continue;
        }
        if (kafka__mpscq_wait(q, 5000) == 0) {
            atomic_fetch_add(&pp->timeouts, 1);
            return NULL;
        }
    }
}

/* Pins the calling thread to the nth CPU of `allowed`; nothing when there is none. */
static void pin_nth_cpu(const cpu_set_t *allowed, int nth) {
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, allowed) && nth-- == 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
    }
}

static cpu_set_t pingpong_cpus;

static void *broker_main(void *p) {
    pingpong_t *pp = p;
    pin_nth_cpu(&pingpong_cpus, 1);
    for (int i = 0; i < ROUNDS; i++) {
        kafka__mpscq_node_t *n = pop_wait(pp, &pp->to_broker, 0);
        if (!n)
            break;
        item_t *ping = KAFKA__MPSCQ_ENTRY(n, item_t, to_broker);
        pp->pong.seq = ping->seq; /* ping's fields are ours until we answer */
        kafka__mpscq_push(&pp->to_app, &pp->pong.to_app);
        for (volatile int d = 0; d < i % 1024; d++)
            ;
    }
    return NULL;
}

static void test_no_lost_wakeup(void) {
    pingpong_t *pp = calloc(1, sizeof *pp);
    CU_ASSERT_FATAL(pp != NULL);
    CU_ASSERT_FATAL(kafka__mpscq_init(&pp->to_broker) == 0);
    CU_ASSERT_FATAL(kafka__mpscq_init(&pp->to_app) == 0);
    CU_ASSERT_FATAL(pthread_getaffinity_np(pthread_self(), sizeof pingpong_cpus, &pingpong_cpus) == 0);
    pin_nth_cpu(&pingpong_cpus, 0);
    pthread_t th;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, broker_main, pp) == 0);

    int rounds = 0, mismatched = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pp->ping.seq = i;
        kafka__mpscq_push(&pp->to_broker, &pp->ping.to_broker);
        kafka__mpscq_node_t *n = pop_wait(pp, &pp->to_app, i % 4 ? 1000000 : 0);
        if (!n)
            break;
        if (KAFKA__MPSCQ_ENTRY(n, reply_t, to_app)->seq != i)
            mismatched++;
        rounds++;
    }
    pthread_join(th, NULL);
    pthread_setaffinity_np(pthread_self(), sizeof pingpong_cpus, &pingpong_cpus);

    CU_ASSERT_EQUAL(atomic_load(&pp->timeouts), 0);
    CU_ASSERT_EQUAL(rounds, ROUNDS);
    CU_ASSERT_EQUAL(mismatched, 0);
    kafka__mpscq_destroy(&pp->to_broker);
    kafka__mpscq_destroy(&pp->to_app);
    free(pp);
}

static CU_TestInfo tests[] = {
    {"fifo_single_thread", test_fifo_single_thread},
    {"mid_push", test_mid_push},
    {"mpsc_exactly_once", test_mpsc_exactly_once},
    {"wait_woken_by_push", test_wait_woken_by_push},
    {"no_lost_wakeup", test_no_lost_wakeup},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("mpscq", tests)
