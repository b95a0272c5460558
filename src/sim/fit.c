/* fit.c: the free indexes of the fit policies.  All of them run on the
 * engine of heap.c (split, immediate coalescing, growth at the top):
 *
 *   ff-lifo   first fit over a list, freed blocks at the front
 *   ff-fifo   first fit over a FIFO list (freed blocks at the back), kept as
 *             a tree ordered by filing stamp with subtree maxima, O(log n)
 *   ff-addr   first fit in address order: a tree with subtree maxima, O(log n)
 *   next-fit  address-ordered first fit that starts where the last one ended
 *   best-fit  smallest block that fits, lowest address among equals: a tree
 *             ordered by (size, address), O(log n)
 *   seg-fit   segregated fits: one list per size class, first fit in the
 *             request's class, else the head of the next non-empty class
 *
 * A block split for an allocation keeps its remainder where it was filed
 * (the allocated part is cut from its front), and a block that grows by
 * coalescing stays where it was filed too (best fit and segregated fits
 * re-file it by its new size): the heap extended under the top block, a
 * realloc's tail given back to the free block after it.  Only a free()
 * that merges with free neighbours files the merged block anew in the LIFO
 * and FIFO orders, like any freed block (refile_merged); the address trees
 * keep the neighbour's place.
 *
 * The FIFO order is a stamp tree: filing a block gives it the next value of a
 * counter, so in stamp order the blocks stand exactly as in a FIFO list (a
 * block that keeps its place keeps its stamp), and first fit is the leftmost
 * node whose subtree maximum fits.  (A plain list costs a walk past all the
 * old small blocks filed before the first that fits: linear per search.)
 * The LIFO list stays a list: its first fit is usually near the front.  It
 * keeps an upper bound of its largest block, lowered to the exact maximum
 * whenever a search walks the whole list in vain, so a request that cannot
 * fit costs nothing.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "sim/sim.h"

/* ---- size classes: 16-byte steps to 64 bytes, then four per doubling ---- */

/* The class of a block of `size` bytes: class c holds sizes in
 * (sim_class_size(c - 1), sim_class_size(c)]. */
uint32_t sim_class_of(uint64_t size)
{
    if (size <= 64)
        return size ? (uint32_t)((size - 1) / 16) : 0;
    unsigned lg = 63u - (unsigned)__builtin_clzll(size - 1);
    uint32_t c = 4 + (lg - 6) * 4 + (uint32_t)(((size - 1) >> (lg - 2)) & 3);
    return c < SIM_NCLASS ? c : SIM_NCLASS - 1;
}

/* The largest size of class c. */
uint64_t sim_class_size(uint32_t c)
{
    if (c < 4)
        return (uint64_t)(c + 1) * 16;
    unsigned lg = 6 + (c - 4) / 4;
    return (uint64_t)(5 + (c - 4) % 4) << (lg - 2);
}

/* ---- the LIFO list ---- */

static void list_unlink(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    uint32_t p = T[t].l, n = T[t].r;
    if (p)
        T[p].r = n;
    else
        s->head = n;
    if (n)
        T[n].l = p;
    else
        s->tail = p;
    T[t].l = T[t].r = 0;
}

static void lifo_insert(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    T[t].l = 0;
    T[t].r = s->head;
    if (s->head)
        T[s->head].l = t;
    else
        s->tail = t;
    s->head = t;
    if (T[t].size > s->max_ub)
        s->max_ub = T[t].size;
}

/* First block of the list that fits; a vain walk lowers max_ub to the truth. */
static uint32_t list_find(struct sim_state *s, uint64_t need)
{
    if (need > s->max_ub)
        return 0;
    const struct sim_tile *T = s->t;
    uint64_t seen = 0;
    for (uint32_t t = s->head; t; t = T[t].r) {
        if (T[t].size >= need)
            return t;
        if (T[t].size > seen)
            seen = T[t].size;
    }
    s->max_ub = seen;
    return 0;
}

/* A block that keeps its place in the list: only the bound may rise. */
static void list_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    if (s->t[t].size > s->max_ub)
        s->max_ub = s->t[t].size;
}

/* ---- trees ---- */

/* Files t after every block filed so far (FIFO order = stamp order). */
static void stamp_insert(struct sim_state *s, uint32_t t)
{
    s->t[t].stamp = s->stamp_next++;
    _sim_tree_insert(s, t, SIM_BY_STAMP);
}

static void stamp_remove(struct sim_state *s, uint32_t t)
{
    _sim_tree_remove(s, t, SIM_BY_STAMP);
}

/* The earliest-filed block that fits: FIFO first fit. */
static uint32_t fifo_find(struct sim_state *s, uint64_t need)
{
    return _sim_tree_first_fit(s, need);
}

/* A block that keeps its place (and stamp): only the maxima change. */
static void stamp_resized(struct sim_state *s, uint32_t t, uint64_t old_addr,
                          uint64_t old_size)
{
    _sim_tree_fix(s, t, SIM_BY_STAMP);
}

static void addr_insert(struct sim_state *s, uint32_t t)
{
    _sim_tree_insert(s, t, SIM_BY_ADDR);
}

static void addr_remove(struct sim_state *s, uint32_t t)
{
    _sim_tree_remove(s, t, SIM_BY_ADDR);
}

static uint32_t addr_find(struct sim_state *s, uint64_t need)
{
    return _sim_tree_first_fit(s, need);
}

static uint32_t next_find(struct sim_state *s, uint64_t need)
{
    uint32_t t = _sim_tree_next_fit(s, s->rover, need);
    return t ? t : _sim_tree_first_fit(s, need);
}

static void next_placed(struct sim_state *s, uint64_t end)
{
    s->rover = end;
}

static void addr_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    _sim_tree_fix(s, t, SIM_BY_ADDR);
}

static void size_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    _sim_tree_rekey(s, t, old_addr, old_size);
}

static void size_insert(struct sim_state *s, uint32_t t)
{
    _sim_tree_insert(s, t, SIM_BY_SIZE);
}

static void size_remove(struct sim_state *s, uint32_t t)
{
    _sim_tree_remove(s, t, SIM_BY_SIZE);
}

static uint32_t size_find(struct sim_state *s, uint64_t need)
{
    return _sim_tree_best_fit(s, need);
}

/* ---- segregated lists ---- */

static void seg_insert(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    uint32_t c = sim_class_of(T[t].size);
    T[t].cls = (uint8_t)c;
    T[t].l = 0;
    T[t].r = s->cls_head[c];
    if (s->cls_head[c])
        T[s->cls_head[c]].l = t;
    s->cls_head[c] = t;
    s->bitmap[c / 64] |= 1ull << (c % 64);
}

static void seg_remove(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    uint32_t c = T[t].cls, p = T[t].l, n = T[t].r;
    if (p)
        T[p].r = n;
    else
        s->cls_head[c] = n;
    if (n)
        T[n].l = p;
    if (!s->cls_head[c])
        s->bitmap[c / 64] &= ~(1ull << (c % 64));
    T[t].l = T[t].r = 0;
}

/* A block changes list only when its class changes. */
static void seg_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    if (sim_class_of(s->t[t].size) != s->t[t].cls) {
        seg_remove(s, t);
        seg_insert(s, t);
    }
}

/* First fit within the request's class, else any block of the next
 * non-empty larger class (all of them fit). */
static uint32_t seg_find(struct sim_state *s, uint64_t need)
{
    const struct sim_tile *T = s->t;
    uint32_t c = sim_class_of(need);
    for (uint32_t t = s->cls_head[c]; t; t = T[t].r)
        if (T[t].size >= need)
            return t;
    for (uint32_t w = (c + 1) / 64; w < sizeof s->bitmap / sizeof s->bitmap[0]; w++) {
        uint64_t bits = s->bitmap[w];
        if (w == (c + 1) / 64)
            bits &= (c + 1) % 64 ? ~0ull << ((c + 1) % 64) : ~0ull;
        if (bits)
            return s->cls_head[w * 64 + (uint32_t)__builtin_ctzll(bits)];
    }
    return 0;
}

/* ---- invariants of the indexes (--check) ---- */

/* Counts the tiles a list reaches and checks its back links and its bound. */
static int list_check(struct sim_state *s, uint32_t head, uint64_t *count, int bounded,
                      char *why, size_t len)
{
    const struct sim_tile *T = s->t;
    uint32_t prev = 0;
    for (uint32_t t = head; t; prev = t, t = T[t].r) {
        if (T[t].l != prev || !T[t].free || (bounded && T[t].size > s->max_ub)) {
            snprintf(why, len, "free list broken at block %" PRIu64, T[t].addr);
            return -1;
        }
        if (++*count > s->nt) {
            snprintf(why, len, "free list has a cycle");
            return -1;
        }
    }
    return 0;
}

/* Verifies the policy's index and that it holds exactly the free tiles. */
int _sim_index_check(struct sim_state *s, char *why, size_t len)
{
    const struct sim_index *ix = s->policy->index;
    uint64_t filed = 0, free_tiles = 0;
    int rc = 0;
    if (ix->find == list_find) {
        rc = list_check(s, s->head, &filed, 1, why, len);
    } else if (ix->find == seg_find) {
        for (uint32_t c = 0; c < SIM_NCLASS && rc == 0; c++) {
            uint64_t before = filed;
            rc = list_check(s, s->cls_head[c], &filed, 0, why, len);
            int bit = (int)((s->bitmap[c / 64] >> (c % 64)) & 1);
            if (rc == 0 && bit != (filed > before)) {
                snprintf(why, len, "class bitmap wrong for class %u", c);
                rc = -1;
            }
        }
    } else {
        int by = ix->find == size_find ? SIM_BY_SIZE
                 : ix->find == fifo_find ? SIM_BY_STAMP : SIM_BY_ADDR;
        rc = _sim_tree_check(s, by, &filed, why, len);
    }
    if (rc < 0)
        return -1;
    for (uint32_t t = s->last; t; t = s->t[t].prev)
        free_tiles += s->t[t].free;
    if (filed != free_tiles) {
        snprintf(why, len, "index holds %" PRIu64 " blocks, heap has %" PRIu64 " free",
                 filed, free_tiles);
        return -1;
    }
    return 0;
}

/* ---- the policies ---- */

static const struct sim_index lifo_index = {lifo_insert, list_unlink, list_find, NULL,
                                            list_resized, 1};
static const struct sim_index fifo_index = {stamp_insert, stamp_remove, fifo_find, NULL,
                                            stamp_resized, 1};
static const struct sim_index addr_index = {addr_insert, addr_remove, addr_find, NULL,
                                            addr_resized, 0};
static const struct sim_index next_index = {addr_insert, addr_remove, next_find,
                                            next_placed, addr_resized, 0};
static const struct sim_index size_index = {size_insert, size_remove, size_find, NULL,
                                            size_resized, 0};
static const struct sim_index seg_index = {seg_insert, seg_remove, seg_find, NULL,
                                          seg_resized, 0};

#define FIT_POLICY(var, nm, ttl, ix)                                                    \
    const struct sim_policy var = {                                                     \
        .name = nm, .title = ttl, .coalesces = 1, .index = &ix, .init = _sim_fit_init,  \
        .alloc = _sim_fit_alloc, .release = _sim_fit_release, .resize = _sim_fit_resize, \
        .check = _sim_tiles_check, .fini = NULL}

FIT_POLICY(sim_ff_lifo, "ff-lifo", "first fit, LIFO free list", lifo_index);
FIT_POLICY(sim_ff_fifo, "ff-fifo", "first fit, FIFO free list", fifo_index);
FIT_POLICY(sim_ff_addr, "ff-addr", "first fit, address-ordered", addr_index);
FIT_POLICY(sim_next_fit, "next-fit", "next fit, address-ordered", next_index);
FIT_POLICY(sim_best_fit, "best-fit", "best fit, address-ordered ties", size_index);
FIT_POLICY(sim_seg_fit, "seg-fit", "segregated fits (size-class lists)", seg_index);
