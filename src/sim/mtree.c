/* mtree.c: a max tree over positions, the free index of the first-fit
 * policies.  Each position holds a value (a free block's size in alignment
 * units, 0 when empty) and the tile there; level i + 1 holds the maximum of
 * each group of 16 entries of level i, so a group is one 64-byte cache line
 * and a search reads one line per level: about five for a million positions.
 *
 *   leftmost position >= p whose value >= n   (address-ordered first fit,
 *                                              next fit, FIFO first fit)
 *   rightmost position <= p whose value >= n  (LIFO first fit)
 *
 * Layout: implicit, one array per level; entry j of level i covers positions
 * [j * 16^i, (j + 1) * 16^i), whatever the capacity, so growing (doubling the
 * positions) only appends zeros and, when the top level outgrows one group,
 * adds a level above it.  Invariant: every entry of level i > 0 is at
 * least the maximum of its 16 children (a bound: raising a value raises the
 * bounds above it, lowering one updates the maxima of the lowest mt->eager
 * levels and leaves the bounds above; a search that goes down a bound no
 * child reaches repairs it to its group's maximum and tries the next
 * candidate), level 0 holds the exact values, and the top level is a
 * single group.  The answers are those of exact maxima: a bound never hides
 * a position that fits.
 * Values are kept below 2^31 (larger ones saturate), so the 16-way
 * comparisons can use signed SIMD compares.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/sim.h"

/* Entries in level i of a tree of `cap` positions (whole groups). */
static uint64_t level_len(uint64_t cap, unsigned i)
{
    uint64_t n = cap >> (4 * i);
    return n < 16 ? 16 : n;
}

/* Bit k set when entry k of the 16-entry group g is >= n (n >= 1). */
static inline unsigned group_mask(const uint32_t *g, uint32_t n)
{
#if defined(__SSE2__)
    __m128i lim = _mm_set1_epi32((int)(n - 1));
    const __m128i *v = (const __m128i *)g;
    __m128i c0 = _mm_cmpgt_epi32(_mm_loadu_si128(v), lim);
    __m128i c1 = _mm_cmpgt_epi32(_mm_loadu_si128(v + 1), lim);
    __m128i c2 = _mm_cmpgt_epi32(_mm_loadu_si128(v + 2), lim);
    __m128i c3 = _mm_cmpgt_epi32(_mm_loadu_si128(v + 3), lim);
    __m128i b = _mm_packs_epi16(_mm_packs_epi32(c0, c1), _mm_packs_epi32(c2, c3));
    return (unsigned)_mm_movemask_epi8(b);
#else
    unsigned m = 0;
    for (unsigned k = 0; k < 16; k++)
        m |= (unsigned)(g[k] >= n) << k;
    return m;
#endif
}

#if defined(__SSE2__)
static inline __m128i vmax(__m128i a, __m128i b)
{
    __m128i gt = _mm_cmpgt_epi32(a, b);
    return _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
}

static const int32_t lane_ids[16] __attribute__((aligned(16))) = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* Entries q*4 .. q*4+3 of group g, with entries a and b (splatted) zeroed. */
static inline __m128i quad_without(const uint32_t *g, int q, __m128i a, __m128i b)
{
    __m128i lane = _mm_load_si128((const __m128i *)(lane_ids + 4 * q));
    __m128i drop = _mm_or_si128(_mm_cmpeq_epi32(lane, a), _mm_cmpeq_epi32(lane, b));
    return _mm_andnot_si128(drop, _mm_loadu_si128((const __m128i *)(g + 4 * q)));
}
#endif

/* The maximum of w and of group g without its entries ka and kb (ka may
 * equal kb), read before any store to the group: a wide load of a
 * just-stored entry would stall on store forwarding. */
static inline uint32_t max_without(const uint32_t *g, unsigned ka, unsigned kb, uint32_t w)
{
#if defined(__SSE2__)
    /* values are below 2^31: signed compares order them */
    __m128i a = _mm_set1_epi32((int)ka), b = _mm_set1_epi32((int)kb);
    __m128i m = vmax(vmax(quad_without(g, 0, a, b), quad_without(g, 1, a, b)),
                     vmax(quad_without(g, 2, a, b), quad_without(g, 3, a, b)));
    m = vmax(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = vmax(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    uint32_t r = (uint32_t)_mm_cvtsi128_si32(m);
    return r > w ? r : w;
#else
    uint32_t m = w;
    for (unsigned j = 0; j < 16; j++) {
        uint32_t x = j == ka || j == kb ? 0 : g[j];
        m = x > m ? x : m;
    }
    return m;
#endif
}

/* The largest entry of group g. */
static inline uint32_t group_max(const uint32_t *g)
{
    return max_without(g, 16, 16, 0);
}

/* Reallocates p from n to n2 entries of 4 bytes, zeroing the new ones; a
 * group of 16 is one cache line. */
static uint32_t *grow_array(uint32_t *p, uint64_t n, uint64_t n2)
{
    return _sim_grow(p, n * sizeof *p, n2 * sizeof *p, 1);
}

/* Prepares an empty tree.  Returns 0 or -1 (out of memory). */
int _sim_mt_init(struct sim_mtree *mt)
{
    memset(mt, 0, sizeof *mt);
    mt->cap = 16;
    mt->nlv = 1;
    mt->eager = SIM_MT_LEVELS;
    mt->lv[0] = grow_array(NULL, 0, 16);
    mt->tile = grow_array(NULL, 0, 16);
    return mt->lv[0] && mt->tile ? 0 : -1;
}

void _sim_mt_fini(struct sim_mtree *mt)
{
    for (unsigned i = 0; i < SIM_MT_LEVELS; i++)
        _sim_free(mt->lv[i]);
    _sim_free(mt->tile);
    memset(mt, 0, sizeof *mt);
}

/* Doubles the positions until `pos` is one.  Returns 0 or -1 (out of
 * memory, the tree unchanged but possibly larger arrays). */
int _sim_mt_reserve(struct sim_mtree *mt, uint64_t pos)
{
    while (pos >= mt->cap) {
        uint64_t cap2 = mt->cap * 2;
        uint32_t *t = grow_array(mt->tile, mt->cap, cap2);
        if (!t)
            return -1;
        mt->tile = t;
        for (unsigned i = 0; i < mt->nlv; i++) {
            uint64_t n = level_len(mt->cap, i), n2 = level_len(cap2, i);
            if (n2 == n)
                continue;
            uint32_t *l = grow_array(mt->lv[i], n, n2);
            if (!l)
                return -1;
            mt->lv[i] = l;
        }
        mt->cap = cap2;
        /* the top level now has two groups: add the level above it */
        unsigned top = mt->nlv - 1;
        if (level_len(cap2, top) > 16) {
            if (mt->nlv == SIM_MT_LEVELS)
                return -1;
            uint32_t *l = grow_array(NULL, 0, 16);
            if (!l)
                return -1;
            for (uint64_t j = 0; j < level_len(cap2, top) / 16; j++)
                l[j] = group_max(mt->lv[top] + 16 * j);
            mt->lv[mt->nlv++] = l;
        }
    }
    return 0;
}

/* Entry pos of level i becomes v.  A raised entry raises the bounds above
 * it until one is already at least v.  A lowered one that was its group's
 * maximum lowers the entry above to the group's new maximum, and so on up
 * to level mt->eager; the entries above stay bounds, repaired by the
 * searches that go down them.  Exact maxima (eager = SIM_MT_LEVELS) suit a
 * search that always comes down from the top (address-ordered first
 * fit); bounds suit one that climbs from where it starts (next fit, LIFO)
 * on a sparse tree, where a cut or emptied block is the maximum of every
 * level above it. */
static void update(struct sim_mtree *mt, unsigned i, uint64_t pos, uint32_t v)
{
    uint32_t *g = mt->lv[i] + (pos & ~(uint64_t)15);
    unsigned k = (unsigned)(pos & 15);
    uint32_t old = g[k];
    if (v > old) {
        g[k] = v;
        for (i++; i < mt->nlv; i++) {
            pos >>= 4;
            uint32_t *e = mt->lv[i] + pos;
            if (*e >= v)
                return;
            *e = v;
        }
        return;
    }
    for (; i < mt->eager && i + 1 < mt->nlv && old != v; i++) {
        uint32_t p = mt->lv[i + 1][pos >> 4];
        if (old < p)
            break;
        /* no other entry above v: v is the group's maximum */
        uint32_t m = group_mask(g, v + 1) & ~(1u << k) ? max_without(g, k, k, v) : v;
        g[k] = v;
        if (m == p)
            return;
        old = p;
        v = m;
        pos >>= 4;
        g = mt->lv[i + 1] + (pos & ~(uint64_t)15);
        k = (unsigned)(pos & 15);
    }
    g[k] = v;
}

/* Sets position pos (below cap) to value v and tile t.  An emptied
 * position (v = 0) keeps its old tile, which nothing reads: one store less
 * to a line the operation does not otherwise touch. */
void _sim_mt_set(struct sim_mtree *mt, uint64_t pos, uint32_t v, uint32_t t)
{
    if (v)
        mt->tile[pos] = t;
    update(mt, 0, pos, v);
}

/* Sets the value of occupied position pos, its tile unchanged. */
void _sim_mt_revalue(struct sim_mtree *mt, uint64_t pos, uint32_t v)
{
    update(mt, 0, pos, v);
}

/* Moves the entry at position `from` to the empty position `to` (below
 * cap) with value v and tile t.  Within one group (a block cut from the
 * front of a free block moves a few granules) the entry above changes
 * once. */
void _sim_mt_move(struct sim_mtree *mt, uint64_t from, uint64_t to, uint32_t v, uint32_t t)
{
    mt->tile[to] = t;
    if ((from ^ to) >> 4 || mt->nlv == 1) {
        update(mt, 0, from, 0);
        update(mt, 0, to, v);
        return;
    }
    uint32_t *g = mt->lv[0] + (to & ~(uint64_t)15);
    unsigned kf = (unsigned)(from & 15), kt = (unsigned)(to & 15);
    /* v is the group's new maximum unless another entry exceeds it */
    unsigned others = group_mask(g, v + 1) & ~(1u << kf) & ~(1u << kt);
    uint32_t m = others ? max_without(g, kf, kt, v) : v;
    g[kf] = 0;
    g[kt] = v;
    update(mt, 1, to >> 4, m);
}

/* Entry k of level i was found at least n, yet no entry of its group below
 * is: it is a stale bound.  Sets it to the maximum of its group, now below
 * n, so that no search for n or more comes down here again. */
static inline void repair(struct sim_mtree *mt, unsigned i, uint64_t k)
{
    mt->lv[i][k] = group_max(mt->lv[i - 1] + 16 * k);
}

/* The lowest (right: highest) set bit of a nonzero group mask. */
static inline unsigned pick(unsigned m, int right)
{
    return right ? 31u - (unsigned)__builtin_clz(m) : (unsigned)__builtin_ctz(m);
}

/* From entry k of level `top` (at least n), down to the leftmost (right:
 * rightmost) position under it whose value is >= n; SIM_MT_NONE when the
 * entry was a stale bound (the bounds found so on the way are repaired).
 * A dead end goes back up to the next candidate to the right (left): the
 * entries before it were below n when the search went down.  Inlined with
 * `right` a constant, once for each direction. */
static inline __attribute__((always_inline)) uint64_t
descend(struct sim_mtree *mt, unsigned top, uint64_t k, uint32_t n, int right)
{
    unsigned i = top;
    while (i > 0) {
        unsigned m = group_mask(mt->lv[i - 1] + 16 * k, n);
        if (m) {
            i--;
            k = 16 * k + pick(m, right);
            continue;
        }
        for (;;) {
            repair(mt, i, k);
            if (i == top)
                return SIM_MT_NONE;
            unsigned side = right ? (1u << (k & 15)) - 1 : ~1u << (k & 15);
            m = group_mask(mt->lv[i] + (k & ~(uint64_t)15), n) & side;
            if (m) {
                k = (k & ~(uint64_t)15) + pick(m, right);
                break;
            }
            k >>= 4;
            i++;
        }
    }
    return k;
}

static uint64_t descend_left(struct sim_mtree *mt, unsigned top, uint64_t k, uint32_t n)
{
    return descend(mt, top, k, n, 0);
}

static uint64_t descend_right(struct sim_mtree *mt, unsigned top, uint64_t k, uint32_t n)
{
    return descend(mt, top, k, n, 1);
}

/* The leftmost position at or after p whose value is >= n (n >= 1), or
 * SIM_MT_NONE: along the path up from p, the rest of each group, then down
 * (each candidate in turn: a stale bound may lead nowhere).  Entries above
 * level 0 met on the way up lie wholly after p. */
uint64_t _sim_mt_first_from(struct sim_mtree *mt, uint64_t p, uint32_t n)
{
    if (!group_mask(mt->lv[mt->nlv - 1], n))
        return SIM_MT_NONE;
    for (unsigned i = 0; i < mt->nlv; i++) {
        if (p >= level_len(mt->cap, i))
            return SIM_MT_NONE;
        uint64_t g = p & ~(uint64_t)15;
        for (unsigned m = group_mask(mt->lv[i] + g, n) & (~0u << (p & 15)); m; m &= m - 1) {
            uint64_t r = descend_left(mt, i, g + pick(m, 0), n);
            if (r != SIM_MT_NONE)
                return r;
        }
        p = (p >> 4) + 1;
    }
    return SIM_MT_NONE;
}

/* The leftmost position whose value is >= n, or SIM_MT_NONE. */
uint64_t _sim_mt_first(struct sim_mtree *mt, uint32_t n)
{
    unsigned top = mt->nlv - 1;
    for (unsigned m = group_mask(mt->lv[top], n); m; m &= m - 1) {
        uint64_t r = descend_left(mt, top, pick(m, 0), n);
        if (r != SIM_MT_NONE)
            return r;
    }
    return SIM_MT_NONE;
}

/* The rightmost position at or before p whose value is >= n (n >= 1), or
 * SIM_MT_NONE: the mirror of _sim_mt_first_from.  Starting near the right
 * end, a LIFO search that fits among the latest filings stays low in the
 * tree. */
uint64_t _sim_mt_last_before(struct sim_mtree *mt, uint64_t p, uint32_t n)
{
    if (!group_mask(mt->lv[mt->nlv - 1], n))
        return SIM_MT_NONE;
    for (unsigned i = 0; i < mt->nlv; i++) {
        uint64_t g = p & ~(uint64_t)15;
        unsigned m = group_mask(mt->lv[i] + g, n) & (0xffffu >> (15 - (p & 15)));
        for (; m; m &= ~(1u << pick(m, 1))) {
            uint64_t r = descend_right(mt, i, g + pick(m, 1), n);
            if (r != SIM_MT_NONE)
                return r;
        }
        if (p < 16)
            return SIM_MT_NONE;
        p = (p >> 4) - 1;
    }
    return SIM_MT_NONE;
}

/* The rightmost position whose value is >= n, or SIM_MT_NONE. */
uint64_t _sim_mt_last(struct sim_mtree *mt, uint32_t n)
{
    return _sim_mt_last_before(mt, level_len(mt->cap, 0) - 1, n);
}

/* Renumbers the occupied positions 0, 1, ... in order (their order kept),
 * calling renum(ctx, tile, new position) for each, and rebuilds the maxima.
 * Returns the number of occupied positions. */
uint64_t _sim_mt_compact(struct sim_mtree *mt, uint64_t end,
                         void (*renum)(void *ctx, uint32_t t, uint64_t pos), void *ctx)
{
    uint32_t *v = mt->lv[0];
    uint64_t k = 0;
    for (uint64_t p = 0; p < end; p++) {
        if (!v[p])
            continue;
        v[k] = v[p];
        mt->tile[k] = mt->tile[p];
        renum(ctx, mt->tile[k], k);
        k++;
    }
    memset(v + k, 0, (end - k) * sizeof *v);
    memset(mt->tile + k, 0, (end - k) * sizeof *mt->tile);
    for (unsigned i = 1; i < mt->nlv; i++) {
        uint64_t n = level_len(mt->cap, i);
        for (uint64_t j = 0; j < n; j++)
            mt->lv[i][j] = j < level_len(mt->cap, i - 1) / 16
                               ? group_max(mt->lv[i - 1] + 16 * j) : 0;
    }
    return k;
}

/* Verifies every bound (exact beyond the positions: 0); counts the
 * occupied positions. */
int _sim_mt_check(const struct sim_mtree *mt, uint64_t *count, char *why, size_t len)
{
    *count = 0;
    for (uint64_t p = 0; p < mt->cap; p++)
        *count += mt->lv[0][p] != 0;
    for (unsigned i = 1; i < mt->nlv; i++) {
        uint64_t below = level_len(mt->cap, i - 1);
        for (uint64_t j = 0; j < level_len(mt->cap, i); j++) {
            uint32_t m = 16 * j < below ? group_max(mt->lv[i - 1] + 16 * j) : 0;
            if (mt->lv[i][j] < m || (16 * j >= below && mt->lv[i][j])) {
                snprintf(why, len, "max tree: level %u entry %" PRIu64 " is %" PRIu32
                         ", below its group's maximum %" PRIu32, i, j, mt->lv[i][j], m);
                return -1;
            }
        }
    }
    if (level_len(mt->cap, mt->nlv - 1) != 16) {
        snprintf(why, len, "max tree: the top level is not one group");
        return -1;
    }
    return 0;
}
