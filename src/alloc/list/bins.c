/* Segregated free lists with best fit.
 *
 * Bin i holds free blocks of one size (exact bins, 16-byte steps up to
 * 1 KiB) or of a quarter of a power-of-two range (above 1 KiB).  A bitmap of
 * non-empty bins finds the next bin that can serve a request without looking
 * at empty ones, so malloc never walks all free blocks: it looks at most at
 * LIST_FIT_SCAN blocks of the request's own bin and of the next non-empty bin.
 */
#include "config.h"

#include "alloc/list/list.h"

/* First non-empty bin at or after i, or LIST_NBINS. */
static unsigned next_nonempty(const list_arena_t *a, unsigned i)
{
    unsigned w = i >> 6;
    if (w >= LIST_BITMAP_WORDS)
        return LIST_NBINS;
    uint64_t bits = a->bitmap[w] & (~(uint64_t)0 << (i & 63));
    while (bits == 0) {
        if (++w >= LIST_BITMAP_WORDS)
            return LIST_NBINS;
        bits = a->bitmap[w];
    }
    return w * 64 + (unsigned)__builtin_ctzll(bits);
}

/* The smallest block of at least `need` bytes among the first LIST_FIT_SCAN
 * blocks of bin i; an exact fit ends the scan. */
static list_block_t *scan_bin(list_block_t *b, size_t need)
{
    list_block_t *best = NULL;
    size_t best_size = SIZE_MAX;
    for (int n = 0; b != NULL && n < LIST_FIT_SCAN; b = b->next, n++) {
        size_t s = list_size(b);
        if (s >= need && s < best_size) {
            best = b;
            best_size = s;
            if (s == need)
                break;
        }
    }
    return best;
}

/* Best fit: a free block of at least `need` bytes, removed from its bin, or
 * NULL when no bin holds one. */
list_block_t *_list_bin_best_fit(list_arena_t *a, size_t need)
{
    unsigned i = _list_bin_index(need);
    list_block_t *b = NULL;
    if (i < LIST_NEXACT) {
        b = a->bins[i];
    } else if (a->bins[i] != NULL) {
        b = scan_bin(a->bins[i], need);
    }
    if (b == NULL) {
        unsigned j = next_nonempty(a, i + 1);
        if (j >= LIST_NBINS)
            return NULL;
        b = j < LIST_NEXACT ? a->bins[j] : scan_bin(a->bins[j], need);
    }
    _list_bin_remove(a, b);
    return b;
}
