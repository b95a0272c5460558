/* Large blocks: requests from the mmap threshold up get a mapping of their
 * own, returned to the kernel by free.
 *
 * The header has the usual layout: head = mapping size | LIST_MMAPPED |
 * LIST_CINUSE, and prev_size = the offset of the block in its mapping (0
 * unless an alignment was asked for).  Freeing a large block raises the mmap
 * threshold to its size (up to LIST_MMAP_THRESHOLD_MAX) and the trim
 * threshold to twice that, as glibc does: a program that keeps allocating
 * and freeing blocks of one big size then gets them from an arena, without a
 * system call per malloc/free pair.  Setting HUSKY_MMAP_THRESHOLD or
 * HUSKY_TRIM_THRESHOLD turns this off.
 */
#include "config.h"

#include <errno.h>

#include "alloc/common/stats.h"
#include "alloc/list/list.h"

static size_t page_round(size_t n)
{
    size_t page = os_page_size();
    return (n + page - 1) & ~(page - 1);
}

/* A large block of `size` bytes whose payload is aligned to `align` (0 or a
 * power of two); fresh mappings are zero, so *fresh is always 1. */
void *_list_large_alloc(size_t size, size_t align, int *fresh)
{
    size_t extra = align > LIST_HDR ? align : 0;
    size_t total = page_round(size + LIST_HDR + extra);
    void *base;
    if (total < size || os_mmap(total, &base) != 0) {
        errno = ENOMEM;
        return NULL;
    }
    HA_STAT_INC(os_mmap);
    HA_STAT_INC(large_allocs);
    uintptr_t pay = (uintptr_t)base + LIST_HDR;
    if (extra)
        pay = (pay + align - 1) & ~(uintptr_t)(align - 1);
    list_block_t *b = list_from_payload((void *)pay);
    b->prev_size = (uintptr_t)b - (uintptr_t)base;
    b->head = total | LIST_MMAPPED | LIST_CINUSE;
    _list_pagemap_large((uintptr_t)base, total, 1);
    __atomic_add_fetch(&_list_g.large_live, total, __ATOMIC_RELAXED);
    *fresh = 1;
    return (void *)pay;
}

/* Whether b looks like the header of a live large block. */
static int valid(const list_block_t *b)
{
    size_t total = list_size(b);
    uintptr_t base = (uintptr_t)b - b->prev_size;
    return (b->head & (LIST_MMAPPED | LIST_CINUSE)) == (LIST_MMAPPED | LIST_CINUSE) &&
           b->prev_size < total && (base & (os_page_size() - 1)) == 0 &&
           (total & (os_page_size() - 1)) == 0;
}

static void raise_thresholds(size_t total)
{
    if (!_list_g.dynamic || total > LIST_MMAP_THRESHOLD_MAX)
        return;
    if (total > __atomic_load_n(&_list_g.mmap_threshold, __ATOMIC_RELAXED)) {
        __atomic_store_n(&_list_g.mmap_threshold, total, __ATOMIC_RELAXED);
        __atomic_store_n(&_list_g.trim_threshold, 2 * total, __ATOMIC_RELAXED);
    }
}

void _list_large_free(list_block_t *b)
{
    LIST_CHECK(valid(b), "free(): invalid pointer (or double free)", list_payload(b));
    size_t total = list_size(b);
    void *base = (void *)((uintptr_t)b - b->prev_size);
    b->head &= ~LIST_CINUSE;
    _list_pagemap_large((uintptr_t)base, total, -1);
    __atomic_sub_fetch(&_list_g.large_live, total, __ATOMIC_RELAXED);
    if (os_munmap(base, total) == 0) {
        HA_STAT_INC(os_munmap);
        HA_STAT_ADD(bytes_released, total);
    }
    raise_thresholds(total);
}

/* Resizes an unaligned large block with mremap; NULL when that is not
 * possible (the caller then copies). */
void *_list_large_realloc(list_block_t *b, size_t size)
{
    LIST_CHECK(valid(b), "realloc(): invalid pointer", list_payload(b));
    size_t total = list_size(b);
    size_t want = page_round(size + LIST_HDR);
    if (b->prev_size != 0 || want < size)
        return NULL;
    if (want == total)
        return list_payload(b);
    void *nb;
    if (os_mremap(b, total, want, &nb) != 0)
        return NULL;
    _list_pagemap_large((uintptr_t)b, total, -1);
    _list_pagemap_large((uintptr_t)nb, want, 1);
    if (want > total)
        __atomic_add_fetch(&_list_g.large_live, want - total, __ATOMIC_RELAXED);
    else
        __atomic_sub_fetch(&_list_g.large_live, total - want, __ATOMIC_RELAXED);
    list_block_t *block = nb;
    block->head = want | LIST_MMAPPED | LIST_CINUSE;
    return list_payload(block);
}

size_t _list_large_usable(const list_block_t *b)
{
    LIST_CHECK(valid(b), "malloc_usable_size(): invalid pointer", list_payload(b));
    return list_size(b) - b->prev_size - LIST_HDR;
}
