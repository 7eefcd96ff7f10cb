/* A fetcher's incremental fetch session (KIP-227) with its broker: what the broker's
 * session holds, and which partitions a Fetch must list. One per fetcher, used by its
 * thread only (no lock). */
#ifndef KAFKA_CONSUMER_FSESSION_H
#define KAFKA_CONSUMER_FSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consumer/consumer_int.h"

/* A partition of a Fetch: topic (the session keeps interned names), partition, and the
 * fetch offset and CurrentLeaderEpoch sent. Arrays of them are sorted by topic (strcmp),
 * then partition. */
typedef struct kafka__fspart_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    kafka_uuid_t topic_id; /* Fetch v13+ names the topic by it (zero: not known) */
    int32_t last_epoch;    /* LastFetchedEpoch sent (v13+; -1 none): the broker's session keeps it too */
} kafka__fspart_t;

typedef struct kafka__fsession_s {
    bool enabled;    /* enable.fetch.sessions */
    int32_t id;      /* the broker's session id; 0: none */
    int32_t epoch;   /* the next Fetch's SessionEpoch: 0 full (opens a session), > 0 incremental */
    bool by_id;      /* the session's Fetches name topics by id (v13+) */
    kafka__fspart_t *parts; /* what the broker's session holds (epoch > 0) */
    size_t n, cap;
} kafka__fsession_t;

void kafka__fsession_init(kafka__fsession_t *s, bool enabled);
void kafka__fsession_free(kafka__fsession_t *s);

/* The next Fetch starts a new session: a full one (keep_id: SessionId names the old one,
 * which the broker closes; else 0, for an id the broker no longer knows). */
void kafka__fsession_reset(kafka__fsession_t *s, bool keep_id);

/* Before a Fetch of want[0..n) (sorted) at version: a session kept by topic name and a
 * Fetch by id (or the other way round), or a topic whose id is not the one the session
 * holds (re-created), cannot go on incrementally (Kafka answers
 * FETCH_SESSION_TOPIC_ID_ERROR): the next Fetch is a full one. */
void kafka__fsession_check(kafka__fsession_t *s, int16_t version, const kafka__fspart_t *want, size_t n);

/* SessionId and SessionEpoch of a Fetch at version (-1: sessionless, the only choice
 * below v7 or with sessions off); whether it is incremental. */
bool kafka__fsession_header(const kafka__fsession_t *s, int16_t version, int32_t *id, int32_t *epoch);

/* An incremental Fetch of want[0..n) (sorted): whether want[i] must be listed (*send,
 * n of them: added, or its offset, leader epoch or last fetched epoch changed), and the session's partitions not in want,
 * to forget (*forget, malloc'd, *nforget; NULL when none). false when out of memory. */
bool kafka__fsession_diff(const kafka__fsession_t *s, const kafka__fspart_t *want, size_t n, bool *send,
                          kafka__fspart_t **forget, size_t *nforget);

/* The broker answered a Fetch of want[0..n) sent with epoch (SessionId session_id in
 * the answer): the session now holds want, and the next epoch follows; a full fetch the
 * broker gave no session keeps the next one full. Out of memory: the next is full. */
/* @thread the fetcher  @locks c->lock briefly (interning a new topic name) */
void kafka__fsession_answered(kafka__fsession_t *s, kafka_consumer_t *c, const kafka__fspart_t *want, size_t n,
                              int32_t epoch, int32_t session_id);

#endif
