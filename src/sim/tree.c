/* tree.c: balanced search trees over free tiles (treaps: a binary search
 * tree on the key and a max-heap on a random priority, so the expected depth
 * is O(log n) whatever the order of insertions).
 *
 * Two orders share the code: by (size, address) (best fit's large blocks,
 * ties to the lowest address) and by address (first fit and next fit when
 * the heap is too big for their max tree, mtree.c).  Every node keeps maxsz,
 * the largest size in its subtree, so an address tree answers "first free
 * block of at least n bytes" in O(log n).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "sim/sim.h"

/* Whether a sorts before b in order `by` (enum sim_tree_order). */
static inline int less(const struct sim_tile *a, const struct sim_tile *b, int by)
{
    if (by == SIM_BY_SIZE && a->size != b->size)
        return a->size < b->size;
    return a->addr < b->addr;
}

/* Recomputes x's subtree maximum from its children. */
static inline void pull(struct sim_tile *T, uint32_t x)
{
    uint64_t m = T[x].size;
    if (T[T[x].l].maxsz > m)
        m = T[T[x].l].maxsz;
    if (T[T[x].r].maxsz > m)
        m = T[T[x].r].maxsz;
    T[x].maxsz = m;
}

/* Splits subtree t into the keys before k (*a) and the others (*b). */
static void split(struct sim_tile *T, uint32_t t, uint32_t k, int by, uint32_t *a, uint32_t *b)
{
    if (!t) {
        *a = *b = 0;
        return;
    }
    if (less(&T[t], &T[k], by)) {
        split(T, T[t].r, k, by, &T[t].r, b);
        *a = t;
    } else {
        split(T, T[t].l, k, by, a, &T[t].l);
        *b = t;
    }
    pull(T, t);
}

/* Joins a and b, every key of a before every key of b. */
static uint32_t merge(struct sim_tile *T, uint32_t a, uint32_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (T[a].prio > T[b].prio) {
        T[a].r = merge(T, T[a].r, b);
        pull(T, a);
        return a;
    }
    T[b].l = merge(T, a, T[b].l);
    pull(T, b);
    return b;
}

static uint32_t insert(struct sim_tile *T, uint32_t t, uint32_t k, int by)
{
    if (!t)
        return k;
    if (T[k].prio > T[t].prio) {
        split(T, t, k, by, &T[k].l, &T[k].r);
        pull(T, k);
        return k;
    }
    if (less(&T[k], &T[t], by))
        T[t].l = insert(T, T[t].l, k, by);
    else
        T[t].r = insert(T, T[t].r, k, by);
    pull(T, t);
    return t;
}

static uint32_t erase(struct sim_tile *T, uint32_t t, uint32_t k, int by)
{
    if (!t)
        return 0;
    if (t == k)
        return merge(T, T[k].l, T[k].r);
    if (less(&T[k], &T[t], by))
        T[t].l = erase(T, T[t].l, k, by);
    else
        T[t].r = erase(T, T[t].r, k, by);
    pull(T, t);
    return t;
}

/* Files free tile t in the tree in order `by` (enum sim_tree_order). */
void _sim_tree_insert(struct sim_state *s, uint32_t t, int by)
{
    struct sim_tile *T = s->t;
    T[t].l = T[t].r = 0;
    T[t].maxsz = T[t].size;
    s->root = insert(T, s->root, t, by);
}

void _sim_tree_remove(struct sim_state *s, uint32_t t, int by)
{
    s->root = erase(s->t, s->root, t, by);
    s->t[t].l = s->t[t].r = 0;
}

static void fix(struct sim_tile *T, uint32_t x, uint32_t t, int by)
{
    if (x != t && x)
        fix(T, less(&T[t], &T[x], by) ? T[x].l : T[x].r, t, by);
    if (x)
        pull(T, x);
}

/* Address tree: t's size changed but not its key (an address tree
 * node's range crosses no other node), so only the subtree maxima on its
 * path need recomputing. */
void _sim_tree_fix(struct sim_state *s, uint32_t t, int by)
{
    fix(s->t, s->root, t, by);
}

/* Size tree: t's key changed from (old_size, old_addr); take it out under
 * the old key and file it under the new one. */
void _sim_tree_rekey(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size)
{
    uint64_t a = s->t[t].addr, sz = s->t[t].size;
    s->t[t].addr = old_addr;
    s->t[t].size = old_size;
    _sim_tree_remove(s, t, 1);
    s->t[t].addr = a;
    s->t[t].size = sz;
    _sim_tree_insert(s, t, 1);
}

/* Lowest free tile of at least `need` bytes (address tree). */
uint32_t _sim_tree_first_fit(const struct sim_state *s, uint64_t need)
{
    const struct sim_tile *T = s->t;
    uint32_t t = s->root;
    if (T[t].maxsz < need || !t)
        return 0;
    for (;;) {
        if (T[T[t].l].maxsz >= need)
            t = T[t].l;
        else if (T[t].size >= need)
            return t;
        else
            t = T[t].r;
    }
}

/* Lowest free tile at or above offset `from` of at least `need` bytes
 * (address tree), in one descent towards `from` and at most one first-fit
 * descent after it, O(log n).  Going left from a node at or above `from`
 * leaves that node and its right subtree behind, all of them above what is
 * still to be seen below: the lowest of these candidates that can fit is
 * remembered (the node itself, else its right subtree), and a deeper one
 * always wins. */
uint32_t _sim_tree_next_fit(const struct sim_state *s, uint64_t from, uint64_t need)
{
    const struct sim_tile *T = s->t;
    uint32_t t = s->root, hit = 0, sub = 0;
    while (t && T[t].maxsz >= need) {
        if (T[t].addr < from) {
            t = T[t].r;
            continue;
        }
        if (T[t].size >= need)
            hit = t, sub = 0;
        else if (T[T[t].r].maxsz >= need)
            hit = 0, sub = T[t].r;
        t = T[t].l;
    }
    if (hit || !sub)
        return hit;
    for (t = sub;;) {
        if (T[T[t].l].maxsz >= need)
            t = T[t].l;
        else if (T[t].size >= need)
            return t;
        else
            t = T[t].r;
    }
}

/* Smallest free tile of at least `need` bytes, lowest address among equals
 * (size tree). */
uint32_t _sim_tree_best_fit(const struct sim_state *s, uint64_t need)
{
    const struct sim_tile *T = s->t;
    uint32_t t = s->root, best = 0;
    while (t) {
        if (T[t].size >= need) {
            best = t;
            t = T[t].l;
        } else {
            t = T[t].r;
        }
    }
    return best;
}

/* ---- invariants (--check) ---- */

static int check_node(const struct sim_tile *T, uint32_t t, int by, uint32_t *prev,
                      uint64_t *count, char *why, size_t len)
{
    if (!t)
        return 0;
    uint32_t l = T[t].l, r = T[t].r;
    if ((l && T[l].prio > T[t].prio) || (r && T[r].prio > T[t].prio)) {
        snprintf(why, len, "tree: heap order broken at block %" PRIu64, T[t].addr);
        return -1;
    }
    if (check_node(T, l, by, prev, count, why, len) < 0)
        return -1;
    if (*prev && !less(&T[*prev], &T[t], by)) {
        snprintf(why, len, "tree: block %" PRIu64 " out of order", T[t].addr);
        return -1;
    }
    uint64_t m = T[t].size;
    m = T[l].maxsz > m ? T[l].maxsz : m;
    m = T[r].maxsz > m ? T[r].maxsz : m;
    if (T[t].maxsz != m || !T[t].free) {
        snprintf(why, len, "tree: block %" PRIu64 " has a wrong maximum or is not free",
                 T[t].addr);
        return -1;
    }
    *prev = t;
    (*count)++;
    return check_node(T, r, by, prev, count, why, len);
}

/* Verifies order, heap property and subtree maxima; counts the nodes. */
int _sim_tree_check(const struct sim_state *s, int by, uint64_t *count, char *why,
                    size_t len)
{
    uint32_t prev = 0;
    *count = 0;
    if (s->t[0].maxsz || s->t[0].size) {
        snprintf(why, len, "tree: null node modified");
        return -1;
    }
    if (check_node(s->t, s->root, by, &prev, count, why, len) < 0)
        return -1;
    return 0;
}
