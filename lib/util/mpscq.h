/* kafka__mpscq_t: an intrusive multi-producer single-consumer queue (Vyukov's, with a
 * stub node) and an eventfd the consumer can sleep on. The producer's use: application
 * threads push a partition that has a sealed batch or a lingering one to its leader
 * broker's worker thread (DESIGN "Threads and data path").
 *
 * Intrusive: the element embeds a kafka__mpscq_node_t and the queue never allocates;
 * push cannot fail. An element is in at most one queue at a time, and the producer
 * hands it over on push: it must not touch the element again until the consumer gives
 * it back (a delivery report, a free).
 *
 * Direction convention (DESIGN "Threading annotations"): the queue is untyped, so the
 * element type says which way it travels. Its comment names the direction and the
 * embedded node is named after it:
 *
 *     // queue element: application -> broker
 *     typedef struct kafka__batch_s { kafka__mpscq_node_t to_broker; ... } kafka__batch_t;
 *     // queue element: broker -> application
 *     typedef struct kafka__dr_s { kafka__mpscq_node_t to_app; ... } kafka__dr_t;
 *
 * and the consumer recovers the element with KAFKA__MPSCQ_ENTRY(n, kafka__batch_t,
 * to_broker). A queue carries one element type, hence one direction.
 *
 * Wakeups: producers write the eventfd only when the consumer has armed it (it found
 * the queue empty and is about to sleep), so a busy consumer costs producers one load
 * per push and no system call. Linux only (eventfd), like the rest of lib/net. */
#ifndef KAFKA_UTIL_MPSCQ_H
#define KAFKA_UTIL_MPSCQ_H

#include <stdbool.h>
#include <stddef.h>

/* C++ (bench/) has no _Atomic before C++23; std::atomic of a pointer is lock-free with
 * the same size and alignment on every ABI we build for, so both languages agree on
 * the layout. The library itself is C and always sees _Atomic. */
#ifdef __cplusplus
#include <atomic>
#define KAFKA__ATOMIC(T) std::atomic<T>
extern "C" {
#else
#include <stdatomic.h>
#define KAFKA__ATOMIC(T) _Atomic(T)
#endif

#define KAFKA__CACHELINE 64

typedef struct kafka__mpscq_node_s {
    KAFKA__ATOMIC(struct kafka__mpscq_node_s *) next;
} kafka__mpscq_node_t;

typedef struct kafka__mpscq_s {
    /* Producers' fields: every push exchanges head and loads armed. */
    KAFKA__ATOMIC(kafka__mpscq_node_t *) head; /* last pushed */
    KAFKA__ATOMIC(int) armed; /* 1: the consumer may sleep, the next push writes the fd */
    int fd;                   /* eventfd, EFD_NONBLOCK */
    /* Padding, not alignas: the queue lives inside malloc'd structs, which only promise
     * 16-byte alignment. 64 bytes apart is a different cache line either way. */
    char pad_[KAFKA__CACHELINE];
    /* Consumer's fields. tail is atomic only so empty_hint may read it from any thread;
     * the consumer is its one writer. */
    KAFKA__ATOMIC(kafka__mpscq_node_t *) tail; /* next to pop */
    kafka__mpscq_node_t stub;
} kafka__mpscq_t;

/* The element that embeds node n as its member `member`. */
#define KAFKA__MPSCQ_ENTRY(n, type, member) ((type *)(void *)((char *)(n) - offsetof(type, member)))

/* Makes q empty and opens its eventfd. 0 on success; -1 with errno set when the
 * eventfd cannot be had, and q must not be used. */
/* @thread any (before q is shared)  @locks none */
int kafka__mpscq_init(kafka__mpscq_t *q);
/* Closes the eventfd. Elements still queued are not touched: drain first if they own
 * memory. */
/* @thread consumer (after every producer is done)  @locks none */
void kafka__mpscq_destroy(kafka__mpscq_t *q);

/* Appends n; wait-free (one exchange, one store) apart from the eventfd write that
 * wakes an armed consumer. Ownership of the element passes to the consumer. Any thread. */
void kafka__mpscq_push(kafka__mpscq_t *q, kafka__mpscq_node_t *n);

/* Wakes an armed consumer without pushing: for state the consumer reads under a lock
 * (written under that lock before the kick, read under it after the consumer armed),
 * e.g. "a batch of a partition you already track was sealed". No system call unless
 * the consumer is armed. Any thread. */
void kafka__mpscq_kick(kafka__mpscq_t *q);

/* Removes and returns the oldest node, or NULL. NULL also while a producer is between
 * its two steps (it has taken its place in the queue but not yet linked it): nodes
 * behind it cannot be reached until it finishes, so the consumer must retry later —
 * kafka__mpscq_wait() returns at once in that state, so a wait/pop loop spins only for
 * the few instructions the producer has left. Per producer, order is FIFO; across
 * producers, it is the order in which their pushes took place. The returned node is
 * the caller's and may be freed at once. */
/* @thread consumer  @locks none */
kafka__mpscq_node_t *kafka__mpscq_pop(kafka__mpscq_t *q);

/* True when q looked empty: cheap (two relaxed loads), any thread, possibly stale by
 * the time it returns. For scheduling decisions only; pop is the truth. */
bool kafka__mpscq_empty_hint(const kafka__mpscq_t *q);

/* The eventfd, for the consumer's own poll set (POLLIN). Use it with arm/ack below. */
static inline int kafka__mpscq_fd(const kafka__mpscq_t *q) { return q->fd; }

/* Before blocking on the fd: arms the wakeup and returns true when q is empty, so the
 * next push will make the fd readable; returns false (and disarms) when there is
 * something to pop, and the caller must not block. */
/* @thread consumer  @locks none */
bool kafka__mpscq_arm(kafka__mpscq_t *q);
/* After the fd polled readable: clears it. */
/* @thread consumer  @locks none */
void kafka__mpscq_ack(kafka__mpscq_t *q);

/* Blocks until q may have something to pop, at most timeout_ms (-1: no limit). Returns
 * 1 when woken or when q was not empty (pop may still return NULL: a producer is
 * mid-push, or the wakeup was spurious), 0 on timeout, -1 with errno on a poll error.
 * EINTR returns 1. */
/* @thread consumer  @locks none */
int kafka__mpscq_wait(kafka__mpscq_t *q, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
