/* worker.h: internals of huskyreplay-worker, the process that replays one
 * plan against whatever malloc is loaded into it (the allocator under test is
 * preloaded; glibc's otherwise).  Everything here takes its memory from mmap:
 * the only malloc-family calls the worker makes are the replayed ones. */
#ifndef HUSKY_RP_WORKER_H
#define HUSKY_RP_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "replay/rp.h"

enum wk_touch { WK_TOUCH_NONE = 0, WK_TOUCH_PAGE, WK_TOUCH_FULL };

/* One live object of the replay (indexed by plan object id). */
struct wk_obj {
    void *p;                  /* what the allocator returned, NULL if none */
    uint64_t size;            /* bytes the plan asked for */
};

/* What all replay threads share. */
struct wk_ctx {
    struct rp_plan plan;      /* the mapped plan */
    struct rp_shared *sh;     /* results, seen by the tool */
    struct wk_obj *obj;       /* object table [plan objects] */
    uint64_t nobj;            /* entries in obj */
    int touch;                /* enum wk_touch */
    int verify;               /* fill and check patterns, check alignment */
    int statm_fd;             /* /proc/self/statm, for RSS */
    uint64_t baseline_kb;     /* anonymous RSS before the replay */
    uint64_t t0_ns;           /* when the replay started */
    volatile uint32_t start;  /* futex: 1 once the barrier is released */
    volatile uint32_t ready;  /* threads waiting at the barrier */
    volatile uint32_t finished; /* threads done */
    volatile uint64_t end_ns; /* when the last replay thread finished */
    volatile uint64_t peak_kb; /* highest RSS sample so far */
    int inline_points;        /* one replay thread: it samples the RSS points */
    uint64_t points[RP_LIVE_POINTS + 1]; /* op counts at k/100 of the plan */
};

/* State of one plan thread while it is replayed.  Each thread writes its own
 * cursors at every op: aligned to 128 bytes (two cache lines, which
 * adjacent-line prefetchers fetch together), no two threads share a line. */
struct __attribute__((aligned(128))) wk_thread {
    struct wk_ctx *ctx;       /* shared context */
    uint32_t t;               /* plan thread index */
    const struct rp_op *ops;  /* its ops */
    const struct rp_dep *deps; /* its dependencies */
    const struct rp_ext *exts; /* its wide arguments */
    uint64_t nops;            /* its op count */
    uint64_t ndeps, nexts;    /* its dependency and ext counts */
    uint64_t i, dc, ec;       /* cursors: next op, dep, ext */
    uint64_t replay_nulls;    /* calls that failed only here */
    uint64_t extra_results;   /* calls that succeeded only here */
    const void *dropped;      /* plan pages below this are dropped */
    uint64_t next_sample;     /* op index of the next timed op */
    uint64_t rng;             /* xorshift state for the sampling gaps */
    uint64_t peak_at;         /* sample RSS after this many ops (peak live), or 0 */
    uint64_t *hist;           /* [RP_K_COUNT][RP_HIST_BUCKETS], mmap'd */
    pthread_t pt;             /* its pthread */
};

/* worker_ops.c */
void wk_replay(struct wk_thread *w, uint64_t n, int wait, uint64_t *g, unsigned *k);
void wk_plan_window(struct wk_thread *w);
void wk_set_current(struct wk_thread *w);
void wk_crash_handlers(struct rp_shared *sh);
unsigned wk_resolve_family(void);
int wk_latency_clock_init(void);

/* worker.c */
uint64_t wk_now_ns(void);
uint64_t wk_anon_kb(int statm_fd);
void wk_fail(struct rp_shared *sh, uint32_t status, const char *msg);
void wk_point_sample(struct wk_ctx *c, unsigned k);
void wk_peak_sample(struct wk_ctx *c);

#endif
