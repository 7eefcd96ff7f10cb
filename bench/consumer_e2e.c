/* End-to-end consume benchmark: the same data in the same broker (one broker process,
 * 3 brokers, topic e2e with 8 partitions (partitions=N), MESSAGES x 100-byte values
 * produced once by our producer), read in full from the beginning by our consumer and by
 * librdkafka's, in one run, alternating rounds; with sessions=both (kafka-mock only) our
 * consumer reads a second time per round with enable.fetch.sessions=false (fetch sessions,
 * KIP-227: librdkafka 2.0.2 has none). Every client assigns all partitions from the beginning and poll
 * batches of up to 10,000 messages (ours: kafka_consumer_assign + kafka_consumer_poll,
 * librdkafka: rd_kafka_assign + rd_kafka_consume_batch_queue), max.partition.fetch.bytes
 * 4 MiB for both, other settings default; each message's length is checked. Per run:
 * wall from client creation to the last message (and the rate from the first message
 * on, which leaves out start-up; ours: how long kafka_consumer_assign took), msgs/s, the
 * process's CPU (getrusage; the broker is another process). Round r starts with client
 * r mod 2 (3 with sessions=both): the first run of all pays for the fresh memory of this
 * process and of the broker, a different client's each round.
 *
 *   consumer_e2e BROKER [MESSAGES (2000000)] [ROUNDS (3)] [tls=true] [partitions=N (8)] [sessions=both]
 *
 * Request bytes: ours from its request statistics (kafka/reqstats.h: every request, and
 * Fetch alone), librdkafka's from its statistics (tx_bytes, every request), per second of
 * the run's wall time.
 *
 * tls=true has every client (the preloading producer too) connect to kafka-mock's SSL
 * listeners (`--tls`, its generated CA trusted, host names checked).
 * BROKER is our kafka-mock or, for a broker we did not write, librdkafka's mock cluster
 * (build/release/bench/rdkafka_mock_server). That one keeps at most 5 MiB a partition
 * (librdkafka 2.0.2), so MESSAGES is capped there at what 8 partitions hold: 300,000.
 * Prints one line per run, medians, and "consumer_e2e ours/librdkafka msgs_per_s=X
 * cpu_per_msg=Y" (DESIGN's target: X >= 2). Exits 1 when a run reads a wrong count. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kafka/consumer.h"
#include "kafka/message.h"
#include "e2e_util.h"
#include "kafka/producer.h"

#define VALUE_SIZE 100

static int partitions = 8;
static int no_sessions; /* our consumer's run: enable.fetch.sessions=false */
static double req_bytes, fetch_bytes; /* the last run's request bytes (all; Fetch, ours only) */

static char tls_ca[512]; /* with tls=true: the CA file kafka-mock wrote; "" plaintext */

static void ours_tls(kafka_conf_t *conf) {
    char err[512];
    if (tls_ca[0]) {
        kafka_conf_set(conf, "security.protocol", "SSL", err, sizeof(err));
        kafka_conf_set(conf, "ssl.ca.location", tls_ca, err, sizeof(err));
    }
}

static int preload(const char *bs, long long n) {
    char err[512];
    kafka_conf_t *conf = kafka_conf_new();
    kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    ours_tls(conf);
    kafka_conf_set(conf, "acks", "1", err, sizeof(err));
    /* A first Produce to thousands of partitions makes kafka-mock map a segment for each. */
    kafka_conf_set(conf, "request.timeout.ms", "300000", err, sizeof(err));
    kafka_conf_set(conf, "queue.buffering.max.messages", "10000000", err, sizeof(err));
    kafka_producer_t *p = kafka_producer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    if (!p)
        return -1;
    char v[VALUE_SIZE];
    memset(v, 'v', sizeof(v));
    for (long long i = 0; i < n; i++) {
        kafka_produce_msg_t m = {NULL, -1, v, VALUE_SIZE, NULL, 0, 0};
        kafka_producer_produce(p, "e2e", (int32_t)(i % partitions), &m, NULL, err, sizeof(err));
    }
    kafka_producer_flush(p, -1, NULL, 0);
    kafka_producer_stats_t st;
    kafka_producer_stats(p, &st);
    kafka_producer_destroy(p);
    return st.delivered == n ? 0 : -1;
}

/* When the first message came (for the rate after start-up); how long our
 * kafka_consumer_assign took (metadata and the ListOffsets of BEGINNING, one per leader). */
static double first_at, assign_s;

static long long run_ours(const char *bs, long long n) {
    char err[512];
    kafka_conf_t *conf = kafka_conf_new();
    kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    ours_tls(conf);
    kafka_conf_set(conf, "max.partition.fetch.bytes", "4194304", err, sizeof(err));
    kafka_conf_set(conf, "enable.fetch.sessions", no_sessions ? "false" : "true", err, sizeof(err));
    kafka_consumer_t *c = kafka_consumer_new(conf, err, sizeof(err));
    kafka_conf_destroy(conf);
    if (!c)
        return -1;
    kafka_topic_partition_t *tps = calloc((size_t)partitions, sizeof(*tps));
    for (int p = 0; p < partitions; p++)
        tps[p] = (kafka_topic_partition_t){"e2e", p, KAFKA_OFFSET_BEGINNING};
    double a0 = e2e_now_s();
    kafka_err_t aerr = kafka_consumer_assign(c, tps, (size_t)partitions, err, sizeof(err));
    assign_s = e2e_now_s() - a0;
    free(tps);
    if (aerr) {
        fprintf(stderr, "ours: %s\n", err);
        kafka_consumer_destroy(c);
        return -1;
    }
    static kafka_message_t *batch[10000];
    long long got = 0;
    double deadline = e2e_now_s() + 120;
    while (got < n && e2e_now_s() < deadline) {
        size_t k;
        if (kafka_consumer_poll(c, 100, batch, 10000, &k, err, sizeof(err))) {
            fprintf(stderr, "ours: %s\n", err);
            break;
        }
        if (k && !got)
            first_at = e2e_now_s();
        for (size_t j = 0; j < k; j++) {
            int32_t len;
            if (kafka_message_valid(batch[j]) && kafka_message_payload(batch[j], &len) && len == VALUE_SIZE)
                got++;
            kafka_message_destroy(batch[j]);
        }
    }
    static kafka_request_stats_t rows[1024];
    size_t nrows = kafka_consumer_request_stats(c, rows, 1024);
    req_bytes = fetch_bytes = 0;
    for (size_t i = 0; i < nrows && i < 1024; i++) {
        req_bytes += (double)rows[i].request_bytes;
        if (rows[i].api_key == KAFKA_API_FETCH)
            fetch_bytes += (double)rows[i].request_bytes;
    }
    kafka_consumer_destroy(c);
    return got;
}

/* librdkafka's statistics: tx_bytes, the bytes of every request sent so far. */
static double rdk_tx_bytes;
static int rdk_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk, (void)len, (void)opaque;
    const char *t = strstr(json, "\"tx_bytes\":");
    if (t)
        rdk_tx_bytes = atof(t + 11);
    return 0;
}

static long long run_rdkafka(const char *bs, long long n) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", "consumer-e2e", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "max.partition.fetch.bytes", "4194304", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_conf_set(conf, "statistics.interval.ms", "100", err, sizeof(err));
    rd_kafka_conf_set_stats_cb(conf, rdk_stats);
    rdk_tx_bytes = 0;
    if (tls_ca[0]) {
        rd_kafka_conf_set(conf, "security.protocol", "ssl", err, sizeof(err));
        rd_kafka_conf_set(conf, "ssl.ca.location", tls_ca, err, sizeof(err));
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, "e2e", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[10000];
    long long got = 0;
    double deadline = e2e_now_s() + 120;
    while (got < n && e2e_now_s() < deadline) {
        ssize_t k = rd_kafka_consume_batch_queue(q, 100, batch, 10000);
        if (k > 0 && !got)
            first_at = e2e_now_s();
        for (ssize_t j = 0; j < k; j++) {
            if (!batch[j]->err && batch[j]->len == VALUE_SIZE)
                got++;
            rd_kafka_message_destroy(batch[j]);
        }
    }
    /* One more statistics interval for the totals at the end (the stats_cb runs in poll). */
    double until = e2e_now_s() + 0.15;
    while (e2e_now_s() < until)
        rd_kafka_poll(rk, 20);
    req_bytes = rdk_tx_bytes;
    fetch_bytes = 0;
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: consumer_e2e KAFKA_MOCK|RDKAFKA_MOCK_SERVER [MESSAGES] [ROUNDS] [tls=true] "
                        "[partitions=N] [sessions=both]\n");
        return 2;
    }
    long long n = argc > 2 ? atoll(argv[2]) : 2000000;
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    int tls = 0, both = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "tls=true") == 0)
            tls = 1;
        else if (strcmp(argv[i], "sessions=both") == 0)
            both = 1;
        else if (strncmp(argv[i], "partitions=", 11) == 0 && atoi(argv[i] + 11) > 0)
            partitions = atoi(argv[i] + 11);
        else
            return 2;
    }
    if (n <= 0 || rounds <= 0 || rounds > 20)
        return 2;
    const int rdk = e2e_is_rdkafka_mock(argv[1]);
    if (tls && rdk) {
        fprintf(stderr, "consumer_e2e: tls=true needs kafka-mock (librdkafka's mock has no TLS listener)\n");
        return 2;
    }
    if (rdk && both) {
        fprintf(stderr, "consumer_e2e: sessions=both needs kafka-mock (librdkafka's mock keeps no fetch sessions)\n");
        return 2;
    }
    if (rdk && n > 300000) {
        printf("consumer_e2e: librdkafka's mock keeps 5 MiB a partition: %lld messages capped at 300000\n", n);
        n = 300000;
    }
    char bs[512];
    FILE *bin;
    pid_t broker =
        e2e_broker_start(argv[1], "e2e", partitions, 1, "--retention", "0", tls, bs, tls_ca, sizeof(bs), &bin);
    if (broker < 0 || preload(bs, n)) {
        fprintf(stderr, "consumer_e2e: cannot start or fill the broker\n");
        return 1;
    }
    printf("consumer_e2e: %lld messages of %d bytes in %d partitions, %sbroker %s (%s)\n", n, VALUE_SIZE, partitions,
           tls ? "TLS, " : "", bs, rdk ? "librdkafka's mock cluster" : "kafka-mock");
    /* who: 0 ours, 1 librdkafka, 2 ours without fetch sessions (sessions=both). */
    static const char *const names[3] = {"ours", "librdkafka", "ours-nosess"};
    double rate[3][20], cpu[3][20], steady[3][20], rbps[3][20], fbps[3][20];
    int bad = 0, nwho = both ? 3 : 2;
    /* The first run of the process and of the broker pays for their fresh memory (page
     * faults of the heap both grow to hold tens of MB of responses): each round starts
     * with another client, so that run is a different client's each round. */
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < nwho; k++) {
            int who = (r + k) % nwho;
            double c0 = e2e_cpu_s(), t0 = e2e_now_s();
            first_at = 0;
            assign_s = 0;
            no_sessions = who == 2;
            long long got = who == 1 ? run_rdkafka(bs, n) : run_ours(bs, n);
            double wall = e2e_now_s() - t0, c = e2e_cpu_s() - c0;
            if (got != n)
                bad = 1;
            rate[who][r] = (double)got / wall;
            cpu[who][r] = c * 1e6 / (double)(got > 0 ? got : 1);
            double after = first_at > 0 ? t0 + wall - first_at : wall; /* from the first message on */
            steady[who][r] = (double)got / (after > 1e-6 ? after : 1e-6);
            rbps[who][r] = req_bytes / wall;
            fbps[who][r] = fetch_bytes / wall;
            printf("round %d %-11s %10.0f msgs/s  wall %.3f s (first message after %.3f s; %.0f msgs/s from it)  cpu "
                   "%.3f s  %.3f us cpu/msg  read %lld  request bytes/s %.0f",
                   r + 1, names[who], rate[who][r], wall, first_at > 0 ? first_at - t0 : wall, steady[who][r], c,
                   cpu[who][r], got, rbps[who][r]);
            if (who != 1)
                printf(" (Fetch %.0f)  assign %.3f s", fbps[who][r], assign_s);
            printf("\n");
            fflush(stdout);
        }
    double ro = e2e_median(rate[0], rounds), rr = e2e_median(rate[1], rounds), co = e2e_median(cpu[0], rounds),
           cr = e2e_median(cpu[1], rounds);
    double so = e2e_median(steady[0], rounds), sr = e2e_median(steady[1], rounds);
    printf("median ours %.0f msgs/s %.3f us cpu/msg; librdkafka %.0f msgs/s %.3f us cpu/msg\n", ro, co, rr, cr);
    printf("median from the first message on: ours %.0f msgs/s, librdkafka %.0f msgs/s (ratio %.2f)\n", so, sr,
           so / sr);
    printf("median request bytes/s: ours %.0f (Fetch %.0f), librdkafka %.0f\n", e2e_median(rbps[0], rounds),
           e2e_median(fbps[0], rounds), e2e_median(rbps[1], rounds));
    if (both)
        printf("median without fetch sessions: ours %.0f msgs/s, %.0f request bytes/s (Fetch %.0f); sessions cut "
               "Fetch request bytes/s %.1fx\n",
               e2e_median(rate[2], rounds), e2e_median(rbps[2], rounds), e2e_median(fbps[2], rounds),
               e2e_median(fbps[2], rounds) / e2e_median(fbps[0], rounds));
    printf("consumer_e2e ours/librdkafka msgs_per_s=%.2f cpu_per_msg=%.2f\n", ro / rr, co / cr);
    fclose(bin);
    int st;
    waitpid(broker, &st, 0);
    return bad;
}
