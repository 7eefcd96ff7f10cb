/* Asynchronous produce: queue COUNT messages to TOPIC, then flush, with one delivery
 * report per message.
 *
 *   producer BOOTSTRAP [TOPIC] [COUNT]
 *
 * Build against an installed libkafka:
 *   cc producer.c $(pkg-config --cflags --libs libkafka) -o producer */
#include <kafka/kafka.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    atomic_long delivered;
    atomic_long failed;
} stats_t;

/* Runs on a broker worker thread; every report arrives before flush returns. */
static void on_delivery(const kafka_delivery_t *d, void *opaque) {
    stats_t *st = opaque;
    if (d->err) {
        fprintf(stderr, "message %ld to %s/%" PRId32 " failed: %s\n", (long)(intptr_t)d->opaque, d->topic,
                d->partition, d->errstr);
        atomic_fetch_add(&st->failed, 1);
    } else {
        atomic_fetch_add(&st->delivered, 1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s BOOTSTRAP [TOPIC] [COUNT]   (libkafka %s)\n", argv[0], kafka_version());
        return argc < 2 ? 2 : 0;
    }
    const char *topic = argc > 2 ? argv[2] : "examples";
    long count = argc > 3 ? atol(argv[3]) : 10;
    char errstr[512];

    kafka_conf_t *conf = kafka_conf_new();
    if (kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
        kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr))) {
        fprintf(stderr, "%s\n", errstr);
        kafka_conf_destroy(conf);
        return 1;
    }
    kafka_producer_t *p = kafka_producer_new(conf, errstr, sizeof(errstr));
    kafka_conf_destroy(conf); /* the producer keeps its own copy */
    if (!p) {
        fprintf(stderr, "%s\n", errstr);
        return 1;
    }
    stats_t st;
    atomic_init(&st.delivered, 0);
    atomic_init(&st.failed, 0);
    kafka_producer_set_delivery_cb(p, on_delivery, &st);

    long queued = 0;
    for (long i = 0; i < count; i++) {
        char key[32], value[64];
        int klen = snprintf(key, sizeof(key), "key-%ld", i);
        int vlen = snprintf(value, sizeof(value), "message %ld from libkafka %s", i, kafka_version());
        kafka_produce_msg_t m = {key, klen, value, vlen, NULL, 0, 0};
        if (kafka_producer_produce(p, topic, KAFKA_PARTITION_ANY, &m, (void *)(intptr_t)i, errstr, sizeof(errstr)))
            fprintf(stderr, "message %ld not queued: %s\n", i, errstr); /* no report for it */
        else
            queued++;
    }
    kafka_err_t err = kafka_producer_flush(p, 30000, errstr, sizeof(errstr));
    if (err)
        fprintf(stderr, "flush: %s\n", errstr);
    kafka_producer_destroy(p);

    long delivered = atomic_load(&st.delivered), failed = atomic_load(&st.failed);
    printf("%ld queued, %ld delivered, %ld failed\n", queued, delivered, failed);
    return err || delivered != count ? 1 : 0;
}
