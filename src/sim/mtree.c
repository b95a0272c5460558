/* mtree.c: a max tree over positions, the free index of the first-fit
 * policies.  Each position holds a value (a free block's size in alignment
 * units, 0 when empty) and the tile there; level i + 1 holds the maximum of
 * each group of 16 entries of level i, so a group is one 64-byte cache line
 * and a search reads one line per level: about five for a million positions.
 *
 *   leftmost position >= p whose value >= n   (address-ordered first fit,
 *                                              next fit, FIFO first fit)
 *   rightmost position whose value >= n       (LIFO first fit)
 *
 * Layout: implicit, one array per level; entry j of level i covers positions
 * [j * 16^i, (j + 1) * 16^i), whatever the capacity, so growing (doubling the
 * positions) only appends zeros and, when the top level outgrows one group,
 * adds a level above it.  Invariant: every entry of level i > 0 is at
 * least the maximum of its 16 children (a bound: raising a value raises the
 * bounds above it, lowering one leaves them; a search that goes down a
 * bound no child reaches repairs it to its group's maximum and tries the
 * next candidate), level 0 holds the exact values, and the top level is a
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

/* The largest entry of group g. */
static inline uint32_t group_max(const uint32_t *g)
{
#if defined(__SSE2__)
    /* values are below 2^31: signed compares order them */
    const __m128i *v = (const __m128i *)g;
    __m128i a = _mm_loadu_si128(v), b = _mm_loadu_si128(v + 1);
    __m128i c = _mm_loadu_si128(v + 2), d = _mm_loadu_si128(v + 3);
    __m128i gt = _mm_cmpgt_epi32(a, b);
    a = _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
    gt = _mm_cmpgt_epi32(c, d);
    c = _mm_or_si128(_mm_and_si128(gt, c), _mm_andnot_si128(gt, d));
    gt = _mm_cmpgt_epi32(a, c);
    a = _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, c));
    b = _mm_shuffle_epi32(a, _MM_SHUFFLE(1, 0, 3, 2));
    gt = _mm_cmpgt_epi32(a, b);
    a = _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
    b = _mm_shuffle_epi32(a, _MM_SHUFFLE(2, 3, 0, 1));
    gt = _mm_cmpgt_epi32(a, b);
    a = _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
    return (uint32_t)_mm_cvtsi128_si32(a);
#else
    uint32_t m = 0;
    for (unsigned k = 0; k < 16; k++)
        m = g[k] > m ? g[k] : m;
    return m;
#endif
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

/* Entry pos of level 0 becomes v.  A raised entry raises the bounds above
 * it until one is already at least v; a lowered one leaves them as they
 * are (still bounds), so cutting a block or emptying a position costs one
 * store, whatever the depth. */
static inline void update(struct sim_mtree *mt, uint64_t pos, uint32_t v)
{
    mt->lv[0][pos] = v;
    for (unsigned i = 1; i < mt->nlv; i++) {
        pos >>= 4;
        uint32_t *e = mt->lv[i] + pos;
        if (*e >= v)
            return;
        *e = v;
    }
}

/* Sets position pos (below cap) to value v and tile t.  An emptied
 * position (v = 0) keeps its old tile, which nothing reads: one store less
 * to a line the operation does not otherwise touch. */
void _sim_mt_set(struct sim_mtree *mt, uint64_t pos, uint32_t v, uint32_t t)
{
    if (v)
        mt->tile[pos] = t;
    update(mt, pos, v);
}

/* Sets the value of occupied position pos, its tile unchanged. */
void _sim_mt_revalue(struct sim_mtree *mt, uint64_t pos, uint32_t v)
{
    update(mt, pos, v);
}

/* Moves the entry at position `from` to the empty position `to` (below
 * cap) with value v and tile t. */
void _sim_mt_move(struct sim_mtree *mt, uint64_t from, uint64_t to, uint32_t v, uint32_t t)
{
    mt->lv[0][from] = 0;
    mt->tile[to] = t;
    update(mt, to, v);
}

/* Entry k of level i was found at least n, yet no entry of its group below
 * is: it is a stale bound.  Sets it to the maximum of its group, now below
 * n, so that no search for n or more comes down here again. */
static inline void repair(struct sim_mtree *mt, unsigned i, uint64_t k)
{
    mt->lv[i][k] = group_max(mt->lv[i - 1] + 16 * k);
}

/* From entry k of level `top` (at least n), down to the leftmost position
 * under it whose value is >= n; SIM_MT_NONE when the entry was a stale
 * bound (the bounds found so on the way are repaired).  A dead end goes
 * back up to the next candidate to the right: the entries left of it were
 * below n when the search went down. */
static uint64_t descend_left(struct sim_mtree *mt, unsigned top, uint64_t k, uint32_t n)
{
    unsigned i = top;
    while (i > 0) {
        unsigned m = group_mask(mt->lv[i - 1] + 16 * k, n);
        if (m) {
            i--;
            k = 16 * k + (unsigned)__builtin_ctz(m);
            continue;
        }
        for (;;) {
            repair(mt, i, k);
            if (i == top)
                return SIM_MT_NONE;
            m = group_mask(mt->lv[i] + (k & ~(uint64_t)15), n) & (~1u << (k & 15));
            if (m) {
                k = (k & ~(uint64_t)15) + (unsigned)__builtin_ctz(m);
                break;
            }
            k >>= 4;
            i++;
        }
    }
    return k;
}

/* The mirror of descend_left: the rightmost position, dead ends going back
 * to the next candidate to the left. */
static uint64_t descend_right(struct sim_mtree *mt, unsigned top, uint64_t k, uint32_t n)
{
    unsigned i = top;
    while (i > 0) {
        unsigned m = group_mask(mt->lv[i - 1] + 16 * k, n);
        if (m) {
            i--;
            k = 16 * k + 31u - (unsigned)__builtin_clz(m);
            continue;
        }
        for (;;) {
            repair(mt, i, k);
            if (i == top)
                return SIM_MT_NONE;
            m = group_mask(mt->lv[i] + (k & ~(uint64_t)15), n) & ((1u << (k & 15)) - 1);
            if (m) {
                k = (k & ~(uint64_t)15) + 31u - (unsigned)__builtin_clz(m);
                break;
            }
            k >>= 4;
            i++;
        }
    }
    return k;
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
            uint64_t r = descend_left(mt, i, g + (unsigned)__builtin_ctz(m), n);
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
        uint64_t r = descend_left(mt, top, (unsigned)__builtin_ctz(m), n);
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
        for (; m; m &= ~(1u << (31u - __builtin_clz(m)))) {
            uint64_t r = descend_right(mt, i, g + 31u - (unsigned)__builtin_clz(m), n);
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
