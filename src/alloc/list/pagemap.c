/* The pagemap: which arena owns the 1 MiB granule an address falls in.
 *
 * free() and realloc() receive a bare pointer; this map says whether it can
 * be ours at all (an invalid free is caught before its header is read) and,
 * for a pooled block, which arena's lock to take, whatever thread frees it.
 * Two levels over 48-bit addresses: a static table of 16384 leaf pointers
 * (128 KiB of bss, untouched until used) and leaves of 16384 16-bit entries
 * mapped on demand.  An entry is 0 (not ours), an arena index + 1, or
 * LIST_PM_LARGE + the number of large mappings overlapping the granule.
 * Reads take no lock; leaves are created under pm_lock and never freed.
 */
#include "config.h"

#include "alloc/common/stats.h"
#include "alloc/list/list.h"

#define PM_BITS  LIST_PM_BITS
#define PM_LEAF_BITS LIST_PM_LEAF_BITS
#define PM_ROOT  ((size_t)1 << (PM_BITS - PM_LEAF_BITS))
#define PM_LEAF  ((size_t)1 << PM_LEAF_BITS)

uint16_t *_list_pm_root[PM_ROOT];
static ha_lock_t pm_lock = HA_LOCK_INIT;

/* The entry of granule g, creating its leaf; NULL when out of memory. */
static uint16_t *entry(uintptr_t g)
{
    uint16_t **slot = &_list_pm_root[g >> PM_LEAF_BITS];
    uint16_t *leaf = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (leaf == NULL) {
        ha_lock(&pm_lock);
        leaf = *slot;
        if (leaf == NULL) {
            void *mem;
            if (os_mmap(PM_LEAF * sizeof(uint16_t), &mem) == 0) {
                HA_STAT_INC(os_mmap);
                leaf = mem;
                __atomic_store_n(slot, leaf, __ATOMIC_RELEASE);
            }
        }
        ha_unlock(&pm_lock);
        if (leaf == NULL)
            return NULL;
    }
    return &leaf[g & (PM_LEAF - 1)];
}

/* Marks every granule overlapping [start, start+size) with `value`; granules
 * already marked by a large mapping are left alone.  0 or -1 (no memory). */
int _list_pagemap_set_range(uintptr_t start, size_t size, unsigned value)
{
    uintptr_t first = start >> LIST_GRANULE_SHIFT;
    uintptr_t last = (start + size - 1) >> LIST_GRANULE_SHIFT;
    if (last >> PM_BITS)
        return -1;
    for (uintptr_t g = first; g <= last; g++) {
        uint16_t *e = entry(g);
        if (e == NULL)
            return -1;
        if (__atomic_load_n(e, __ATOMIC_RELAXED) < LIST_PM_LARGE)
            __atomic_store_n(e, (uint16_t)value, __ATOMIC_RELEASE);
    }
    return 0;
}

/* Counts a large mapping in (delta 1) or out (delta -1) of its granules. */
void _list_pagemap_large(uintptr_t start, size_t size, int delta)
{
    uintptr_t first = start >> LIST_GRANULE_SHIFT;
    uintptr_t last = (start + size - 1) >> LIST_GRANULE_SHIFT;
    for (uintptr_t g = first; g <= last && !(g >> PM_BITS); g++) {
        uint16_t *e = entry(g);
        if (e == NULL)
            continue;
        uint16_t v = __atomic_load_n(e, __ATOMIC_RELAXED), nv;
        do {
            if (v != 0 && v < LIST_PM_LARGE)
                break;                 /* a pool granule: leave it */
            if (delta > 0)
                nv = v == 0 ? (uint16_t)(LIST_PM_LARGE + 1) : (uint16_t)(v + 1);
            else
                nv = v <= LIST_PM_LARGE + 1 ? 0 : (uint16_t)(v - 1);
        } while (!__atomic_compare_exchange_n(e, &v, nv, 1, __ATOMIC_ACQ_REL,
                                              __ATOMIC_RELAXED));
    }
}

void _list_pagemap_fork_prepare(void)
{
    ha_lock(&pm_lock);
}

void _list_pagemap_fork_parent(void)
{
    ha_unlock(&pm_lock);
}

void _list_pagemap_fork_child(void)
{
    ha_lock_init(&pm_lock);
}
