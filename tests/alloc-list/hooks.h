/* tests/alloc-list/hooks.h: test-only access to allocator list's internals.
 * The unit tests compile the list sources (without exports.c, so the test
 * program itself keeps glibc's malloc) and drive one private arena through
 * these helpers. */
#ifndef HUSKY_LIST_TEST_HOOKS_H
#define HUSKY_LIST_TEST_HOOKS_H

#include "alloc/list/list.h"

/* The private arena: the last slot of the table, never chosen by a CPU here. */
static list_arena_t *hook_arena(void)
{
    list_arena_t *a = &_list_arenas[LIST_MAX_ARENAS - 1];
    list_init();
    if (!a->ready)
        _list_arena_setup(a, LIST_MAX_ARENAS - 1, 0);
    return a;
}

/* A block for a request of n bytes; *fresh as _list_block_alloc sets it. */
static list_block_t *hook_alloc(list_arena_t *a, size_t n, int *fresh)
{
    int f;
    return _list_block_alloc(a, list_request_size(n), fresh ? fresh : &f);
}

static int hook_in_bins(const list_arena_t *a, const list_block_t *b)
{
    unsigned i = _list_bin_index(list_size(b));
    for (const list_block_t *x = a->bins[i]; x; x = x->next)
        if (x == b)
            return 1;
    return 0;
}

static int hook_is_free(const list_block_t *b)
{
    return !(b->head & LIST_CINUSE);
}

static size_t hook_bins_count(const list_arena_t *a)
{
    size_t n = 0;
    for (unsigned i = 0; i < LIST_NBINS; i++)
        for (const list_block_t *x = a->bins[i]; x; x = x->next)
            n++;
    return n;
}

#endif
