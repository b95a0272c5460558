/* tool.h: internals of the huskyreplay tool (the parent process): which
 * allocators run, what each run produced, and how results are reported. */
#ifndef HUSKY_RP_TOOL_H
#define HUSKY_RP_TOOL_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "replay/rp.h"

/* An allocator to compare. */
struct rp_alloc {
    char name[64];            /* glibc, jemalloc, ..., or the NAME of NAME=PATH */
    char path[PATH_MAX];      /* library to preload; empty for glibc */
    int skipped;              /* not installed / not built: a skipped row */
};

/* Options of one invocation. */
struct rp_opts {
    int runs;                 /* -n */
    int verify;               /* --verify */
    const char *touch;        /* none, page, full */
    int serial;               /* --serial */
    double timeout_s;         /* --timeout, 0 = none */
    int progress;             /* progress bar on stderr */
    char worker[PATH_MAX];    /* huskyreplay-worker */
};

/* What one replay run produced. */
struct rp_run {
    char status[48];          /* ok, crashed:SIGSEGV, timeout, verify-failed, error */
    char msg[RP_MSG + 128];   /* why it failed, one line */
    double wall_s, user_s, sys_s;
    uint64_t minflt, peak_kb, end_kb, baseline_kb;
    uint64_t worker_maxrss_kb; /* the worker's whole peak RSS (getrusage of the child) */
    uint64_t replay_nulls, extra_results;
    uint32_t emulated;        /* kinds the allocator lacks (bits of rp_kind) */
    uint64_t rss_progress[RP_LIVE_POINTS + 1];
    uint32_t time_samples;
    struct rp_time_sample rss_time[RP_TIME_POINTS];
    uint64_t hist[RP_K_COUNT][RP_HIST_BUCKETS];
};

/* One trace unit (one traced process) against one allocator. */
struct rp_cell {
    const struct rp_alloc *alloc;
    int nruns;                /* runs done */
    struct rp_run *runs;      /* [nruns] */
    char status[48];          /* ok, or the first failure's status */
    char msg[RP_MSG + 128];   /* the first failure's message */
    /* medians over the ok runs (min and max for wall) */
    double wall_s, wall_min, wall_max, ops_per_s, user_s, sys_s;
    double minflt, peak_kb, end_kb, frag;
    double time_ratio, rss_ratio;  /* against the unit's first allocator; 0 = n/a */
    uint64_t hist[RP_K_COUNT][RP_HIST_BUCKETS]; /* all ok runs merged */
    uint64_t rss_progress[RP_LIVE_POINTS + 1];  /* median per point */
    int ok_runs;              /* runs with status ok */
};

/* One traced process. */
struct rp_unit {
    char trace[PATH_MAX];     /* the .htr file */
    char plan_path[PATH_MAX]; /* its plan */
    struct rp_plan plan;      /* mapped */
    int built;                /* the plan was (re)built now */
    struct rp_cell *cells;    /* [nallocs] */
};

/* allocators.c */
int rp_allocs_parse(const char *list, struct rp_alloc **out, int *n);
int rp_find_worker(char *out, size_t len);

/* run.c */
void rp_run_one(const struct rp_unit *u, const struct rp_alloc *a, const struct rp_opts *o,
                int run_index, struct rp_run *res);

/* report.c */
void rp_summarize(struct rp_unit *units, int nunits, int nallocs);
void rp_print_table(FILE *f, const struct rp_unit *units, int nunits, int nallocs);
void rp_print_plan(FILE *f, const struct rp_unit *u);
int rp_write_csv(const char *path, const struct rp_unit *units, int nunits, int nallocs);
int rp_write_json(const char *path, const struct rp_unit *units, int nunits, int nallocs);
int rp_write_plot(const char *dir, const struct rp_unit *units, int nunits, int nallocs);

#endif
