/* src/tools/heap.c: the heap model info and validate share: what each
 * merged item releases and acquires, and the table of live addresses. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "tools/tools.h"

/* ---- effects ---- */

uint64_t tools_request_bytes(const struct htr_event *ev)
{
    uint64_t count = ev->op == HTR_OP_CALLOC || ev->op == HTR_OP_REALLOCARRAY ? ev->count : 1;
    if (count && ev->size > UINT64_MAX / count)
        return UINT64_MAX;
    return ev->size * count;
}

/* The rules, which docs/huskytrace.md states for users: free(p) releases p
 * (free(NULL) does nothing); an allocation acquires its non-NULL result;
 * realloc(p, n) releases p at seq and acquires the result at seq2, except
 * that a NULL result with n > 0 is a failure that keeps p live, while a NULL
 * result with n == 0 means p was freed (glibc's realloc(p, 0)). */
void tools_effect(const struct htr_event *ev, struct tools_effect *e)
{
    memset(e, 0, sizeof *e);
    switch (ev->op) {
    case HTR_OP_FREE:
        e->release = ev->ptr;
        return;
    case HTR_OP_THREAD_START:
    case HTR_OP_THREAD_EXIT:
        return;
    case HTR_OP_REALLOC:
    case HTR_OP_REALLOCARRAY:
        if (ev->phase == HTR_PHASE_ACQUIRE) {
            e->acquire = ev->result;
            e->bytes = tools_request_bytes(ev);
            return;
        }
        if (ev->result != 0 || tools_request_bytes(ev) == 0)
            e->release = ev->ptr;
        else
            e->keep = ev->ptr;
        e->requests = 1;
        if (ev->phase == HTR_PHASE_WHOLE) {     /* file order: both halves */
            e->acquire = ev->result;
            e->bytes = tools_request_bytes(ev);
        }
        return;
    default:
        e->acquire = ev->result;
        e->bytes = tools_request_bytes(ev);
        e->requests = 1;
        return;
    }
}

/* ---- live table ---- */

struct tools_live_obj {
    uint64_t addr;                 /* hash key */
    struct tools_live_info info;   /* size and origin */
    UT_hash_handle hh;             /* in tools_live.table */
    struct tools_live_obj *next;   /* in tools_live.spare */
};

int tools_live_find(struct tools_live *l, uint64_t addr, struct tools_live_info *info)
{
    struct tools_live_obj *o;
    HASH_FIND(hh, l->table, &addr, sizeof addr, o);
    if (!o)
        return 0;
    if (info)
        *info = o->info;
    return 1;
}

int tools_live_add(struct tools_live *l, uint64_t addr, const struct tools_live_info *info)
{
    struct tools_live_obj *o = l->spare;
    if (o)
        l->spare = o->next;
    else if (!(o = malloc(sizeof *o)))
        return -1;
    memset(o, 0, sizeof *o);
    o->addr = addr;
    o->info = *info;
    HASH_ADD(hh, l->table, addr, sizeof o->addr, o);
    l->bytes += info->size;
    l->count++;
    return 0;
}

int tools_live_remove(struct tools_live *l, uint64_t addr)
{
    struct tools_live_obj *o;
    HASH_FIND(hh, l->table, &addr, sizeof addr, o);
    if (!o)
        return 0;
    HASH_DEL(l->table, o);
    l->bytes -= o->info.size;
    l->count--;
    o->next = l->spare;
    l->spare = o;
    return 1;
}

void tools_live_free(struct tools_live *l)
{
    struct tools_live_obj *o, *tmp;
    HASH_ITER(hh, l->table, o, tmp) {
        HASH_DEL(l->table, o);
        free(o);
    }
    while ((o = l->spare)) {
        l->spare = o->next;
        free(o);
    }
    memset(l, 0, sizeof *l);
}
