/* heap.c: a policy's model heap: its state, the tile pool (blocks linked in
 * address order, as boundary tags link them in a real heap) and the engine
 * the fit policies share: split on allocation, immediate coalescing on free,
 * growth of the heap at the top, realloc in place when the next block is free.
 * The policies differ only in their free index (struct sim_index).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/sim.h"

static uint64_t round_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* ---- big arrays ---- */

#define HUGE_PAGE ((size_t)2 << 20)
#define ARRAY_HDR ((size_t)64)  /* before each array: its allocation (keeps lines aligned) */

/* What lies before an array of _sim_grow. */
struct array_hdr {
    size_t len;                 /* bytes allocated, header included */
    int mapped;                 /* 1: an mmap of len bytes, 0: from posix_memalign */
};

/* A mapping of len bytes (or MAP_FAILED) asked for huge pages; NULL when
 * it failed. */
static void *huge(void *q, size_t len)
{
    if (q == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(q, len, MADV_HUGEPAGE);
#endif
    return q;
}

static void *map_huge(size_t len)
{
    return huge(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                len);
}

/* Grows mapping h of `had` bytes to `len`: in place or moved by the kernel
 * where there is mremap, else copied into a new mapping. */
static void *remap(struct array_hdr *h, size_t had, size_t len)
{
#ifdef MREMAP_MAYMOVE
    return huge(mremap(h, had, len, MREMAP_MAYMOVE), len);
#else
    void *q = map_huge(len);
    if (q) {
        memcpy(q, h, had);
        munmap(h, had);
    }
    return q;
#endif
}

/* Moves the array p of old_bytes to one of new_bytes (the excess zeroed
 * when `zero`); NULL when memory runs out (p kept).  The model's arrays are
 * read at random: they start on a cache line, and from 2 MiB on they are
 * mappings asked for huge pages (a TLB miss and a page fault less per 2 MiB)
 * that grow with mremap, so growing copies nothing and the new pages come
 * zeroed from the kernel. */
void *_sim_grow(void *p, size_t old_bytes, size_t new_bytes, int zero)
{
    struct array_hdr *h = p ? (struct array_hdr *)((char *)p - ARRAY_HDR) : NULL;
    size_t need = new_bytes + ARRAY_HDR;
    char *q;
    if (need < HUGE_PAGE) {
        void *m;
        if (posix_memalign(&m, 64, need) != 0)
            return NULL;
        q = m;
        if (p)
            memcpy(q + ARRAY_HDR, p, old_bytes);
        if (zero)
            memset(q + ARRAY_HDR + old_bytes, 0, new_bytes - old_bytes);
        ((struct array_hdr *)q)->mapped = 0;
        free(h);
    } else {
        size_t len = (need + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        if (h && h->mapped) {
            q = remap(h, h->len, len);
            if (!q)
                return NULL;
            /* bytes past old_bytes in the old mapping were never written */
        } else {
            q = map_huge(len);
            if (!q)
                return NULL;
            if (h)
                memcpy(q + ARRAY_HDR, p, old_bytes);
            free(h);
        }
        ((struct array_hdr *)q)->mapped = 1;
        need = len;
    }
    ((struct array_hdr *)q)->len = need;
    return q + ARRAY_HDR;
}

/* Frees an array of _sim_grow. */
void _sim_free(void *p)
{
    if (!p)
        return;
    struct array_hdr *h = (struct array_hdr *)((char *)p - ARRAY_HDR);
    if (h->mapped)
        munmap(h, h->len);
    else
        free(h);
}

/* ---- state ---- */

/* Prepares an empty heap for policy p.  Returns 0 or -1 (out of memory). */
int sim_state_init(struct sim_state *s, const struct sim_policy *p,
                   const struct sim_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->policy = p;
    s->cfg = *cfg;
    s->min_block = round_up(cfg->header + 16, cfg->align);
    s->rng = 0x9e3779b97f4a7c15ull;
    s->tcap = 1024;
    s->t = _sim_grow(NULL, 0, s->tcap * sizeof *s->t, 1);
    if (!s->t)
        return -1;
    s->nt = 1;                  /* t[0]: the null tile */
    sim_metrics_begin(s);
    return p->init ? p->init(s) : 0;
}

void sim_state_fini(struct sim_state *s)
{
    if (s->policy && s->policy->fini)
        s->policy->fini(s);
    _sim_free(s->t);
    _sim_free(s->obj_tile);
    _sim_free(s->obj_addr);
    _sim_free(s->obj_req);
    _sim_free(s->obj_cls);
    _sim_free(s->obj_live);
    memset(s, 0, sizeof *s);
}

/* Makes room for object `id` in the per-object arrays. */
int _sim_objs_reserve(struct sim_state *s, uint32_t id)
{
    if (id < s->ocap)
        return 0;
    uint32_t cap = s->ocap ? s->ocap : 1024;
    while (cap <= id)
        cap *= 2;
    uint32_t *ot = _sim_grow(s->obj_tile, s->ocap * sizeof *ot, cap * sizeof *ot, 0);
    if (ot)
        s->obj_tile = ot;
    uint64_t *oa = _sim_grow(s->obj_addr, s->ocap * sizeof *oa, cap * sizeof *oa, 0);
    if (oa)
        s->obj_addr = oa;
    uint64_t *oq = _sim_grow(s->obj_req, s->ocap * sizeof *oq, cap * sizeof *oq, 0);
    if (oq)
        s->obj_req = oq;
    uint8_t *oc = _sim_grow(s->obj_cls, s->ocap * sizeof *oc, cap * sizeof *oc, 0);
    if (oc)
        s->obj_cls = oc;
    uint8_t *ol = _sim_grow(s->obj_live, s->ocap * sizeof *ol, cap * sizeof *ol, 1);
    if (ol)
        s->obj_live = ol;
    if (!ot || !oa || !oq || !oc || !ol) {
        s->error = "out of memory for the object table";
        return -1;
    }
    s->ocap = cap;
    return 0;
}

/* The user offset of live object `id` (tests compare it with hand-computed
 * placements). */
uint64_t sim_obj_addr(const struct sim_state *s, uint32_t id)
{
    return id < s->ocap ? s->obj_addr[id] : 0;
}

/* ---- tiles ---- */

/* A new unlinked tile, or 0 when memory runs out (s->error set). */
uint32_t _sim_tile_new(struct sim_state *s, uint64_t addr, uint64_t size)
{
    uint32_t t = s->tfree;
    if (t) {
        s->tfree = s->t[t].next;
    } else {
        if (s->nt == s->tcap) {
            if (s->tcap > UINT32_MAX / 2) {
                s->error = "too many blocks";
                return 0;
            }
            struct sim_tile *nt = _sim_grow(s->t, s->tcap * sizeof *nt,
                                            2 * (size_t)s->tcap * sizeof *nt, 0);
            if (!nt) {
                s->error = "out of memory for blocks";
                return 0;
            }
            s->t = nt;
            s->tcap *= 2;
        }
        t = s->nt++;
    }
    struct sim_tile *x = &s->t[t];
    memset(x, 0, sizeof *x);
    x->addr = addr;
    x->size = size;
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    x->prio = (uint32_t)(s->rng >> 16);
    return t;
}

void _sim_tile_drop(struct sim_state *s, uint32_t t)
{
    s->t[t].next = s->tfree;
    s->tfree = t;
}

/* Links tile t right after tile `at` in address order (at = 0: first). */
void _sim_tile_link_after(struct sim_state *s, uint32_t at, uint32_t t)
{
    uint32_t n = at ? s->t[at].next : 0;
    if (!at) {
        /* only ever used on an empty heap */
        n = 0;
    }
    s->t[t].prev = at;
    s->t[t].next = n;
    if (at)
        s->t[at].next = t;
    if (n)
        s->t[n].prev = t;
    else
        s->last = t;
}

/* Links tile t right before tile `at`. */
void _sim_tile_link_before(struct sim_state *s, uint32_t at, uint32_t t)
{
    uint32_t p = s->t[at].prev;
    s->t[t].prev = p;
    s->t[t].next = at;
    s->t[at].prev = t;
    if (p)
        s->t[p].next = t;
}

void _sim_tile_unlink(struct sim_state *s, uint32_t t)
{
    uint32_t p = s->t[t].prev, n = s->t[t].next;
    if (p)
        s->t[p].next = n;
    if (n)
        s->t[n].prev = p;
    else
        s->last = p;
}

/* Moves the top of the used range to `top` and takes whole pages from the
 * system for it; each time the heap grows counts one extension. */
void _sim_grow_to(struct sim_state *s, uint64_t top)
{
    s->top = top;
    uint64_t heap = round_up(top, s->cfg.page);
    if (heap > s->heap) {
        s->heap = heap;
        s->m.extensions++;
    }
}

/* Bytes of the block that holds `size` requested bytes. */
static inline uint64_t block_size(const struct sim_state *s, uint64_t size)
{
    uint64_t b = round_up(s->cfg.header + size, s->cfg.align);
    return b < s->min_block ? s->min_block : b;
}

/* ---- the fit engine ---- */

/* Makes the top free tile hold at least `need` bytes by growing the heap
 * (extending the top tile if it is free) and returns it, filed in the index. */
static uint32_t extend(struct sim_state *s, uint64_t need)
{
    const struct sim_index *ix = s->policy->index;
    uint32_t last = s->last;
    uint64_t have = (last && s->t[last].free) ? s->t[last].size : 0;
    uint64_t grow = round_up(need - have, s->cfg.page);
    uint32_t t;
    if (have) {
        t = last;
        s->t[t].size += grow;
        ix->resized(s, t, s->t[t].addr, have);
    } else {
        t = _sim_tile_new(s, s->top, grow);
        if (!t)
            return 0;
        s->t[t].free = 1;
        _sim_tile_link_after(s, last, t);
    }
    s->free_bytes += grow;
    _sim_grow_to(s, s->top + grow);
    if (!have)
        ix->insert(s, t);
    return t;
}

/* Splits the bytes of free tile t from `at` on into a new free tile, filed. */
static int split_tail(struct sim_state *s, uint32_t t, uint64_t at)
{
    struct sim_tile *x = &s->t[t];
    uint64_t rest = x->addr + x->size - at;
    uint32_t r = _sim_tile_new(s, at, rest);
    if (!r)
        return -1;
    x = &s->t[t];
    x->size -= rest;
    s->t[r].free = 1;
    _sim_tile_link_after(s, t, r);
    s->policy->index->insert(s, r);
    return 0;
}

/* Places a block for `size` bytes aligned to `align` in free tile t (still
 * filed): the block starts at the first aligned offset; a front gap big
 * enough for a block stays free (filed where t was), a smaller one is padding
 * inside the block; a tail big enough for a block stays free too.  A free
 * tile keeps its place in the index whenever it can: the allocated part is
 * cut out as a new tile. */
static int place(struct sim_state *s, uint32_t t, uint32_t id, uint64_t size, uint64_t align)
{
    const struct sim_index *ix = s->policy->index;
    uint64_t addr = s->t[t].addr, tsize = s->t[t].size, end_t = addr + tsize;
    uint64_t start = round_up(addr, align);
    uint64_t end = start + block_size(s, size);
    uint32_t a;                 /* the allocated tile */
    if (start - addr >= s->min_block) {
        a = _sim_tile_new(s, start, end_t - start);
        if (!a)
            return -1;
        _sim_tile_link_after(s, t, a);
        s->t[t].size = start - addr;
        ix->resized(s, t, addr, tsize);
        if (end_t - end >= s->min_block && split_tail(s, a, end) < 0)
            return -1;
    } else if (end_t - end >= s->min_block) {
        a = _sim_tile_new(s, addr, end - addr);
        if (!a)
            return -1;
        _sim_tile_link_before(s, t, a);
        s->t[t].addr = end;
        s->t[t].size = end_t - end;
        ix->resized(s, t, addr, tsize);
    } else {
        ix->remove(s, t);
        a = t;
    }
    s->t[a].free = 0;
    s->free_bytes -= s->t[a].size;
    s->obj_tile[id] = a;
    s->obj_addr[id] = start + s->cfg.header;
    s->obj_req[id] = size;
    if (ix->placed)
        ix->placed(s, s->t[a].addr + s->t[a].size);
    return 0;
}

/* Allocates object `id`: find a free tile through the policy's index (the
 * worst-case alignment gap included), else grow the heap. */
int _sim_fit_alloc(struct sim_state *s, uint32_t id, uint64_t size, uint64_t align)
{
    if (_sim_objs_reserve(s, id) < 0)
        return -1;
    uint64_t a = align > s->cfg.align ? align : s->cfg.align;
    uint64_t need = block_size(s, size) + (a > s->cfg.align ? a : 0);
    uint32_t t = s->policy->index->find(s, need);
    if (!t)
        t = extend(s, need);
    if (!t)
        return -1;
    return place(s, t, id, size, a);
}

/* Frees tile t and merges it with free neighbours (immediate coalescing).
 * The merged block keeps the filed neighbour's place, except in the list
 * policies, where it is filed anew like any freed block. */
static void release_tile(struct sim_state *s, uint32_t t)
{
    const struct sim_index *ix = s->policy->index;
    struct sim_tile *T = s->t;
    T[t].free = 1;
    s->free_bytes += T[t].size;
    uint32_t p = T[t].prev, n = T[t].next;
    int pf = p && T[p].free, nf = n && T[n].free;
    if (ix->refile_merged || (!pf && !nf)) {
        if (pf) {
            ix->remove(s, p);
            T[p].size += T[t].size;
            _sim_tile_unlink(s, t);
            _sim_tile_drop(s, t);
            t = p;
        }
        if (nf) {
            ix->remove(s, n);
            T[t].size += T[n].size;
            _sim_tile_unlink(s, n);
            _sim_tile_drop(s, n);
        }
        ix->insert(s, t);
        return;
    }
    uint32_t keep = pf ? p : n;
    uint64_t old_addr = T[keep].addr, old_size = T[keep].size;
    if (pf && nf) {
        ix->remove(s, n);
        T[p].size += T[t].size + T[n].size;
        _sim_tile_unlink(s, n);
        _sim_tile_drop(s, n);
    } else if (pf) {
        T[p].size += T[t].size;
    } else {
        T[n].addr = T[t].addr;
        T[n].size += T[t].size;
    }
    _sim_tile_unlink(s, t);
    _sim_tile_drop(s, t);
    ix->resized(s, keep, old_addr, old_size);
}

void _sim_fit_release(struct sim_state *s, uint32_t id)
{
    release_tile(s, s->obj_tile[id]);
}

/* Gives the tail of allocated tile t from `end` on back as a free tile,
 * merged with a free next tile. */
static int shrink(struct sim_state *s, uint32_t t, uint64_t end)
{
    struct sim_tile *x = &s->t[t];
    uint64_t rest = x->addr + x->size - end;
    uint32_t n = x->next;
    if (n && s->t[n].free) {
        uint64_t old_addr = s->t[n].addr, old_size = s->t[n].size;
        s->t[n].addr -= rest;
        s->t[n].size += rest;
        x->size -= rest;
        s->free_bytes += rest;
        s->policy->index->resized(s, n, old_addr, old_size);
        return 0;
    }
    if (rest < s->min_block)
        return 0;
    if (split_tail(s, t, end) < 0)
        return -1;
    s->free_bytes += rest;
    return 0;
}

/* Resizes object `id` as the policy would: in place when it shrinks or when
 * the next block is free and big enough (at the top, the heap grows under
 * it), else a new block is allocated and the old one freed. */
int _sim_fit_resize(struct sim_state *s, uint32_t id, uint64_t size)
{
    uint32_t t = s->obj_tile[id];
    uint64_t start = s->obj_addr[id] - s->cfg.header;
    uint64_t end = start + block_size(s, size);
    struct sim_tile *x = &s->t[t];
    if (end <= x->addr + x->size) {
        s->obj_req[id] = size;
        return shrink(s, t, end);
    }
    uint32_t n = x->next;
    uint64_t tend = x->addr + x->size;
    if (!n || (s->t[n].free && !s->t[n].next && tend + s->t[n].size < end)) {
        n = extend(s, end - tend);  /* at the top the heap grows under the block */
        if (!n)
            return -1;
    }
    if (s->t[n].free && s->t[t].addr + s->t[t].size + s->t[n].size >= end) {
        s->policy->index->remove(s, n);
        s->t[t].size += s->t[n].size;
        s->free_bytes -= s->t[n].size;
        _sim_tile_unlink(s, n);
        _sim_tile_drop(s, n);
        s->obj_req[id] = size;
        return shrink(s, t, end);
    }
    if (_sim_fit_alloc(s, id, size, 0) < 0)
        return -1;
    release_tile(s, t);
    return 0;
}
