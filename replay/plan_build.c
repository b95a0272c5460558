/* plan_build.c: turns one trace into a replay plan file.
 *
 * The merged event stream (global key order, realloc family split into its
 * release and acquire halves) is run through a model of the traced heap twice:
 * the first pass only counts what each section will hold, the second writes
 * the sections straight into the mapped plan file.  Both passes make the same
 * decisions, so the builder's memory grows with the live objects of the trace
 * (the address table and the per-object state), never with its length.
 *
 * Object ids are recycled so that the worker's object table stays as small as
 * the largest live set: a freed id goes to its thread's ring and is reused by
 * that thread first (no synchronisation needed); ids that overflow a ring go
 * to a global queue, and a thread that takes an id freed by another thread
 * waits for that free (a dependency), exactly like a free of another
 * thread's object waits for the operation that last touched it.  New ids are
 * handed to each thread in blocks of ID_BLOCK, so that threads of the replay
 * write their own lines of the worker's table, not lines shared with other
 * threads (ids given out one by one in trace order would interleave the
 * threads' entries, and every alloc and free would then bounce a cache line
 * between cores: a cost of the replayer, not of the allocator under test).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "replay/rp.h"
#include "trace/trace.h"

#define RING_CAP 1024u        /* freed ids a thread keeps for itself */
#define ID_BLOCK 16u          /* new ids a thread takes at once: 256 bytes of
                                 the worker's table, four cache lines */

/* An address that is live in the traced heap, and its object. */
struct addr_ent {
    uint64_t addr;            /* key */
    uint32_t id;              /* object id */
    UT_hash_handle hh;
};

/* A freed id and the operation that freed it. */
struct free_id {
    uint32_t id;              /* object id */
    uint32_t thread;          /* thread that freed it */
    uint32_t done;            /* that thread's op index + 1 */
};

/* State of one object id (indexed by id). */
struct obj_state {
    uint64_t bytes;           /* live bytes it holds */
    uint32_t last_thread;     /* thread of the last op on it */
    uint32_t last_done;       /* that op's index + 1 */
};

/* Builder state of one traced thread. */
struct bthread {
    uint64_t ops, deps, exts; /* counts (pass 1) or write cursors (pass 2) */
    uint64_t tid;             /* OS thread id from thread_start */
    struct free_id ring[RING_CAP]; /* ids it freed, newest at head-1 */
    uint32_t ring_head;       /* next slot to push */
    uint32_t ring_len;        /* entries held */
    uint32_t fresh_next, fresh_end; /* its block of new ids not used yet */
    int pend_valid;           /* a realloc release is waiting for its acquire */
    int pend_new;             /* ... of NULL or an unknown address */
    uint32_t pend_id;         /* ... continuing this object */
    uint64_t pend_ptr;        /* ... whose old address was this */
};

/* Everything one pass needs. */
struct builder {
    int writing;              /* pass 2: write the sections */
    uint32_t nthreads;        /* threads known */
    uint32_t trace_threads;   /* thread indexes the trace holds (htr_info) */
    struct bthread *th;       /* [nthreads] */
    struct addr_ent *live_map; /* uthash: address -> id */
    struct addr_ent *spare;   /* recycled entries */
    struct obj_state *obj;    /* [obj_cap] */
    uint64_t obj_cap, nobj;   /* capacity, ids handed out */
    struct free_id *queue;    /* global FIFO of freed ids */
    uint64_t q_cap, q_head, q_len;
    uint64_t live, peak;      /* live bytes now, at most */
    uint32_t peak_thread;     /* the op that reached the peak: thread */
    uint32_t peak_done;       /* ... and its op number in that thread */
    uint64_t gops;            /* ops emitted so far */
    uint32_t run_thread, run_count; /* the serial run being extended */
    struct rp_plan_header *h; /* counts (both passes), the file (pass 2) */
    char *base;               /* pass 2: the mapped file */
    struct rp_plan_thread *pt; /* pass 2: the thread table */
    uint64_t total_ops;       /* pass 2: ops of the whole plan */
    unsigned next_live;       /* pass 2: next live sample point */
    char *why;                /* error message */
    size_t why_len;
    const char *trace;        /* trace path, for messages */
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "huskyreplay: out of memory building a plan\n");
        exit(1);
    }
    return q;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* ---- ids ---- */

/* The first id of a new block of ID_BLOCK ids for thread th (its previous
 * block is used up). */
static uint32_t fresh_id(struct builder *b, struct bthread *th)
{
    if (b->nobj + ID_BLOCK > b->obj_cap) {
        b->obj_cap = b->obj_cap ? b->obj_cap * 2 : 4096;
        b->obj = xrealloc(b->obj, b->obj_cap * sizeof *b->obj);
    }
    memset(&b->obj[b->nobj], 0, ID_BLOCK * sizeof b->obj[0]);
    th->fresh_next = (uint32_t)b->nobj;
    th->fresh_end = (uint32_t)(b->nobj += ID_BLOCK);
    return th->fresh_next++;
}

static void queue_push(struct builder *b, struct free_id f)
{
    if (b->q_len == b->q_cap) {
        uint64_t ncap = b->q_cap ? b->q_cap * 2 : 1024;
        struct free_id *nq = xrealloc(NULL, ncap * sizeof *nq);
        for (uint64_t i = 0; i < b->q_len; i++)
            nq[i] = b->queue[(b->q_head + i) % b->q_cap];
        free(b->queue);
        b->queue = nq;
        b->q_cap = ncap;
        b->q_head = 0;
    }
    b->queue[(b->q_head + b->q_len) % b->q_cap] = f;
    b->q_len++;
}

/* An id for a new object of thread t; *dep is set when the id was freed by
 * another thread whose free must happen first. */
static uint32_t take_id(struct builder *b, uint32_t t, struct rp_dep *dep, int *has_dep)
{
    struct bthread *th = &b->th[t];
    *has_dep = 0;
    if (th->ring_len) {
        th->ring_head = (th->ring_head + RING_CAP - 1) % RING_CAP;
        th->ring_len--;
        return th->ring[th->ring_head].id;
    }
    if (th->fresh_next != th->fresh_end)
        return th->fresh_next++;
    if (b->q_len) {
        struct free_id f = b->queue[b->q_head];
        b->q_head = (b->q_head + 1) % b->q_cap;
        b->q_len--;
        if (f.thread != t) {
            dep->thread = f.thread;
            dep->done = f.done;
            *has_dep = 1;
        }
        return f.id;
    }
    return fresh_id(b, th);
}

/* Gives id back after thread t freed it with its op number `done`. */
static void release_id(struct builder *b, uint32_t t, uint32_t id, uint32_t done)
{
    struct bthread *th = &b->th[t];
    if (th->ring_len == RING_CAP) {
        uint32_t oldest = (th->ring_head + RING_CAP - th->ring_len) % RING_CAP;
        queue_push(b, th->ring[oldest]);
        th->ring_len--;
    }
    th->ring[th->ring_head] = (struct free_id){ id, t, done };
    th->ring_head = (th->ring_head + 1) % RING_CAP;
    th->ring_len++;
}

/* ---- the address table ---- */

static struct addr_ent *find_addr(struct builder *b, uint64_t addr)
{
    struct addr_ent *e;
    HASH_FIND(hh, b->live_map, &addr, sizeof addr, e);
    return e;
}

static void bind_addr(struct builder *b, uint64_t addr, uint32_t id)
{
    struct addr_ent *e = b->spare;
    if (e)
        b->spare = (struct addr_ent *)e->hh.next;
    else
        e = xrealloc(NULL, sizeof *e);
    memset(e, 0, sizeof *e);
    e->addr = addr;
    e->id = id;
    HASH_ADD(hh, b->live_map, addr, sizeof e->addr, e);
}

static void unbind_addr(struct builder *b, struct addr_ent *e)
{
    HASH_DEL(b->live_map, e);
    e->hh.next = b->spare;
    b->spare = e;
}

/* ---- emitting ops ---- */

/* Appends op to thread t (with its dependency and wide arguments) and
 * returns its op number (index + 1). */
static uint32_t emit(struct builder *b, uint32_t t, struct rp_op op, const struct rp_dep *dep,
                     uint64_t size, uint64_t arg)
{
    struct bthread *th = &b->th[t];
    struct rp_ext ext = { size, arg };
    if (size > UINT32_MAX || arg > UINT16_MAX) {
        op.flags |= RP_OPF_EXT;
        op.size = 0;
        op.arg = 0;
    } else {
        op.size = (uint32_t)size;
        op.arg = (uint16_t)arg;
    }
    if (dep)
        op.flags |= RP_OPF_DEP;
    if (b->writing) {
        const struct rp_plan_thread *pt = &b->pt[t];
        struct rp_op *ops = (struct rp_op *)(b->base + b->h->off_ops);
        ops[pt->op_first + th->ops] = op;
        if (dep)
            ((struct rp_dep *)(b->base + b->h->off_deps))[pt->dep_first + th->deps] = *dep;
        if (op.flags & RP_OPF_EXT)
            ((struct rp_ext *)(b->base + b->h->off_exts))[pt->ext_first + th->exts] = ext;
    }
    th->deps += dep != NULL;
    th->exts += (op.flags & RP_OPF_EXT) != 0;
    if (b->h->runs && b->run_thread == t && b->run_count < 0xffffu) {
        b->run_count++;
    } else {
        b->h->runs++;
        b->run_thread = t;
        b->run_count = 1;
    }
    if (b->writing)
        ((uint32_t *)(b->base + b->h->off_runs))[b->h->runs - 1] = t << 16 | b->run_count;
    b->h->ops++;
    b->h->kind_count[op.kind]++;
    if (op.flags & RP_OPF_FAILED)
        b->h->failed_calls++;
    b->gops++;
    return (uint32_t)++th->ops;
}

/* Live bytes at the points of progress the last event completed (called
 * once the event's effect on the live bytes is applied). */
static void sample_live(struct builder *b)
{
    if (!b->writing)
        return;
    uint64_t *live = (uint64_t *)(b->base + b->h->off_live);
    while (b->next_live <= RP_LIVE_POINTS &&
           b->gops * RP_LIVE_POINTS >= (uint64_t)b->next_live * b->total_ops)
        live[b->next_live++] = b->live;
}

/* Adds the bytes that op number done of thread t made live, and remembers
 * the op that reaches the peak (the worker samples RSS right after it). */
static void live_add(struct builder *b, uint32_t t, uint32_t done, uint64_t bytes)
{
    b->live += bytes;
    if (b->live > b->peak) {
        b->peak = b->live;
        b->peak_thread = t;
        b->peak_done = done;
    }
}

/* Records that thread t touched object id with its op number done; fills
 * *dep if another thread touched it last. */
static int touch_dep(struct builder *b, uint32_t t, uint32_t id, struct rp_dep *dep)
{
    struct obj_state *o = &b->obj[id];
    if (o->last_thread == t)
        return 0;
    dep->thread = o->last_thread;
    dep->done = o->last_done;
    b->h->cross_frees++;
    return 1;
}

static void set_last(struct builder *b, uint32_t id, uint32_t t, uint32_t done)
{
    b->obj[id].last_thread = t;
    b->obj[id].last_done = done;
}

/* ---- events ---- */

static int bad(struct builder *b, uint64_t off, const char *what)
{
    snprintf(b->why, b->why_len, "%s: offset %llu: %s", b->trace, (unsigned long long)off,
             what);
    return -1;
}

static unsigned kind_of(unsigned op)
{
    switch (op) {
    case HTR_OP_MALLOC: return RP_K_MALLOC;
    case HTR_OP_CALLOC: return RP_K_CALLOC;
    case HTR_OP_REALLOC: return RP_K_REALLOC;
    case HTR_OP_REALLOCARRAY: return RP_K_REALLOCARRAY;
    case HTR_OP_FREE: return RP_K_FREE;
    case HTR_OP_MEMALIGN: return RP_K_MEMALIGN;
    case HTR_OP_POSIX_MEMALIGN: return RP_K_POSIX_MEMALIGN;
    case HTR_OP_ALIGNED_ALLOC: return RP_K_ALIGNED_ALLOC;
    case HTR_OP_VALLOC: return RP_K_VALLOC;
    default: return RP_K_PVALLOC;
    }
}

/* The argument an op carries: count for calloc, alignment for memalign. */
static uint64_t arg_of(const struct htr_event *ev)
{
    if (ev->op == HTR_OP_CALLOC || ev->op == HTR_OP_REALLOCARRAY)
        return ev->count;
    if (ev->op == HTR_OP_MEMALIGN || ev->op == HTR_OP_POSIX_MEMALIGN ||
        ev->op == HTR_OP_ALIGNED_ALLOC)
        return ev->align;
    return 0;
}

/* A new object from an allocation call (or a realloc of NULL). */
static int on_alloc(struct builder *b, const struct htr_event *ev, uint8_t flags, uint64_t off)
{
    uint32_t t = ev->thread;
    struct rp_op op = { RP_NO_OBJ, 0, (uint8_t)kind_of(ev->op), flags, 0 };
    struct rp_dep dep;
    int has_dep = 0;
    uint64_t bytes = mul_sat(ev->size, ev->count ? ev->count : 1);
    if (ev->result == 0) {
        op.flags |= RP_OPF_FAILED;
        emit(b, t, op, NULL, ev->size, arg_of(ev));
        return 0;
    }
    if (find_addr(b, ev->result))
        return bad(b, off, "address handed out twice while live (run huskytrace validate)");
    op.obj = take_id(b, t, &dep, &has_dep);
    uint32_t done = emit(b, t, op, has_dep ? &dep : NULL, ev->size, arg_of(ev));
    bind_addr(b, ev->result, op.obj);
    b->obj[op.obj].bytes = bytes;
    set_last(b, op.obj, t, done);
    live_add(b, t, done, bytes);
    return 0;
}

static void on_free(struct builder *b, const struct htr_event *ev)
{
    uint32_t t = ev->thread;
    struct rp_op op = { RP_NO_OBJ, 0, RP_K_FREE, 0, 0 };
    struct rp_dep dep;
    if (ev->ptr == 0) {
        emit(b, t, op, NULL, 0, 0);
        return;
    }
    struct addr_ent *e = find_addr(b, ev->ptr);
    if (!e) {
        b->h->skipped_frees++;
        return;
    }
    op.obj = e->id;
    int has_dep = touch_dep(b, t, op.obj, &dep);
    uint32_t done = emit(b, t, op, has_dep ? &dep : NULL, 0, 0);
    b->live -= b->obj[op.obj].bytes;
    unbind_addr(b, e);
    release_id(b, t, op.obj, done);
}

/* First half of realloc: the old block is given up. */
static void on_release(struct builder *b, const struct htr_event *ev)
{
    struct bthread *th = &b->th[ev->thread];
    th->pend_valid = 1;
    th->pend_new = 1;
    th->pend_ptr = ev->ptr;
    if (ev->ptr == 0)
        return;
    struct addr_ent *e = find_addr(b, ev->ptr);
    if (!e) {
        b->h->skipped_frees++;
        return;
    }
    th->pend_new = 0;
    th->pend_id = e->id;
    b->live -= b->obj[e->id].bytes;
    unbind_addr(b, e);
}

/* Second half of realloc: the new block (or NULL) comes back. */
static int on_acquire(struct builder *b, const struct htr_event *ev, uint64_t off)
{
    uint32_t t = ev->thread;
    struct bthread *th = &b->th[t];
    if (!th->pend_valid)
        return bad(b, off, "realloc acquire without its release");
    th->pend_valid = 0;
    if (th->pend_new)
        return on_alloc(b, ev, RP_OPF_NEW, off);
    uint32_t id = th->pend_id;
    uint64_t bytes = mul_sat(ev->size, ev->op == HTR_OP_REALLOCARRAY ? ev->count : 1);
    struct rp_op op = { id, 0, (uint8_t)kind_of(ev->op), 0, 0 };
    struct rp_dep dep;
    int has_dep = touch_dep(b, t, id, &dep);
    if (ev->result == 0)
        op.flags |= RP_OPF_FAILED | (bytes == 0 ? RP_OPF_ENDS : 0);
    else if (find_addr(b, ev->result))
        return bad(b, off, "address handed out twice while live (run huskytrace validate)");
    uint32_t done = emit(b, t, op, has_dep ? &dep : NULL, ev->size, arg_of(ev));
    set_last(b, id, t, done);
    if (op.flags & RP_OPF_ENDS) {
        release_id(b, t, id, done);
    } else if (ev->result == 0) {
        bind_addr(b, th->pend_ptr, id);
        live_add(b, t, done, b->obj[id].bytes);
    } else {
        bind_addr(b, ev->result, id);
        b->obj[id].bytes = bytes;
        live_add(b, t, done, bytes);
    }
    return 0;
}

/* Grows the thread table so that index t exists. */
static void need_thread(struct builder *b, uint32_t t)
{
    if (t < b->nthreads)
        return;
    uint32_t n = t + 1;
    b->th = xrealloc(b->th, (size_t)n * sizeof *b->th);
    memset(b->th + b->nthreads, 0, (size_t)(n - b->nthreads) * sizeof *b->th);
    b->nthreads = n;
}

static int on_event(struct builder *b, const struct htr_event *ev, uint64_t off)
{
    if (ev->thread >= RP_MAX_THREADS)
        return bad(b, off, "more threads than a plan holds (65535)");
    /* thread indexes are dense from 0 (trace.h): a larger one would size
     * the per-thread tables of the plan and the worker by a number the
     * trace never backs (a 200-byte trace could ask for 768 MiB) */
    if (ev->thread >= b->trace_threads)
        return bad(b, off, "thread index beyond the trace's thread count (indexes must "
                   "be dense from 0; see huskytrace validate)");
    need_thread(b, ev->thread);
    if (b->th[ev->thread].ops >= UINT32_MAX - 1)
        return bad(b, off, "a thread with more than 4 G operations");
    switch (ev->op) {
    case HTR_OP_THREAD_START:
        b->th[ev->thread].tid = ev->tid;
        return 0;
    case HTR_OP_THREAD_EXIT:
        return 0;
    case HTR_OP_FREE:
        on_free(b, ev);
        return 0;
    case HTR_OP_REALLOC:
    case HTR_OP_REALLOCARRAY:
        if (ev->phase == HTR_PHASE_RELEASE) {
            on_release(b, ev);
            return 0;
        }
        return on_acquire(b, ev, off);
    default:
        if (ev->op == 0 || ev->op >= HTR_OP_COUNT)
            return bad(b, off, "unknown operation");
        return on_alloc(b, ev, 0, off);
    }
}

/* ---- passes ---- */

/* Drops [from, to) of the mapped plan from this process, page-aligned inward
 * (the writes are already in the page cache), so that building a plan of
 * any size keeps the builder small. */
static void drop_range(const char *from, const char *to)
{
    const uintptr_t page = 4096;
    uintptr_t lo = ((uintptr_t)from + page - 1) & ~(page - 1), hi = (uintptr_t)to & ~(page - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Pass 2: drops what has been written so far, section by section. */
static void drop_written(struct builder *b)
{
    for (uint32_t t = 0; t < b->nthreads; t++) {
        const struct rp_plan_thread *pt = &b->pt[t];
        const struct rp_op *ops = (const struct rp_op *)(b->base + b->h->off_ops);
        const struct rp_dep *deps = (const struct rp_dep *)(b->base + b->h->off_deps);
        const struct rp_ext *exts = (const struct rp_ext *)(b->base + b->h->off_exts);
        drop_range((const char *)(ops + pt->op_first), (const char *)(ops + pt->op_first +
                                                                      b->th[t].ops));
        drop_range((const char *)(deps + pt->dep_first),
                   (const char *)(deps + pt->dep_first + b->th[t].deps));
        drop_range((const char *)(exts + pt->ext_first),
                   (const char *)(exts + pt->ext_first + b->th[t].exts));
    }
    const uint32_t *runs = (const uint32_t *)(b->base + b->h->off_runs);
    if (b->h->runs > 1)
        drop_range((const char *)runs, (const char *)(runs + b->h->runs - 1));
}

static void builder_free(struct builder *b)
{
    struct addr_ent *e, *tmp;
    HASH_ITER(hh, b->live_map, e, tmp) {
        HASH_DEL(b->live_map, e);
        free(e);
    }
    while (b->spare) {
        e = b->spare;
        b->spare = (struct addr_ent *)e->hh.next;
        free(e);
    }
    free(b->th);
    free(b->obj);
    free(b->queue);
}

/* Runs the whole trace through the builder.  0, or -1 with b->why set. */
static int run_pass(struct builder *b, const char *trace)
{
    struct htr_error err;
    struct htr_event ev;
    struct htr_reader *r = htr_open(trace, 0, &err);
    if (!r) {
        snprintf(b->why, b->why_len, "%s", err.msg);
        return -1;
    }
    const struct htr_info *info = htr_reader_info(r);
    b->h->pid = info->header.pid;
    b->h->inherited = (info->header.flags & HTR_F_INHERITED) != 0;
    b->trace_threads = info->threads;
    if (info->threads)
        need_thread(b, info->threads - 1);
    int rc;
    while ((rc = htr_next(r, &ev, &err)) == 1) {
        b->h->events++;
        if (on_event(b, &ev, htr_offset(r)) < 0) {
            htr_close(r);
            return -1;
        }
        sample_live(b);
        if (b->writing && !(b->h->events & ((1u << 22) - 1)))
            drop_written(b);
    }
    if (rc < 0)
        snprintf(b->why, b->why_len, "%s", err.msg);
    htr_close(r);
    b->h->peak_live = b->peak;
    b->h->peak_thread = b->peak_thread;
    b->h->peak_done = b->peak_done;
    b->h->end_live = b->live;
    b->h->objects = b->nobj;
    return rc < 0 ? -1 : 0;
}

static uint64_t align8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

/* Lays out the sections from the pass-1 counts; returns the file size. */
static uint64_t layout(struct rp_plan_header *h, const struct builder *b1,
                       struct rp_plan_thread *pt)
{
    uint64_t ops = 0, deps = 0, exts = 0;
    for (uint32_t t = 0; t < b1->nthreads; t++) {
        pt[t] = (struct rp_plan_thread){ ops, b1->th[t].ops, deps, b1->th[t].deps,
                                          exts, b1->th[t].exts, b1->th[t].tid, 0 };
        ops += b1->th[t].ops;
        deps += b1->th[t].deps;
        exts += b1->th[t].exts;
    }
    h->deps = deps;
    h->exts = exts;
    h->off_threads = align8(sizeof *h);
    h->off_ops = align8(h->off_threads + b1->nthreads * sizeof *pt);
    h->off_deps = align8(h->off_ops + ops * sizeof(struct rp_op));
    h->off_exts = align8(h->off_deps + deps * sizeof(struct rp_dep));
    h->off_runs = align8(h->off_exts + exts * sizeof(struct rp_ext));
    h->off_live = align8(h->off_runs + h->runs * sizeof(uint32_t));
    return h->off_live + (RP_LIVE_POINTS + 1) * sizeof(uint64_t);
}

/* Second pass into a file descriptor of the right size. */
static int write_plan(int fd, const char *trace, struct rp_plan_header *h1,
                      struct builder *b1, char *why, size_t why_len)
{
    struct rp_plan_thread *pt = xrealloc(NULL, (b1->nthreads + 1) * sizeof *pt);
    struct rp_plan_header hw = *h1;
    uint64_t size = layout(&hw, b1, pt);
    if (ftruncate(fd, (off_t)size) != 0) {
        snprintf(why, why_len, "cannot size the plan file: %s", strerror(errno));
        free(pt);
        return 1;
    }
    char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        snprintf(why, why_len, "cannot map the plan file: %s", strerror(errno));
        free(pt);
        return 1;
    }
    struct rp_plan_header *h = (struct rp_plan_header *)base;
    memset(h, 0, sizeof *h);
    h->off_threads = hw.off_threads; h->off_ops = hw.off_ops; h->off_deps = hw.off_deps;
    h->off_exts = hw.off_exts; h->off_runs = hw.off_runs; h->off_live = hw.off_live;
    memcpy(base + h->off_threads, pt, b1->nthreads * sizeof *pt);
    struct builder b2 = { .writing = 1, .next_live = 1, .h = h, .base = base, .why = why, .why_len = why_len,
                          .trace = trace, .total_ops = h1->ops,
                          .pt = (struct rp_plan_thread *)(base + h->off_threads) };
    int rc = run_pass(&b2, trace);
    if (rc == 0 && (h->ops != h1->ops || h->runs != h1->runs || b2.nthreads != b1->nthreads)) {
        snprintf(why, why_len, "%s: the trace changed while the plan was built", trace);
        rc = -1;
    }
    builder_free(&b2);
    free(pt);
    if (rc == 0) {
        h->threads = b1->nthreads;
        h->deps = hw.deps;
        h->exts = hw.exts;
        h->file_size = size;
        h->header_size = sizeof *h;
        h->version = RP_PLAN_VERSION;
        h->plan_sum = rp_checksum_mapped(base + sizeof *h, size - sizeof *h);
        rp_plan_trace_stamp(trace, &h->trace_size, &h->trace_mtime_ns, &h->trace_head_sum);
        memcpy(h->magic, RP_PLAN_MAGIC, 8);
    }
    munmap(base, size);
    return rc < 0 ? 65 : 0;
}

/* Builds the plan of `trace` into plan_path (through a temporary name in the
 * same folder).  Returns 0 with *fd_out open on the new plan, 65 if the trace
 * is bad, 1 on a system error; *why says what went wrong. */
int rp_plan_build(const char *trace, const char *plan_path, int *fd_out, char *why,
                  size_t why_len)
{
    struct rp_plan_header h1;
    memset(&h1, 0, sizeof h1);
    struct builder b1 = { .h = &h1, .why = why, .why_len = why_len, .trace = trace };
    if (run_pass(&b1, trace) < 0) {
        builder_free(&b1);
        return 65;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", plan_path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(why, why_len, "cannot create %s: %s", tmp, strerror(errno));
        builder_free(&b1);
        return 1;
    }
    int rc = write_plan(fd, trace, &h1, &b1, why, why_len);
    builder_free(&b1);
    if (rc == 0 && rename(tmp, plan_path) != 0) {
        snprintf(why, why_len, "cannot rename %s: %s", tmp, strerror(errno));
        rc = 1;
    }
    if (rc != 0) {
        unlink(tmp);
        close(fd);
        return rc;
    }
    fchmod(fd, 0644);
    *fd_out = fd;
    return 0;
}
