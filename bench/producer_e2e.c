/* End-to-end producer benchmark: our producer and librdkafka's in one run, against the
 * same broker (3 brokers, topic e2e with 8 partitions), with the same settings: by
 * default 100-byte values, null keys, acks=1, linger.ms=5, batch.size 131072, no
 * compression, no idempotence, queues large enough not to throttle either. Rounds alternate (ours, librdkafka, ours, ...). For each run: wall
 * time from the first produce until every delivery report is in (flush), msgs/s, and
 * the CPU seconds of this process (user + sys of all its threads, getrusage) over the
 * same span: the client's CPU, since the broker is another process.
 *
 *   producer_e2e BROKER [MESSAGES (2000000)] [ROUNDS (3)] [ours] [acks=1|all]
 *                [compression=none|gzip|snappy|lz4|zstd] [size=BYTES] [partitions=N] [idempotence=true]
 *                [tls=true]
 *
 * "ours" runs only ours (for profiling); the key=value words change the shape for both
 * clients alike (idempotence needs acks=all); tls=true has both connect to kafka-mock's
 * SSL listeners (`--tls`, its generated CA trusted, host names checked).
 * BROKER is our kafka-mock or, for a broker we did not write, librdkafka's mock cluster
 * (build/release/bench/rdkafka_mock_server; the topic gets replication factor 3 there,
 * as a real cluster would, while kafka-mock keeps one copy of each partition).
 * Prints one line per run, then medians and the ratios
 *   "producer_e2e ours/librdkafka msgs_per_s=X cpu_per_msg=Y"
 * (DESIGN.md's targets: X >= 2, Y <= 0.33). Exits 1 when a run loses a message. */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_util.h"
#include "kafka/producer.h"

/* The shape of a run, the same for both clients. */
static struct {
    const char *acks, *compression, *idempotence;
    int size, partitions;
    int tls;
    char ca[512]; /* with tls: the CA file kafka-mock wrote */
} shape = {"1", "none", "false", 100, 8, 0, ""};

typedef struct run_s {
    double wall_s, cpu_s;
    long long delivered, failed;
} run_t;

static char *value;

/* ---- ours ---- */

static atomic_llong ours_ok, ours_failed;

static void ours_dr(const kafka_delivery_t *d, void *arg) {
    (void)arg;
    atomic_fetch_add_explicit(d->err ? &ours_failed : &ours_ok, 1, memory_order_relaxed);
}

static int run_ours(const char *bootstrap, long long n, run_t *r) {
    const char *kv[][2] = {{"acks", shape.acks},
                           {"linger.ms", "5"},
                           {"batch.size", "131072"},
                           {"compression.type", shape.compression},
                           {"enable.idempotence", shape.idempotence},
                           {"queue.buffering.max.messages", "10000000"},
                           {"queue.buffering.max.kbytes", "2097151"}};
    char err[512];
    kafka_conf_t *conf = kafka_conf_new();
    kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    if (shape.tls && (kafka_conf_set(conf, "security.protocol", "SSL", err, sizeof(err)) ||
                      kafka_conf_set(conf, "ssl.ca.location", shape.ca, err, sizeof(err)))) {
        fprintf(stderr, "ours: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err))) {
            fprintf(stderr, "ours: %s\n", err);
            return -1;
        }
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    if (!p) {
        fprintf(stderr, "ours: %s\n", err);
        return -1;
    }
    kafka_producer_set_delivery_cb(p, ours_dr, NULL);
    /* Metadata for the topic before the clock starts, as librdkafka's run below. */
    kafka_produce_msg_t m = {NULL, -1, value, shape.size, NULL, 0, 0};
    if (kafka_producer_produce(p, "e2e", KAFKA_PARTITION_ANY, &m, NULL, err, sizeof(err)) ||
        kafka_producer_flush(p, 30000, err, sizeof(err))) {
        fprintf(stderr, "ours: warm-up: %s\n", err);
        kafka_producer_destroy(p);
        return -1;
    }
    atomic_store(&ours_ok, 0);
    atomic_store(&ours_failed, 0);
    double c0 = e2e_cpu_s(), t0 = e2e_now_s();
    for (long long i = 0; i < n; i++)
        if (kafka_producer_produce(p, "e2e", KAFKA_PARTITION_ANY, &m, NULL, err, sizeof(err))) {
            fprintf(stderr, "ours: produce: %s\n", err);
            break;
        }
    kafka_producer_flush(p, -1, NULL, 0);
    r->wall_s = e2e_now_s() - t0;
    r->cpu_s = e2e_cpu_s() - c0;
    r->delivered = atomic_load(&ours_ok);
    r->failed = atomic_load(&ours_failed);
    kafka_producer_destroy(p);
    return 0;
}

/* ---- librdkafka ---- */

static long long rdk_ok, rdk_failed; /* dr_msg_cb runs in rd_kafka_poll/flush, on this thread */

static void rdk_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    if (m->err)
        rdk_failed++;
    else
        rdk_ok++;
}

static int run_rdkafka(const char *bootstrap, long long n, run_t *r) {
    const char *kv[][2] = {{"acks", shape.acks},
                           {"linger.ms", "5"},
                           {"batch.size", "131072"},
                           {"batch.num.messages", "1000000"},
                           {"compression.codec", shape.compression},
                           {"enable.idempotence", shape.idempotence},
                           {"queue.buffering.max.messages", "10000000"},
                           {"queue.buffering.max.kbytes", "2097151"},
                           {"log_level", "3"}};
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    if (shape.tls && (rd_kafka_conf_set(conf, "security.protocol", "ssl", err, sizeof(err)) ||
                      rd_kafka_conf_set(conf, "ssl.ca.location", shape.ca, err, sizeof(err)))) {
        fprintf(stderr, "librdkafka: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "librdkafka: %s\n", err);
            return -1;
        }
    rd_kafka_conf_set_dr_msg_cb(conf, rdk_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "librdkafka: %s\n", err);
        return -1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "e2e", NULL);
    rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, (size_t)shape.size, NULL, 0, NULL);
    rd_kafka_flush(rk, 30000);
    rdk_ok = rdk_failed = 0;
    double c0 = e2e_cpu_s(), t0 = e2e_now_s();
    for (long long i = 0; i < n; i++) {
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, (size_t)shape.size, NULL, 0, NULL)) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "librdkafka: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
                i = n;
                break;
            }
            rd_kafka_poll(rk, 1);
        }
        if ((i & 0xffff) == 0)
            rd_kafka_poll(rk, 0); /* serve delivery reports as a real application does */
    }
    rd_kafka_flush(rk, 600000);
    r->wall_s = e2e_now_s() - t0;
    r->cpu_s = e2e_cpu_s() - c0;
    r->delivered = rdk_ok;
    r->failed = rdk_failed;
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: producer_e2e KAFKA_MOCK|RDKAFKA_MOCK_SERVER [MESSAGES] [ROUNDS] [ours] [key=value...]\n");
        return 2;
    }
    long long n = argc > 2 ? atoll(argv[2]) : 2000000;
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    int only_ours = 0;
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        if (strcmp(a, "ours") == 0)
            only_ours = 1;
        else if (eq && strncmp(a, "acks=", 5) == 0)
            shape.acks = eq + 1;
        else if (eq && strncmp(a, "compression=", 12) == 0)
            shape.compression = eq + 1;
        else if (eq && strncmp(a, "idempotence=", 12) == 0)
            shape.idempotence = eq + 1;
        else if (eq && strncmp(a, "size=", 5) == 0)
            shape.size = atoi(eq + 1);
        else if (eq && strncmp(a, "partitions=", 11) == 0)
            shape.partitions = atoi(eq + 1);
        else if (eq && strncmp(a, "tls=", 4) == 0)
            shape.tls = strcmp(eq + 1, "true") == 0;
        else {
            fprintf(stderr, "producer_e2e: unknown argument %s\n", a);
            return 2;
        }
    }
    if (n <= 0 || rounds <= 0 || rounds > 20 || shape.size <= 0 || shape.partitions <= 0) {
        fprintf(stderr, "producer_e2e: MESSAGES > 0, ROUNDS 1..20, size > 0, partitions > 0\n");
        return 2;
    }
    value = malloc((size_t)shape.size);
    memset(value, 'v', (size_t)shape.size);
    char bootstrap[512];
    FILE *broker_in;
    const int rdk = e2e_is_rdkafka_mock(argv[1]);
    /* A bounded log per partition on kafka-mock: the runs write ~1.5 GB in all. */
    if (shape.tls && rdk) {
        fprintf(stderr, "producer_e2e: tls=true needs kafka-mock (librdkafka's mock has no TLS listener)\n");
        return 2;
    }
    pid_t broker = e2e_broker_start(argv[1], "e2e", shape.partitions, rdk ? 3 : 1, "--retention", "33554432", shape.tls,
                                    bootstrap, shape.ca, sizeof(bootstrap), &broker_in);
    if (broker < 0)
        return 1;
    printf("producer_e2e: %lld messages of %d bytes, acks=%s, linger.ms=5, compression %s, idempotence %s, %d "
           "partitions, %sbroker %s (%s)\n",
           n, shape.size, shape.acks, shape.compression, shape.idempotence, shape.partitions, shape.tls ? "TLS, " : "",
           bootstrap,
           rdk ? "librdkafka's mock cluster, replication factor 3" : "kafka-mock");
    double ours_rate[20], rdk_rate[20], ours_cpu[20], rdk_cpu[20];
    int bad = 0;
    for (int r = 0; r < rounds; r++) {
        for (int who = 0; who < (only_ours ? 1 : 2); who++) {
            run_t run;
            memset(&run, 0, sizeof(run));
            int e = who == 0 ? run_ours(bootstrap, n, &run) : run_rdkafka(bootstrap, n, &run);
            if (e || run.delivered != n || run.failed) {
                fprintf(stderr, "%s: %lld delivered, %lld failed of %lld\n", who ? "librdkafka" : "ours", run.delivered,
                        run.failed, n);
                bad = 1;
            }
            double rate = (double)n / run.wall_s, cpu_us = run.cpu_s * 1e6 / (double)n;
            printf("round %d %-10s %9.0f msgs/s  wall %.3f s  cpu %.3f s  %.3f us cpu/msg  delivered %lld\n", r + 1,
                   who ? "librdkafka" : "ours", rate, run.wall_s, run.cpu_s, cpu_us, run.delivered);
            fflush(stdout);
            (who ? rdk_rate : ours_rate)[r] = rate;
            (who ? rdk_cpu : ours_cpu)[r] = cpu_us;
        }
    }
    if (only_ours)
        return bad;
    double orate = e2e_median(ours_rate, rounds), rrate = e2e_median(rdk_rate, rounds), ocpu = e2e_median(ours_cpu, rounds),
           rcpu = e2e_median(rdk_cpu, rounds);
    printf("median ours %.0f msgs/s %.3f us cpu/msg; librdkafka %.0f msgs/s %.3f us cpu/msg\n", orate, ocpu, rrate,
           rcpu);
    printf("producer_e2e ours/librdkafka msgs_per_s=%.2f cpu_per_msg=%.2f\n", orate / rrate, ocpu / rcpu);
    fclose(broker_in); /* both brokers exit at the end of their input */
    int st;
    waitpid(broker, &st, 0);
    return bad;
}
