/* Blocks: splitting, coalescing, carving from the top, resizing in place.
 * Every function here runs with the arena's lock held. */
#include "config.h"

#include <string.h>

#include "alloc/list/list.h"

/* Marks b (size bytes) free: head, footer, and the next block's PINUSE. */
static inline void set_free(list_block_t *b, size_t size, size_t pinuse)
{
    b->head = size | pinuse;
    list_block_t *n = list_at(b, size);
    n->prev_size = size;
    n->head &= ~LIST_PINUSE;
}

/* Marks b (size bytes) in use, telling the next block. */
static inline void set_inuse(list_block_t *b, size_t size, size_t pinuse)
{
    b->head = size | pinuse | LIST_CINUSE;
    list_at(b, size)->head |= LIST_PINUSE;
}

/* Uses free block b (already out of its bin) for `need` bytes; the rest, if
 * big enough to be a block, goes back to the bins. */
static void use_split(list_arena_t *a, list_block_t *b, size_t need)
{
    size_t size = list_size(b);
    size_t pin = b->head & LIST_PINUSE;
    size_t rem = size - need;
    if (rem >= LIST_MIN_BLOCK) {
        size_t released = b->head & LIST_RELEASED;
        list_block_t *r = list_at(b, need);
        if (rem >= LIST_RELEASE_MIN)   /* b was big too: r inherits its age */
            *list_freed_at(r) = *list_freed_at(b);
        b->head = need | pin | LIST_CINUSE;
        r->head = rem | LIST_PINUSE | released;
        list_at(r, rem)->prev_size = rem;
        _list_bin_insert(a, r);
    } else {
        set_inuse(b, size, pin);
    }
}

/* Takes `need` bytes from the start of the top, growing the arena when the
 * top is too small.  *fresh tells whether the payload is untouched kernel
 * memory (zero). */
static list_block_t *carve_top(list_arena_t *a, size_t need, int *fresh)
{
    list_block_t *t = a->top;
    if (t == NULL || list_size(t) < need + LIST_MIN_BLOCK) {
        if (_list_arena_grow(a, need) != 0)
            return NULL;
        t = a->top;
    }
    size_t ts = list_size(t);
    *fresh = (uintptr_t)t + LIST_HDR >= a->fresh;
    t->head = need | (t->head & LIST_PINUSE) | LIST_CINUSE;
    list_block_t *nt = list_at(t, need);
    nt->head = (ts - need) | LIST_PINUSE;
    a->top = nt;
    if (a->fresh < (uintptr_t)nt + LIST_HDR)
        a->fresh = (uintptr_t)nt + LIST_HDR;
    return t;
}

/* A block of `need` bytes (a list_request_size) in use, or NULL when the
 * system has no memory.  Best fit from the bins first, then the top. */
list_block_t *_list_block_alloc(list_arena_t *a, size_t need, int *fresh)
{
    list_block_t *b;
    if (need <= 1024 && (b = a->bins[_list_bin_index(need)]) != NULL) {
        _list_bin_remove(a, b);        /* exact fit, the common case */
        *fresh = 0;
        set_inuse(b, need, b->head & LIST_PINUSE);
        return b;
    }
    b = _list_bin_best_fit(a, need);
    if (b != NULL) {
        *fresh = 0;
        use_split(a, b, need);
        return b;
    }
    return carve_top(a, need, fresh);
}

/* Whether the dirty part of the top is worth giving back. */
static inline void maybe_trim(list_arena_t *a)
{
    uintptr_t dirty_end = a->fresh < a->pool_end ? a->fresh : a->pool_end;
    if (dirty_end > (uintptr_t)a->top &&
        dirty_end - (uintptr_t)a->top > list_trim_threshold())
        _list_arena_trim(a);
}

/* Frees in-use block b: clears it when asked to, merges it with free
 * neighbours (immediate coalescing) and files the result in a bin or in the
 * top. */
void _list_block_free(list_arena_t *a, list_block_t *b)
{
    size_t size = list_size(b);
    if (_list_g.zero_on_free)
        memset(list_payload(b), 0, size - LIST_HDR);
    b->head &= ~LIST_CINUSE;           /* a second free of b sees it free */
    if (!(b->head & LIST_PINUSE)) {
        list_block_t *p = list_at(b, 0 - b->prev_size);
        LIST_CHECK(list_size(p) == b->prev_size && !(p->head & LIST_CINUSE),
                   "corrupted block header before", list_payload(b));
        _list_bin_remove(a, p);
        size += list_size(p);
        b = p;
    }
    list_block_t *n = list_at(b, size);
    if (n == a->top) {
        b->head = (size + list_size(n)) | (b->head & LIST_PINUSE);
        a->top = b;
        maybe_trim(a);
        return;
    }
    if (!(n->head & LIST_CINUSE)) {
        _list_bin_remove(a, n);
        size += list_size(n);
    }
    set_free(b, size, b->head & LIST_PINUSE);
    _list_bin_insert(a, b);
    if (size >= LIST_RELEASE_MIN) {
        uint64_t now = os_now_ns();
        *list_freed_at(b) = now;
        a->dirty_free += size;
        if (a->dirty_free > list_trim_threshold())
            _list_arena_sweep(a, now);
    }
}

/* Shrinks in-use block b to `need` bytes when the tail can be a block. */
void _list_block_shrink(list_arena_t *a, list_block_t *b, size_t need)
{
    size_t size = list_size(b);
    if (size < need + LIST_MIN_BLOCK)
        return;
    b->head = need | (b->head & (LIST_PINUSE | LIST_CINUSE));
    list_block_t *r = list_at(b, need);
    r->head = (size - need) | LIST_PINUSE | LIST_CINUSE;
    _list_block_free(a, r);
}

/* Grows in-use block b to `need` bytes into a free next block or the top;
 * returns 1 on success, 0 when the neighbour cannot give enough. */
int _list_block_grow(list_arena_t *a, list_block_t *b, size_t need)
{
    size_t size = list_size(b);
    size_t pin = b->head & LIST_PINUSE;
    list_block_t *n = list_at(b, size);
    if (n == a->top) {
        size_t total = size + list_size(n);
        if (total < need + LIST_MIN_BLOCK)
            return 0;
        b->head = need | pin | LIST_CINUSE;
        list_block_t *nt = list_at(b, need);
        nt->head = (total - need) | LIST_PINUSE;
        a->top = nt;
        if (a->fresh < (uintptr_t)nt + LIST_HDR)
            a->fresh = (uintptr_t)nt + LIST_HDR;
        return 1;
    }
    if ((n->head & LIST_CINUSE) || size + list_size(n) < need)
        return 0;
    _list_bin_remove(a, n);
    set_inuse(b, size + list_size(n), pin);
    _list_block_shrink(a, b, need);
    return 1;
}

/* Cuts an `align`-aligned block of `need` bytes out of in-use block b, which
 * has at least need + align + LIST_MIN_BLOCK bytes; the cut-off head and tail
 * are freed. */
list_block_t *_list_block_align(list_arena_t *a, list_block_t *b, size_t align, size_t need)
{
    uintptr_t p = (uintptr_t)list_payload(b);
    uintptr_t ap = (p + align - 1) & ~(uintptr_t)(align - 1);
    if (ap != p) {
        if (ap - p < LIST_MIN_BLOCK)
            ap += align;
        size_t lead = ap - p;
        size_t total = list_size(b);
        list_block_t *nb = list_at(b, lead);
        nb->head = (total - lead) | LIST_PINUSE | LIST_CINUSE;
        b->head = lead | (b->head & LIST_PINUSE) | LIST_CINUSE;
        _list_block_free(a, b);
        b = nb;
    }
    _list_block_shrink(a, b, need);
    return b;
}
