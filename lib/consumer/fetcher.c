/* A fetcher: the thread that fetches the assigned partitions one broker leads. It
 * picks those with room in the buffer, sends one Fetch for all of them, decodes the
 * response outside the lock (each partition's messages point into the one shared
 * response frame) and files the results: messages for poll(), the next fetch offset,
 * or the error's handling (backoff + metadata refresh, auto.offset.reset, or a failure
 * poll() reports); outcome.c says what an answer means. One request is in flight per
 * broker; the next is sent as soon as the previous one is filed, while the application
 * works on what poll() returned. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "consumer/fsession.h"
#include "consumer/loop.h"
#include "consumer/outcome.h"
#include "core/log.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/cond.h"

struct kafka__fetcher_s {
    kafka__loop_t *loop;
    pthread_t thread;
    kafka__broker_t broker; /* its connection (broker.bc), reconnect backoff, log state */
    int fd;                 /* broker.bc's socket while open, for kafka__fetcher_interrupt (loop->lock) */
    kafka__fsession_t fs;   /* the fetch session on broker.bc (the fetcher's thread only) */
};

/* One partition in a request, and what the response said of it. */
typedef struct entry_s {
    kafka__lpart_t *lp; /* in_flight: not freed until filed */
    const char *topic;  /* lp's, immutable */
    int32_t partition;
    int64_t offset;
    uint64_t epoch;
    int32_t leader_epoch; /* lp's when picked: CurrentLeaderEpoch */
    kafka_uuid_t topic_id; /* lp's when picked: the topic of Fetch v13+ */
    int32_t last_epoch;    /* lp's when picked: LastFetchedEpoch (v12+) */
    int32_t diverging_epoch; /* the answer's DivergingEpoch (v12+; -1 none) and its end */
    int64_t diverging_end;
    kafka_err_t err;
    kafka__msgset_t *set;
    kafka__scan_t scan;
    int64_t high_watermark, log_start;
    char why[700];
} entry_t;

typedef struct batch_s {
    entry_t *e;
    size_t n, cap;
    int16_t version;
    bool short_wait; /* only caught-up partitions while others wait for room */
    bool incremental; /* sent within a fetch session */
} batch_t;

/* fetch.max.wait.ms cut to this while partitions with data wait for room: the broker
 * must not hold the request long, as they cannot be fetched while it is out. */
#define SHORT_WAIT_MS 50

int32_t kafka__fetcher_broker(const kafka__fetcher_t *f) { return f->broker.id; }

/* ---- picking (loop->lock held) ---- */

static int by_topic(const void *a, const void *b) {
    const entry_t *x = a, *y = b;
    int r = strcmp(x->topic, y->topic);
    return r ? r : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The partitions to fetch now into b (marked in flight); *wake_ms: when a backed-off
 * one becomes due (or -1). A partition waiting for auto.offset.reset or for its
 * validation after a leader epoch change into *reset. */
static void pick(kafka__fetcher_t *f, batch_t *b, kafka__lpart_t **reset, int64_t *wake_ms) {
    kafka__loop_t *loop = f->loop;
    int64_t now = kafka__now_ms();
    b->n = 0;
    *reset = NULL;
    *wake_ms = -1;
    bool room = loop->buffered < loop->max_buffered;
    bool held = false; /* a partition with data on the broker waits for room */
    for (size_t i = 0; i < loop->nparts; i++) {
        kafka__lpart_t *lp = loop->parts[i];
        if (lp->leader != f->broker.id || lp->in_flight || lp->state == LP_FAILED)
            continue;
        if (lp->not_before_ms > now) {
            if (*wake_ms < 0 || lp->not_before_ms < *wake_ms)
                *wake_ms = lp->not_before_ms;
            continue;
        }
        if (lp->state == LP_RESET || lp->state == LP_VALIDATE) {
            if (!*reset)
                *reset = lp;
            continue;
        }
        if (!room || lp->buffered >= (size_t)loop->c->max_partition_fetch_bytes) {
            held |= lp->high_watermark < 0 || lp->fetch_offset < lp->high_watermark;
            continue;
        }
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 16;
            entry_t *grown = realloc(b->e, cap * sizeof(*grown));
            if (!grown)
                break; /* the others next round */
            b->e = grown;
            b->cap = cap;
        }
        entry_t *e = &b->e[b->n++];
        memset(e, 0, sizeof(*e));
        e->lp = lp;
        e->topic = lp->topic;
        e->partition = lp->partition;
        e->offset = lp->fetch_offset;
        e->epoch = lp->epoch;
        e->leader_epoch = lp->leader_epoch;
        e->topic_id = lp->topic_id;
        e->last_epoch = lp->last_epoch;
        e->diverging_epoch = -1;
        e->high_watermark = e->log_start = -1;
        lp->in_flight = true;
    }
    /* Only partitions that have caught up would make the broker hold the request for
     * fetch.max.wait.ms, and the held-back ones could not be fetched meanwhile: the
     * broker gets a short wait instead, so new data of the caught-up ones still comes
     * soon and the held-back ones are fetched soon after they have room. */
    bool caught_up = held;
    for (size_t i = 0; i < b->n && caught_up; i++)
        caught_up = b->e[i].lp->high_watermark >= 0 && b->e[i].offset >= b->e[i].lp->high_watermark;
    b->short_wait = caught_up;
    if (b->n > 1)
        qsort(b->e, b->n, sizeof(*b->e), by_topic);
}

/* ---- the round trip (no lock) ---- */

/* The connection came up (bc) or went down (NULL): its socket for
 * kafka__fetcher_interrupt, and the statistics' connects and disconnects. */
static void on_state(kafka__broker_t *b, kafka__bconn_t *bc, kafka_err_t err, const char *why, void *arg) {
    kafka__fetcher_t *f = arg;
    (void)b, (void)why;
    pthread_mutex_lock(&f->loop->lock);
    bool was_up = f->fd >= 0;
    f->fd = bc ? kafka_io_fd(bc->io) : -1;
    if (bc) /* a session lives as long as its connection */
        kafka__fsession_reset(&f->fs, false);
    if (bc)
        f->loop->st.connects++;
    else if (was_up && err != KAFKA_ERR__DESTROYED)
        f->loop->st.disconnects++; /* an established connection lost */
    if (bc && f->loop->stopping)
        shutdown(f->fd, SHUT_RDWR); /* destroy came while connecting */
    pthread_mutex_unlock(&f->loop->lock);
}

void kafka__fetcher_interrupt(kafka__fetcher_t *f) {
    if (f->fd >= 0)
        shutdown(f->fd, SHUT_RDWR); /* a long-polling Fetch returns at once */
}

/* The broker's connection, opened when needed (after the reconnect backoff, which
 * destroy cuts short) at the address the metadata has for the broker. */
static kafka_err_t connect_broker(kafka__fetcher_t *f, char *why, size_t why_size) {
    if (f->broker.bc)
        return KAFKA_OK;
    kafka_consumer_t *c = f->loop->c;
    pthread_mutex_lock(&f->loop->lock);
    while (!f->loop->stopping && kafka__now_ms() < f->broker.retry_at)
        kafka__cond_wait_until(&f->loop->work, &f->loop->lock, f->broker.retry_at);
    bool stopping = f->loop->stopping;
    pthread_mutex_unlock(&f->loop->lock);
    if (stopping) {
        snprintf(why, why_size, "the consumer is being destroyed");
        return KAFKA_ERR__DESTROYED;
    }
    kafka__metadata_t *md = kafka__connection_metadata(c->cluster);
    const kafka__md_broker_t *mb = md ? kafka__metadata_broker(md, f->broker.id) : NULL;
    if (mb) {
        kafka__broker_address(&f->broker, mb->host, mb->port);
        kafka__broker_up(&f->broker, kafka__now_ms());
    } else {
        kafka__broker_down(&f->broker, KAFKA_ERR__TRANSPORT, "not in the metadata");
    }
    kafka__metadata_release(md);
    if (f->broker.bc)
        return KAFKA_OK;
    snprintf(why, why_size, "%.290s: %.290s", f->broker.who, f->broker.why);
    return f->broker.err ? f->broker.err : KAFKA_ERR__TRANSPORT;
}

/* topic/partition against e's, in by_topic's order. */
static int cmp_entry(const kafka_str_t *topic, int32_t partition, const entry_t *e) {
    size_t len = topic->len > 0 ? (size_t)topic->len : 0;
    int r = strncmp(topic->str ? topic->str : "", e->topic, len);
    if (!r && e->topic[len])
        r = -1;
    return r ? r : (partition > e->partition) - (partition < e->partition);
}

/* The entry of a partition of the answer: at hint when the answer keeps the request's
 * order, else by binary search (b is sorted). */
static entry_t *find_entry(batch_t *b, size_t hint, const kafka_str_t *topic, int32_t partition) {
    if (hint < b->n && b->e[hint].partition == partition && kafka_str_eq(*topic, b->e[hint].topic))
        return &b->e[hint];
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_entry(topic, partition, &b->e[mid]);
        if (!r)
            return &b->e[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* e's fetch, for messages. */
static kafka__fetch_at_t fetch_at(const kafka__fetcher_t *f, const entry_t *e, int16_t version) {
    return (kafka__fetch_at_t){version, e->topic, e->partition, e->offset, f->broker.who};
}

/* What a DivergingEpoch answer to e says was lost. */
static void diverged_cause(const kafka__fetcher_t *f, const entry_t *e, char *cause, size_t size) {
    int64_t end = e->diverging_end < e->offset ? e->diverging_end : e->offset;
    snprintf(cause, size,
             "%s/%d: the log on %s was truncated at offset %lld (leader epoch %d ended there; the consumer had "
             "read epoch %d up to offset %lld): an unclean leader election lost offsets %lld..%lld",
             e->topic, (int)e->partition, f->broker.who, (long long)end, (int)e->diverging_epoch, (int)e->last_epoch,
             (long long)(e->offset - 1), (long long)end, (long long)(e->offset - 1));
}

/* One partition's answer -> e (its set decoded from the shared frame). */
static void take_partition(kafka__fetcher_t *f, entry_t *e, const kafka_fetch_response_partition_data_t *pr,
                           kafka__frame_t *frame, int16_t version) {
    kafka_consumer_t *c = f->loop->c;
    e->high_watermark = pr->high_watermark;
    /* read_committed reads up to the last stable offset: that is its end (as Java's
     * endOffsets and lag), or a reader waiting for the high watermark would wait for an
     * open transaction. */
    if (c->isolation_level == KAFKA_ISOLATION_READ_COMMITTED && pr->last_stable_offset >= 0 &&
        pr->last_stable_offset < pr->high_watermark)
        e->high_watermark = pr->last_stable_offset;
    e->log_start = pr->log_start_offset;
    if (!pr->error_code && version >= 13 && pr->diverging_epoch.epoch >= 0) {
        /* The log parted from what was fetched (no records come with it): file_entry. */
        e->diverging_epoch = pr->diverging_epoch.epoch;
        e->diverging_end = pr->diverging_epoch.end_offset;
        if (e->diverging_end < 0) { /* no offset a log can end at: the answer is refused */
            e->err = KAFKA_ERR__BAD_MSG;
            snprintf(e->why, sizeof(e->why),
                     "%s/%d: %s answered the Fetch at offset %lld with DivergingEpoch (epoch %d, end offset %lld): "
                     "not an offset a log can end at",
                     e->topic, (int)e->partition, f->broker.who, (long long)e->offset, (int)e->diverging_epoch,
                     (long long)e->diverging_end);
            e->diverging_epoch = -1;
            return;
        }
        if (e->diverging_end < e->offset) { /* else nothing fetched is lost (diverged()) */
            char cause[900]; /* said here, without the loop's lock: the log callback is the application's */
            diverged_cause(f, e, cause, sizeof(cause));
            kafka__log(c->conf, KAFKA__LOG_WARNING, "TRUNCATION", NULL, "%s", cause);
        }
        return;
    }
    if (pr->error_code) {
        kafka__bconn_note_error(f->broker.bc, KAFKA_API_FETCH, (kafka_err_t)pr->error_code);
        kafka__fetch_at_t at = fetch_at(f, e, version);
        e->err = kafka__fetch_outcome_error(&at, (kafka_err_t)pr->error_code, e->why, sizeof(e->why));
        return;
    }
    size_t len = pr->records.len > 0 ? (size_t)pr->records.len : 0;
    e->set = kafka__msgset_new_shared(e->topic, e->partition, pr->high_watermark, frame);
    e->err = e->set ? kafka__msgset_decode_partition(e->set, pr, e->offset, c->check_crcs,
                                                     c->isolation_level == KAFKA_ISOLATION_READ_COMMITTED, &e->scan)
                    : KAFKA_ERR__NO_MEMORY;
    if (e->err) {
        kafka__msgset_free(e->set);
        e->set = NULL;
        snprintf(e->why, sizeof(e->why), "Fetch of %s/%d: out of memory decoding %zu bytes", e->topic,
                 (int)e->partition, len);
    }
}

/* The Fetch version for b: the connection's, but below v13 (topics by name) while a
 * partition's topic id is not known (metadata below v10). */
static int16_t fetch_version(const kafka__fetcher_t *f, const batch_t *b) {
    static const kafka_uuid_t zero;
    int16_t version = kafka__bconn_version(f->broker.bc, KAFKA_API_FETCH);
    for (size_t i = 0; i < b->n && version >= 13; i++)
        if (!memcmp(b->e[i].topic_id.b, zero.b, sizeof(zero.b)))
            version = 12;
    return version;
}

/* The topic name of a topic id of a v13+ answer, from b's entries; NULL: none of them. */
static const char *topic_of_id(const batch_t *b, const kafka_uuid_t *id) {
    for (size_t i = 0; i < b->n; i++)
        if ((i == 0 || b->e[i].topic != b->e[i - 1].topic) && !memcmp(b->e[i].topic_id.b, id->b, sizeof(id->b)))
            return b->e[i].topic;
    return NULL;
}

/* Sends the Fetch for b and decodes the answer into its entries; a failure of the whole
 * request is set on every entry. Whether a request was sent. */
static bool round_trip(kafka__fetcher_t *f, batch_t *b) {
    kafka_consumer_t *c = f->loop->c;
    char why[500];
    b->incremental = false;
    kafka_err_t err = connect_broker(f, why, sizeof(why));
    if (err) {
        for (size_t i = 0; i < b->n; i++) {
            b->e[i].err = err;
            snprintf(b->e[i].why, sizeof(b->e[i].why), "fetching %s/%d: %s", b->e[i].topic, (int)b->e[i].partition,
                     why);
        }
        return false;
    }
    /* The session: an incremental Fetch lists only the partitions added or moved on, and
     * forgets those no longer picked (held back for room, paused, unassigned, moved). */
    int16_t version = fetch_version(f, b);
    kafka_fetch_request_t req;
    kafka__fetch_request_init(c, &req, f->loop->fetch_max_bytes);
    kafka__fspart_t *want = malloc((b->n ? b->n : 1) * sizeof(*want));
    bool *send = malloc((b->n ? b->n : 1) * sizeof(*send));
    kafka__fspart_t *forget = NULL;
    size_t nforget = 0;
    bool incremental = false;
    if (want && send) {
        for (size_t i = 0; i < b->n; i++) {
            want[i] = (kafka__fspart_t){b->e[i].topic, b->e[i].partition, b->e[i].offset, b->e[i].leader_epoch,
                                        b->e[i].topic_id, version >= 13 ? b->e[i].last_epoch : -1};
            send[i] = true;
        }
        kafka__fsession_check(&f->fs, version, want, b->n);
        incremental = kafka__fsession_header(&f->fs, version, &req.session_id, &req.session_epoch);
        if (incremental && !kafka__fsession_diff(&f->fs, want, b->n, send, &forget, &nforget)) {
            free(want); /* out of memory: reported below */
            want = NULL;
        }
    }
    /* Partitions grouped by topic (b is sorted). */
    kafka_fetch_request_partition_t *parts = malloc((b->n ? b->n : 1) * sizeof(*parts));
    kafka_fetch_request_topic_t *topics = malloc((b->n ? b->n : 1) * sizeof(*topics));
    int32_t *fparts = malloc((nforget ? nforget : 1) * sizeof(*fparts));
    kafka_fetch_request_forgotten_topic_t *ftopics = malloc((nforget ? nforget : 1) * sizeof(*ftopics));
    if (!parts || !topics || !want || !send || !fparts || !ftopics) {
        free(parts);
        free(topics);
        free(want);
        free(send);
        free(forget);
        free(fparts);
        free(ftopics);
        for (size_t i = 0; i < b->n; i++) {
            b->e[i].err = KAFKA_ERR__NO_MEMORY;
            snprintf(b->e[i].why, sizeof(b->e[i].why), "fetching %s/%d: out of memory", b->e[i].topic,
                     (int)b->e[i].partition);
        }
        return false;
    }
    int32_t ntopics = 0, nparts = 0;
    const char *prev = NULL;
    for (size_t i = 0; i < b->n; i++) {
        if (!send[i])
            continue;
        /* CurrentLeaderEpoch (v9+) fences a fetch with stale metadata; LastFetchedEpoch
         * lets the broker tell a log that parted from what was fetched (DivergingEpoch),
         * without an OffsetForLeaderEpoch round trip: sent by topic id only (v13+), as
         * by name a topic re-created under it would look like a truncated log. */
        parts[nparts] = (kafka_fetch_request_partition_t){b->e[i].partition, b->e[i].leader_epoch, b->e[i].offset,
                                                           version >= 13 ? b->e[i].last_epoch : -1, -1,
                                                           c->max_partition_fetch_bytes, {{0}}};
        if (!prev || strcmp(b->e[i].topic, prev) != 0)
            topics[ntopics++] = (kafka_fetch_request_topic_t){
                .topic = kafka_str(b->e[i].topic), .topic_id = b->e[i].topic_id, .partitions = {&parts[nparts], 0}};
        prev = b->e[i].topic;
        topics[ntopics - 1].partitions.count++;
        nparts++;
    }
    int32_t nftopics = 0;
    for (size_t i = 0; i < nforget; i++) {
        fparts[i] = forget[i].partition;
        if (i == 0 || strcmp(forget[i].topic, forget[i - 1].topic) != 0)
            ftopics[nftopics++] = (kafka_fetch_request_forgotten_topic_t){
                .topic = kafka_str(forget[i].topic), .topic_id = forget[i].topic_id, .partitions = {&fparts[i], 0}};
        ftopics[nftopics - 1].partitions.count++;
    }
    req.forgotten_topics_data.items = ftopics;
    req.forgotten_topics_data.count = nftopics;
    if (b->short_wait && req.max_wait_ms > SHORT_WAIT_MS)
        req.max_wait_ms = SHORT_WAIT_MS;
    req.topics.items = topics;
    req.topics.count = ntopics;
    kafka_fetch_response_t resp;
    kafka_arena_t arena = KAFKA_ARENA_INIT;
    uint8_t *data = NULL;
    err = kafka__bconn_request_upto(f->broker.bc, KAFKA_API_FETCH, version, &req, &resp, &arena, &data, &b->version);
    free(parts);
    free(topics);
    free(forget);
    free(fparts);
    free(ftopics);
    free(send);
    bool session_lost = false; /* the broker lost or refused the session: fetch again at once, full */
    if (!err && (resp.error_code == KAFKA_ERR_FETCH_SESSION_ID_NOT_FOUND ||
                 resp.error_code == KAFKA_ERR_INVALID_FETCH_SESSION_EPOCH)) {
        kafka__bconn_note_error(f->broker.bc, KAFKA_API_FETCH, (kafka_err_t)resp.error_code);
        kafka__fsession_reset(&f->fs, resp.error_code == KAFKA_ERR_INVALID_FETCH_SESSION_EPOCH);
        pthread_mutex_lock(&f->loop->lock);
        f->loop->st.fetch_session_resets++;
        pthread_mutex_unlock(&f->loop->lock);
        session_lost = true;
    } else if (!err && !resp.error_code && b->version >= 7 && req.session_epoch >= 0) {
        kafka__fsession_answered(&f->fs, c, want, b->n, req.session_epoch, resp.session_id);
    } else if (req.session_epoch >= 0) { /* failed: the next Fetch opens a new session */
        kafka__fsession_reset(&f->fs, !err);
    }
    free(want);
    /* An incremental answer leaves out the partitions with nothing new. */
    bool partial = incremental || session_lost;
    b->incremental = incremental;
    kafka__frame_t *frame = NULL;
    if (!err) {
        kafka__broker_ok(&f->broker);
        frame = kafka__frame_wrap(data); /* takes data, even when it fails */
        data = NULL;
        if (!frame)
            err = KAFKA_ERR__NO_MEMORY;
    }
    if (session_lost) {
        kafka__frame_release(frame);
        kafka__arena_free(&arena);
        return true; /* every entry: nothing came, fetched again at once */
    }
    if (!err && resp.error_code) {
        err = (kafka_err_t)resp.error_code;
        kafka__bconn_note_error(f->broker.bc, KAFKA_API_FETCH, err);
        snprintf(why, sizeof(why), "Fetch v%d from %s: %s", b->version, f->broker.who, kafka_err_name(err));
    } else if (err == KAFKA_ERR__UNKNOWN_APIKEY) {
        snprintf(why, sizeof(why), "%s speaks no Fetch version this client does", f->broker.who);
    } else if (err == KAFKA_ERR__NO_MEMORY) {
        snprintf(why, sizeof(why), "out of memory reading a Fetch response from %s", f->broker.who);
    } else if (err) {
        snprintf(why, sizeof(why), "Fetch v%d from %s: %s", b->version, f->broker.who,
                 kafka__bconn_last_error(f->broker.bc));
        pthread_mutex_lock(&f->loop->lock);
        bool stopping = f->loop->stopping;
        pthread_mutex_unlock(&f->loop->lock);
        if (stopping) /* destroy shut the socket down (kafka__fetcher_interrupt): no loss to tell */
            kafka__broker_close(&f->broker);
        else
            kafka__broker_down(&f->broker, err, why); /* broken or out of step */
    }
    if (!err) {
        size_t hint = 0;
        for (int32_t t = 0; t < resp.responses.count; t++) {
            const kafka_fetch_response_fetchable_topic_response_t *tr = &resp.responses.items[t];
            /* v13+ names the topic by id only */
            kafka_str_t topic = b->version >= 13 ? kafka_str(topic_of_id(b, &tr->topic_id)) : tr->topic;
            for (int32_t i = 0; i < tr->partitions.count; i++, hint++) {
                entry_t *e = topic.str ? find_entry(b, hint, &topic, tr->partitions.items[i].partition_index) : NULL;
                if (e && !e->set && !e->err)
                    take_partition(f, e, &tr->partitions.items[i], frame, b->version);
            }
        }
        for (size_t i = 0; i < b->n && !partial; i++)
            if (!b->e[i].set && !b->e[i].err && !b->e[i].why[0]) {
                /* Left out of the answer (a broker may when fetch.max.bytes is reached). */
                b->e[i].err = KAFKA_ERR__PARTITION_DOES_NOT_MATCH;
                snprintf(b->e[i].why, sizeof(b->e[i].why), "Fetch v%d: %s answered without %s/%d", b->version,
                         f->broker.who, b->e[i].topic, (int)b->e[i].partition);
            }
    } else {
        for (size_t i = 0; i < b->n; i++) {
            b->e[i].err = err;
            snprintf(b->e[i].why, sizeof(b->e[i].why), "fetching %s/%d at offset %lld: %s", b->e[i].topic,
                     (int)b->e[i].partition, (long long)b->e[i].offset, why);
        }
    }
    kafka__frame_release(frame);
    free(data);
    kafka__arena_free(&arena);
    return true;
}

/* ---- filing (loop->lock held) ---- */

static void fail_partition(kafka__loop_t *loop, kafka__lpart_t *lp, kafka_err_t err, const char *why) {
    lp->state = LP_FAILED;
    lp->err = err;
    lp->reported = false;
    snprintf(lp->errstr, sizeof(lp->errstr), "%s", why);
    pthread_cond_broadcast(&loop->ready);
}

static void backoff(kafka__loop_t *loop, kafka__lpart_t *lp, kafka_err_t err, const char *why) {
    kafka_consumer_t *c = loop->c;
    lp->not_before_ms = kafka__now_ms() + kafka__backoff_next(&lp->backoff);
    kafka__consumer_fail(c, err, why, NULL, 0); /* last_error says why it stalls */
}

/* Moves lp's fetch offset to next, after set's messages (set NULL: none came, only
 * skipped batches or a reset). lb: a free buffer entry, used when something waits for
 * poll() (or comes with set); else the position follows at once. false (nothing
 * changed, set not taken: the same offsets are fetched again) when lb is needed but
 * NULL (out of memory). */
static bool advance(kafka__loop_t *loop, kafka__lpart_t *lp, kafka__msgset_t *set, int64_t next, kafka__lbuf_t *lb) {
    if (!set && !lp->head) {
        lp->position = next;
        lp->fetch_offset = next;
        free(lb);
        return true;
    }
    if (!lb)
        return false;
    lb->next = NULL;
    lb->set = set;
    lb->taken = 0;
    lb->end_offset = next;
    lb->notice = false;
    if (lp->tail)
        lp->tail->next = lb;
    else
        lp->head = lb;
    lp->tail = lb;
    if (set) {
        kafka__msgset_share(set);
        lp->buffered += set->bytes;
        loop->buffered += set->bytes;
    }
    lp->fetch_offset = next;
    pthread_cond_broadcast(&loop->ready);
    return true;
}

static void truncate_at(kafka__loop_t *loop, kafka__lpart_t *lp, int64_t end, int32_t end_epoch, const char *cause);

/* A Fetch v13+ answered lp with DivergingEpoch: the log no longer holds the history
 * fetched (LastFetchedEpoch ended at e->diverging_end, before the fetch offset): a
 * truncation, told without an OffsetForLeaderEpoch round trip. */
static void diverged(kafka__fetcher_t *f, kafka__lpart_t *lp, const entry_t *e) {
    if (e->diverging_end >= e->offset) {
        /* The broker lacks the epoch fetched last, but the epoch it has before it ends
         * past the fetch offset: nothing fetched was lost. Fetching goes on from there,
         * the next Fetch (and the session) sending that epoch. */
        lp->last_epoch = e->diverging_epoch;
        kafka__backoff_reset(&lp->backoff);
        pthread_cond_broadcast(&f->loop->work);
        return;
    }
    int64_t end = e->diverging_end;
    char cause[900]; /* logged by take_partition() */
    diverged_cause(f, e, cause, sizeof(cause));
    kafka__backoff_reset(&lp->backoff);
    truncate_at(f->loop, lp, end, e->diverging_epoch, cause);
}

static void file_entry(kafka__fetcher_t *f, kafka__loop_t *loop, entry_t *e, int16_t version, bool *refresh) {
    kafka__lpart_t *lp = e->lp;
    kafka_consumer_t *c = loop->c;
    lp->in_flight = false;
    loop->st.fetch_errors += e->err != KAFKA_OK;
    if (lp->removed || lp->epoch != e->epoch || lp->state != LP_FETCH) {
        /* unassigned or moved meanwhile, or to be validated first (a new leader epoch) */
        kafka__msgset_free(e->set);
        if (lp->removed)
            kafka__lpart_destroy(lp);
        return;
    }
    /* Routed to another leader while in flight: its fetcher skipped it until now. */
    bool moved = lp->leader != f->broker.id;
    if (moved)
        pthread_cond_broadcast(&loop->work);
    if (e->high_watermark >= 0)
        lp->high_watermark = e->high_watermark;
    kafka__fetch_at_t at = fetch_at(f, e, version);
    char why[1000];
    kafka_err_t err;
    if (!e->err && e->diverging_epoch >= 0) {
        diverged(f, lp, e);
        return;
    }
    if (!e->err && !e->set) /* left out of an incremental answer: nothing new */
        return;
    if (!e->err) {
        int64_t next;
        kafka__fetched_t got = kafka__fetch_outcome(e->set, &e->scan, e->offset, &next);
        kafka__backoff_reset(&lp->backoff);
        if (got == KAFKA__FETCHED_TOO_LARGE) {
            kafka__msgset_free(e->set);
            err = kafka__fetch_outcome_too_large(&at, &e->scan, "max.partition.fetch.bytes",
                                                 c->max_partition_fetch_bytes, why, sizeof(why));
            fail_partition(loop, lp, err, why);
            return;
        }
        if (got != KAFKA__FETCHED_MESSAGES) {
            kafka__msgset_free(e->set);
            e->set = NULL;
        }
        if (got == KAFKA__FETCHED_NOTHING)
            return;
        if (!advance(loop, lp, e->set, next, malloc(sizeof(kafka__lbuf_t)))) {
            kafka__msgset_free(e->set);
            backoff(loop, lp, KAFKA_ERR__NO_MEMORY, "out of memory filing fetched messages");
        } else if (e->scan.last_epoch >= 0) {
            lp->last_epoch = e->scan.last_epoch;
        }
        return;
    }
    if (e->err == KAFKA_ERR_OFFSET_OUT_OF_RANGE) {
        if (!kafka__fetch_outcome_reset(c, NULL, NULL)) {
            err = kafka__fetch_outcome_out_of_range(&at, e->log_start, e->high_watermark, why, sizeof(why));
            fail_partition(loop, lp, err, why);
        } else {
            lp->state = LP_RESET;
            lp->oor_offset = e->offset;
            lp->oor_log_start = e->log_start;
            lp->oor_high_watermark = e->high_watermark;
        }
        return;
    }
    if (kafka__call_retriable(e->err) || e->err == KAFKA_ERR__PARTITION_DOES_NOT_MATCH) {
        if (!moved) { /* else the new leader's fetcher goes on at once */
            backoff(loop, lp, e->err, e->why);
            *refresh = true;
        }
        return;
    }
    fail_partition(loop, lp, e->err, e->why);
}

/* The notice of a reset that moved lp forward from its out-of-range offset to `to`,
 * reported by poll() when the position reaches the jump (at once when nothing waits
 * for poll(): queued false). */
static void note_skip(kafka__fetcher_t *f, kafka__lpart_t *lp, const char *policy, int64_t to, bool queued) {
    char range[256] = "";
    if (lp->oor_log_start >= 0 && lp->oor_offset < lp->oor_log_start)
        snprintf(range, sizeof(range), " (log start %lld, high watermark %lld: the broker no longer holds the messages "
                 "before %lld, deleted by retention or a records deletion)", (long long)lp->oor_log_start,
                 (long long)lp->oor_high_watermark, (long long)lp->oor_log_start);
    else if (lp->oor_high_watermark >= 0)
        snprintf(range, sizeof(range), " (high watermark %lld)", (long long)lp->oor_high_watermark);
    snprintf(lp->notice, sizeof(lp->notice),
             "%s/%d: offset %lld is out of range on %s%s; auto.offset.reset=%s moved the position to %lld, so "
             "offsets %lld..%lld were not read",
             lp->topic, (int)lp->partition, (long long)lp->oor_offset, f->broker.who, range,
             policy, (long long)to, (long long)lp->oor_offset, (long long)(to - 1));
    lp->notice_err = KAFKA_ERR__AUTO_OFFSET_RESET;
    if (queued)
        lp->tail->notice = true;
    else
        lp->notice_due = true;
    pthread_cond_broadcast(&f->loop->ready);
}

/* One partition of reset_partitions(): lp and what it was when the request was sent. */
typedef struct rpart_s {
    kafka__lpart_t *lp; /* in flight meanwhile; first (gather_due()) */
    uint64_t epoch;
    bool check_id; /* its topic was seen re-created: the metadata is refreshed first */
} rpart_t;
_Static_assert(offsetof(rpart_t, lp) == 0, "gather_due() fills the first member");

/* Whether lp is this fetcher's and due now in state (not in flight, not backing off). */
static bool due(const kafka__fetcher_t *f, const kafka__lpart_t *lp, kafka__lstate_t state, int64_t now) {
    return lp->leader == f->broker.id && !lp->in_flight && lp->state == state && lp->not_before_ms <= now;
}

/* How many of this fetcher's partitions are due in state. */
static size_t count_due(const kafka__fetcher_t *f, kafka__lstate_t state, int64_t now) {
    size_t n = 0;
    for (size_t i = 0; i < f->loop->nparts; i++)
        n += due(f, f->loop->parts[i], state, now);
    return n;
}

/* Orders structs whose first member is their kafka__lpart_t * by topic, then partition. */
static int by_lpart(const void *a, const void *b) {
    const kafka__lpart_t *x = *(kafka__lpart_t *const *)a, *y = *(kafka__lpart_t *const *)b;
    int r = strcmp(x->topic, y->topic);
    return r ? r : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Puts first and the others of this fetcher due in state (at most cap in all) in the
 * first member (the kafka__lpart_t *) of the structs of size stride at base, sorted by
 * topic and partition, for one request to the fetcher's broker; how many. */
static size_t gather_due(const kafka__fetcher_t *f, kafka__lpart_t *first, kafka__lstate_t state, int64_t now,
                         void *base, size_t stride, size_t cap) {
    char *at = base;
    size_t n = 0;
    *(kafka__lpart_t **)at = first;
    n++;
    for (size_t i = 0; i < f->loop->nparts && n < cap; i++) {
        kafka__lpart_t *lp = f->loop->parts[i];
        if (lp != first && due(f, lp, state, now))
            *(kafka__lpart_t **)(at + n++ * stride) = lp;
    }
    qsort(base, n, stride, by_lpart);
    return n;
}

/* Whether every partition of this fetcher has its topic's id: only then do its Fetches
 * go by id (v13+, with LastFetchedEpoch; fetch_version()). */
static bool all_topic_ids(const kafka__fetcher_t *f) {
    for (size_t i = 0; i < f->loop->nparts; i++) {
        const kafka__lpart_t *lp = f->loop->parts[i];
        if (lp->leader == f->broker.id && !lp->removed && !kafka__lpart_has_topic_id(lp))
            return false;
    }
    return true;
}

/* r's reset answered (q) or failed for all (err, final, why; version: the ListOffsets
 * version tried), the lock held again: the position jumps, or the partition backs off
 * or fails. */
static void reset_done(kafka__fetcher_t *f, const rpart_t *r, const kafka__lo_q_t *q, kafka_err_t err, bool final,
                       int16_t version, const char *why, const char *policy) {
    kafka__loop_t *loop = f->loop;
    kafka_consumer_t *c = loop->c;
    kafka__lpart_t *lp = r->lp;
    const char *topic = lp->topic;
    int32_t partition = lp->partition;
    lp->in_flight = false;
    if (lp->removed) {
        kafka__lpart_destroy(lp);
        return;
    }
    if (r->check_id) /* re-created: lp's epoch moved, it is reset again as such */
        kafka__lpart_check_recreated(loop, lp);
    char own[600];
    if (!err) { /* the request was answered: the partition's own result */
        err = q->err;
        final = q->final;
        if (!err && q->offset < 0)
            err = KAFKA_ERR__REQUEST_OR_RESPONSE;
        if (err) {
            snprintf(own, sizeof(own), "ListOffsets v%d on %s: %s", version, f->broker.who,
                     q->err ? q->why : "gave no offset");
            why = own;
        }
    }
    if (lp->epoch != r->epoch || lp->state != LP_RESET || err == KAFKA_ERR__DESTROYED)
        return;
    if (err) {
        char cause[800];
        snprintf(cause, sizeof(cause), "auto.offset.reset=%s of %s/%d: %s", policy, topic, (int)partition, why);
        if (final || !kafka__call_retriable(err)) {
            fail_partition(loop, lp, err, cause);
        } else {
            backoff(loop, lp, err, cause);
            kafka_connection_refresh(c->cluster);
        }
        return;
    }
    int64_t to = q->offset;
    lp->state = LP_FETCH;
    kafka__backoff_reset(&lp->backoff);
    lp->last_epoch = -1; /* a position of another history: nothing to validate until a batch comes */
    /* What waits for poll() is still handed out; the position jumps after it. */
    bool queued = lp->head != NULL;
    if (!advance(loop, lp, NULL, to, malloc(sizeof(kafka__lbuf_t)))) {
        lp->state = LP_RESET;
        backoff(loop, lp, KAFKA_ERR__NO_MEMORY, "out of memory resetting the offset");
        return;
    }
    loop->st.offset_resets++;
    bool recreated = lp->recreated && lp->recreated_epoch == r->epoch; /* not sought since */
    lp->recreated = false;
    if (recreated) /* the re-creation was reported instead (topicid.c) */
        return;
    if (to > lp->oor_offset) { /* forward past messages never returned: poll() says so */
        loop->st.offsets_skipped += to - lp->oor_offset;
        note_skip(f, lp, policy, to, queued);
    }
}

/* auto.offset.reset for every partition of this fetcher waiting for it (first among
 * them): one ListOffsets for all on the fetcher's connection (their leader; destroy can
 * cut it short), the lock released and they in flight meanwhile. Out of memory: first
 * alone. A failure that trying again can mend backs a partition off; another fails it
 * (poll reports it); an error in the answer is that partition's alone. */
static void reset_partitions(kafka__fetcher_t *f, kafka__lpart_t *first) {
    kafka__loop_t *loop = f->loop;
    kafka_consumer_t *c = loop->c;
    int64_t now = kafka__now_ms();
    size_t cap = count_due(f, LP_RESET, now);
    rpart_t one;
    kafka__lo_q_t qone;
    rpart_t *r = malloc((cap ? cap : 1) * sizeof(*r));
    kafka__lo_q_t *q = malloc((cap ? cap : 1) * sizeof(*q));
    if (!r || !q) { /* out of memory: the first alone */
        free(r);
        free(q);
        r = &one;
        q = &qone;
        cap = 1;
    }
    size_t n = gather_due(f, first, LP_RESET, now, r, sizeof(*r), cap);
    bool check_id = false;
    for (size_t i = 0; i < n; i++) {
        kafka__lpart_t *lp = r[i].lp;
        r[i].epoch = lp->epoch;
        r[i].check_id = kafka__lpart_check_id_first(lp);
        check_id |= r[i].check_id;
        q[i].topic = lp->topic; /* immutable, and lp lives while in flight */
        q[i].partition = lp->partition;
        lp->in_flight = true;
    }
    bool all_ids = check_id && all_topic_ids(f);
    pthread_mutex_unlock(&loop->lock);
    int64_t time;
    const char *policy;
    kafka__fetch_outcome_reset(c, &time, &policy); /* true: under auto.offset.reset=error, lp failed instead */
    bool final = false, broken = false;
    int16_t version = -1;
    char why[600];
    kafka_err_t err = connect_broker(f, why, sizeof(why));
    /* By name (Fetch below v13) a topic re-created under it shows as offsets out of range:
     * the metadata is refreshed first, once for all of them, and shows the new id. By id
     * the broker answers UNKNOWN_TOPIC_ID instead, so an offset out of range is one. The
     * wait is short: it only tells a re-creation apart early (the next metadata does it
     * anyway), and destroy waits for it. */
    if (!err && check_id && !(all_ids && kafka__bconn_version(f->broker.bc, KAFKA_API_FETCH) >= 13)) {
        int wait_ms = c->request_timeout_ms < 2000 ? (int)c->request_timeout_ms : 2000;
        kafka__connection_refresh_wait(c->cluster, wait_ms, why, sizeof(why));
        /* A re-creation it shows is taken now, so this request is that reset too (its
         * epoch is the re-creation's): one round, not a second for the re-creation. */
        pthread_mutex_lock(&loop->lock);
        for (size_t i = 0; i < n; i++) {
            kafka__lpart_t *lp = r[i].lp;
            if (!r[i].check_id || lp->removed || lp->epoch != r[i].epoch)
                continue;
            kafka__lpart_check_recreated(loop, lp);
            r[i].check_id = false;
            if (lp->epoch != r[i].epoch && lp->state == LP_RESET && lp->recreated && lp->recreated_epoch == lp->epoch)
                r[i].epoch = lp->epoch;
        }
        pthread_mutex_unlock(&loop->lock);
    }
    if (!err) {
        err = kafka__list_offsets_many_on(f->broker.bc, c, f->broker.who, q, n, time, &version, &final, &broken, why,
                                          sizeof(why));
        if (broken)
            kafka__broker_down(&f->broker, err, why);
    }
    pthread_mutex_lock(&loop->lock);
    for (size_t i = 0; i < n; i++)
        reset_done(f, &r[i], &q[i], err, final, version, why, policy);
    if (r != &one) {
        free(r);
        free(q);
    }
}

/* One partition of validate_partitions(): lp and what it was when the check was sent. */
typedef struct vpart_s {
    kafka__lpart_t *lp; /* in flight meanwhile; first (gather_due()) */
    uint64_t epoch;
    int64_t fetched; /* in flight and LP_VALIDATE, only a seek (which bumps epoch) moves the fetch offset */
    bool has_id;     /* its topic's id is known: Fetch v13+ checks it (LastFetchedEpoch) */
    char cause[900]; /* a truncation found: what was lost */
} vpart_t;
_Static_assert(offsetof(vpart_t, lp) == 0, "gather_due() fills the first member");


/* v's check answered (q) or failed for all (err, unsupported, why), the lock held again:
 * fetching goes on, or the truncation is handled, or the partition backs off or fails. */
static void validated(kafka__fetcher_t *f, vpart_t *v, const kafka__epoch_q_t *q, kafka_err_t err, bool unsupported,
                      const char *why) {
    kafka__loop_t *loop = f->loop;
    kafka_consumer_t *c = loop->c;
    kafka__lpart_t *lp = v->lp;
    lp->in_flight = false;
    if (lp->removed) {
        kafka__lpart_destroy(lp);
        return;
    }
    if (!err) { /* the request was answered: the partition's own result */
        err = q->err;
        why = q->why;
    }
    bool truncated = !err && q->end >= 0 && q->end < v->fetched;
    if (lp->epoch != v->epoch || lp->state != LP_VALIDATE || err == KAFKA_ERR__DESTROYED)
        return;
    if (lp->leader_epoch != q->current || lp->leader != f->broker.id) {
        /* Another leader change meanwhile: check again against the newest leader. */
        pthread_cond_broadcast(&loop->work);
        return;
    }
    if (err && !unsupported) {
        if (kafka__call_retriable(err) || err == KAFKA_ERR__PARTITION_DOES_NOT_MATCH) {
            backoff(loop, lp, err, why);
            kafka_connection_refresh(c->cluster);
        } else {
            fail_partition(loop, lp, err, why); /* e.g. not authorized: poll() says so */
        }
        return;
    }
    lp->state = LP_FETCH;
    kafka__backoff_reset(&lp->backoff);
    if (!truncated) {
        pthread_cond_broadcast(&loop->work);
        return;
    }
    truncate_at(loop, lp, q->end, q->end_epoch, v->cause);
}

/* lp's log was truncated at `end` (where epoch end_epoch ended), behind what was fetched
 * (cause says so): what waits for poll() goes, the position moves back to end, poll()
 * reports it once when it had returned lost messages (auto.offset.reset=error: lp fails
 * with it). */
static void truncate_at(kafka__loop_t *loop, kafka__lpart_t *lp, int64_t end, int32_t end_epoch, const char *cause) {
    kafka_consumer_t *c = loop->c;
    int64_t returned = lp->position;
    if (!kafka__fetch_outcome_reset(c, NULL, NULL)) {
        fail_partition(loop, lp, KAFKA_ERR__LOG_TRUNCATION, cause);
        return;
    }
    kafka__lpart_drop_buffered(loop, lp);
    loop->st.offset_resets++;
    lp->fetch_offset = end;
    lp->epoch++; /* the fetch offset was set other than by a fetch */
    lp->last_epoch = end_epoch;
    if (returned > end) {
        lp->position = end;
        snprintf(lp->notice, sizeof(lp->notice),
                 "%.500s; poll() had returned offsets %lld..%lld of the lost history, reading goes on at %lld", cause,
                 (long long)end, (long long)(returned - 1), (long long)end);
        lp->notice_err = KAFKA_ERR__LOG_TRUNCATION;
        lp->notice_due = true;
        pthread_cond_broadcast(&loop->ready);
    } else { /* nothing lost was returned: what was dropped unread is fetched again */
        lp->fetch_offset = lp->position;
    }
    pthread_cond_broadcast(&loop->work);
}

/* After a leader epoch change: OffsetForLeaderEpoch on the leader for the epoch of the
 * last batch fetched, for every partition of this fetcher waiting for it (first among
 * them) in one request, those in flight and the lock released meanwhile. The log still
 * holding everything up to the fetch offset: fetching goes on. Truncated before it (an
 * unclean leader election): what waits for poll() of the lost history is dropped, the
 * position moves back to where the histories part, and poll() reports
 * KAFKA_ERR__LOG_TRUNCATION once when it had returned lost messages (under
 * auto.offset.reset=error the partition fails with it instead). A broker without the
 * API (before 0.11) or an epoch it no longer knows: no check, fetching goes on. */
static void validate_partitions(kafka__fetcher_t *f, kafka__lpart_t *first) {
    kafka__loop_t *loop = f->loop;
    kafka_consumer_t *c = loop->c;
    int64_t now = kafka__now_ms();
    size_t cap = count_due(f, LP_VALIDATE, now);
    vpart_t one;
    kafka__epoch_q_t qone;
    vpart_t *v = malloc((cap ? cap : 1) * sizeof(*v));
    kafka__epoch_q_t *q = malloc((cap ? cap : 1) * sizeof(*q));
    if (!v || !q) { /* out of memory: the first alone */
        free(v);
        free(q);
        v = &one;
        q = &qone;
        cap = 1;
    }
    size_t n = gather_due(f, first, LP_VALIDATE, now, v, sizeof(*v), cap);
    bool all_ids = all_topic_ids(f);
    for (size_t i = 0; i < n; i++) {
        kafka__lpart_t *lp = v[i].lp;
        v[i].epoch = lp->epoch;
        v[i].fetched = lp->fetch_offset;
        v[i].has_id = kafka__lpart_has_topic_id(lp);
        v[i].cause[0] = '\0';
        q[i] = (kafka__epoch_q_t){.topic = lp->topic, /* immutable, and lp lives while in flight */
                                  .partition = lp->partition,
                                  .current = lp->leader_epoch,
                                  .epoch = lp->last_epoch};
        lp->in_flight = true;
    }
    pthread_mutex_unlock(&loop->lock);
    bool unsupported = false, broken = false;
    char why[600];
    kafka_err_t err = connect_broker(f, why, sizeof(why));
    /* Fetch v13+ (by topic id) carries LastFetchedEpoch: the broker answers a log that
     * parted from it with DivergingEpoch (diverged()), no round trip needed first. Those
     * partitions are left out of the request (end -1: fetching goes on). */
    size_t nask = n;
    if (!err && all_ids && kafka__bconn_version(f->broker.bc, KAFKA_API_FETCH) >= 13) {
        nask = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].has_id) {
                q[i].err = KAFKA_OK;
                q[i].end = -1;
                q[i].end_epoch = -1;
                q[i].why[0] = '\0';
            } else {
                nask++;
            }
        }
    }
    if (!err && nask == n) {
        err = kafka__epoch_ends_on(f->broker.bc, f->broker.who, q, n, &unsupported, &broken, why, sizeof(why));
    } else if (!err && nask) { /* those asked, gathered in front, then put back in their places */
        kafka__epoch_q_t *ask = malloc(nask * sizeof(*ask));
        size_t k = 0;
        if (!ask) {
            err = KAFKA_ERR__NO_MEMORY;
            snprintf(why, sizeof(why), "out of memory asking OffsetForLeaderEpoch");
        } else {
            for (size_t i = 0; i < n; i++)
                if (!v[i].has_id)
                    ask[k++] = q[i];
            err = kafka__epoch_ends_on(f->broker.bc, f->broker.who, ask, nask, &unsupported, &broken, why,
                                       sizeof(why));
            k = 0;
            for (size_t i = 0; i < n; i++)
                if (!v[i].has_id)
                    q[i] = ask[k++];
            free(ask);
        }
    }
    if (broken)
        kafka__broker_down(&f->broker, err, why);
    for (size_t i = 0; i < n && !err; i++) {
        if (q[i].err || q[i].end < 0 || q[i].end >= v[i].fetched)
            continue;
        /* said here, without the loop's lock: the log callback is the application's */
        snprintf(v[i].cause, sizeof(v[i].cause),
                 "%s/%d: the log on %s was truncated at offset %lld (leader epoch %d ended there; the consumer had "
                 "read epoch %d up to offset %lld): an unclean leader election lost offsets %lld..%lld",
                 q[i].topic, (int)q[i].partition, f->broker.who, (long long)q[i].end, (int)q[i].end_epoch,
                 (int)q[i].epoch, (long long)(v[i].fetched - 1), (long long)q[i].end, (long long)(v[i].fetched - 1));
        kafka__log(c->conf, KAFKA__LOG_WARNING, "TRUNCATION", NULL, "%s", v[i].cause);
    }
    pthread_mutex_lock(&loop->lock);
    for (size_t i = 0; i < n; i++)
        validated(f, &v[i], &q[i], err, unsupported, why);
    if (v != &one) {
        free(v);
        free(q);
    }
}

static void *run(void *arg) {
    kafka__fetcher_t *f = arg;
    kafka__loop_t *loop = f->loop;
    batch_t b = {0};
    pthread_mutex_lock(&loop->lock);
    while (!loop->stopping) {
        kafka__lpart_t *reset;
        int64_t wake_ms;
        pick(f, &b, &reset, &wake_ms);
        if (reset) { /* first: the others are picked again right after */
            for (size_t i = 0; i < b.n; i++)
                b.e[i].lp->in_flight = false;
            if (reset->state == LP_VALIDATE)
                validate_partitions(f, reset);
            else
                reset_partitions(f, reset);
            continue;
        }
        if (!b.n) {
            int64_t now = kafka__now_ms();
            kafka__cond_wait_until(&loop->work, &loop->lock, wake_ms >= 0 && wake_ms - now < 1000 ? wake_ms : now + 1000);
            continue;
        }
        pthread_mutex_unlock(&loop->lock);
        bool sent = round_trip(f, &b);
        pthread_mutex_lock(&loop->lock);
        loop->st.fetch_requests += sent;
        loop->st.fetch_incremental += sent && b.incremental;
        bool refresh = false;
        for (size_t i = 0; i < b.n; i++)
            file_entry(f, loop, &b.e[i], b.version, &refresh);
        if (refresh)
            kafka_connection_refresh(loop->c->cluster);
    }
    pthread_mutex_unlock(&loop->lock);
    free(b.e);
    kafka__broker_close(&f->broker);
    kafka__fsession_free(&f->fs);
    return NULL;
}

kafka__fetcher_t *kafka__fetcher_start(kafka__loop_t *loop, int32_t broker_id) {
    kafka__fetcher_t *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->loop = loop;
    f->fd = -1;
    kafka_consumer_t *c = loop->c;
    kafka__fsession_init(&f->fs, kafka_conf_bool(c->conf, KAFKA_CONF_ENABLE_FETCH_SESSIONS));
    kafka__broker_init(&f->broker, c->conf, kafka__connection_vcaps(c->cluster), "FETCH", broker_id, "", 0, on_state,
                       f); /* its address from the metadata when it connects */
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        free(f);
        return NULL;
    }
    char name[16];
    snprintf(name, sizeof(name), "kafka:f%d", (int)broker_id);
    pthread_setname_np(f->thread, name);
    return f;
}

void kafka__fetcher_join(kafka__fetcher_t *f) {
    pthread_join(f->thread, NULL);
    free(f);
}
