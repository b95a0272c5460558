/* huskyreplay: replays traces against allocators and compares them.
 *
 * For every trace unit (one traced process: a .htr file, or each .htr of a
 * folder) the plan is opened from its cache or built; then every allocator
 * is run -n times, each run a fresh worker process; then the medians are
 * printed and written where asked.  Exit: 0 all ok, 1 a run failed, 2 bad
 * usage, 65 a bad trace.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/charts.h"
#include "replay/cmdline_huskyreplay.h"
#include "replay/tool.h"

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "huskyreplay: out of memory\n");
        exit(1);
    }
    return p;
}

static int htr_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 4 && !strcmp(d->d_name + n - 4, ".htr");
}

/* Adds one argument's units: the file itself, or each .htr of a folder in
 * name order.  0, or 65 if it is neither. */
static int add_units(const char *arg, struct rp_unit **units, int *n, int *cap)
{
    struct stat st;
    struct dirent **names = NULL;
    int count = 1;
    if (stat(arg, &st) != 0) {
        fprintf(stderr, "huskyreplay: %s: offset 0: cannot read: no such file or folder\n",
                arg);
        return 65;
    }
    if (S_ISDIR(st.st_mode)) {
        count = scandir(arg, &names, htr_filter, alphasort);
        if (count <= 0) {
            fprintf(stderr, "huskyreplay: %s: offset 0: folder holds no .htr trace\n", arg);
            free(names);
            return 65;
        }
    }
    for (int i = 0; i < count; i++) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *units = realloc(*units, (size_t)*cap * sizeof **units);
            if (!*units) {
                fprintf(stderr, "huskyreplay: out of memory\n");
                exit(1);
            }
        }
        struct rp_unit *u = &(*units)[(*n)++];
        memset(u, 0, sizeof *u);
        if (names) {
            snprintf(u->trace, sizeof u->trace, "%s/%s", arg, names[i]->d_name);
            free(names[i]);
        } else {
            snprintf(u->trace, sizeof u->trace, "%s", arg);
        }
    }
    free(names);
    return 0;
}

/* Opens (or builds) every unit's plan.  0, 65 or 1. */
static int open_plans(struct rp_unit *units, int n, int rebuild)
{
    for (int i = 0; i < n; i++) {
        char why[1024];
        int rc = rp_plan_open(units[i].trace, rebuild, &units[i].plan, &units[i].built,
                              units[i].plan_path, sizeof units[i].plan_path, why, sizeof why);
        if (rc != 0) {
            fprintf(stderr, "huskyreplay: %s\n", why);
            return rc;
        }
    }
    return 0;
}

/* Runs every allocator on every unit; returns 1 if any run failed. */
static int run_all(struct rp_unit *units, int nunits, const struct rp_alloc *allocs,
                   int nallocs, const struct rp_opts *o)
{
    int failed = 0;
    for (int i = 0; i < nunits; i++) {
        struct rp_unit *u = &units[i];
        u->cells = xcalloc((size_t)nallocs, sizeof *u->cells);
        if (o->progress)
            fprintf(stderr, "%s\n", u->trace);
        for (int j = 0; j < nallocs; j++) {
            struct rp_cell *c = &u->cells[j];
            c->alloc = &allocs[j];
            if (allocs[j].skipped)
                continue;
            c->runs = xcalloc((size_t)o->runs, sizeof *c->runs);
            for (int r = 0; r < o->runs; r++) {
                rp_run_one(u, &allocs[j], o, r, &c->runs[c->nruns]);
                struct rp_run *res = &c->runs[c->nruns++];
                if (strcmp(res->status, "ok")) {
                    fprintf(stderr, "huskyreplay: %s: %s\n", u->trace, res->msg);
                    failed = 1;
                    break;
                }
            }
        }
    }
    return failed;
}

/* Releases what main built (so leak checkers see a clean exit). */
static void free_units(struct rp_unit *units, int nunits, int nallocs)
{
    for (int i = 0; i < nunits; i++) {
        if (units[i].cells)
            for (int j = 0; j < nallocs; j++)
                free(units[i].cells[j].runs);
        free(units[i].cells);
        rp_plan_unmap(&units[i].plan);
    }
    free(units);
}

static int check_args(const struct rp_args *a)
{
    if (a->inputs_num == 0) {
        fprintf(stderr, "huskyreplay: no trace given (usage: huskyreplay [OPTIONS] "
                "TRACE|DIR...; see --help)\n");
        return 2;
    }
    if (a->runs_arg < 1 || a->runs_arg > 1000) {
        fprintf(stderr, "huskyreplay: -n must be between 1 and 1000\n");
        return 2;
    }
    if (a->timeout_arg < 0) {
        fprintf(stderr, "huskyreplay: --timeout must not be negative\n");
        return 2;
    }
    return 0;
}

static int write_outputs(const struct rp_args *a, struct rp_unit *units, int nunits,
                         int nallocs)
{
    int bad = 0;
    if (!a->quiet_flag)
        rp_print_table(stdout, units, nunits, nallocs);
    if (a->csv_given)
        bad |= rp_write_csv(a->csv_arg, units, nunits, nallocs);
    if (a->json_given)
        bad |= rp_write_json(a->json_arg, units, nunits, nallocs);
    if (a->plot_given) {
        int plot_bad = rp_write_plot(a->plot_arg, units, nunits, nallocs);
        if (!plot_bad && !a->no_draw_flag)
            plot_bad = hk_draw_charts("huskyreplay", a->plot_arg, a->quiet_flag);
        bad |= plot_bad;
    }
    return bad;
}

int main(int argc, char **argv)
{
    struct rp_args a;
    if (rp_cmdline_parser(argc, argv, &a) != 0) {
        rp_cmdline_parser_free(&a);
        return 2;
    }
    int rc = check_args(&a);
    struct rp_unit *units = NULL;
    int nunits = 0, cap = 0;
    for (unsigned i = 0; rc == 0 && i < a.inputs_num; i++)
        rc = add_units(a.inputs[i], &units, &nunits, &cap);
    if (rc == 0)
        rc = open_plans(units, nunits, a.rebuild_flag);
    if (rc != 0 || a.plan_flag) {
        for (int i = 0; rc == 0 && i < nunits; i++)
            rp_print_plan(stdout, &units[i]);
        free_units(units, nunits, 0);
        rp_cmdline_parser_free(&a);
        return rc;
    }
    struct rp_alloc *allocs = NULL;
    int nallocs = 0;
    struct rp_opts o = { .runs = a.runs_arg, .verify = a.verify_flag, .touch = a.touch_arg,
                         .serial = a.serial_flag, .timeout_s = a.timeout_arg,
                         .progress = isatty(2) };
    if ((rc = rp_allocs_parse(a.allocators_arg, &allocs, &nallocs)) == 0 &&
        !rp_find_worker(o.worker, sizeof o.worker)) {
        fprintf(stderr, "huskyreplay: huskyreplay-worker not found (set HUSKY_LIBEXEC_PATH "
                "or install husky)\n");
        rc = 1;
    }
    if (rc == 0) {
        rc = run_all(units, nunits, allocs, nallocs, &o);
        rp_summarize(units, nunits, nallocs);
        rc |= write_outputs(&a, units, nunits, nallocs);
    }
    free_units(units, nunits, nallocs);
    free(allocs);
    rp_cmdline_parser_free(&a);
    return rc;
}
