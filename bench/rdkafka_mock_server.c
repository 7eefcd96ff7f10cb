/* librdkafka's mock cluster as a process, the reference for bench/mock_cpu and a broker
 * we did not write for producer_e2e / consumer_e2e: prints "BOOTSTRAP host:port,..." like
 * kafka-mock, answers "ok" to each stdin line ("topic NAME PARTITIONS [RF]" creates one)
 * and exits at the end of stdin. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int brokers = argc > 1 ? atoi(argv[1]) : 3;
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "rdkafka_mock_server: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "rdkafka_mock_server: cannot start the mock cluster\n");
        return 1;
    }
    printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof(line), stdin)) {
        int parts, rf = 1;
        char topic[128];
        if (sscanf(line, "topic %127s %d %d", topic, &parts, &rf) >= 2)
            rd_kafka_mock_topic_create(mc, topic, parts, rf);
        printf("ok\n");
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
