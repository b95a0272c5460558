/* load.h: the trace loader of huskysim (load.c): a trace in, sim_op batches out. */
#ifndef HUSKY_SIM_LOAD_H
#define HUSKY_SIM_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"
#include "trace/trace.h"

struct obj;

/* Memory for map entries, 64 KiB at a time. */
struct sim_slab {
    struct sim_slab *next;      /* older slab */
    _Alignas(16) unsigned char mem[65536]; /* entries */
};

/* A realloc between its two halves, per thread. */
struct sim_pending {
    uint64_t size;              /* bytes of the old object */
    uint32_t id;                /* its object id */
    int has;                    /* 1 while parked */
};

/* The state of one trace being converted. */
struct sim_loader {
    const char *path;           /* the trace */
    struct htr_reader *r;       /* its reader (merged order) */
    uint64_t page;              /* page size of the traced process */
    int inherited;              /* HTR_F_INHERITED: unknown frees are expected */
    struct obj *map;            /* live objects by address (uthash) */
    struct sim_slab *slabs;     /* entry memory */
    size_t slab_used, slab_len; /* entries used in the newest slab, capacity */
    struct obj *spare;          /* recycled entries */
    uint32_t *free_ids;         /* recycled object ids */
    size_t nfree_ids, cap_ids;
    uint32_t next_id;           /* first id never used */
    struct sim_pending *pending; /* by thread index */
    size_t npending;
    struct sim_op *out;         /* batch being filled */
    size_t nout;
    uint64_t events;            /* trace events read */
    uint64_t anomalies;         /* events skipped as impossible */
};

int sim_load_open(struct sim_loader *L, const char *path, char *why, size_t len);
long sim_load_next(struct sim_loader *L, struct sim_op *ops, size_t cap, char *why,
                   size_t len);
void sim_load_close(struct sim_loader *L);

#endif
