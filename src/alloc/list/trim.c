/* Giving memory back to the kernel: trimming the top and releasing big free
 * blocks.  Both run with the arena's lock held and are rate-limited (see
 * arena.c's comment for the hysteresis). */
#include "config.h"

#include <string.h>

#include "alloc/common/stats.h"
#include "alloc/list/list.h"

static uintptr_t page_up(uintptr_t x)
{
    size_t page = os_page_size();
    return (x + page - 1) & ~(uintptr_t)(page - 1);
}

static uintptr_t page_down(uintptr_t x)
{
    return x & ~(uintptr_t)(os_page_size() - 1);
}

/* Shrinks the brk heap so that the top ends at `from`; 0 on success. */
static int trim_brk(list_arena_t *a, uintptr_t from)
{
    void *cur;
    uintptr_t end = a->pool_end;
    if (os_sbrk(0, &cur) != 0 || (uintptr_t)cur != end)
        return -1;                     /* someone else moved the break */
    if (os_sbrk(-(intptr_t)(end - from), &cur) != 0)
        return -1;
    HA_STAT_INC(os_brk);
    HA_STAT_ADD(bytes_released, end - from);
    list_block_t *t = a->top;
    size_t ts = from - LIST_SENTINEL - (uintptr_t)t;
    t->head = ts | (t->head & LIST_PINUSE);
    list_block_t *s = list_at(t, ts);
    s->prev_size = ts;
    s->head = LIST_SENTINEL | LIST_CINUSE;
    a->pool_end = from;
    a->pool_bytes -= end - from;
    a->fresh = from;
    __atomic_store_n(&_list_g.heap_hi, from, __ATOMIC_RELEASE);
    return 0;
}

/* Gives back the top beyond trim_threshold / 2 bytes: by shrinking brk for
 * the brk heap, by madvise elsewhere.  Released memory reads as zero, so the
 * fresh mark moves down and calloc can skip clearing it. */
void _list_arena_trim(list_arena_t *a)
{
    list_block_t *t = a->top;
    uintptr_t from = page_up((uintptr_t)t + LIST_MIN_BLOCK + list_trim_threshold() / 2);
    uintptr_t end = a->pool_end;
    if (from + os_page_size() > end)
        return;
    if (a->uses_brk && end == _list_g.heap_hi && trim_brk(a, from) == 0)
        return;
    uintptr_t last = page_down(end - LIST_SENTINEL);
    if (last <= from)
        return;
    if (os_madvise_dontneed((void *)from, last - from) != 0)
        return;
    HA_STAT_INC(os_madvise);
    HA_STAT_ADD(bytes_released, last - from);
    memset((void *)last, 0, end - LIST_SENTINEL - last);
    if (a->fresh > from)
        a->fresh = from;
}

/* Madvises the pages inside free block b, keeping its header, links, time
 * stamp and footer. */
static void release_block(list_block_t *b)
{
    uintptr_t from = page_up((uintptr_t)b + LIST_MIN_BLOCK + sizeof(uint64_t));
    uintptr_t to = page_down((uintptr_t)b + list_size(b));
    b->head |= LIST_RELEASED;
    if (to <= from || os_madvise_dontneed((void *)from, to - from) != 0)
        return;
    HA_STAT_INC(os_madvise);
    HA_STAT_ADD(bytes_released, to - from);
}

/* Releases the big free blocks that have stayed unused for
 * LIST_RELEASE_AGE_NS.  Runs when trim_threshold bytes were freed into big
 * blocks, at most once per LIST_RELEASE_NS, and walks only the bins of blocks
 * of LIST_RELEASE_MIN bytes or more.  A block reused within the age costs no
 * system call, so a program alternating malloc and free of a big block never
 * pays one per pair. */
void _list_arena_sweep(list_arena_t *a, uint64_t now)
{
    if (now - a->last_sweep_ns < LIST_RELEASE_NS)
        return;
    a->last_sweep_ns = now;
    size_t young = 0;
    for (unsigned i = _list_bin_index(LIST_RELEASE_MIN); i < LIST_NBINS; i++) {
        if (!(a->bitmap[i >> 6] & ((uint64_t)1 << (i & 63))))
            continue;
        for (list_block_t *b = a->bins[i]; b != NULL; b = b->next) {
            if (b->head & LIST_RELEASED)
                continue;
            if (now - *list_freed_at(b) >= LIST_RELEASE_AGE_NS)
                release_block(b);
            else
                young += list_size(b);
        }
    }
    /* young blocks count again once they are old enough */
    a->dirty_free = young;
}
