/* gen_single.c: workloads whose threads work on their own objects only:
 * seed004-ints, seed001-frag, random-mix and realloc-grow.  With several
 * threads their calls interleave at random, but no object crosses threads. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "workloads/gen.h"

/* ---- seed004-ints ---- */

/* Seed 004's benchmark: n int-sized mallocs, then all the frees, in the
 * order of allocation.  The threads share the n allocations round-robin. */
void gen_seed004_ints(struct gen *g)
{
    uint64_t n = g->ops;
    struct gen_obj *xs = gen_xcalloc(n, sizeof *xs);
    gen_start_all(g);
    for (uint64_t i = 0; i < n; i++)
        gen_malloc(g, (uint32_t)(i % g->threads), sizeof(int), &xs[i]);
    for (uint64_t i = 0; i < n; i++)
        gen_free(g, xs[i].owner, &xs[i]);
    gen_exit_workers(g);
    free(xs);
}

/* ---- seed001-frag ---- */

#define FRAG_ROUND   200u      /* 800-byte objects per round (the seed's loop) */
#define FRAG_WINDOW  8u        /* rounds whose survivors stay live */

/* Seed 001's fragmentation example, repeated: 200 mallocs of 800 bytes,
 * free the first 10 (a hole that only coalescing turns into 8000 bytes),
 * malloc 5000, then free every other survivor so that 800-byte holes sit
 * between live objects.  Survivors live for FRAG_WINDOW rounds. */
void gen_seed001_frag(struct gen *g)
{
    struct gen_obj (*win)[FRAG_ROUND + 1] = gen_xcalloc(FRAG_WINDOW, sizeof *win);
    gen_start_all(g);
    for (uint64_t round = 0; gen_allocs(g) < g->ops; round++) {
        struct gen_obj *xs = win[round % FRAG_WINDOW];
        uint32_t t = (uint32_t)(round % g->threads);
        for (unsigned i = 0; i <= FRAG_ROUND; i++)
            gen_free(g, xs[i].owner, &xs[i]);
        for (unsigned i = 0; i < FRAG_ROUND; i++)
            gen_malloc(g, t, 800, &xs[i]);
        for (unsigned i = 0; i < 10; i++)
            gen_free(g, t, &xs[i]);
        gen_malloc(g, t, 5000, &xs[FRAG_ROUND]);
        for (unsigned i = 11; i < FRAG_ROUND; i += 2)
            gen_free(g, t, &xs[i]);
    }
    for (unsigned r = 0; r < FRAG_WINDOW; r++)
        for (unsigned i = 0; i <= FRAG_ROUND; i++)
            gen_free(g, win[r][i].owner, &win[r][i]);
    gen_exit_workers(g);
    free(win);
}

/* ---- random-mix ---- */

/* An object with the step at which it dies. */
struct mix_item {
    uint64_t death;            /* step of its free (UINT64_MAX: at the end) */
    struct gen_obj o;          /* the object */
};

/* A binary min-heap of objects by death step (one per thread). */
struct mix_heap {
    struct mix_item *a;        /* heap array, a[0] dies first */
    size_t n, cap;             /* entries used / allocated */
};

static void heap_push(struct mix_heap *h, const struct mix_item *it)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->a = gen_xrealloc(h->a, h->cap, sizeof *h->a);
    }
    size_t i = h->n++;
    while (i && h->a[(i - 1) / 2].death > it->death) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->a[i] = *it;
}

static struct mix_item heap_pop(struct mix_heap *h)
{
    struct mix_item top = h->a[0], last = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->a[c + 1].death < h->a[c].death)
            c++;
        if (h->a[c].death >= last.death)
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n)
        h->a[i] = last;
    return top;
}

/* One allocation of random-mix: mostly malloc, some calloc, a few aligned
 * requests; sizes heavy-tailed from 8 bytes to 1 MiB. */
static void mix_alloc(struct gen *g, uint32_t t, struct gen_obj *o)
{
    size_t size = gen_heavy(g, 8, 17);
    unsigned r = (unsigned)gen_uniform(g, 0, 99);
    if (r < 8) {
        size_t count = gen_uniform(g, 1, 16);
        gen_calloc(g, t, count, (size + count - 1) / count, o);
    } else if (r < 11) {
        gen_memalign(g, t, HTR_OP_POSIX_MEMALIGN, 64, size, o);
    } else {
        gen_malloc(g, t, size, o);
    }
}

/* Heavy-tailed sizes and lifetimes: each step one thread frees what has died
 * and then either allocates (lifetime: most a few steps, some thousands, 2%
 * until the end) or reallocs one of its live objects. */
void gen_random_mix(struct gen *g)
{
    struct mix_heap *heaps = gen_xcalloc(g->threads, sizeof *heaps);
    gen_start_all(g);
    for (uint64_t step = 0; gen_allocs(g) < g->ops; step++) {
        uint32_t t = (uint32_t)gen_uniform(g, 0, g->threads - 1);
        struct mix_heap *h = &heaps[t];
        while (h->n && h->a[0].death <= step) {
            struct mix_item it = heap_pop(h);
            gen_free(g, t, &it.o);
        }
        if (h->n && gen_chance(g, 5)) {
            struct gen_obj *o = &h->a[gen_uniform(g, 0, h->n - 1)].o;
            gen_realloc(g, t, o, gen_heavy(g, 8, 17));
            continue;
        }
        struct mix_item it;
        mix_alloc(g, t, &it.o);
        it.death = gen_chance(g, 2) ? UINT64_MAX : step + gen_heavy(g, 1, 16);
        heap_push(h, &it);
    }
    for (uint32_t t = 0; t < g->threads; t++) {
        while (heaps[t].n) {
            struct mix_item it = heap_pop(&heaps[t]);
            gen_free(g, t, &it.o);
        }
        free(heaps[t].a);
    }
    gen_exit_workers(g);
    free(heaps);
}

/* ---- realloc-grow ---- */

#define GROW_BUILDERS 8u       /* string builders per thread */
#define GROW_KEEP     64u      /* finished strings a thread keeps */

/* A string builder: a buffer, its capacity and its length. */
struct grow_builder {
    struct gen_obj buf;        /* the buffer (addr 0: not started) */
    size_t cap, len;           /* capacity and bytes used */
};

/* A builder is done: shrink the buffer to fit (half the time), or copy it
 * into an exact-size string and free the buffer; keep the string a while. */
static void grow_finish(struct gen *g, uint32_t t, struct grow_builder *b,
                        struct gen_obj *keep)
{
    gen_free(g, t, keep);
    if (gen_chance(g, 50)) {
        gen_realloc(g, t, &b->buf, b->len + 1);
        *keep = b->buf;
        memset(&b->buf, 0, sizeof b->buf);
    } else {
        gen_malloc(g, t, b->len + 1, keep);
        gen_free(g, t, &b->buf);
    }
    b->cap = b->len = 0;
}

/* Buffers grown by realloc like a string builder: append a few bytes,
 * double the capacity when full, finish after ~20 appends. */
void gen_realloc_grow(struct gen *g)
{
    uint32_t nt = g->threads;
    struct grow_builder *bs = gen_xcalloc((size_t)nt * GROW_BUILDERS, sizeof *bs);
    struct gen_obj *keep = gen_xcalloc((size_t)nt * GROW_KEEP, sizeof *keep);
    uint64_t *kept = gen_xcalloc(nt, sizeof *kept);
    gen_start_all(g);
    while (gen_allocs(g) < g->ops) {
        uint32_t t = (uint32_t)gen_uniform(g, 0, nt - 1);
        struct grow_builder *b = &bs[t * GROW_BUILDERS + gen_uniform(g, 0, GROW_BUILDERS - 1)];
        if (!b->buf.addr) {
            b->cap = gen_uniform(g, 16, 64);
            b->len = 0;
            gen_malloc(g, t, b->cap, &b->buf);
        }
        b->len += gen_heavy(g, 4, 12);
        if (b->len + 1 > b->cap) {
            b->cap = b->cap * 2 > b->len + 1 ? b->cap * 2 : b->len + 1;
            gen_realloc(g, t, &b->buf, b->cap);
        }
        if (gen_chance(g, 5))
            grow_finish(g, t, b, &keep[t * GROW_KEEP + kept[t]++ % GROW_KEEP]);
    }
    for (size_t i = 0; i < (size_t)nt * GROW_BUILDERS; i++)
        gen_free(g, bs[i].buf.owner, &bs[i].buf);
    for (size_t i = 0; i < (size_t)nt * GROW_KEEP; i++)
        gen_free(g, keep[i].owner, &keep[i]);
    gen_exit_workers(g);
    free(bs);
    free(keep);
    free(kept);
}
