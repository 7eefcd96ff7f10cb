/* Record accumulator: see accumulator.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "producer/accumulator.h"
#include "util/clock.h"

void kafka__accum_init(kafka__accum_t *acc, const kafka_conf_t *conf) {
    memset(acc, 0, sizeof(*acc));
    acc->batch_size = (size_t)kafka_conf_int(conf, KAFKA_CONF_BATCH_SIZE);
    acc->linger_ms = kafka_conf_int(conf, KAFKA_CONF_LINGER_MS);
    acc->message_max_bytes = (size_t)kafka_conf_int(conf, KAFKA_CONF_MESSAGE_MAX_BYTES);
    acc->batch_max = acc->batch_size < acc->message_max_bytes ? acc->batch_size : acc->message_max_bytes;
    acc->codec = (kafka_compression_t)kafka_conf_int(conf, KAFKA_CONF_COMPRESSION_TYPE);
    acc->max_msgs = kafka_conf_int(conf, KAFKA_CONF_QUEUE_BUFFERING_MAX_MESSAGES);
    acc->max_bytes = kafka_conf_int(conf, KAFKA_CONF_QUEUE_BUFFERING_MAX_KBYTES) * 1024;
    acc->block_when_full = kafka_conf_int(conf, KAFKA_CONF_QUEUE_FULL_BEHAVIOR) == KAFKA_QUEUE_FULL_BLOCK;
    acc->full_timeout_ms = kafka_conf_int(conf, KAFKA_CONF_QUEUE_FULL_TIMEOUT_MS);
    pthread_mutex_init(&acc->mem_lock, NULL);
    pthread_mutex_init(&acc->pool_lock, NULL);
    int64_t fit = acc->max_bytes / (int64_t)(acc->batch_max + KAFKA_RECORD_BATCH_OVERHEAD);
    acc->cappool = fit < 4 ? 4 : fit > KAFKA__ACCUM_POOL ? KAFKA__ACCUM_POOL : (int)fit;
    acc->pool = calloc((size_t)acc->cappool, sizeof(*acc->pool));
    if (!acc->pool)
        acc->cappool = 0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&acc->mem_cond, &ca);
    pthread_condattr_destroy(&ca);
}

void kafka__accum_destroy(kafka__accum_t *acc) {
    for (int i = 0; i < acc->npool; i++) {
        kafka_batch_destroy(acc->pool[i].batch);
        free(acc->pool[i].msgs);
    }
    free(acc->pool);
    pthread_mutex_destroy(&acc->pool_lock);
    pthread_mutex_destroy(&acc->mem_lock);
    pthread_cond_destroy(&acc->mem_cond);
}

void kafka__apart_init(kafka__apart_t *ap, void *topic, int32_t partition) {
    memset(ap, 0, sizeof(*ap));
    /* Adaptive: a broker worker that finds the partition locked spins for the few
     * nanoseconds an append takes instead of sleeping, so the appending thread's unlock
     * does not have to wake it (a system call per collision otherwise). */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&ap->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    ap->topic = topic;
    ap->partition = partition;
}

void kafka__apart_destroy(kafka__apart_t *ap) {
    kafka_batch_destroy(ap->open);
    free(ap->msgs);
    pthread_mutex_destroy(&ap->lock);
}

/* The bytes a record occupies in a batch, as counted against the limits: an upper
 * bound of its encoding (varint headers at their widest). */
static size_t record_size(int32_t keylen, int32_t valuelen, const kafka_header_t *headers, size_t nheaders) {
    size_t n = 5 + 1 + 10 + 5 + 5 + (keylen > 0 ? (size_t)keylen : 0) + 5 + (valuelen > 0 ? (size_t)valuelen : 0) + 5;
    for (size_t i = 0; i < nheaders; i++)
        n += 10 + (size_t)(headers[i].key.len > 0 ? headers[i].key.len : 0) +
             (size_t)(headers[i].value.len > 0 ? headers[i].value.len : 0);
    return n;
}

/* Takes room for one record of `size` bytes if it fits; lock-free. */
static bool try_take(kafka__accum_t *acc, size_t size) {
    int64_t m = atomic_fetch_add(&acc->msgs, 1) + 1;
    int64_t b = atomic_fetch_add(&acc->bytes, (int64_t)size) + (int64_t)size;
    if (m <= acc->max_msgs && b <= acc->max_bytes)
        return true;
    atomic_fetch_sub(&acc->msgs, 1);
    atomic_fetch_sub(&acc->bytes, (int64_t)size);
    return false;
}

static void wake_waiters(kafka__accum_t *acc) {
    if (atomic_load(&acc->waiters) > 0) {
        pthread_mutex_lock(&acc->mem_lock);
        pthread_cond_broadcast(&acc->mem_cond);
        pthread_mutex_unlock(&acc->mem_lock);
    }
}

/* Reserves room for one record of `size` bytes in the producer's memory bound. A
 * waiter registers (waiters) before it checks again, and a release subtracts before it
 * looks at waiters: either the check sees the room or the release sees the waiter. */
static kafka_err_t reserve(kafka__accum_t *acc, size_t size) {
    if (try_take(acc, size))
        return KAFKA_OK;
    if (!acc->block_when_full || acc->full_timeout_ms <= 0)
        return KAFKA_ERR__QUEUE_FULL;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(acc->full_timeout_ms / 1000);
    until.tv_nsec += (long)(acc->full_timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    kafka_err_t err = KAFKA_OK;
    pthread_mutex_lock(&acc->mem_lock);
    atomic_fetch_add(&acc->waiters, 1);
    while (!try_take(acc, size)) {
        if (pthread_cond_timedwait(&acc->mem_cond, &acc->mem_lock, &until) == ETIMEDOUT) {
            if (!try_take(acc, size))
                err = KAFKA_ERR__TIMED_OUT;
            break;
        }
    }
    atomic_fetch_sub(&acc->waiters, 1);
    pthread_mutex_unlock(&acc->mem_lock);
    return err;
}

static void unreserve(kafka__accum_t *acc, int64_t msgs, int64_t bytes) {
    atomic_fetch_sub(&acc->msgs, msgs);
    atomic_fetch_sub(&acc->bytes, bytes);
    wake_waiters(acc);
}

int64_t kafka__accum_wait_empty(kafka__accum_t *acc, const struct timespec *deadline) {
    pthread_mutex_lock(&acc->mem_lock);
    atomic_fetch_add(&acc->waiters, 1);
    while (atomic_load(&acc->msgs) > 0) {
        if (!deadline)
            pthread_cond_wait(&acc->mem_cond, &acc->mem_lock);
        else if (pthread_cond_timedwait(&acc->mem_cond, &acc->mem_lock, deadline) == ETIMEDOUT)
            break;
    }
    atomic_fetch_sub(&acc->waiters, 1);
    pthread_mutex_unlock(&acc->mem_lock);
    return atomic_load(&acc->msgs);
}

/* Seals b with the configured codec, or uncompressed when compressing made it larger
 * (incompressible data): a batch's wire size never passes its uncompressed size, which
 * the append kept within message.max.bytes. */
static kafka_err_t seal_batch(const kafka__accum_t *acc, kafka_batch_t *b, const uint8_t **data, size_t *len) {
    kafka_err_t e = kafka_batch_seal(b, acc->codec, -1, data, len, NULL, 0);
    if (!e && acc->codec != KAFKA_COMPRESSION_NONE && *len > kafka_batch_size(b))
        e = kafka_batch_seal(b, KAFKA_COMPRESSION_NONE, -1, data, len, NULL, 0);
    return e;
}

/* Seals the open batch into a new pbatch at ap's tail (ap->lock held); false when
 * there is none or on ENOMEM (the batch then stays open and is retried). */
static bool seal(kafka__accum_t *acc, kafka__apart_t *ap) {
    if (!ap->open || kafka_batch_count(ap->open) == 0)
        return false;
    kafka__pbatch_t *pb = calloc(1, sizeof(*pb));
    if (!pb)
        return false;
    if (seal_batch(acc, ap->open, &pb->data, &pb->len) != KAFKA_OK) {
        free(pb);
        return false;
    }
    pb->batch = ap->open;
    pb->msgs = ap->msgs;
    pb->capmsgs = ap->capmsgs;
    pb->count = ap->nmsgs;
    pb->alt_magic = -1;
    ap->open = NULL;
    ap->msgs = NULL;
    ap->nmsgs = ap->capmsgs = 0;
    if (ap->tail)
        ap->tail->next = pb;
    else
        ap->head = pb;
    ap->tail = pb;
    return true;
}

kafka_err_t kafka__accum_append(kafka__accum_t *acc, kafka__apart_t *ap, int64_t timestamp_ms, const void *key,
                                int32_t keylen, const void *value, int32_t valuelen, const kafka_header_t *headers,
                                size_t nheaders, void *opaque, uint32_t flags, int64_t now_ms, unsigned *events,
                                char *errstr, size_t errstr_size) {
    unsigned ev = 0;
    if (events)
        *events = 0;
    size_t size = record_size(keylen, valuelen, headers, nheaders);
    /* A record alone in a batch must fit message.max.bytes (the broker's limit). */
    if (size + KAFKA_RECORD_BATCH_OVERHEAD > acc->message_max_bytes) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "message of %zu bytes (key %d, value %d, %zu headers) exceeds message.max.bytes %zu",
                     size + KAFKA_RECORD_BATCH_OVERHEAD, keylen, valuelen, nheaders, acc->message_max_bytes);
        return KAFKA_ERR__MSG_TOO_LARGE;
    }
    kafka_err_t err = reserve(acc, size);
    if (err) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "producer queue full (queue.buffering.max.messages %lld, .kbytes %lld)%s",
                     (long long)acc->max_msgs, (long long)(acc->max_bytes / 1024),
                     err == KAFKA_ERR__TIMED_OUT ? ": no room within queue.full.timeout.ms" : "");
        return err;
    }
    pthread_mutex_lock(&ap->lock);
    size_t max = ap->refused_max && ap->refused_max < acc->batch_max ? ap->refused_max : acc->batch_max;
    if (ap->open && kafka_batch_count(ap->open) > 0 && kafka_batch_size(ap->open) + size > max)
        ev |= seal(acc, ap) ? KAFKA__ACCUM_SEALED : 0;
    if (!ap->open) {
        pthread_mutex_lock(&acc->pool_lock);
        if (acc->npool > 0) {
            acc->npool--;
            ap->open = acc->pool[acc->npool].batch;
            if (!ap->msgs) {
                ap->msgs = acc->pool[acc->npool].msgs;
                ap->capmsgs = acc->pool[acc->npool].capmsgs;
            } else {
                free(acc->pool[acc->npool].msgs);
            }
        }
        pthread_mutex_unlock(&acc->pool_lock);
        if (!ap->open)
            ap->open = kafka_batch_new(acc->batch_max + KAFKA_RECORD_BATCH_OVERHEAD);
        /* linger.ms counts from here: with a coarse now_ms, read the precise clock. */
        ap->opened_ms = acc->coarse_now ? kafka__now_ms() : now_ms;
    }
    if (ap->nmsgs == ap->capmsgs) {
        int32_t cap = ap->capmsgs ? ap->capmsgs * 2 : 64;
        kafka__msgmeta_t *nm = realloc(ap->msgs, sizeof(*nm) * (size_t)cap);
        if (nm) {
            ap->msgs = nm;
            ap->capmsgs = cap;
        }
    }
    if (!ap->open || ap->nmsgs == ap->capmsgs) {
        err = KAFKA_ERR__NO_MEMORY;
    } else {
        err = kafka_batch_append(ap->open, timestamp_ms, key, keylen, value, valuelen, headers, nheaders);
        if (!err) {
            ap->msgs[ap->nmsgs++] = (kafka__msgmeta_t){opaque, now_ms, (uint32_t)size, flags};
            if (ap->nmsgs == 1)
                ev |= KAFKA__ACCUM_OPENED;
        }
    }
    pthread_mutex_unlock(&ap->lock);
    if (events)
        *events = ev;
    if (err) {
        unreserve(acc, 1, (int64_t)size);
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "cannot append the record: %s", kafka_err2str(err));
    }
    return err;
}

bool kafka__accum_ready_locked(kafka__accum_t *acc, kafka__apart_t *ap, int64_t now_ms, bool force,
                               int64_t *next_due_ms) {
    bool sealed = false;
    int64_t due = ap->open && ap->nmsgs ? ap->opened_ms + acc->linger_ms : INT64_MAX;
    if (due != INT64_MAX && (force || now_ms >= due) && (sealed = seal(acc, ap)))
        due = INT64_MAX;
    if (next_due_ms)
        *next_due_ms = due;
    return sealed;
}

bool kafka__accum_ready(kafka__accum_t *acc, kafka__apart_t *ap, int64_t now_ms, bool force, int64_t *next_due_ms) {
    pthread_mutex_lock(&ap->lock);
    bool sealed = kafka__accum_ready_locked(acc, ap, now_ms, force, next_due_ms);
    pthread_mutex_unlock(&ap->lock);
    return sealed;
}

void kafka__accum_release(kafka__accum_t *acc, kafka__pbatch_t *pb) {
    int64_t bytes = 0;
    for (int32_t i = 0; i < pb->count; i++)
        bytes += (int64_t)pb->msgs[i].size;
    unreserve(acc, pb->count, bytes);
    kafka__accum_retire(acc, pb);
}

void kafka__accum_retire(kafka__accum_t *acc, kafka__pbatch_t *pb) {
    free(pb->alt);
    pthread_mutex_lock(&acc->pool_lock);
    if (acc->npool < acc->cappool) {
        kafka_batch_reset(pb->batch);
        acc->pool[acc->npool].batch = pb->batch;
        acc->pool[acc->npool].msgs = pb->msgs;
        acc->pool[acc->npool].capmsgs = pb->capmsgs;
        acc->npool++;
        pb->batch = NULL;
        pb->msgs = NULL;
    }
    pthread_mutex_unlock(&acc->pool_lock);
    kafka_batch_destroy(pb->batch);
    free(pb->msgs);
    free(pb);
}

void kafka__apart_refused(kafka__apart_t *ap, const kafka__pbatch_t *pb) {
    size_t was = kafka_batch_size(pb->batch);
    if (ap->refused_max && ap->refused_max < was)
        was = ap->refused_max;
    ap->refused_max = was - was / 16;
}

/* A new sealed-batch shell for records [from, from + n) of pb, empty. */
static kafka__pbatch_t *split_part(const kafka__pbatch_t *pb, int32_t from, int32_t n) {
    kafka__pbatch_t *np = calloc(1, sizeof(*np));
    if (!np)
        return NULL;
    np->batch = kafka_batch_new(kafka_batch_size(pb->batch) / 2 + KAFKA_RECORD_BATCH_OVERHEAD);
    np->msgs = malloc(sizeof(*np->msgs) * (size_t)n);
    if (!np->batch || !np->msgs) {
        kafka_batch_destroy(np->batch);
        free(np->msgs);
        free(np);
        return NULL;
    }
    memcpy(np->msgs, pb->msgs + from, sizeof(*np->msgs) * (size_t)n);
    np->capmsgs = n;
    np->count = n;
    np->alt_magic = -1;
    return np;
}

kafka_err_t kafka__accum_split(kafka__accum_t *acc, const kafka__pbatch_t *pb, kafka__pbatch_t **first,
                               kafka__pbatch_t **second, char *why, size_t why_size) {
    *first = *second = NULL;
    if (pb->count < 2) {
        snprintf(why, why_size, "a batch of one record cannot be split");
        return KAFKA_ERR__INVALID_ARG;
    }
    int32_t half = pb->count / 2;
    kafka__pbatch_t *part[2] = {split_part(pb, 0, half), split_part(pb, half, pb->count - half)};
    kafka_records_reader_t *rr = kafka_records_reader_new(pb->data, pb->len, false, 0);
    kafka_header_t hstack[16], *hdrs = hstack;
    int32_t hcap = 16, i = 0;
    kafka_err_t e = part[0] && part[1] && rr ? KAFKA_OK : KAFKA_ERR__NO_MEMORY;
    if (e)
        snprintf(why, why_size, "out of memory splitting a batch of %d records", pb->count);
    kafka_record_t rec;
    int r = 0;
    while (!e && (r = kafka_records_reader_next(rr, &rec)) == 1) {
        if (i >= pb->count) {
            i++;
            break;
        }
        if (rec.header_count > hcap) {
            kafka_header_t *nh = realloc(hdrs == hstack ? NULL : hdrs, sizeof(*nh) * (size_t)rec.header_count);
            if (!nh) {
                snprintf(why, why_size, "out of memory splitting a batch of %d records", pb->count);
                e = KAFKA_ERR__NO_MEMORY;
                break;
            }
            hdrs = nh;
            hcap = rec.header_count;
        }
        int nh = rec.header_count > 0 ? kafka_record_headers(&rec, hdrs, hcap) : 0;
        e = kafka_batch_append(part[i >= half]->batch, rec.timestamp, rec.key.data, rec.key.len, rec.value.data,
                               rec.value.len, hdrs, (size_t)nh);
        if (e)
            snprintf(why, why_size, "re-encoding record %d of %d: %s", i, pb->count, kafka_err2str(e));
        i++;
    }
    if (!e && r < 0) {
        snprintf(why, why_size, "decoding the batch to split it: %s", kafka_records_reader_errstr(rr));
        e = (kafka_err_t)r;
    } else if (!e && i != pb->count) {
        snprintf(why, why_size, "the batch to split holds %d records, not %d", i, pb->count);
        e = KAFKA_ERR__BAD_MSG;
    }
    for (int k = 0; k < 2 && !e; k++)
        if ((e = seal_batch(acc, part[k]->batch, &part[k]->data, &part[k]->len)))
            snprintf(why, why_size, "sealing a split batch: %s", kafka_err2str(e));
    if (hdrs != hstack)
        free(hdrs);
    kafka_records_reader_destroy(rr);
    if (e) {
        for (int k = 0; k < 2; k++)
            if (part[k]) {
                kafka_batch_destroy(part[k]->batch);
                free(part[k]->msgs);
                free(part[k]);
            }
        return e;
    }
    part[0]->next = part[1];
    *first = part[0];
    *second = part[1];
    return KAFKA_OK;
}
