/* gen_threads.c: workloads whose objects cross threads: media-pipeline,
 * server, producer-consumer and false-sharing.  A free of an object that
 * another thread allocated is what makes allocators with per-thread caches
 * work hard (remote frees), so each of these has them by design. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "workloads/gen.h"

/* A bounded FIFO of objects handed from one thread to another. */
struct fifo {
    struct gen_obj *a;         /* ring of cap slots */
    size_t cap, head, n;       /* capacity, oldest slot, entries */
};

static void fifo_init(struct fifo *q, size_t cap)
{
    q->a = gen_xcalloc(cap, sizeof *q->a);
    q->cap = cap;
    q->head = q->n = 0;
}

static void fifo_push(struct fifo *q, const struct gen_obj *o)
{
    q->a[(q->head + q->n++) % q->cap] = *o;
}

static struct gen_obj *fifo_front(struct fifo *q)
{
    return &q->a[q->head];
}

static void fifo_drop(struct fifo *q)
{
    q->head = (q->head + 1) % q->cap;
    q->n--;
}

/* ---- media-pipeline ---- */

#define MEDIA_RING 16u         /* frames the shared buffer holds */

/* One decoded frame: an image and its caption. */
struct media_frame {
    struct gen_obj image;      /* 100 KiB to 8 MiB */
    struct gen_obj caption;    /* 20 to 500 bytes */
};

/* A loader decodes one frame: a scratch buffer now and then, the image, the
 * caption. */
static void media_load(struct gen *g, uint32_t t, struct media_frame *f)
{
    struct gen_obj scratch;
    int use_scratch = gen_chance(g, 50);
    if (use_scratch)
        gen_malloc(g, t, gen_uniform(g, 4096, 65536), &scratch);
    gen_malloc(g, t, gen_log_uniform(g, 100 * 1024, 8 * 1024 * 1024), &f->image);
    if (use_scratch)
        gen_free(g, t, &scratch);
    gen_malloc(g, t, gen_uniform(g, 20, 500), &f->caption);
}

/* Seed 002's example: loader threads (1..N-1) put images and captions into
 * a shared buffer; the player (thread 0) takes the frames in order and frees
 * them, so every image and caption is freed by another thread. */
void gen_media_pipeline(struct gen *g)
{
    struct media_frame ring[MEDIA_RING];
    struct gen_obj ring_mem;
    size_t head = 0, n = 0;
    memset(ring, 0, sizeof ring);
    gen_start_all(g);
    gen_calloc(g, 0, MEDIA_RING, 2 * sizeof(void *), &ring_mem);
    for (;;) {
        int more = gen_allocs(g) < g->ops;
        if (!more && n == 0)
            break;
        if (more && n < MEDIA_RING && (n == 0 || gen_chance(g, 55))) {
            uint32_t t = (uint32_t)gen_uniform(g, 1, g->threads - 1);
            media_load(g, t, &ring[(head + n++) % MEDIA_RING]);
            continue;
        }
        struct media_frame *f = &ring[head];
        gen_free(g, 0, &f->caption);
        gen_free(g, 0, &f->image);
        head = (head + 1) % MEDIA_RING;
        n--;
    }
    gen_free(g, 0, &ring_mem);
    gen_exit_workers(g);
}

/* ---- server ---- */

/* Larson-style: every thread keeps a working set of slots and replaces
 * random objects in it; one replacement in ten is handed to another
 * thread's set, which later frees it (a remote free). */
void gen_server(struct gen *g)
{
    uint32_t nt = g->threads;
    size_t slots = g->ops / nt / 4;
    if (slots > 1024)
        slots = 1024;
    if (slots < 16)
        slots = 16;
    struct gen_obj *set = gen_xcalloc((size_t)nt * slots, sizeof *set);
    gen_start_all(g);
    for (size_t i = 0; i < (size_t)nt * slots && gen_allocs(g) < g->ops; i++)
        gen_malloc(g, (uint32_t)(i % nt), gen_uniform(g, 16, 1024), &set[i]);
    while (gen_allocs(g) < g->ops) {
        uint32_t t = (uint32_t)gen_uniform(g, 0, nt - 1);
        struct gen_obj *o = &set[t * slots + gen_uniform(g, 0, slots - 1)];
        gen_free(g, t, o);
        gen_malloc(g, t, gen_uniform(g, 16, 1024), o);
        if (nt > 1 && gen_chance(g, 10)) {
            uint32_t u = (uint32_t)((t + gen_uniform(g, 1, nt - 1)) % nt);
            struct gen_obj *p = &set[u * slots + gen_uniform(g, 0, slots - 1)];
            struct gen_obj tmp = *o;
            *o = *p;
            *p = tmp;
        }
    }
    for (size_t i = 0; i < (size_t)nt * slots; i++)
        gen_free(g, (uint32_t)(i / slots), &set[i]);
    gen_exit_workers(g);
    free(set);
}

/* ---- producer-consumer ---- */

#define PC_QUEUE 256u          /* objects in flight per consumer */

/* Producers (the first half of the threads, rounded up) allocate messages
 * of heavy-tailed size and queue them to a consumer (the other half), which
 * frees them in batches: every object is freed by another thread. */
void gen_producer_consumer(struct gen *g)
{
    uint32_t nt = g->threads, nc = nt / 2, np = nt - nc;
    struct fifo *qs = gen_xcalloc(nc, sizeof *qs);
    for (uint32_t c = 0; c < nc; c++)
        fifo_init(&qs[c], PC_QUEUE);
    gen_start_all(g);
    size_t queued = 0;
    for (;;) {
        int more = gen_allocs(g) < g->ops;
        if (!more && queued == 0)
            break;
        uint32_t t = (uint32_t)gen_uniform(g, 0, nt - 1);
        if (t < np) {
            struct fifo *q = &qs[t % nc];
            if (!more || q->n == q->cap)
                continue;
            struct gen_obj o;
            gen_malloc(g, t, gen_heavy(g, 16, 9), &o);
            fifo_push(q, &o);
            queued++;
            continue;
        }
        struct fifo *q = &qs[t - np];
        for (uint64_t k = gen_uniform(g, 1, 8); k && q->n; k--, queued--) {
            gen_free(g, t, fifo_front(q));
            fifo_drop(q);
        }
    }
    gen_exit_workers(g);
    for (uint32_t c = 0; c < nc; c++)
        free(qs[c].a);
    free(qs);
}

/* ---- false-sharing ---- */

#define FS_PASSIVE 32u         /* objects the main thread hands to a worker */
#define FS_OWN     64u         /* objects a worker allocates and keeps */

/* Small objects that end up written by different threads: the main thread
 * allocates small objects and hands one to each worker in turn (passive
 * false sharing: neighbours in memory, used by different threads), and the
 * workers allocate their own small objects in lockstep (active false
 * sharing: an allocator with one shared heap puts them side by side).
 * Workers free both kinds. */
void gen_false_sharing(struct gen *g)
{
    uint32_t nw = g->threads - 1;
    struct fifo *passive = gen_xcalloc(nw, sizeof *passive);
    struct gen_obj *own = gen_xcalloc((size_t)nw * FS_OWN, sizeof *own);
    for (uint32_t w = 0; w < nw; w++)
        fifo_init(&passive[w], FS_PASSIVE);
    gen_start_all(g);
    for (uint64_t round = 0; gen_allocs(g) < g->ops; round++) {
        for (uint32_t w = 0; w < nw; w++) {
            if (passive[w].n == passive[w].cap)
                continue;
            struct gen_obj o;
            gen_malloc(g, 0, gen_uniform(g, 8, 48), &o);
            fifo_push(&passive[w], &o);
        }
        for (uint32_t w = 0; w < nw; w++) {
            struct gen_obj *o = &own[w * FS_OWN + round % FS_OWN];
            gen_free(g, w + 1, o);
            gen_malloc(g, w + 1, gen_uniform(g, 8, 48), o);
            if (passive[w].n > FS_PASSIVE / 2) {
                gen_free(g, w + 1, fifo_front(&passive[w]));
                fifo_drop(&passive[w]);
            }
        }
    }
    for (uint32_t w = 0; w < nw; w++) {
        for (; passive[w].n; fifo_drop(&passive[w]))
            gen_free(g, w + 1, fifo_front(&passive[w]));
        for (size_t i = 0; i < FS_OWN; i++)
            gen_free(g, w + 1, &own[w * FS_OWN + i]);
        free(passive[w].a);
    }
    gen_exit_workers(g);
    free(passive);
    free(own);
}
