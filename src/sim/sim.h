/* huskysim internals (sim_): the model heap, the placement policies, the
 * metrics and the trace loader.  One header for the whole module; each group
 * of prototypes names the file that defines it.
 *
 * Model.  A policy manages one model heap: the address range [0, top) of
 * "offsets", grown at the top in whole pages.  Offsets are what the model
 * computes with; the heap's real base is imagined so that base + header is
 * aligned to every power of two, hence a user address u = start + header is
 * aligned to A exactly when the block start is a multiple of A.  A block is
 * header + request rounded up to the alignment (never less than min_block,
 * room for a header and two free-list links).  Nothing is read or written:
 * only offsets and sizes move.
 *
 * The trace is first turned into a stream of sim_op (dense object ids, sizes
 * known at free), then every policy runs the same stream batch by batch.
 */
#ifndef HUSKY_SIM_H
#define HUSKY_SIM_H

#include <stddef.h>
#include <stdint.h>

#define SIM_NCLASS 176          /* size classes: 16-byte steps to 64, then 4 per doubling */
#define SIM_MAX_SIZE (1ull << 46) /* larger requests cannot have succeeded: bad input */
#define SIM_SAMPLES 256         /* heap/live samples kept per policy (sim_heap.csv) */

/* ---- the operation stream ---- */

enum sim_op_kind {
    SIM_OP_ALLOC = 1,           /* new object `id` of `size` bytes */
    SIM_OP_FREE = 2,            /* object `id` (of `size` bytes) goes */
    SIM_OP_REALLOC = 3          /* object `id` changes from `old_size` to `size` bytes */
};

/* One operation on a dense object id.  Ids are recycled after a free, so
 * they stay below the number of objects live at once. */
struct sim_op {
    uint64_t size;              /* bytes requested (new size for realloc, freed bytes) */
    uint64_t old_size;          /* realloc: bytes before; else 0 */
    uint32_t id;                /* object id */
    uint8_t kind;               /* enum sim_op_kind */
    uint8_t align_log2;         /* alloc: log2 of the alignment asked, 0 = default */
};

/* ---- configuration ---- */

struct sim_config {
    uint64_t header;            /* bytes of header per block (boundary tag) */
    uint64_t align;             /* default alignment of user addresses (power of 2) */
    uint64_t page;              /* growth unit of the heap (power of 2) */
    int check;                  /* verify invariants after every operation */
};

/* ---- tiles: the blocks of a boundary-tag heap ---- */

/* A block of the model heap.  Invariant: the tiles of a heap, linked by
 * prev/next, cover [0, top) in address order with no gap and no overlap.
 * A free tile is in exactly one free index, which owns l, r, prio and maxsz
 * (list links or tree children).  Index 0 is the null tile (size 0). */
struct sim_tile {
    uint64_t addr;              /* offset of the block's first byte */
    uint64_t size;              /* bytes of the block */
    uint64_t maxsz;             /* trees: largest size in this subtree */
    uint64_t stamp;             /* FIFO/LIFO: filing stamp; best fit: generation */
    uint32_t prev, next;        /* neighbours in address order (0 = none) */
    uint32_t l, r;              /* free index: list prev/next or tree children */
    uint32_t prio;              /* trees: heap priority (treap) */
    uint8_t free;               /* 1 when free */
    uint8_t cls;                /* segregated fits: class; buddy: order */
};

struct sim_state;
struct sim_bf;

/* How a fit policy finds and files its free tiles. */
struct sim_index {
    void (*insert)(struct sim_state *s, uint32_t t);   /* file a free tile */
    void (*remove)(struct sim_state *s, uint32_t t);   /* unfile it */
    uint32_t (*find)(struct sim_state *s, uint64_t need); /* tile of >= need, or 0 */
    void (*placed)(struct sim_state *s, uint64_t end);  /* after a placement (next fit) */
    /* a filed tile now covers a different range that crosses no other free
     * tile (so address order holds); it was at old_addr with old_size */
    void (*resized)(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size);
    int refile_merged;          /* a block grown by a free is filed anew (LIFO, FIFO) */
    unsigned mt_eager;          /* max tree levels kept exact (struct sim_mtree) */
};

/* A placement policy. */
struct sim_policy {
    const char *name;           /* -p name */
    const char *title;          /* one line for --help and docs */
    int coalesces;              /* free neighbours never stay apart */
    const struct sim_index *index; /* fit policies: their free index, else NULL */
    int (*init)(struct sim_state *s);
    int (*alloc)(struct sim_state *s, uint32_t id, uint64_t size, uint64_t align);
    void (*release)(struct sim_state *s, uint32_t id);
    int (*resize)(struct sim_state *s, uint32_t id, uint64_t size);
    int (*check)(struct sim_state *s, char *why, size_t len);
    void (*fini)(struct sim_state *s);
};

/* A max tree over positions (mtree.c): lv[0][p] is the value at position p
 * (0 = empty) and tile[p] the tile there (stale when empty); lv[i + 1][j]
 * is the maximum of lv[i][16 j .. 16 j + 15]; the top level lv[nlv - 1] is
 * one group of 16. */
#define SIM_MT_LEVELS 16        /* 16^16 positions: more than any heap */
#define SIM_MT_VMAX 0x7fffffffu /* values saturate here (signed SIMD compares) */
#define SIM_MT_NONE UINT64_MAX  /* no position found */
#define SIM_MT_ADDR_LIMIT (1ull << 24) /* address granules at most (else the treap) */
struct sim_mtree {
    uint32_t *lv[SIM_MT_LEVELS]; /* the levels, leaves first */
    uint32_t *tile;             /* position -> tile */
    uint64_t cap;               /* positions (a power of 2, at least 16) */
    unsigned nlv;               /* levels in use */
    unsigned eager;             /* levels kept exact on a lowering (mtree.c) */
};

/* One size class of simple segregated storage: a stack of free blocks. */
struct sim_stack {
    uint64_t *v;                /* free block offsets, lowest popped first */
    size_t n, cap;              /* used, allocated */
};

/* A run of simple segregated storage: whole pages cut into blocks of one class. */
struct sim_run {
    uint64_t addr, size;        /* the run's pages */
    uint64_t block;             /* block size of its class */
};

/* What is measured of one policy over one trace. */
struct sim_metrics {
    uint64_t ops;               /* operations simulated */
    uint64_t heap_max;          /* heap high-water mark (bytes) */
    uint64_t live_max;          /* live bytes high-water mark */
    uint64_t heap_at_live_max;  /* heap when live first reached live_max */
    uint64_t live_at_heap_max;  /* live when heap first reached heap_max */
    double heap_sum, live_sum;  /* sums over operations (time averages) */
    uint64_t extensions;        /* times the heap grew */
    double seconds;             /* time spent in the policy */
    uint64_t stride;            /* operations between samples */
    uint64_t next_sample;       /* operation count of the next sample */
    uint32_t nsamples;          /* samples kept */
    uint64_t sample_op[SIM_SAMPLES];   /* operation index of each sample */
    uint64_t sample_heap[SIM_SAMPLES]; /* heap bytes then */
    uint64_t sample_live[SIM_SAMPLES]; /* live bytes then */
};

/* One policy's model heap and its bookkeeping. */
struct sim_state {
    const struct sim_policy *policy; /* what runs */
    struct sim_config cfg;      /* parameters */
    uint64_t min_block;         /* smallest block: header + two links, aligned */
    /* the heap */
    uint64_t top;               /* end of the used range (offset) */
    uint64_t heap;              /* bytes obtained: top rounded up to pages */
    uint64_t free_bytes;        /* bytes in free blocks (fit, buddy, segregated) */
    uint64_t lost;              /* bytes in no block: run tails, alignment pads */
    uint64_t live;              /* bytes requested by live objects */
    uint64_t rng;               /* xorshift state (treap priorities) */
    /* tiles */
    struct sim_tile *t;         /* tile pool, t[0] is the null tile */
    uint32_t nt, tcap;          /* tiles used (incl. recycled), allocated */
    uint32_t tfree;             /* recycled tiles, chained by next */
    uint32_t last;              /* highest tile (0 = empty heap) */
    /* objects */
    uint32_t *obj_tile;         /* id -> tile (tile policies) */
    uint64_t *obj_addr;         /* id -> user offset */
    uint64_t *obj_req;          /* id -> bytes requested */
    uint8_t *obj_cls;           /* id -> class (segregated storage) */
    uint8_t *obj_live;          /* id -> 1 while live (kept for --check) */
    uint32_t ocap;              /* objects allocated */
    /* free indexes */
    uint32_t root;              /* trees */
    uint32_t head, tail;        /* lists */
    uint64_t rover;             /* next fit: where the last search ended */
    uint64_t stamp_next;        /* FIFO/LIFO: the next filing stamp */
    struct sim_mtree mt;        /* first fits: max tree over granules or stamps */
    unsigned mt_shift;          /* address positions: offset >> mt_shift */
    unsigned v_shift;           /* max tree values: size >> v_shift (alignment units) */
    uint64_t mt_filed;          /* positions occupied (stamp trees) */
    int mt_off;                 /* address policies: heap too big, treap instead */
    struct sim_bf *bf;          /* best fit: exact-size bins (bestfit.c) */
    uint32_t cls_head[SIM_NCLASS > 64 ? SIM_NCLASS : 64]; /* class/order lists */
    uint64_t bitmap[(SIM_NCLASS + 63) / 64]; /* non-empty class/order lists */
    /* simple segregated storage */
    struct sim_stack stacks[SIM_NCLASS]; /* free blocks per class */
    struct sim_run *runs;       /* every run carved, in address order */
    size_t nruns, rcap;
    /* results */
    struct sim_metrics m;
    const char *error;          /* why the model failed (out of memory) */
};

/* ---- heap.c: state, tiles, the generic fit engine ---- */
void *_sim_grow(void *p, size_t old_bytes, size_t new_bytes, int zero);
void _sim_free(void *p);
int sim_state_init(struct sim_state *s, const struct sim_policy *p,
                   const struct sim_config *cfg);
void sim_state_fini(struct sim_state *s);
int _sim_objs_reserve(struct sim_state *s, uint32_t id);
uint32_t _sim_tile_new(struct sim_state *s, uint64_t addr, uint64_t size);
void _sim_tile_drop(struct sim_state *s, uint32_t t);
void _sim_tile_link_after(struct sim_state *s, uint32_t at, uint32_t t);
void _sim_tile_link_before(struct sim_state *s, uint32_t at, uint32_t t);
void _sim_tile_unlink(struct sim_state *s, uint32_t t);
void _sim_grow_to(struct sim_state *s, uint64_t top);
int _sim_fit_alloc(struct sim_state *s, uint32_t id, uint64_t size, uint64_t align);
void _sim_fit_release(struct sim_state *s, uint32_t id);
int _sim_fit_resize(struct sim_state *s, uint32_t id, uint64_t size);
uint64_t sim_obj_addr(const struct sim_state *s, uint32_t id);

/* ---- tree.c: treaps over free tiles ---- */
enum sim_tree_order {
    SIM_BY_ADDR = 0,            /* address (first fit, next fit) */
    SIM_BY_SIZE = 1             /* (size, address) (best fit's large blocks) */
};
void _sim_tree_insert(struct sim_state *s, uint32_t t, int by);
void _sim_tree_remove(struct sim_state *s, uint32_t t, int by);
void _sim_tree_fix(struct sim_state *s, uint32_t t, int by);
void _sim_tree_rekey(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size);
uint32_t _sim_tree_first_fit(const struct sim_state *s, uint64_t need);
uint32_t _sim_tree_next_fit(const struct sim_state *s, uint64_t from, uint64_t need);
uint32_t _sim_tree_best_fit(const struct sim_state *s, uint64_t need);
int _sim_tree_check(const struct sim_state *s, int by, uint64_t *count, char *why,
                    size_t len);

/* ---- mtree.c: the max tree of the first fits ---- */
int _sim_mt_init(struct sim_mtree *mt);
void _sim_mt_fini(struct sim_mtree *mt);
int _sim_mt_reserve(struct sim_mtree *mt, uint64_t pos);
void _sim_mt_set(struct sim_mtree *mt, uint64_t pos, uint32_t v, uint32_t t);
void _sim_mt_revalue(struct sim_mtree *mt, uint64_t pos, uint32_t v);
void _sim_mt_move(struct sim_mtree *mt, uint64_t from, uint64_t to, uint32_t v, uint32_t t);
uint64_t _sim_mt_first_from(struct sim_mtree *mt, uint64_t p, uint32_t n);
uint64_t _sim_mt_first(struct sim_mtree *mt, uint32_t n);
uint64_t _sim_mt_last(struct sim_mtree *mt, uint32_t n);
uint64_t _sim_mt_last_before(struct sim_mtree *mt, uint64_t p, uint32_t n);
uint64_t _sim_mt_compact(struct sim_mtree *mt, uint64_t end,
                         void (*renum)(void *ctx, uint32_t t, uint64_t pos), void *ctx);
int _sim_mt_check(const struct sim_mtree *mt, uint64_t *count, char *why, size_t len);

/* ---- bestfit.c: the best-fit index ---- */
#define SIM_BF_BINS 4096        /* exact-size bins, in alignment units (64 x 64 bits) */
int _sim_bf_init(struct sim_state *s);
void _sim_bf_fini(struct sim_state *s);
void _sim_bf_insert(struct sim_state *s, uint32_t t);
void _sim_bf_remove(struct sim_state *s, uint32_t t);
void _sim_bf_resized(struct sim_state *s, uint32_t t, uint64_t old_addr, uint64_t old_size);
uint32_t _sim_bf_find(struct sim_state *s, uint64_t need);
int _sim_bf_check(struct sim_state *s, uint64_t *count, char *why, size_t len);

/* ---- fit.c: first, next, best and segregated fits ---- */
uint32_t sim_class_of(uint64_t size);
uint64_t sim_class_size(uint32_t cls);
int _sim_index_check(struct sim_state *s, char *why, size_t len);
extern const struct sim_policy sim_ff_lifo, sim_ff_fifo, sim_ff_addr, sim_next_fit,
    sim_best_fit, sim_seg_fit;

/* ---- buddy.c: binary buddy ---- */
extern const struct sim_policy sim_buddy;

/* ---- segstore.c: simple segregated storage ---- */
extern const struct sim_policy sim_simple_seg;

/* ---- check.c: invariants ---- */
int _sim_tiles_check(struct sim_state *s, char *why, size_t len);
int _sim_buddy_check(struct sim_state *s, char *why, size_t len);

/* ---- policy.c: the table of policies and the run loop ---- */
extern const struct sim_policy *const sim_policies[];
const struct sim_policy *sim_policy_find(const char *name);
int sim_run_ops(struct sim_state *s, const struct sim_op *ops, size_t n, char *why,
                size_t len);
void sim_metrics_begin(struct sim_state *s);
void sim_metrics_finish(struct sim_state *s);
double sim_frag_max_over_max(const struct sim_metrics *m);
double sim_frag_at_live_max(const struct sim_metrics *m);
double sim_frag_at_heap_max(const struct sim_metrics *m);
double sim_frag_mean(const struct sim_metrics *m);

#endif
