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
 * adds a level above it.  Invariant: every entry of level i > 0 is the
 * maximum of its 16 children, and the top level is a single group.
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

/* The largest entry of group g (building a level anew: not a hot path). */
static inline uint32_t group_max(const uint32_t *g)
{
    uint32_t m = 0;
    for (unsigned k = 0; k < 16; k++)
        m = g[k] > m ? g[k] : m;
    return m;
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

/* Sets entry pos of level i to v and brings the maxima above it up to
 * date, stopping as soon as one does not change: a raised entry raises its
 * parent only past the parent's value, a lowered one lowers it only if it
 * was the group's maximum. */
static void update(struct sim_mtree *mt, unsigned i, uint64_t pos, uint32_t v)
{
    for (;; i++) {
        uint32_t *g = mt->lv[i] + (pos & ~(uint64_t)15);
        unsigned k = (unsigned)(pos & 15);
        uint32_t old = g[k];
        if (old == v)
            return;
        if (i + 1 == mt->nlv) {
            g[k] = v;
            return;
        }
        uint32_t p = mt->lv[i + 1][pos >> 4];
        uint32_t m;
        if (v >= p) {
            m = v;
        } else if (old < p) {
            g[k] = v;
            return;
        } else {
            /* the lowered entry was the group's maximum: it stays so when no
             * other entry exceeds v (a block shrinking from the front, or the
             * only block of a group emptied), else the others decide */
            m = group_mask(g, v + 1) & ~(1u << k) ? max_without(g, k, k, v) : v;
        }
        g[k] = v;
        if (m == p)
            return;
        pos >>= 4;
        v = m;
    }
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
 * front of a free block moves a few granules) the maxima above are brought
 * up to date once. */
void _sim_mt_move(struct sim_mtree *mt, uint64_t from, uint64_t to, uint32_t v, uint32_t t)
{
    if ((from ^ to) >> 4 || mt->nlv == 1) {
        _sim_mt_set(mt, from, 0, 0);
        _sim_mt_set(mt, to, v, t);
        return;
    }
    uint32_t *g = mt->lv[0] + (to & ~(uint64_t)15);
    unsigned kf = (unsigned)(from & 15), kt = (unsigned)(to & 15);
    /* v is the group's new maximum unless another entry exceeds it */
    unsigned others = group_mask(g, v + 1) & ~(1u << kf) & ~(1u << kt);
    uint32_t m = others ? max_without(g, kf, kt, v) : v;
    g[kf] = 0;
    g[kt] = v;
    mt->tile[to] = t;
    update(mt, 1, to >> 4, m);
}

/* From entry k of level i (value >= n), down to the leftmost position
 * under it whose value is >= n. */
static uint64_t descend_left(const struct sim_mtree *mt, unsigned i, uint64_t k, uint32_t n)
{
    while (i > 0) {
        i--;
        k *= 16;
        k += (unsigned)__builtin_ctz(group_mask(mt->lv[i] + k, n));
    }
    return k;
}

/* The leftmost position at or after p whose value is >= n (n >= 1), or
 * SIM_MT_NONE: along the path up from p, the rest of each group, then down. */
uint64_t _sim_mt_first_from(const struct sim_mtree *mt, uint64_t p, uint32_t n)
{
    if (!group_mask(mt->lv[mt->nlv - 1], n))
        return SIM_MT_NONE;
    for (unsigned i = 0; i < mt->nlv; i++) {
        if (p >= level_len(mt->cap, i))
            return SIM_MT_NONE;
        uint64_t g = p & ~(uint64_t)15;
        unsigned m = group_mask(mt->lv[i] + g, n) & (~0u << (p & 15));
        if (m)
            return descend_left(mt, i, g + (unsigned)__builtin_ctz(m), n);
        p = (p >> 4) + 1;
    }
    return SIM_MT_NONE;
}

/* The leftmost position whose value is >= n, or SIM_MT_NONE. */
uint64_t _sim_mt_first(const struct sim_mtree *mt, uint32_t n)
{
    unsigned top = mt->nlv - 1;
    unsigned m = group_mask(mt->lv[top], n);
    if (!m)
        return SIM_MT_NONE;
    return descend_left(mt, top, (unsigned)__builtin_ctz(m), n);
}

/* The rightmost position whose value is >= n, or SIM_MT_NONE. */
uint64_t _sim_mt_last(const struct sim_mtree *mt, uint32_t n)
{
    unsigned i = mt->nlv - 1;
    unsigned m = group_mask(mt->lv[i], n);
    if (!m)
        return SIM_MT_NONE;
    uint64_t k = 31u - (unsigned)__builtin_clz(m);
    while (i > 0) {
        i--;
        k *= 16;
        k += 31u - (unsigned)__builtin_clz(group_mask(mt->lv[i] + k, n));
    }
    return k;
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

/* Verifies every maximum; counts the occupied positions. */
int _sim_mt_check(const struct sim_mtree *mt, uint64_t *count, char *why, size_t len)
{
    *count = 0;
    for (uint64_t p = 0; p < mt->cap; p++)
        *count += mt->lv[0][p] != 0;
    for (unsigned i = 1; i < mt->nlv; i++) {
        uint64_t below = level_len(mt->cap, i - 1);
        for (uint64_t j = 0; j < level_len(mt->cap, i); j++) {
            uint32_t m = 16 * j < below ? group_max(mt->lv[i - 1] + 16 * j) : 0;
            if (mt->lv[i][j] != m) {
                snprintf(why, len, "max tree: level %u entry %" PRIu64 " is %" PRIu32
                         ", its group's maximum %" PRIu32, i, j, mt->lv[i][j], m);
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
