/* bestfit.c: the free index of best fit (smallest block that fits, lowest
 * address among equals).  Blocks below SIM_BF_BINS alignment units sit in
 * exact-size bins: a two-level bitmap finds the smallest non-empty bin at
 * or above the request, and each bin is a min-heap by address.  Larger
 * blocks (few: the top of the heap, big merged holes) stay in the treap
 * ordered by (size, address) of tree.c; every binned size is below them.
 *
 * The bins' heaps delete lazily: filing a block gives it a fresh generation
 * (tile.stamp) that its heap entry carries, unfiling clears tile.stamp, so
 * an entry is live exactly when its generation is still its tile's.  Dead
 * entries are dropped when they reach the top of their heap, and a heap
 * holding more than twice its live entries (plus slack) is rebuilt from its
 * live ones, so dead entries never outnumber filings.  Invariants: count[u]
 * is the number of live entries of bin u, its bit is set exactly when
 * count[u] > 0, and every free block below the limit has one live entry.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* One heap entry: a filed block. */
struct sim_bf_entry {
    uint64_t addr;              /* heap key: the block's offset */
    uint64_t gen;               /* its filing; dead unless equal to tile.stamp */
    uint32_t tile;              /* the tile */
};

/* One exact-size bin. */
struct sim_bf_bin {
    struct sim_bf_entry *e;     /* min-heap by addr */
    uint32_t n, cap;            /* entries (live and dead), allocated */
    uint32_t live;              /* live entries */
};

struct sim_bf {
    struct sim_bf_bin bin[SIM_BF_BINS];
    uint64_t bits[SIM_BF_BINS / 64]; /* bin u non-empty */
    uint64_t summary;           /* bits[w] != 0 */
    uint64_t gen;               /* the last generation handed out */
};

int _sim_bf_init(struct sim_state *s)
{
    s->bf = calloc(1, sizeof *s->bf);
    return s->bf ? 0 : -1;
}

void _sim_bf_fini(struct sim_state *s)
{
    if (!s->bf)
        return;
    for (size_t u = 0; u < SIM_BF_BINS; u++)
        free(s->bf->bin[u].e);
    free(s->bf);
    s->bf = NULL;
}

/* The bin of a block of `size` bytes, or SIM_BF_BINS when it is large. */
static inline uint64_t bin_of(const struct sim_state *s, uint64_t size)
{
    uint64_t u = size >> s->v_shift;
    return u < SIM_BF_BINS ? u : SIM_BF_BINS;
}

static void set_bit(struct sim_bf *bf, uint64_t u, int on)
{
    if (on) {
        bf->bits[u / 64] |= 1ull << (u % 64);
        bf->summary |= 1ull << (u / 64);
    } else {
        bf->bits[u / 64] &= ~(1ull << (u % 64));
        if (!bf->bits[u / 64])
            bf->summary &= ~(1ull << (u / 64));
    }
}

/* ---- the heaps ---- */

static void sift_up(struct sim_bf_entry *e, uint32_t i)
{
    struct sim_bf_entry x = e[i];
    while (i > 0 && e[(i - 1) / 2].addr > x.addr) {
        e[i] = e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e[i] = x;
}

static void sift_down(struct sim_bf_entry *e, uint32_t n, uint32_t i)
{
    struct sim_bf_entry x = e[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && e[c + 1].addr < e[c].addr)
            c++;
        if (e[c].addr >= x.addr)
            break;
        e[i] = e[c];
        i = c;
    }
    e[i] = x;
}

static inline int live(const struct sim_state *s, const struct sim_bf_entry *x)
{
    return s->t[x->tile].stamp == x->gen;
}

/* Keeps only the live entries of bin b and makes them a heap again. */
static void rebuild(struct sim_state *s, struct sim_bf_bin *b)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->n; i++)
        if (live(s, &b->e[i]))
            b->e[k++] = b->e[i];
    b->n = k;
    for (uint32_t i = k / 2; i-- > 0;)
        sift_down(b->e, k, i);
}

static int push(struct sim_state *s, struct sim_bf_bin *b, uint32_t t)
{
    if (b->n == b->cap) {
        if (b->n > 2 * b->live + 16) {
            rebuild(s, b);
        } else {
            uint32_t cap = b->cap ? 2 * b->cap : 8;
            struct sim_bf_entry *e = realloc(b->e, cap * sizeof *e);
            if (!e) {
                s->error = "out of memory for the best-fit bins";
                return -1;
            }
            b->e = e;
            b->cap = cap;
        }
    }
    b->e[b->n] = (struct sim_bf_entry){s->t[t].addr, s->t[t].stamp, t};
    sift_up(b->e, b->n++);
    return 0;
}

/* ---- the index ---- */

/* Files free tile t: in its bin, or in the treap when it is large. */
void _sim_bf_insert(struct sim_state *s, uint32_t t)
{
    uint64_t u = bin_of(s, s->t[t].size);
    if (u == SIM_BF_BINS) {
        _sim_tree_insert(s, t, SIM_BY_SIZE);
        return;
    }
    struct sim_bf *bf = s->bf;
    s->t[t].stamp = ++bf->gen;
    if (push(s, &bf->bin[u], t) < 0)
        return;
    if (bf->bin[u].live++ == 0)
        set_bit(bf, u, 1);
}

/* Unfiles t, which is filed as a block of old_size bytes. */
static void unfile(struct sim_state *s, uint32_t t, uint64_t old_size)
{
    uint64_t u = bin_of(s, old_size);
    if (u == SIM_BF_BINS) {
        _sim_tree_remove(s, t, SIM_BY_SIZE);
        return;
    }
    s->t[t].stamp = 0;
    if (--s->bf->bin[u].live == 0)
        set_bit(s->bf, u, 0);
}

void _sim_bf_remove(struct sim_state *s, uint32_t t)
{
    unfile(s, t, s->t[t].size);
}

/* t now covers a different range: file it anew under its new key (a treap
 * node is taken out under its old key). */
void _sim_bf_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    if (bin_of(s, old_size) == SIM_BF_BINS) {
        if (bin_of(s, s->t[t].size) == SIM_BF_BINS) {
            _sim_tree_rekey(s, t, old_addr, old_size);
            return;
        }
        uint64_t a = s->t[t].addr, sz = s->t[t].size;
        s->t[t].addr = old_addr;
        s->t[t].size = old_size;
        _sim_tree_remove(s, t, SIM_BY_SIZE);
        s->t[t].addr = a;
        s->t[t].size = sz;
    } else {
        unfile(s, t, old_size);
    }
    _sim_bf_insert(s, t);
}

/* The lowest live block of non-empty bin u, dropping the dead entries on top. */
static uint32_t bin_top(struct sim_state *s, uint64_t u)
{
    struct sim_bf_bin *b = &s->bf->bin[u];
    while (!live(s, &b->e[0])) {
        b->e[0] = b->e[--b->n];
        sift_down(b->e, b->n, 0);
    }
    return b->e[0].tile;
}

/* Best fit: the smallest non-empty bin at or above the request, its lowest
 * block; else the treap's best fit among the large blocks. */
uint32_t _sim_bf_find(struct sim_state *s, uint64_t need)
{
    const struct sim_bf *bf = s->bf;
    uint64_t n = need >> s->v_shift;
    if (n < SIM_BF_BINS) {
        uint64_t w = n / 64;
        uint64_t bits = bf->bits[w] & (~0ull << (n % 64));
        if (bits)
            return bin_top(s, w * 64 + (uint64_t)__builtin_ctzll(bits));
        uint64_t sum = w + 1 < 64 ? bf->summary & (~0ull << (w + 1)) : 0;
        if (sum) {
            w = (uint64_t)__builtin_ctzll(sum);
            return bin_top(s, w * 64 + (uint64_t)__builtin_ctzll(bf->bits[w]));
        }
    }
    return _sim_tree_best_fit(s, need);
}

/* Verifies the bins (heap order, live counts, bitmaps, one live entry per
 * small free block) and the treap; counts the filed blocks. */
int _sim_bf_check(struct sim_state *s, uint64_t *count, char *why, size_t len)
{
    const struct sim_bf *bf = s->bf;
    if (_sim_tree_check(s, SIM_BY_SIZE, count, why, len) < 0)
        return -1;
    for (uint64_t u = 0; u < SIM_BF_BINS; u++) {
        const struct sim_bf_bin *b = &bf->bin[u];
        uint32_t nlive = 0;
        for (uint32_t i = 0; i < b->n; i++) {
            const struct sim_bf_entry *x = &b->e[i];
            int bad = i && b->e[(i - 1) / 2].addr > x->addr;
            if (live(s, x)) {
                const struct sim_tile *T = &s->t[x->tile];
                bad |= !T->free || T->addr != x->addr || bin_of(s, T->size) != u;
                nlive++;
            }
            if (bad) {
                snprintf(why, len, "best-fit bin %" PRIu64 ": entry %u wrong", u, i);
                return -1;
            }
        }
        int bit = (int)((bf->bits[u / 64] >> (u % 64)) & 1);
        int sum = (int)((bf->summary >> (u / 64)) & 1);
        if (nlive != b->live || bit != (nlive > 0) || (bit && !sum)) {
            snprintf(why, len, "best-fit bin %" PRIu64 ": %u live entries, counted %u",
                     u, nlive, b->live);
            return -1;
        }
        *count += nlive;
    }
    return 0;
}
