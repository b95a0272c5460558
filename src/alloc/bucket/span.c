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
    span->trim_at = 0;
    span->trim_slot = BUCKET_NO_TRIM;
    span->pop_to = span->pop_end = 0;
    span->owner = heap;
    span->in_partial = 0;
    span->next = span->prev = span->remote_next = NULL;
    atomic_store_explicit(&span->remote_flag, 0, memory_order_relaxed);
    memset(span->free_bits, 0xff, (words - 1) * sizeof(uint64_t));
    unsigned tail = c->capacity - (words - 1) * 64;
    span->free_bits[words - 1] = tail == 64 ? ~0ull : (1ull << tail) - 1;
    memset(&span->free_bits[words], 0, (BUCKET_BITMAP_WORDS - words) * sizeof(uint64_t));
    span->state = BUCKET_SPAN_SMALL;
    __atomic_store_n(&span->magic, BUCKET_SPAN_MAGIC, __ATOMIC_RELEASE);   /* last: see bucket_span_of */
    unsigned first = bucket_span_first(span);
    bucket_slots_point(bucket_span_seg(span), first, first + span->slots, span);
}

/* The span stops being its heap's current one for its class: from now on,
 * once three quarters of its blocks are free, it is a candidate for giving
 * back the pages they wholly cover (_bucket_span_trim), so a class whose
 * blocks were mostly freed does not keep its pages from the other classes. */
void _bucket_span_leave_cur(bucket_span_t *span)
{
    uint32_t at = span->capacity - span->capacity / 4;
    span->trim_at = at > 1 ? at : 2;
}

/* Index of the first block at or after i whose free bit equals `set`, or the
 * span's capacity. */
static size_t next_block(const bucket_span_t *span, size_t i, bool set)
{
    while (i < span->capacity) {
        uint64_t w = span->free_bits[i >> 6];
        if (!set)
            w = ~w;
        w &= ~0ull << (i & 63);
        if (w != 0) {
            i = (i & ~(size_t)63) + (unsigned)__builtin_ctzll(w);
            return i < span->capacity ? i : span->capacity;
        }
        i = (i & ~(size_t)63) + 64;
    }
    return span->capacity;
}

/* Gives back the pages wholly covered by runs of the owner's free blocks.
 * Safe at any time for the owner: the allocator keeps nothing in blocks, a
 * free block is written by nobody, and a block freed by another thread but
 * not merged yet still counts as used here.  One-shot until the span is
 * current again (trim_at = 0). */
void _bucket_span_trim(bucket_span_t *span)
{
    span->trim_at = 0;
    for (size_t i = 0; i < span->capacity;) {
        size_t a = next_block(span, i, true);
        if (a >= span->capacity)
            break;
        size_t b = next_block(span, a, false);
        uintptr_t page_mask = ~(uintptr_t)(BUCKET_PAGE - 1);
        uintptr_t lo = (span->base + a * span->size + BUCKET_PAGE - 1) & page_mask;
        uintptr_t hi = (span->base + b * span->size) & page_mask;
        if (hi > lo)
            _bucket_os_purge((void *)lo, hi - lo);
        i = b;
    }
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

/* A span whose pages are populated ahead of use (pop_end != 0, see
 * _bucket_alloc_slow): makes the pages of the bitmap word the owner now
 * allocates from resident in one system call, at least BUCKET_POP_CHUNK at a
 * time, instead of one page fault per page.  Called when allocation moves to
 * a new word, so at most one chunk beyond the blocks in use is populated. */
void _bucket_span_populate(bucket_span_t *span)
{
    uintptr_t word_end = span->base + ((uintptr_t)span->hint + 1) * 64 * span->size;
    if (word_end <= span->pop_to)
        return;
    uintptr_t end = span->pop_to + BUCKET_POP_CHUNK;
    if (end < word_end)
        end = word_end;
    end = (end + BUCKET_PAGE - 1) & ~(uintptr_t)(BUCKET_PAGE - 1);
    if (end > span->pop_end)
        end = span->pop_end;
    _bucket_os_populate((void *)span->pop_to, end - span->pop_to);
    span->pop_to = end;
    if (end == span->pop_end)
        span->pop_end = 0;
}
