/* kafka-agent bench's reports (see report.h). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

void report_setting(report_t *r, const char *key, const char *fmt, ...) {
    if (r->nsettings >= REPORT_MAX_SETTINGS)
        return;
    snprintf(r->settings[r->nsettings][0], sizeof(r->settings[0][0]), "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->settings[r->nsettings][1], sizeof(r->settings[0][1]), fmt, ap);
    va_end(ap);
    r->nsettings++;
}

void report_tick(report_t *r, double t_s, double msgs_per_s, double mb_per_s) {
    if (r->nseries < REPORT_MAX_SERIES)
        r->series[r->nseries++] = (report_tick_t){t_s, msgs_per_s, mb_per_s};
}

/* ---- JSON ---- */

static void json_str(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void report_json_tail(FILE *out, const report_t *r) {
    fputs(",\"settings\":{", out);
    for (int i = 0; i < r->nsettings; i++) {
        fputs(i ? "," : "", out);
        json_str(out, r->settings[i][0]);
        fputc(':', out);
        json_str(out, r->settings[i][1]);
    }
    fputs("},\"series\":[", out);
    for (int i = 0; i < r->nseries; i++)
        fprintf(out, "%s[%.3f,%.1f,%.3f]", i ? "," : "", r->series[i].t_s, r->series[i].msgs_per_s,
                r->series[i].mb_per_s);
    fputs("],\"percentiles\":[", out);
    for (int i = 0; i < r->npcts; i++)
        fprintf(out, "%s[%.10g,%.3f]", i ? "," : "", r->pcts[i].pct, r->pcts[i].ms);
    fputs("],\"sweep\":[", out);
    for (int i = 0; i < r->nsweep; i++) {
        const report_step_t *s = &r->sweep[i];
        fprintf(out, "%s{\"rate\":%.0f,\"msgs_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}",
                i ? "," : "", s->rate, s->msgs_per_s, s->p50_ms, s->p99_ms, s->p999_ms, s->max_ms);
    }
    fputs("]", out);
}

/* The last line of the file that parses as a JSON object. */
static json_t *last_object(const char *path, char *errstr, size_t errstr_size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    json_t *best = NULL;
    char *line = NULL, why[160] = "no line starting with '{'";
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0 || line[0] != '{')
            continue;
        json_t *v = json_parse(line, (size_t)n, why, sizeof(why));
        if (v) {
            json_free(best);
            best = v;
        }
    }
    free(line);
    fclose(f);
    if (!best)
        snprintf(errstr, errstr_size, "%s: no bench --json report in it (%s)", path, why);
    return best;
}

bool report_load(const char *path, report_t *r, char *errstr, size_t errstr_size) {
    memset(r, 0, sizeof(*r));
    json_t *o = last_object(path, errstr, errstr_size);
    if (!o)
        return false;
    const json_t *mode = json_get(o, "mode");
    if (!mode || mode->type != JSON_STR || (strcmp(mode->str, "produce") && strcmp(mode->str, "consume"))) {
        snprintf(errstr, errstr_size, "%s: not a bench --json report (\"mode\" is not produce or consume)", path);
        json_free(o);
        return false;
    }
    snprintf(r->mode, sizeof(r->mode), "%s", mode->str);
    const char *base = strrchr(path, '/');
    snprintf(r->label, sizeof(r->label), "%s", base ? base + 1 : path);
    r->msgs = json_num(o, "msgs", 0);
    r->bytes = json_num(o, "bytes", 0);
    r->wall_s = json_num(o, "wall_s", 0);
    r->msgs_per_s = json_num(o, "msgs_per_s", 0);
    r->mb_per_s = json_num(o, "mb_per_s", 0);
    const json_t *lat = json_get(o, "latency_ms");
    if (lat && lat->type == JSON_OBJ) {
        r->has_latency = true;
        r->lat_avg_ms = json_num(lat, "avg", 0);
        r->lat_p50_ms = json_num(lat, "p50", 0);
        r->lat_p99_ms = json_num(lat, "p99", 0);
        r->lat_p999_ms = json_num(lat, "p999", 0);
        r->lat_max_ms = json_num(lat, "max", 0);
    }
    const json_t *set = json_get(o, "settings");
    for (const json_t *m = set && set->type == JSON_OBJ ? set->child : NULL; m; m = m->next)
        if (m->type == JSON_STR)
            report_setting(r, m->key, "%s", m->str);
    const json_t *a = json_get(o, "series");
    for (const json_t *e = a && a->type == JSON_ARR ? a->child : NULL; e; e = e->next) {
        const json_t *x = e->type == JSON_ARR ? e->child : NULL, *y = x ? x->next : NULL, *z = y ? y->next : NULL;
        if (x && y && z && x->type == JSON_NUM && y->type == JSON_NUM && z->type == JSON_NUM)
            report_tick(r, x->num, y->num, z->num);
    }
    a = json_get(o, "percentiles");
    for (const json_t *e = a && a->type == JSON_ARR ? a->child : NULL; e && r->npcts < REPORT_MAX_PCTS; e = e->next) {
        const json_t *x = e->type == JSON_ARR ? e->child : NULL, *y = x ? x->next : NULL;
        if (x && y && x->type == JSON_NUM && y->type == JSON_NUM && x->num >= 0 && x->num < 100)
            r->pcts[r->npcts++] = (report_pct_t){x->num, y->num};
    }
    a = json_get(o, "sweep");
    for (const json_t *e = a && a->type == JSON_ARR ? a->child : NULL; e && r->nsweep < REPORT_MAX_SWEEP; e = e->next)
        if (e->type == JSON_OBJ)
            r->sweep[r->nsweep++] = (report_step_t){json_num(e, "rate", 0),   json_num(e, "msgs_per_s", 0),
                                                    json_num(e, "p50_ms", 0), json_num(e, "p99_ms", 0),
                                                    json_num(e, "p999_ms", 0), json_num(e, "max_ms", 0)};
    json_free(o);
    return true;
}

/* ---- plots ---- */

#define PLOT_W 860
#define PLOT_H 340
#define ML 84 /* margins: left, right, top, bottom */
#define MR 84
#define MT 40
#define MB 52

static const char *const colors[] = {"#1f6fb4", "#d2691e", "#2e8b57", "#8e44ad"};

typedef struct line_s {
    const char *name;
    const char *color;
    bool dashed;
    int n;
    const double *x, *y; /* n points */
} line_t;

/* A "nice" step for about 5 ticks over span. */
static double nice_step(double span) {
    if (!(span > 0))
        return 1;
    double raw = span / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void fmt_num(char *buf, size_t n, double v) {
    double a = fabs(v);
    if (a >= 1e9)
        snprintf(buf, n, "%gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, n, "%gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, n, "%gk", v / 1e3);
    else
        snprintf(buf, n, "%g", v);
}

static void esc(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

typedef enum xaxis_e { X_LINEAR, X_PERCENTILE } xaxis_t;

/* One plot as an <svg> element: title, axes with ticks, lines, legend. The percentile
 * axis takes x = log10(1/(1-p)) and labels 0%, 90%, 99%, ... With y2label, a right axis
 * labels the same gridlines times y2factor (MB/s beside msgs/s: one line, two scales). */
static void plot(FILE *out, const char *id, const char *title, const char *xlabel, const char *ylabel,
                 const char *y2label, double y2factor, xaxis_t xaxis, const line_t *lines, int nlines) {
    double xmin = INFINITY, xmax = -INFINITY, ymax = 0;
    int points = 0;
    for (int i = 0; i < nlines; i++)
        for (int k = 0; k < lines[i].n; k++) {
            if (!isfinite(lines[i].x[k]) || !isfinite(lines[i].y[k]))
                continue;
            xmin = fmin(xmin, lines[i].x[k]);
            xmax = fmax(xmax, lines[i].x[k]);
            ymax = fmax(ymax, lines[i].y[k]);
            points++;
        }
    if (!points)
        xmin = 0, xmax = 1;
    xmin = 0; /* time, throughput, percentile: each axis starts at 0 */
    if (xaxis == X_PERCENTILE)
        xmax = fmax(2, ceil(xmax));
    if (xmax <= xmin)
        xmax = xmin + 1;
    double ystep = nice_step(ymax > 0 ? ymax : 1), ytop = ceil((ymax > 0 ? ymax : 1) / ystep) * ystep;
    const double pw = PLOT_W - ML - MR, ph = PLOT_H - MT - MB;
#define PX(v) (ML + ((v) - xmin) / (xmax - xmin) * pw)
#define PY(v) (MT + ph - (v) / ytop * ph)
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"plot\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<text x=\"%d\" y=\"22\" font-size=\"15\" "
            "font-weight=\"bold\">",
            id, PLOT_W, PLOT_H, PLOT_W, PLOT_H, PLOT_W, PLOT_H, ML);
    esc(out, title);
    fputs("</text>\n", out);
    /* grid and y ticks (left, and right times y2factor) */
    for (double v = 0; v <= ytop + ystep / 2; v += ystep) {
        char b[32], b2[32];
        fmt_num(b, sizeof(b), v);
        fprintf(out, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", ML, ML + pw, PY(v),
                PY(v));
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 6, PY(v) + 4, b);
        if (y2label) {
            snprintf(b2, sizeof(b2), "%.3g", v * y2factor);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", ML + pw + 6, PY(v) + 4, b2);
        }
    }
    /* x ticks */
    if (xaxis == X_PERCENTILE) {
        static const char *const names[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
        for (int k = 0; k <= (int)xmax && k < 7; k++)
            fprintf(out,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    PX(k), PX(k), MT, MT + ph, PX(k), MT + ph + 18, names[k]);
    } else {
        double step = nice_step(xmax - xmin);
        for (double v = ceil(xmin / step) * step; v <= xmax + step / 1e6; v += step) {
            char b[32];
            fmt_num(b, sizeof(b), v);
            fprintf(out,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    PX(v), PX(v), MT, MT + ph, PX(v), MT + ph + 18, b);
        }
    }
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n", ML, MT, pw,
            ph);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", ML + pw / 2, PLOT_H - 10);
    esc(out, xlabel);
    fprintf(out, "</text>\n<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", MT + ph / 2);
    esc(out, ylabel);
    fputs("</text>\n", out);
    if (y2label) {
        fprintf(out, "<text transform=\"translate(%d %.1f) rotate(90)\" text-anchor=\"middle\">", PLOT_W - 14,
                MT + ph / 2);
        esc(out, y2label);
        fputs("</text>\n", out);
    }
    /* lines, each a polyline with a point marker where it has one point only */
    for (int i = 0; i < nlines; i++) {
        const line_t *l = &lines[i];
        fprintf(out, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", l->color,
                l->dashed ? " stroke-dasharray=\"6 4\"" : "");
        for (int k = 0; k < l->n; k++)
            if (isfinite(l->x[k]) && isfinite(l->y[k]))
                fprintf(out, "%.1f,%.1f ", PX(l->x[k]), PY(fmin(l->y[k], ytop)));
        fputs("\"/>\n", out);
        for (int k = 0; k < l->n && l->n <= 40; k++)
            if (isfinite(l->x[k]) && isfinite(l->y[k]))
                fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", PX(l->x[k]),
                        PY(fmin(l->y[k], ytop)), l->color);
        /* legend */
        double ly = MT + 14 + 16 * i;
        fprintf(out,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                "<text x=\"%.1f\" y=\"%.1f\">",
                ML + 10.0, ML + 34.0, ly - 4, ly - 4, l->color, l->dashed ? " stroke-dasharray=\"6 4\"" : "", ML + 40.0,
                ly);
        esc(out, l->name);
        fputs("</text>\n", out);
    }
    if (!points)
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n", ML + pw / 2,
                MT + ph / 2);
    fputs("</svg>\n", out);
#undef PX
#undef PY
}

/* The plots of r (and other, dashed). */
static void plots(FILE *out, const report_t *r, const report_t *other) {
    const report_t *runs[2] = {r, other};
    int nruns = other ? 2 : 1;
    static double xs[2][REPORT_MAX_SERIES], ys[2][REPORT_MAX_SERIES];
    line_t lines[8];
    char names[8][200];
    int n = 0;
    for (int k = 0; k < nruns; k++) {
        const report_t *q = runs[k];
        for (int i = 0; i < q->nseries; i++) {
            xs[k][i] = q->series[i].t_s;
            ys[k][i] = q->series[i].msgs_per_s;
        }
        snprintf(names[n], sizeof(names[n]), "msgs/s (%s)", q->label);
        lines[n] = (line_t){names[n], colors[2 * k], k == 1, q->nseries, xs[k], ys[k]};
        n++;
    }
    /* MB/s is msgs/s times this run's message size: a second scale, not a second line */
    double mb_per_msg = r->msgs_per_s > 0 ? r->mb_per_s / r->msgs_per_s : 0;
    plot(out, "throughput", "Throughput over the run", "seconds since the start", "messages per second",
         mb_per_msg > 0 ? (other ? "MB per second (this run's message size)" : "MB per second") : NULL, mb_per_msg,
         X_LINEAR, lines, n);
    bool any_pcts = false;
    for (int k = 0; k < nruns; k++)
        any_pcts |= runs[k]->npcts > 0;
    if (any_pcts) {
        static double px[2][REPORT_MAX_PCTS], py[2][REPORT_MAX_PCTS];
        n = 0;
        for (int k = 0; k < nruns; k++) {
            const report_t *q = runs[k];
            for (int i = 0; i < q->npcts; i++) {
                px[k][i] = log10(100.0 / (100.0 - q->pcts[i].pct));
                py[k][i] = q->pcts[i].ms;
            }
            snprintf(names[n], sizeof(names[n]), "latency (%s)", q->label);
            lines[n] = (line_t){names[n], colors[2 * k], k == 1, q->npcts, px[k], py[k]};
            n++;
        }
        plot(out, "latency", "Latency by percentile (produce to delivery report)", "percentile",
             "latency (ms)", NULL, 0, X_PERCENTILE, lines, n);
    }
    bool any_sweep = false;
    for (int k = 0; k < nruns; k++)
        any_sweep |= runs[k]->nsweep > 0;
    if (any_sweep) {
        static double sx[2][REPORT_MAX_SWEEP], sy[2][3][REPORT_MAX_SWEEP];
        static const char *const which[] = {"p50", "p99", "p99.9"};
        n = 0;
        for (int k = 0; k < nruns; k++) {
            const report_t *q = runs[k];
            for (int i = 0; i < q->nsweep; i++) {
                sx[k][i] = q->sweep[i].msgs_per_s;
                sy[k][0][i] = q->sweep[i].p50_ms;
                sy[k][1][i] = q->sweep[i].p99_ms;
                sy[k][2][i] = q->sweep[i].p999_ms;
            }
            for (int w = 0; w < 3 && q->nsweep; w++) {
                snprintf(names[n], sizeof(names[n]), "%s (%s)", which[w], q->label);
                lines[n] = (line_t){names[n], colors[w], k == 1, q->nsweep, sx[k], sy[k][w]};
                n++;
            }
        }
        plot(out, "sweep", "Latency against throughput (--sweep)", "messages per second reached", "latency (ms)", NULL,
             0, X_LINEAR, lines, n);
    }
}

bool report_write_svg(const char *path, const report_t *r, const report_t *other, char *errstr, size_t errstr_size) {
    FILE *out = fopen(path, "w");
    if (!out) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return false;
    }
    /* The plots stacked in one document. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        fclose(out);
        snprintf(errstr, errstr_size, "out of memory");
        return false;
    }
    plots(mem, r, other);
    fclose(mem);
    int count = 0;
    for (char *p = buf; (p = strstr(p, "<svg ")); p++)
        count++;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                 "height=\"%d\">\n", PLOT_W, PLOT_H * count);
    int k = 0;
    for (char *p = buf, *q; (q = strstr(p, "<svg ")); k++) {
        char *end = strstr(q, "</svg>\n");
        fprintf(out, "<g transform=\"translate(0 %d)\">\n", PLOT_H * k);
        fwrite(q, 1, (size_t)(end + 7 - q), out);
        fputs("</g>\n", out);
        p = end + 7;
    }
    fputs("</svg>\n", out);
    free(buf);
    bool ok = !ferror(out);
    if (fclose(out) != 0 || !ok) {
        snprintf(errstr, errstr_size, "%s: write failed", path);
        return false;
    }
    return true;
}

/* A row of the summary: decimals places, unit after the number; lower_better colours a
 * fall green (latency, time). */
static void summary_row(FILE *out, const char *name, int decimals, const char *unit, bool lower_better, double a,
                        const report_t *other, double b) {
    fprintf(out, "<tr><th>%s</th><td>%.*f%s</td>", name, decimals, a, unit);
    if (other) {
        double d = b != 0 ? (a - b) / b * 100 : 0;
        bool good = lower_better ? d <= 0 : d >= 0;
        fprintf(out, "<td>%.*f%s</td><td class=\"%s\">%+.1f%%</td>", decimals, b, unit, good ? "up" : "down", d);
    }
    fputs("</tr>\n", out);
}

bool report_write_html(const char *path, const report_t *r, const report_t *other, char *errstr,
                       size_t errstr_size) {
    FILE *out = fopen(path, "w");
    if (!out) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return false;
    }
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tm));
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>kafka-agent bench %s</title>\n"
            "<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 "
            "20px}th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f4f4f4}"
            "td.up{color:#2e7d32}td.down{color:#c62828}svg.plot{display:block;margin:12px 0;border:1px solid "
            "#eee}</style>\n</head><body>\n<h1>kafka-agent bench %s</h1>\n<p>",
            r->mode, r->mode);
    esc(out, r->label);
    fprintf(out, ", written %s%s", when, other ? ", compared with " : "");
    if (other)
        esc(out, other->label);
    fputs(" (dashed).</p>\n<h2>Summary</h2>\n<table id=\"summary\">\n", out);
    if (other) {
        fputs("<tr><th></th><th>", out);
        esc(out, r->label);
        fputs("</th><th>", out);
        esc(out, other->label);
        fputs("</th><th>change</th></tr>\n", out);
    }
    summary_row(out, "messages per second", 0, "", false, r->msgs_per_s, other, other ? other->msgs_per_s : 0);
    summary_row(out, "MB per second", 2, "", false, r->mb_per_s, other, other ? other->mb_per_s : 0);
    summary_row(out, "messages", 0, "", false, r->msgs, other, other ? other->msgs : 0);
    summary_row(out, "wall time", 3, " s", true, r->wall_s, other, other ? other->wall_s : 0);
    if (r->has_latency) {
        summary_row(out, "latency p50", 3, " ms", true, r->lat_p50_ms, other, other ? other->lat_p50_ms : 0);
        summary_row(out, "latency p99", 3, " ms", true, r->lat_p99_ms, other, other ? other->lat_p99_ms : 0);
        summary_row(out, "latency p99.9", 3, " ms", true, r->lat_p999_ms, other, other ? other->lat_p999_ms : 0);
        summary_row(out, "latency max", 3, " ms", true, r->lat_max_ms, other, other ? other->lat_max_ms : 0);
    }
    fputs("</table>\n<h2>Plots</h2>\n", out);
    plots(out, r, other);
    fputs("<h2>Settings</h2>\n<table id=\"settings\">\n", out);
    for (int i = 0; i < r->nsettings; i++) {
        fputs("<tr><th>", out);
        esc(out, r->settings[i][0]);
        fputs("</th><td>", out);
        esc(out, r->settings[i][1]);
        fputs("</td>", out);
        if (other) {
            const char *ov = "";
            for (int k = 0; k < other->nsettings; k++)
                if (strcmp(other->settings[k][0], r->settings[i][0]) == 0)
                    ov = other->settings[k][1];
            fprintf(out, "<td%s>", strcmp(ov, r->settings[i][1]) ? " class=\"down\"" : "");
            esc(out, ov);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    if (r->nsweep) {
        fputs("</table>\n<h2>Sweep</h2>\n<table id=\"sweep\">\n<tr><th>rate asked</th><th>msgs/s reached</th>"
              "<th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>\n",
              out);
        for (int i = 0; i < r->nsweep; i++)
            fprintf(out, "<tr><td>%.0f</td><td>%.0f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n",
                    r->sweep[i].rate, r->sweep[i].msgs_per_s, r->sweep[i].p50_ms, r->sweep[i].p99_ms,
                    r->sweep[i].p999_ms, r->sweep[i].max_ms);
    }
    fputs("</table>\n</body></html>\n", out);
    bool ok = !ferror(out);
    if (fclose(out) != 0 || !ok) {
        snprintf(errstr, errstr_size, "%s: write failed", path);
        return false;
    }
    return true;
}
