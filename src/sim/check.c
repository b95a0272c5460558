/* check.c: the invariants --check verifies after every operation on the
 * tile-based policies (the fits and the buddy system):
 *   - the tiles cover [0, top) in address order, no gap, no overlap, and
 *     top <= heap, heap a whole number of pages;
 *   - every live object lies inside its own allocated tile, after the
 *     header, aligned; no two live objects share a tile; every allocated
 *     tile belongs to a live object;
 *   - free + (live requests + headers + padding) + lost + unused top = heap,
 *     and the running counters (free bytes, live bytes) agree with the tiles;
 *   - where the policy coalesces, no two neighbouring tiles are both free;
 *   - the free index holds exactly the free tiles and is well formed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/sim.h"

/* Walks the tiles in address order: coverage, sizes, coalescing. */
static int check_cover(struct sim_state *s, uint64_t *free_sum, uint64_t *used_sum,
                       uint64_t *ntiles, char *why, size_t len)
{
    const struct sim_tile *T = s->t;
    uint32_t first = s->last;
    while (first && T[first].prev)
        first = T[first].prev;
    uint64_t at = 0;
    for (uint32_t t = first; t; t = T[t].next) {
        if (T[t].addr != at || T[t].size == 0 || T[t].size % s->cfg.align) {
            snprintf(why, len, "block at %" PRIu64 " (size %" PRIu64 ") does not follow %"
                     PRIu64, T[t].addr, T[t].size, at);
            return -1;
        }
        if (s->policy->coalesces && T[t].free && T[t].next && T[T[t].next].free) {
            snprintf(why, len, "free blocks at %" PRIu64 " and %" PRIu64 " not coalesced",
                     T[t].addr, T[T[t].next].addr);
            return -1;
        }
        *(T[t].free ? free_sum : used_sum) += T[t].size;
        at += T[t].size;
        if (++*ntiles > s->nt) {
            snprintf(why, len, "block list has a cycle");
            return -1;
        }
    }
    if (at != s->top || s->top > s->heap || s->heap % s->cfg.page) {
        snprintf(why, len, "blocks end at %" PRIu64 ", top %" PRIu64 ", heap %" PRIu64,
                 at, s->top, s->heap);
        return -1;
    }
    return 0;
}

/* Every live object inside its own allocated tile; returns the live sum. */
static int check_objects(struct sim_state *s, uint64_t *live_sum, uint64_t *nlive,
                         char *why, size_t len)
{
    const struct sim_tile *T = s->t;
    uint8_t *seen = calloc(s->nt ? s->nt : 1, 1);
    if (!seen) {
        snprintf(why, len, "out of memory in the check");
        return -1;
    }
    int rc = 0;
    for (uint32_t id = 0; id < s->ocap && rc == 0; id++) {
        if (!s->obj_live[id])
            continue;
        uint32_t t = s->obj_tile[id];
        uint64_t u = s->obj_addr[id], req = s->obj_req[id];
        if (!t || t >= s->nt || T[t].free || seen[t] || u < T[t].addr + s->cfg.header ||
            u + req > T[t].addr + T[t].size || (u - s->cfg.header) % s->cfg.align) {
            snprintf(why, len, "object %u at %" PRIu64 " (%" PRIu64 " bytes) is not alone"
                     " inside an allocated block", id, u, req);
            rc = -1;
        }
        if (rc == 0)
            seen[t] = 1;
        *live_sum += req;
        ++*nlive;
    }
    free(seen);
    return rc;
}

int _sim_tiles_check(struct sim_state *s, char *why, size_t len)
{
    uint64_t free_sum = 0, used_sum = 0, ntiles = 0, live_sum = 0, nlive = 0;
    if (check_cover(s, &free_sum, &used_sum, &ntiles, why, len) < 0)
        return -1;
    if (check_objects(s, &live_sum, &nlive, why, len) < 0)
        return -1;
    uint64_t nfree = 0;
    for (uint32_t t = s->last; t; t = s->t[t].prev)
        nfree += s->t[t].free;
    if (ntiles - nfree != nlive) {
        snprintf(why, len, "%" PRIu64 " allocated blocks for %" PRIu64 " live objects",
                 ntiles - nfree, nlive);
        return -1;
    }
    if (free_sum != s->free_bytes || live_sum != s->live ||
        free_sum + used_sum + s->lost + (s->heap - s->top) != s->heap) {
        snprintf(why, len, "free %" PRIu64 " (counted %" PRIu64 ") + used %" PRIu64
                 " + lost %" PRIu64 " != heap %" PRIu64 ", or live %" PRIu64 " != %"
                 PRIu64, free_sum, s->free_bytes, used_sum, s->lost, s->heap, live_sum,
                 s->live);
        return -1;
    }
    if (s->policy->index)
        return _sim_index_check(s, why, len);
    return _sim_buddy_check(s, why, len);
}
