/* The record accumulator: sealing by size, linger and flush; record limits; the memory
 * bound (QUEUE_FULL, blocking with timeout, wake-up on release); concurrent appends. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/accumulator.h"
#include "testutil.h"

static kafka_conf_t *conf_with(const char *const *kv) {
    kafka_conf_t *c = kafka_conf_new();
    for (; kv && kv[0]; kv += 2) {
        char err[256];
        if (kafka_conf_set(c, kv[0], kv[1], err, sizeof(err)) != KAFKA_OK)
            fprintf(stderr, "%s\n", err);
    }
    return c;
}

/* Decodes a sealed batch; checks values "v-<first+i>" and returns the record count. */
static int check_batch(const kafka__pbatch_t *pb, int first) {
    kafka_records_reader_t *rr = kafka_records_reader_new(pb->data, pb->len, true, 0);
    kafka_record_t rec;
    int n = 0, rc;
    while ((rc = kafka_records_reader_next(rr, &rec)) == 1) {
        char want[32];
        int wl = snprintf(want, sizeof(want), "v-%d", first + n);
        CU_ASSERT(rec.value.len == wl && memcmp(rec.value.data, want, (size_t)wl) == 0);
        CU_ASSERT_PTR_EQUAL(pb->msgs[n].opaque, (void *)(intptr_t)(first + n + 1));
        n++;
    }
    CU_ASSERT_EQUAL(rc, 0);
    kafka_records_reader_destroy(rr);
    CU_ASSERT_EQUAL(n, pb->count);
    return n;
}

/* Takes the oldest sealed batch off the partition's list, as its worker does. */
static kafka__pbatch_t *pop_sealed(kafka__apart_t *ap) {
    pthread_mutex_lock(&ap->lock);
    kafka__pbatch_t *pb = ap->head;
    if (pb && !(ap->head = pb->next))
        ap->tail = NULL;
    pthread_mutex_unlock(&ap->lock);
    return pb;
}

static kafka_err_t append(kafka__accum_t *acc, kafka__apart_t *ap, int i, int64_t now, kafka__pbatch_t **sealed) {
    char v[32];
    int vl = snprintf(v, sizeof(v), "v-%d", i);
    unsigned ev;
    kafka_err_t e = kafka__accum_append(acc, ap, 1000 + i, NULL, -1, v, vl, NULL, 0, (void *)(intptr_t)(i + 1), 0, now,
                                        &ev, NULL, 0);
    *sealed = pop_sealed(ap);
    CU_ASSERT_EQUAL(!!(ev & KAFKA__ACCUM_SEALED), *sealed != NULL);
    CU_ASSERT_EQUAL(!!(ev & KAFKA__ACCUM_OPENED), !e && ap->nmsgs == 1);
    return e;
}

static kafka__pbatch_t *ready(kafka__accum_t *acc, kafka__apart_t *ap, int64_t now, bool force, int64_t *due) {
    return kafka__accum_ready(acc, ap, now, force, due) ? pop_sealed(ap) : NULL;
}

static void setup(kafka__accum_t *acc, kafka__apart_t *ap, const kafka_conf_t *conf, int32_t part) {
    kafka__accum_init(acc, conf);
    kafka__apart_init(ap, NULL, part);
}

static void test_seal_by_size_linger_flush(void) {
    const char *kv[] = {"batch.size", "1000", "linger.ms", "50", NULL};
    kafka_conf_t *conf = conf_with(kv);
    kafka__accum_t acc;
    kafka__apart_t ap;
    setup(&acc, &ap, conf, 3);
    int next = 0, sealed_batches = 0, checked = 0;
    kafka__pbatch_t *pb;
    for (int i = 0; i < 200; i++) {
        CU_ASSERT_EQUAL(append(&acc, &ap, i, 0, &pb), KAFKA_OK);
        if (pb) {
            CU_ASSERT(pb->len <= 1000 + KAFKA_RECORD_BATCH_OVERHEAD + 64);
            checked += check_batch(pb, next);
            next += pb->count;
            sealed_batches++;
            kafka__accum_release(&acc, pb);
        }
    }
    CU_ASSERT(sealed_batches >= 2); /* ~15 encoded bytes a record: 200 records span 3 batches of 1000 */
    int64_t due;
    CU_ASSERT_PTR_NULL(ready(&acc, &ap, 49, false, &due));
    CU_ASSERT_EQUAL(due, 50);
    pb = ready(&acc, &ap, 50, false, &due);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
    checked += check_batch(pb, next);
    kafka__accum_release(&acc, pb);
    CU_ASSERT_EQUAL(checked, 200);
    CU_ASSERT_PTR_NULL(ready(&acc, &ap, 1000, true, &due)); /* nothing open */
    CU_ASSERT_EQUAL(due, INT64_MAX);
    CU_ASSERT_EQUAL(append(&acc, &ap, 200, 2000, &pb), KAFKA_OK);
    pb = ready(&acc, &ap, 2001, true, &due); /* flush: before linger */
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
    CU_ASSERT_EQUAL(pb->count, 1);
    kafka__accum_release(&acc, pb);
    CU_ASSERT_EQUAL(acc.msgs, 0);
    CU_ASSERT_EQUAL(acc.bytes, 0);
    kafka__apart_destroy(&ap);
    kafka__accum_destroy(&acc);
    kafka_conf_destroy(conf);
}

static void test_message_too_large(void) {
    const char *kv[] = {"message.max.bytes", "1000", NULL};
    kafka_conf_t *conf = conf_with(kv);
    kafka__accum_t acc;
    kafka__apart_t ap;
    setup(&acc, &ap, conf, 0);
    char big[2000];
    memset(big, 'x', sizeof(big));
    char err[256];
    CU_ASSERT_EQUAL(kafka__accum_append(&acc, &ap, 1, NULL, -1, big, 2000, NULL, 0, NULL, 0, 0, NULL, err, sizeof(err)),
                    KAFKA_ERR__MSG_TOO_LARGE);
    CU_ASSERT(strstr(err, "message.max.bytes 1000") != NULL);
    CU_ASSERT_EQUAL(acc.msgs, 0);
    kafka__apart_destroy(&ap);
    kafka__accum_destroy(&acc);
    kafka_conf_destroy(conf);
}

/* Value i for the cap and split tests: "v-<i>|" then 200..499 incompressible bytes, or
 * (half) random bytes whose second half repeats the first. */
static int filler_value(char *buf, int i, bool half) {
    return kafka_test_filler(buf, "v-", (size_t)i, 200 + i * 37 % 300, half);
}

/* batch.size over message.max.bytes: every sealed batch, header included, stays within
 * message.max.bytes, also compressed (lz4 of incompressible bytes is larger than the
 * input: such a batch goes uncompressed), records in order. */
static void test_cap_at_message_max_bytes(void) {
    static const char *const codecs[] = {"none", "lz4", "zstd"};
    for (int c = 0; c < 3; c++) {
        const char *kv[] = {"batch.size", "1048576", "message.max.bytes", "10000", "compression.type", codecs[c],
                            "linger.ms", "1000", NULL};
        kafka_conf_t *conf = conf_with(kv);
        kafka__accum_t acc;
        kafka__apart_t ap;
        setup(&acc, &ap, conf, 0);
        int next = 0, batches = 0, over = 0;
        size_t largest = 0;
        char v[600];
        for (int i = 0; i <= 2000; i++) {
            if (i < 2000) {
                int vl = filler_value(v, i, false);
                CU_ASSERT_EQUAL(kafka__accum_append(&acc, &ap, 1000 + i, NULL, -1, v, vl, NULL, 0,
                                                    (void *)(intptr_t)(i + 1), 0, 0, NULL, NULL, 0), KAFKA_OK);
            } else {
                kafka__accum_ready(&acc, &ap, 0, true, NULL);
            }
            kafka__pbatch_t *pb;
            while ((pb = pop_sealed(&ap))) {
                CU_ASSERT_PTR_EQUAL(pb->msgs[0].opaque, (void *)(intptr_t)(next + 1));
                next += pb->count;
                batches++;
                over += pb->len > 10000;
                largest = pb->len > largest ? pb->len : largest;
                kafka__accum_release(&acc, pb);
            }
        }
        fprintf(stderr, "%s: %d batches, largest %zu bytes\n", codecs[c], batches, largest);
        CU_ASSERT_EQUAL(next, 2000);
        CU_ASSERT_EQUAL(over, 0);
        CU_ASSERT(batches >= 2000 * 350 / 10000);
        CU_ASSERT_EQUAL(acc.msgs, 0);
        CU_ASSERT_EQUAL(acc.bytes, 0);
        kafka__apart_destroy(&ap);
        kafka__accum_destroy(&acc);
        kafka_conf_destroy(conf);
    }
}

/* A sealed batch split in two: halves in order holding every record as it was
 * (timestamp, key, value, headers) and its bookkeeping, compressed as configured; the
 * memory held moves with the records. */
static void test_split(void) {
    static const char *const codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int c = 0; c < 5; c++) {
        const char *kv[] = {"compression.type", codecs[c], "batch.size", "1048576", NULL};
        kafka_conf_t *conf = conf_with(kv);
        kafka__accum_t acc;
        kafka__apart_t ap;
        setup(&acc, &ap, conf, 0);
        char v[600], k[32];
        const int n = 101;
        for (int i = 0; i < n; i++) {
            int vl = filler_value(v, i, true);
            int kl = snprintf(k, sizeof(k), "k%d", i);
            kafka_header_t h[2] = {{kafka_str("h"), {(const uint8_t *)k, kl}}, {kafka_str("n"), {NULL, -1}}};
            CU_ASSERT_EQUAL(kafka__accum_append(&acc, &ap, 5000 + i * 3, i % 5 ? k : NULL, i % 5 ? kl : -1, v, vl, h,
                                                (size_t)(i % 3), (void *)(intptr_t)(i + 1), 0, 0, NULL, NULL, 0), KAFKA_OK);
        }
        kafka__accum_ready(&acc, &ap, 0, true, NULL);
        kafka__pbatch_t *pb = pop_sealed(&ap), *a, *b;
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
        CU_ASSERT_EQUAL(pb->count, n);
        char why[200];
        CU_ASSERT_EQUAL_FATAL(kafka__accum_split(&acc, pb, &a, &b, why, sizeof(why)), KAFKA_OK);
        CU_ASSERT_PTR_EQUAL(a->next, b);
        CU_ASSERT_EQUAL(a->count, n / 2);
        CU_ASSERT_EQUAL(b->count, n - n / 2);
        CU_ASSERT(a->len < pb->len && b->len < pb->len);
        int i = 0;
        for (kafka__pbatch_t *part = a; part; part = part == a ? b : NULL) {
            CU_ASSERT_EQUAL(part->seq_gen, 0);
            CU_ASSERT_EQUAL(part->alt_magic, -1);
            kafka_records_reader_t *rr = kafka_records_reader_new(part->data, part->len, true, 0);
            kafka_record_t rec;
            int rc, j = 0;
            while ((rc = kafka_records_reader_next(rr, &rec)) == 1) {
                int vl = filler_value(v, i, true);
                int kl = snprintf(k, sizeof(k), "k%d", i);
                CU_ASSERT_EQUAL(rec.timestamp, 5000 + i * 3);
                CU_ASSERT(rec.value.len == vl && memcmp(rec.value.data, v, (size_t)vl) == 0);
                if (i % 5) {
                    CU_ASSERT(rec.key.len == kl && memcmp(rec.key.data, k, (size_t)kl) == 0);
                } else {
                    CU_ASSERT_EQUAL(rec.key.len, -1);
                }
                CU_ASSERT_EQUAL(rec.header_count, i % 3);
                kafka_header_t h[2];
                int nh = kafka_record_headers(&rec, h, 2);
                if (nh >= 1) {
                    CU_ASSERT(h[0].value.len == kl && memcmp(h[0].value.data, k, (size_t)kl) == 0);
                }
                if (nh == 2) {
                    CU_ASSERT_EQUAL(h[1].value.len, -1);
                }
                CU_ASSERT_PTR_EQUAL(part->msgs[j].opaque, (void *)(intptr_t)(i + 1));
                /* codecs[] in Kafka's order */
                CU_ASSERT_EQUAL(kafka_records_reader_batch(rr)->codec, (kafka_compression_t)c);
                i++;
                j++;
            }
            CU_ASSERT_EQUAL(rc, 0);
            CU_ASSERT_EQUAL(j, part->count);
            kafka_records_reader_destroy(rr);
        }
        CU_ASSERT_EQUAL(i, n);
        CU_ASSERT_EQUAL(acc.msgs, n);
        kafka__accum_retire(&acc, pb);
        CU_ASSERT_EQUAL(acc.msgs, n); /* held until the halves are reported */
        kafka__accum_release(&acc, a);
        kafka__accum_release(&acc, b);
        CU_ASSERT_EQUAL(acc.msgs, 0);
        CU_ASSERT_EQUAL(acc.bytes, 0);
        kafka__pbatch_t one = {.count = 1};
        CU_ASSERT_EQUAL(kafka__accum_split(&acc, &one, &a, &b, why, sizeof(why)), KAFKA_ERR__INVALID_ARG);
        kafka__apart_destroy(&ap);
        kafka__accum_destroy(&acc);
        kafka_conf_destroy(conf);
    }
}

static void test_queue_full_error_and_block(void) {
    const char *kv[] = {"queue.buffering.max.messages", "10", "queue.full.behavior", "error", "batch.size", "100000",
                        NULL};
    kafka_conf_t *conf = conf_with(kv);
    kafka__accum_t acc;
    kafka__apart_t ap;
    setup(&acc, &ap, conf, 0);
    kafka__pbatch_t *pb;
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(append(&acc, &ap, i, 0, &pb), KAFKA_OK);
    CU_ASSERT_EQUAL(append(&acc, &ap, 10, 0, &pb), KAFKA_ERR__QUEUE_FULL);
    kafka__pbatch_t *held = ready(&acc, &ap, 0, true, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(held);
    CU_ASSERT_EQUAL(append(&acc, &ap, 10, 0, &pb), KAFKA_ERR__QUEUE_FULL); /* sealed is still held */
    kafka__accum_release(&acc, held);
    CU_ASSERT_EQUAL(append(&acc, &ap, 0, 0, &pb), KAFKA_OK);
    kafka__apart_destroy(&ap);
    kafka__accum_destroy(&acc);
    kafka_conf_destroy(conf);
}

typedef struct releaser_s {
    kafka__accum_t *acc;
    kafka__pbatch_t *pb;
} releaser_t;

static void *release_later(void *arg) {
    releaser_t *r = arg;
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    kafka__accum_release(r->acc, r->pb);
    return NULL;
}

static void test_blocking_append(void) {
    const char *kv[] = {"queue.buffering.max.messages", "5", "queue.full.behavior", "block",
                        "queue.full.timeout.ms", "200", NULL};
    kafka_conf_t *conf = conf_with(kv);
    kafka__accum_t acc;
    kafka__apart_t ap;
    setup(&acc, &ap, conf, 0);
    kafka__pbatch_t *pb;
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(append(&acc, &ap, i, 0, &pb), KAFKA_OK);
    int64_t t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(append(&acc, &ap, 5, 0, &pb), KAFKA_ERR__TIMED_OUT);
    int64_t took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 190 && took < 1500);
    /* A release from another thread wakes a blocked append. */
    releaser_t r = {&acc, ready(&acc, &ap, 0, true, NULL)};
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.pb);
    pthread_t th;
    pthread_create(&th, NULL, release_later, &r);
    t0 = kafka_test_now_ms();
    CU_ASSERT_EQUAL(append(&acc, &ap, 0, 0, &pb), KAFKA_OK);
    took = kafka_test_now_ms() - t0;
    CU_ASSERT(took >= 100 && took < 200 + 500);
    pthread_join(th, NULL);
    kafka__apart_destroy(&ap);
    kafka__accum_destroy(&acc);
    kafka_conf_destroy(conf);
}

/* Several application threads append to two partitions while a worker thread seals by
 * linger and takes the sealed batches off each partition's list: batches sealed by
 * either side are there in seal order, so every record arrives once, each thread's
 * records in order per partition. */
#define THREADS 4
#define PER_THREAD 20000
typedef struct shared_s {
    kafka__accum_t acc;
    kafka__apart_t ap[2];
    atomic_int done;
    pthread_mutex_t lock; /* errors' */
    int64_t seen[THREADS][2];
    int64_t total;
    int errors;
} shared_t;

static void consume(shared_t *s, int part, kafka__pbatch_t *pb) {
    pthread_mutex_lock(&s->lock);
    kafka_records_reader_t *rr = kafka_records_reader_new(pb->data, pb->len, true, 0);
    kafka_record_t rec;
    while (kafka_records_reader_next(rr, &rec) == 1) {
        int t, i;
        if (sscanf((const char *)rec.value.data, "%d-%d", &t, &i) != 2 || t < 0 || t >= THREADS ||
            i != s->seen[t][part]) {
            s->errors++;
            continue;
        }
        s->seen[t][part] = i + 1;
        s->total++;
    }
    kafka_records_reader_destroy(rr);
    pthread_mutex_unlock(&s->lock);
    kafka__accum_release(&s->acc, pb);
}

typedef struct app_arg_s {
    shared_t *s;
    int id;
} app_arg_t;

static void *app(void *arg) {
    app_arg_t *a = arg;
    shared_t *s = a->s;
    int counters[2] = {0, 0};
    for (int i = 0; i < PER_THREAD; i++) {
        int part = i % 2;
        char v[32];
        int vl = snprintf(v, sizeof(v), "%d-%d", a->id, counters[part]++);
        if (kafka__accum_append(&s->acc, &s->ap[part], 0, NULL, -1, v, vl + 1, NULL, 0, NULL, 0, kafka_test_now_ms(),
                                NULL, NULL, 0) != KAFKA_OK) {
            pthread_mutex_lock(&s->lock);
            s->errors++;
            pthread_mutex_unlock(&s->lock);
        }
    }
    return NULL;
}

static void *worker(void *arg) {
    shared_t *s = arg;
    for (;;) {
        int done = atomic_load(&s->done);
        for (int p = 0; p < 2; p++) {
            kafka__accum_ready(&s->acc, &s->ap[p], kafka_test_now_ms(), done, NULL);
            kafka__pbatch_t *pb;
            while ((pb = pop_sealed(&s->ap[p])))
                consume(s, p, pb);
        }
        if (done)
            return NULL;
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void test_concurrent_appends(void) {
    const char *kv[] = {"batch.size", "4096", "linger.ms", "2", "queue.buffering.max.messages", "5000", NULL};
    kafka_conf_t *conf = conf_with(kv);
    shared_t *s = calloc(1, sizeof(*s));
    kafka__accum_init(&s->acc, conf);
    for (int p = 0; p < 2; p++)
        kafka__apart_init(&s->ap[p], NULL, p);
    pthread_mutex_init(&s->lock, NULL);
    pthread_t w, th[THREADS];
    app_arg_t args[THREADS];
    pthread_create(&w, NULL, worker, s);
    for (int t = 0; t < THREADS; t++) {
        args[t] = (app_arg_t){s, t};
        pthread_create(&th[t], NULL, app, &args[t]);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    atomic_store(&s->done, 1);
    pthread_join(w, NULL);
    CU_ASSERT_EQUAL(s->errors, 0);
    CU_ASSERT_EQUAL(s->total, THREADS * PER_THREAD);
    CU_ASSERT_EQUAL(s->acc.msgs, 0);
    CU_ASSERT_EQUAL(s->acc.bytes, 0);
    kafka__apart_destroy(&s->ap[0]);
    kafka__apart_destroy(&s->ap[1]);
    kafka__accum_destroy(&s->acc);
    pthread_mutex_destroy(&s->lock);
    free(s);
    kafka_conf_destroy(conf);
}

static CU_TestInfo tests[] = {
    {"seal by batch.size, linger.ms and flush", test_seal_by_size_linger_flush},
    {"message.max.bytes", test_message_too_large},
    {"batches sealed within message.max.bytes, compressed or not", test_cap_at_message_max_bytes},
    {"split a sealed batch in two, every codec", test_split},
    {"queue full: error, then room after release", test_queue_full_error_and_block},
    {"queue full: block with timeout, woken by release", test_blocking_append},
    {"concurrent appends with a sealing worker", test_concurrent_appends},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("accumulator", tests)
