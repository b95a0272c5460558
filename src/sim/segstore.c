/* segstore.c: simple segregated storage.  Every request is rounded up to its
 * size class (sim_class_size; above a page, to whole pages); each class has a
 * stack of free blocks of exactly that size.  When the stack is empty the
 * heap grows by a run of whole pages cut into blocks of the class (at least
 * eight blocks for classes up to a page, one above).  No block is ever split
 * or merged, and no header is kept: a real allocator records the size once
 * per run, so --header does not apply to this policy.
 * An alignment above the default is met with the power-of-two class that
 * covers it (such blocks are aligned to their size inside page-aligned runs);
 * above a page, with a run of its own at an aligned top.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/sim.h"

static uint64_t round_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Block size of class c. */
static uint64_t class_block(const struct sim_state *s, uint32_t c)
{
    uint64_t b = sim_class_size(c);
    return b > s->cfg.page ? round_up(b, s->cfg.page) : b;
}

/* The class for `size` bytes aligned to `align`. */
static uint32_t class_for(const struct sim_state *s, uint64_t size, uint64_t align)
{
    uint64_t want = round_up(size ? size : 1, s->cfg.align);
    if (align > s->cfg.align) {
        if (want < align)
            want = align;
        if (want <= s->cfg.page)
            want = 1ull << (64 - __builtin_clzll(want - 1));
    }
    return sim_class_of(want);
}

static int push(struct sim_state *s, uint32_t c, uint64_t addr)
{
    struct sim_stack *st = &s->stacks[c];
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        uint64_t *v = realloc(st->v, cap * sizeof *v);
        if (!v) {
            s->error = "out of memory for free stacks";
            return -1;
        }
        st->v = v;
        st->cap = cap;
    }
    st->v[st->n++] = addr;
    s->free_bytes += class_block(s, c);
    return 0;
}

/* Grows the heap by a run of class c (at an offset aligned to `align`). */
static int new_run(struct sim_state *s, uint32_t c, uint64_t align)
{
    uint64_t b = class_block(s, c);
    uint64_t run = b <= s->cfg.page ? round_up(8 * b, s->cfg.page) : b;
    uint64_t at = s->top;
    if (align > s->cfg.page) {
        at = round_up(at, align);
        s->lost += at - s->top;
    }
    if (s->nruns == s->rcap) {
        size_t cap = s->rcap ? s->rcap * 2 : 64;
        struct sim_run *r = realloc(s->runs, cap * sizeof *r);
        if (!r) {
            s->error = "out of memory for runs";
            return -1;
        }
        s->runs = r;
        s->rcap = cap;
    }
    s->runs[s->nruns++] = (struct sim_run){at, run, b};
    uint64_t n = run / b;
    s->lost += run - n * b;
    _sim_grow_to(s, at + run);
    for (uint64_t i = n; i-- > 0;)
        if (push(s, c, at + i * b) < 0)
            return -1;
    return 0;
}

static int sss_alloc(struct sim_state *s, uint32_t id, uint64_t size, uint64_t align)
{
    if (_sim_objs_reserve(s, id) < 0)
        return -1;
    uint32_t c = class_for(s, size, align);
    struct sim_stack *st = &s->stacks[c];
    if (align > s->cfg.page) {
        if (new_run(s, c, align) < 0)
            return -1;
        st->n--;                /* the new run's only block, on top of the stack */
    } else {
        if (!st->n && new_run(s, c, 0) < 0)
            return -1;
        st->n--;
    }
    s->free_bytes -= class_block(s, c);
    s->obj_addr[id] = st->v[st->n];
    s->obj_cls[id] = (uint8_t)c;
    s->obj_req[id] = size;
    return 0;
}

static void sss_release(struct sim_state *s, uint32_t id)
{
    if (push(s, s->obj_cls[id], s->obj_addr[id]) < 0)
        s->lost += class_block(s, s->obj_cls[id]);
}

/* Realloc stays in place while the new size keeps the class, else moves. */
static int sss_resize(struct sim_state *s, uint32_t id, uint64_t size)
{
    uint32_t c = s->obj_cls[id];
    if (class_for(s, size, 0) == c) {
        s->obj_req[id] = size;
        return 0;
    }
    uint64_t old = s->obj_addr[id];
    if (sss_alloc(s, id, size, 0) < 0)
        return -1;
    return push(s, c, old);
}

static void sss_fini(struct sim_state *s)
{
    for (uint32_t c = 0; c < SIM_NCLASS; c++)
        free(s->stacks[c].v);
    free(s->runs);
}

/* ---- invariants (--check) ---- */

struct blk {
    uint64_t addr, size;        /* a block */
    int live;                   /* 1 for a live object's block */
};

static int blk_cmp(const void *a, const void *b)
{
    const struct blk *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Whether block k lies on a block boundary of the run it falls in. */
static int in_run(const struct sim_state *s, const struct blk *k, size_t *ri)
{
    while (*ri < s->nruns && s->runs[*ri].addr + s->runs[*ri].size <= k->addr)
        ++*ri;
    if (*ri == s->nruns)
        return 0;
    const struct sim_run *r = &s->runs[*ri];
    return k->addr >= r->addr && r->block == k->size && (k->addr - r->addr) % k->size == 0 &&
           k->addr + k->size <= r->addr + r->size;
}

/* Every block (free or live) inside a run of its class, none overlapping,
 * and free + live blocks + lost = heap. */
static int sss_check(struct sim_state *s, char *why, size_t len)
{
    size_t n = 0, k = 0, ri = 0;
    for (uint32_t c = 0; c < SIM_NCLASS; c++)
        n += s->stacks[c].n;
    for (uint32_t id = 0; id < s->ocap; id++)
        n += s->obj_live[id];
    struct blk *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        snprintf(why, len, "out of memory in the check");
        return -1;
    }
    uint64_t free_sum = 0, used = 0, live = 0;
    int big = 0;                /* an object larger than its block */
    for (uint32_t c = 0; c < SIM_NCLASS; c++)
        for (size_t i = 0; i < s->stacks[c].n; i++) {
            v[k++] = (struct blk){s->stacks[c].v[i], class_block(s, c), 0};
            free_sum += class_block(s, c);
        }
    for (uint32_t id = 0; id < s->ocap; id++)
        if (s->obj_live[id]) {
            v[k++] = (struct blk){s->obj_addr[id], class_block(s, s->obj_cls[id]), 1};
            used += class_block(s, s->obj_cls[id]);
            live += s->obj_req[id];
            big |= s->obj_req[id] > class_block(s, s->obj_cls[id]);
        }
    qsort(v, k, sizeof *v, blk_cmp);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++)
        if (!in_run(s, &v[i], &ri) || (i && v[i - 1].addr + v[i - 1].size > v[i].addr))
            rc = -1;
    free(v);
    if (rc < 0 || big) {
        snprintf(why, len, "segregated storage: a block overlaps, lies outside its run or is too small");
        return -1;
    }
    if (free_sum != s->free_bytes || live != s->live ||
        free_sum + used + s->lost + (s->heap - s->top) != s->heap) {
        snprintf(why, len, "free %" PRIu64 " + used %" PRIu64 " + lost %" PRIu64
                 " != heap %" PRIu64 ", or live %" PRIu64 " != %" PRIu64, free_sum, used,
                 s->lost, s->heap, live, s->live);
        return -1;
    }
    return 0;
}

const struct sim_policy sim_simple_seg = {
    .name = "simple-seg", .title = "simple segregated storage (no split, no merge)",
    .coalesces = 0, .index = NULL, .init = NULL, .alloc = sss_alloc,
    .release = sss_release, .resize = sss_resize, .check = sss_check, .fini = sss_fini};
