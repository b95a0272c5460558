/* gen_core.c: the event emitter of huskygen, its model allocator and its
 * random numbers.  Everything here is deterministic for a seed, so the same
 * command line always writes the same trace. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "workloads/gen.h"

/* ---- random numbers: xoshiro256** seeded through splitmix64 ---- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rand(struct gen *g)
{
    uint64_t *s = g->rng;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* A number in [lo, hi], uniformly (the modulo bias is irrelevant here). */
uint64_t gen_uniform(struct gen *g, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + gen_rand(g) % (hi - lo + 1);
}

static unsigned log2_floor(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x | 1);
}

/* A number in [lo, hi] whose logarithm is roughly uniform: as many values
 * between 100 KiB and 200 KiB as between 4 MiB and 8 MiB.  Integer only, so
 * the result does not depend on the libm of the machine. */
uint64_t gen_log_uniform(struct gen *g, uint64_t lo, uint64_t hi)
{
    if (lo == 0)
        lo = 1;
    if (hi <= lo)
        return lo;
    unsigned e = (unsigned)gen_uniform(g, log2_floor(lo), log2_floor(hi));
    uint64_t a = (uint64_t)1 << e, b = (a << 1) - 1;
    if (a < lo)
        a = lo;
    if (b > hi)
        b = hi;
    return gen_uniform(g, a, b);
}

/* A heavy-tailed number: scale * [2^k, 2^(k+1)) where k is geometric with
 * p = 1/2 (capped at max_exp), so P(X > x) falls like 1/x (Pareto, alpha 1):
 * most values small, a few very large. */
uint64_t gen_heavy(struct gen *g, uint64_t scale, unsigned max_exp)
{
    uint64_t r = gen_rand(g);
    unsigned k = r ? (unsigned)__builtin_ctzll(r) : 63u;
    if (k > max_exp)
        k = max_exp;
    uint64_t base = scale << k;
    return base + gen_uniform(g, 0, base - 1);
}

int gen_chance(struct gen *g, unsigned percent)
{
    return gen_rand(g) % 100 < percent;
}

/* ---- memory of the generator itself ---- */

/* The writer of the trace being generated, so that running out of memory
 * can drop the temporary file instead of leaving it behind. */
static struct htr_writer *cur_writer;

void gen_set_writer(struct gen *g, struct htr_writer *w)
{
    g->w = w;
    cur_writer = w;
}

static void out_of_memory(size_t bytes)
{
    if (cur_writer)
        htr_writer_abort(cur_writer);
    fprintf(stderr, "huskygen: out of memory (%zu bytes); try a smaller --ops\n", bytes);
    exit(1);
}

void *gen_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *gen_xrealloc(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n ? n : 1) * size);
    if (!q)
        out_of_memory(n * size);
    return q;
}

/* ---- the model allocator ---- */

/* Free blocks of one block size, used last-in first-out like most heaps. */
struct gen_bin {
    size_t bsize;              /* key: block size */
    uintptr_t *free;           /* stack of free block addresses */
    size_t n, cap;             /* entries used / allocated */
    UT_hash_handle hh;
};

#define SMALL_BASE  ((uintptr_t)0x555555a00000ull)  /* like a brk heap */
#define LARGE_BASE  ((uintptr_t)0x7f0000000000ull)  /* like mmap'd chunks */
#define LARGE_MIN   ((size_t)128 * 1024)            /* blocks from the mmap area */
#define PAGE        ((size_t)4096)

/* The model's block size for a request: multiples of 16 up to 128 bytes,
 * then four size classes per power of two (a common scheme), pages for
 * large blocks.  Equal block sizes share a free list. */
static size_t block_size(size_t size)
{
    if (size <= 16)
        return 16;
    if (size <= 128)
        return (size + 15) & ~(size_t)15;
    if (size >= LARGE_MIN)
        size = (size + PAGE - 1) & ~(PAGE - 1);
    size_t b = (size_t)1 << log2_floor(size - 1);
    size_t step = b / 4;
    return (size + step - 1) / step * step;
}

static struct gen_bin *bin_get(struct gen *g, size_t bsize)
{
    struct gen_bin *b;
    HASH_FIND(hh, g->bins, &bsize, sizeof bsize, b);
    if (b)
        return b;
    b = gen_xcalloc(1, sizeof *b);
    b->bsize = bsize;
    HASH_ADD(hh, g->bins, bsize, sizeof b->bsize, b);
    return b;
}

/* A block of bsize bytes: the most recently freed one of that size, else
 * fresh memory from the small or the large region. */
static uintptr_t model_alloc(struct gen *g, size_t bsize)
{
    struct gen_bin *b = bin_get(g, bsize);
    if (b->n)
        return b->free[--b->n];
    uintptr_t a;
    if (bsize >= LARGE_MIN) {
        a = g->large_top;
        g->large_top += bsize;
    } else {
        a = g->small_top;
        g->small_top += bsize;
    }
    return a;
}

static void model_free(struct gen *g, uintptr_t base, size_t bsize)
{
    struct gen_bin *b = bin_get(g, bsize);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->free = gen_xrealloc(b->free, b->cap, sizeof *b->free);
    }
    b->free[b->n++] = base;
}

/* ---- events ---- */

void gen_init(struct gen *g, uint64_t seed, uint32_t threads, uint64_t ops)
{
    memset(g, 0, sizeof *g);
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        g->rng[i] = splitmix(&x);
    g->threads = threads;
    g->ops = ops;
    g->key = 1000;
    g->small_top = SMALL_BASE;
    g->large_top = LARGE_BASE;
}

void gen_fini(struct gen *g)
{
    struct gen_bin *b, *tmp;
    HASH_ITER(hh, g->bins, b, tmp) {
        HASH_DEL(g->bins, b);
        free(b->free);
        free(b);
    }
}

/* The next order key: a clock in ns that advances 20-200 ns per event. */
static uint64_t next_key(struct gen *g)
{
    g->key += gen_uniform(g, 20, 200);
    return g->key;
}

static void emit(struct gen *g, struct htr_event *ev)
{
    g->count[ev->op]++;
    if (g->failed || !g->w)
        return;
    if (htr_writer_add(g->w, ev, &g->err) != 0)
        g->failed = 1;
}

static void event_init(struct htr_event *ev, uint32_t t, unsigned op)
{
    memset(ev, 0, sizeof *ev);
    ev->thread = t;
    ev->op = (uint8_t)op;
    ev->count = 1;
}

void gen_thread_start(struct gen *g, uint32_t t)
{
    struct htr_event ev;
    event_init(&ev, t, HTR_OP_THREAD_START);
    ev.seq = ev.seq2 = next_key(g);
    ev.tid = 4000 + t;
    emit(g, &ev);
}

void gen_thread_exit(struct gen *g, uint32_t t)
{
    struct htr_event ev;
    event_init(&ev, t, HTR_OP_THREAD_EXIT);
    ev.seq = ev.seq2 = next_key(g);
    emit(g, &ev);
}

/* Starts threads 0..threads-1 in order, so thread indexes are dense in
 * first-event order as the format wants. */
void gen_start_all(struct gen *g)
{
    for (uint32_t t = 0; t < g->threads; t++)
        gen_thread_start(g, t);
}

void gen_exit_workers(struct gen *g)
{
    for (uint32_t t = 1; t < g->threads; t++)
        gen_thread_exit(g, t);
}

static void obj_take(struct gen *g, struct gen_obj *o, uint32_t t, size_t size, size_t align)
{
    o->size = size;
    o->owner = t;
    o->bsize = block_size(size + (align > 16 ? align : 0));
    o->base = model_alloc(g, o->bsize);
    o->addr = align > 16 ? (o->base + align - 1) & ~(uintptr_t)(align - 1) : o->base;
    g->live_bytes += size;
    if (g->live_bytes > g->live_max)
        g->live_max = g->live_bytes;
}

void gen_malloc(struct gen *g, uint32_t t, size_t size, struct gen_obj *o)
{
    struct htr_event ev;
    event_init(&ev, t, HTR_OP_MALLOC);
    obj_take(g, o, t, size, 0);
    ev.size = size;
    ev.result = o->addr;
    ev.seq = ev.seq2 = next_key(g);
    emit(g, &ev);
}

void gen_calloc(struct gen *g, uint32_t t, size_t count, size_t size, struct gen_obj *o)
{
    struct htr_event ev;
    event_init(&ev, t, HTR_OP_CALLOC);
    obj_take(g, o, t, count * size, 0);
    ev.count = count;
    ev.size = size;
    ev.result = o->addr;
    ev.seq = ev.seq2 = next_key(g);
    emit(g, &ev);
}

/* memalign, posix_memalign or aligned_alloc (op says which). */
void gen_memalign(struct gen *g, uint32_t t, unsigned op, size_t align, size_t size,
                  struct gen_obj *o)
{
    struct htr_event ev;
    event_init(&ev, t, op);
    obj_take(g, o, t, size, align);
    ev.align = align;
    ev.size = size;
    ev.result = o->addr;
    ev.seq = ev.seq2 = next_key(g);
    emit(g, &ev);
}

/* realloc: in place while the new size fits the same model block, else a
 * new block is taken before the old one is released (so they differ, as in a
 * real realloc that copies).  Keys: seq for the release, seq2 for the
 * acquisition, seq < seq2. */
void gen_realloc(struct gen *g, uint32_t t, struct gen_obj *o, size_t size)
{
    struct htr_event ev;
    event_init(&ev, t, HTR_OP_REALLOC);
    ev.ptr = o->addr;
    ev.size = size;
    ev.seq = next_key(g);
    g->live_bytes -= o->size;
    if (o->base == o->addr && block_size(size) == o->bsize) {
        o->size = size;
        o->owner = t;
        g->live_bytes += size;
        if (g->live_bytes > g->live_max)
            g->live_max = g->live_bytes;
    } else {
        struct gen_obj old = *o;
        obj_take(g, o, t, size, 0);
        model_free(g, old.base, old.bsize);
    }
    ev.result = o->addr;
    ev.seq2 = next_key(g);
    emit(g, &ev);
}

void gen_free(struct gen *g, uint32_t t, struct gen_obj *o)
{
    struct htr_event ev;
    if (!o->addr)
        return;
    event_init(&ev, t, HTR_OP_FREE);
    ev.ptr = o->addr;
    ev.seq = ev.seq2 = next_key(g);
    emit(g, &ev);
    g->live_bytes -= o->size;
    model_free(g, o->base, o->bsize);
    memset(o, 0, sizeof *o);
}

/* Calls that handed out memory so far (realloc counts once). */
uint64_t gen_allocs(const struct gen *g)
{
    return g->count[HTR_OP_MALLOC] + g->count[HTR_OP_CALLOC] + g->count[HTR_OP_REALLOC] +
           g->count[HTR_OP_MEMALIGN] + g->count[HTR_OP_POSIX_MEMALIGN] +
           g->count[HTR_OP_ALIGNED_ALLOC];
}
