/* Topic configs (what CreateTopics accepts and DescribeConfigs shows) and the handful of
 * broker configs DescribeConfigs shows. Kafka's names and defaults; the mock stores a
 * topic's configs and reports them, it does not act on them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_int.h"

typedef enum { CT_LONG, CT_INT, CT_DOUBLE, CT_BOOL, CT_ENUM, CT_LIST } ctype_t;

static const struct {
    const char *name, *dflt;
    ctype_t type;
    long long min;
    const char *choices; /* CT_ENUM, CT_LIST: '|'-separated */
} topic_configs[] = {
    {"cleanup.policy", "delete", CT_LIST, 0, "delete|compact"},
    {"compression.type", "producer", CT_ENUM, 0, "uncompressed|zstd|lz4|snappy|gzip|producer"},
    {"delete.retention.ms", "86400000", CT_LONG, 0, NULL},
    {"file.delete.delay.ms", "60000", CT_LONG, 0, NULL},
    {"flush.messages", "9223372036854775807", CT_LONG, 1, NULL},
    {"flush.ms", "9223372036854775807", CT_LONG, 0, NULL},
    {"index.interval.bytes", "4096", CT_INT, 0, NULL},
    {"max.compaction.lag.ms", "9223372036854775807", CT_LONG, 1, NULL},
    {"max.message.bytes", "1048588", CT_INT, 0, NULL},
    {"message.timestamp.type", "CreateTime", CT_ENUM, 0, "CreateTime|LogAppendTime"},
    {"min.cleanable.dirty.ratio", "0.5", CT_DOUBLE, 0, NULL},
    {"min.compaction.lag.ms", "0", CT_LONG, 0, NULL},
    {"min.insync.replicas", "1", CT_INT, 1, NULL},
    {"retention.bytes", "-1", CT_LONG, -1, NULL},
    {"retention.ms", "604800000", CT_LONG, -1, NULL},
    {"segment.bytes", "1073741824", CT_INT, 14, NULL},
    {"segment.ms", "604800000", CT_LONG, 1, NULL},
    {"unclean.leader.election.enable", "false", CT_BOOL, 0, NULL},
};
#define NTOPIC_CONFIGS ((int)(sizeof(topic_configs) / sizeof(topic_configs[0])))

static int find_config(kafka_str_t name) {
    for (int i = 0; i < NTOPIC_CONFIGS; i++)
        if (name.len >= 0 && strlen(topic_configs[i].name) == (size_t)name.len &&
            memcmp(topic_configs[i].name, name.str, (size_t)name.len) == 0)
            return i;
    return -1;
}

/* Whether word (len bytes) is one of the '|'-separated choices. */
static bool is_choice(const char *choices, const char *word, size_t len) {
    for (const char *c = choices; *c;) {
        size_t n = strcspn(c, "|");
        if (n == len && memcmp(c, word, len) == 0)
            return true;
        c += n + (c[n] == '|');
    }
    return false;
}

static bool value_ok(int i, const char *v) {
    char *end;
    errno = 0;
    switch (topic_configs[i].type) {
    case CT_LONG:
    case CT_INT: {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno || x < topic_configs[i].min)
            return false;
        return topic_configs[i].type == CT_LONG || x <= 2147483647LL;
    }
    case CT_DOUBLE: {
        double d = strtod(v, &end);
        return *v && !*end && d >= 0 && d <= 1;
    }
    case CT_BOOL:
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
    case CT_ENUM:
        return is_choice(topic_configs[i].choices, v, strlen(v));
    case CT_LIST:
        for (const char *w = v;;) {
            size_t n = strcspn(w, ",");
            while (n && *w == ' ')
                w++, n--;
            if (!is_choice(topic_configs[i].choices, w, n))
                return false;
            if (!w[n])
                return true;
            w += n + 1;
        }
    }
    return false;
}

int16_t kmock__config_check(kafka_str_t name, kafka_str_t value, char *why, size_t why_size) {
    int i = find_config(name);
    if (i < 0) {
        snprintf(why, why_size, "Unknown topic config name: %.*s", name.len > 0 ? (int)name.len : 0,
                 name.str ? name.str : "");
        return KAFKA_ERR_INVALID_CONFIG;
    }
    char v[256];
    if (value.len < 0 || value.len >= (int32_t)sizeof(v)) {
        snprintf(why, why_size, "Null or too long value for configuration %s", topic_configs[i].name);
        return KAFKA_ERR_INVALID_CONFIG;
    }
    memcpy(v, value.str, (size_t)value.len);
    v[value.len] = 0;
    if (!value_ok(i, v)) {
        snprintf(why, why_size, "Invalid value %s for configuration %s", v, topic_configs[i].name);
        return KAFKA_ERR_INVALID_CONFIG;
    }
    return 0;
}

bool kmock__config_set(kmock_topic_t *t, kafka_str_t name, kafka_str_t value) {
    kmock_tconfig_t *c = NULL;
    for (kmock_tconfig_t *k = t->configs; k; k = k->next)
        if (strlen(k->name) == (size_t)name.len && memcmp(k->name, name.str, (size_t)name.len) == 0)
            c = k;
    char *v = strndup(value.str ? value.str : "", value.len > 0 ? (size_t)value.len : 0);
    if (!v)
        return false;
    if (c) {
        free(c->value);
        c->value = v;
        return true;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !(c->name = strndup(name.str, (size_t)name.len))) {
        free(c);
        free(v);
        return false;
    }
    c->value = v;
    c->next = t->configs;
    t->configs = c;
    return true;
}

int kmock__topic_configs(const kmock_topic_t *t, kmock_config_desc_t *out, int max) {
    int n = 0;
    for (int i = 0; i < NTOPIC_CONFIGS && n < max; i++) {
        kmock_config_desc_t *d = &out[n++];
        d->name = topic_configs[i].name;
        d->value = topic_configs[i].dflt;
        d->source = 5; /* DEFAULT_CONFIG */
        d->read_only = d->sensitive = false;
        for (kmock_tconfig_t *c = t->configs; c; c = c->next) {
            if (strcmp(c->name, d->name) == 0) {
                d->value = c->value;
                d->source = 1; /* DYNAMIC_TOPIC_CONFIG */
            }
        }
    }
    return n;
}

/* Formats into buf at *off and moves *off past it; "" when buf is full. */
static const char *fmt(char *buf, size_t size, size_t *off, const char *f, long long v) {
    if (*off >= size)
        return "";
    char *at = buf + *off;
    int w = snprintf(at, size - *off, f, v);
    if (w < 0 || (size_t)w >= size - *off) {
        *at = 0;
        *off = size;
        return "";
    }
    *off += (size_t)w + 1;
    return at;
}

int kmock__broker_configs(kafka_mock_t *m, const kmock_broker_t *b, kmock_config_desc_t *out, int max, char *buf,
                          size_t buf_size) {
    size_t off = 0;
    int n = 0;
    const kafka_mock_conf_t *c = &m->conf;
#define ADD(nm, val, src, ro, sens)                                                                                \
    do {                                                                                                           \
        if (n < max)                                                                                               \
            out[n++] = (kmock_config_desc_t){(nm), (val), (src), (ro), (sens)};                                    \
    } while (0)
    ADD("broker.id", fmt(buf, buf_size, &off, "%lld", b->id), 4, true, false);
    ADD("listeners", fmt(buf, buf_size, &off, "PLAINTEXT://127.0.0.1:%lld", b->listeners[0].port), 4, true, false);
    ADD("message.max.bytes",
        c->message_max_bytes ? fmt(buf, buf_size, &off, "%lld", (long long)c->message_max_bytes) : "1048588",
        c->message_max_bytes ? 4 : 5, false, false);
    ADD("auto.create.topics.enable", c->auto_create ? "true" : "false", c->auto_create ? 5 : 4, true, false);
    ADD("num.partitions", fmt(buf, buf_size, &off, "%lld", c->default_partitions), c->default_partitions == 1 ? 5 : 4,
        true, false);
    ADD("default.replication.factor", fmt(buf, buf_size, &off, "%lld", m->nbrokers < 3 ? m->nbrokers : 3), 4, true,
        false);
    ADD("log.retention.bytes",
        c->retention_bytes ? fmt(buf, buf_size, &off, "%lld", (long long)c->retention_bytes) : "-1",
        c->retention_bytes ? 4 : 5, false, false);
    ADD("delete.topic.enable", "true", 5, true, false);
    ADD("ssl.keystore.password", NULL, 5, false, true);
#undef ADD
    return n;
}
