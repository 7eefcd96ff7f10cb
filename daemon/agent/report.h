/* kafka-agent bench's reports: what a run measured (settings, throughput each second,
 * the latency percentile curve, a rate sweep), written as
 *   - JSON (--json: the keys bench always wrote, then settings, series, percentiles and
 *     sweep), which --compare reads back;
 *   - a self-contained HTML page (--report FILE.html): summary and settings tables and
 *     inline SVG plots, no script and nothing fetched;
 *   - SVG alone (--svg FILE.svg): the same plots.
 * Plots: msgs/s and MB/s over the seconds of the run; latency against percentile on
 * HdrHistogram's axis (0%, 90%, 99%, 99.9%, ... equally spaced: log10(1/(1-p))); with
 * --sweep, p50/p99/p99.9 latency against the throughput reached at each rate. A compared
 * run is drawn dashed over the same axes, named in the legend. */
#ifndef KAFKA_AGENT_REPORT_H
#define KAFKA_AGENT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define REPORT_MAX_SERIES 3600  /* one point a second: an hour */
#define REPORT_MAX_PCTS 128
#define REPORT_MAX_SWEEP 32
#define REPORT_MAX_SETTINGS 24

typedef struct report_tick_s {
    double t_s, msgs_per_s, mb_per_s;
} report_tick_t;

typedef struct report_pct_s {
    double pct, ms; /* pct in percent (99.9) */
} report_pct_t;

typedef struct report_step_s {
    double rate, msgs_per_s, p50_ms, p99_ms, p999_ms, max_ms;
} report_step_t;

typedef struct report_s {
    char mode[16]; /* produce | consume */
    char label[160]; /* how the legend names the run (the file name for a compared one) */
    int nsettings;
    char settings[REPORT_MAX_SETTINGS][2][160];
    double msgs, bytes, wall_s, msgs_per_s, mb_per_s;
    bool has_latency;
    double lat_avg_ms, lat_p50_ms, lat_p99_ms, lat_p999_ms, lat_max_ms;
    int nseries;
    report_tick_t series[REPORT_MAX_SERIES];
    int npcts;
    report_pct_t pcts[REPORT_MAX_PCTS];
    int nsweep;
    report_step_t sweep[REPORT_MAX_SWEEP];
} report_t;

/* Adds a setting (shown in the page's table, kept in the JSON). */
void report_setting(report_t *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a second's throughput (dropped past REPORT_MAX_SERIES). */
void report_tick(report_t *r, double t_s, double msgs_per_s, double mb_per_s);

/* The keys after bench's own in its --json object: ,"settings":{..},"series":[..],... */
void report_json_tail(FILE *out, const report_t *r);

/* Reads a --json line of a previous run (the last line of the file that is a JSON
 * object, so a saved stdout with its RESULT line works too) into r. False with why. */
bool report_load(const char *path, report_t *r, char *errstr, size_t errstr_size);

/* Writes the page / the plots to path (other: a run to overlay, or NULL). False with why. */
bool report_write_html(const char *path, const report_t *r, const report_t *other, char *errstr,
                       size_t errstr_size);
bool report_write_svg(const char *path, const report_t *r, const report_t *other, char *errstr, size_t errstr_size);

#endif
