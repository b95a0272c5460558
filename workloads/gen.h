/* huskygen internals (gen_): the event emitter with its model allocator, the
 * random numbers, and the workloads.
 *
 * A workload is a loop that decides, in one global order, which thread does
 * what next.  Every malloc-family call goes through gen_malloc/gen_free/...,
 * which picks an address from a small model allocator (so an address is
 * handed out again only after it was freed, like a real heap), gives the
 * event the next order key and appends it to the trace.  Because the keys
 * follow the generation order, the ordering invariant of the trace format
 * holds by construction and cross-thread frees always come after their
 * allocation.
 */
#ifndef HUSKY_GEN_H
#define HUSKY_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

#define GEN_MAX_THREADS 256u

/* A live object as the workload sees it. */
struct gen_obj {
    uintptr_t addr;            /* what the call returned (0: no object) */
    uintptr_t base;            /* start of its model block (addr for most) */
    size_t size;               /* bytes requested (count * size for calloc) */
    size_t bsize;              /* size of the model block */
    uint32_t owner;            /* thread that allocated it */
};

/* The generator: writer, clock, model heap, counters. */
struct gen {
    struct htr_writer *w;      /* output trace (NULL once closed) */
    int failed;                /* a write failed; err holds why */
    struct htr_error err;      /* the first write error */
    uint64_t key;              /* last order key handed out */
    uint64_t rng[4];           /* xoshiro256** state */
    uint32_t threads;          /* threads of this trace */
    uint64_t ops;              /* allocations the workload should make */
    uint64_t count[HTR_OP_COUNT]; /* events written, per op */
    uint64_t live_bytes;       /* bytes requested and not yet freed */
    uint64_t live_max;         /* high-water mark of live_bytes */
    struct gen_bin *bins;      /* uthash: free blocks by block size */
    uintptr_t small_top;       /* bump pointer of the small-block region */
    uintptr_t large_top;       /* bump pointer of the large-block region */
};

/* One workload: its name, defaults and generator. */
struct gen_workload {
    const char *name;          /* as given on the command line */
    const char *what;          /* one line for --list */
    uint32_t min_threads;      /* fewest threads it makes sense with */
    uint32_t def_threads;      /* default --threads */
    void (*run)(struct gen *g);/* emits the whole workload */
};

/* ---- gen_core.c ---- */
void gen_init(struct gen *g, uint64_t seed, uint32_t threads, uint64_t ops);
void gen_set_writer(struct gen *g, struct htr_writer *w);
void *gen_xcalloc(size_t n, size_t size);
void *gen_xrealloc(void *p, size_t n, size_t size);
void gen_fini(struct gen *g);
uint64_t gen_rand(struct gen *g);
uint64_t gen_uniform(struct gen *g, uint64_t lo, uint64_t hi);
uint64_t gen_log_uniform(struct gen *g, uint64_t lo, uint64_t hi);
uint64_t gen_heavy(struct gen *g, uint64_t scale, unsigned max_exp);
int gen_chance(struct gen *g, unsigned percent);
void gen_thread_start(struct gen *g, uint32_t t);
void gen_thread_exit(struct gen *g, uint32_t t);
void gen_start_all(struct gen *g);
void gen_exit_workers(struct gen *g);
void gen_malloc(struct gen *g, uint32_t t, size_t size, struct gen_obj *o);
void gen_calloc(struct gen *g, uint32_t t, size_t count, size_t size, struct gen_obj *o);
void gen_memalign(struct gen *g, uint32_t t, unsigned op, size_t align, size_t size,
                  struct gen_obj *o);
void gen_realloc(struct gen *g, uint32_t t, struct gen_obj *o, size_t size);
void gen_free(struct gen *g, uint32_t t, struct gen_obj *o);
uint64_t gen_allocs(const struct gen *g);

/* ---- gen_single.c ---- */
void gen_seed004_ints(struct gen *g);
void gen_seed001_frag(struct gen *g);
void gen_random_mix(struct gen *g);
void gen_realloc_grow(struct gen *g);

/* ---- gen_threads.c ---- */
void gen_media_pipeline(struct gen *g);
void gen_server(struct gen *g);
void gen_producer_consumer(struct gen *g);
void gen_false_sharing(struct gen *g);

#endif
