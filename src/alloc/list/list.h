/* Allocator "list": the Husky free-list allocator, internal header.
 *
 * Blocks carry a size header and boundary tags (dlmalloc's layout):
 *
 *     block -> | prev_size | head = size | flags | payload ...            |
 *              0           8                    16                   size+8
 *
 * `size` is the whole block, a multiple of 16, at least LIST_MIN_BLOCK.
 * `prev_size` holds the previous block's size and is valid only when that
 * block is free (LIST_PINUSE clear); while the previous block is in use the
 * word belongs to its payload, so a block of size S gives S - 8 usable bytes.
 * A free block keeps its bin links in the first payload words and its size
 * again in the next block's prev_size (the footer).
 *
 * An arena owns pools: the main arena's is the brk heap, the others' are
 * 1 MiB-aligned mmap regions.  Each pool ends in a 16-byte sentinel header
 * (in use, size 16) so coalescing never walks off its end.  The arena's
 * "top" is the free block at the end of its current pool; it is never in a
 * bin and always at least LIST_MIN_BLOCK bytes.  Free blocks are coalesced
 * immediately, so no two free blocks are ever adjacent and the block before
 * top is in use.
 *
 * Where is it defined?  Prototypes below are grouped by the defining file.
 */
#ifndef HUSKY_LIST_H
#define HUSKY_LIST_H

#include <stddef.h>
#include <stdint.h>
#include <features.h>
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
#include <sys/single_threaded.h>
/* glibc clears this when the process creates its first thread, never sets it
 * again.  Until then no other thread can be inside the allocator, so the
 * arena locks are skipped (glibc's malloc does the same). */
#define LIST_SINGLE_THREADED() (__libc_single_threaded != 0)
#else
#define LIST_SINGLE_THREADED() 0
#endif

#include "alloc/common/alloc.h"
#include "alloc/common/lock.h"
#include "alloc/common/os.h"

/* ---- sizes ---- */

#define LIST_HDR        16u            /* block start to payload */
#define LIST_MIN_BLOCK  32u            /* header + two bin links */
#define LIST_SENTINEL   16u            /* the in-use header closing a pool */
#define LIST_GRANULE_SHIFT 20          /* pool alignment and pagemap unit: 1 MiB */
#define LIST_GRANULE    ((size_t)1 << LIST_GRANULE_SHIFT)
#define LIST_POOL_MIN   LIST_GRANULE   /* smallest mmap pool (>= 256 KiB) */
#define LIST_BRK_BATCH  ((size_t)1 << 20) /* the main arena grows brk by at least this */
#define LIST_MAX_ARENAS 256u
#define LIST_FIT_SCAN   16             /* candidates examined per bin for best fit */
#define LIST_RELEASE_MIN ((size_t)64 << 10) /* free blocks from this size get madvised */
#define LIST_RELEASE_NS  100000000u    /* at most one release sweep per arena per 100 ms */
#define LIST_RELEASE_AGE_NS 1000000000u /* a big free block is released after 1 s unused */

/* Default thresholds (see docs/alloc-list.md for how they were chosen). */
#define LIST_MMAP_THRESHOLD_DEFAULT ((size_t)256 << 10)
#define LIST_MMAP_THRESHOLD_MAX     ((size_t)32 << 20) /* dynamic raise stops here */
#define LIST_TRIM_THRESHOLD_DEFAULT ((size_t)512 << 10)

/* ---- flags in the head word ---- */

#define LIST_PINUSE   ((size_t)1)      /* the previous block is in use */
#define LIST_CINUSE   ((size_t)2)      /* this block is in use */
#define LIST_MMAPPED  ((size_t)4)      /* a large block in its own mapping */
#define LIST_RELEASED ((size_t)8)      /* free block whose pages were madvised */
#define LIST_FLAGS    ((size_t)15)

typedef struct list_block {
    size_t prev_size;                  /* previous block's size, when it is free */
    size_t head;                       /* size | flags */
    struct list_block *next;           /* free blocks only: next in the bin */
    struct list_block *prev;           /* free blocks only: previous in the bin */
} list_block_t;

static inline size_t list_size(const list_block_t *b)
{
    return b->head & ~LIST_FLAGS;
}

static inline list_block_t *list_at(const void *base, size_t off)
{
    return (list_block_t *)((uintptr_t)base + off);
}

static inline list_block_t *list_next(const list_block_t *b)
{
    return list_at(b, list_size(b));
}

static inline void *list_payload(const list_block_t *b)
{
    return (void *)((uintptr_t)b + LIST_HDR);
}

static inline list_block_t *list_from_payload(const void *p)
{
    return (list_block_t *)((uintptr_t)p - LIST_HDR);
}

/* Block size for a request of n bytes (n <= PTRDIFF_MAX). */
static inline size_t list_request_size(size_t n)
{
    size_t s = (n + 8 + 15) & ~(size_t)15;
    return s < LIST_MIN_BLOCK ? LIST_MIN_BLOCK : s;
}

/* ---- bins: exact 16-byte classes to 1 KiB, then 4 per power of two ---- */

#define LIST_NEXACT   63               /* sizes 32, 48, ..., 1024 */
#define LIST_NBINS    (LIST_NEXACT + 4 * (48 - 10))
#define LIST_BITMAP_WORDS ((LIST_NBINS + 63) / 64)

/* ---- arenas ---- */

typedef struct list_arena {
    ha_lock_t lock;                    /* guards every field and the arena's blocks */
    unsigned index;                    /* position in the arena table */
    int ready;                         /* pools may be used (set under lock) */
    int uses_brk;                      /* grows the brk heap (main arena) */
    list_block_t *top;                 /* free block ending the current pool, or NULL */
    uintptr_t pool_end;                /* end of the current pool (after its sentinel) */
    uintptr_t fresh;                   /* [fresh, pool_end - 16) is zero, never handed out */
    uint64_t bitmap[LIST_BITMAP_WORDS]; /* bit i set <=> bins[i] is not empty */
    list_block_t *bins[LIST_NBINS];    /* free blocks by size class, LIFO */
    size_t pool_bytes;                 /* bytes of all pools of this arena */
    size_t free_bytes;                 /* bytes in the bins (top not counted) */
    size_t dirty_free;                 /* bytes freed into big blocks since the last sweep */
    uint64_t last_sweep_ns;            /* time of the last release sweep */
    uint64_t pools;                    /* pools obtained */
} __attribute__((aligned(64))) list_arena_t;

/* Process-wide settings, fixed by list_init. */
typedef struct list_global {
    int initialized;                   /* 0 no, 1 in progress, 2 done */
    unsigned narenas;                  /* arenas in use (HUSKY_ARENAS or CPUs) */
    int zero_on_free;                  /* HUSKY_ZERO_ON_FREE */
    size_t mmap_threshold;             /* requests from here go to mmap (may rise) */
    size_t trim_threshold;             /* free top bytes kept before trimming */
    int dynamic;                       /* thresholds follow freed large blocks */
    uintptr_t heap_lo;                 /* the brk heap: [heap_lo, heap_hi) */
    uintptr_t heap_hi;                 /* (written under arena 0's lock) */
    int brk_broken;                    /* brk failed or moved: use mmap pools */
    size_t large_live;                 /* bytes in live large mappings (atomic) */
} list_global_t;

extern list_global_t _list_g;
extern list_arena_t _list_arenas[LIST_MAX_ARENAS];

/* trim_threshold, which large.c raises without a lock as mmap_threshold. */
static inline size_t list_trim_threshold(void)
{
    return __atomic_load_n(&_list_g.trim_threshold, __ATOMIC_RELAXED);
}

/* ---- checks that stay on in production (no stdio, no malloc) ---- */

#define LIST_CHECK(cond, msg, p) \
    do { \
        if (HA_UNLIKELY(!(cond))) \
            os_fatal_ptr(msg, p); \
    } while (0)

/* ---- bins.c ---- */
/* The bin of a free block of `size` bytes. */
static inline unsigned _list_bin_index(size_t size)
{
    if (size <= 1024)
        return (unsigned)(size >> 4) - 2;
    unsigned k = 63u - (unsigned)__builtin_clzl(size);
    unsigned sub = (unsigned)(size >> (k - 2)) & 3u;
    unsigned i = LIST_NEXACT + (k - 10) * 4 + sub;
    return i < LIST_NBINS ? i : LIST_NBINS - 1;
}
static inline void list_bit_set(list_arena_t *a, unsigned i)
{
    a->bitmap[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline void list_bit_clear(list_arena_t *a, unsigned i)
{
    a->bitmap[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* Pushes free block b (head and footer already written) on its bin. */
static inline void _list_bin_insert(list_arena_t *a, list_block_t *b)
{
    unsigned i = _list_bin_index(list_size(b));
    list_block_t *first = a->bins[i];
    b->prev = NULL;
    b->next = first;
    if (first != NULL)
        first->prev = b;
    else
        list_bit_set(a, i);
    a->bins[i] = b;
    a->free_bytes += list_size(b);
}

static inline void _list_bin_remove(list_arena_t *a, list_block_t *b)
{
    unsigned i = _list_bin_index(list_size(b));
    if (b->prev != NULL) {
        LIST_CHECK(b->prev->next == b, "corrupted free list at", b);
        b->prev->next = b->next;
    } else {
        LIST_CHECK(a->bins[i] == b, "corrupted free list at", b);
        a->bins[i] = b->next;
        if (b->next == NULL)
            list_bit_clear(a, i);
    }
    if (b->next != NULL) {
        LIST_CHECK(b->next->prev == b, "corrupted free list at", b);
        b->next->prev = b->prev;
    }
    a->free_bytes -= list_size(b);
}

list_block_t *_list_bin_best_fit(list_arena_t *a, size_t need);

/* ---- block.c ---- */
list_block_t *_list_block_alloc(list_arena_t *a, size_t need, int *fresh);
void _list_block_free(list_arena_t *a, list_block_t *b);
void _list_block_shrink(list_arena_t *a, list_block_t *b, size_t need);
int _list_block_grow(list_arena_t *a, list_block_t *b, size_t need);
list_block_t *_list_block_align(list_arena_t *a, list_block_t *b, size_t align, size_t need);

/* ---- arena.c ---- */
void _list_init_slow(void);
list_arena_t *_list_arena_lock_slow(void);
void _list_arena_setup(list_arena_t *a, unsigned index, int uses_brk);
int _list_arena_grow(list_arena_t *a, size_t need);
void _list_arena_add_pool(list_arena_t *a, void *base, size_t size);
void _list_arena_trim(list_arena_t *a);
void _list_arena_sweep(list_arena_t *a, uint64_t now);

/* Big free blocks (LIST_RELEASE_MIN and up) keep the time they were freed in
 * their third payload word, after the bin links. */
static inline uint64_t *list_freed_at(list_block_t *b)
{
    return (uint64_t *)((uintptr_t)b + LIST_MIN_BLOCK);
}
#define LIST_BRK_MARK (LIST_MAX_ARENAS + 1u) /* pagemap value of brk heap granules */
extern __thread list_arena_t *_list_tls_arena __attribute__((tls_model("initial-exec")));

/* ---- pagemap.c ---- */
#define LIST_PM_LARGE 0x8000u          /* entries from here count large mappings */
#define LIST_PM_BITS  (48 - LIST_GRANULE_SHIFT) /* granule index width */
#define LIST_PM_LEAF_BITS 14
extern uint16_t *_list_pm_root[(size_t)1 << (LIST_PM_BITS - LIST_PM_LEAF_BITS)];

/* The pagemap entry of addr's granule (lock-free; see pagemap.c). */
static inline unsigned _list_pagemap_get(uintptr_t addr)
{
    uintptr_t g = addr >> LIST_GRANULE_SHIFT;
    if (HA_UNLIKELY(g >> LIST_PM_BITS))
        return 0;
    uint16_t *leaf = __atomic_load_n(&_list_pm_root[g >> LIST_PM_LEAF_BITS], __ATOMIC_ACQUIRE);
    if (HA_UNLIKELY(leaf == NULL))
        return 0;
    return __atomic_load_n(&leaf[g & (((uintptr_t)1 << LIST_PM_LEAF_BITS) - 1)],
                           __ATOMIC_RELAXED);
}
int _list_pagemap_set_range(uintptr_t start, size_t size, unsigned value);
void _list_pagemap_large(uintptr_t start, size_t size, int delta);
void _list_pagemap_fork_prepare(void);
void _list_pagemap_fork_parent(void);
void _list_pagemap_fork_child(void);

/* ---- large.c ---- */
void *_list_large_alloc(size_t size, size_t align, int *fresh);
void _list_large_free(list_block_t *b);
void *_list_large_realloc(list_block_t *b, size_t size);
size_t _list_large_usable(const list_block_t *b);

/* The arena owning pooled block payload p, or NULL when p is not in a pool. */
static inline list_arena_t *_list_arena_of(const void *p)
{
    unsigned e = _list_pagemap_get((uintptr_t)p);
    if (HA_UNLIKELY(e == 0 || e >= LIST_PM_LARGE))
        return NULL;
    if (e == LIST_BRK_MARK) {
        uintptr_t u = (uintptr_t)p;
        if (u < _list_g.heap_lo || u >= __atomic_load_n(&_list_g.heap_hi, __ATOMIC_ACQUIRE))
            return NULL;
        return &_list_arenas[0];
    }
    return &_list_arenas[e - 1];
}

/* Locks arena a unless the process is single-threaded; returns whether it
 * did, to be passed to list_unlock.  A thread cannot appear in between: only
 * the caller could create it, and it is inside the allocator. */
static inline int list_lock(list_arena_t *a)
{
    if (LIST_SINGLE_THREADED())
        return 0;
    ha_lock(&a->lock);
    return 1;
}

static inline void list_unlock(list_arena_t *a, int locked)
{
    if (locked)
        ha_unlock(&a->lock);
}

/* The arena of the calling thread, locked as list_lock does. */
static inline list_arena_t *list_arena_lock_mine(int *locked)
{
    list_arena_t *a = _list_tls_arena;
    if (HA_LIKELY(a != NULL)) {
        if (LIST_SINGLE_THREADED()) {
            *locked = 0;
            return a;
        }
        if (HA_LIKELY(ha_lock_trylock(&a->lock))) {
            *locked = 1;
            return a;
        }
    }
    *locked = 1;
    return _list_arena_lock_slow();
}

static inline void list_init(void)
{
    if (HA_UNLIKELY(__atomic_load_n(&_list_g.initialized, __ATOMIC_ACQUIRE) != 2))
        _list_init_slow();
}

#endif
