/* Allocator "buddy": internal header (src/alloc/buddy/).
 *
 * A binary buddy system.  Memory comes from the kernel in regions of
 * 2^BUDDY_REGION_ORDER bytes, each aligned to its own size, and is split in
 * halves down to blocks of 2^BUDDY_MIN_ORDER bytes.  A block of order k starts
 * at a multiple of 2^k inside its region, so its buddy is its address with bit
 * k flipped, and a block is naturally aligned to its size.
 *
 * Everything the allocator trusts lives outside the user's bytes:
 *  - the registry maps every address granule to its region descriptor (or to
 *    a large mmap'd block), so free() recognises pointers it never handed out;
 *  - each region descriptor, in its own mapping, holds the order map: one byte
 *    per minimum-size unit saying whether a block starts there, its order, and
 *    whether it is free or allocated (the free map that catches double frees).
 * The only in-band data are the free-list links of FREE blocks.  They sit at
 * byte BUDDY_LINK_OFFSET of the block, so the first bytes of a free block,
 * where an overflow of its lower neighbour lands, carry nothing the allocator
 * reads, and they are sealed with a checksum, so a longer overflow is detected
 * before a corrupted link is followed.
 *
 * The core (core.c, registry.c) takes no locks and calls no OS function except
 * through the two hooks at the end of this header; the allocator proper
 * (arena.c, large.c, backend.c) adds arenas, locks and the OS layer.
 */
#ifndef HUSKY_BUDDY_H
#define HUSKY_BUDDY_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/common/alloc.h"
#include "alloc/common/lock.h"

#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define BUDDY_SINGLE_THREADED() (__libc_single_threaded)
#endif
#endif
#ifndef BUDDY_SINGLE_THREADED
#define BUDDY_SINGLE_THREADED() 0
#endif

/* ---- geometry ---- */

#define BUDDY_MIN_ORDER     5u   /* smallest block: 32 bytes (links + landing zone) */
#define BUDDY_REGION_ORDER  22u  /* regions of 4 MiB */
#define BUDDY_MAX_ORDER     20u  /* largest block handed out (1 MiB); larger -> mmap */
#define BUDDY_ORDERS        32u  /* free-list slots, indexed by absolute order */
#define BUDDY_GRANULE_SHIFT 19u  /* registry granule: 512 KiB (the smallest region) */
#define BUDDY_ADDR_BITS     48u  /* user address space the registry covers */

/* Order map bytes: 0 means "no block starts here"; otherwise the low six bits
 * are the block's absolute order and the top two its state. */
#define BUDDY_MAP_FREE   0x40u   /* a free block on its order's free list */
#define BUDDY_MAP_USED   0x80u   /* a block handed out to the user */
#define BUDDY_MAP_QUICK  0xc0u   /* a freed block parked on an arena's quick list */
#define BUDDY_MAP_STATE  0xc0u
#define BUDDY_MAP_ORDER  0x3fu

/* Byte offset of a free block's links inside the block. */
#define BUDDY_LINK_OFFSET 8u

/* The links of a free block.  Invariant: check == next ^ prev ^ own address
 * ^ _buddy_secret; a node whose check fails was overwritten by the user. */
struct buddy_link {
    uintptr_t check;             /* seal over the two links and the address */
    struct buddy_link *next;     /* next free block of this order, or NULL */
    struct buddy_link *prev;     /* previous one, or NULL at the list head */
};

/* The free lists of one arena.  Invariant: free[k] lists exactly the blocks of
 * order k whose order-map byte is BUDDY_MAP_FREE | k, and bit k of nonempty is
 * set iff free[k] != NULL.  Not locked here: the caller holds the arena lock. */
struct buddy_heap {
    struct buddy_link *free[BUDDY_ORDERS]; /* list heads by absolute order */
    uint32_t nonempty;                     /* bit k: free[k] has a block */
    uint32_t whole_free;                   /* regions that are one free block */
    struct buddy_region *regions;          /* every region of this heap */
    size_t nregions;                       /* length of that list */
    uint64_t splits;                       /* blocks split in two */
    uint64_t merges;                       /* buddy pairs joined */
    size_t used_bytes;                     /* bytes in allocated blocks */
    int scrub;                             /* clear links of blocks leaving a list */
};

/* A region descriptor, kept outside the region.  Invariant: the blocks of the
 * region tile [base, base + 2^order) and map[] describes each one at its first
 * unit; every other byte of map[] is 0. */
struct buddy_region {
    uintptr_t base;              /* first byte, aligned to 2^order */
    struct buddy_heap *heap;     /* the free lists its free blocks are on */
    void *owner;                 /* the arena of that heap (set by arena.c) */
    struct buddy_region *next;   /* heap's region list */
    struct buddy_region *prev;   /* heap's region list */
    unsigned min_order;          /* order of one unit of map[] */
    unsigned order;              /* order of the whole region */
    size_t used_bytes;           /* bytes of this region in allocated blocks */
    size_t parked_bytes;         /* of those, on quick lists (kept by arena.c) */
    uint8_t map[];               /* one byte per unit: BUDDY_MAP_* | order */
};

/* ---- inline arithmetic ---- */

/* The order of the smallest block of at least `size` bytes (never below
 * min_order).  Sizes above 2^63 are the caller's to reject. */
static inline unsigned buddy_order_of(size_t size, unsigned min_order)
{
    if (size <= ((size_t)1 << min_order))
        return min_order;
    return 64u - (unsigned)__builtin_clzll((unsigned long long)(size - 1));
}

/* The map byte of the unit at address b of region r. */
static inline uint8_t *buddy_map_at(struct buddy_region *r, uintptr_t b)
{
    return &r->map[(b - r->base) >> r->min_order];
}

/* ---- core.c: free lists, split and coalesce ---- */
extern uintptr_t _buddy_secret;
void _buddy_region_add(struct buddy_heap *h, struct buddy_region *r, uintptr_t base,
                       unsigned min_order, unsigned order);
void _buddy_region_remove(struct buddy_heap *h, struct buddy_region *r);
struct buddy_region *_buddy_whole_region(struct buddy_heap *h, unsigned order);
void *_buddy_alloc(struct buddy_heap *h, unsigned order);
unsigned _buddy_used_order(struct buddy_region *r, uintptr_t b);

/* The order of allocated block b of region r, inline because every free and
 * realloc asks; anything but an allocated block's start goes to
 * _buddy_used_order, which aborts naming the error. */
static inline unsigned buddy_used_order(struct buddy_region *r, uintptr_t b)
{
    uint8_t m = *buddy_map_at(r, b);
    if (__builtin_expect((m & BUDDY_MAP_STATE) == BUDDY_MAP_USED &&
                         !(b & (((uintptr_t)1 << r->min_order) - 1)), 1))
        return m & BUDDY_MAP_ORDER;
    return _buddy_used_order(r, b);
}
int _buddy_release(struct buddy_heap *h, struct buddy_region *r, uintptr_t b,
                   unsigned order);
int _buddy_grow(struct buddy_heap *h, struct buddy_region *r, uintptr_t b,
                unsigned order, unsigned new_order);
void _buddy_shrink(struct buddy_heap *h, struct buddy_region *r, uintptr_t b,
                   unsigned order, unsigned new_order);

/* ---- registry.c: address -> region or large block ---- */
/* A registry value is a region descriptor pointer (low bit 0) or, for a
 * large block starting at the granule, its mapping length | 1. */
#define BUDDY_REG_LARGE     1u
#define BUDDY_REG_LEAF_BITS 15u
#define BUDDY_REG_ROOT_BITS (BUDDY_ADDR_BITS - BUDDY_GRANULE_SHIFT - BUDDY_REG_LEAF_BITS)
extern uintptr_t *_buddy_reg_root[1u << BUDDY_REG_ROOT_BITS];
int _buddy_registry_set(uintptr_t start, size_t len, uintptr_t value);
void _buddy_registry_clear(uintptr_t start, size_t len);
uintptr_t _buddy_registry_take(uintptr_t addr);

/* The registry value of the granule holding addr, 0 when it is none of ours.
 * Inline: every free and every allocation from a free list asks it. */
static inline uintptr_t buddy_registry_get(uintptr_t addr)
{
    if (addr >> BUDDY_ADDR_BITS)
        return 0;
    uintptr_t key = addr >> BUDDY_GRANULE_SHIFT;
    uintptr_t *leaf = __atomic_load_n(&_buddy_reg_root[key >> BUDDY_REG_LEAF_BITS],
                                      __ATOMIC_ACQUIRE);
    if (!leaf)
        return 0;
    return __atomic_load_n(&leaf[key & ((1u << BUDDY_REG_LEAF_BITS) - 1)], __ATOMIC_ACQUIRE);
}

/* The region holding addr, or NULL (not ours, or a large block). */
static inline struct buddy_region *buddy_region_of(uintptr_t addr)
{
    uintptr_t v = buddy_registry_get(addr);
    return (v & BUDDY_REG_LARGE) ? NULL : (struct buddy_region *)v;
}

/* ---- hooks the core calls: defined by the allocator (backend.c) or a test ---- */
/* Zeroed pages for metadata (registry leaves), never freed; NULL if none. */
void *_buddy_meta_map(size_t size);
/* Reports a broken invariant caused by the program (double free, invalid
 * free, overwritten links) and aborts. */
__attribute__((noreturn)) void _buddy_fatal(const char *what, const void *p);

/* ---- arena.c: per-CPU arenas, regions from the kernel ---- */

#define BUDDY_MAX_ARENAS 64u

/* Each arena keeps small blocks (up to 4 KiB) and larger ones in separate
 * regions: a long-lived small block then never keeps a large free block from
 * forming, which in one region of mixed sizes it would (external
 * fragmentation of buddy systems). */
#define BUDDY_SMALL_ORDER 12u

/* Quick lists (a lazy buddy system): an arena parks up to buddy_quick_cap[]
 * freed blocks of each small order k without coalescing them, and serves the
 * next allocations of that order from there, so a program that frees and
 * allocates the same sizes does not split and join blocks on every call.
 * Parked blocks are marked BUDDY_MAP_QUICK in the order map (not free, so no
 * buddy merges with them, and freeing one again is a double free).  The
 * lists are arrays in the arena: nothing about them is in the user's bytes.
 * A region whose only allocated blocks are parked ones gets them back at
 * once (_buddy_quick_purge), unless the heap has no more regions than it
 * keeps anyway, so parking never keeps a region from the kernel. */
#define BUDDY_QUICK_ORDERS 8u    /* orders 5..12: 32 bytes to 4 KiB */
#define BUDDY_QUICK_SLOTS  2040u /* sum of the capacities below */

/* Capacity and first slot of quick list q (order BUDDY_MIN_ORDER + q): 32 KiB
 * of blocks per order, at most 1024 blocks and at least 8. */
static const uint16_t buddy_quick_cap[BUDDY_QUICK_ORDERS] = {1024, 512, 256, 128, 64, 32, 16, 8};
static const uint16_t buddy_quick_base[BUDDY_QUICK_ORDERS] = {0, 1024, 1536, 1792, 1920, 1984,
                                                              2016, 2032};

struct buddy_quick_slot {
    uintptr_t block;             /* a parked block */
    struct buddy_region *region; /* its region */
};

/* One arena per CPU.  A block always returns to the arena of its region.
 * Invariant: once a free has returned, each heap holds at most
 * buddy_spare_limit(heap) wholly free regions. */
struct buddy_arena {
    ha_lock_t lock;              /* guards everything below */
    uint16_t qcount[BUDDY_QUICK_ORDERS];                 /* blocks on each quick list */
    struct buddy_quick_slot quick[BUDDY_QUICK_SLOTS];    /* the quick lists */
    struct buddy_heap heap[2];   /* [0] blocks up to BUDDY_SMALL_ORDER, [1] larger */
    uint64_t quick_hits;         /* allocations served by a quick list */
    uint64_t regions_mapped;     /* regions taken from the kernel */
    uint64_t regions_returned;   /* regions given back to it */
    uint64_t blocks;             /* blocks handed out */
    uint64_t block_bytes;        /* their bytes (requests rounded to powers of two) */
    uint64_t request_bytes;      /* the bytes asked for them */
} __attribute__((aligned(64)));

/* Settings read once from the HUSKY_* options at the first call. */
struct buddy_config {
    unsigned narenas;            /* arenas in use; 0 until _buddy_init ran */
    size_t max_small;            /* largest request served by a buddy block */
    int zero_on_free;            /* HUSKY_ZERO_ON_FREE */
    uint32_t keep_regions;       /* wholly free regions an arena keeps */
};

extern struct buddy_config _buddy_cfg;
extern struct buddy_arena _buddy_arenas[BUDDY_MAX_ARENAS];
void _buddy_init(void);
void *_buddy_arena_refill(struct buddy_arena *a, unsigned order, size_t size, int locked);
void _buddy_arena_trim(struct buddy_arena *a, struct buddy_heap *h, int locked);
void _buddy_quick_flush(struct buddy_arena *a);
void _buddy_quick_purge(struct buddy_arena *a, struct buddy_region *r, int locked);

/* Locks arena a, except while the process has one thread: glibc's
 * __libc_single_threaded stays true until the first pthread_create and never
 * turns true again, and a lock costs two atomic operations (~25 ns here) per
 * call.  Returns whether it locked, for buddy_unlock. */
static inline int buddy_lock(struct buddy_arena *a)
{
    if (BUDDY_SINGLE_THREADED())
        return 0;
    ha_lock(&a->lock);
    return 1;
}

static inline void buddy_unlock(struct buddy_arena *a, int locked)
{
    if (locked)
        ha_unlock(&a->lock);
}

/* The arena of the CPU the caller runs on (any arena is correct; this one is
 * the least contended). */
static inline struct buddy_arena *buddy_arena_here(void)
{
    if (HA_UNLIKELY(!__atomic_load_n(&_buddy_cfg.narenas, __ATOMIC_ACQUIRE)))
        _buddy_init();
    int cpu = sched_getcpu();
    unsigned i = cpu < 0 ? 0u : (unsigned)cpu;
    if (HA_UNLIKELY(i >= _buddy_cfg.narenas))
        i %= _buddy_cfg.narenas;
    return &_buddy_arenas[i];
}

/* Wholly free regions heap h may keep: cfg.keep_regions, or a quarter of
 * the regions in use if that is more, so that a program whose footprint
 * swings by a few regions does not map and unmap them (and fault their pages
 * in again) on every swing, while a program that frees everything keeps one. */
static inline size_t buddy_spare_limit(const struct buddy_heap *h)
{
    size_t in_use = h->nregions - h->whole_free;
    return in_use / 4 > _buddy_cfg.keep_regions ? in_use / 4 : _buddy_cfg.keep_regions;
}

static inline struct buddy_arena *buddy_arena_of(struct buddy_region *r)
{
    return (struct buddy_arena *)r->owner;
}

static inline struct buddy_heap *buddy_heap_for(struct buddy_arena *a, unsigned order)
{
    return &a->heap[order > BUDDY_SMALL_ORDER];
}

/* ---- large.c: requests above cfg.max_small, straight from mmap ---- */
void *_buddy_large_alloc(size_t size, size_t align);
void _buddy_large_free(uintptr_t p, uintptr_t reg);
size_t _buddy_large_size(uintptr_t p, uintptr_t reg);
void *_buddy_large_realloc(uintptr_t p, uintptr_t reg, size_t size);
void _buddy_large_stats(uint64_t *live, uint64_t *bytes, uint64_t *total);

#endif
