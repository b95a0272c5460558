/* Arenas: one per CPU, each with its own lock, free lists and regions.
 *
 * Regions are mapped when an arena has no block large enough and returned to
 * the kernel when a free leaves more of them wholly free than
 * buddy_spare_limit allows (so a program that frees and reallocates in a loop
 * does not map and unmap a region each time).  System calls happen with the arena
 * unlocked.  Settings come from the common options on the first call: there
 * is no init or destroy function.
 */
#include "config.h"

#include <string.h>
#include <sys/auxv.h>

#include "alloc/buddy/buddy.h"
#include "alloc/common/options.h"
#include "alloc/common/os.h"
#include "alloc/common/stats.h"

struct buddy_config _buddy_cfg;
struct buddy_arena _buddy_arenas[BUDDY_MAX_ARENAS];

#define REGION_SIZE ((size_t)1 << BUDDY_REGION_ORDER)

/* ---- settings ---- */

/* A per-process value for the link seals, from the kernel's AT_RANDOM bytes
 * (the same in every thread that computes it, so racing callers agree). */
static uintptr_t secret_value(void)
{
    uintptr_t s = 0x9e3779b97f4a7c15u;
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    if (rnd) {
        uintptr_t v;
        memcpy(&v, rnd + 8, sizeof v);
        s ^= v;
    }
    return s | 1;
}

/* Reads the options, once: the first thread to get here does it and
 * publishes narenas last (release); others wait for it (acquire), so that the
 * settings are never written by two threads or read half-made. */
HA_NOINLINE void _buddy_init(void)
{
    static int started;
    if (__atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL)) {
        while (!__atomic_load_n(&_buddy_cfg.narenas, __ATOMIC_ACQUIRE))
            HA_CPU_RELAX();
        return;
    }
    long n = ha_option(HA_OPT_ARENAS);
    if (n <= 0)
        n = (long)os_ncpus();
    if (n > (long)BUDDY_MAX_ARENAS)
        n = BUDDY_MAX_ARENAS;
    long threshold = ha_option(HA_OPT_MMAP_THRESHOLD);
    size_t max_small = (size_t)1 << BUDDY_MAX_ORDER;
    if (threshold > 0 && (size_t)threshold <= max_small)
        max_small = (size_t)threshold - 1;
    long trim = ha_option(HA_OPT_TRIM_THRESHOLD);
    uint32_t keep = 1;
    if (trim > 0 && ((size_t)trim >> BUDDY_REGION_ORDER) > 1)
        keep = (uint32_t)((size_t)trim >> BUDDY_REGION_ORDER);
    _buddy_cfg.max_small = max_small;
    _buddy_cfg.keep_regions = keep;
    _buddy_cfg.zero_on_free = ha_option(HA_OPT_ZERO_ON_FREE) != 0;
    if (!__atomic_load_n(&_buddy_secret, __ATOMIC_ACQUIRE))
        __atomic_store_n(&_buddy_secret, secret_value(), __ATOMIC_RELEASE);
    __atomic_store_n(&_buddy_cfg.narenas, (unsigned)n, __ATOMIC_RELEASE);
}

/* ---- regions ---- */

static size_t descriptor_size(void)
{
    size_t page = os_page_size();
    size_t size = sizeof(struct buddy_region) + (REGION_SIZE >> BUDDY_MIN_ORDER);
    return (size + page - 1) & ~(page - 1);
}

/* Maps a region aligned to its size, its descriptor (zeroed, so its order map
 * says "no block" everywhere) and registers it.  NULL when the kernel
 * refuses; no lock is held. */
static struct buddy_region *region_map(void)
{
    void *mem;
    void *desc;
    HA_STAT_INC(os_mmap);
    if (os_mmap_aligned(REGION_SIZE, REGION_SIZE, &mem))
        return NULL;
    HA_STAT_INC(os_mmap);
    if (os_mmap(descriptor_size(), &desc) == 0) {
        struct buddy_region *r = desc;
        r->base = (uintptr_t)mem;
        if (_buddy_registry_set(r->base, REGION_SIZE, (uintptr_t)r) == 0)
            return r;
        os_munmap(desc, descriptor_size());
    }
    os_munmap(mem, REGION_SIZE);
    return NULL;
}

/* Gives an unregistered region and its descriptor back; no lock is held. */
static void region_unmap(struct buddy_region *r)
{
    HA_STAT_ADD(os_munmap, 2);
    HA_STAT_ADD(bytes_released, REGION_SIZE);
    os_munmap((void *)r->base, REGION_SIZE);
    os_munmap(r, descriptor_size());
}

/* The slow path of an allocation of `size` bytes: arena a (locked by the
 * caller) has no free block of `order` or above.  Empties the quick lists into
 * the free lists and retries; then maps a region with the lock dropped, adds
 * it, allocates from it and unlocks.  NULL + ENOMEM when memory is exhausted. */
HA_NOINLINE void *_buddy_arena_refill(struct buddy_arena *a, unsigned order, size_t size,
                                      int locked)
{
    struct buddy_heap *h = buddy_heap_for(a, order);
    _buddy_quick_flush(a);
    void *p = _buddy_alloc(h, order);
    if (p) {
        a->blocks++;
        a->block_bytes += (size_t)1 << order;
        a->request_bytes += size;
        buddy_unlock(a, locked);
        return p;
    }
    buddy_unlock(a, locked);
    struct buddy_region *r = region_map();
    locked = buddy_lock(a);
    h->scrub = _buddy_cfg.zero_on_free;
    if (r) {
        r->owner = a;
        _buddy_region_add(h, r, r->base, BUDDY_MIN_ORDER, BUDDY_REGION_ORDER);
        a->regions_mapped++;
    }
    p = _buddy_alloc(h, order);
    if (p) {
        a->blocks++;
        a->block_bytes += (size_t)1 << order;
        a->request_bytes += size;
    }
    buddy_unlock(a, locked);
    if (!p)
        errno = ENOMEM;
    return p;
}

/* Called with a locked after a free left heap h (of a) with more wholly free
 * regions than
 * buddy_spare_limit allows: the surplus goes back to the kernel, unmapped
 * after a is unlocked.  Unlocks. */
HA_NOINLINE void _buddy_arena_trim(struct buddy_arena *a, struct buddy_heap *h, int locked)
{
    struct buddy_region *victims[16];
    unsigned n = 0;
    while (n < 16 && h->whole_free > buddy_spare_limit(h)) {
        struct buddy_region *r = _buddy_whole_region(h, BUDDY_REGION_ORDER);
        if (!r)
            break;
        _buddy_region_remove(h, r);
        _buddy_registry_clear(r->base, REGION_SIZE);
        a->regions_returned++;
        victims[n++] = r;
    }
    buddy_unlock(a, locked);
    for (unsigned i = 0; i < n; i++)
        region_unmap(victims[i]);
}

/* Returns parked block s (of `order`) to the free lists of arena a. */
static int unpark(struct buddy_arena *a, const struct buddy_quick_slot *s, unsigned order)
{
    struct buddy_region *r = s->region;
    r->parked_bytes -= (size_t)1 << order;
    *buddy_map_at(r, s->block) = (uint8_t)(BUDDY_MAP_USED | order);
    return _buddy_release(r->heap, r, s->block, order);
}

/* Returns every block parked on a's quick lists (a locked) to the free
 * lists, coalescing them: done before mapping a new region, so that parked
 * blocks never make the heap grow. */
void _buddy_quick_flush(struct buddy_arena *a)
{
    for (unsigned q = 0; q < BUDDY_QUICK_ORDERS; q++) {
        while (a->qcount[q]) {
            a->qcount[q]--;
            unpark(a, &a->quick[buddy_quick_base[q] + a->qcount[q]], BUDDY_MIN_ORDER + q);
        }
    }
}

/* Region r (of arena a, locked) holds nothing but parked blocks: they go back
 * to the free lists, r becomes wholly free, and it is returned to the kernel
 * if the arena keeps enough free regions already.  Unlocks. */
HA_NOINLINE void _buddy_quick_purge(struct buddy_arena *a, struct buddy_region *r, int locked)
{
    int whole = 0;
    for (unsigned q = 0; q < BUDDY_QUICK_ORDERS; q++) {
        struct buddy_quick_slot *s = &a->quick[buddy_quick_base[q]];
        unsigned kept = 0;
        for (unsigned i = 0; i < a->qcount[q]; i++) {
            if (s[i].region == r)
                whole |= unpark(a, &s[i], BUDDY_MIN_ORDER + q);
            else
                s[kept++] = s[i];
        }
        a->qcount[q] = (uint16_t)kept;
    }
    if (whole && r->heap->whole_free > buddy_spare_limit(r->heap)) {
        _buddy_arena_trim(a, r->heap, locked);
        return;
    }
    buddy_unlock(a, locked);
}

/* ---- fork ---- */

/* Every arena lock is taken before fork, in index order, so the child sees
 * consistent free lists; the registry needs no lock. */
void _ha_fork_prepare(void)
{
    for (unsigned i = 0; i < _buddy_cfg.narenas; i++)
        ha_lock(&_buddy_arenas[i].lock);
}

void _ha_fork_parent(void)
{
    for (unsigned i = _buddy_cfg.narenas; i-- > 0;)
        ha_unlock(&_buddy_arenas[i].lock);
}

void _ha_fork_child(void)
{
    for (unsigned i = 0; i < _buddy_cfg.narenas; i++)
        ha_lock_init(&_buddy_arenas[i].lock);
}
