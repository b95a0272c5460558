/* thread_cache.c: bucket's per-thread heaps.
 *
 * Each thread allocates from its own heap, reached through one initial-exec
 * TLS pointer, so malloc and free of small blocks take no lock.  Heaps are
 * carved from mmap'd chunks and never freed: when a thread exits (pthread key
 * destructor) its heap gives its empty spans back and goes on the abandoned
 * list, and the next new thread adopts it with the spans still in it.  The
 * heaps lock guards the lists of heaps only; the pool lock is taken after it
 * when both are needed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "alloc/bucket/bucket.h"
#include "alloc/common/options.h"

#define BUCKET_HEAP_CHUNK ((size_t)64 << 10)            /* heaps mapped at once */

__thread bucket_heap_t *_bucket_tl_heap __attribute__((tls_model("initial-exec")));

/* Stands in for "no span" in heap->cur: no free bits, so the fast path always
 * falls through to the slow one. */
bucket_span_t _bucket_empty_span;

static ha_lock_t heaps_lock;
static bucket_heap_t *all_heaps;                        /* every heap */
static bucket_heap_t *abandoned;                        /* heaps without a thread */
static char *chunk_next, *chunk_end;                    /* heap carving */
static pthread_key_t heap_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

void _bucket_heaps_lock(void)
{
    ha_lock(&heaps_lock);
}

void _bucket_heaps_unlock(void)
{
    ha_unlock(&heaps_lock);
}

/* ---- spans in a heap ---- */

/* Sparse spans are not trimmed as soon as they become sparse: a span that a
 * steady workload empties and refills would pay a madvise and page faults
 * every round for nothing.  They are listed, and trimmed only when the heap
 * is about to take a new span from the pool (it grows, so the pages would
 * otherwise add to the peak) or its thread exits. */
static void trim_defer(bucket_heap_t *heap, bucket_span_t *span)
{
    if (span->trim_slot != BUCKET_NO_TRIM)
        return;
    if (heap->trim_count == BUCKET_TRIM_MAX) {
        _bucket_span_trim(span);
        return;
    }
    span->trim_slot = heap->trim_count;
    span->trim_seen = 0;
    heap->trim_list[heap->trim_count++] = span;
}

/* Takes a span off the trim list (it becomes current or is given back). */
static void trim_forget(bucket_heap_t *heap, bucket_span_t *span)
{
    uint32_t i = span->trim_slot;
    if (i == BUCKET_NO_TRIM)
        return;
    bucket_span_t *last = heap->trim_list[--heap->trim_count];
    heap->trim_list[i] = last;
    last->trim_slot = i;
    span->trim_slot = BUCKET_NO_TRIM;
}

/* Trims the listed spans that were already listed at the previous growth
 * of the heap (all of them when `all`, at thread exit): a span that a steady
 * workload refills soon leaves the list before that, so its pages are not
 * given back only to fault in again.  Listed spans stay sparse until they
 * become current, which takes them off the list. */
static void trim_pending(bucket_heap_t *heap, bool all)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < heap->trim_count; i++) {
        bucket_span_t *span = heap->trim_list[i];
        if (all || span->trim_seen) {
            span->trim_slot = BUCKET_NO_TRIM;
            _bucket_span_trim(span);
        } else {
            span->trim_seen = 1;
            span->trim_slot = kept;
            heap->trim_list[kept++] = span;
        }
    }
    heap->trim_count = kept;
}

/* Empty spans are not handed back to the pool at once: a thread whose live
 * blocks of a class drop to none and come back (a request served and
 * dropped, a round of work) would otherwise take the pool lock twice per
 * span and round, and many such threads queue on it.  A heap keeps up to
 * BUCKET_SPARE_MAX empty spans of several blocks (solo spans go back at
 * once, their pages serve any class there) and cuts them again for whichever
 * class needs a span of that many slots.  The spares go back to the pool when
 * the heap grows for real (takes clean slots: the spares are not what it
 * needs) and when its thread exits. */
static void spare_keep(bucket_heap_t *heap, bucket_span_t *span)
{
    if (span->capacity > 1 && heap->spare_count < BUCKET_SPARE_MAX)
        heap->spare[heap->spare_count++] = span;
    else
        _bucket_span_release(span);
}

/* A spare span of `slots` slots, taken off the heap's list, or NULL. */
static bucket_span_t *spare_take(bucket_heap_t *heap, unsigned slots)
{
    for (uint32_t i = heap->spare_count; i-- > 0;) {
        bucket_span_t *span = heap->spare[i];
        if (span->slots == slots) {
            heap->spare[i] = heap->spare[--heap->spare_count];
            heap->spares_reused++;
            return span;
        }
    }
    return NULL;
}

static void spare_drop(bucket_heap_t *heap)
{
    while (heap->spare_count > 0)
        _bucket_span_release(heap->spare[--heap->spare_count]);
}

static void partial_push(bucket_heap_t *heap, bucket_span_t *span)
{
    bucket_span_t *head = heap->partial[span->cls];
    span->prev = NULL;
    span->next = head;
    if (head != NULL)
        head->prev = span;
    heap->partial[span->cls] = span;
    span->in_partial = 1;
}

static void partial_unlink(bucket_heap_t *heap, bucket_span_t *span)
{
    if (span->prev != NULL)
        span->prev->next = span->next;
    else
        heap->partial[span->cls] = span->next;
    if (span->next != NULL)
        span->next->prev = span->prev;
    span->next = span->prev = NULL;
    span->in_partial = 0;
}

/* A class that used up its span and takes a clean one will most likely fill
 * it too: its pages are populated ahead of use (_bucket_span_populate)
 * rather than faulted in one by one.  A span whose blocks are so big that
 * one bitmap word covers more than BUCKET_POP_CHUNK is populated only up to
 * its middle (all at once, since allocation only comes back to the slow path
 * at the end of a word), so the last span of such a class, often left part
 * used, does not make many unused pages resident. */
static void populate_plan(bucket_span_t *span)
{
    uintptr_t bytes = (uintptr_t)span->capacity * span->size;
    if ((uintptr_t)span->size * 64 > BUCKET_POP_CHUNK)
        bytes /= 2;
    span->pop_to = span->base;
    span->pop_end = (span->base + bytes + BUCKET_PAGE - 1) & ~(uintptr_t)(BUCKET_PAGE - 1);
}

/* A block of span, whose pages are made resident ahead of use where the
 * span is populated (populate_plan). */
static void *take(bucket_span_t *span)
{
    void *p = _bucket_span_take(span);
    if (span->pop_end != 0)
        _bucket_span_populate(span);
    return p;
}

/* The fast path found no free bit at cur's hint: finish cur if it has blocks
 * left, otherwise switch to another span of the class, or to a fresh one from
 * the pool.  Remote frees are merged first in both cases (once per 64 blocks at
 * most), so blocks other threads gave back are reused before the span's
 * untouched pages: a producer whose blocks are freed by consumers keeps
 * recycling the same few pages instead of walking through whole spans. */
HA_NOINLINE void *_bucket_alloc_slow(bucket_heap_t *heap, unsigned cls)
{
    bucket_span_t *span = heap->cur[cls];
    bool pending = atomic_load_explicit(&heap->remote, memory_order_relaxed) != NULL;
    if (span->nfree > 0) {
        if (pending) {                  /* may give back a solo span: look again */
            _bucket_remote_collect(heap);
            pending = false;
            span = heap->cur[cls];
        }
        if (span->nfree > 0)
            return take(span);
    }
    bool busy = span != &_bucket_empty_span;            /* cur was used up */
    if (busy)                                           /* shared: never written */
        _bucket_span_leave_cur(span);
    heap->cur[cls] = &_bucket_empty_span;               /* a full span sits in no list */
    if (pending)
        _bucket_remote_collect(heap);
    span = heap->partial[cls];
    if (span != NULL) {
        partial_unlink(heap, span);
        trim_forget(heap, span);
        span->trim_at = 0;
    } else if ((span = spare_take(heap, _bucket_classes[cls].slots)) != NULL) {
        _bucket_span_init(span, cls, heap);             /* resident: no populating */
    } else {
        bool clean = false;
        span = _bucket_span_acquire(_bucket_classes[cls].slots, &clean);
        if (span == NULL)
            return NULL;
        if (clean) {                                    /* the heap grows for real */
            trim_pending(heap, false);
            spare_drop(heap);
            _bucket_large_shed((size_t)_bucket_classes[cls].slots << BUCKET_SLOT_SHIFT);
        }
        _bucket_span_init(span, cls, heap);
        if (busy && clean)                              /* a busy class: fill it */
            populate_plan(span);
        heap->spans_taken++;
    }
    heap->cur[cls] = span;
    return take(span);
}

/* Called by the owner when a free or a merge made a span go from full to not
 * full, or become empty.  The current span of a class is left alone, unless
 * it is a solo span (one big block) that became empty: its pages go back to
 * the pool at once, for any class.  Other spans join the partial list, and
 * leave the heap once empty. */
void _bucket_free_transition(bucket_heap_t *heap, bucket_span_t *span)
{
    if (span == heap->cur[span->cls]) {
        if (span->capacity > 1 || span->nfree == 0 || !_bucket_span_releasable(span))
            return;
        heap->cur[span->cls] = &_bucket_empty_span;
    }
    if (span->nfree == span->capacity && _bucket_span_releasable(span)) {
        if (span->in_partial)
            partial_unlink(heap, span);
        trim_forget(heap, span);
        spare_keep(heap, span);
        return;
    }
    if (span->trim_at != 0 && span->nfree >= span->trim_at)
        trim_defer(heap, span);
    if (!span->in_partial)
        partial_push(heap, span);
}

/* realloc, in the owner's thread, resizes the block of a solo span to class
 * cls, whose block fits in the span's slots: the span changes class in
 * place.  Its block is in use, so the span is on no list; it stops being the
 * current span of its old class (which would otherwise find a span of
 * another class there). */
void _bucket_span_reclass(bucket_span_t *span, unsigned cls)
{
    bucket_heap_t *heap = span->owner;
    if (heap->cur[span->cls] == span)
        heap->cur[span->cls] = &_bucket_empty_span;
    span->cls = (uint8_t)cls;
    span->size = _bucket_classes[cls].size;
    span->recip = _bucket_classes[cls].recip;
}

/* ---- heap life cycle ---- */

/* Gives back the empty spans of a heap whose thread is gone and moves its
 * current spans to the partial lists, so an adopter starts from them. */
static void heap_flush(bucket_heap_t *heap)
{
    _bucket_remote_collect(heap);
    for (unsigned c = 0; c < BUCKET_NCLASS; c++) {
        bucket_span_t *span = heap->cur[c];
        heap->cur[c] = &_bucket_empty_span;
        if (span != &_bucket_empty_span)
            _bucket_span_leave_cur(span);
        if (span != &_bucket_empty_span && span->nfree > 0)
            _bucket_free_transition(heap, span);
        for (span = heap->partial[c]; span != NULL;) {
            bucket_span_t *next = span->next;
            if (span->nfree == span->capacity && _bucket_span_releasable(span)) {
                partial_unlink(heap, span);
                trim_forget(heap, span);
                _bucket_span_release(span);
            }
            span = next;
        }
    }
    trim_pending(heap, true);
    spare_drop(heap);
}

static void abandon_locked(bucket_heap_t *heap)
{
    heap->abandoned = true;
    heap->abandoned_next = abandoned;
    abandoned = heap;
}

/* pthread key destructor: the thread is exiting. */
static void heap_exit(void *arg)
{
    bucket_heap_t *heap = arg;
    if (_bucket_tl_heap == heap)
        _bucket_tl_heap = NULL;
    heap_flush(heap);
    ha_lock(&heaps_lock);
    abandon_locked(heap);
    ha_unlock(&heaps_lock);
}

static void key_create(void)
{
    _bucket_zero_on_free = ha_option(HA_OPT_ZERO_ON_FREE) != 0;
    if (pthread_key_create(&heap_key, heap_exit) != 0)
        heap_key = (pthread_key_t)-1;
}

/* A zeroed heap from the heaps' own mmap'd chunks, under the heaps lock. */
static bucket_heap_t *heap_carve_locked(void)
{
    size_t need = (sizeof(bucket_heap_t) + 63) & ~(size_t)63;
    if (chunk_next == NULL || (size_t)(chunk_end - chunk_next) < need) {
        char *m = _bucket_os_map(BUCKET_HEAP_CHUNK, BUCKET_PAGE);
        if (m == NULL)
            return NULL;
        chunk_next = m;
        chunk_end = m + BUCKET_HEAP_CHUNK;
    }
    bucket_heap_t *heap = (bucket_heap_t *)chunk_next;
    chunk_next += need;
    for (unsigned c = 0; c < BUCKET_NCLASS; c++)
        heap->cur[c] = &_bucket_empty_span;
    heap->all_next = all_heaps;
    all_heaps = heap;
    return heap;
}

/* First allocation of a thread: adopt an abandoned heap or make one, and
 * register the exit hook.  pthread_setspecific may call calloc, which then
 * finds the heap already in place. */
HA_NOINLINE bucket_heap_t *_bucket_heap_init(void)
{
    pthread_once(&key_once, key_create);    /* also reads HUSKY_ZERO_ON_FREE, once */
    ha_lock(&heaps_lock);
    bucket_heap_t *heap = abandoned;
    if (heap != NULL) {
        abandoned = heap->abandoned_next;
        heap->abandoned = false;
    } else {
        heap = heap_carve_locked();
    }
    ha_unlock(&heaps_lock);
    if (heap == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    _bucket_tl_heap = heap;
    if (heap_key != (pthread_key_t)-1)
        pthread_setspecific(heap_key, heap);
    return heap;
}

/* Lets the heaps of exited threads merge what other threads freed into them
 * and give back their empty spans; called before mapping a new segment.  The
 * heaps lock is held throughout, so no thread adopts a heap meanwhile. */
void _bucket_collect_abandoned(void)
{
    ha_lock(&heaps_lock);
    for (bucket_heap_t *h = abandoned; h != NULL; h = h->abandoned_next)
        heap_flush(h);
    ha_unlock(&heaps_lock);
}

/* In the child of fork only the forking thread lives on: every other heap is
 * abandoned, so the next threads adopt them and their memory is not lost. */
void _bucket_heaps_after_fork_child(void)
{
    ha_lock_init(&heaps_lock);
    abandoned = NULL;
    for (bucket_heap_t *h = all_heaps; h != NULL; h = h->all_next) {
        h->abandoned = false;
        if (h != _bucket_tl_heap)
            abandon_locked(h);
    }
}

void _bucket_heap_stats(int fd, int json)
{
    uint64_t spans = 0, merged = 0, nheaps = 0, nabandoned = 0, spares = 0;
    ha_lock(&heaps_lock);
    for (bucket_heap_t *h = all_heaps; h != NULL; h = h->all_next) {
        spans += h->spans_taken;
        merged += h->remote_merged;
        spares += h->spares_reused;
        nheaps++;
        nabandoned += h->abandoned;
    }
    ha_unlock(&heaps_lock);
    _bucket_write_u64(fd, "heaps", nheaps, json, false);
    _bucket_write_u64(fd, "heaps_abandoned", nabandoned, json, false);
    _bucket_write_u64(fd, "heap_spans_taken", spans, json, false);
    _bucket_write_u64(fd, "heap_spares_reused", spares, json, false);
    _bucket_write_u64(fd, "remote_blocks_merged", merged, json, false);
}
