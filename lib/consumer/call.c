/* One consumer call's way to the partition leader: metadata lookup, the leader's
 * connection, and retries with a metadata refresh and backoff until request.timeout.ms
 * from the call's start. */
#include <stdio.h>
#include <string.h>

#include "consumer/consumer_int.h"
#include "util/clock.h"

void kafka__call_begin(kafka__call_t *k, kafka_consumer_t *c, const char *topic, int32_t partition) {
    memset(k, 0, sizeof(*k));
    k->c = c;
    k->topic = topic;
    k->partition = partition;
    k->start_ms = kafka__now_ms();
    k->deadline_ms = k->start_ms + c->request_timeout_ms;
    kafka__backoff_init(&k->backoff, c->backoff_ms, c->backoff_max_ms);
    k->broker_id = -1;
    /* A topic new to the connection: wait for the refresh that asks for it. */
    if (kafka__connection_add_topic(c->cluster, topic))
        kafka__connection_refresh_wait(c->cluster, (int)c->request_timeout_ms, NULL, 0);
}

/* Looks the leader up in the current snapshot: its id and address, or why not. */
static kafka_err_t find_leader(kafka__call_t *k, char *host, size_t host_size, int *port, char *why, size_t why_size) {
    kafka__metadata_t *md = kafka__connection_metadata(k->c->cluster);
    const kafka__md_topic_t *t = md ? kafka__metadata_topic(md, k->topic) : NULL;
    if (!t) { /* no metadata yet, or none asked for the topic yet */
        char cause[300];
        kafka_err_t cerr = kafka_connection_last_error(k->c->cluster, cause, sizeof(cause));
        snprintf(why, why_size, "no metadata for %s/%d yet%s%s", k->topic, (int)k->partition, cerr ? ": " : "",
                 cerr ? cause : "");
        kafka__metadata_release(md);
        return cerr == KAFKA_ERR__NO_KNOWN_BROKERS ? cerr : KAFKA_ERR__LEADER_NOT_FOUND;
    }
    /* What the cluster said about the topic after the call began is final. */
    bool fresh = md->taken_ms >= k->start_ms;
    kafka_err_t err = KAFKA_OK;
    if (t->err == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
        err = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        k->final = fresh;
        snprintf(why, why_size, "topic %s does not exist (metadata: UNKNOWN_TOPIC_OR_PARTITION)", k->topic);
    } else if (t->err) {
        err = (kafka_err_t)t->err;
        k->final = fresh && !kafka_err_retriable(err);
        snprintf(why, why_size, "metadata of topic %s: %s", k->topic, kafka_err_name(err));
    } else if (k->partition >= t->npartitions) {
        err = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        k->final = fresh;
        snprintf(why, why_size, "topic %s has no partition %d (partitions 0..%d)", k->topic, (int)k->partition,
                 (int)t->npartitions - 1);
    } else {
        const kafka__md_partition_t *p = &t->partitions[k->partition];
        const kafka__md_broker_t *b = p->leader >= 0 ? kafka__metadata_broker(md, p->leader) : NULL;
        if (p->leader < 0 || !b) {
            err = p->err ? (kafka_err_t)p->err : KAFKA_ERR_LEADER_NOT_AVAILABLE;
            snprintf(why, why_size, "%s/%d has no leader (%s)", k->topic, (int)k->partition,
                     p->leader < 0 ? kafka_err_name(err) : "leader broker not in metadata");
        } else {
            k->broker_id = b->id;
            snprintf(host, host_size, "%s", b->host);
            *port = b->port;
        }
    }
    kafka__metadata_release(md);
    return err;
}

kafka_err_t kafka__call_leader(kafka__call_t *k, char *why, size_t why_size) {
    char host[256];
    int port = 0;
    k->final = false;
    kafka_err_t err = find_leader(k, host, sizeof(host), &port, why, why_size);
    if (err)
        return err;
    snprintf(k->broker, sizeof(k->broker), "broker %d (%s:%d)", (int)k->broker_id, host, port);
    char cause[256] = "";
    k->bc = kafka__conn_take(k->c, k->broker_id, host, port, &err, cause, sizeof(cause));
    if (!k->bc) {
        snprintf(why, why_size, "leader of %s/%d, %s: %s", k->topic, (int)k->partition, k->broker, cause);
        return err ? err : KAFKA_ERR__TRANSPORT;
    }
    return KAFKA_OK;
}

void kafka__call_release(kafka__call_t *k, bool healthy) {
    if (!k->bc)
        return;
    if (healthy)
        kafka__conn_give(k->c, k->broker_id, k->bc);
    else
        kafka__bconn_close(k->bc);
    k->bc = NULL;
}

bool kafka__call_retriable(kafka_err_t err) {
    return err == KAFKA_ERR__MISMATCH_CORRELATIONID || (err != KAFKA_ERR__NO_MEMORY && kafka_err_retriable(err));
}

bool kafka__call_retry(kafka__call_t *k, const char *why, char *out_why, size_t out_why_size) {
    k->attempts++;
    snprintf(k->last_why, sizeof(k->last_why), "%s", why);
    int64_t now = kafka__now_ms();
    if (now + kafka__backoff_peek(&k->backoff) >= k->deadline_ms) {
        snprintf(out_why, out_why_size,
                 "%s/%d: still failing after %lld ms and %d attempts (request.timeout.ms %lld): %s", k->topic,
                 (int)k->partition, (long long)(now - k->start_ms), k->attempts, (long long)k->c->request_timeout_ms,
                 k->last_why);
        return false;
    }
    /* Fresh metadata (a moved leader, a broker gone), then the rest of the backoff. */
    kafka__connection_refresh_wait(k->c->cluster, (int)(k->deadline_ms - now), NULL, 0);
    kafka__sleep_ms(now + kafka__backoff_next(&k->backoff) - kafka__now_ms());
    return true;
}
