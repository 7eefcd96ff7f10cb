/* Broker CPU per produced message: our kafka-mock against librdkafka's mock cluster, in
 * one run, with the same client (a librdkafka producer), the same data (100-byte values)
 * and the same settings. Each mock runs as its own process; its CPU time (all threads,
 * from /proc schedstat) is read before and after the producer's run.
 *
 *   mock_cpu KAFKA_MOCK RDKAFKA_MOCK_SERVER [MESSAGES] [-- KAFKA_MOCK_OPTION...]
 *
 * kafka-mock runs with its defaults unless options follow "--" (e.g. -- --retention N).
 * Prints one line per mock and a ratio line: "mock_cpu ratio ours/librdkafka=R"; exits 1
 * when ours spends more broker CPU per message. */
#include <librdkafka/rdkafka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct mock_proc_s {
    pid_t pid;
    FILE *in, *out;
    char bootstrap[512];
} mock_proc_t;

static int spawn(char *const argv[], mock_proc_t *mp) {
    int to[2], from[2];
    if (pipe(to) || pipe(from))
        return -1;
    mp->pid = fork();
    if (mp->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    mp->in = fdopen(to[1], "w");
    mp->out = fdopen(from[0], "r");
    char line[600];
    if (!fgets(line, sizeof(line), mp->out) || sscanf(line, "BOOTSTRAP %511s", mp->bootstrap) != 1)
        return -1;
    return 0;
}

/* CPU time of every thread of a process, in seconds, from /proc/PID/task/TID/schedstat
 * (nanoseconds; /proc/PID/stat's clock ticks are too coarse for these short runs). */
static double proc_cpu_s(pid_t pid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    double total = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p2[320];
        snprintf(p2, sizeof(p2), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
        FILE *f = fopen(p2, "r");
        unsigned long long ns = 0;
        if (f && fscanf(f, "%llu", &ns) == 1)
            total += (double)ns / 1e9;
        if (f)
            fclose(f);
    }
    closedir(d);
    return total;
}

/* Resident memory of a process in MiB (VmRSS), -1 if unknown. */
static double proc_rss_mb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double mb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            mb = atof(line + 6) / 1024.0;
    if (f)
        fclose(f);
    return mb;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    long *counts = opaque;
    counts[m->err ? 1 : 0]++;
}

/* Produces n 100-byte messages; returns the wall time, counts delivered/failed. */
static double produce(const char *bootstrap, const char *topic, long n, long *delivered, long *failed) {
    char err[256];
    long counts[2] = {0, 0};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    rd_kafka_conf_set(conf, "acks", "1", err, sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.idempotence", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, counts);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    char value[100];
    memset(value, 'x', sizeof(value));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(value, sizeof(value)),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rd_kafka_destroy(rk);
    *delivered = counts[0];
    *failed = counts[1];
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static int run(const char *name, char *const argv[], long n, double *us_per_msg) {
    mock_proc_t mp;
    if (spawn(argv, &mp) != 0) {
        fprintf(stderr, "mock_cpu: cannot start %s\n", argv[0]);
        return -1;
    }
    fprintf(mp.in, "topic bench 6 1\n");
    fflush(mp.in);
    char line[256];
    if (!fgets(line, sizeof(line), mp.out)) /* the mock's reply to the topic command */
        return -1;
    /* Warm-up: connections, metadata, and logs filled past their bound, so the measured
     * run is the steady state (memory recycled), not the first touch of fresh pages. */
    long warm_ok, warm_bad;
    produce(mp.bootstrap, "bench", n / 2 > 500000 ? n / 2 : 500000, &warm_ok, &warm_bad);
    double c0 = proc_cpu_s(mp.pid);
    long ok, bad;
    double wall = produce(mp.bootstrap, "bench", n, &ok, &bad);
    double c1 = proc_cpu_s(mp.pid);
    double rss = proc_rss_mb(mp.pid);
    fclose(mp.in);
    waitpid(mp.pid, NULL, 0);
    fclose(mp.out);
    *us_per_msg = (c1 - c0) * 1e6 / (double)n;
    printf("mock_cpu %-10s msgs=%ld delivered=%ld failed=%ld wall_s=%.2f broker_cpu_s=%.3f broker_us_per_msg=%.4f "
           "broker_rss_mb=%.0f\n",
           name, n, ok, bad, wall, c1 - c0, *us_per_msg, rss);
    return bad == 0 && ok == n ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: mock_cpu KAFKA_MOCK RDKAFKA_MOCK_SERVER [MESSAGES] [-- KAFKA_MOCK_OPTION...]\n");
        return 2;
    }
    int opt = 3;
    long n = 2000000;
    if (argc > opt && strcmp(argv[opt], "--") != 0)
        n = atol(argv[opt++]);
    signal(SIGPIPE, SIG_IGN);
    double ours, theirs;
    /* Our mock at its defaults, as people run it, unless told otherwise. */
    char *ours_argv[64] = {argv[1], "--brokers", "3"};
    int na = 3;
    if (argc > opt && strcmp(argv[opt], "--") == 0)
        for (int i = opt + 1; i < argc && na < 63; i++)
            ours_argv[na++] = argv[i];
    ours_argv[na] = NULL;
    char *theirs_argv[] = {argv[2], "3", NULL};
    int b = run("librdkafka", theirs_argv, n, &theirs);
    int a = run("kafka-mock", ours_argv, n, &ours);
    if (a || b)
        return 1;
    printf("mock_cpu ratio ours/librdkafka=%.2f (target <= 1.00)\n", ours / theirs);
    return ours <= theirs ? 0 : 1;
}
