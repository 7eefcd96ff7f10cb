/* Topic ids in the consumer loop (KIP-516): each assigned partition keeps its topic's id
 * from the metadata (v10+), which Fetch v13+ names topics by. The id of a name changes
 * only when the topic was deleted and created again: the offsets held then point into a
 * log that is gone, so the position is reset (auto.offset.reset) and poll() says so once. */
#include <stdio.h>
#include <string.h>

#include "consumer/loop.h"
#include "consumer/outcome.h"

static bool uuid_zero(const kafka_uuid_t *id) {
    static const kafka_uuid_t zero;
    return memcmp(id->b, zero.b, sizeof(zero.b)) == 0;
}

void kafka__uuid_format(const kafka_uuid_t *id, char out[23]) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)id->b[i] << 16;
        if (i + 1 < 16)
            v |= (uint32_t)id->b[i + 1] << 8;
        if (i + 2 < 16)
            v |= id->b[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (i + 1 < 16)
            out[o++] = abc[(v >> 6) & 63];
        if (i + 2 < 16)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
}

void kafka__lpart_topic_id(kafka__loop_t *loop, kafka__lpart_t *lp, const kafka_uuid_t *id) {
    if (uuid_zero(id) || memcmp(id->b, lp->topic_id.b, sizeof(id->b)) == 0)
        return;
    /* A broker whose metadata lags still names the old topic: ids never come back. */
    if (memcmp(id->b, lp->replaced_id.b, sizeof(id->b)) == 0)
        return;
    kafka_uuid_t old = lp->topic_id;
    lp->replaced_id = old;
    lp->topic_id = *id;
    if (uuid_zero(&old) || lp->state == LP_FAILED)
        return;
    kafka_consumer_t *c = loop->c;
    char was[23], now[23];
    kafka__uuid_format(&old, was);
    kafka__uuid_format(id, now);
    const char *policy = NULL;
    bool reset = kafka__fetch_outcome_reset(c, NULL, &policy);
    char cause[600];
    snprintf(cause, sizeof(cause),
             "%s/%d: topic %s was deleted and re-created (topic id %s, now %s): position %lld belonged to the old "
             "log; %s%s",
             lp->topic, (int)lp->partition, lp->topic, was, now, (long long)lp->position,
             reset ? "auto.offset.reset=" : "auto.offset.reset=error: the partition stops", reset ? policy : "");
    /* What a fetcher has in flight is of the old log: epoch tells it so when it files. */
    lp->epoch++;
    lp->leader_epoch = lp->last_epoch = -1; /* the new topic's epochs start anew */
    lp->not_before_ms = 0;
    kafka__backoff_reset(&lp->backoff);
    kafka__lpart_drop_buffered(loop, lp);
    lp->fetch_offset = lp->position;
    if (!reset) {
        lp->state = LP_FAILED;
        lp->err = KAFKA_ERR__TOPIC_RECREATED;
        lp->reported = false;
        snprintf(lp->errstr, sizeof(lp->errstr), "%s", cause);
        pthread_cond_broadcast(&loop->ready);
        return;
    }
    lp->state = LP_RESET;
    lp->recreated = true; /* the reset reports no skip of its own */
    lp->recreated_epoch = lp->epoch;
    lp->oor_offset = lp->position;
    lp->oor_log_start = lp->oor_high_watermark = -1;
    lp->high_watermark = -1;
    snprintf(lp->notice, sizeof(lp->notice), "%s", cause);
    lp->notice_err = KAFKA_ERR__TOPIC_RECREATED;
    lp->notice_due = true;
    pthread_cond_broadcast(&loop->ready);
    pthread_cond_broadcast(&loop->work);
}

/* Re-created and not sought since: its reset is the re-creation's. */
static bool recreated_now(const kafka__lpart_t *lp) { return lp->recreated && lp->recreated_epoch == lp->epoch; }

bool kafka__lpart_check_id_first(const kafka__lpart_t *lp) {
    return !recreated_now(lp) && !uuid_zero(&lp->topic_id);
}

void kafka__lpart_check_recreated(kafka__loop_t *loop, kafka__lpart_t *lp) {
    kafka__metadata_t *md = kafka__connection_metadata(loop->c->cluster);
    const kafka__md_topic_t *t = md ? kafka__metadata_topic(md, lp->topic) : NULL;
    if (t)
        kafka__lpart_topic_id(loop, lp, &t->id);
    kafka__metadata_release(md);
}

bool kafka__lpart_has_topic_id(const kafka__lpart_t *lp) {
    return !uuid_zero(&lp->topic_id);
}
