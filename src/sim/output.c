/* output.c: huskysim's results as a table on stdout, --csv, --json and the
 * two CSV files of --plot (sim.csv, sim_heap.csv) whose columns the gnuplot
 * scripts in plots/ read.  Every file is written to a temporary name in its
 * folder and renamed into place, so a failed run leaves no partial file.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/outfmt.h"
#include "sim/output.h"

/* One field of a result, for the CSV and JSON writers: the column list is
 * the single place names and values are paired. */
#define SIM_FIELDS(X)                                                         \
    X(events, "%" PRIu64, r->m.ops)                                           \
    X(heap_max, "%" PRIu64, r->m.heap_max)                                    \
    X(live_max, "%" PRIu64, r->m.live_max)                                    \
    X(frag_max_over_max, "%.6f", sim_frag_max_over_max(&r->m))                \
    X(frag_at_live_max, "%.6f", sim_frag_at_live_max(&r->m))                  \
    X(extensions, "%" PRIu64, r->m.extensions)                                \
    X(events_per_s, "%.0f", events_per_s(r))                                  \
    X(frag_at_heap_max, "%.6f", sim_frag_at_heap_max(&r->m))                  \
    X(frag_mean, "%.6f", sim_frag_mean(&r->m))                                \
    X(heap_at_live_max, "%" PRIu64, r->m.heap_at_live_max)                    \
    X(live_at_heap_max, "%" PRIu64, r->m.live_at_heap_max)                    \
    X(trace_events, "%" PRIu64, r->trace_events)                              \
    X(skipped, "%" PRIu64, r->skipped)                                        \
    X(seconds, "%.6f", r->m.seconds)

static double events_per_s(const struct sim_result *r)
{
    return r->m.seconds > 0 ? (double)r->m.ops / r->m.seconds : 0.0;
}

/* ---- the table ---- */

void sim_print_table(FILE *f, const struct sim_result *res, size_t n)
{
    const char *trace = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct sim_result *r = &res[i];
        if (!trace || strcmp(trace, r->trace) != 0) {
            trace = r->trace;
            fprintf(f, "%s%s: %" PRIu64 " events, %" PRIu64 " operations simulated\n",
                    i ? "\n" : "", trace, r->trace_events, r->m.ops);
            fprintf(f, "%-11s %12s %12s %9s %9s %9s %9s %7s %9s\n", "policy", "heap_max",
                    "live_max", "heap/live", "@live", "@heap", "mean", "ext", "Mops/s");
        }
        fprintf(f, "%-11s %12" PRIu64 " %12" PRIu64 " %9.3f %9.3f %9.3f %9.3f %7" PRIu64
                " %9.2f\n", r->policy->name, r->m.heap_max, r->m.live_max,
                sim_frag_max_over_max(&r->m), sim_frag_at_live_max(&r->m),
                sim_frag_at_heap_max(&r->m), sim_frag_mean(&r->m), r->m.extensions,
                events_per_s(r) / 1e6);
    }
}

/* The sim.csv columns first (the plots read them by name), then the others. */
static void write_csv(FILE *f, const struct sim_result *res, size_t n)
{
    fputs("trace,policy", f);
#define X(name, fmt, val) fputs("," #name, f);
    SIM_FIELDS(X)
#undef X
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const struct sim_result *r = &res[i];
        hk_csv_str(f, r->trace);
        fprintf(f, ",%s", r->policy->name);
#define X(name, fmt, val) fprintf(f, "," fmt, val);
        SIM_FIELDS(X)
#undef X
        fputc('\n', f);
    }
}

int sim_write_csv(const char *path, const struct sim_result *res, size_t n, char *why,
                  size_t len)
{
    char *tmp;
    FILE *f = hk_out_open(path, &tmp, why, len);
    if (!f)
        return -1;
    write_csv(f, res, n);
    return hk_out_commit(f, tmp, path, why, len);
}

int sim_write_json(const char *path, const struct sim_result *res, size_t n,
                   const struct sim_config *cfg, char *why, size_t len)
{
    char *tmp;
    FILE *f = hk_out_open(path, &tmp, why, len);
    if (!f)
        return -1;
    fprintf(f, "{\"header\":%" PRIu64 ",\"align\":%" PRIu64 ",\"page\":%" PRIu64
            ",\"results\":[", cfg->header, cfg->align, cfg->page);
    for (size_t i = 0; i < n; i++) {
        const struct sim_result *r = &res[i];
        fputs(i ? ",\n{\"trace\":" : "\n{\"trace\":", f);
        hk_json_str(f, r->trace);
        fprintf(f, ",\"policy\":\"%s\"", r->policy->name);
#define X(name, fmt, val) fprintf(f, ",\"" #name "\":" fmt, val);
        SIM_FIELDS(X)
#undef X
        fputc('}', f);
    }
    fputs("\n]}\n", f);
    return hk_out_commit(f, tmp, path, why, len);
}

/* sim.csv: exactly trace,policy,events,heap_max,live_max,frag_max_over_max,
 * frag_at_live_max,extensions,events_per_s. */
static void write_sim_csv(FILE *f, const struct sim_result *res, size_t n)
{
    fputs("trace,policy,events,heap_max,live_max,frag_max_over_max,frag_at_live_max,"
          "extensions,events_per_s\n", f);
    for (size_t i = 0; i < n; i++) {
        const struct sim_result *r = &res[i];
        hk_csv_str(f, r->trace);
        fprintf(f, ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%.6f,%" PRIu64 ",%.0f\n",
                r->policy->name, r->m.ops, r->m.heap_max, r->m.live_max,
                sim_frag_max_over_max(&r->m), sim_frag_at_live_max(&r->m),
                r->m.extensions, events_per_s(r));
    }
}

/* sim_heap.csv: trace,policy,progress,heap_bytes,live_bytes, progress 0..1. */
static void write_heap_csv(FILE *f, const struct sim_result *res, size_t n)
{
    fputs("trace,policy,progress,heap_bytes,live_bytes\n", f);
    for (size_t i = 0; i < n; i++) {
        const struct sim_result *r = &res[i];
        for (uint32_t k = 0; k < r->m.nsamples; k++) {
            hk_csv_str(f, r->trace);
            fprintf(f, ",%s,%.6f,%" PRIu64 ",%" PRIu64 "\n", r->policy->name,
                    (double)r->m.sample_op[k] / (double)r->m.ops, r->m.sample_heap[k],
                    r->m.sample_live[k]);
        }
    }
}

int sim_write_plot(const char *dir, const struct sim_result *res, size_t n, char *why,
                   size_t len)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(why, len, "%s: cannot create the folder: %s", dir, strerror(errno));
        return -1;
    }
    size_t pl = strlen(dir) + 32;
    char *path = malloc(pl);
    if (!path) {
        snprintf(why, len, "%s: out of memory", dir);
        return -1;
    }
    char *tmp;
    snprintf(path, pl, "%s/sim.csv", dir);
    FILE *f = hk_out_open(path, &tmp, why, len);
    int rc = -1;
    if (f) {
        write_sim_csv(f, res, n);
        rc = hk_out_commit(f, tmp, path, why, len);
    }
    snprintf(path, pl, "%s/sim_heap.csv", dir);
    f = rc == 0 ? hk_out_open(path, &tmp, why, len) : NULL;
    if (f) {
        write_heap_csv(f, res, n);
        rc = hk_out_commit(f, tmp, path, why, len);
    } else {
        rc = -1;
    }
    free(path);
    return rc;
}
