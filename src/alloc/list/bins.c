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

unsigned _list_bin_index(size_t size)
{
    if (size <= 1024)
        return (unsigned)(size >> 4) - 2;
    unsigned k = 63u - (unsigned)__builtin_clzl(size);
    unsigned sub = (unsigned)(size >> (k - 2)) & 3u;
    unsigned i = LIST_NEXACT + (k - 10) * 4 + sub;
    return i < LIST_NBINS ? i : LIST_NBINS - 1;
}

static inline void bit_set(list_arena_t *a, unsigned i)
{
    a->bitmap[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline void bit_clear(list_arena_t *a, unsigned i)
{
    a->bitmap[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* Pushes free block b (head and footer already written) on its bin. */
void _list_bin_insert(list_arena_t *a, list_block_t *b)
{
    unsigned i = _list_bin_index(list_size(b));
    list_block_t *first = a->bins[i];
    b->prev = NULL;
    b->next = first;
    if (first != NULL)
        first->prev = b;
    else
        bit_set(a, i);
    a->bins[i] = b;
    a->free_bytes += list_size(b);
}

void _list_bin_remove(list_arena_t *a, list_block_t *b)
{
    unsigned i = _list_bin_index(list_size(b));
    if (b->prev != NULL) {
        LIST_CHECK(b->prev->next == b, "corrupted free list at", b);
        b->prev->next = b->next;
    } else {
        LIST_CHECK(a->bins[i] == b, "corrupted free list at", b);
        a->bins[i] = b->next;
        if (b->next == NULL)
            bit_clear(a, i);
    }
    if (b->next != NULL) {
        LIST_CHECK(b->next->prev == b, "corrupted free list at", b);
        b->next->prev = b->prev;
    }
    a->free_bytes -= list_size(b);
}

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
