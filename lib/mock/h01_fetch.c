/* Fetch (key 1), versions 0-17: whole entries from the fetch offset, bounded by the
 * partition and request max bytes (at least one entry so a large batch is never stuck);
 * read_committed (v4+ isolation level 1): none at or past the last stable offset, and
 * the aborted transactions that overlap what is returned;
 * waits up to max wait for min bytes (the request is parked and retried when data
 * arrives). Below v4 newer record formats are down-converted (downconvert.c).
 * Fetch sessions (KIP-227, v7+) as Kafka's FetchManager: SessionEpoch -1 is a sessionless
 * full fetch (closing SessionId's session if given), 0 a full fetch that opens a session
 * (closing SessionId's), n > 0 an incremental fetch in session SessionId, which must be at
 * epoch n (else INVALID_FETCH_SESSION_EPOCH; unknown: FETCH_SESSION_ID_NOT_FOUND): its
 * partitions are added or updated, ForgottenTopicsData removed, and the answer holds
 * only the session's partitions with records, an error, or a high watermark, last
 * stable offset or log start offset that changed since they were last answered.
 * v13+ names topics by id (KIP-516): an id no topic has is answered UNKNOWN_TOPIC_ID in
 * each of its partitions (Kafka's FetchSession), so a topic deleted and re-created
 * under the same name is another topic; a session opened by v13+ keeps its partitions
 * by topic id, and a session used across the v12/v13 line is answered
 * FETCH_SESSION_TOPIC_ID_ERROR (Kafka's FetchManager). v12+: a LastFetchedEpoch whose
 * history the log no longer has (the epoch ended before the fetch offset, or the log has
 * no such epoch: an unclean leader election truncated it) gets no records but the
 * DivergingEpoch, the largest epoch the log has up to it and where that one ends
 * (Kafka's Partition.fetchRecords, KIP-595/KIP-320). NOT_LEADER_OR_FOLLOWER and
 * FENCED_LEADER_EPOCH name the CurrentLeader; v16+ adds its NodeEndpoints (KIP-951). v15+ carries ReplicaId in
 * ReplicaState, v17 a ReplicaDirectoryId, both only of followers (ignored). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

/* A session key of a topic at v13+: "#" and the id in hex (no topic name has '#'). */
#define IDKEY_LEN 33

static kafka_str_t id_key(const kafka_uuid_t *id, char buf[IDKEY_LEN + 1]) {
    buf[0] = '#';
    for (int i = 0; i < 16; i++)
        snprintf(buf + 1 + 2 * i, 3, "%02x", id->b[i]);
    return (kafka_str_t){buf, IDKEY_LEN};
}

/* The topic id of an id key; false for a topic name. */
static bool key_id(kafka_str_t key, kafka_uuid_t *id) {
    if (key.len != IDKEY_LEN || key.str[0] != '#')
        return false;
    for (int i = 0; i < 16; i++) {
        unsigned x = 0;
        sscanf(key.str + 1 + 2 * i, "%2x", &x);
        id->b[i] = (uint8_t)x;
    }
    return true;
}

/* The topic of a request's (v13+: id) key, or NULL. */
static kmock_topic_t *key_topic(kafka_mock_t *m, kafka_str_t key) {
    kafka_uuid_t id;
    if (key_id(key, &id))
        return kmock__topic_by_id(m, &id);
    return key.len > 0 ? kmock__topic_find(m, key.str, key.len) : NULL;
}

/* The aborted transactions of p overlapping [from, to): Kafka's list for a read_committed
 * fetch (any transaction whose ABORT marker is at or past from and that began before to). */
static void aborted(kmock_req_t *rq, kmock_partition_t *p, int64_t from, int64_t to,
                    kafka_fetch_response_partition_data_t *pr) {
    int32_t n = 0;
    for (size_t i = 0; i < p->naborted; i++)
        n += p->aborted[i].last_offset >= from && p->aborted[i].first_offset < to;
    KMOCK_ARRAY(pr->aborted_transactions, rq, "AbortedTransaction", n);
    int32_t k = 0;
    for (size_t i = 0; i < p->naborted && k < pr->aborted_transactions.count; i++) {
        if (p->aborted[i].last_offset >= from && p->aborted[i].first_offset < to) {
            pr->aborted_transactions.items[k].producer_id = p->aborted[i].producer_id;
            pr->aborted_transactions.items[k++].first_offset = p->aborted[i].first_offset;
        }
    }
}

static bool diverged(kmock_partition_t *p, int16_t v, int32_t last_fetched_epoch, int64_t fetch_offset,
                     kafka_fetch_response_partition_data_t *pr);

/* Reads one partition for the answer pr: records from fetch_offset within max_bytes and
 * what is left of the request's budget (*total counts what was taken). */
static void read_partition(kmock_req_t *rq, kafka_str_t topic_name, int32_t partition, int32_t leader_epoch,
                           int32_t last_fetched_epoch, int64_t fetch_offset, int32_t max_bytes, size_t budget,
                           size_t *total, kafka_fetch_response_partition_data_t *pr) {
    kafka_mock_t *m = rq->m;
    kafka_fetch_request_t *req = &rq->body->fetch;
    int16_t v = rq->hdr->request_api_version;
    kmock_topic_t *topic = key_topic(m, topic_name);
    pr->partition_index = partition;
    pr->records.len = 0;
    kmock_partition_t *p = kmock__partition(topic, partition);
    if (!topic && v >= 13) {
        pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_ID;
        pr->high_watermark = pr->last_stable_offset = pr->log_start_offset = -1;
    } else if (!p) {
        pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (p->leader != rq->broker->id) {
        pr->error_code = KAFKA_ERR_NOT_LEADER_OR_FOLLOWER;
        pr->current_leader.leader_id = p->leader;
        pr->current_leader.leader_epoch = p->leader_epoch;
    } else if (v >= 9 && leader_epoch >= 0 && leader_epoch != p->leader_epoch) {
        /* KIP-320: a fetcher with older metadata is fenced; a newer epoch is unknown here */
        pr->error_code =
            leader_epoch < p->leader_epoch ? KAFKA_ERR_FENCED_LEADER_EPOCH : KAFKA_ERR_UNKNOWN_LEADER_EPOCH;
        pr->current_leader.leader_id = p->leader;
        pr->current_leader.leader_epoch = p->leader_epoch;
        pr->high_watermark = pr->last_stable_offset = pr->log_start_offset = -1;
    } else if (!diverged(p, v, last_fetched_epoch, fetch_offset, pr)) {
        size_t max = max_bytes > 0 ? (size_t)max_bytes : 0;
        if (max > budget - *total)
            max = budget - *total;
        const uint8_t *data;
        size_t len;
        int64_t lso = kmock__lso(p);
        bool committed = v >= 4 && req->isolation_level == 1;
        pr->error_code = (int16_t)kmock__log_read_until(p, fetch_offset, committed ? lso : INT64_MAX, max,
                                                        *total == 0, &data, &len);
        if (!pr->error_code && v < 4)
            pr->error_code = (int16_t)kmock__downconvert(rq, v, fetch_offset, &data, &len);
        pr->high_watermark = p->high_watermark;
        pr->last_stable_offset = lso;
        if (committed && len > 0)
            aborted(rq, p, fetch_offset, lso, pr);
        pr->log_start_offset = p->log_start;
        pr->records.data = data;
        pr->records.len = (int32_t)len;
        *total += len;
    }
}

/* v12+: whether the log diverged from the fetcher's history before fetch_offset (then pr
 * says where, with the partition's offsets and no records). */
static bool diverged(kmock_partition_t *p, int16_t v, int32_t last_fetched_epoch, int64_t fetch_offset,
                     kafka_fetch_response_partition_data_t *pr) {
    if (v < 12 || last_fetched_epoch < 0)
        return false;
    int32_t found = -1;
    int64_t end = kmock__log_epoch_end(p, last_fetched_epoch, &found);
    if (end < 0 || (found >= last_fetched_epoch && end >= fetch_offset))
        return false;
    pr->diverging_epoch.epoch = found;
    pr->diverging_epoch.end_offset = end;
    pr->high_watermark = p->high_watermark;
    pr->last_stable_offset = kmock__lso(p);
    pr->log_start_offset = p->log_start;
    return true;
}

/* Whether to hold the answer for min bytes: no error to report and the wait not over. */
static bool park(kmock_req_t *rq, bool errors, size_t total) {
    kafka_fetch_request_t *req = &rq->body->fetch;
    if (rq->inject || errors || total >= (size_t)(req->min_bytes > 0 ? req->min_bytes : 0) || req->max_wait_ms <= 0)
        return false;
    if (!rq->deadline_ms)
        rq->deadline_ms = rq->now_ms + req->max_wait_ms;
    return rq->now_ms < rq->deadline_ms;
}

/* A full fetch: every partition of the request, answered in its order. */
static kmock_result_t full_fetch(kmock_req_t *rq, kafka_fetch_response_t *r, size_t budget) {
    kafka_fetch_request_t *req = &rq->body->fetch;
    size_t total = 0;
    bool errors = false;
    KMOCK_ARRAY(r->responses, rq, "FetchableTopicResponse", req->topics.count);
    for (int32_t t = 0; t < r->responses.count; t++) {
        kafka_fetch_request_topic_t *ft = &req->topics.items[t];
        kafka_fetch_response_fetchable_topic_response_t *tr = &r->responses.items[t];
        tr->topic = ft->topic;
        tr->topic_id = ft->topic_id;
        char buf[IDKEY_LEN + 1];
        kafka_str_t key = rq->hdr->request_api_version >= 13 ? id_key(&ft->topic_id, buf) : ft->topic;
        KMOCK_ARRAY(tr->partitions, rq, "PartitionData", ft->partitions.count);
        for (int32_t i = 0; i < tr->partitions.count; i++) {
            kafka_fetch_request_partition_t *fp = &ft->partitions.items[i];
            kafka_fetch_response_partition_data_t *pr = &tr->partitions.items[i];
            read_partition(rq, key, fp->partition, fp->current_leader_epoch, fp->last_fetched_epoch, fp->fetch_offset,
                           fp->partition_max_bytes, budget, &total, pr);
            errors |= pr->error_code != 0;
        }
    }
    return park(rq, errors, total) ? KMOCK_PARK : KMOCK_RESPOND;
}

/* What an answered partition tells the session: the next incremental fetch answers it
 * again only when this changes. */
static void remember(kmock_fspart_t *sp, const kafka_fetch_response_partition_data_t *pr) {
    sp->hw = pr->high_watermark;
    sp->lso = pr->last_stable_offset;
    sp->log_start = pr->log_start_offset;
}

/* What a Fetch asks of a partition, as its session keeps it. */
static void take_request(kmock_fspart_t *sp, const kafka_fetch_request_partition_t *fp) {
    sp->fetch_offset = fp->fetch_offset;
    sp->max_bytes = fp->partition_max_bytes;
    sp->leader_epoch = fp->current_leader_epoch;
    sp->last_fetched_epoch = fp->last_fetched_epoch;
}

/* SessionEpoch 0: a full fetch; when answered, the old session (SessionId) is closed and a
 * new one holds the request's partitions (SessionId 0 in the answer: the cache had no
 * room). */
static kmock_result_t open_session(kmock_req_t *rq, kafka_fetch_response_t *r, size_t budget) {
    kafka_mock_t *m = rq->m;
    kafka_fetch_request_t *req = &rq->body->fetch;
    kmock_result_t res = full_fetch(rq, r, budget);
    if (res != KMOCK_RESPOND)
        return res;
    kmock_fsession_t *old = req->session_id ? kmock__fsession_find(m, rq->broker->id, req->session_id) : NULL;
    if (old)
        kmock__fsession_remove(m, old);
    size_t n = 0;
    for (int32_t t = 0; t < req->topics.count; t++)
        n += (size_t)req->topics.items[t].partitions.count;
    kmock_fsession_t *s = kmock__fsession_create(m, rq->broker->id, n, rq->now_ms);
    if (!s)
        return KMOCK_RESPOND;
    s->by_id = rq->hdr->request_api_version >= 13;
    for (int32_t t = 0; t < req->topics.count; t++) {
        kafka_fetch_request_topic_t *ft = &req->topics.items[t];
        char buf[IDKEY_LEN + 1];
        kafka_str_t key = s->by_id ? id_key(&ft->topic_id, buf) : ft->topic;
        for (int32_t i = 0; i < ft->partitions.count; i++) {
            kafka_fetch_request_partition_t *fp = &ft->partitions.items[i];
            kmock_fspart_t *sp = kmock__fsession_part(s, key, fp->partition, true);
            if (!sp) { /* out of memory: no session */
                kmock__fsession_remove(m, s);
                return KMOCK_RESPOND;
            }
            take_request(sp, fp);
            remember(sp, &r->responses.items[t].partitions.items[i]);
        }
    }
    r->session_id = s->id;
    return KMOCK_RESPOND;
}

static int16_t apply_changes(kmock_fsession_t *s, const kafka_fetch_request_t *req) {
    for (int32_t t = 0; t < req->topics.count; t++) {
        kafka_fetch_request_topic_t *ft = &req->topics.items[t];
        char buf[IDKEY_LEN + 1];
        kafka_str_t key = s->by_id ? id_key(&ft->topic_id, buf) : ft->topic;
        for (int32_t i = 0; i < ft->partitions.count; i++) {
            kafka_fetch_request_partition_t *fp = &ft->partitions.items[i];
            kmock_fspart_t *sp = kmock__fsession_part(s, key, fp->partition, true);
            if (!sp)
                return KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            take_request(sp, fp);
            sp->forgotten = false;
        }
    }
    for (int32_t t = 0; t < req->forgotten_topics_data.count; t++) {
        kafka_fetch_request_forgotten_topic_t *ft = &req->forgotten_topics_data.items[t];
        char buf[IDKEY_LEN + 1];
        kafka_str_t key = s->by_id ? id_key(&ft->topic_id, buf) : ft->topic;
        for (int32_t i = 0; i < ft->partitions.count; i++) {
            kmock_fspart_t *sp = kmock__fsession_part(s, key, ft->partitions.items[i], false);
            if (sp)
                sp->forgotten = true;
        }
    }
    kmock__fsession_compact(s);
    return 0;
}

/* SessionEpoch > 0: an incremental fetch in session SessionId. */
static kmock_result_t incremental_fetch(kmock_req_t *rq, kafka_fetch_response_t *r, size_t budget) {
    kafka_mock_t *m = rq->m;
    kafka_fetch_request_t *req = &rq->body->fetch;
    kmock_fsession_t *s = kmock__fsession_find(m, rq->broker->id, req->session_id);
    r->error_code = !s                                ? KAFKA_ERR_FETCH_SESSION_ID_NOT_FOUND
                    : s->epoch != req->session_epoch ? KAFKA_ERR_INVALID_FETCH_SESSION_EPOCH
                    : s->by_id != (rq->hdr->request_api_version >= 13) ? KAFKA_ERR_FETCH_SESSION_TOPIC_ID_ERROR
                                                                        : apply_changes(s, req);
    if (r->error_code) {
        m->fstats.session_errors += r->error_code != KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return KMOCK_RESPOND;
    }
    /* Every partition of the session is read, from where it left off last time. */
    kafka_fetch_response_partition_data_t *prs =
        s->n ? kmock__items(rq, "PartitionData", (int32_t)s->n) : NULL;
    if (s->n && !prs) {
        r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return KMOCK_RESPOND;
    }
    size_t *ans = s->n ? malloc(s->n * sizeof(*ans)) : NULL; /* the answered ones, in answer order */
    if (s->n && !ans) {
        r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return KMOCK_RESPOND;
    }
    size_t total = 0, nans = 0, last_data = s->rr;
    int32_t ntopics = 0;
    bool errors = false;
    for (size_t k = 0; k < s->n; k++) {
        size_t i = (s->rr + k) % s->n;
        kmock_fspart_t *sp = &s->parts[i];
        kafka_fetch_response_partition_data_t *pr = &prs[i];
        read_partition(rq, kafka_str(sp->topic), sp->partition, sp->leader_epoch, sp->last_fetched_epoch,
                       sp->fetch_offset, sp->max_bytes, budget, &total, pr);
        errors |= pr->error_code != 0;
        if (pr->records.len > 0)
            last_data = i + 1;
        if (pr->records.len > 0 || pr->error_code || pr->diverging_epoch.epoch >= 0 || pr->high_watermark != sp->hw ||
            pr->last_stable_offset != sp->lso || pr->log_start_offset != sp->log_start) {
            ntopics += !nans || strcmp(s->parts[ans[nans - 1]].topic, sp->topic) != 0;
            ans[nans++] = i;
        }
    }
    if (park(rq, errors, total)) {
        free(ans);
        return KMOCK_PARK;
    }
    /* The answer: runs of one topic, in the order read. */
    KMOCK_ARRAY(r->responses, rq, "FetchableTopicResponse", ntopics);
    for (size_t k = 0, t = 0; k < nans && r->responses.count; t++) {
        size_t end = k + 1;
        while (end < nans && strcmp(s->parts[ans[end]].topic, s->parts[ans[k]].topic) == 0)
            end++;
        kafka_fetch_response_fetchable_topic_response_t *tr = &r->responses.items[t];
        tr->topic = kafka_str(s->parts[ans[k]].topic);
        key_id(tr->topic, &tr->topic_id);
        KMOCK_ARRAY(tr->partitions, rq, "PartitionData", (int32_t)(end - k));
        for (int32_t j = 0; j < tr->partitions.count; j++) {
            tr->partitions.items[j] = prs[ans[k + (size_t)j]];
            remember(&s->parts[ans[k + (size_t)j]], &prs[ans[k + (size_t)j]]);
        }
        k = end;
    }
    free(ans);
    s->rr = s->n ? last_data % s->n : 0;
    s->epoch = s->epoch == INT32_MAX ? 1 : s->epoch + 1;
    s->last_used_ms = rq->now_ms;
    r->session_id = s->id;
    m->fstats.incremental_fetches++;
    return KMOCK_RESPOND;
}

/* v16+: the address of every current leader named in a NOT_LEADER_OR_FOLLOWER or
 * FENCED_LEADER_EPOCH answer (KIP-951), so the client need not ask Metadata first. */
static void node_endpoints(kmock_req_t *rq, kafka_fetch_response_t *r) {
    int32_t ids[KMOCK_MAX_BROKERS];
    int n = 0;
    for (int32_t t = 0; t < r->responses.count; t++)
        for (int32_t i = 0; i < r->responses.items[t].partitions.count; i++) {
            const kafka_fetch_response_partition_data_t *pr = &r->responses.items[t].partitions.items[i];
            if ((pr->error_code != KAFKA_ERR_NOT_LEADER_OR_FOLLOWER && pr->error_code != KAFKA_ERR_FENCED_LEADER_EPOCH) ||
                !kmock__broker(rq->m, pr->current_leader.leader_id))
                continue;
            bool seen = false;
            for (int k = 0; k < n && !seen; k++)
                seen = ids[k] == pr->current_leader.leader_id;
            if (!seen && n < KMOCK_MAX_BROKERS)
                ids[n++] = pr->current_leader.leader_id;
        }
    if (!n)
        return;
    KMOCK_ARRAY(r->node_endpoints, rq, "NodeEndpoint", n);
    for (int32_t k = 0; k < r->node_endpoints.count; k++) {
        kafka_fetch_response_node_endpoint_t *ne = &r->node_endpoints.items[k];
        ne->node_id = ids[k];
        ne->host = kafka_str("127.0.0.1");
        ne->port = kmock__advertised_port(rq, kmock__broker(rq->m, ids[k]));
        ne->rack = kafka_str(NULL);
    }
}

static kmock_result_t serve_fetch(kmock_req_t *rq, kafka_response_u *resp);

kmock_result_t kmock__handle_fetch(kmock_req_t *rq, kafka_response_u *resp) {
    kmock_result_t res = serve_fetch(rq, resp);
    if (res == KMOCK_RESPOND && rq->hdr->request_api_version >= 16 && !rq->inject)
        node_endpoints(rq, &resp->fetch);
    return res;
}

static kmock_result_t serve_fetch(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_fetch_request_t *req = &rq->body->fetch;
    kafka_fetch_response_t *r = &resp->fetch;
    int16_t v = rq->hdr->request_api_version;
    size_t budget = v >= 3 && req->max_bytes > 0 ? (size_t)req->max_bytes : SIZE_MAX;
    if (!rq->deadline_ms) { /* once per request, not again for a parked one */
        m->fstats.fetch_requests++;
        m->fstats.by_topic_id += v >= 13;
        for (int32_t t = 0; t < req->topics.count; t++)
            m->fstats.request_partitions += req->topics.items[t].partitions.count;
        for (int32_t t = 0; t < req->forgotten_topics_data.count; t++)
            m->fstats.forgotten_partitions += req->forgotten_topics_data.items[t].partitions.count;
    }
    r->session_id = 0;
    if (v < 7 || rq->inject || m->conf.fetch_session_slots < 0)
        return full_fetch(rq, r, budget);
    if (req->session_epoch > 0)
        return incremental_fetch(rq, r, budget);
    kmock_result_t res = req->session_epoch == 0 ? open_session(rq, r, budget) : full_fetch(rq, r, budget);
    if (res == KMOCK_RESPOND) {
        m->fstats.full_fetches++;
        if (req->session_epoch < 0 && req->session_id) { /* FINAL_EPOCH closes the session */
            kmock_fsession_t *old = kmock__fsession_find(m, rq->broker->id, req->session_id);
            if (old)
                kmock__fsession_remove(m, old);
        }
    }
    return res;
}
