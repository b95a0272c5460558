/* The backend of allocator "list" (alloc.h): malloc, free, calloc, realloc,
 * memalign, usable size, fork handlers and statistics.  The exported malloc
 * family (src/alloc/common/exports.c) has checked the arguments already. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "alloc/common/stats.h"
#include "alloc/list/list.h"

const char _ha_name[] = "list";

static inline size_t mmap_threshold(void)
{
    return __atomic_load_n(&_list_g.mmap_threshold, __ATOMIC_RELAXED);
}

/* ---- allocation ---- */

/* A pooled block of at least `size` bytes from the caller's arena. */
static inline void *pool_alloc(size_t size, int *fresh)
{
    int locked;
    list_arena_t *a = list_arena_lock_mine(&locked);
    list_block_t *b = _list_block_alloc(a, list_request_size(size), fresh);
    list_unlock(a, locked);
    if (HA_UNLIKELY(b == NULL)) {
        errno = ENOMEM;
        return NULL;
    }
    return list_payload(b);
}

/* Before initialisation the threshold reads 0, so the first call lands here. */
static HA_NOINLINE void *alloc_slow(size_t size, int *fresh)
{
    list_init();
    if (size >= mmap_threshold())
        return _list_large_alloc(size, 0, fresh);
    return pool_alloc(size, fresh);
}

void *_ha_malloc(size_t size)
{
    int fresh;
    if (HA_UNLIKELY(size >= mmap_threshold()))
        return alloc_slow(size, &fresh);
    return pool_alloc(size, &fresh);
}

/* Memory fresh from the kernel (a new mapping, never-used top) is already
 * zero: only reused memory is cleared. */
void *_ha_calloc(size_t size)
{
    int fresh = 0;
    void *p = size >= mmap_threshold() ? alloc_slow(size, &fresh) : pool_alloc(size, &fresh);
    if (p == NULL)
        return NULL;
    if (fresh)
        HA_STAT_INC(calloc_nozero);
    else
        memset(p, 0, size);
    return p;
}

void *_ha_memalign(size_t align, size_t size)
{
    int fresh;
    list_init();
    if (size + align >= mmap_threshold())
        return _list_large_alloc(size, align, &fresh);
    size_t need = list_request_size(size);
    int locked;
    list_arena_t *a = list_arena_lock_mine(&locked);
    list_block_t *b = _list_block_alloc(a, need + align + LIST_MIN_BLOCK, &fresh);
    if (b != NULL)
        b = _list_block_align(a, b, align, need);
    list_unlock(a, locked);
    if (b == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    return list_payload(b);
}

/* ---- release ---- */

/* Checks, under the arena's lock, that b is a live pooled block. */
static inline void check_live(list_arena_t *a, list_block_t *b, const char *what)
{
    size_t size = list_size(b);
    LIST_CHECK((b->head & (LIST_CINUSE | LIST_MMAPPED)) == LIST_CINUSE, what, list_payload(b));
    uintptr_t end = (uintptr_t)b + size;
    LIST_CHECK(size >= LIST_MIN_BLOCK &&
               (((end - 1) ^ (uintptr_t)b) >> LIST_GRANULE_SHIFT == 0 ||
                _list_arena_of((void *)(end - 1)) == a) &&
               (list_next(b)->head & LIST_PINUSE),
               "heap corruption at", list_payload(b));
}

/* Not in a pool: a large block, or not ours at all. */
static HA_NOINLINE list_block_t *not_pooled(const void *p, const char *what)
{
    LIST_CHECK(((uintptr_t)p & (HA_ALIGN - 1)) == 0 &&
               _list_pagemap_get((uintptr_t)p) >= LIST_PM_LARGE, what, p);
    return list_from_payload(p);
}

void _ha_free(void *p)
{
    list_arena_t *a = _list_arena_of(p);
    if (HA_UNLIKELY(a == NULL || ((uintptr_t)p & (HA_ALIGN - 1)) != 0)) {
        _list_large_free(not_pooled(p, "free(): invalid pointer"));
        return;
    }
    list_block_t *b = list_from_payload(p);
    int locked = list_lock(a);
    check_live(a, b, "free(): double free or invalid pointer");
    _list_block_free(a, b);
    list_unlock(a, locked);
}

/* ---- resizing ---- */

static void *move(void *p, size_t old_usable, size_t size)
{
    void *q = _ha_malloc(size);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old_usable < size ? old_usable : size);
    _ha_free(p);
    return q;
}

/* Grows or shrinks in place when the neighbour allows, else moves. */
void *_ha_realloc(void *p, size_t size)
{
    list_arena_t *a = _list_arena_of(p);
    if (HA_UNLIKELY(a == NULL || ((uintptr_t)p & (HA_ALIGN - 1)) != 0)) {
        list_block_t *lb = not_pooled(p, "realloc(): invalid pointer");
        void *q = size >= mmap_threshold() / 2 ? _list_large_realloc(lb, size) : NULL;
        if (q != NULL) {
            HA_STAT_INC(realloc_inplace);
            return q;
        }
        return move(p, _list_large_usable(lb), size);
    }
    list_block_t *b = list_from_payload(p);
    size_t need = list_request_size(size);
    int locked = list_lock(a);
    check_live(a, b, "realloc(): invalid pointer");
    size_t old = list_size(b);
    int done = 1;
    if (need <= old)
        _list_block_shrink(a, b, need);
    else if (size >= mmap_threshold() || !_list_block_grow(a, b, need))
        done = 0;
    list_unlock(a, locked);
    if (done) {
        HA_STAT_INC(realloc_inplace);
        return p;
    }
    return move(p, old - 8, size);
}

size_t _ha_usable_size(const void *p)
{
    list_arena_t *a = _list_arena_of(p);
    if (a == NULL || ((uintptr_t)p & (HA_ALIGN - 1)) != 0)
        return _list_large_usable(not_pooled(p, "malloc_usable_size(): invalid pointer"));
    /* under the lock: freeing or allocating the block before p's rewrites
     * the PINUSE bit of p's head word */
    int locked = list_lock(a);
    size_t n = list_size(list_from_payload(p)) - 8;
    list_unlock(a, locked);
    return n;
}

/* ---- fork ---- */

void _ha_fork_prepare(void)
{
    for (unsigned i = 0; i < _list_g.narenas; i++)
        ha_lock(&_list_arenas[i].lock);
    _list_pagemap_fork_prepare();
}

void _ha_fork_parent(void)
{
    _list_pagemap_fork_parent();
    for (unsigned i = _list_g.narenas; i-- > 0;)
        ha_unlock(&_list_arenas[i].lock);
}

void _ha_fork_child(void)
{
    _list_pagemap_fork_child();
    for (unsigned i = 0; i < _list_g.narenas; i++)
        ha_lock_init(&_list_arenas[i].lock);
}

/* ---- statistics ---- */

static void stat_line(int fd, int json, int first, const char *name, uint64_t v)
{
    if (json) {
        os_write_str(fd, first ? "\"" : ",\"");
        os_write_str(fd, name);
        os_write_str(fd, "\":");
        os_write_u64(fd, v);
        return;
    }
    os_write_str(fd, "husky-list: ");
    os_write_str(fd, name);
    os_write_str(fd, " ");
    os_write_u64(fd, v);
    os_write_str(fd, "\n");
}

void _ha_stats_print(int fd, int json)
{
    uint64_t pool = 0, freeb = 0, pools = 0, used = 0;
    for (unsigned i = 0; i < _list_g.narenas; i++) {
        const list_arena_t *a = &_list_arenas[i];
        pool += a->pool_bytes;
        freeb += a->free_bytes;
        pools += a->pools;
        used += a->ready;
    }
    stat_line(fd, json, 1, "arenas", _list_g.narenas);
    stat_line(fd, json, 0, "arenas_used", used);
    stat_line(fd, json, 0, "pools", pools);
    stat_line(fd, json, 0, "pool_bytes", pool);
    stat_line(fd, json, 0, "bin_free_bytes", freeb);
    stat_line(fd, json, 0, "heap_bytes", _list_g.heap_hi - _list_g.heap_lo);
    stat_line(fd, json, 0, "large_live_bytes", _list_g.large_live);
    stat_line(fd, json, 0, "mmap_threshold", _list_g.mmap_threshold);
    stat_line(fd, json, 0, "trim_threshold", _list_g.trim_threshold);
}
