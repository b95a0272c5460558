/* The registry: which region (or large block) an address belongs to.
 *
 * A two-level radix table over the user address space in granules of
 * 2^BUDDY_GRANULE_SHIFT bytes.  Every granule of a region holds the region's
 * descriptor; the first granule of a large block holds its length | 1.
 * free() trusts nothing the user can write, so this table is how it tells our
 * pointers from others.  Readers take no lock: a valid pointer's entry cannot
 * change while the pointer is live.  Writers (region creation and release,
 * large blocks) touch disjoint granules; leaves are installed with a
 * compare-and-swap and never freed.
 */
#include "config.h"

#include "alloc/buddy/buddy.h"

#define LEAF_BITS BUDDY_REG_LEAF_BITS
#define ROOT_BITS BUDDY_REG_ROOT_BITS
#define LEAF_SIZE (sizeof(uintptr_t) << LEAF_BITS)

uintptr_t *_buddy_reg_root[1u << ROOT_BITS]; /* leaves by the key's top bits */
static uintptr_t *reg_spare;                 /* a leaf that lost an install race */

/* The leaf covering key, created when `create` is set; NULL if absent. */
static uintptr_t *leaf_for(uintptr_t key, int create)
{
    uintptr_t **slot = &_buddy_reg_root[key >> LEAF_BITS];
    uintptr_t *leaf = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (leaf || !create)
        return leaf;
    uintptr_t *fresh = __atomic_exchange_n(&reg_spare, NULL, __ATOMIC_ACQ_REL);
    if (!fresh)
        fresh = _buddy_meta_map(LEAF_SIZE);
    if (!fresh)
        return NULL;
    if (__atomic_compare_exchange_n(slot, &leaf, fresh, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return fresh;
    uintptr_t *none = NULL;
    __atomic_compare_exchange_n(&reg_spare, &none, fresh, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
    return leaf;
}

/* Records value for every granule of [start, start + len); start is granule
 * aligned.  Returns 0, or -1 when a leaf could not be mapped. */
int _buddy_registry_set(uintptr_t start, size_t len, uintptr_t value)
{
    uintptr_t first = start >> BUDDY_GRANULE_SHIFT;
    uintptr_t last = (start + len - 1) >> BUDDY_GRANULE_SHIFT;
    if ((start + len - 1) >> BUDDY_ADDR_BITS)
        return -1;
    for (uintptr_t key = first; key <= last; key++) {
        uintptr_t *leaf = leaf_for(key, 1);
        if (!leaf) {
            if (key > first)
                _buddy_registry_clear(start, (key - first) << BUDDY_GRANULE_SHIFT);
            return -1;
        }
        __atomic_store_n(&leaf[key & ((1u << LEAF_BITS) - 1)], value, __ATOMIC_RELEASE);
    }
    return 0;
}

/* Forgets every granule of [start, start + len). */
void _buddy_registry_clear(uintptr_t start, size_t len)
{
    uintptr_t first = start >> BUDDY_GRANULE_SHIFT;
    uintptr_t last = (start + len - 1) >> BUDDY_GRANULE_SHIFT;
    for (uintptr_t key = first; key <= last; key++) {
        uintptr_t *leaf = leaf_for(key, 0);
        if (leaf)
            __atomic_store_n(&leaf[key & ((1u << LEAF_BITS) - 1)], 0, __ATOMIC_RELEASE);
    }
}

/* Clears the entry of the granule holding addr and returns what it held, in
 * one atomic step, so two frees of one large block cannot both succeed. */
uintptr_t _buddy_registry_take(uintptr_t addr)
{
    if (addr >> BUDDY_ADDR_BITS)
        return 0;
    uintptr_t key = addr >> BUDDY_GRANULE_SHIFT;
    uintptr_t *leaf = leaf_for(key, 0);
    if (!leaf)
        return 0;
    return __atomic_exchange_n(&leaf[key & ((1u << LEAF_BITS) - 1)], 0, __ATOMIC_ACQ_REL);
}
