/* The backend of allocator "buddy": the _ha_* functions exports.c calls.
 *
 * The fast paths are short: malloc is an order computation, the CPU's arena
 * lock and a pop from a free list; free is a registry lookup, the region's
 * arena lock, an order-map check and the coalescing loop.  Everything rare
 * (a new region, returning one, large blocks, moves) is out of line.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "alloc/buddy/buddy.h"
#include "alloc/common/os.h"
#include "alloc/common/stats.h"

const char _ha_name[] = "buddy";

/* ---- hooks of the core ---- */

void *_buddy_meta_map(size_t size)
{
    void *p;
    HA_STAT_INC(os_mmap);
    return os_mmap(size, &p) ? NULL : p;
}

void _buddy_fatal(const char *what, const void *p)
{
    os_fatal_ptr(what, p);
}

/* ---- allocation ---- */

/* A block of `order` from arena a: from its quick list when one is parked
 * there, else from the free lists. */
static inline void *arena_alloc(struct buddy_arena *a, unsigned order, size_t size)
{
    int locked = buddy_lock(a);
    unsigned q = order - BUDDY_MIN_ORDER;
    uintptr_t b;
    if (q < BUDDY_QUICK_ORDERS && a->qcount[q]) {
        const struct buddy_quick_slot *s = &a->quick[buddy_quick_base[q] + --a->qcount[q]];
        b = s->block;
        *buddy_map_at(s->region, b) = (uint8_t)(BUDDY_MAP_USED | order);
        s->region->parked_bytes -= (size_t)1 << order;
        a->quick_hits++;
    } else {
        b = (uintptr_t)_buddy_alloc(buddy_heap_for(a, order), order);
        if (HA_UNLIKELY(!b))
            return _buddy_arena_refill(a, order, size, locked);
    }
    a->blocks++;
    a->block_bytes += (size_t)1 << order;
    a->request_bytes += size;
    buddy_unlock(a, locked);
    return (void *)b;
}

void *_ha_malloc(size_t size)
{
    struct buddy_arena *a = buddy_arena_here();
    if (HA_UNLIKELY(size > _buddy_cfg.max_small))
        return _buddy_large_alloc(size, 0);
    return arena_alloc(a, buddy_order_of(size, BUDDY_MIN_ORDER), size);
}

/* Large blocks are fresh mappings, already zero. */
void *_ha_calloc(size_t size)
{
    struct buddy_arena *a = buddy_arena_here();
    if (size > _buddy_cfg.max_small) {
        HA_STAT_INC(calloc_nozero);
        return _buddy_large_alloc(size, 0);
    }
    void *p = arena_alloc(a, buddy_order_of(size, BUDDY_MIN_ORDER), size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* A block of order k is aligned to 2^k: asking for the order of max(size,
 * align) is all memalign needs. */
void *_ha_memalign(size_t align, size_t size)
{
    struct buddy_arena *a = buddy_arena_here();
    size_t need = size > align ? size : align;
    if (need > _buddy_cfg.max_small)
        return _buddy_large_alloc(size, align);
    return arena_alloc(a, buddy_order_of(need, BUDDY_MIN_ORDER), size);
}

/* ---- release ---- */

void _ha_free(void *p)
{
    uintptr_t b = (uintptr_t)p;
    uintptr_t reg = buddy_registry_get(b);
    if (HA_UNLIKELY(!reg || (reg & BUDDY_REG_LARGE))) {
        _buddy_large_free(b, reg);
        return;
    }
    struct buddy_region *r = (struct buddy_region *)reg;
    struct buddy_arena *a = buddy_arena_of(r);
    int locked = buddy_lock(a);
    unsigned order = buddy_used_order(r, b);
    if (HA_UNLIKELY(_buddy_cfg.zero_on_free))
        memset(p, 0, (size_t)1 << order);
    unsigned q = order - BUDDY_MIN_ORDER;
    if (q < BUDDY_QUICK_ORDERS && a->qcount[q] < buddy_quick_cap[q]) {
        *buddy_map_at(r, b) = (uint8_t)(BUDDY_MAP_QUICK | order);
        struct buddy_quick_slot *s = &a->quick[buddy_quick_base[q] + a->qcount[q]++];
        s->block = b;
        s->region = r;
        r->parked_bytes += (size_t)1 << order;
    } else if (HA_UNLIKELY(_buddy_release(r->heap, r, b, order))) {
        if (r->heap->whole_free > buddy_spare_limit(r->heap)) {
            _buddy_arena_trim(a, r->heap, locked);
            return;
        }
    }
    /* A region holding only parked blocks takes them back, so that it can go
     * to the kernel, unless it is the heap's only region (which is kept). */
    if (HA_UNLIKELY(r->used_bytes == r->parked_bytes) && r->parked_bytes &&
        r->heap->nregions > _buddy_cfg.keep_regions) {
        _buddy_quick_purge(a, r, locked);
        return;
    }
    buddy_unlock(a, locked);
}

/* ---- resizing ---- */

/* Moves p (a buddy block of `order`) to a new block of `size` bytes. */
static void *move_block(void *p, unsigned order, size_t size)
{
    void *q = _ha_malloc(size);
    if (!q)
        return NULL;
    size_t old = (size_t)1 << order;
    memcpy(q, p, old < size ? old : size);
    _ha_free(p);
    return q;
}

/* In place when the block already fits (shrinking frees its upper halves) or
 * when its upper buddies are free; otherwise a move. */
void *_ha_realloc(void *p, size_t size)
{
    uintptr_t b = (uintptr_t)p;
    uintptr_t reg = buddy_registry_get(b);
    if (HA_UNLIKELY(!reg || (reg & BUDDY_REG_LARGE)))
        return _buddy_large_realloc(b, reg, size);
    struct buddy_region *r = (struct buddy_region *)reg;
    struct buddy_arena *a = buddy_arena_of(r);
    unsigned want = size > _buddy_cfg.max_small ? BUDDY_ORDERS
                                                : buddy_order_of(size, BUDDY_MIN_ORDER);
    int locked = buddy_lock(a);
    unsigned order = buddy_used_order(r, b);
    if (want <= order) {
        if (want < order) {
            if (_buddy_cfg.zero_on_free)
                memset((char *)p + ((size_t)1 << want), 0,
                       ((size_t)1 << order) - ((size_t)1 << want));
            _buddy_shrink(r->heap, r, b, order, want);
        }
        buddy_unlock(a, locked);
        HA_STAT_INC(realloc_inplace);
        return p;
    }
    if (want < BUDDY_ORDERS && _buddy_grow(r->heap, r, b, order, want)) {
        buddy_unlock(a, locked);
        HA_STAT_INC(realloc_inplace);
        return p;
    }
    buddy_unlock(a, locked);
    return move_block(p, order, size);
}

size_t _ha_usable_size(const void *p)
{
    uintptr_t b = (uintptr_t)p;
    uintptr_t reg = buddy_registry_get(b);
    if (!reg || (reg & BUDDY_REG_LARGE))
        return _buddy_large_size(b, reg);
    struct buddy_region *r = (struct buddy_region *)reg;
    uint8_t m = __atomic_load_n(buddy_map_at(r, b), __ATOMIC_RELAXED);
    if ((b & (((uintptr_t)1 << BUDDY_MIN_ORDER) - 1)) ||
        (m & BUDDY_MAP_STATE) != BUDDY_MAP_USED)
        _buddy_fatal("malloc_usable_size of a pointer that is not an allocated block", p);
    return (size_t)1 << (m & BUDDY_MAP_ORDER);
}

/* ---- statistics ---- */

static void stat_line(int fd, int json, int *first, const char *name, uint64_t v,
                      const char *desc)
{
    if (json) {
        os_write_str(fd, *first ? "\"" : ",\"");
        os_write_str(fd, name);
        os_write_str(fd, "\":");
        os_write_u64(fd, v);
    } else {
        os_write_str(fd, "husky-buddy: ");
        os_write_str(fd, name);
        os_write_str(fd, " ");
        os_write_u64(fd, v);
        os_write_str(fd, "  # ");
        os_write_str(fd, desc);
        os_write_str(fd, "\n");
    }
    *first = 0;
}

/* Read without the arena locks: at exit another thread may still hold one,
 * and approximate totals are better than a hang. */
void _ha_stats_print(int fd, int json)
{
    uint64_t regions = 0, mapped = 0, returned = 0, used = 0, blocks = 0, bytes = 0, asked = 0;
    uint64_t splits = 0, merges = 0, free_regions = 0;
    for (unsigned i = 0; i < _buddy_cfg.narenas; i++) {
        const struct buddy_arena *a = &_buddy_arenas[i];
        for (int k = 0; k < 2; k++) {
            regions += a->heap[k].nregions;
            free_regions += a->heap[k].whole_free;
            used += a->heap[k].used_bytes;
            splits += a->heap[k].splits;
            merges += a->heap[k].merges;
        }
        mapped += a->regions_mapped;
        returned += a->regions_returned;
        blocks += a->blocks;
        bytes += a->block_bytes;
        asked += a->request_bytes;
    }
    uint64_t large_live, large_bytes, large_total;
    _buddy_large_stats(&large_live, &large_bytes, &large_total);
    int first = 1;
    stat_line(fd, json, &first, "arenas", _buddy_cfg.narenas, "arenas (one per CPU)");
    stat_line(fd, json, &first, "regions", regions, "4 MiB regions mapped now");
    stat_line(fd, json, &first, "regions_free", free_regions, "of them wholly free (kept)");
    stat_line(fd, json, &first, "regions_mapped", mapped, "regions taken from the kernel");
    stat_line(fd, json, &first, "regions_returned", returned, "regions given back");
    stat_line(fd, json, &first, "used_bytes", used, "bytes in allocated buddy blocks now");
    stat_line(fd, json, &first, "blocks", blocks, "buddy blocks handed out");
    stat_line(fd, json, &first, "block_bytes", bytes, "their bytes (sizes rounded up)");
    stat_line(fd, json, &first, "request_bytes", asked, "bytes asked for those blocks");
    stat_line(fd, json, &first, "splits", splits, "blocks split in two");
    stat_line(fd, json, &first, "merges", merges, "buddy pairs joined");
    stat_line(fd, json, &first, "large_live", large_live, "large mmap blocks live");
    stat_line(fd, json, &first, "large_bytes", large_bytes, "their bytes");
    stat_line(fd, json, &first, "large_total", large_total, "large mmap blocks ever");
}
