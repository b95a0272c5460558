/* remote_free.c: frees of a block by a thread that does not own its span.
 *
 * The freeing thread sets the block's bit in the span's atomic remote bitmap
 * (an already set bit is a double free) and, if the span is not yet queued,
 * pushes the span on its owner's lock-free stack (a Treiber push; the owner
 * takes the whole stack at once with an exchange, so there is no ABA).  The
 * owner merges the remote bits into its own bitmap when it runs short of
 * blocks.  No global lock is taken and no user memory is written.
 *
 * A span is never given back while it is queued (remote_flag) or while a
 * remote free that may queue it is under way (remote_busy): the link field
 * lives in the span's metadata, which would otherwise be reused under the
 * pusher.  A free that finds the span queued writes nothing but its bit and
 * needs no such guard: the bit keeps its block in use, so the span stays
 * alive until the owner has merged it.
 */
#include "alloc/bucket/bucket.h"

void _bucket_remote_free(bucket_span_t *span, size_t idx)
{
    uint64_t bit = 1ull << (idx & 63);
    _Atomic uint64_t *word = &bucket_remote_bits(span)[idx >> 6];
    if (HA_UNLIKELY(atomic_fetch_or(word, bit) & bit))
        _bucket_fail("double free", (void *)(span->base + idx * span->size));
    /* Queued already (most frees of a burst): the owner clears the flag
     * before it merges, and this load comes after the fetch_or, so an owner
     * that clears the flag after it was read as 1 merges this bit.  One
     * locked instruction in all, and no write to the span's lines. */
    if (atomic_load(&span->remote_flag) != 0)
        return;
    /* Not queued: queue it, guarded by remote_busy, unless the owner merged
     * the bit meanwhile (then the span may even have been given back; the
     * count taken on it is harmless and the bit reads as clear). */
    atomic_fetch_add(&span->remote_busy, 1);
    if ((atomic_load(word) & bit) != 0 && atomic_exchange(&span->remote_flag, 1) == 0) {
        bucket_heap_t *heap = span->owner;
        bucket_span_t *head = atomic_load_explicit(&heap->remote, memory_order_relaxed);
        do {
            span->remote_next = head;
        } while (!atomic_compare_exchange_weak_explicit(&heap->remote, &head, span,
                                                        memory_order_release,
                                                        memory_order_relaxed));
    }
    atomic_fetch_sub(&span->remote_busy, 1);
}

/* True when no other thread has queued the span or may be queueing it (a
 * free that found it queued holds an unmerged bit, so the span is not empty). */
bool _bucket_span_releasable(bucket_span_t *span)
{
    return atomic_load(&span->remote_busy) == 0 && atomic_load(&span->remote_flag) == 0;
}

/* Moves a span's remote bits into its free bitmap.  A bit set in both says
 * the block was freed twice (once by the owner, once by another thread). */
static void span_merge(bucket_heap_t *heap, bucket_span_t *span)
{
    unsigned words = (span->capacity + 63) / 64;
    uint32_t before = span->nfree;
    _Atomic uint64_t *remote = bucket_remote_bits(span);
    for (unsigned i = 0; i < words; i++) {
        if (atomic_load_explicit(&remote[i], memory_order_relaxed) == 0)
            continue;
        uint64_t x = atomic_exchange_explicit(&remote[i], 0, memory_order_acquire);
        if (HA_UNLIKELY(x & span->free_bits[i])) {
            size_t idx = (size_t)i * 64 + (unsigned)__builtin_ctzll(x & span->free_bits[i]);
            _bucket_fail("double free", (void *)(span->base + idx * span->size));
        }
        span->free_bits[i] |= x;
        span->nfree += (uint32_t)__builtin_popcountll(x);
        if (i < span->hint)
            span->hint = i;
    }
    heap->remote_merged += span->nfree - before;
    bool trim = span->trim_at != 0 && before < span->trim_at && span->nfree >= span->trim_at;
    if ((before == 0 && span->nfree > 0) || span->nfree == span->capacity || trim)
        _bucket_free_transition(heap, span);
}

/* Merges every span queued on the heap.  The link is read before the flag is
 * cleared: once cleared, another thread may queue the span again. */
void _bucket_remote_collect(bucket_heap_t *heap)
{
    bucket_span_t *span = atomic_exchange_explicit(&heap->remote, NULL, memory_order_acquire);
    while (span != NULL) {
        bucket_span_t *next = span->remote_next;
        atomic_store(&span->remote_flag, 0);
        span_merge(heap, span);
        span = next;
    }
}
