/* tests/fuzz/plan_walk.h: the fuzz oracle for a mapped replay plan.
 *
 * rp_plan_map promises that a plan it accepts has every section inside the
 * file, so the worker may index them without further checks.  plan_walk
 * proves that promise for one plan with overflow-free arithmetic and then
 * touches the first and last entry of every range the worker reads (an
 * out-of-range one faults or trips AddressSanitizer).
 */
#ifndef HUSKY_FUZZ_PLAN_WALK_H
#define HUSKY_FUZZ_PLAN_WALK_H

#include <stdio.h>
#include <stdlib.h>

#include "replay/rp.h"

/* Whether n entries of `each` bytes at p lie inside the mapping. */
static int plan_in_map(const struct rp_plan *pl, const void *p, uint64_t n, size_t each)
{
    uintptr_t lo = (uintptr_t)pl->h, hi = lo + pl->map_size, at = (uintptr_t)p;
    unsigned __int128 end = (unsigned __int128)at + (unsigned __int128)n * each;
    return at >= lo && at <= hi && end <= hi;
}

static void plan_bad(const char *what, uint64_t t)
{
    fprintf(stderr, "plan_walk: rp_plan_map accepted a plan whose %s (thread %llu) lies "
            "outside the file\n", what, (unsigned long long)t);
    abort();
}

/* Checks and touches every section of an accepted plan; returns a value
 * derived from the bytes read so the reads are not optimised away. */
static uint64_t plan_walk(const struct rp_plan *pl)
{
    const struct rp_plan_header *h = pl->h;
    volatile uint64_t sum = 0;
    if (!plan_in_map(pl, pl->threads, h->threads, sizeof *pl->threads) ||
        !plan_in_map(pl, pl->ops, h->ops, sizeof *pl->ops) ||
        !plan_in_map(pl, pl->deps, h->deps, sizeof *pl->deps) ||
        !plan_in_map(pl, pl->exts, h->exts, sizeof *pl->exts) ||
        !plan_in_map(pl, pl->runs, h->runs, sizeof *pl->runs) ||
        !plan_in_map(pl, pl->live, RP_LIVE_POINTS + 1, sizeof *pl->live))
        plan_bad("section table", 0);
    for (uint64_t t = 0; t < h->threads; t++) {
        const struct rp_plan_thread *pt = &pl->threads[t];
        const struct rp_op *ops = pl->ops + pt->op_first;
        const struct rp_dep *deps = pl->deps + pt->dep_first;
        const struct rp_ext *exts = pl->exts + pt->ext_first;
        if (!plan_in_map(pl, ops, pt->ops, sizeof *ops) || pt->op_first > h->ops)
            plan_bad("ops", t);
        if (!plan_in_map(pl, deps, pt->deps, sizeof *deps) || pt->dep_first > h->deps)
            plan_bad("dependencies", t);
        if (!plan_in_map(pl, exts, pt->exts, sizeof *exts) || pt->ext_first > h->exts)
            plan_bad("wide arguments", t);
        if (pt->ops)
            sum += ops[0].obj + ops[pt->ops - 1].size;
        if (pt->deps)
            sum += deps[0].thread + deps[pt->deps - 1].done;
        if (pt->exts)
            sum += exts[0].size + exts[pt->exts - 1].arg;
    }
    if (h->runs)
        sum += pl->runs[0] + pl->runs[h->runs - 1];
    sum += pl->live[0] + pl->live[RP_LIVE_POINTS];
    return sum;
}

#endif
