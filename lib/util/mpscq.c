/* Vyukov's intrusive MPSC queue (1024cores.net, "Intrusive MPSC node-based queue").
 *
 * The list runs from tail (consumer) to head (producers) through node->next. A push
 * takes its place by exchanging head, then links the previous head to itself; between
 * the two steps the list is broken at that point, which is why pop can return NULL
 * while nodes are queued. The stub node keeps the list non-empty, so the consumer
 * never has to take the last real node out from under a producer that is linking to
 * it: it pushes the stub behind that node first.
 *
 * Memory orders, and the wakeup protocol they must also serve:
 *   push  P1 store n->next = NULL (relaxed): published by P2's release half.
 *         P2 exchange head (seq_cst): acq_rel is what the queue needs — acquire so our
 *            store to prev->next lands after prev's own P1 in modification order,
 *            release to publish our P1 to the next producer. seq_cst because P2 is the
 *            "store" half of the Dekker handshake with arm() below.
 *         P3 store prev->next = n (release): publishes the element's contents to the
 *            consumer's acquire load of the same pointer.
 *         P4 load armed, exchange it to 0 if set (seq_cst): the "load" half.
 *   arm   A1 store armed = 1 (seq_cst), A2 load head (seq_cst).
 * With all four in the single total order S, either P4 follows A1 (the producer sees
 * armed and writes the eventfd) or P4 precedes A1, so P2 < P4 < A1 < A2 and A2 sees
 * our node (or a later push) in head: the consumer does not sleep. No lost wakeup. */
#include "util/mpscq.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int kafka__mpscq_init(kafka__mpscq_t *q) {
    q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->fd < 0)
        return -1;
    atomic_init(&q->stub.next, NULL);
    atomic_init(&q->head, &q->stub);
    atomic_init(&q->tail, &q->stub);
    atomic_init(&q->armed, 0);
    return 0;
}

void kafka__mpscq_destroy(kafka__mpscq_t *q) {
    close(q->fd);
    q->fd = -1;
}

/* The queue part of push, shared with pop's re-insertion of the stub. */
static void enqueue(kafka__mpscq_t *q, kafka__mpscq_node_t *n) {
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    kafka__mpscq_node_t *prev = atomic_exchange_explicit(&q->head, n, memory_order_seq_cst);
    atomic_store_explicit(&prev->next, n, memory_order_release);
}

void kafka__mpscq_push(kafka__mpscq_t *q, kafka__mpscq_node_t *n) {
    enqueue(q, n);
    /* Load before exchanging: while the consumer is busy (not armed) producers only
     * share the line, they do not bounce it. */
    if (atomic_load_explicit(&q->armed, memory_order_seq_cst) &&
        atomic_exchange_explicit(&q->armed, 0, memory_order_seq_cst)) {
        /* Cannot fail: EAGAIN needs a counter near 2^64, and there is one write per arm. */
        (void)eventfd_write(q->fd, 1);
    }
}

void kafka__mpscq_kick(kafka__mpscq_t *q) {
    if (atomic_load_explicit(&q->armed, memory_order_seq_cst) &&
        atomic_exchange_explicit(&q->armed, 0, memory_order_seq_cst))
        (void)eventfd_write(q->fd, 1);
}

kafka__mpscq_node_t *kafka__mpscq_pop(kafka__mpscq_t *q) {
    /* tail is ours alone: relaxed loads and stores of it are plain moves. */
    kafka__mpscq_node_t *tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    /* Acquire pairs with P3: the node we move to (and its contents) are complete. */
    kafka__mpscq_node_t *next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == &q->stub) {
        if (!next)
            return NULL;
        atomic_store_explicit(&q->tail, next, memory_order_relaxed);
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        atomic_store_explicit(&q->tail, next, memory_order_relaxed);
        return tail;
    }
    /* tail is the last linked node. Relaxed suffices: head is only compared, and our
     * own earlier exchange of the stub keeps us from reading a head older than it. A
     * stale head equal to tail just makes us push the stub, which is always safe. */
    if (tail != atomic_load_explicit(&q->head, memory_order_relaxed))
        return NULL; /* a producer has exchanged head but not linked tail->next yet */
    enqueue(q, &q->stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        atomic_store_explicit(&q->tail, next, memory_order_relaxed);
        return tail;
    }
    return NULL; /* a producer got in before the stub and has not linked yet */
}

bool kafka__mpscq_empty_hint(const kafka__mpscq_t *q) {
    /* Empty is exactly "tail and head are both the stub": after the last real node is
     * popped the stub is behind it, and any push moves head off the stub. */
    kafka__mpscq_node_t *stub = (kafka__mpscq_node_t *)&q->stub;
    return atomic_load_explicit(&q->tail, memory_order_relaxed) == stub &&
           atomic_load_explicit(&q->head, memory_order_relaxed) == stub;
}

bool kafka__mpscq_arm(kafka__mpscq_t *q) {
    atomic_store_explicit(&q->armed, 1, memory_order_seq_cst);                           /* A1 */
    if (atomic_load_explicit(&q->tail, memory_order_relaxed) == &q->stub &&
        atomic_load_explicit(&q->head, memory_order_seq_cst) == &q->stub)                /* A2 */
        return true;
    /* Something to pop (or a producer mid-push, which will link within instructions):
     * stay awake, and spare producers the eventfd write. */
    atomic_store_explicit(&q->armed, 0, memory_order_relaxed);
    return false;
}

void kafka__mpscq_ack(kafka__mpscq_t *q) {
    eventfd_t v;
    (void)eventfd_read(q->fd, &v); /* EAGAIN when already clear: nothing to do */
}

int kafka__mpscq_wait(kafka__mpscq_t *q, int timeout_ms) {
    if (!kafka__mpscq_arm(q))
        return 1;
    struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 1 : -1;
    if (r == 0)
        return 0;
    kafka__mpscq_ack(q);
    return 1;
}
