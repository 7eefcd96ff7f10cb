/* The synchronous calls of the Perl origin: send a few messages and wait for their
 * offset, ask for the partition's offsets, and fetch the messages back.
 *
 *   send_fetch BOOTSTRAP [TOPIC] [PARTITION]
 *
 * Build against an installed libkafka:
 *   cc send_fetch.c $(pkg-config --cflags --libs libkafka) -o send_fetch */
#include <kafka/kafka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s BOOTSTRAP [TOPIC] [PARTITION]   (libkafka %s)\n", argv[0], kafka_version());
        return argc < 2 ? 2 : 0;
    }
    const char *topic = argc > 2 ? argv[2] : "examples";
    int32_t partition = argc > 3 ? (int32_t)atoi(argv[3]) : 0;
    char errstr[512];
    int rc = 1;

    kafka_conf_t *conf = kafka_conf_new();
    if (kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr))) {
        fprintf(stderr, "%s\n", errstr);
        kafka_conf_destroy(conf);
        return 1;
    }
    kafka_producer_t *p = kafka_producer_new(conf, errstr, sizeof(errstr));
    kafka_consumer_t *c = p ? kafka_consumer_new(conf, errstr, sizeof(errstr)) : NULL;
    kafka_conf_destroy(conf);
    if (!c) {
        fprintf(stderr, "%s\n", errstr);
        goto out;
    }

    kafka_produce_msg_t msgs[3] = {
        {NULL, -1, "one", 3, NULL, 0, 0},
        {NULL, -1, "two", 3, NULL, 0, 0},
        {"k", 1, "three", 5, NULL, 0, 0},
    };
    int64_t base;
    if (kafka_producer_send(p, topic, partition, msgs, 3, NULL, &base, errstr, sizeof(errstr))) {
        fprintf(stderr, "send: %s\n", errstr);
        goto out;
    }
    printf("sent 3 messages to %s/%" PRId32 " at offset %" PRId64 "\n", topic, partition, base);

    int64_t *offsets;
    size_t noffsets;
    if (kafka_consumer_offsets(c, topic, partition, KAFKA_OFFSET_LATEST, 0, &offsets, &noffsets, errstr,
                               sizeof(errstr))) {
        fprintf(stderr, "offsets: %s\n", errstr);
        goto out;
    }
    if (noffsets > 0)
        printf("latest offset %" PRId64 "\n", offsets[0]);
    free(offsets);

    kafka_message_t **fetched;
    size_t n;
    if (kafka_consumer_fetch(c, topic, partition, base, 0, &fetched, &n, errstr, sizeof(errstr))) {
        fprintf(stderr, "fetch: %s\n", errstr);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t len;
        const void *v = kafka_message_payload(fetched[i], &len);
        if (!kafka_message_valid(fetched[i]))
            printf("offset %" PRId64 ": invalid: %s\n", kafka_message_offset(fetched[i]),
                   kafka_message_errstr(fetched[i]));
        else
            printf("offset %" PRId64 ": %.*s\n", kafka_message_offset(fetched[i]), v ? (int)len : 0,
                   v ? (const char *)v : "");
    }
    kafka_messages_destroy(fetched, n);
    printf("fetched %zu messages, next offset %" PRId64 "\n", n, kafka_consumer_next_offset(c, topic, partition));
    rc = n >= 3 ? 0 : 1;
out:
    if (c)
        kafka_consumer_destroy(c);
    if (p)
        kafka_producer_destroy(p);
    return rc;
}
