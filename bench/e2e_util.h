/* Helpers of the end-to-end benchmarks (producer_e2e, consumer_e2e): a kafka-mock child
 * process, the clocks, medians. Header-only: each benchmark is one C file. */
#ifndef KAFKA_BENCH_E2E_UTIL_H
#define KAFKA_BENCH_E2E_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static inline double e2e_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of this process, all threads. */
static inline double e2e_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Whether bin is librdkafka's mock cluster as a process (bench/rdkafka_mock_server)
 * rather than our kafka-mock: told apart by the program's name. */
static inline int e2e_is_rdkafka_mock(const char *bin) {
    const char *base = strrchr(bin, '/');
    return strstr(base ? base + 1 : bin, "rdkafka_mock") != NULL;
}

/* Starts a broker process of 3 brokers with pipes on its stdin (kept in *in: closing it
 * stops the broker) and stdout, reads its BOOTSTRAP line and creates topic `name` with
 * `partitions` partitions and replication factor rf. bin is our kafka-mock (`--brokers 3
 * --topic NAME:P:RF [extra1 extra2]`) or librdkafka's mock cluster (bench/
 * rdkafka_mock_server: `topic NAME P RF` on its stdin; extra1/2 do not apply to it).
 * With tls (kafka-mock only: `--tls`), bootstrap is its SSL listeners' list and ca (size
 * bytes too) the CA file to trust. */
static inline pid_t e2e_broker_start(const char *bin, const char *name, int partitions, int rf, const char *extra1,
                                     const char *extra2, int tls, char *bootstrap, char *ca, size_t size, FILE **in) {
    int to[2], from[2];
    if (pipe(to) || pipe(from))
        return -1;
    const int rdk = e2e_is_rdkafka_mock(bin);
    char spec[200];
    snprintf(spec, sizeof(spec), "%s:%d:%d", name, partitions, rf);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        if (rdk)
            execl(bin, bin, "3", (char *)NULL);
        else
            execl(bin, bin, "--brokers", "3", "--topic", spec, extra1, extra2, tls ? "--tls" : (char *)NULL,
                  (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    *in = fdopen(to[1], "w");
    FILE *out = fdopen(from[0], "r");
    char line[600], fmt[32];
    snprintf(fmt, sizeof(fmt), "BOOTSTRAP %%%zus", size - 1);
    if (!fgets(line, sizeof(line), out) || sscanf(line, fmt, bootstrap) != 1) {
        fprintf(stderr, "%s did not start\n", bin);
        return -1;
    }
    if (tls && !rdk) {
        char cafmt[32];
        snprintf(fmt, sizeof(fmt), "BOOTSTRAP_SSL %%%zus", size - 1);
        snprintf(cafmt, sizeof(cafmt), "CA %%%zus", size - 1);
        if (!fgets(line, sizeof(line), out) || sscanf(line, fmt, bootstrap) != 1 || !fgets(line, sizeof(line), out) ||
            sscanf(line, cafmt, ca) != 1) {
            fprintf(stderr, "%s --tls: no BOOTSTRAP_SSL and CA lines\n", bin);
            return -1;
        }
    }
    if (rdk) {
        fprintf(*in, "topic %s %d %d\n", name, partitions, rf);
        fflush(*in);
        if (!fgets(line, sizeof(line), out)) { /* its "ok" once the topic exists */
            fprintf(stderr, "%s: no answer to the topic command\n", bin);
            return -1;
        }
    }
    return pid;
}

static inline int e2e_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double e2e_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), e2e_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
