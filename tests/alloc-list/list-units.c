/* tests/alloc-list/list-units.c: keeps the guarantees of allocator list's
 * block and free-list logic: splitting with a minimum block size, immediate
 * coalescing on both sides and into the top, best fit over the segregated
 * bins, growing and shrinking in place, aligned cuts, and trimming of the
 * top with the fresh-memory mark calloc relies on. */
#include "config.h"

#include <string.h>

#include "tests/alloc-list/hooks.h"
#include "tests/tap.h"

static list_arena_t *a;

static void test_carve(void)
{
    int fresh = 0;
    list_block_t *b = hook_alloc(a, 100, &fresh);
    tap_ok(b != NULL && list_size(b) == 112 && fresh, "a first block is carved fresh from the top");
    tap_ok(a->top == list_next(b) && hook_is_free(a->top), "the top follows the carved block");
    tap_ok(((uintptr_t)list_payload(b) & 15) == 0, "payloads are 16-byte aligned");
    list_block_t *c = hook_alloc(a, 100, &fresh);
    _list_block_free(a, c);
    c = hook_alloc(a, 100, &fresh);
    tap_ok(!fresh, "a block that went back to the top is no longer fresh");
    _list_block_free(a, c);
    _list_block_free(a, b);
}

static void test_split(void)
{
    list_block_t *x = hook_alloc(a, 2000, NULL), *guard = hook_alloc(a, 16, NULL);
    size_t xs = list_size(x);
    _list_block_free(a, x);
    tap_ok(hook_in_bins(a, x) && hook_is_free(x), "a freed block goes to its bin");
    list_block_t *y = hook_alloc(a, 100, NULL);
    list_block_t *rest = list_next(y);
    tap_ok(y == x && list_size(y) == 112, "a smaller request splits the free block");
    tap_ok(hook_in_bins(a, rest) && list_size(rest) == xs - 112,
           "the remainder is a free block in its bin");
    _list_block_free(a, y);
    tap_ok(hook_in_bins(a, x) && list_size(x) == xs, "freeing it merges the remainder back");
    /* a remainder under LIST_MIN_BLOCK stays with the block */
    list_block_t *s = hook_alloc(a, 88, NULL), *g2 = hook_alloc(a, 16, NULL);
    _list_block_free(a, s);
    list_block_t *t = hook_alloc(a, 72, NULL);
    tap_ok(t == s && list_size(t) == 96, "no split below the minimum block size");
    _list_block_free(a, t);
    _list_block_free(a, g2);
    _list_block_free(a, guard);
}

static void test_coalesce(void)
{
    list_block_t *b[5];
    for (int i = 0; i < 5; i++)
        b[i] = hook_alloc(a, 200, NULL);
    size_t s = list_size(b[0]);
    _list_block_free(a, b[0]);
    _list_block_free(a, b[2]);
    _list_block_free(a, b[1]);
    tap_ok(hook_in_bins(a, b[0]) && list_size(b[0]) == 3 * s && !hook_in_bins(a, b[2]),
           "freeing between two free blocks merges all three");
    tap_ok(!(b[3]->head & LIST_PINUSE) && b[3]->prev_size == 3 * s,
           "the next block's footer and PINUSE describe the merged block");
    list_block_t *top = a->top;
    _list_block_free(a, b[4]);
    tap_ok(a->top == b[4] && list_size(b[4]) == s + list_size(top), "the last block merges into the top");
    _list_block_free(a, b[3]);
    tap_ok(a->top == b[0] && hook_bins_count(a) == 0, "everything merges back into the top");
}

static void test_best_fit(void)
{
    size_t sizes[] = { 2000, 1500, 1700, 64, 96, 48 };
    list_block_t *blk[6], *guard[6];
    for (int i = 0; i < 6; i++) {
        blk[i] = hook_alloc(a, sizes[i], NULL);
        guard[i] = hook_alloc(a, 16, NULL);
    }
    for (int i = 0; i < 6; i++)
        _list_block_free(a, blk[i]);
    tap_ok(hook_bins_count(a) == 6, "six separated free blocks in the bins");
    list_block_t *r = hook_alloc(a, 90, NULL);
    tap_ok(r == blk[4], "90 bytes: the exact 112-byte class is chosen");
    list_block_t *u = hook_alloc(a, 40, NULL);
    tap_ok(u == blk[5], "40 bytes: the 64-byte block beats the 80 and larger ones");
    list_block_t *p = hook_alloc(a, 1400, NULL);
    tap_ok(p == blk[1], "1400 bytes: the 1500-byte block is the best fit");
    list_block_t *q = hook_alloc(a, 1650, NULL);
    tap_ok(q == blk[2], "1650 bytes: the 1700-byte block is the best fit");
    _list_block_free(a, p);
    _list_block_free(a, q);
    _list_block_free(a, r);
    _list_block_free(a, u);
    for (int i = 5; i >= 0; i--)
        _list_block_free(a, guard[i]);
    tap_ok(hook_bins_count(a) == 0, "all merged back");
}

static void test_resize(void)
{
    list_block_t *b = hook_alloc(a, 100, NULL), *n = hook_alloc(a, 400, NULL);
    list_block_t *g = hook_alloc(a, 16, NULL);
    _list_block_free(a, n);
    tap_ok(_list_block_grow(a, b, list_request_size(300)) && list_size(b) == 320,
           "realloc grows in place into the free next block");
    tap_ok(hook_in_bins(a, list_next(b)) && list_size(list_next(b)) == 112 + 416 - 320,
           "the unused part of the neighbour stays free");
    _list_block_shrink(a, b, list_request_size(40));
    tap_ok(list_size(b) == 48 && hook_is_free(list_next(b)) &&
           list_size(list_next(b)) == 112 + 416 - 48, "shrinking in place frees and merges the tail");
    tap_ok(!_list_block_grow(a, g, list_request_size(1 << 30)),
           "growth the neighbours cannot give is refused");
    _list_block_free(a, b);
    _list_block_free(a, g);
    tap_ok(hook_bins_count(a) == 0, "all merged back");
}

static void test_align(void)
{
    int bad = 0;
    for (size_t align = 32; align <= 65536; align <<= 1) {
        size_t need = list_request_size(100);
        list_block_t *b = hook_alloc(a, 100 + align + LIST_MIN_BLOCK, NULL);
        b = _list_block_align(a, b, align, need);
        if ((uintptr_t)list_payload(b) % align || list_size(b) < need ||
            list_size(b) >= need + LIST_MIN_BLOCK)
            bad++;
        _list_block_free(a, b);
    }
    tap_ok(bad == 0 && hook_bins_count(a) == 0, "aligned cuts for 32 B to 64 KiB, head and tail freed");
}

static void test_trim(void)
{
    list_block_t *b[64];
    for (int i = 0; i < 64; i++)
        b[i] = hook_alloc(a, 16 << 10, NULL);
    for (int i = 63; i >= 0; i--)
        _list_block_free(a, b[i]);
    uintptr_t limit = (uintptr_t)a->top + LIST_MIN_BLOCK + _list_g.trim_threshold / 2 + 4096;
    tap_ok(a->fresh <= limit, "freeing 1 MiB into the top trims it to half the trim threshold");
    int fresh = 0;
    list_block_t *c = hook_alloc(a, 900 << 10, &fresh);
    tap_ok(!fresh, "a block over the kept part is not reported fresh");
    memset(list_payload(c), 0, 900 << 10);
    _list_block_free(a, c);
}

int main(void)
{
    a = hook_arena();
    test_carve();
    test_split();
    test_coalesce();
    test_best_fit();
    test_resize();
    test_align();
    test_trim();
    return tap_done();
}
