/* report.c: medians over the runs, and every output: the table on stdout,
 * --csv, --json and the --plot data files (summary.csv, rss.csv,
 * latency.csv, whose columns the plots read; docs/huskyreplay.md lists them).
 * Files are written under a temporary name and renamed into place.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/tool.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n values (n > 0); also min and max when asked. */
static double median(double *v, int n, double *min, double *max)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (min)
        *min = v[0];
    if (max)
        *max = v[n - 1];
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median over a cell's ok runs of the double that `get` extracts. */
static double med_of(const struct rp_cell *c, double (*get)(const struct rp_run *, const void *),
                     const void *arg, double *min, double *max)
{
    double v[c->nruns > 0 ? c->nruns : 1];
    int n = 0;
    for (int i = 0; i < c->nruns; i++)
        if (!strcmp(c->runs[i].status, "ok"))
            v[n++] = get(&c->runs[i], arg);
    if (!n) {
        if (min)
            *min = 0;
        if (max)
            *max = 0;
        return 0;
    }
    return median(v, n, min, max);
}

static double g_wall(const struct rp_run *r, const void *a) { (void)a; return r->wall_s; }
static double g_user(const struct rp_run *r, const void *a) { (void)a; return r->user_s; }
static double g_sys(const struct rp_run *r, const void *a) { (void)a; return r->sys_s; }
static double g_flt(const struct rp_run *r, const void *a) { (void)a; return (double)r->minflt; }
static double g_peak(const struct rp_run *r, const void *a) { (void)a; return (double)r->peak_kb; }
static double g_end(const struct rp_run *r, const void *a) { (void)a; return (double)r->end_kb; }
static double g_ops(const struct rp_run *r, const void *a)
{
    return r->wall_s > 0 ? (double)*(const uint64_t *)a / r->wall_s : 0;
}
static double g_point(const struct rp_run *r, const void *a)
{
    return (double)r->rss_progress[*(const unsigned *)a];
}

static void summarize_cell(const struct rp_unit *u, struct rp_cell *c)
{
    snprintf(c->status, sizeof c->status, "%s", c->alloc->skipped ? "skipped" : "ok");
    c->ok_runs = 0;
    for (int i = 0; i < c->nruns; i++) {
        const struct rp_run *r = &c->runs[i];
        if (!strcmp(r->status, "ok")) {
            c->ok_runs++;
            for (unsigned k = 0; k < RP_K_COUNT; k++)
                for (unsigned b = 0; b < RP_HIST_BUCKETS; b++)
                    c->hist[k][b] += r->hist[k][b];
        } else if (!strcmp(c->status, "ok")) {
            snprintf(c->status, sizeof c->status, "%s", r->status);
            snprintf(c->msg, sizeof c->msg, "%s", r->msg);
        }
    }
    uint64_t ops = u->plan.h->ops;
    c->wall_s = med_of(c, g_wall, NULL, &c->wall_min, &c->wall_max);
    c->ops_per_s = med_of(c, g_ops, &ops, NULL, NULL);
    c->user_s = med_of(c, g_user, NULL, NULL, NULL);
    c->sys_s = med_of(c, g_sys, NULL, NULL, NULL);
    c->minflt = med_of(c, g_flt, NULL, NULL, NULL);
    c->peak_kb = med_of(c, g_peak, NULL, NULL, NULL);
    c->end_kb = med_of(c, g_end, NULL, NULL, NULL);
    for (unsigned k = 0; k <= RP_LIVE_POINTS; k++)
        c->rss_progress[k] = (uint64_t)med_of(c, g_point, &k, NULL, NULL);
    uint64_t live = u->plan.h->peak_live;
    c->frag = live && c->ok_runs ? c->peak_kb * 1024.0 / (double)live : 0;
}

/* Medians, fragmentation and ratios against each unit's first allocator. */
void rp_summarize(struct rp_unit *units, int nunits, int nallocs)
{
    for (int i = 0; i < nunits; i++) {
        for (int j = 0; j < nallocs; j++)
            summarize_cell(&units[i], &units[i].cells[j]);
        const struct rp_cell *base = &units[i].cells[0];
        for (int j = 0; j < nallocs; j++) {
            struct rp_cell *c = &units[i].cells[j];
            int ok = base->ok_runs && c->ok_runs;
            c->time_ratio = ok && base->wall_s > 0 ? c->wall_s / base->wall_s : 0;
            c->rss_ratio = ok && base->peak_kb > 0 ? c->peak_kb / base->peak_kb : 0;
        }
    }
}

/* ---- stdout ---- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* What a plan holds (--plan, and the heading of each table). */
void rp_print_plan(FILE *f, const struct rp_unit *u)
{
    const struct rp_plan_header *h = u->plan.h;
    fprintf(f, "%s: pid %u, %llu threads, %llu events, %llu ops, peak live %llu bytes, "
            "end live %llu bytes\n", u->trace, h->pid, (unsigned long long)h->threads,
            (unsigned long long)h->events, (unsigned long long)h->ops,
            (unsigned long long)h->peak_live, (unsigned long long)h->end_live);
    uint64_t fixed = h->off_ops + (RP_LIVE_POINTS + 1) * sizeof(uint64_t) + 8;
    uint64_t var = h->file_size > fixed ? h->file_size - fixed : 0;
    fprintf(f, "  plan %s (%s, %llu bytes, %.1f bytes/event past the fixed %llu): "
            "%llu objects, %llu deps, %llu cross-thread, %llu failed calls, "
            "%llu skipped frees\n", u->plan_path, u->built ? "built" : "cached",
            (unsigned long long)h->file_size, h->events ? (double)var / (double)h->events : 0.0,
            (unsigned long long)fixed,
            (unsigned long long)h->objects, (unsigned long long)h->deps,
            (unsigned long long)h->cross_frees, (unsigned long long)h->failed_calls,
            (unsigned long long)h->skipped_frees);
    fprintf(f, "  ops:");
    for (unsigned k = 0; k < RP_K_COUNT; k++)
        if (h->kind_count[k])
            fprintf(f, " %s=%llu", rp_kind_name(k), (unsigned long long)h->kind_count[k]);
    fprintf(f, "\n");
}

static void print_ratio(FILE *f, double r)
{
    if (r > 0)
        fprintf(f, " %6.2f", r);
    else
        fprintf(f, " %6s", "-");
}

static void print_latency(FILE *f, const struct rp_unit *u, int nallocs)
{
    static const unsigned kinds[] = { RP_K_MALLOC, RP_K_FREE, RP_K_REALLOC, RP_K_CALLOC };
    uint64_t any = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        any += u->plan.h->kind_count[kinds[k]];
    if (!any)
        return;
    fprintf(f, "  latency ns p50/p99/p99.9:");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (u->plan.h->kind_count[kinds[k]])
            fprintf(f, " %-20s", rp_kind_name(kinds[k]));
    fprintf(f, "\n");
    for (int j = 0; j < nallocs; j++) {
        const struct rp_cell *c = &u->cells[j];
        if (!c->ok_runs)
            continue;
        fprintf(f, "  %-25s", c->alloc->name);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            if (!u->plan.h->kind_count[kinds[k]])
                continue;
            char cell[64];
            uint64_t n;
            rp_hist_percentile(c->hist[kinds[k]], 0.5, &n);
            snprintf(cell, sizeof cell, n ? "%llu/%llu/%llu" : "-",
                     (unsigned long long)rp_hist_percentile(c->hist[kinds[k]], 0.5, NULL),
                     (unsigned long long)rp_hist_percentile(c->hist[kinds[k]], 0.99, NULL),
                     (unsigned long long)rp_hist_percentile(c->hist[kinds[k]], 0.999, NULL));
            fprintf(f, " %-20s", cell);
        }
        fprintf(f, "\n");
    }
}

/* The comparison table: one block per unit, one row per allocator. */
void rp_print_table(FILE *f, const struct rp_unit *units, int nunits, int nallocs)
{
    for (int i = 0; i < nunits; i++) {
        const struct rp_unit *u = &units[i];
        const struct rp_plan_header *h = u->plan.h;
        fprintf(f, "%s%s: pid %u, %llu threads, %llu ops, peak live %.1f KiB\n", i ? "\n" : "",
                base_name(u->trace), h->pid, (unsigned long long)h->threads,
                (unsigned long long)h->ops, (double)h->peak_live / 1024);
        fprintf(f, "%-12s %-16s %9s %8s %7s %7s %8s %9s %9s %6s %6s %6s\n", "allocator",
                "status", "wall_ms", "Mops/s", "user_s", "sys_s", "minflt", "peak_KiB",
                "end_KiB", "frag", "time_x", "rss_x");
        for (int j = 0; j < nallocs; j++) {
            const struct rp_cell *c = &u->cells[j];
            fprintf(f, "%-12s %-16s", c->alloc->name, c->status);
            if (!c->ok_runs) {
                fprintf(f, "\n");
                continue;
            }
            fprintf(f, " %9.2f %8.2f %7.3f %7.3f %8.0f %9.0f %9.0f %6.2f", c->wall_s * 1e3,
                    c->ops_per_s / 1e6, c->user_s, c->sys_s, c->minflt, c->peak_kb,
                    c->end_kb, c->frag);
            print_ratio(f, c->time_ratio);
            print_ratio(f, c->rss_ratio);
            fprintf(f, "\n");
        }
        print_latency(f, u, nallocs);
    }
}
