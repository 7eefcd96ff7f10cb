/* A consumer loop: assign TOPIC's partition PARTITION from the beginning and poll,
 * printing each message, until COUNT messages were read (0: until interrupted).
 *
 *   consumer BOOTSTRAP [TOPIC] [PARTITION] [COUNT]
 *
 * Build against an installed libkafka:
 *   cc consumer.c $(pkg-config --cflags --libs libkafka) -o consumer */
#include <kafka/kafka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s BOOTSTRAP [TOPIC] [PARTITION] [COUNT]   (libkafka %s)\n", argv[0],
                kafka_version());
        return argc < 2 ? 2 : 0;
    }
    const char *topic = argc > 2 ? argv[2] : "examples";
    int32_t partition = argc > 3 ? (int32_t)atoi(argv[3]) : 0;
    long count = argc > 4 ? atol(argv[4]) : 0;
    char errstr[512];

    kafka_conf_t *conf = kafka_conf_new();
    if (kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr))) {
        fprintf(stderr, "%s\n", errstr);
        kafka_conf_destroy(conf);
        return 1;
    }
    kafka_consumer_t *c = kafka_consumer_new(conf, errstr, sizeof(errstr));
    kafka_conf_destroy(conf);
    if (!c) {
        fprintf(stderr, "%s\n", errstr);
        return 1;
    }
    kafka_topic_partition_t tp = {topic, partition, KAFKA_OFFSET_BEGINNING};
    if (kafka_consumer_assign(c, &tp, 1, errstr, sizeof(errstr))) {
        fprintf(stderr, "assign: %s\n", errstr);
        kafka_consumer_destroy(c);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    long seen = 0;
    kafka_message_t *msgs[256];
    while (!stop && (count == 0 || seen < count)) {
        size_t n;
        if (kafka_consumer_poll(c, 1000, msgs, 256, &n, errstr, sizeof(errstr)))
            fprintf(stderr, "poll: %s\n", errstr); /* reported once; the partition goes on or stops */
        for (size_t i = 0; i < n; i++) {
            int32_t klen, vlen;
            const void *k = kafka_message_key(msgs[i], &klen);
            const void *v = kafka_message_payload(msgs[i], &vlen);
            printf("%s/%" PRId32 "@%" PRId64 " %.*s: %.*s\n", kafka_message_topic(msgs[i]),
                   kafka_message_partition(msgs[i]), kafka_message_offset(msgs[i]), k ? (int)klen : 0,
                   k ? (const char *)k : "", v ? (int)vlen : 0, v ? (const char *)v : "");
            kafka_message_destroy(msgs[i]);
            seen++;
        }
    }
    kafka_consumer_destroy(c);
    printf("%ld messages\n", seen);
    return 0;
}
