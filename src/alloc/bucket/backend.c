/* backend.c: bucket's side of the allocator contract (alloc/common/alloc.h).
 *
 * malloc and free of small blocks run inline here: find the thread's heap, the
 * span (by masking the pointer), the block's bit, and flip it.  Every free is
 * checked on the way (segment registered, span magic, block boundary, bit not
 * already free) and aborts with a message when a check fails.  Anything else
 * falls into the noinline slow paths of thread_cache.c, remote_free.c and
 * large.c.
 */
#include <errno.h>
#include <string.h>

#include "alloc/bucket/bucket.h"
#include "alloc/common/stats.h"

const char _ha_name[] = "bucket";
bool _bucket_zero_on_free;

/* ---- the fast paths ---- */

/* A block of class cls from the thread's heap. */
static inline void *small_alloc(bucket_heap_t *heap, unsigned cls)
{
    bucket_span_t *span = heap->cur[cls];
    uint32_t h = span->hint;
    uint64_t w = span->free_bits[h];
    if (HA_UNLIKELY(w == 0))
        return _bucket_alloc_slow(heap, cls);
    span->free_bits[h] = w & (w - 1);
    span->nfree--;
    size_t idx = (size_t)h * 64 + (unsigned)__builtin_ctzll(w);
    return (void *)(span->base + idx * span->size);
}

/* A block of class cls for a thread that may have no heap yet. */
static HA_NOINLINE void *small_alloc_first(unsigned cls)
{
    bucket_heap_t *heap = _bucket_heap_init();
    return heap != NULL ? small_alloc(heap, cls) : NULL;
}

static HA_NOINLINE void *malloc_slow(size_t size)
{
    if (size > BUCKET_SMALL_MAX)
        return _bucket_large_alloc(size, 0, false);
    return small_alloc_first(bucket_size_class(size));
}

void *_ha_malloc(size_t size)
{
    bucket_heap_t *heap = _bucket_tl_heap;
    if (HA_LIKELY(heap != NULL && size <= BUCKET_SMALL_MAX))
        return small_alloc(heap, bucket_size_class(size));
    return malloc_slow(size);
}

/* The span of a small block p after the always-on checks, with the block's
 * index in *idx; NULL when p lies in no segment (it may be a large block).
 * `what` names the failure ("invalid free", ...). */
static inline bucket_span_t *small_lookup(const void *p, size_t *idx, const char *what)
{
    uintptr_t a = (uintptr_t)p;
    if (HA_UNLIKELY(!bucket_seg_contains(a)))
        return NULL;
    bucket_span_t *span = bucket_span_of(a);
    BUCKET_CHECK(span != NULL, what, p);
    uintptr_t off = a - span->base;
    size_t i = bucket_block_index(off, span->recip);
    BUCKET_CHECK(i < span->capacity && i * span->size == off, what, p);
    *idx = i;
    return span;
}

static HA_NOINLINE void free_not_small(void *p)
{
    if (!_bucket_large_free(p))
        _bucket_fail("invalid free", p);
}

/* The owner's free of block idx of span, after the checks. */
static inline void small_free(bucket_span_t *span, size_t idx, void *p)
{
    if (HA_LIKELY(span->owner == _bucket_tl_heap)) {
        uint32_t w = (uint32_t)(idx >> 6);
        uint64_t bit = 1ull << (idx & 63);
        BUCKET_CHECK(!(span->free_bits[w] & bit), "double free", p);
        span->free_bits[w] |= bit;
        if (w < span->hint)
            span->hint = w;
        uint32_t n = ++span->nfree;
        if (HA_UNLIKELY(n == 1 || n == span->capacity || n == span->trim_at))
            _bucket_free_transition(span->owner, span);
        return;
    }
    _bucket_remote_free(span, idx);
}

/* HUSKY_ZERO_ON_FREE: clears the block before freeing it.  Out of line, so
 * the common free path needs no stack frame. */
static HA_NOINLINE void free_zeroing(bucket_span_t *span, size_t idx, void *p)
{
    memset(p, 0, span->size);
    small_free(span, idx, p);
}

void _ha_free(void *p)
{
    size_t idx;
    bucket_span_t *span = small_lookup(p, &idx, "invalid free");
    if (HA_UNLIKELY(span == NULL)) {
        free_not_small(p);
        return;
    }
    if (HA_UNLIKELY(_bucket_zero_on_free)) {
        free_zeroing(span, idx, p);
        return;
    }
    small_free(span, idx, p);
}

/* ---- the rest of the contract ---- */

void *_ha_calloc(size_t size)
{
    if (size > BUCKET_SMALL_MAX)
        return _bucket_large_alloc(size, 0, true);
    void *p = _ha_malloc(size);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

size_t _ha_usable_size(const void *p)
{
    size_t idx;
    bucket_span_t *span = small_lookup(p, &idx, "malloc_usable_size of an invalid pointer");
    if (span != NULL)
        return span->size;
    size_t n = _bucket_large_usable(p);
    BUCKET_CHECK(n != 0, "malloc_usable_size of an invalid pointer", p);
    return n;
}

/* Moves a block to a new one of `size` bytes, copying what fits. */
static void *realloc_move(void *p, size_t old, size_t size)
{
    void *q = _ha_malloc(size);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    _ha_free(p);
    return q;
}

/* Gives the block of span class cls where it lies, when it can: in the same
 * class, or for the owner (`mine`) in another solo class (a solo span holds
 * its one block).  A growth changes the span's class, the block growing over
 * the rest of its slots, or over the next slot when it needs two and that
 * slot is free; a shrink to a class of as many slots that keeps at least
 * half of the block in use changes nothing, as within a class.  False when
 * it must move (a smaller shrink moves, so that the pages it leaves serve
 * other spans). */
static bool resize_in_place(bucket_span_t *span, unsigned cls, bool mine)
{
    if (cls == span->cls)
        return true;
    const bucket_class_t *c = &_bucket_classes[cls];
    if (span->capacity != 1 || c->capacity != 1 || !mine)
        return false;
    if (cls < span->cls)
        return c->slots == span->slots && (size_t)c->size * 2 >= span->size;
    if (c->slots != span->slots && !_bucket_span_extend(span, c->slots))
        return false;
    _bucket_span_reclass(span, cls);
    return true;
}

/* In place within the same class or a solo span's slots; large to large by
 * mremap. */
void *_ha_realloc(void *p, size_t size)
{
    size_t idx;
    bucket_span_t *span = small_lookup(p, &idx, "invalid realloc");
    if (span != NULL) {
        bool mine = span->owner == _bucket_tl_heap;
        if (mine)
            BUCKET_CHECK(!(span->free_bits[idx >> 6] & (1ull << (idx & 63))),
                         "realloc of a freed block", p);
        if (size <= BUCKET_SMALL_MAX && resize_in_place(span, bucket_size_class(size), mine)) {
            HA_STAT_INC(realloc_inplace);
            return p;
        }
        return realloc_move(p, span->size, size);
    }
    if (size > BUCKET_SMALL_MAX)
        return _bucket_large_realloc(p, size);
    size_t old = _bucket_large_usable(p);
    BUCKET_CHECK(old != 0, "invalid realloc", p);
    return realloc_move(p, old, size);
}

/* Smallest class of at least `size` bytes whose blocks are aligned to align:
 * a class's blocks are aligned to the largest power of two dividing its size
 * (spans start on 64 KiB).  Every power of two is a class, so one exists. */
static unsigned aligned_class(size_t size, size_t align)
{
    unsigned cls = bucket_size_class(size < align ? align : size);
    while ((_bucket_classes[cls].size & (align - 1)) != 0)
        cls++;
    return cls;
}

void *_ha_memalign(size_t align, size_t size)
{
    if (align <= BUCKET_SLOT_SIZE && size <= BUCKET_SMALL_MAX && align <= BUCKET_SMALL_MAX) {
        unsigned cls = aligned_class(size, align);
        bucket_heap_t *heap = _bucket_tl_heap;
        return heap != NULL ? small_alloc(heap, cls) : small_alloc_first(cls);
    }
    return _bucket_large_alloc(size, align, false);
}

/* ---- fork: every lock, in the order the slow paths take them ---- */

void _ha_fork_prepare(void)
{
    _bucket_heaps_lock();
    _bucket_pool_lock();
    _bucket_large_lock();
}

void _ha_fork_parent(void)
{
    _bucket_large_unlock();
    _bucket_pool_unlock();
    _bucket_heaps_unlock();
}

void _ha_fork_child(void)
{
    _bucket_large_reinit();
    _bucket_pool_reinit();
    _bucket_heaps_after_fork_child();
}

void _ha_stats_print(int fd, int json)
{
    _bucket_pool_stats(fd, json);
    _bucket_heap_stats(fd, json);
    _bucket_large_stats(fd, json);
}
