/* Fetch (key 1), versions 0-12: whole entries from the fetch offset, bounded by the
 * partition and request max bytes (at least one entry so a large batch is never stuck);
 * read_committed (v4+ isolation level 1): none at or past the last stable offset, and
 * the aborted transactions that overlap what is returned;
 * waits up to max wait for min bytes (the request is parked and retried when data
 * arrives). No fetch sessions: every fetch is a full one (session id 0). Below v4 newer
 * record formats are down-converted (downconvert.c). */
#include "mock/mock_int.h"

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

kmock_result_t kmock__handle_fetch(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_mock_t *m = rq->m;
    kafka_fetch_request_t *req = &rq->body->fetch;
    kafka_fetch_response_t *r = &resp->fetch;
    int16_t v = rq->hdr->request_api_version;
    size_t budget = v >= 3 && req->max_bytes > 0 ? (size_t)req->max_bytes : SIZE_MAX;
    size_t total = 0;
    bool errors = false;
    KMOCK_ARRAY(r->responses, rq, "FetchableTopicResponse", req->topics.count);
    for (int32_t t = 0; t < r->responses.count; t++) {
        kafka_fetch_request_topic_t *ft = &req->topics.items[t];
        kafka_fetch_response_fetchable_topic_response_t *tr = &r->responses.items[t];
        tr->topic = ft->topic;
        kmock_topic_t *topic = kmock__topic_find(m, ft->topic.str, ft->topic.len);
        KMOCK_ARRAY(tr->partitions, rq, "PartitionData", ft->partitions.count);
        for (int32_t i = 0; i < tr->partitions.count; i++) {
            kafka_fetch_request_partition_t *fp = &ft->partitions.items[i];
            kafka_fetch_response_partition_data_t *pr = &tr->partitions.items[i];
            pr->partition_index = fp->partition;
            pr->records.len = 0;
            kmock_partition_t *p = kmock__partition(topic, fp->partition);
            if (!p) {
                pr->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (p->leader != rq->broker->id) {
                pr->error_code = KAFKA_ERR_NOT_LEADER_OR_FOLLOWER;
                pr->current_leader.leader_id = p->leader;
                pr->current_leader.leader_epoch = p->leader_epoch;
            } else if (v >= 9 && fp->current_leader_epoch >= 0 && fp->current_leader_epoch != p->leader_epoch) {
                /* KIP-320: a fetcher with older metadata is fenced; a newer epoch is unknown here */
                pr->error_code = fp->current_leader_epoch < p->leader_epoch ? KAFKA_ERR_FENCED_LEADER_EPOCH
                                                                            : KAFKA_ERR_UNKNOWN_LEADER_EPOCH;
                pr->high_watermark = pr->last_stable_offset = pr->log_start_offset = -1;
            } else {
                size_t max = fp->partition_max_bytes > 0 ? (size_t)fp->partition_max_bytes : 0;
                if (max > budget - total)
                    max = budget - total;
                const uint8_t *data;
                size_t len;
                int64_t lso = kmock__lso(p);
                bool committed = v >= 4 && req->isolation_level == 1;
                pr->error_code = (int16_t)kmock__log_read_until(p, fp->fetch_offset, committed ? lso : INT64_MAX, max,
                                                                total == 0, &data, &len);
                if (!pr->error_code && v < 4)
                    pr->error_code = (int16_t)kmock__downconvert(rq, v, fp->fetch_offset, &data, &len);
                pr->high_watermark = p->high_watermark;
                pr->last_stable_offset = lso;
                if (committed && len > 0)
                    aborted(rq, p, fp->fetch_offset, lso, pr);
                pr->log_start_offset = p->log_start;
                pr->records.data = data;
                pr->records.len = (int32_t)len;
                total += len;
            }
            errors |= pr->error_code != 0;
        }
    }
    /* Wait for min bytes unless there is an error to report or the wait is over. */
    if (!rq->inject && !errors && total < (size_t)(req->min_bytes > 0 ? req->min_bytes : 0) && req->max_wait_ms > 0) {
        if (!rq->deadline_ms)
            rq->deadline_ms = rq->now_ms + req->max_wait_ms;
        if (rq->now_ms < rq->deadline_ms)
            return KMOCK_PARK;
    }
    return KMOCK_RESPOND;
}
