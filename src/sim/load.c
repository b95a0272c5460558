/* load.c: turns a trace (merged global order) into the operation stream the
 * policies run: addresses become dense object ids (uthash map, ids recycled
 * after free), frees learn the size they release, and each realloc-family
 * event, which the reader gives twice, becomes one resize at its ACQUIRE half.
 * The RELEASE half only takes the old address out of the map (another thread
 * may be handed the same address before the realloc returns) and parks the
 * object with its thread until the ACQUIRE half.
 * Events a replayable trace cannot contain (a free of an address never handed
 * out, an address handed out twice) are counted and skipped, not fatal; in
 * a trace of a forked child (HTR_F_INHERITED) frees of inherited objects are
 * expected and not counted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/load.h"

#define uthash_fatal(msg) abort()
#include <uthash.h>

/* A live object of the trace. */
struct obj {
    uint64_t addr;              /* its address in the traced process (key) */
    uint64_t size;              /* bytes requested */
    uint32_t id;                /* dense object id */
    UT_hash_handle hh;          /* uthash */
};

/* Entries come from slabs and are recycled through a free chain, so the
 * map costs no malloc per event. */
static struct obj *obj_new(struct sim_loader *L)
{
    struct obj *o = L->spare;
    if (o) {
        L->spare = o->hh.next;
        return o;
    }
    if (L->slab_used == L->slab_len) {
        struct sim_slab *sl = malloc(sizeof *sl);
        if (!sl)
            return NULL;
        sl->next = L->slabs;
        L->slabs = sl;
        L->slab_used = 0;
        L->slab_len = sizeof sl->mem / sizeof(struct obj);
    }
    return (struct obj *)L->slabs->mem + L->slab_used++;
}

static void obj_put(struct sim_loader *L, struct obj *o)
{
    o->hh.next = L->spare;
    L->spare = o;
}

static uint32_t id_new(struct sim_loader *L)
{
    return L->nfree_ids ? L->free_ids[--L->nfree_ids] : L->next_id++;
}

static int id_put(struct sim_loader *L, uint32_t id)
{
    if (L->nfree_ids == L->cap_ids) {
        size_t cap = L->cap_ids ? 2 * L->cap_ids : 1024;
        uint32_t *v = realloc(L->free_ids, cap * sizeof *v);
        if (!v)
            return -1;
        L->free_ids = v;
        L->cap_ids = cap;
    }
    L->free_ids[L->nfree_ids++] = id;
    return 0;
}

/* Opens `path`.  Returns 0, or -1 with why filled (bad or missing trace). */
int sim_load_open(struct sim_loader *L, const char *path, char *why, size_t len)
{
    struct htr_error err;
    memset(L, 0, sizeof *L);
    L->path = path;
    L->r = htr_open(path, 0, &err);
    if (!L->r) {
        snprintf(why, len, "%s", err.msg);
        return -1;
    }
    const struct htr_info *info = htr_reader_info(L->r);
    L->inherited = (info->header.flags & HTR_F_INHERITED) != 0;
    L->page = info->header.page_size && !(info->header.page_size & (info->header.page_size - 1))
                  ? info->header.page_size : 4096;
    return 0;
}

void sim_load_close(struct sim_loader *L)
{
    struct obj *o, *tmp;
    HASH_ITER(hh, L->map, o, tmp) {
        HASH_DEL(L->map, o);
    }
    while (L->slabs) {
        struct sim_slab *n = L->slabs->next;
        free(L->slabs);
        L->slabs = n;
    }
    free(L->free_ids);
    free(L->pending);
    if (L->r)
        htr_close(L->r);
    memset(L, 0, sizeof *L);
}

/* ---- event to operations ---- */

static struct obj *find(struct sim_loader *L, uint64_t addr)
{
    struct obj *o;
    HASH_FIND(hh, L->map, &addr, sizeof addr, o);
    return o;
}

/* Maps addr to a new object of `size`; an address still live loses its old
 * object first (a free the trace missed). */
static int map_new(struct sim_loader *L, uint64_t addr, uint64_t size, uint32_t id)
{
    struct obj *o = obj_new(L);
    if (!o)
        return -1;
    o->addr = addr;
    o->size = size;
    o->id = id;
    HASH_ADD(hh, L->map, addr, sizeof o->addr, o);
    return 0;
}

static void emit(struct sim_loader *L, int kind, uint32_t id, uint64_t size, uint64_t old,
                 unsigned align_log2)
{
    struct sim_op *op = &L->out[L->nout++];
    op->size = size;
    op->old_size = old;
    op->id = id;
    op->kind = (uint8_t)kind;
    op->align_log2 = (uint8_t)align_log2;
}

/* Removes the object at addr (emitting its free when `free_it`). */
static int drop(struct sim_loader *L, struct obj *o, int free_it)
{
    HASH_DEL(L->map, o);
    if (free_it) {
        emit(L, SIM_OP_FREE, o->id, o->size, 0, 0);
        if (id_put(L, o->id) < 0)
            return -1;
    }
    obj_put(L, o);
    return 0;
}

/* A new object at `addr`: its allocation op (and a free of a stale object). */
static int acquire(struct sim_loader *L, uint64_t addr, uint64_t size, unsigned align_log2)
{
    struct obj *o = find(L, addr);
    if (o) {
        L->anomalies++;
        if (drop(L, o, 1) < 0)
            return -1;
    }
    uint32_t id = id_new(L);
    emit(L, SIM_OP_ALLOC, id, size, 0, align_log2);
    return map_new(L, addr, size, id);
}

static unsigned log2_up(uint64_t x)
{
    return x <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(x - 1);
}

/* Bytes asked by an event, or UINT64_MAX when impossible. */
static uint64_t request(const struct htr_event *ev, uint64_t page)
{
    uint64_t n = ev->size;
    if (ev->op == HTR_OP_CALLOC || ev->op == HTR_OP_REALLOCARRAY) {
        if (ev->count && n > UINT64_MAX / ev->count)
            return UINT64_MAX;
        n *= ev->count;
    }
    if (ev->op == HTR_OP_PVALLOC)
        n = n ? (n + page - 1) & ~(page - 1) : page;
    return n > SIM_MAX_SIZE ? UINT64_MAX : n;
}

static struct sim_pending *pending(struct sim_loader *L, uint32_t thread)
{
    if (thread >= L->npending) {
        size_t n = thread + 16;
        struct sim_pending *p = realloc(L->pending, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + L->npending, 0, (n - L->npending) * sizeof *p);
        L->pending = p;
        L->npending = n;
    }
    return &L->pending[thread];
}

/* The RELEASE half of a realloc: park the old object with its thread. */
static int realloc_release(struct sim_loader *L, const struct htr_event *ev)
{
    struct sim_pending *p = pending(L, ev->thread);
    if (!p)
        return -1;
    p->has = 0;
    if (!ev->ptr)
        return 0;
    struct obj *o = find(L, ev->ptr);
    if (!o) {
        L->anomalies += !L->inherited;
        return 0;
    }
    p->has = 1;
    p->id = o->id;
    p->size = o->size;
    return drop(L, o, 0);
}

/* The ACQUIRE half: resize, free (size 0), failure (old stays) or malloc. */
static int realloc_acquire(struct sim_loader *L, const struct htr_event *ev, uint64_t size)
{
    struct sim_pending *p = pending(L, ev->thread);
    if (!p)
        return -1;
    int had = p->has;
    p->has = 0;
    if (!had)
        return ev->result ? acquire(L, ev->result, size, 0) : 0;
    if (ev->result) {
        struct obj *o = find(L, ev->result);
        if (o) {
            L->anomalies++;
            if (drop(L, o, 1) < 0)
                return -1;
        }
        emit(L, SIM_OP_REALLOC, p->id, size, p->size, 0);
        return map_new(L, ev->result, size, p->id);
    }
    if (ev->size == 0 || size == 0) {
        emit(L, SIM_OP_FREE, p->id, p->size, 0, 0);
        return id_put(L, p->id);
    }
    return map_new(L, ev->ptr, p->size, p->id);   /* failed: the old block stays */
}

static int on_free(struct sim_loader *L, const struct htr_event *ev)
{
    if (!ev->ptr)
        return 0;
    struct obj *o = find(L, ev->ptr);
    if (!o) {
        L->anomalies += !L->inherited;
        return 0;
    }
    return drop(L, o, 1);
}

/* Turns one event into zero, one or two operations. */
static int convert(struct sim_loader *L, const struct htr_event *ev)
{
    uint64_t size = request(ev, L->page);
    switch (ev->op) {
    case HTR_OP_FREE:
        return on_free(L, ev);
    case HTR_OP_REALLOC:
    case HTR_OP_REALLOCARRAY:
        if (size == UINT64_MAX && ev->result) {
            L->anomalies++;
            return 0;
        }
        if (ev->phase != HTR_PHASE_ACQUIRE && realloc_release(L, ev) < 0)
            return -1;
        return ev->phase != HTR_PHASE_RELEASE ? realloc_acquire(L, ev, size) : 0;
    case HTR_OP_THREAD_START:
    case HTR_OP_THREAD_EXIT:
        return 0;
    default:
        break;
    }
    if (!ev->result)
        return 0;
    unsigned al = 0;
    if (ev->op == HTR_OP_MEMALIGN || ev->op == HTR_OP_POSIX_MEMALIGN ||
        ev->op == HTR_OP_ALIGNED_ALLOC)
        al = log2_up(ev->align);
    else if (ev->op == HTR_OP_VALLOC || ev->op == HTR_OP_PVALLOC)
        al = log2_up(L->page);
    if (size == UINT64_MAX || al > 30) {
        L->anomalies++;
        return 0;
    }
    return acquire(L, ev->result, size, al);
}

/* Fills ops[0..cap) (cap >= 2).  Returns the number filled (0 at the end of
 * the trace) or -1 with why filled: a damaged record, or out of memory. */
long sim_load_next(struct sim_loader *L, struct sim_op *ops, size_t cap, char *why,
                   size_t len)
{
    struct htr_event ev;
    struct htr_error err;
    L->out = ops;
    L->nout = 0;
    while (L->nout + 2 <= cap) {
        int rc = htr_next(L->r, &ev, &err);
        if (rc < 0) {
            snprintf(why, len, "%s", err.msg);
            return -1;
        }
        if (rc == 0)
            break;
        L->events++;
        if (convert(L, &ev) < 0) {
            snprintf(why, len, "%s: out of memory", L->path);
            return -1;
        }
    }
    return (long)L->nout;
}
