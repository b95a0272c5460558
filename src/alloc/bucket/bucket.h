/* bucket: husky's size-class allocator (internal header).
 *
 * Memory comes in 4 MiB segments aligned to 4 MiB.  A segment is cut into 64
 * slots of 64 KiB: slots 0-1 hold the segment header and the metadata of every
 * span (out of band: no header next to any user block), slot 63 is an
 * inaccessible guard, slots 2-62 hold spans.  A span is a run of 1-2 slots
 * cut into equal blocks of one size class; the span of any pointer is found by
 * masking the pointer down to its segment and indexing the slot table.
 *
 * Each thread owns a heap (found through one initial-exec TLS pointer) holding,
 * per size class, the span it allocates from and a list of its other spans
 * with free blocks.  A span's free blocks are a bitmap kept in its metadata;
 * the owner allocates and frees without any lock or atomic operation.  Frees
 * from other threads set bits in a second, atomic bitmap of the span and push
 * the span on the owner's lock-free list; the owner merges them later.
 * Requests above BUCKET_SMALL_MAX are mmap'd (large.c).
 */
#ifndef HUSKY_BUCKET_H
#define HUSKY_BUCKET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/common/alloc.h"
#include "alloc/common/lock.h"

/* ---- geometry ---- */
#define BUCKET_SEG_SHIFT    22                          /* 4 MiB segments */
#define BUCKET_SEG_SIZE     ((size_t)1 << BUCKET_SEG_SHIFT)
#define BUCKET_SEG_MASK     (BUCKET_SEG_SIZE - 1)
#define BUCKET_SLOTS        64                          /* slots per segment */
#define BUCKET_META_SLOTS   2                           /* header slots */
#define BUCKET_FIRST_SLOT   BUCKET_META_SLOTS           /* first data slot */
#define BUCKET_LAST_SLOT    62                          /* last data slot */
#define BUCKET_PAGE         4096u

#include "alloc/bucket/size_class.h"

/* ---- spans and segments ---- */
enum bucket_span_state {
    BUCKET_SPAN_FREE = 0,       /* in the segment pool, owned by nobody */
    BUCKET_SPAN_SMALL = 1,      /* cut into blocks, owned by a heap */
};
#define BUCKET_SPAN_MAGIC 0x5b0c4e75u

struct bucket_heap;

/* Metadata of one span, kept in its segment's header slots.  Invariants:
 * free_bits has a 1 for each block the owner may hand out, never for a block
 * past capacity; nfree counts those bits; every word below `hint` is zero;
 * the span's remote bits (bucket_remote_bits) hold blocks freed by other
 * threads and not yet merged (never also set in free_bits); while
 * remote_flag is 1 the span is on, or about to be pushed on, its owner's
 * remote stack. */
typedef struct bucket_span {
    /* The first cache line holds all that malloc's and free's fast paths
     * read, so a free touches this line and one word of free_bits. */
    uint32_t magic;                     /* BUCKET_SPAN_MAGIC while SMALL */
    uint8_t state;                      /* enum bucket_span_state */
    uint8_t cls;                        /* size class */
    uint8_t slots;                      /* slots covered */
    uint8_t in_partial;                 /* 1 while on the owner's partial list */
    uint32_t size;                      /* block size (copy of the class's) */
    uint32_t capacity;                  /* blocks in the span */
    uint32_t nfree;                     /* set bits in free_bits */
    uint32_t hint;                      /* first free_bits word that may be nonzero */
    uint32_t trim_at;                   /* nfree at which to give free pages back (0: never) */
    uint64_t recip;                     /* ceil(2^40 / size) */
    uintptr_t base;                     /* address of block 0 */
    struct bucket_heap *owner;          /* heap that allocates from it */
    uintptr_t pop_end;                  /* end of the blocks to populate; 0: none */
    /* the rest of the slow paths' fields */
    uintptr_t pop_to;                   /* pages below are populated (see span_populate) */
    uint32_t trim_slot;                 /* index in owner's trim_list, or BUCKET_NO_TRIM */
    uint32_t trim_seen;                 /* listed through one growth of the heap already */
    struct bucket_span *next, *prev;    /* owner's partial list of this class */
    struct bucket_span *remote_next;    /* link in owner's remote stack */
    _Atomic uint32_t remote_flag;       /* 1: pushed on the remote stack */
    _Atomic uint32_t remote_busy;       /* remote frees in progress */
    uint64_t free_bits[BUCKET_BITMAP_WORDS] __attribute__((aligned(64)));  /* owner's free blocks */
} __attribute__((aligned(64))) bucket_span_t;

#define BUCKET_SEG_MAGIC 0x6875736b79736567ull          /* "huskyseg" */

/* Header of a segment (slot 0).  spans[i] describes the span starting at slot
 * i and remote_bits[i] is its bitmap of remote frees (kept apart, so that
 * the pages of a heap without cross-thread frees never hold it; all zero
 * unless a span starts at slot i); slot_span[i] points at the span covering
 * slot i (NULL when free).  The masks are guarded by the pool lock. */
typedef struct bucket_segment {
    uint64_t magic;                     /* BUCKET_SEG_MAGIC */
    struct bucket_segment *next;        /* all segments, newest first */
    uint64_t used_mask;                 /* slots given to spans */
    uint64_t dirty_mask;                /* free slots whose pages may be resident */
    uint64_t dirty_time[BUCKET_SLOTS];  /* when each dirty slot was freed (ns) */
    uint32_t dirty_pages[BUCKET_SLOTS]; /* pages of each dirty slot that may be resident */
    bucket_span_t *_Atomic slot_span[BUCKET_SLOTS];     /* span covering slot */
    bucket_span_t spans[BUCKET_SLOTS];  /* metadata, indexed by first slot */
    _Atomic uint64_t remote_bits[BUCKET_SLOTS][BUCKET_BITMAP_WORDS];   /* freed by others */
} bucket_segment_t;

_Static_assert(sizeof(bucket_segment_t) <= BUCKET_META_SLOTS * BUCKET_SLOT_SIZE - BUCKET_PAGE,
               "segment header must leave room for its guard page");

/* The segment holding span's blocks, and the slot they start at. */
static inline bucket_segment_t *bucket_span_seg(const bucket_span_t *span)
{
    return (bucket_segment_t *)(span->base & ~(uintptr_t)BUCKET_SEG_MASK);
}

static inline unsigned bucket_span_first(const bucket_span_t *span)
{
    return (unsigned)((span->base & BUCKET_SEG_MASK) >> BUCKET_SLOT_SHIFT);
}

/* Points the slot table of seg at span (NULL: free) for slots [from, to). */
static inline void bucket_slots_point(bucket_segment_t *seg, unsigned from, unsigned to,
                                      bucket_span_t *span)
{
    for (unsigned i = from; i < to; i++)
        atomic_store_explicit(&seg->slot_span[i], span, memory_order_release);
}

/* The bitmap of blocks of span freed by other threads, not merged yet. */
static inline _Atomic uint64_t *bucket_remote_bits(const bucket_span_t *span)
{
    return bucket_span_seg(span)->remote_bits[bucket_span_first(span)];
}

/* segment.c */
#define BUCKET_MAP_BITS     (47 - BUCKET_SEG_SHIFT)     /* 47-bit user space */
#define BUCKET_MAP_WORDS    ((size_t)1 << (BUCKET_MAP_BITS - 6))
extern _Atomic uint64_t _bucket_seg_map[BUCKET_MAP_WORDS];  /* 1 bit per segment */

/* True when addr lies in one of bucket's segments; reads only the map, so a
 * foreign pointer is never dereferenced. */
static inline bool bucket_seg_contains(uintptr_t addr)
{
    uintptr_t i = addr >> BUCKET_SEG_SHIFT;
    if (HA_UNLIKELY(i >= ((uintptr_t)1 << BUCKET_MAP_BITS)))
        return false;
    uint64_t w = atomic_load_explicit(&_bucket_seg_map[i >> 6], memory_order_relaxed);
    return (w >> (i & 63)) & 1;
}

bucket_span_t *_bucket_span_acquire(unsigned slots, bool *clean);
void _bucket_span_release(bucket_span_t *span);
bool _bucket_span_extend(bucket_span_t *span, unsigned slots);
void _bucket_pool_lock(void);
void _bucket_pool_unlock(void);
void _bucket_pool_reinit(void);
void _bucket_pool_stats(int fd, int json);

/* The span in use that covers an address inside a segment, or NULL.  A
 * span starting at the address's own slot is found by its magic alone,
 * without reading the slot table (one cache line less for every free); the
 * table serves the second slot of two-slot spans and free slots, and what it
 * points at counts only with its magic set.  spans[i].magic is the magic
 * only while a span starting at slot i is in use: it is cleared before the
 * slot goes back to the pool, and set last, after every other field, when a
 * span is cut. */
static inline bucket_span_t *bucket_span_of(uintptr_t addr)
{
    bucket_segment_t *seg = (bucket_segment_t *)(addr & ~(uintptr_t)BUCKET_SEG_MASK);
    size_t slot = (addr & BUCKET_SEG_MASK) >> BUCKET_SLOT_SHIFT;
    bucket_span_t *span = &seg->spans[slot];
    if (HA_LIKELY(__atomic_load_n(&span->magic, __ATOMIC_ACQUIRE) == BUCKET_SPAN_MAGIC))
        return span;
    span = atomic_load_explicit(&seg->slot_span[slot], memory_order_acquire);
    return span != NULL && __atomic_load_n(&span->magic, __ATOMIC_RELAXED) == BUCKET_SPAN_MAGIC
               ? span : NULL;
}

/* span.c */
#define BUCKET_POP_CHUNK    ((uintptr_t)16 << 10)       /* least populated at once */
void _bucket_span_init(bucket_span_t *span, unsigned cls, struct bucket_heap *heap);
void *_bucket_span_take(bucket_span_t *span);
void _bucket_span_trim(bucket_span_t *span);
void _bucket_span_leave_cur(bucket_span_t *span);
void _bucket_span_populate(bucket_span_t *span);

/* ---- heaps (thread_cache.c) ---- */
#define BUCKET_TRIM_MAX 32u                     /* sparse spans a heap remembers */
#define BUCKET_SPARE_MAX 4u                     /* empty spans a heap keeps */
#define BUCKET_NO_TRIM  UINT32_MAX              /* span->trim_slot: not listed */

/* A thread's cache: the spans it allocates from.  cur[c] is never NULL (an
 * empty sentinel span stands in); partial[c] lists the heap's other spans of
 * class c with free blocks.  Only the owning thread touches it, except
 * `remote` (any thread pushes) and the links guarded by the heaps lock. */
typedef struct bucket_heap {
    bucket_span_t *cur[BUCKET_NCLASS];      /* span being allocated from */
    bucket_span_t *partial[BUCKET_NCLASS];  /* other spans with free blocks */
    bucket_span_t *_Atomic remote;          /* spans with pending remote frees */
    bucket_span_t *trim_list[BUCKET_TRIM_MAX];  /* sparse spans to trim on growth */
    uint32_t trim_count;                    /* entries in trim_list */
    bucket_span_t *spare[BUCKET_SPARE_MAX]; /* empty spans kept for reuse */
    uint32_t spare_count;                   /* entries in spare */
    struct bucket_heap *all_next;           /* every heap ever made */
    struct bucket_heap *abandoned_next;     /* heaps whose thread has exited */
    bool abandoned;                         /* on the abandoned list */
    uint64_t spans_taken;                   /* spans acquired (statistics) */
    uint64_t remote_merged;                 /* blocks merged from remote frees */
    uint64_t spares_reused;                 /* spans taken from spare (statistics) */
} bucket_heap_t;

extern __thread bucket_heap_t *_bucket_tl_heap __attribute__((tls_model("initial-exec")));
extern bucket_span_t _bucket_empty_span;
extern bool _bucket_zero_on_free;

bucket_heap_t *_bucket_heap_init(void);
void *_bucket_alloc_slow(bucket_heap_t *heap, unsigned cls);
void _bucket_free_transition(bucket_heap_t *heap, bucket_span_t *span);
void _bucket_span_reclass(bucket_span_t *span, unsigned cls);
void _bucket_heaps_lock(void);
void _bucket_heaps_unlock(void);
void _bucket_heaps_after_fork_child(void);
void _bucket_collect_abandoned(void);
void _bucket_heap_stats(int fd, int json);

/* ---- frees from other threads (remote_free.c) ---- */
void _bucket_remote_free(bucket_span_t *span, size_t idx);
void _bucket_remote_collect(bucket_heap_t *heap);
bool _bucket_span_releasable(bucket_span_t *span);

/* ---- large blocks (large.c) ---- */
void *_bucket_large_alloc(size_t size, size_t align, bool zero);
bool _bucket_large_free(void *p);
size_t _bucket_large_usable(const void *p);
void *_bucket_large_realloc(void *p, size_t size);
void _bucket_large_lock(void);
void _bucket_large_unlock(void);
void _bucket_large_reinit(void);
void _bucket_large_stats(int fd, int json);
void _bucket_large_shed(size_t bytes);

/* ---- failures and the OS, through the common layer (glue.c) ---- */
__attribute__((noreturn, cold)) void _bucket_fail(const char *what, const void *p);
void *_bucket_os_map(size_t size, size_t align);
void _bucket_os_unmap(void *p, size_t size);
void _bucket_os_purge(void *p, size_t size);
void _bucket_os_guard(void *p, size_t size);
void _bucket_os_hugepage(void *p, size_t size);
void _bucket_os_populate(void *p, size_t size);
void *_bucket_os_remap(void *p, size_t old_size, size_t new_size);
uint64_t _bucket_now_ns(void);
void _bucket_write_u64(int fd, const char *key, uint64_t v, int json, bool first);
#define BUCKET_CHECK(cond, what, p) \
    do { if (HA_UNLIKELY(!(cond))) _bucket_fail(what, p); } while (0)

#endif
