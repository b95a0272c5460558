/* fit.c: the free indexes of the fit policies.  All of them run on the
 * engine of heap.c (split, immediate coalescing, growth at the top):
 *
 *   ff-lifo   first fit over a LIFO list (freed blocks at the front)
 *   ff-fifo   first fit over a FIFO list (freed blocks at the back)
 *   ff-addr   first fit in address order
 *   next-fit  address-ordered first fit that starts where the last one ended
 *   best-fit  smallest block that fits, lowest address among equals
 *             (bestfit.c: exact-size bins, a treap for large blocks)
 *   seg-fit   segregated fits: one list per size class, first fit in the
 *             request's class, else the head of the next non-empty class
 *
 * A block split for an allocation keeps its remainder where it was filed
 * (the allocated part is cut from its front), and a block that grows by
 * coalescing stays where it was filed too (best fit and segregated fits
 * re-file it by its new size): the heap extended under the top block, a
 * realloc's tail given back to the free block after it.  Only a free()
 * that merges with free neighbours files the merged block anew in the LIFO
 * and FIFO orders, like any freed block (refile_merged); the address orders
 * keep the neighbour's place.
 *
 * The four first fits search one max tree (mtree.c), O(log16 n) cache
 * lines, never a walk of the free blocks.  Its positions are address
 * granules for ff-addr and next-fit (first fit: the leftmost that fits;
 * next fit: the leftmost at or after the rover, else from the start), and
 * filing stamps for the lists: filing a block gives it the next value of a
 * counter, so in stamp order the blocks stand exactly as in a FIFO list and
 * in reverse as in a LIFO list (a block that keeps its place keeps its
 * stamp).  FIFO first fit is the leftmost stamp whose block fits, LIFO
 * first fit (the first block from the list's head that fits) the rightmost.
 * (A LIFO or FIFO list walk passes every block filed after, or before, the
 * first that fits: linear per search, 0.1 M events/s on a python3 trace.)
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

/* ---- first fits on the max tree ---- */

/* The max tree value of a block of `size` bytes: its size in alignment
 * units (sizes are whole units), saturated. */
static inline uint32_t mt_value(const struct sim_state *s, uint64_t size)
{
    uint64_t v = size >> s->v_shift;
    return v < SIM_MT_VMAX ? (uint32_t)v : SIM_MT_VMAX;
}

/* Makes position pos exist; on failure the model stops with an error. */
static int mt_room(struct sim_state *s, uint64_t pos)
{
    if (pos < s->mt.cap)
        return 0;
    if (_sim_mt_reserve(&s->mt, pos) == 0)
        return 0;
    s->error = "out of memory for the free index";
    return -1;
}

/* Requests of 2^31 alignment units or more (32 GiB at 16 bytes) are beyond
 * the tree's values: the fitting tile is found by walking every tile.
 * order: 0 lowest address at or above `from`, 1 earliest stamp, 2 latest. */
static uint32_t walk_find(const struct sim_state *s, uint64_t need, int order, uint64_t from)
{
    const struct sim_tile *T = s->t;
    uint32_t best = 0;
    for (uint32_t t = s->last; t; t = T[t].prev) {
        if (!T[t].free || T[t].size < need || (order == 0 && T[t].addr < from))
            continue;
        if (!best || (order == 0 && T[t].addr < T[best].addr) ||
            (order == 1 && T[t].stamp < T[best].stamp) ||
            (order == 2 && T[t].stamp > T[best].stamp))
            best = t;
    }
    return best;
}

/* Address positions: a block starts at a multiple of the alignment and is
 * at least min_block long, so no two blocks start in one granule of the
 * largest power of two not above min_block.  A heap of more granules than
 * SIM_MT_ADDR_LIMIT (512 MiB at 32-byte granules) would make the tree too
 * big: its blocks move to the address treap of tree.c (mt_off), which gives
 * the same answers more slowly. */
static void addr_to_treap(struct sim_state *s)
{
    for (uint64_t p = 0; p < s->mt.cap; p++)
        if (s->mt.lv[0][p])
            _sim_tree_insert(s, s->mt.tile[p], SIM_BY_ADDR);
    _sim_mt_fini(&s->mt);
    s->mt_off = 1;
}

static void addr_insert(struct sim_state *s, uint32_t t)
{
    uint64_t pos = s->t[t].addr >> s->mt_shift;
    if (!s->mt_off && pos >= SIM_MT_ADDR_LIMIT)
        addr_to_treap(s);
    if (s->mt_off)
        _sim_tree_insert(s, t, SIM_BY_ADDR);
    else if (mt_room(s, pos) == 0)
        _sim_mt_set(&s->mt, pos, mt_value(s, s->t[t].size), t);
}

static void addr_remove(struct sim_state *s, uint32_t t)
{
    if (s->mt_off)
        _sim_tree_remove(s, t, SIM_BY_ADDR);
    else
        _sim_mt_set(&s->mt, s->t[t].addr >> s->mt_shift, 0, 0);
}

/* A filed block changed range (crossing no other free block): move its
 * entry if it changed granule, else update its value. */
static void addr_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    if (s->mt_off) {
        _sim_tree_fix(s, t, SIM_BY_ADDR);
        return;
    }
    uint64_t from = old_addr >> s->mt_shift, to = s->t[t].addr >> s->mt_shift;
    if (from == to) {
        _sim_mt_revalue(&s->mt, to, mt_value(s, s->t[t].size));
    } else if (to >= SIM_MT_ADDR_LIMIT) {
        _sim_mt_set(&s->mt, from, 0, 0);
        addr_insert(s, t);
    } else if (mt_room(s, to) == 0) {
        _sim_mt_move(&s->mt, from, to, mt_value(s, s->t[t].size), t);
    }
}

/* The tile at position pos, or 0 for SIM_MT_NONE. */
static inline uint32_t mt_tile(const struct sim_state *s, uint64_t pos)
{
    return pos == SIM_MT_NONE ? 0 : s->mt.tile[pos];
}

/* Address-ordered first fit: the leftmost granule whose block fits. */
static uint32_t addr_find(struct sim_state *s, uint64_t need)
{
    uint64_t n = need >> s->v_shift;
    if (s->mt_off)
        return _sim_tree_first_fit(s, need);
    if (n >= SIM_MT_VMAX)
        return walk_find(s, need, 0, 0);
    return mt_tile(s, _sim_mt_first(&s->mt, (uint32_t)n));
}

/* Next fit: the lowest block at or above the rover that fits, else first
 * fit from the start.  The rover's own granule may hold a block that
 * starts below it: then the search goes on after that granule. */
static uint32_t next_find(struct sim_state *s, uint64_t need)
{
    uint64_t n = need >> s->v_shift;
    if (s->mt_off) {
        uint32_t t = _sim_tree_next_fit(s, s->rover, need);
        return t ? t : _sim_tree_first_fit(s, need);
    }
    if (n >= SIM_MT_VMAX) {
        uint32_t t = walk_find(s, need, 0, s->rover);
        return t ? t : walk_find(s, need, 0, 0);
    }
    uint64_t p = s->rover >> s->mt_shift;
    /* most often the rest of the block the last allocation was cut from
     * starts at the rover and fits: it is the answer */
    if (p < s->mt.cap && s->mt.lv[0][p] >= n && s->t[s->mt.tile[p]].addr >= s->rover)
        return s->mt.tile[p];
    p = _sim_mt_first_from(&s->mt, p, (uint32_t)n);
    if (p != SIM_MT_NONE && s->t[s->mt.tile[p]].addr < s->rover)
        p = _sim_mt_first_from(&s->mt, p + 1, (uint32_t)n);
    if (p == SIM_MT_NONE)
        p = _sim_mt_first(&s->mt, (uint32_t)n);
    return mt_tile(s, p);
}

static void next_placed(struct sim_state *s, uint64_t end)
{
    s->rover = end;
}

/* Stamp positions: filing takes the next stamp, so position order is filing
 * order (a FIFO list's order, a LIFO list's reversed).  When the stamps run
 * out of room and at most a quarter of them are in use, the live ones are
 * renumbered in order (compaction: a write to each live tile, so it is kept
 * rare), else the room doubles. */
static void stamp_renum(void *ctx, uint32_t t, uint64_t pos)
{
    struct sim_state *s = ctx;
    s->t[t].stamp = pos;
}

static void stamp_insert(struct sim_state *s, uint32_t t)
{
    if (s->stamp_next == s->mt.cap) {
        if (s->mt_filed <= s->mt.cap / 4)
            s->stamp_next = _sim_mt_compact(&s->mt, s->stamp_next, stamp_renum, s);
        else if (mt_room(s, s->stamp_next) < 0)
            return;
    }
    s->t[t].stamp = s->stamp_next++;
    s->mt_filed++;
    _sim_mt_set(&s->mt, s->t[t].stamp, mt_value(s, s->t[t].size), t);
}

static void stamp_remove(struct sim_state *s, uint32_t t)
{
    s->mt_filed--;
    _sim_mt_set(&s->mt, s->t[t].stamp, 0, 0);
}

/* A block that keeps its place (and stamp): only its value changes. */
static void stamp_resized(struct sim_state *s, uint32_t t, uint64_t old_addr,
                          uint64_t old_size)
{
    _sim_mt_revalue(&s->mt, s->t[t].stamp, mt_value(s, s->t[t].size));
}

/* The earliest-filed block that fits: FIFO first fit. */
static uint32_t fifo_find(struct sim_state *s, uint64_t need)
{
    uint64_t n = need >> s->v_shift;
    if (n >= SIM_MT_VMAX)
        return walk_find(s, need, 1, 0);
    return mt_tile(s, _sim_mt_first(&s->mt, (uint32_t)n));
}

/* The latest-filed block that fits: exactly the first block that fits in
 * a LIFO list, where the latest-filed block stands first.  The search
 * starts from the latest stamp given. */
static uint32_t lifo_find(struct sim_state *s, uint64_t need)
{
    uint64_t n = need >> s->v_shift;
    if (n >= SIM_MT_VMAX)
        return walk_find(s, need, 2, 0);
    if (!s->stamp_next)
        return 0;
    return mt_tile(s, _sim_mt_last_before(&s->mt, s->stamp_next - 1, (uint32_t)n));
}

/* Verifies that the max tree holds exactly the free tiles, each at its
 * position with its value, and its maxima. */
static int mt_index_check(struct sim_state *s, int by_stamp, uint64_t *filed, char *why,
                          size_t len)
{
    const struct sim_tile *T = s->t;
    if (_sim_mt_check(&s->mt, filed, why, len) < 0)
        return -1;
    if (by_stamp && *filed != s->mt_filed) {
        snprintf(why, len, "max tree: %" PRIu64 " stamps filed, %" PRIu64 " counted",
                 *filed, s->mt_filed);
        return -1;
    }
    for (uint32_t t = s->last; t; t = T[t].prev) {
        if (!T[t].free)
            continue;
        uint64_t pos = by_stamp ? T[t].stamp : T[t].addr >> s->mt_shift;
        if (pos >= s->mt.cap || (by_stamp && pos >= s->stamp_next) ||
            s->mt.lv[0][pos] != mt_value(s, T[t].size) || s->mt.tile[pos] != t) {
            snprintf(why, len, "max tree: free block %" PRIu64 " (%" PRIu64
                     " bytes) not filed at its position", T[t].addr, T[t].size);
            return -1;
        }
    }
    return 0;
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

/* Counts the tiles a list reaches and checks its back links. */
static int list_check(struct sim_state *s, uint32_t head, uint64_t *count, char *why,
                      size_t len)
{
    const struct sim_tile *T = s->t;
    uint32_t prev = 0;
    for (uint32_t t = head; t; prev = t, t = T[t].r) {
        if (T[t].l != prev || !T[t].free) {
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

/* Verifies the segregated lists and their bitmap. */
static int seg_check(struct sim_state *s, uint64_t *filed, char *why, size_t len)
{
    for (uint32_t c = 0; c < SIM_NCLASS; c++) {
        uint64_t before = *filed;
        if (list_check(s, s->cls_head[c], filed, why, len) < 0)
            return -1;
        int bit = (int)((s->bitmap[c / 64] >> (c % 64)) & 1);
        if (bit != (*filed > before)) {
            snprintf(why, len, "class bitmap wrong for class %u", c);
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
    int rc;
    if (ix->find == seg_find)
        rc = seg_check(s, &filed, why, len);
    else if (ix->find == _sim_bf_find)
        rc = _sim_bf_check(s, &filed, why, len);
    else if (s->mt_off)
        rc = _sim_tree_check(s, SIM_BY_ADDR, &filed, why, len);
    else
        rc = mt_index_check(s, ix->insert == stamp_insert, &filed, why, len);
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

/* The fit policies' state beyond the tiles: the max tree.  Address
 * positions are granules of the largest power of two <= min_block. */
static int fit_init(struct sim_state *s)
{
    s->mt_shift = 63u - (unsigned)__builtin_clzll(s->min_block);
    s->v_shift = (unsigned)__builtin_ctzll(s->cfg.align);
    if (_sim_mt_init(&s->mt) < 0 || (s->policy->index->find == _sim_bf_find &&
                                     _sim_bf_init(s) < 0)) {
        s->error = "out of memory for the free index";
        return -1;
    }
    s->mt.eager = s->policy->index->mt_eager;
    return 0;
}

static void fit_fini(struct sim_state *s)
{
    _sim_mt_fini(&s->mt);
    _sim_bf_fini(s);
}

/* ---- the policies ---- */

/* How many max tree levels stay exact (mtree.c): address-ordered first
 * fit searches from the top and wants exact maxima; LIFO searches up from
 * the latest stamp and does best with bounds; FIFO and next fit between
 * (measured on python3, server and random-mix traces). */
static const struct sim_index lifo_index = {stamp_insert, stamp_remove, lifo_find, NULL,
                                            stamp_resized, 1, 0};
static const struct sim_index fifo_index = {stamp_insert, stamp_remove, fifo_find, NULL,
                                            stamp_resized, 1, 1};
static const struct sim_index addr_index = {addr_insert, addr_remove, addr_find, NULL,
                                            addr_resized, 0, SIM_MT_LEVELS};
static const struct sim_index next_index = {addr_insert, addr_remove, next_find,
                                            next_placed, addr_resized, 0, 1};
static const struct sim_index size_index = {_sim_bf_insert, _sim_bf_remove, _sim_bf_find,
                                            NULL, _sim_bf_resized, 0, 0};
static const struct sim_index seg_index = {seg_insert, seg_remove, seg_find, NULL,
                                          seg_resized, 0, 0};

#define FIT_POLICY(var, nm, ttl, ix)                                                    \
    const struct sim_policy var = {                                                     \
        .name = nm, .title = ttl, .coalesces = 1, .index = &ix, .init = fit_init,       \
        .alloc = _sim_fit_alloc, .release = _sim_fit_release, .resize = _sim_fit_resize, \
        .check = _sim_tiles_check, .fini = fit_fini}

FIT_POLICY(sim_ff_lifo, "ff-lifo", "first fit, LIFO free list", lifo_index);
FIT_POLICY(sim_ff_fifo, "ff-fifo", "first fit, FIFO free list", fifo_index);
FIT_POLICY(sim_ff_addr, "ff-addr", "first fit, address-ordered", addr_index);
FIT_POLICY(sim_next_fit, "next-fit", "next fit, address-ordered", next_index);
FIT_POLICY(sim_best_fit, "best-fit", "best fit, address-ordered ties", size_index);
FIT_POLICY(sim_seg_fit, "seg-fit", "segregated fits (size-class lists)", seg_index);
