/* buddy.c: the binary buddy system on the tile heap.  Blocks are powers of
 * two, each at an offset that is a multiple of its size; a block of 2^k at
 * offset a has its buddy at a ^ 2^k.  A request takes the smallest free block
 * of order >= k and halves it down to k; a freed block merges with its buddy
 * while the buddy is free and whole.  The address space is unbounded above:
 * when no block is large enough the heap grows at the top by the largest
 * block the top's alignment allows (at most the order asked), which may merge
 * with free blocks below, until a block of the order exists.
 * Free blocks sit in one list per order (bitmap of the non-empty orders).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "sim/sim.h"

static unsigned order_of(uint64_t n)
{
    return n <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(n - 1);
}

static unsigned min_order(const struct sim_state *s)
{
    return order_of(s->min_block);
}

static void list_push(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    unsigned k = order_of(T[t].size);
    T[t].cls = (uint8_t)k;
    T[t].l = 0;
    T[t].r = s->cls_head[k];
    if (s->cls_head[k])
        T[s->cls_head[k]].l = t;
    s->cls_head[k] = t;
    s->bitmap[0] |= 1ull << k;
}

static void list_remove(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    unsigned k = T[t].cls;
    uint32_t p = T[t].l, n = T[t].r;
    if (p)
        T[p].r = n;
    else
        s->cls_head[k] = n;
    if (n)
        T[n].l = p;
    if (!s->cls_head[k])
        s->bitmap[0] &= ~(1ull << k);
    T[t].l = T[t].r = 0;
}

/* Frees tile t (already counted in free_bytes) and merges it with its buddy
 * as long as the buddy is a whole free block of the same size. */
static void merge_insert(struct sim_state *s, uint32_t t)
{
    struct sim_tile *T = s->t;
    T[t].free = 1;
    for (;;) {
        uint64_t sz = T[t].size;
        if (!((T[t].addr / sz) & 1)) {
            uint32_t n = T[t].next;
            if (!n || !T[n].free || T[n].size != sz)
                break;
            list_remove(s, n);
            T[t].size *= 2;
            _sim_tile_unlink(s, n);
            _sim_tile_drop(s, n);
        } else {
            uint32_t p = T[t].prev;
            if (!p || !T[p].free || T[p].size != sz)
                break;
            list_remove(s, p);
            T[p].size *= 2;
            _sim_tile_unlink(s, t);
            _sim_tile_drop(s, t);
            t = p;
        }
    }
    list_push(s, t);
}

/* Adds one block at the top: as large as the top's alignment allows, at
 * most 2^k.  Returns -1 when out of memory. */
static int grow(struct sim_state *s, unsigned k)
{
    uint64_t sz = 1ull << k;
    if (s->top && (s->top & -s->top) < sz)
        sz = s->top & -s->top;
    uint32_t t = _sim_tile_new(s, s->top, sz);
    if (!t)
        return -1;
    _sim_tile_link_after(s, s->last, t);
    s->free_bytes += sz;
    _sim_grow_to(s, s->top + sz);
    merge_insert(s, t);
    return 0;
}

/* A free tile of order k, split from a larger one or grown at the top. */
static uint32_t take(struct sim_state *s, unsigned k)
{
    for (;;) {
        uint64_t bits = k < 64 ? s->bitmap[0] & (~0ull << k) : 0;
        if (bits) {
            unsigned j = (unsigned)__builtin_ctzll(bits);
            uint32_t t = s->cls_head[j];
            list_remove(s, t);
            while (j > k) {
                j--;
                uint64_t half = 1ull << j;
                uint32_t u = _sim_tile_new(s, s->t[t].addr + half, half);
                if (!u)
                    return 0;
                s->t[t].size = half;
                s->t[u].free = 1;
                _sim_tile_link_after(s, t, u);
                list_push(s, u);
            }
            return t;
        }
        if (grow(s, k) < 0)
            return 0;
    }
}

static int buddy_alloc(struct sim_state *s, uint32_t id, uint64_t size, uint64_t align)
{
    if (_sim_objs_reserve(s, id) < 0)
        return -1;
    unsigned k = order_of(s->cfg.header + size);
    if (k < min_order(s))
        k = min_order(s);
    if (align > (1ull << k))
        k = order_of(align);
    uint32_t t = take(s, k);
    if (!t)
        return -1;
    s->t[t].free = 0;
    s->free_bytes -= s->t[t].size;
    s->obj_tile[id] = t;
    s->obj_addr[id] = s->t[t].addr + s->cfg.header;
    s->obj_req[id] = size;
    return 0;
}

static void buddy_release(struct sim_state *s, uint32_t id)
{
    uint32_t t = s->obj_tile[id];
    s->free_bytes += s->t[t].size;
    merge_insert(s, t);
}

/* Whether tile t can grow in place to `need` bytes: it must be the lower
 * buddy at each step, and each upper buddy whole and free (or beyond the top). */
static int can_grow(const struct sim_state *s, uint32_t t, uint64_t need)
{
    const struct sim_tile *T = s->t;
    uint64_t sz = T[t].size;
    uint32_t n = T[t].next;
    while (sz < need) {
        if ((T[t].addr / sz) & 1)
            return 0;
        if (!n)
            return 1;
        if (!T[n].free || T[n].size != sz)
            return 0;
        sz *= 2;
        n = T[n].next;
    }
    return 1;
}

/* Realloc: halve in place while the request fits half the block, grow in
 * place by absorbing free upper buddies (growing the heap at the top), else
 * move to a new block. */
static int buddy_resize(struct sim_state *s, uint32_t id, uint64_t size)
{
    uint32_t t = s->obj_tile[id];
    uint64_t need = s->cfg.header + size;
    uint64_t floor = 1ull << min_order(s);
    if (need < floor)
        need = floor;
    while (s->t[t].size / 2 >= need && s->t[t].size / 2 >= s->cfg.align) {
        uint64_t half = s->t[t].size / 2;
        uint32_t u = _sim_tile_new(s, s->t[t].addr + half, half);
        if (!u)
            return -1;
        s->t[t].size = half;
        _sim_tile_link_after(s, t, u);
        s->free_bytes += half;
        merge_insert(s, u);
    }
    if (s->t[t].size >= need || can_grow(s, t, need)) {
        while (s->t[t].size < need) {
            uint64_t sz = s->t[t].size;
            if (!s->t[t].next && grow(s, order_of(sz)) < 0)
                return -1;
            uint32_t n = s->t[t].next;
            list_remove(s, n);
            s->free_bytes -= sz;
            s->t[t].size *= 2;
            _sim_tile_unlink(s, n);
            _sim_tile_drop(s, n);
        }
        s->obj_req[id] = size;
        return 0;
    }
    if (buddy_alloc(s, id, size, 0) < 0)
        return -1;
    s->free_bytes += s->t[t].size;
    merge_insert(s, t);
    return 0;
}

/* Buddy invariants beyond the tiling: sizes are powers of two at multiples
 * of themselves, no free block has a free whole buddy, the lists hold
 * exactly the free blocks under their order. */
int _sim_buddy_check(struct sim_state *s, char *why, size_t len)
{
    const struct sim_tile *T = s->t;
    uint64_t free_tiles = 0, listed = 0;
    for (uint32_t t = s->last; t; t = T[t].prev) {
        uint64_t sz = T[t].size;
        if (sz & (sz - 1) || T[t].addr % sz) {
            snprintf(why, len, "buddy block %" PRIu64 "+%" PRIu64 " misaligned", T[t].addr, sz);
            return -1;
        }
        uint32_t b = (T[t].addr / sz) & 1 ? T[t].prev : T[t].next;
        if (T[t].free && b && T[b].free && T[b].size == sz) {
            snprintf(why, len, "free buddies at %" PRIu64 " not merged", T[t].addr);
            return -1;
        }
        free_tiles += T[t].free;
    }
    for (unsigned k = 0; k < 64; k++) {
        if (!!s->cls_head[k] != (int)((s->bitmap[0] >> k) & 1)) {
            snprintf(why, len, "order bitmap wrong at order %u", k);
            return -1;
        }
        for (uint32_t t = s->cls_head[k]; t; t = T[t].r) {
            if (!T[t].free || T[t].size != 1ull << k || ++listed > s->nt) {
                snprintf(why, len, "order list %u broken", k);
                return -1;
            }
        }
    }
    if (listed != free_tiles) {
        snprintf(why, len, "%" PRIu64 " blocks listed, %" PRIu64 " free", listed, free_tiles);
        return -1;
    }
    return 0;
}

const struct sim_policy sim_buddy = {
    .name = "buddy", .title = "binary buddy system", .coalesces = 0, .index = NULL,
    .init = NULL, .alloc = buddy_alloc, .release = buddy_release, .resize = buddy_resize,
    .check = _sim_tiles_check, .fini = NULL};
