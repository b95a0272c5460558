/* worker.c: huskyreplay-worker, started fresh by huskyreplay for each
 * allocator and run, with that allocator preloaded.
 *
 *   huskyreplay-worker PLAN SHARED_FD TOUCH VERIFY SERIAL
 *
 * It maps the plan and the tool's shared result area, builds its object
 * table from mmap, starts one thread per traced thread (or one thread that
 * follows the global order with --serial), measures its baseline RSS while
 * they wait at the barrier, releases them together and samples RSS (at fixed
 * fractions of the plan's ops and by wall clock) until they are done.  Every
 * figure goes into the shared area; a crash leaves the signal and the
 * position there.  No malloc of its own: memory comes from mmap, output is
 * one write(2).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "replay/worker.h"

#define WK_SAMPLE_START_US 1000u   /* first wall-clock sampling interval */

uint64_t wk_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Anonymous RSS in KiB: resident minus shared (file-backed) pages. */
uint64_t wk_anon_kb(int statm_fd)
{
    char buf[256];
    ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    uint64_t f[3] = { 0, 0, 0 };
    const char *s = buf;
    for (int i = 0; i < 3; i++) {
        while (*s == ' ')
            s++;
        while (*s >= '0' && *s <= '9')
            f[i] = f[i] * 10 + (uint64_t)(*s++ - '0');
    }
    uint64_t pages = f[1] > f[2] ? f[1] - f[2] : 0;
    return pages * ((uint64_t)sysconf(_SC_PAGESIZE) / 1024);
}

/* Ends the worker with a message in the shared area (and on stderr). */
void wk_fail(struct rp_shared *sh, uint32_t status, const char *msg)
{
    if (sh) {
        snprintf(sh->msg, sizeof sh->msg, "%s", msg);
        __atomic_store_n(&sh->status, status, __ATOMIC_RELEASE);
    }
    char line[RP_MSG + 64];
    int n = snprintf(line, sizeof line, "huskyreplay-worker: %s\n", msg);
    if (n > 0 && write(2, line, (size_t)n) < 0)
        n = 0;
    _exit(1);
}

static uint64_t rss_now(struct wk_ctx *c)
{
    uint64_t kb = wk_anon_kb(c->statm_fd);
    kb = kb > c->baseline_kb ? kb - c->baseline_kb : 0;
    uint64_t peak = __atomic_load_n(&c->peak_kb, __ATOMIC_RELAXED);
    while (kb > peak && !__atomic_compare_exchange_n(&c->peak_kb, &peak, kb, 0,
                                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    return kb;
}

/* RSS at progress point k (the k/100 of the plan's ops just completed). */
void wk_point_sample(struct wk_ctx *c, unsigned k)
{
    c->sh->rss_progress[k] = rss_now(c);
}

/* RSS right after the op that makes the trace's live bytes peak: the
 * sampler's clock may miss a short peak, this sample does not. */
void wk_peak_sample(struct wk_ctx *c)
{
    (void)rss_now(c);
}

/* ---- replay threads ---- */

static void futex_wait(volatile uint32_t *addr, uint32_t val)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_all(volatile uint32_t *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

static void barrier_wait(struct wk_ctx *c)
{
    __atomic_add_fetch(&c->ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&c->start, __ATOMIC_ACQUIRE))
        futex_wait(&c->start, 0);
}

/* Records when the last replay thread finished. */
static void mark_end(struct wk_ctx *c)
{
    uint64_t now = wk_now_ns(), seen = __atomic_load_n(&c->end_ns, __ATOMIC_RELAXED);
    while (now > seen && !__atomic_compare_exchange_n(&c->end_ns, &seen, now, 0,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* A replay thread: all ops of its plan thread, dependencies honoured. */
static void *thread_main(void *arg)
{
    struct wk_thread *w = arg;
    struct wk_ctx *c = w->ctx;
    uint64_t g = 0;
    unsigned k = 1;
    wk_set_current(w);
    wk_plan_window(w);
    barrier_wait(c);
    wk_replay(w, UINT64_MAX, 1, &g, &k);
    mark_end(c);
    __atomic_add_fetch(&c->finished, 1, __ATOMIC_ACQ_REL);
    return NULL;
}

/* --serial: one thread replays the ops in the trace's global order. */
struct serial_arg {
    struct wk_ctx *c;         /* context */
    struct wk_thread *th;     /* every plan thread's state */
};

static void *serial_main(void *arg)
{
    struct serial_arg *s = arg;
    struct wk_ctx *c = s->c;
    const struct rp_plan_header *h = c->plan.h;
    uint64_t g = 0;
    unsigned k = 1;
    barrier_wait(c);
    for (uint64_t r = 0; r < h->runs; r++) {
        uint32_t t = c->plan.runs[r] >> 16, n = c->plan.runs[r] & 0xffffu;
        if (t >= h->threads)
            wk_fail(c->sh, RP_ST_ERROR, "plan damaged (serial schedule): rebuild it");
        struct wk_thread *w = &s->th[t];
        wk_set_current(w);
        wk_replay(w, n, 0, &g, &k);
    }
    mark_end(c);
    __atomic_add_fetch(&c->finished, 1, __ATOMIC_ACQ_REL);
    return NULL;
}

/* ---- setup ---- */

static void *map_anon(size_t n, int populate)
{
    void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void setup_threads(struct wk_ctx *c, struct wk_thread *th, uint64_t *hist)
{
    const struct rp_plan *pl = &c->plan;
    for (uint32_t t = 0; t < pl->h->threads; t++) {
        const struct rp_plan_thread *pt = &pl->threads[t];
        th[t] = (struct wk_thread){
            .ctx = c, .t = t, .ops = pl->ops + pt->op_first, .deps = pl->deps + pt->dep_first,
            .exts = pl->exts + pt->ext_first, .nops = pt->ops, .ndeps = pt->deps,
            .nexts = pt->exts,
            .next_sample = t % 64, .rng = 0x9e3779b97f4a7c15ull * (t + 1),
            .hist = hist + (size_t)t * RP_K_COUNT * RP_HIST_BUCKETS };
        if (pl->h->peak_live && pl->h->peak_thread == t)
            th[t].peak_at = pl->h->peak_done;
    }
    for (unsigned k = 0; k <= RP_LIVE_POINTS; k++)
        c->points[k] = (k * pl->h->ops + RP_LIVE_POINTS - 1) / RP_LIVE_POINTS;
}

/* Starts the replay threads; returns how many. */
static uint32_t start_threads(struct wk_ctx *c, struct wk_thread *th, int serial,
                              struct serial_arg *sa, pthread_t *serial_pt)
{
    uint32_t n = 0;
    if (serial) {
        *sa = (struct serial_arg){ c, th };
        if (pthread_create(serial_pt, NULL, serial_main, sa) != 0)
            wk_fail(c->sh, RP_ST_ERROR, "cannot start the replay thread");
        c->inline_points = 1;
        return 1;
    }
    for (uint32_t t = 0; t < c->plan.h->threads; t++)
        n += th[t].nops > 0;
    c->inline_points = n == 1;
    for (uint32_t t = 0; t < c->plan.h->threads; t++) {
        if (!th[t].nops)
            continue;
        if (pthread_create(&th[t].pt, NULL, thread_main, &th[t]) != 0)
            wk_fail(c->sh, RP_ST_ERROR, "cannot start a replay thread (too many threads?)");
    }
    return n;
}

/* Wall-clock RSS samples, thinned by half whenever the array fills. */
static void time_sample(struct wk_ctx *c, uint64_t *interval_us, uint64_t *next_us)
{
    struct rp_shared *sh = c->sh;
    uint64_t t_us = (wk_now_ns() - c->t0_ns) / 1000;
    if (t_us < *next_us)
        return;
    uint64_t done = 0;
    for (uint32_t t = 0; t < sh->threads; t++)
        done += __atomic_load_n(&sh->progress[t].done, __ATOMIC_RELAXED);
    if (sh->time_samples == RP_TIME_POINTS) {
        for (uint32_t i = 0; i < RP_TIME_POINTS / 2; i++)
            sh->rss_time[i] = sh->rss_time[2 * i];
        sh->time_samples = RP_TIME_POINTS / 2;
        *interval_us *= 2;
    }
    sh->rss_time[sh->time_samples++] = (struct rp_time_sample){ t_us, rss_now(c), done };
    *next_us = t_us + *interval_us;
}

/* The sampler: the main thread polls progress while the replay runs. */
static unsigned sample_until_done(struct wk_ctx *c, uint32_t nthreads)
{
    struct rp_shared *sh = c->sh;
    uint64_t interval = WK_SAMPLE_START_US, next = 0;
    unsigned k = 1;
    while (__atomic_load_n(&c->finished, __ATOMIC_ACQUIRE) < nthreads) {
        time_sample(c, &interval, &next);
        if (!c->inline_points) {
            uint64_t done = 0;
            for (uint32_t t = 0; t < sh->threads; t++)
                done += __atomic_load_n(&sh->progress[t].done, __ATOMIC_RELAXED);
            while (k <= RP_LIVE_POINTS && done >= c->points[k])
                wk_point_sample(c, k++);
        }
        struct timespec ts = { 0, 500000 };
        nanosleep(&ts, NULL);
    }
    next = 0;
    time_sample(c, &interval, &next);
    return c->inline_points ? RP_LIVE_POINTS + 1 : k;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Maps the tool's shared area and the plan, and makes the object table. */
static void setup(struct wk_ctx *c, const char *plan_path, int shared_fd)
{
    char why[256];
    off_t sz = lseek(shared_fd, 0, SEEK_END);
    void *m = sz > 0 ? mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, 0)
                     : MAP_FAILED;
    if (m == MAP_FAILED)
        wk_fail(NULL, 0, "cannot map the shared result area");
    c->sh = m;
    if ((size_t)sz < sizeof *c->sh || c->sh->layout != RP_SHARED_LAYOUT)
        wk_fail(NULL, 0, "this worker belongs to another build of huskyreplay");
    int fd = open(plan_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || rp_plan_map(fd, &c->plan, why, sizeof why) != 0)
        wk_fail(c->sh, RP_ST_ERROR, fd < 0 ? "cannot open the plan" : why);
    close(fd);
    if (rp_shared_size((uint32_t)c->plan.h->threads) > (size_t)sz)
        wk_fail(c->sh, RP_ST_ERROR, "shared result area too small for the plan");
    c->sh->threads = (uint32_t)c->plan.h->threads;
    c->nobj = c->plan.h->objects;
    c->obj = map_anon(c->nobj * sizeof *c->obj, 1);
    c->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (!c->obj || c->statm_fd < 0)
        wk_fail(c->sh, RP_ST_ERROR, "cannot map the object table or read /proc/self/statm");
}

static void finish(struct wk_ctx *c, struct wk_thread *th, const uint64_t *hist,
                   struct rusage *r0, struct rusage *r1, uint64_t t1_ns, unsigned k)
{
    struct rp_shared *sh = c->sh;
    sh->wall_s = (double)(t1_ns - c->t0_ns) / 1e9;
    sh->user_s = tv_s(r1->ru_utime) - tv_s(r0->ru_utime);
    sh->sys_s = tv_s(r1->ru_stime) - tv_s(r0->ru_stime);
    sh->minflt = (uint64_t)(r1->ru_minflt - r0->ru_minflt);
    sh->end_kb = rss_now(c);
    for (; k <= RP_LIVE_POINTS; k++)
        sh->rss_progress[k] = sh->end_kb;
    sh->peak_kb = c->peak_kb;
    sh->baseline_kb = c->baseline_kb;
    for (uint32_t t = 0; t < sh->threads; t++) {
        sh->replay_nulls += th[t].replay_nulls;
        sh->extra_results += th[t].extra_results;
        const uint64_t *h = hist + (size_t)t * RP_K_COUNT * RP_HIST_BUCKETS;
        for (size_t i = 0; i < (size_t)RP_K_COUNT * RP_HIST_BUCKETS; i++)
            (&sh->hist[0][0])[i] += h[i];
    }
    __atomic_store_n(&sh->status, RP_ST_OK, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
    static struct wk_ctx c;
    struct serial_arg sa;
    pthread_t serial_pt;
    struct rusage r0, r1;
    if (argc != 6) {
        static const char usage[] =
            "usage: huskyreplay-worker PLAN SHARED_FD none|page|full VERIFY SERIAL\n"
            "(started by huskyreplay; not meant to be run by hand)\n";
        if (write(2, usage, sizeof usage - 1) < 0)
            return 2;
        return 2;
    }
    c.touch = !strcmp(argv[3], "none") ? WK_TOUCH_NONE
            : !strcmp(argv[3], "full") ? WK_TOUCH_FULL : WK_TOUCH_PAGE;
    c.verify = atoi(argv[4]) != 0;
    int serial = atoi(argv[5]) != 0;
    setup(&c, argv[1], atoi(argv[2]));
    wk_crash_handlers(c.sh);
    c.sh->emulated = wk_resolve_family();
    c.sh->latency_tsc = (uint32_t)wk_latency_clock_init();
    uint32_t nt = (uint32_t)c.plan.h->threads;
    struct wk_thread *th = map_anon((nt + 1) * sizeof *th, 1);
    uint64_t *hist = map_anon(((size_t)nt + 1) * RP_K_COUNT * RP_HIST_BUCKETS * 8, 1);
    if (!th || !hist)
        wk_fail(c.sh, RP_ST_ERROR, "cannot map the thread table");
    setup_threads(&c, th, hist);
    uint32_t running = start_threads(&c, th, serial, &sa, &serial_pt);
    while (__atomic_load_n(&c.ready, __ATOMIC_ACQUIRE) < running)
        sched_yield();
    c.baseline_kb = wk_anon_kb(c.statm_fd);
    getrusage(RUSAGE_SELF, &r0);
    c.t0_ns = wk_now_ns();
    c.sh->rss_progress[0] = 0;
    __atomic_store_n(&c.start, 1, __ATOMIC_RELEASE);
    futex_wake_all(&c.start);
    unsigned k = sample_until_done(&c, running);
    uint64_t t1 = c.end_ns > c.t0_ns ? c.end_ns : c.t0_ns;   /* no ops: 0 s */
    getrusage(RUSAGE_SELF, &r1);
    if (serial) {
        pthread_join(serial_pt, NULL);
    } else {
        for (uint32_t t = 0; t < nt; t++)
            if (th[t].nops)
                pthread_join(th[t].pt, NULL);
    }
    finish(&c, th, hist, &r0, &r1, t1, k);
    return 0;
}
