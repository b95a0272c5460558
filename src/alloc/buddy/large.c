/* Large blocks: requests above cfg.max_small go straight to mmap.
 *
 * A large block starts on a registry granule (its mapping is aligned to at
 * least 2^BUDDY_GRANULE_SHIFT), so the registry entry of that granule holds
 * its length and nothing is stored next to the user's bytes.  Taking the
 * entry with an atomic exchange makes a double free of a large block an
 * error instead of a second munmap.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "alloc/buddy/buddy.h"
#include "alloc/common/os.h"
#include "alloc/common/stats.h"

#define GRANULE ((size_t)1 << BUDDY_GRANULE_SHIFT)

static uint64_t large_live;    /* large blocks mapped now */
static uint64_t large_bytes;   /* their bytes */
static uint64_t large_total;   /* large blocks ever mapped */

/* `size` rounded up to pages; 0 when that overflows. */
static size_t page_round(size_t size)
{
    size_t page = os_page_size();
    size_t len = (size + page - 1) & ~(page - 1);
    return len < size ? 0 : len;
}

/* A fresh (zeroed) mapping of at least `size` bytes aligned to `align`
 * (0: no alignment beyond the granule). */
void *_buddy_large_alloc(size_t size, size_t align)
{
    size_t len = page_round(size ? size : 1);
    void *p;
    if (align < GRANULE)
        align = GRANULE;
    HA_STAT_INC(large_allocs);
    HA_STAT_INC(os_mmap);
    if (!len || os_mmap_aligned(len, align, &p)) {
        errno = ENOMEM;
        return NULL;
    }
    if (_buddy_registry_set((uintptr_t)p, 1, len | BUDDY_REG_LARGE)) {
        os_munmap(p, len);
        errno = ENOMEM;
        return NULL;
    }
    __atomic_add_fetch(&large_live, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&large_bytes, len, __ATOMIC_RELAXED);
    __atomic_add_fetch(&large_total, 1, __ATOMIC_RELAXED);
    return p;
}

/* The length of large block p (registry value reg), or an abort when p is
 * not the start of a live large block. */
static size_t checked_len(uintptr_t p, uintptr_t reg)
{
    if (!(reg & BUDDY_REG_LARGE) || (p & (GRANULE - 1)))
        _buddy_fatal("free/realloc of an invalid pointer (not from this allocator, or freed)",
                     (void *)p);
    return reg & ~(uintptr_t)BUDDY_REG_LARGE;
}

/* Unmaps large block p; reg is the registry value read by the caller. */
void _buddy_large_free(uintptr_t p, uintptr_t reg)
{
    size_t len = checked_len(p, reg);
    if (_buddy_registry_take(p) != reg)
        _buddy_fatal("double free", (void *)p);
    __atomic_sub_fetch(&large_live, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&large_bytes, len, __ATOMIC_RELAXED);
    HA_STAT_INC(os_munmap);
    HA_STAT_ADD(bytes_released, len);
    os_munmap((void *)p, len);
}

size_t _buddy_large_size(uintptr_t p, uintptr_t reg)
{
    return checked_len(p, reg);
}

/* Resizes large block p: shrinks in place by unmapping whole tail pages when
 * it stays large, otherwise moves it (to a buddy block or a new mapping). */
void *_buddy_large_realloc(uintptr_t p, uintptr_t reg, size_t size)
{
    size_t len = checked_len(p, reg);
    if (size <= len && size > _buddy_cfg.max_small) {
        size_t keep = page_round(size);
        if (keep < len) {
            _buddy_registry_set(p, 1, keep | BUDDY_REG_LARGE);
            __atomic_sub_fetch(&large_bytes, len - keep, __ATOMIC_RELAXED);
            HA_STAT_INC(os_munmap);
            HA_STAT_ADD(bytes_released, len - keep);
            os_munmap((void *)(p + keep), len - keep);
        }
        HA_STAT_INC(realloc_inplace);
        return (void *)p;
    }
    void *q = _ha_malloc(size);
    if (!q)
        return NULL;
    memcpy(q, (void *)p, size < len ? size : len);
    _buddy_large_free(p, reg);
    return q;
}

void _buddy_large_stats(uint64_t *live, uint64_t *bytes, uint64_t *total)
{
    *live = __atomic_load_n(&large_live, __ATOMIC_RELAXED);
    *bytes = __atomic_load_n(&large_bytes, __ATOMIC_RELAXED);
    *total = __atomic_load_n(&large_total, __ATOMIC_RELAXED);
}
