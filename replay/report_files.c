/* report_files.c: --csv, --json and --plot DIR (summary.csv, rss.csv,
 * latency.csv).  Each file is written under a temporary name beside it
 * (common/outfile.h) and renamed, so a failed run never leaves a partial
 * file in place of a good one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/outfmt.h"
#include "replay/tool.h"

/* A temporary file beside `path` (common/outfile.h); says why it failed. */
static FILE *out_open(const char *path, char **tmp)
{
    char why[PATH_MAX + 64];
    FILE *f = hk_out_open(path, tmp, why, sizeof why);
    if (!f)
        fprintf(stderr, "huskyreplay: %s\n", why);
    return f;
}

/* Closes and renames into place.  0, or 1 on a write error. */
static int out_close(FILE *f, char *tmp, const char *path)
{
    char why[PATH_MAX + 64];
    if (hk_out_commit(f, tmp, path, why, sizeof why) == 0)
        return 0;
    fprintf(stderr, "huskyreplay: %s\n", why);
    return 1;
}

static const char summary_head[] =
    "trace,allocator,status,runs,wall_s,wall_s_min,wall_s_max,ops_per_s,user_s,sys_s,"
    "minflt,peak_rss_kb,end_rss_kb,peak_live_kb,fragmentation,time_ratio,rss_ratio";

/* One summary.csv row (without the newline). */
static void summary_row(FILE *f, const struct rp_unit *u, const struct rp_cell *c)
{
    hk_csv_str(f, u->trace);
    fputc(',', f);
    hk_csv_str(f, c->alloc->name);
    fprintf(f, ",%s,%d,%.6f,%.6f,%.6f,%.0f,%.6f,%.6f,%.0f,%.0f,%.0f,%.1f,%.4f,%.4f,%.4f",
            c->status, c->ok_runs, c->wall_s, c->wall_min, c->wall_max, c->ops_per_s,
            c->user_s, c->sys_s, c->minflt, c->peak_kb, c->end_kb,
            (double)u->plan.h->peak_live / 1024, c->frag, c->time_ratio, c->rss_ratio);
}

/* --csv FILE: the summary columns, then p50/p99/p99.9 of every op kind and
 * the replay's own counters. */
int rp_write_csv(const char *path, const struct rp_unit *units, int nunits, int nallocs)
{
    char *tmp;
    FILE *f = out_open(path, &tmp);
    if (!f)
        return 1;
    fputs(summary_head, f);
    for (unsigned k = 0; k < RP_K_COUNT; k++)
        fprintf(f, ",%s_samples,%s_p50_ns,%s_p99_ns,%s_p999_ns", rp_kind_name(k),
                rp_kind_name(k), rp_kind_name(k), rp_kind_name(k));
    fputs(",ops,events,threads,replay_nulls,extra_results\n", f);
    for (int i = 0; i < nunits; i++) {
        for (int j = 0; j < nallocs; j++) {
            const struct rp_cell *c = &units[i].cells[j];
            summary_row(f, &units[i], c);
            for (unsigned k = 0; k < RP_K_COUNT; k++) {
                uint64_t n;
                uint64_t p50 = rp_hist_percentile(c->hist[k], 0.5, &n);
                fprintf(f, ",%llu,%llu,%llu,%llu", (unsigned long long)n,
                        (unsigned long long)p50,
                        (unsigned long long)rp_hist_percentile(c->hist[k], 0.99, NULL),
                        (unsigned long long)rp_hist_percentile(c->hist[k], 0.999, NULL));
            }
            uint64_t nulls = 0, extra = 0;
            for (int r = 0; r < c->nruns; r++) {
                nulls += c->runs[r].replay_nulls;
                extra += c->runs[r].extra_results;
            }
            const struct rp_plan_header *h = units[i].plan.h;
            fprintf(f, ",%llu,%llu,%llu,%llu,%llu\n", (unsigned long long)h->ops,
                    (unsigned long long)h->events, (unsigned long long)h->threads,
                    (unsigned long long)nulls, (unsigned long long)extra);
        }
    }
    return out_close(f, tmp, path);
}

/* ---- --plot DIR ---- */

static int plot_summary(const char *dir, const struct rp_unit *units, int nunits, int nallocs)
{
    char path[PATH_MAX], *tmp;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    FILE *f = out_open(path, &tmp);
    if (!f)
        return 1;
    fprintf(f, "%s\n", summary_head);
    for (int i = 0; i < nunits; i++)
        for (int j = 0; j < nallocs; j++) {
            summary_row(f, &units[i], &units[i].cells[j]);
            fputc('\n', f);
        }
    return out_close(f, tmp, path);
}

static int plot_rss(const char *dir, const struct rp_unit *units, int nunits, int nallocs)
{
    char path[PATH_MAX], *tmp;
    snprintf(path, sizeof path, "%s/rss.csv", dir);
    FILE *f = out_open(path, &tmp);
    if (!f)
        return 1;
    fputs("trace,allocator,progress,rss_kb,live_kb\n", f);
    for (int i = 0; i < nunits; i++)
        for (int j = 0; j < nallocs; j++) {
            const struct rp_cell *c = &units[i].cells[j];
            if (!c->ok_runs)
                continue;
            for (unsigned k = 0; k <= RP_LIVE_POINTS; k++) {
                hk_csv_str(f, units[i].trace);
                fputc(',', f);
                hk_csv_str(f, c->alloc->name);
                fprintf(f, ",%.2f,%llu,%.1f\n", (double)k / RP_LIVE_POINTS,
                        (unsigned long long)c->rss_progress[k],
                        (double)units[i].plan.live[k] / 1024);
            }
        }
    return out_close(f, tmp, path);
}

static int plot_latency(const char *dir, const struct rp_unit *units, int nunits, int nallocs)
{
    char path[PATH_MAX], *tmp;
    snprintf(path, sizeof path, "%s/latency.csv", dir);
    FILE *f = out_open(path, &tmp);
    if (!f)
        return 1;
    fputs("trace,allocator,op,samples,p50_ns,p99_ns,p999_ns\n", f);
    for (int i = 0; i < nunits; i++)
        for (int j = 0; j < nallocs; j++) {
            const struct rp_cell *c = &units[i].cells[j];
            for (unsigned k = 0; k < RP_K_COUNT; k++) {
                uint64_t n;
                uint64_t p50 = rp_hist_percentile(c->hist[k], 0.5, &n);
                if (!n)
                    continue;
                hk_csv_str(f, units[i].trace);
                fputc(',', f);
                hk_csv_str(f, c->alloc->name);
                fprintf(f, ",%s,%llu,%llu,%llu,%llu\n", rp_kind_name(k),
                        (unsigned long long)n, (unsigned long long)p50,
                        (unsigned long long)rp_hist_percentile(c->hist[k], 0.99, NULL),
                        (unsigned long long)rp_hist_percentile(c->hist[k], 0.999, NULL));
            }
        }
    return out_close(f, tmp, path);
}

/* --plot DIR: the data files the gnuplot scripts of plots/ read. */
int rp_write_plot(const char *dir, const struct rp_unit *units, int nunits, int nallocs)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "huskyreplay: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    return plot_summary(dir, units, nunits, nallocs) | plot_rss(dir, units, nunits, nallocs) |
           plot_latency(dir, units, nunits, nallocs);
}

/* ---- --json FILE ---- */

static void json_run(FILE *f, const struct rp_run *r)
{
    fprintf(f, "{\"status\":\"%s\",\"message\":", r->status);
    hk_json_str(f, r->msg);
    fprintf(f, ",\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"minflt\":%llu,"
            "\"peak_rss_kb\":%llu,\"end_rss_kb\":%llu,\"baseline_rss_kb\":%llu,"
            "\"worker_maxrss_kb\":%llu,"
            "\"replay_nulls\":%llu,\"extra_results\":%llu,\"emulated\":[",
            r->wall_s, r->user_s, r->sys_s, (unsigned long long)r->minflt,
            (unsigned long long)r->peak_kb, (unsigned long long)r->end_kb,
            (unsigned long long)r->baseline_kb, (unsigned long long)r->worker_maxrss_kb,
            (unsigned long long)r->replay_nulls,
            (unsigned long long)r->extra_results);
    for (unsigned k = 0, n = 0; k < RP_K_COUNT; k++)
        if (r->emulated & (1u << k))
            fprintf(f, "%s\"%s\"", n++ ? "," : "", rp_kind_name(k));
    fprintf(f, "],\"latency_clock\":\"%s\",\"rss_by_time\":[",
            r->latency_tsc ? "tsc" : "monotonic");
    for (uint32_t i = 0; i < r->time_samples; i++)
        fprintf(f, "%s{\"t_s\":%.6f,\"rss_kb\":%llu,\"ops_done\":%llu}", i ? "," : "",
                (double)r->rss_time[i].t_us / 1e6, (unsigned long long)r->rss_time[i].rss_kb,
                (unsigned long long)r->rss_time[i].done);
    fputs("]}", f);
}

static void json_cell(FILE *f, const struct rp_cell *c)
{
    fputs("{\"allocator\":", f);
    hk_json_str(f, c->alloc->name);
    fputs(",\"library\":", f);
    hk_json_str(f, c->alloc->path);
    fprintf(f, ",\"status\":\"%s\",\"message\":", c->status);
    hk_json_str(f, c->msg);
    fprintf(f, ",\"runs_ok\":%d,\"wall_s\":%.6f,\"wall_s_min\":%.6f,\"wall_s_max\":%.6f,"
            "\"ops_per_s\":%.0f,\"user_s\":%.6f,\"sys_s\":%.6f,\"minflt\":%.0f,"
            "\"peak_rss_kb\":%.0f,\"end_rss_kb\":%.0f,\"fragmentation\":%.4f,"
            "\"time_ratio\":%.4f,\"rss_ratio\":%.4f,\"latency\":{", c->ok_runs, c->wall_s,
            c->wall_min, c->wall_max, c->ops_per_s, c->user_s, c->sys_s, c->minflt,
            c->peak_kb, c->end_kb, c->frag, c->time_ratio, c->rss_ratio);
    int first = 1;
    for (unsigned k = 0; k < RP_K_COUNT; k++) {
        uint64_t n;
        uint64_t p50 = rp_hist_percentile(c->hist[k], 0.5, &n);
        if (!n)
            continue;
        fprintf(f, "%s\"%s\":{\"samples\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,"
                "\"p999_ns\":%llu}", first ? "" : ",", rp_kind_name(k), (unsigned long long)n,
                (unsigned long long)p50,
                (unsigned long long)rp_hist_percentile(c->hist[k], 0.99, NULL),
                (unsigned long long)rp_hist_percentile(c->hist[k], 0.999, NULL));
        first = 0;
    }
    fputs("},\"rss_by_progress_kb\":[", f);
    for (unsigned k = 0; k <= RP_LIVE_POINTS; k++)
        fprintf(f, "%s%llu", k ? "," : "", (unsigned long long)c->rss_progress[k]);
    fputs("],\"runs\":[", f);
    for (int r = 0; r < c->nruns; r++) {
        fputs(r ? "," : "", f);
        json_run(f, &c->runs[r]);
    }
    fputs("]}", f);
}

static void json_unit(FILE *f, const struct rp_unit *u, int nallocs)
{
    const struct rp_plan_header *h = u->plan.h;
    fputs("{\"trace\":", f);
    hk_json_str(f, u->trace);
    fputs(",\"plan\":", f);
    hk_json_str(f, u->plan_path);
    fprintf(f, ",\"pid\":%u,\"threads\":%llu,\"events\":%llu,\"ops\":%llu,\"objects\":%llu,"
            "\"deps\":%llu,\"cross_thread\":%llu,\"failed_calls\":%llu,"
            "\"skipped_frees\":%llu,\"peak_live_bytes\":%llu,\"end_live_bytes\":%llu,"
            "\"plan_bytes\":%llu,\"ops_by_kind\":{", h->pid, (unsigned long long)h->threads,
            (unsigned long long)h->events, (unsigned long long)h->ops,
            (unsigned long long)h->objects, (unsigned long long)h->deps,
            (unsigned long long)h->cross_frees, (unsigned long long)h->failed_calls,
            (unsigned long long)h->skipped_frees, (unsigned long long)h->peak_live,
            (unsigned long long)h->end_live, (unsigned long long)h->file_size);
    for (unsigned k = 0; k < RP_K_COUNT; k++)
        fprintf(f, "%s\"%s\":%llu", k ? "," : "", rp_kind_name(k),
                (unsigned long long)h->kind_count[k]);
    fputs("},\"live_by_progress_bytes\":[", f);
    for (unsigned k = 0; k <= RP_LIVE_POINTS; k++)
        fprintf(f, "%s%llu", k ? "," : "", (unsigned long long)u->plan.live[k]);
    fputs("],\"allocators\":[", f);
    for (int j = 0; j < nallocs; j++) {
        fputs(j ? "," : "", f);
        json_cell(f, &u->cells[j]);
    }
    fputs("]}", f);
}

int rp_write_json(const char *path, const struct rp_unit *units, int nunits, int nallocs)
{
    char *tmp;
    FILE *f = out_open(path, &tmp);
    if (!f)
        return 1;
    fputs("{\"tool\":\"huskyreplay\",\"version\":\"" PACKAGE_VERSION "\",\"traces\":[", f);
    for (int i = 0; i < nunits; i++) {
        fputs(i ? ",\n" : "\n", f);
        json_unit(f, &units[i], nallocs);
    }
    fputs("\n]}\n", f);
    return out_close(f, tmp, path);
}
