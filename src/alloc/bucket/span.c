/* span.c: one span's blocks, as seen by its owner.
 *
 * A span's free blocks are the 1 bits of free_bits, kept in the segment
 * header, never in the blocks.  The owner cuts a fresh span (init) and takes
 * the lowest free block (take), so a span's pages become resident in address
 * order and an unused tail never does.
 */
#include <string.h>

#include "alloc/bucket/bucket.h"

/* Cuts a fresh span into blocks of class cls owned by heap, then publishes it
 * in the slot table so free() can find it. */
void _bucket_span_init(bucket_span_t *span, unsigned cls, bucket_heap_t *heap)
{
    const bucket_class_t *c = &_bucket_classes[cls];
    unsigned words = (c->capacity + 63) / 64;
    span->cls = (uint8_t)cls;
    span->size = c->size;
    span->capacity = c->capacity;
    span->recip = c->recip;
    span->nfree = c->capacity;
    span->hint = 0;
    span->owner = heap;
    span->in_partial = 0;
    span->next = span->prev = span->remote_next = NULL;
    atomic_store_explicit(&span->remote_flag, 0, memory_order_relaxed);
    memset(span->free_bits, 0xff, (words - 1) * sizeof(uint64_t));
    unsigned tail = c->capacity - (words - 1) * 64;
    span->free_bits[words - 1] = tail == 64 ? ~0ull : (1ull << tail) - 1;
    memset(&span->free_bits[words], 0, (BUCKET_BITMAP_WORDS - words) * sizeof(uint64_t));
    span->state = BUCKET_SPAN_SMALL;
    span->magic = BUCKET_SPAN_MAGIC;
    bucket_segment_t *seg = (bucket_segment_t *)(span->base & ~(uintptr_t)BUCKET_SEG_MASK);
    unsigned first = (unsigned)((span->base - (uintptr_t)seg) >> BUCKET_SLOT_SHIFT);
    for (unsigned i = first; i < first + span->slots; i++)
        atomic_store_explicit(&seg->slot_span[i], span, memory_order_release);
}

/* Takes the first free block of a span with nfree > 0. */
void *_bucket_span_take(bucket_span_t *span)
{
    while (span->free_bits[span->hint] == 0)
        span->hint++;
    uint64_t w = span->free_bits[span->hint];
    span->free_bits[span->hint] = w & (w - 1);
    span->nfree--;
    size_t idx = (size_t)span->hint * 64 + (unsigned)__builtin_ctzll(w);
    return (void *)(span->base + idx * span->size);
}
