/* Incremental fetch sessions, the client side (fsession.h): Java's FetchSessionHandler
 * in spirit. The broker's session holds the partitions and fetch offsets last sent; a
 * Fetch lists only what changed and forgets what is no longer fetched, and the broker
 * answers only partitions with news, so a fetcher of thousands of idle partitions sends
 * and receives little. */
#include "consumer/fsession.h"

#include <stdlib.h>
#include <string.h>

void kafka__fsession_init(kafka__fsession_t *s, bool enabled) {
    memset(s, 0, sizeof(*s));
    s->enabled = enabled;
}

void kafka__fsession_free(kafka__fsession_t *s) {
    free(s->parts);
    s->parts = NULL;
    s->n = s->cap = 0;
}

void kafka__fsession_reset(kafka__fsession_t *s, bool keep_id) {
    if (!keep_id)
        s->id = 0;
    s->epoch = 0;
    s->n = 0;
}

void kafka__fsession_check(kafka__fsession_t *s, int16_t version, const kafka__fspart_t *want, size_t n) {
    bool by_id = version >= 13;
    bool changed = s->epoch > 0 && s->by_id != by_id;
    for (size_t i = 0, j = 0; i < n && j < s->n && by_id && !changed;) {
        int r = strcmp(want[i].topic, s->parts[j].topic);
        if (r < 0)
            i++;
        else if (r > 0)
            j++;
        else
            changed = memcmp(want[i++].topic_id.b, s->parts[j].topic_id.b, sizeof(want[0].topic_id.b)) != 0;
    }
    if (changed)
        kafka__fsession_reset(s, true);
    s->by_id = by_id;
}

bool kafka__fsession_header(const kafka__fsession_t *s, int16_t version, int32_t *id, int32_t *epoch) {
    if (!s->enabled || version < 7) {
        *id = 0;
        *epoch = -1;
        return false;
    }
    *id = s->id;
    *epoch = s->epoch;
    return s->epoch > 0;
}

static int cmp(const kafka__fspart_t *a, const kafka__fspart_t *b) {
    int r = a->topic == b->topic ? 0 : strcmp(a->topic, b->topic);
    return r ? r : (a->partition > b->partition) - (a->partition < b->partition);
}

bool kafka__fsession_diff(const kafka__fsession_t *s, const kafka__fspart_t *want, size_t n, bool *send,
                          kafka__fspart_t **forget, size_t *nforget) {
    *forget = NULL;
    *nforget = 0;
    size_t i = 0, j = 0, cap = 0;
    while (i < n || j < s->n) {
        int r = i == n ? 1 : j == s->n ? -1 : cmp(&want[i], &s->parts[j]);
        if (r < 0) { /* added */
            send[i++] = true;
        } else if (r == 0) { /* kept: listed again only when its offset, leader epoch or last fetched epoch moved */
            send[i] = want[i].offset != s->parts[j].offset || want[i].leader_epoch != s->parts[j].leader_epoch ||
                      want[i].last_epoch != s->parts[j].last_epoch;
            i++, j++;
        } else { /* no longer fetched */
            if (*nforget == cap) {
                cap = cap ? cap * 2 : 16;
                kafka__fspart_t *grown = realloc(*forget, cap * sizeof(*grown));
                if (!grown) {
                    free(*forget);
                    *forget = NULL;
                    *nforget = 0;
                    return false;
                }
                *forget = grown;
            }
            (*forget)[(*nforget)++] = s->parts[j++];
        }
    }
    return true;
}

void kafka__fsession_answered(kafka__fsession_t *s, kafka_consumer_t *c, const kafka__fspart_t *want, size_t n,
                              int32_t epoch, int32_t session_id) {
    if (epoch == 0 && session_id == 0) { /* the broker keeps no session for us: full again */
        kafka__fsession_reset(s, false);
        return;
    }
    kafka__fspart_t *parts = malloc((n ? n : 1) * sizeof(*parts));
    if (!parts) {
        kafka__fsession_reset(s, true);
        return;
    }
    /* The topic names outlive the partitions (interned); the old session's are reused. */
    const char *last = NULL, *last_interned = NULL;
    for (size_t i = 0, j = 0; i < n; i++) {
        while (j < s->n && cmp(&s->parts[j], &want[i]) < 0)
            j++;
        const char *topic = NULL;
        if (j < s->n && strcmp(s->parts[j].topic, want[i].topic) == 0)
            topic = s->parts[j].topic;
        else if (last && strcmp(last, want[i].topic) == 0)
            topic = last_interned;
        else if (!(topic = kafka__consumer_intern(c, want[i].topic))) {
            free(parts);
            kafka__fsession_reset(s, true);
            return;
        }
        last = want[i].topic;
        last_interned = topic;
        parts[i] = (kafka__fspart_t){topic, want[i].partition, want[i].offset, want[i].leader_epoch, want[i].topic_id,
                                     want[i].last_epoch};
    }
    free(s->parts);
    s->parts = parts;
    s->n = s->cap = n;
    if (epoch == 0)
        s->id = session_id;
    s->epoch = epoch == INT32_MAX ? 1 : epoch + 1;
}
