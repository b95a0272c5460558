/* segment.c: bucket's 4 MiB segments and the pool of free span slots.
 *
 * Segments are mapped on demand and never unmapped; a global bitmap over the
 * address space says which 4 MiB ranges are segments, so free() can tell its
 * own pointers from foreign ones without touching unmapped memory.  Free slots
 * stay "dirty" (their pages resident) for a short delay, so a span freed and
 * taken again soon costs no page faults; when a span is given back, those
 * freed BUCKET_PURGE_DELAY_NS or more before, and the oldest as soon as dirty
 * slots may hold more pages than dirty_limit() allows (a few slots' worth,
 * plus an eighth of the slots in use: small heaps keep little in reserve),
 * have their pages given back with madvise.  A dirty slot counts
 * for the pages its span could touch: all of them, or for a solo span only
 * its block's, so the slots of many small solo blocks do not crowd out the
 * reserve.  Everything here runs under the pool lock, except the
 * mmap and madvise calls themselves.
 */
#include <errno.h>
#include <string.h>

#include "alloc/bucket/bucket.h"

#define BUCKET_PURGE_DELAY_NS  (250ull * 1000 * 1000)   /* dirty slot lifetime */
#define BUCKET_DIRTY_MIN       16u                     /* dirty slots always allowed */
#define BUCKET_DIRTY_SHARE     8u                      /* plus used slots / this */
#define BUCKET_DIRTY_MAX       64u                     /* never more (4 MiB) */

/* The slots no span ever gets: the header and the trailing guard. */
#define BUCKET_RESERVED_MASK   (((1ull << BUCKET_META_SLOTS) - 1) | (1ull << 63))

static ha_lock_t pool_lock;
static bucket_segment_t *segments;                      /* newest first */
_Atomic uint64_t _bucket_seg_map[BUCKET_MAP_WORDS];     /* 1 bit per 4 MiB */
static uint32_t dirty_pages;                            /* their dirty_pages, summed */
static uint32_t used_slots;                             /* slots held by spans */

static struct {
    uint64_t segments;          /* segments mapped */
    uint64_t acquired;          /* spans handed to heaps */
    uint64_t released;          /* spans given back */
    uint64_t purged_slots;      /* slots whose pages went back to the kernel */
} pool_stats;

void _bucket_pool_lock(void)
{
    ha_lock(&pool_lock);
}

void _bucket_pool_unlock(void)
{
    ha_unlock(&pool_lock);
}

/* After fork the child has one thread: whatever held the lock is gone. */
void _bucket_pool_reinit(void)
{
    ha_lock_init(&pool_lock);
}

/* ---- segments ---- */

/* Maps and registers a segment; its guard pages keep an overflow from the last
 * span of the segment below and an underflow from the first span away from
 * the header.  Called without the lock. */
static bucket_segment_t *segment_new(void)
{
    char *m = _bucket_os_map(BUCKET_SEG_SIZE, BUCKET_SEG_SIZE);
    if (m == NULL)
        return NULL;
    _bucket_os_guard(m + BUCKET_META_SLOTS * BUCKET_SLOT_SIZE - BUCKET_PAGE, BUCKET_PAGE);
    _bucket_os_guard(m + (BUCKET_SLOTS - 1) * BUCKET_SLOT_SIZE, BUCKET_SLOT_SIZE);
    bucket_segment_t *seg = (bucket_segment_t *)m;
    seg->magic = BUCKET_SEG_MAGIC;
    seg->used_mask = BUCKET_RESERVED_MASK;
    uintptr_t i = (uintptr_t)m >> BUCKET_SEG_SHIFT;
    atomic_fetch_or(&_bucket_seg_map[i >> 6], 1ull << (i & 63));
    return seg;
}

/* The slot mask of the n slots from `first`. */
static inline uint64_t run_mask(unsigned first, unsigned n)
{
    return (n >= 64 ? ~0ull : (1ull << n) - 1) << first;
}

/* Lowest run of `n` free slots in `free_mask` (a slot mask), or -1. */
static int find_run(uint64_t free_mask, unsigned n)
{
    uint64_t want = run_mask(0, n);
    for (unsigned i = BUCKET_FIRST_SLOT; i + n <= BUCKET_LAST_SLOT + 1; i++) {
        if ((free_mask >> i & want) == want)
            return (int)i;
    }
    return -1;
}

/* Marks the n free slots from `first` of seg used, under the pool lock; the
 * dirty ones among them stop counting against the reserve. */
static void run_claim_locked(bucket_segment_t *seg, unsigned first, unsigned n)
{
    uint64_t bits = run_mask(first, n);
    for (unsigned i = first; i < first + n; i++)
        if (seg->dirty_mask >> i & 1)
            dirty_pages -= seg->dirty_pages[i];
    seg->used_mask |= bits;
    seg->dirty_mask &= ~bits;
    used_slots += n;
}

/* Takes n slots for a span, preferring a run of dirty slots (no page faults),
 * then the lowest run in the oldest segments (keeps the heap compact).
 * *clean says whether any of them had no resident pages. */
static bucket_span_t *pool_take(unsigned n, bool *clean)
{
    for (int pass = 0; pass < 2; pass++) {
        for (bucket_segment_t *seg = segments; seg != NULL; seg = seg->next) {
            uint64_t free_mask = ~seg->used_mask;
            if (pass == 0)
                free_mask &= seg->dirty_mask;
            int first = find_run(free_mask, n);
            if (first < 0)
                continue;
            uint64_t bits = run_mask((unsigned)first, n);
            *clean = (unsigned)__builtin_popcountll(seg->dirty_mask & bits) < n;
            run_claim_locked(seg, (unsigned)first, n);
            bucket_span_t *span = &seg->spans[first];
            span->slots = (uint8_t)n;
            span->base = (uintptr_t)seg + ((uintptr_t)first << BUCKET_SLOT_SHIFT);
            pool_stats.acquired++;
            return span;
        }
    }
    return NULL;
}

/* A span of n slots for a heap (state FREE, fields to be set by the caller),
 * or NULL with errno = ENOMEM; *clean is true when it took slots with no
 * resident pages (the process grows).  Before mapping a new segment it lets
 * exited threads' heaps give back what other threads freed into them. */
bucket_span_t *_bucket_span_acquire(unsigned n, bool *clean)
{
    bool collected = false;
    for (;;) {
        ha_lock(&pool_lock);
        bucket_span_t *span = pool_take(n, clean);
        ha_unlock(&pool_lock);
        if (span != NULL)
            return span;
        if (!collected) {
            collected = true;
            _bucket_collect_abandoned();
            continue;
        }
        bucket_segment_t *seg = segment_new();
        if (seg == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        ha_lock(&pool_lock);
        seg->next = segments;
        segments = seg;
        pool_stats.segments++;
        ha_unlock(&pool_lock);
    }
}

/* Grows a span in use to n slots when the slots after it are free (dirty
 * or clean), for realloc of a solo block; false when they are not.  The
 * slot table covers the new slots before the caller hands the bigger block
 * out. */
bool _bucket_span_extend(bucket_span_t *span, unsigned n)
{
    bucket_segment_t *seg = bucket_span_seg(span);
    unsigned first = bucket_span_first(span);
    unsigned from = first + span->slots, to = first + n;
    if (to > BUCKET_LAST_SLOT + 1)
        return false;
    uint64_t bits = run_mask(from, to - from);
    ha_lock(&pool_lock);
    bool ok = (seg->used_mask & bits) == 0;
    if (ok)
        run_claim_locked(seg, from, to - from);
    ha_unlock(&pool_lock);
    if (!ok)
        return false;
    bucket_slots_point(seg, from, to, span);
    span->slots = (uint8_t)n;
    return true;
}

/* ---- purging ---- */

/* Pages of the dirty slots freed at least `age` ns before `now`. */
static uint32_t count_older(uint64_t now, uint64_t age)
{
    uint32_t n = 0;
    for (bucket_segment_t *seg = segments; seg != NULL; seg = seg->next)
        for (uint64_t d = seg->dirty_mask; d != 0; d &= d - 1) {
            unsigned i = (unsigned)__builtin_ctzll(d);
            if (now - seg->dirty_time[i] >= age)
                n += seg->dirty_pages[i];
        }
    return n;
}

/* How many pages dirty slots may hold while they wait for their delay: a
 * reserve that grows with the heap, so a program with a few MiB of blocks
 * does not keep as much again in empty spans. */
static uint32_t dirty_limit(void)
{
    uint32_t limit = BUCKET_DIRTY_MIN + used_slots / BUCKET_DIRTY_SHARE;
    limit = limit < BUCKET_DIRTY_MAX ? limit : BUCKET_DIRTY_MAX;
    return limit * (uint32_t)(BUCKET_SLOT_SIZE / BUCKET_PAGE);
}

/* Chooses the dirty slots to purge: those older than the delay, and when more
 * than dirty_limit() are dirty, the oldest ones down to half of it (the age
 * cut-off shrinks until enough qualify).  Marks them used so nobody takes them
 * meanwhile and records them in segs/masks (at most max segments).  Returns
 * how many segments were recorded. */
static size_t purge_select(uint64_t now, bucket_segment_t **segs, uint64_t *masks, size_t max)
{
    uint64_t age = BUCKET_PURGE_DELAY_NS;
    uint32_t limit = dirty_limit();
    if (dirty_pages > limit) {
        uint32_t need = dirty_pages - limit / 2;
        while (age != 0 && count_older(now, age) < need)
            age /= 4;
    }
    size_t n = 0;
    for (bucket_segment_t *seg = segments; seg != NULL && n < max; seg = seg->next) {
        uint64_t pick = 0;
        for (uint64_t d = seg->dirty_mask; d != 0; d &= d - 1) {
            unsigned i = (unsigned)__builtin_ctzll(d);
            if (now - seg->dirty_time[i] >= age) {
                pick |= 1ull << i;
                dirty_pages -= seg->dirty_pages[i];
            }
        }
        if (pick == 0)
            continue;
        seg->used_mask |= pick;
        seg->dirty_mask &= ~pick;
        segs[n] = seg;
        masks[n++] = pick;
    }
    return n;
}

/* Gives the pages of the selected slots back, one madvise per run of slots,
 * then returns the slots to the pool as clean.  Called without the lock. */
static void purge_apply(bucket_segment_t **segs, uint64_t *masks, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        uint64_t m = masks[k];
        while (m != 0) {
            unsigned first = (unsigned)__builtin_ctzll(m);
            unsigned len = (unsigned)__builtin_ctzll(~(m >> first));
            if (first + len > 64)
                len = 64 - first;
            _bucket_os_purge((char *)segs[k] + ((size_t)first << BUCKET_SLOT_SHIFT),
                             (size_t)len << BUCKET_SLOT_SHIFT);
            m &= len >= 64 ? 0 : ~(((1ull << len) - 1) << first);
        }
    }
    ha_lock(&pool_lock);
    for (size_t k = 0; k < n; k++) {
        segs[k]->used_mask &= ~masks[k];
        pool_stats.purged_slots += (uint64_t)__builtin_popcountll(masks[k]);
    }
    ha_unlock(&pool_lock);
}

/* Purges what is due.  Called with the pool lock held; releases it before
 * any madvise. */
static void pool_purge_unlock(uint64_t now)
{
    bucket_segment_t *segs[16];
    uint64_t masks[16];
    size_t n = purge_select(now, segs, masks, 16);
    ha_unlock(&pool_lock);
    if (n > 0)
        purge_apply(segs, masks, n);
}

/* Bytes from the start of a span of class cls that its blocks may touch: all
 * of its slots, or for a solo span (one block) the block's pages only. */
static size_t class_extent(unsigned cls)
{
    const bucket_class_t *c = &_bucket_classes[cls];
    if (c->capacity == 1)
        return ((size_t)c->size + BUCKET_PAGE - 1) & ~(size_t)(BUCKET_PAGE - 1);
    return (size_t)c->slots << BUCKET_SLOT_SHIFT;
}

/* Returns an empty span's slots to the pool (dirty), then purges what is due. */
void _bucket_span_release(bucket_span_t *span)
{
    bucket_segment_t *seg = bucket_span_seg(span);
    unsigned first = bucket_span_first(span);
    unsigned n = span->slots;
    uint64_t bits = run_mask(first, n);
    uint64_t now = _bucket_now_ns();

    __atomic_store_n(&span->magic, 0, __ATOMIC_RELAXED);
    span->state = BUCKET_SPAN_FREE;
    span->owner = NULL;
    bucket_slots_point(seg, first, first + n, NULL);
    ha_lock(&pool_lock);
    seg->used_mask &= ~bits;
    seg->dirty_mask |= bits;
    used_slots -= n;
    size_t extent = class_extent(span->cls);
    for (unsigned i = first; i < first + n; i++) {
        size_t start = (size_t)(i - first) << BUCKET_SLOT_SHIFT;
        size_t part = extent > start ? extent - start : 0;
        part = part < BUCKET_SLOT_SIZE ? part : BUCKET_SLOT_SIZE;
        seg->dirty_time[i] = now;
        seg->dirty_pages[i] = (uint32_t)(part / BUCKET_PAGE);
        dirty_pages += seg->dirty_pages[i];
    }
    pool_stats.released++;
    pool_purge_unlock(now);
}

void _bucket_pool_stats(int fd, int json)
{
    ha_lock(&pool_lock);
    uint64_t dirty = 0;
    for (bucket_segment_t *seg = segments; seg != NULL; seg = seg->next)
        dirty += (uint64_t)__builtin_popcountll(seg->dirty_mask);
    typeof(pool_stats) s = pool_stats;
    ha_unlock(&pool_lock);
    _bucket_write_u64(fd, "segments", s.segments, json, true);
    _bucket_write_u64(fd, "spans_acquired", s.acquired, json, false);
    _bucket_write_u64(fd, "spans_released", s.released, json, false);
    _bucket_write_u64(fd, "slots_purged", s.purged_slots, json, false);
    _bucket_write_u64(fd, "slots_dirty", dirty, json, false);
}
