/* Arenas: one per CPU, each with its own lock and pools.
 *
 * A thread starts on its CPU's arena (sched_getcpu) and remembers it in a
 * thread-local; when that arena's lock is taken it moves to the first free
 * arena, trying its current CPU's first, so threads spread over the arenas.
 * The main arena (0) grows the brk heap in batches of LIST_BRK_BATCH; the
 * others, and the main one once brk fails or another user moves the break,
 * map 1 MiB-aligned pools.  Memory goes back to the kernel in two ways, both with hysteresis:
 * the top is trimmed (brk shrunk or pages madvised) once more than
 * trim_threshold bytes of it are dirty, keeping half of that; and free blocks
 * of LIST_RELEASE_MIN bytes or more that stayed unused for LIST_RELEASE_AGE_NS
 * are madvised by a sweep (trim.c).
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "alloc/common/options.h"
#include "alloc/common/stats.h"
#include "alloc/list/list.h"


list_global_t _list_g;
list_arena_t _list_arenas[LIST_MAX_ARENAS];
__thread list_arena_t *_list_tls_arena __attribute__((tls_model("initial-exec")));

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) & ~(to - 1);
}

/* ---- initialisation ---- */

static void read_options(void)
{
    long n = ha_option(HA_OPT_ARENAS);
    unsigned narenas = n > 0 ? (unsigned)(n < LIST_MAX_ARENAS ? n : LIST_MAX_ARENAS)
                             : os_ncpus();
    _list_g.narenas = narenas < LIST_MAX_ARENAS ? narenas : LIST_MAX_ARENAS;
    _list_g.zero_on_free = ha_option(HA_OPT_ZERO_ON_FREE) != 0;
    long mt = ha_option(HA_OPT_MMAP_THRESHOLD);
    long tt = ha_option(HA_OPT_TRIM_THRESHOLD);
    _list_g.dynamic = mt == 0 && tt == 0;
    size_t trim = tt > 0 ? (size_t)tt : LIST_TRIM_THRESHOLD_DEFAULT;
    if (trim < 2 * os_page_size())
        trim = 2 * os_page_size();
    /* atomic: threads not yet initialised read them (malloc.c, block.c) */
    __atomic_store_n(&_list_g.mmap_threshold,
                     mt > 0 ? (size_t)mt : LIST_MMAP_THRESHOLD_DEFAULT, __ATOMIC_RELAXED);
    __atomic_store_n(&_list_g.trim_threshold, trim, __ATOMIC_RELAXED);
}

/* Settings are read once; a thread arriving during that waits. */
void _list_init_slow(void)
{
    int expected = 0;
    if (__atomic_compare_exchange_n(&_list_g.initialized, &expected, 1, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        read_options();
        __atomic_store_n(&_list_g.initialized, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&_list_g.initialized, __ATOMIC_ACQUIRE) != 2)
        HA_CPU_RELAX();
}

void _list_arena_setup(list_arena_t *a, unsigned index, int uses_brk)
{
    a->index = index;
    a->uses_brk = uses_brk;
    a->ready = 1;
}

/* ---- choosing and locking an arena ---- */

static list_arena_t *arena_for_cpu(void)
{
    if (_list_g.narenas <= 1)
        return &_list_arenas[0];
    int saved = errno;
    int cpu = sched_getcpu();
    errno = saved;
    unsigned i = cpu < 0 ? 0 : (unsigned)cpu % _list_g.narenas;
    return &_list_arenas[i];
}

/* On contention: the first arena that is free, trying the CPU's own first,
 * then the others in turn; NULL when all are busy.  Two threads that met on
 * one arena thus part at once, even when the scheduler keeps them on one CPU. */
static list_arena_t *try_free_arena(list_arena_t *cpu)
{
    unsigned n = _list_g.narenas, first = (unsigned)(cpu - _list_arenas);
    for (unsigned k = 0; k < n; k++) {
        list_arena_t *a = &_list_arenas[(first + k) % n];
        if (ha_lock_trylock(&a->lock))
            return a;
    }
    return NULL;
}

/* The slow path of list_arena_lock_mine: first use by this thread, or its
 * arena was busy.  Returns the arena chosen, locked and ready. */
list_arena_t *_list_arena_lock_slow(void)
{
    list_init();
    list_arena_t *a = arena_for_cpu();
    if (_list_tls_arena != NULL) {
        HA_STAT_INC(lock_contended);
        list_arena_t *f = try_free_arena(a);
        if (f != NULL)
            a = f;
        else
            ha_lock(&a->lock);
    } else {
        ha_lock(&a->lock);
    }
    if (HA_UNLIKELY(!a->ready)) {
        unsigned index = (unsigned)(a - _list_arenas);
        _list_arena_setup(a, index, index == 0);
    }
    _list_tls_arena = a;
    return a;
}

/* ---- pools ---- */

/* Makes [base, base+size) the arena's current pool: one free top block and
 * the sentinel.  The previous top, if any, becomes an ordinary free block. */
void _list_arena_add_pool(list_arena_t *a, void *base, size_t size)
{
    list_block_t *t = a->top;
    if (t != NULL) {
        size_t ts = list_size(t);
        list_block_t *s = list_at(t, ts);
        t->head = ts | (t->head & LIST_PINUSE);
        s->prev_size = ts;
        s->head &= ~LIST_PINUSE;
        if (ts >= LIST_RELEASE_MIN)
            *list_freed_at(t) = 0;     /* released at the next sweep */
        _list_bin_insert(a, t);
    }
    list_block_t *b = base;
    b->head = (size - LIST_SENTINEL) | LIST_PINUSE;
    list_block_t *s = list_at(b, size - LIST_SENTINEL);
    s->prev_size = size - LIST_SENTINEL;
    s->head = LIST_SENTINEL | LIST_CINUSE;
    a->top = b;
    a->pool_end = (uintptr_t)base + size;
    a->fresh = (uintptr_t)base + LIST_HDR;
    a->pool_bytes += size;
    a->pools++;
}

static int grow_mmap(list_arena_t *a, size_t want)
{
    size_t size = round_up(want, LIST_GRANULE);
    if (size < LIST_POOL_MIN)
        size = LIST_POOL_MIN;
    void *base;
    if (os_mmap_aligned(size, LIST_GRANULE, &base) != 0)
        return ENOMEM;
    HA_STAT_INC(os_mmap);
    if (_list_pagemap_set_range((uintptr_t)base, size, a->index + 1) != 0) {
        os_munmap(base, size);
        return ENOMEM;
    }
    _list_arena_add_pool(a, base, size);
    return 0;
}

/* Extends the brk heap by at least `want` bytes: the top grows when the new
 * memory follows the old end, else the new memory becomes a new pool. */
static int grow_brk(list_arena_t *a, size_t want)
{
    size_t inc = round_up(want + LIST_HDR > LIST_BRK_BATCH ? want + LIST_HDR : LIST_BRK_BATCH,
                          os_page_size());
    void *old;
    if (os_sbrk((intptr_t)inc, &old) != 0)
        return ENOMEM;
    HA_STAT_INC(os_brk);
    uintptr_t o = (uintptr_t)old;
    if (_list_pagemap_set_range(o, inc, LIST_BRK_MARK) != 0)
        return ENOMEM;                 /* the break stays moved; harmless */
    if (_list_g.heap_lo == 0 || o < _list_g.heap_lo)
        _list_g.heap_lo = o;
    if (o + inc > _list_g.heap_hi)
        __atomic_store_n(&_list_g.heap_hi, o + inc, __ATOMIC_RELEASE);
    if (a->top != NULL && o == a->pool_end) {
        list_block_t *t = a->top;
        t->head = (list_size(t) + inc) | (t->head & LIST_PINUSE);
        list_block_t *s = list_at(t, list_size(t));
        s->head = LIST_SENTINEL | LIST_CINUSE;
        a->pool_end = o + inc;
        if (a->fresh < o)
            a->fresh = o;
        a->pool_bytes += inc;
        return 0;
    }
    uintptr_t base = round_up(o, 16);
    _list_arena_add_pool(a, (void *)base, (o + inc - base) & ~(uintptr_t)15);
    return 0;
}

/* Makes the top hold at least need + LIST_MIN_BLOCK bytes; 0 or ENOMEM. */
int _list_arena_grow(list_arena_t *a, size_t need)
{
    size_t want = need + LIST_MIN_BLOCK + LIST_SENTINEL + LIST_HDR;
    if (a->uses_brk && !_list_g.brk_broken) {
        if (grow_brk(a, want) == 0 && list_size(a->top) >= need + LIST_MIN_BLOCK)
            return 0;
        _list_g.brk_broken = 1;
        a->uses_brk = 0;
    }
    return grow_mmap(a, want);
}
