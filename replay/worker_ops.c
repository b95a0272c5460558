/* worker_ops.c: one replayed operation: wait for its dependency, call the
 * allocator (timing every 64th call), touch or fill the block, and with
 * --verify check the object's pattern and the block's alignment.
 *
 * Built with -fno-builtin so that the compiler keeps every malloc/free pair.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "replay/worker.h"

#define WK_SAMPLE_JITTER 127u  /* time one op in 64 on average, at random gaps */
#define WK_PAGE        4096u   /* stride of --touch=page */
#define WK_DROP_EVERY  0xffffu /* drop replayed plan pages every 64 Ki ops */

/* The thread and op a fatal signal interrupts (read by the handler). */
static __thread struct wk_thread *cur;
static struct rp_shared *crash_sh;

void wk_set_current(struct wk_thread *w)
{
    cur = w;
}

/* Records where the crash happened in the shared results, then dies of the
 * same signal, so the tool sees both the signal and the position. */
static void on_fatal(int sig)
{
    if (crash_sh && cur) {
        crash_sh->crash_thread = (int32_t)cur->t;
        crash_sh->crash_op = cur->i;
    }
    if (crash_sh)
        crash_sh->crash_signal = sig;
    signal(sig, SIG_DFL);
    raise(sig);
}

void wk_crash_handlers(struct rp_shared *sh)
{
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    crash_sh = sh;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

/* ---- the latency clock ---- */

/* Sampled calls are timed with the TSC when it ticks at a constant rate
 * (a few ns to read, where clock_gettime costs 20-30 ns and would hide the
 * fast paths), converted with a factor measured at start-up; otherwise with
 * CLOCK_MONOTONIC.  tsc_mult is ns per tick in 32.32 fixed point, 0 when the
 * TSC is not used. */
static uint64_t tsc_mult;

static inline uint64_t lat_clock(void)
{
#if defined(__x86_64__)
    if (tsc_mult) {
        __builtin_ia32_lfence();
        return __builtin_ia32_rdtsc() | 1;     /* never 0: 0 means "not timed" */
    }
#endif
    return wk_now_ns();
}

static inline uint64_t lat_ns(uint64_t d)
{
    return tsc_mult ? (uint64_t)(((unsigned __int128)d * tsc_mult) >> 32) : d;
}

/* Whether /proc/cpuinfo says the TSC runs at a constant rate. */
static int tsc_constant(void)
{
    static char buf[16384];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strstr(buf, " constant_tsc") && strstr(buf, " nonstop_tsc");
}

/* Chooses the latency clock; returns 1 for the TSC, 0 for CLOCK_MONOTONIC. */
int wk_latency_clock_init(void)
{
#if defined(__x86_64__)
    if (!tsc_constant())
        return 0;
    uint64_t n0 = wk_now_ns(), c0 = __builtin_ia32_rdtsc();
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
    uint64_t n1 = wk_now_ns(), c1 = __builtin_ia32_rdtsc();
    if (c1 <= c0 || n1 <= n0)
        return 0;
    tsc_mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (c1 - c0));
    return tsc_mult != 0;
#else
    return 0;
#endif
}

/* ---- dependencies ---- */

/* Waits until thread d->thread has done d->done ops: spin briefly (the
 * producer is usually running), then yield, then sleep in short naps so a
 * long wait does not burn a core. */
static void wait_dep(struct wk_ctx *c, const struct rp_dep *d)
{
    volatile uint64_t *done = &c->sh->progress[d->thread].done;
    for (unsigned n = 0; __atomic_load_n(done, __ATOMIC_ACQUIRE) < d->done; n++) {
        if (n < 256) {
            __builtin_ia32_pause();
        } else if (n < 4096) {
            sched_yield();
        } else {
            struct timespec ts = { 0, 50000 };
            nanosleep(&ts, NULL);
        }
    }
}

/* ---- patterns ---- */

static uint64_t pattern_word(uint32_t id)
{
    uint64_t x = (uint64_t)id * 0x9e3779b97f4a7c15ull + 0x6a09e667f3bcc909ull;
    x ^= x >> 29;
    return x | 0x0101010101010101ull;  /* never a zero byte */
}

static void fill(void *p, uint64_t from, uint64_t to, uint32_t id)
{
    uint64_t w = pattern_word(id);
    unsigned char *b = p;
    uint64_t i = from;
    for (; i < to && (i & 7); i++)
        b[i] = (unsigned char)(w >> (8 * (i & 7)));
    for (; i + 8 <= to; i += 8)
        *(uint64_t *)(void *)(b + i) = w;
    for (; i < to; i++)
        b[i] = (unsigned char)(w >> (8 * (i & 7)));
}

static void verify_fail(struct wk_thread *w, uint32_t id, const char *what, uint64_t byte,
                        uint64_t size)
{
    char msg[RP_MSG];
    snprintf(msg, sizeof msg,
             "object %u (thread %u, op %llu, %s): %s at byte %llu of %llu",
             id, w->t, (unsigned long long)w->i, rp_kind_name(w->ops[w->i].kind), what,
             (unsigned long long)byte, (unsigned long long)size);
    wk_fail(w->ctx->sh, RP_ST_VERIFY_FAILED, msg);
}

/* Checks bytes [0, n) of object id's block. */
static void check(struct wk_thread *w, const void *p, uint64_t n, uint32_t id, uint64_t size)
{
    uint64_t word = pattern_word(id);
    const unsigned char *b = p;
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (*(const uint64_t *)(const void *)(b + i) != word)
            break;
    for (; i < n; i++)
        if (b[i] != (unsigned char)(word >> (8 * (i & 7))))
            verify_fail(w, id, "pattern overwritten (overlap or corruption)", i, size);
}

static void check_zero(struct wk_thread *w, const void *p, uint64_t n, uint32_t id)
{
    const unsigned char *b = p;
    for (uint64_t i = 0; i < n; i++)
        if (b[i])
            verify_fail(w, id, "calloc block not zeroed", i, n);
}

/* Touches bytes [from, to) of a new block the way the options ask. */
static void touch(struct wk_thread *w, void *p, uint64_t from, uint64_t to, uint32_t id)
{
    struct wk_ctx *c = w->ctx;
    if (c->verify) {
        fill(p, from, to, id);
        return;
    }
    unsigned char *b = p;
    if (c->touch == WK_TOUCH_FULL) {
        memset(b + from, (int)(id | 1), to - from);
    } else if (c->touch == WK_TOUCH_PAGE && to > from) {
        uint64_t first = to - from < 16 ? to - from : 16;
        memset(b + from, (int)(id | 1), first);
        for (uint64_t i = (from + WK_PAGE) & ~(uint64_t)(WK_PAGE - 1); i < to; i += WK_PAGE)
            b[i] = 1;
    }
}

/* ---- the calls ---- */

/* Kinds the allocator under test does not define itself (a bit per kind):
 * calling glibc's version would mix two allocators (jemalloc has no pvalloc
 * or reallocarray, tcmalloc no reallocarray), so those are emulated with the
 * allocator's own memalign/realloc. */
static unsigned emulated;

static int same_object(void *a, void *b)
{
    Dl_info ia, ib;
    if (!dladdr(a, &ia) || !dladdr(b, &ib))
        return 1;
    return ia.dli_fbase == ib.dli_fbase;
}

/* Finds which malloc-family entry points come from the allocator that
 * provides malloc; returns the emulated set (bits of enum rp_kind). */
unsigned wk_resolve_family(void)
{
    void *m = (void *)malloc;
    emulated = 0;
    if (!same_object(m, (void *)memalign))
        emulated |= 1u << RP_K_MEMALIGN;
    if (!same_object(m, (void *)posix_memalign))
        emulated |= 1u << RP_K_POSIX_MEMALIGN;
    if (!same_object(m, (void *)aligned_alloc))
        emulated |= 1u << RP_K_ALIGNED_ALLOC;
    if (!same_object(m, (void *)valloc))
        emulated |= 1u << RP_K_VALLOC;
    if (!same_object(m, (void *)pvalloc))
        emulated |= 1u << RP_K_PVALLOC;
    if (!same_object(m, (void *)reallocarray))
        emulated |= 1u << RP_K_REALLOCARRAY;
    return emulated;
}

/* An aligned block from whichever aligned entry point the allocator has. */
static void *own_memalign(size_t align, size_t size)
{
    void *p = NULL;
    if (!(emulated & (1u << RP_K_MEMALIGN)))
        return memalign(align, size);
    if (!(emulated & (1u << RP_K_POSIX_MEMALIGN)))
        return posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align,
                              size) == 0 ? p : NULL;
    return aligned_alloc(align, size);
}

static void *emulate(unsigned kind, uint64_t size, uint64_t arg)
{
    size_t page = WK_PAGE;
    switch (kind) {
    case RP_K_POSIX_MEMALIGN:
        if (!arg || (arg & (arg - 1)) || arg % sizeof(void *))
            return NULL;
        return own_memalign(arg, size);
    case RP_K_VALLOC: return own_memalign(page, size);
    case RP_K_PVALLOC: return own_memalign(page, size ? (size + page - 1) & ~(page - 1) : page);
    default: return own_memalign(arg, size);
    }
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Calls the allocator for an op that creates memory. */
static void *call_alloc(unsigned kind, uint64_t size, uint64_t arg)
{
    void *p = NULL;
    if (emulated & (1u << kind))
        return emulate(kind, size, arg);
    switch (kind) {
    case RP_K_MALLOC: return malloc(size);
    case RP_K_CALLOC: return calloc(arg, size);
    case RP_K_MEMALIGN: return memalign(arg, size);
    case RP_K_POSIX_MEMALIGN: return posix_memalign(&p, arg, size) == 0 ? p : NULL;
    case RP_K_ALIGNED_ALLOC: return aligned_alloc(arg, size);
    case RP_K_VALLOC: return valloc(size);
    case RP_K_PVALLOC: return pvalloc(size);
    default: return NULL;
    }
}

static void *call_realloc(unsigned kind, void *p, uint64_t size, uint64_t arg)
{
    if (kind == RP_K_REALLOCARRAY && !(emulated & (1u << kind)))
        return reallocarray(p, arg, size);
    if (kind == RP_K_REALLOCARRAY) {
        uint64_t total;
        if (__builtin_mul_overflow(arg, size, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return realloc(p, total);
    }
    return realloc(p, size);
}

static void check_align(struct wk_thread *w, const struct rp_op *op, void *p, uint64_t arg,
                        uint32_t id)
{
    uint64_t a = 0;
    if (op->kind == RP_K_MEMALIGN || op->kind == RP_K_POSIX_MEMALIGN ||
        op->kind == RP_K_ALIGNED_ALLOC)
        a = arg;
    else if (op->kind == RP_K_VALLOC || op->kind == RP_K_PVALLOC)
        a = WK_PAGE;
    if (a && (a & (a - 1)) == 0 && ((uintptr_t)p & (a - 1)))
        verify_fail(w, id, "block not aligned as asked", (uintptr_t)p & (a - 1), a);
}

/* An allocating op (malloc family, or realloc of NULL). */
static void op_alloc(struct wk_thread *w, const struct rp_op *op, uint64_t size, uint64_t arg,
                     uint64_t *t0, uint64_t *t1)
{
    unsigned realloc_kind = op->kind == RP_K_REALLOC || op->kind == RP_K_REALLOCARRAY;
    uint64_t bytes = mul_sat(size, op->kind == RP_K_CALLOC ||
                                   op->kind == RP_K_REALLOCARRAY ? arg : 1);
    if (*t0)
        *t0 = lat_clock();
    void *p = realloc_kind ? call_realloc(op->kind, NULL, size, arg)
                           : call_alloc(op->kind, size, arg);
    if (*t0)
        *t1 = lat_clock();
    if (op->flags & RP_OPF_FAILED) {
        if (p) {
            w->extra_results++;
            free(p);
        }
        return;
    }
    w->ctx->obj[op->obj] = (struct wk_obj){ p, p ? bytes : 0 };
    if (!p) {
        w->replay_nulls += bytes != 0;
        return;
    }
    if (w->ctx->verify) {
        check_align(w, op, p, arg, op->obj);
        if (op->kind == RP_K_CALLOC)
            check_zero(w, p, bytes, op->obj);
    }
    if (w->ctx->verify || w->ctx->touch != WK_TOUCH_NONE)
        touch(w, p, 0, bytes, op->obj);
}

static void op_free(struct wk_thread *w, const struct rp_op *op, uint64_t *t0, uint64_t *t1)
{
    struct wk_obj *o = op->obj == RP_NO_OBJ ? NULL : &w->ctx->obj[op->obj];
    void *p = o ? o->p : NULL;
    if (p && w->ctx->verify)
        check(w, p, o->size, op->obj, o->size);
    if (*t0)
        *t0 = lat_clock();
    free(p);
    if (*t0)
        *t1 = lat_clock();
    if (o)
        *o = (struct wk_obj){ NULL, 0 };
}

/* A realloc that continues an object: the common prefix must survive. */
static void op_resize(struct wk_thread *w, const struct rp_op *op, uint64_t size, uint64_t arg,
                      uint64_t *t0, uint64_t *t1)
{
    struct wk_obj *o = &w->ctx->obj[op->obj];
    uint64_t bytes = mul_sat(size, op->kind == RP_K_REALLOCARRAY ? arg : 1);
    if (o->p && w->ctx->verify)
        check(w, o->p, o->size, op->obj, o->size);
    if (*t0)
        *t0 = lat_clock();
    void *q = call_realloc(op->kind, o->p, size, arg);
    if (*t0)
        *t1 = lat_clock();
    if (op->flags & RP_OPF_ENDS) {
        if (q) {
            w->extra_results++;
            free(q);
        }
        *o = (struct wk_obj){ NULL, 0 };
        return;
    }
    if (!q) {
        /* failed here: the old block stays valid, as it did in the trace
         * when the traced call failed too */
        w->replay_nulls += !(op->flags & RP_OPF_FAILED) && bytes != 0;
        if (!o->p)
            o->size = 0;
        return;
    }
    w->extra_results += (op->flags & RP_OPF_FAILED) != 0;
    uint64_t keep = o->size < bytes ? o->size : bytes;
    if (w->ctx->verify)
        check(w, q, keep, op->obj, bytes);
    *o = (struct wk_obj){ q, bytes };
    if (w->ctx->verify || w->ctx->touch != WK_TOUCH_NONE)
        touch(w, q, keep, bytes, op->obj);
}

/* A plan that passed its checksum but does not hold together (changed
 * under us): stop rather than index outside the tables. */
static void plan_damaged(struct wk_thread *w)
{
    char msg[128];
    snprintf(msg, sizeof msg, "plan damaged at thread %u, op %llu: rebuild it (--rebuild)",
             w->t, (unsigned long long)w->i);
    wk_fail(w->ctx->sh, RP_ST_ERROR, msg);
}

/* Drops the plan pages this thread has replayed from the process (they
 * are file-backed; the page cache keeps them), so that the worker's RSS
 * does not grow with the length of the trace, and maps the next stretch in
 * one call (one fault per page would otherwise stall the replay). */
void wk_plan_window(struct wk_thread *w)
{
    const uintptr_t mask = ~(uintptr_t)(WK_PAGE - 1);
    uintptr_t lo = (uintptr_t)w->dropped, hi = (uintptr_t)&w->ops[w->i] & mask;
    if (!lo)
        lo = ((uintptr_t)w->ops + WK_PAGE - 1) & mask;
    if (hi > lo) {
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
        w->dropped = (const void *)hi;
    }
#ifdef MADV_POPULATE_READ
    uint64_t ahead = w->nops - w->i < WK_DROP_EVERY + 1 ? w->nops - w->i : WK_DROP_EVERY + 1;
    uintptr_t from = (uintptr_t)&w->ops[w->i] & mask;
    uintptr_t to = ((uintptr_t)&w->ops[w->i + ahead] + WK_PAGE - 1) & mask;
    if (to > from)
        madvise((void *)from, to - from, MADV_POPULATE_READ);
#endif
}

/* Replays op w->i of thread w.  `wait`: honour its dependency (not needed
 * in --serial mode, where the global order already holds). */
static inline __attribute__((always_inline)) void do_op(struct wk_thread *w, int wait)
{
    const struct rp_op *op = &w->ops[w->i];
    uint64_t size = op->size, arg = op->arg;
    if (__builtin_expect((op->obj >= w->ctx->nobj && op->obj != RP_NO_OBJ) ||
                         op->kind >= RP_K_COUNT, 0))
        plan_damaged(w);
    if (op->flags & RP_OPF_EXT) {
        if (__builtin_expect(w->ec >= w->nexts, 0))
            plan_damaged(w);
        size = w->exts[w->ec].size;
        arg = w->exts[w->ec].arg;
        w->ec++;
    }
    if (op->flags & RP_OPF_DEP) {
        if (__builtin_expect(w->dc >= w->ndeps ||
                             w->deps[w->dc].thread >= w->ctx->sh->threads, 0))
            plan_damaged(w);
        if (wait)
            wait_dep(w->ctx, &w->deps[w->dc]);
        w->dc++;
    }
    uint64_t t0 = w->i == w->next_sample, t1 = 0;
    if (t0) {
        /* random gaps, so that the samples do not alias with a pattern of
         * the trace (say, malloc and free alternating) */
        w->rng ^= w->rng << 13;
        w->rng ^= w->rng >> 7;
        w->rng ^= w->rng << 17;
        w->next_sample = w->i + 1 + (w->rng & WK_SAMPLE_JITTER);
    }
    if (op->kind == RP_K_FREE)
        op_free(w, op, &t0, &t1);
    else if ((op->kind == RP_K_REALLOC || op->kind == RP_K_REALLOCARRAY) &&
             !(op->flags & RP_OPF_NEW))
        op_resize(w, op, size, arg, &t0, &t1);
    else
        op_alloc(w, op, size, arg, &t0, &t1);
    if (t0 && op->kind < RP_K_COUNT)
        w->hist[op->kind * RP_HIST_BUCKETS + rp_hist_bucket(lat_ns(t1 - t0))]++;
    w->i++;
    if (w->i == w->peak_at)
        wk_peak_sample(w->ctx);
    __atomic_store_n(&w->ctx->sh->progress[w->t].done, w->i, __ATOMIC_RELEASE);
    if (!(w->i & WK_DROP_EVERY))
        wk_plan_window(w);
}

/* Replays up to n ops of thread w from its cursor (the replay loop, kept in
 * this file so that do_op is inlined into it).  When this is the only
 * replay thread it also samples the RSS points: *g counts the plan's ops
 * done so far, *k is the next point. */
void wk_replay(struct wk_thread *w, uint64_t n, int wait, uint64_t *g, unsigned *k)
{
    struct wk_ctx *c = w->ctx;
    uint64_t end = w->nops - w->i < n ? w->nops : w->i + n;
    if (!c->inline_points) {
        while (w->i < end)
            do_op(w, wait);
        return;
    }
    while (w->i < end) {
        do_op(w, wait);
        ++*g;
        while (*k <= RP_LIVE_POINTS && *g >= c->points[*k])
            wk_point_sample(c, (*k)++);
    }
}
