/* main.c: huskysim's command line: which policies, which traces, then the
 * simulation of each trace (every policy runs the same operation batches)
 * and the outputs.  Exit status: 0 ok, 1 a --check failed or the model ran
 * out of memory, 2 bad usage, 65 a bad or missing trace.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/charts.h"
#include "sim/cmdline_sim.h"
#include "sim/load.h"
#include "sim/output.h"
#include "sim/sim.h"

#define BATCH 65536             /* operations per batch */
#define NPOL 8                  /* policies known */

/* What the command line asks for. */
struct job {
    const struct sim_policy *pol[NPOL]; /* policies, in the order given */
    size_t npol;
    struct sim_config cfg;      /* header, align, page (0: the trace's), check */
    char **paths;               /* traces to simulate */
    size_t npaths, cap;
    struct sim_result *res;     /* results, trace-major */
    size_t nres;
};

static int usage_error(const char *msg, const char *what)
{
    fprintf(stderr, "huskysim: %s%s; see huskysim --help\n", msg, what ? what : "");
    return 2;
}

/* Fills job->pol from "all" or a comma-separated list; 0 or 2. */
static int parse_policies(struct job *job, const char *list)
{
    if (strcmp(list, "all") == 0) {
        for (size_t i = 0; sim_policies[i] && i < NPOL; i++)
            job->pol[job->npol++] = sim_policies[i];
        return 0;
    }
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return usage_error("out of memory", NULL);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const struct sim_policy *p = sim_policy_find(tok);
        int dup = 0;
        for (size_t i = 0; p && i < job->npol; i++)
            dup |= job->pol[i] == p;
        if (!p) {
            fprintf(stderr, "huskysim: unknown policy '%s' (known: ff-lifo, ff-fifo, "
                    "ff-addr, next-fit, best-fit, buddy, simple-seg, seg-fit); see "
                    "huskysim --help\n", tok);
            free(copy);
            return 2;
        }
        if (!dup)
            job->pol[job->npol++] = p;
    }
    free(copy);
    return job->npol ? 0 : usage_error("no policy given to -p", NULL);
}

static int pow2(long v)
{
    return v > 0 && !(v & (v - 1));
}

/* Header, alignment and page size from the options; 0 or 2. */
static int parse_sizes(struct job *job, const struct sim_args *a)
{
    if (a->header_arg < 0 || a->header_arg > 65536)
        return usage_error("--header must be between 0 and 65536", NULL);
    if (!pow2(a->align_arg) || a->align_arg < 8 || a->align_arg > 65536)
        return usage_error("--align must be a power of two from 8 to 65536", NULL);
    if (a->page_given && (!pow2(a->page_arg) || a->page_arg < a->align_arg ||
                          a->page_arg > (1l << 30)))
        return usage_error("--page must be a power of two, at least --align, at most 1 GiB",
                           NULL);
    job->cfg.header = (uint64_t)a->header_arg;
    job->cfg.align = (uint64_t)a->align_arg;
    job->cfg.page = a->page_given ? (uint64_t)a->page_arg : 0;
    job->cfg.check = a->check_flag;
    return 0;
}

static int add_path(struct job *job, const char *p)
{
    if (job->npaths == job->cap) {
        size_t cap = job->cap ? 2 * job->cap : 16;
        char **v = realloc(job->paths, cap * sizeof *v);
        if (!v)
            return -1;
        job->paths = v;
        job->cap = cap;
    }
    job->paths[job->npaths] = strdup(p);
    return job->paths[job->npaths++] ? 0 : -1;
}

static int htr_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 4 && strcmp(d->d_name + n - 4, ".htr") == 0;
}

/* A trace file, or every .htr file of a folder in name order; 0 or 65. */
static int add_input(struct job *job, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
        fprintf(stderr, "huskysim: %s: offset 0: no such trace file or folder\n", arg);
        return 65;
    }
    if (!S_ISDIR(st.st_mode))
        return add_path(job, arg) ? 1 : 0;
    struct dirent **names;
    int n = scandir(arg, &names, htr_filter, alphasort);
    if (n <= 0) {
        fprintf(stderr, "huskysim: %s: offset 0: folder holds no .htr trace\n", arg);
        return 65;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(arg) + strlen(names[i]->d_name) + 2;
        char *p = malloc(len);
        if (p) {
            snprintf(p, len, "%s/%s", arg, names[i]->d_name);
            if (add_path(job, p) < 0)
                rc = 1;
        }
        rc = p ? rc : 1;
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Runs every policy over one trace, batch by batch; appends the results.
 * Returns 0, 1 (the model failed) or 65 (bad trace). */
static int simulate(struct job *job, const char *path, struct sim_op *ops)
{
    struct sim_loader L;
    struct sim_state st[NPOL];
    char why[1024];
    if (sim_load_open(&L, path, why, sizeof why) < 0) {
        fprintf(stderr, "huskysim: %s\n", why);
        return 65;
    }
    struct sim_config cfg = job->cfg;
    if (!cfg.page)
        cfg.page = L.page >= cfg.align ? L.page : cfg.align;
    size_t ninit = 0;
    int rc = 0;
    for (; ninit < job->npol && rc == 0; ninit++)
        rc = sim_state_init(&st[ninit], job->pol[ninit], &cfg) < 0 ? 1 : 0;
    snprintf(why, sizeof why, "out of memory");
    while (rc == 0) {
        long n = sim_load_next(&L, ops, BATCH, why, sizeof why);
        if (n <= 0) {
            rc = n < 0 ? 65 : 0;
            break;
        }
        for (size_t p = 0; p < job->npol && rc == 0; p++)
            if (sim_run_ops(&st[p], ops, (size_t)n, why, sizeof why) < 0)
                rc = 1;
    }
    if (rc) {
        fprintf(stderr, "huskysim: %s%s%s\n", rc == 1 ? path : "", rc == 1 ? ": " : "", why);
    } else {
        if (L.anomalies)
            fprintf(stderr, "huskysim: %s: warning: %llu events skipped (frees of addresses "
                    "never handed out, addresses handed out twice, impossible sizes)\n",
                    path, (unsigned long long)L.anomalies);
        for (size_t p = 0; p < job->npol; p++) {
            sim_metrics_finish(&st[p]);
            job->res[job->nres++] = (struct sim_result){path, job->pol[p], st[p].m,
                                                        L.events, L.anomalies};
        }
    }
    for (size_t p = 0; p < ninit; p++)
        sim_state_fini(&st[p]);
    sim_load_close(&L);
    return rc;
}

/* Table, --csv, --json, --plot. */
static int write_outputs(const struct job *job, const struct sim_args *a)
{
    char why[1024];
    if (!a->quiet_flag)
        sim_print_table(stdout, job->res, job->nres);
    int bad = (a->csv_given && sim_write_csv(a->csv_arg, job->res, job->nres, why,
                                              sizeof why) < 0) ||
              (a->json_given && sim_write_json(a->json_arg, job->res, job->nres, &job->cfg,
                                                why, sizeof why) < 0) ||
              (a->plot_given && sim_write_plot(a->plot_arg, job->res, job->nres, why,
                                                sizeof why) < 0);
    if (bad)
        fprintf(stderr, "huskysim: %s\n", why);
    else if (a->plot_given && !a->no_draw_flag)
        bad = hk_draw_charts("huskysim", a->plot_arg, a->quiet_flag);
    return bad ? 1 : 0;
}

static int run(struct job *job, const struct sim_args *a)
{
    int rc = parse_policies(job, a->policies_arg);
    rc = rc ? rc : parse_sizes(job, a);
    if (rc == 0 && a->inputs_num == 0)
        rc = usage_error("no trace given", NULL);
    for (unsigned i = 0; rc == 0 && i < a->inputs_num; i++)
        rc = add_input(job, a->inputs[i]);
    struct sim_op *ops = rc ? NULL : malloc(BATCH * sizeof *ops);
    job->res = rc ? NULL : calloc(job->npaths * job->npol + 1, sizeof *job->res);
    if (rc == 0 && (!ops || !job->res)) {
        fprintf(stderr, "huskysim: out of memory\n");
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < job->npaths; i++)
        rc = simulate(job, job->paths[i], ops);
    if (rc == 0)
        rc = write_outputs(job, a);
    free(ops);
    return rc;
}

int main(int argc, char **argv)
{
    struct sim_args a;
    if (sim_cmdline(argc, argv, &a) != 0) {
        sim_cmdline_free(&a);       /* the parser keeps its defaults on failure */
        return usage_error("bad command line", NULL);
    }
    struct job job;
    memset(&job, 0, sizeof job);
    int rc = run(&job, &a);
    for (size_t i = 0; i < job.npaths; i++)
        free(job.paths[i]);
    free(job.paths);
    free(job.res);
    sim_cmdline_free(&a);
    return rc;
}
