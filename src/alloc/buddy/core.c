/* The buddy core: free lists per order, split and coalesce (no locks, no OS).
 *
 * Every function here runs with the lock of the heap's arena held.  The
 * order map (out of band) is the truth about blocks; the sealed links inside
 * free blocks only index the free ones, and a link is followed only after its
 * seal has been checked.
 */
#include "config.h"

#include "alloc/buddy/buddy.h"

/* Mixed into every link seal; set once before the first region exists. */
uintptr_t _buddy_secret;

/* ---- sealed links ---- */

static inline struct buddy_link *link_of(uintptr_t b)
{
    return (struct buddy_link *)(b + BUDDY_LINK_OFFSET);
}

static inline uintptr_t block_of(const struct buddy_link *l)
{
    return (uintptr_t)l - BUDDY_LINK_OFFSET;
}

static inline uintptr_t seal_of(const struct buddy_link *l)
{
    return (uintptr_t)l->next ^ (uintptr_t)l->prev ^ (uintptr_t)l ^ _buddy_secret;
}

static inline void seal(struct buddy_link *l)
{
    l->check = seal_of(l);
}

/* Aborts unless l's links are the ones we wrote: a program that wrote past
 * its block into a free neighbour is stopped here, before the links are used. */
static inline void verify(const struct buddy_link *l)
{
    if (__builtin_expect(l->check != seal_of(l), 0))
        _buddy_fatal("free block overwritten (heap buffer overflow?)", (void *)block_of(l));
}

/* Puts free block b of order k at the head of its list. */
static void list_push(struct buddy_heap *h, uintptr_t b, unsigned k)
{
    struct buddy_link *l = link_of(b);
    struct buddy_link *n = h->free[k];
    l->next = n;
    l->prev = NULL;
    seal(l);
    if (n) {
        verify(n);
        n->prev = l;
        seal(n);
    }
    h->free[k] = l;
    h->nonempty |= 1u << k;
}

/* Takes l off the list of order k, wherever it is.  With h->scrub (zero on
 * free) the links are cleared too, so no allocator data is left in a block
 * that is handed out or absorbed into a larger one. */
static void list_unlink(struct buddy_heap *h, struct buddy_link *l, unsigned k)
{
    verify(l);
    struct buddy_link *p = l->prev;
    struct buddy_link *n = l->next;
    if (p) {
        verify(p);
        p->next = n;
        seal(p);
    } else {
        if (__builtin_expect(h->free[k] != l, 0))
            _buddy_fatal("free list head does not match the order map", (void *)block_of(l));
        h->free[k] = n;
        if (!n)
            h->nonempty &= ~(1u << k);
    }
    if (n) {
        verify(n);
        n->prev = p;
        seal(n);
    }
    if (h->scrub) {
        l->check = 0;
        l->next = NULL;
        l->prev = NULL;
    }
}

/* ---- regions ---- */

/* Adds region r (descriptor with a zeroed map) covering [base, base + 2^order)
 * to heap h as one free block. */
void _buddy_region_add(struct buddy_heap *h, struct buddy_region *r, uintptr_t base,
                       unsigned min_order, unsigned order)
{
    r->base = base;
    r->heap = h;
    r->min_order = min_order;
    r->order = order;
    r->used_bytes = 0;
    r->parked_bytes = 0;
    r->prev = NULL;
    r->next = h->regions;
    if (h->regions)
        h->regions->prev = r;
    h->regions = r;
    h->nregions++;
    r->map[0] = (uint8_t)(BUDDY_MAP_FREE | order);
    list_push(h, base, order);
    h->whole_free++;
}

/* Takes a wholly free region out of heap h, so it can be returned. */
void _buddy_region_remove(struct buddy_heap *h, struct buddy_region *r)
{
    if (r->map[0] != (BUDDY_MAP_FREE | r->order))
        _buddy_fatal("region removed while in use", (void *)r->base);
    list_unlink(h, link_of(r->base), r->order);
    r->map[0] = 0;
    h->whole_free--;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->regions = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->nregions--;
}

/* A wholly free region of heap h whose regions have `order` (the head of
 * that order's free list), or NULL when there is none. */
struct buddy_region *_buddy_whole_region(struct buddy_heap *h, unsigned order)
{
    struct buddy_link *l = h->free[order];
    if (!l)
        return NULL;
    verify(l);
    struct buddy_region *r = buddy_region_of(block_of(l));
    if (!r || r->base != block_of(l) || r->order != order)
        _buddy_fatal("free list entry is not a whole region", (void *)block_of(l));
    return r;
}

/* ---- allocate and release ---- */

/* A block of exactly `order` from heap h, splitting the smallest larger free
 * block when needed; NULL when h has no free block of that order or above. */
void *_buddy_alloc(struct buddy_heap *h, unsigned order)
{
    uint32_t avail = h->nonempty & (~(uint32_t)0 << order);
    if (!avail)
        return NULL;
    unsigned k = (unsigned)__builtin_ctz(avail);
    struct buddy_link *l = h->free[k];
    uintptr_t b = block_of(l);
    struct buddy_region *r = buddy_region_of(b);
    if (__builtin_expect(!r || *buddy_map_at(r, b) != (BUDDY_MAP_FREE | k), 0))
        _buddy_fatal("free list entry not free in the order map", (void *)b);
    list_unlink(h, l, k);
    if (k == r->order)
        h->whole_free--;
    while (k > order) {
        k--;
        uintptr_t upper = b + ((uintptr_t)1 << k);
        *buddy_map_at(r, upper) = (uint8_t)(BUDDY_MAP_FREE | k);
        list_push(h, upper, k);
        h->splits++;
    }
    *buddy_map_at(r, b) = (uint8_t)(BUDDY_MAP_USED | order);
    r->used_bytes += (size_t)1 << order;
    h->used_bytes += (size_t)1 << order;
    return (void *)b;
}

/* The order of allocated block b of region r; aborts with the reason when b
 * is not the start of an allocated block (double or invalid free). */
unsigned _buddy_used_order(struct buddy_region *r, uintptr_t b)
{
    if (b & (((uintptr_t)1 << r->min_order) - 1))
        _buddy_fatal("free/realloc of an invalid pointer (not the start of a block)", (void *)b);
    uint8_t m = *buddy_map_at(r, b);
    if ((m & BUDDY_MAP_STATE) == BUDDY_MAP_USED)
        return m & BUDDY_MAP_ORDER;
    if ((m & BUDDY_MAP_STATE) == BUDDY_MAP_FREE || (m & BUDDY_MAP_STATE) == BUDDY_MAP_QUICK)
        _buddy_fatal("double free", (void *)b);
    _buddy_fatal("free/realloc of an invalid pointer (inside a block, or freed)", (void *)b);
}

/* Frees allocated block b of `order`, joining it with its buddy as long as
 * the buddy is one free block of the same order.  Returns 1 when the whole
 * region became free. */
int _buddy_release(struct buddy_heap *h, struct buddy_region *r, uintptr_t b,
                   unsigned order)
{
    r->used_bytes -= (size_t)1 << order;
    h->used_bytes -= (size_t)1 << order;
    while (order < r->order) {
        uintptr_t buddy = b ^ ((uintptr_t)1 << order);
        uint8_t *bm = buddy_map_at(r, buddy);
        if (*bm != (BUDDY_MAP_FREE | order))
            break;
        list_unlink(h, link_of(buddy), order);
        if (buddy < b) {
            *buddy_map_at(r, b) = 0;
            b = buddy;
        } else {
            *bm = 0;
        }
        order++;
        h->merges++;
    }
    *buddy_map_at(r, b) = (uint8_t)(BUDDY_MAP_FREE | order);
    list_push(h, b, order);
    if (order == r->order) {
        h->whole_free++;
        return 1;
    }
    return 0;
}

/* Grows allocated block b from `order` to `new_order` in place when every
 * upper buddy on the way is one free block; returns 1 if it did. */
int _buddy_grow(struct buddy_heap *h, struct buddy_region *r, uintptr_t b,
                unsigned order, unsigned new_order)
{
    if (new_order > r->order)
        return 0;
    for (unsigned k = order; k < new_order; k++) {
        uintptr_t upper = b + ((uintptr_t)1 << k);
        if ((b & ((uintptr_t)1 << k)) || *buddy_map_at(r, upper) != (BUDDY_MAP_FREE | k))
            return 0;
    }
    for (unsigned k = order; k < new_order; k++) {
        uintptr_t upper = b + ((uintptr_t)1 << k);
        list_unlink(h, link_of(upper), k);
        *buddy_map_at(r, upper) = 0;
        h->merges++;
    }
    size_t grown = ((size_t)1 << new_order) - ((size_t)1 << order);
    *buddy_map_at(r, b) = (uint8_t)(BUDDY_MAP_USED | new_order);
    r->used_bytes += grown;
    h->used_bytes += grown;
    return 1;
}

/* Shrinks allocated block b from `order` to `new_order` in place, freeing the
 * upper halves (their buddies are part of b, so none of them can merge). */
void _buddy_shrink(struct buddy_heap *h, struct buddy_region *r, uintptr_t b,
                   unsigned order, unsigned new_order)
{
    for (unsigned k = order; k > new_order;) {
        k--;
        uintptr_t upper = b + ((uintptr_t)1 << k);
        *buddy_map_at(r, upper) = (uint8_t)(BUDDY_MAP_FREE | k);
        list_push(h, upper, k);
        h->splits++;
    }
    size_t shrunk = ((size_t)1 << order) - ((size_t)1 << new_order);
    *buddy_map_at(r, b) = (uint8_t)(BUDDY_MAP_USED | new_order);
    r->used_bytes -= shrunk;
    h->used_bytes -= shrunk;
}
