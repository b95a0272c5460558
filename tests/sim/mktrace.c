/* tests/sim/mktrace.c: writes the traces the huskysim tests and benchmark
 * use, through the trace library's writer:
 *   mktrace seed001 OUT        malloc(800) x 200, free the first 10, malloc(5000)
 *   mktrace seed004 OUT        34K, 66K, 35K, 67K, then free the 2nd, 4th, 1st, 3rd
 *   mktrace random N SEED OUT [LIVE]
 *                              N events from 4 threads: malloc, calloc, realloc
 *                              (interleaved with other threads between its two
 *                              keys), memalign, free; addresses are reused; at
 *                              most LIVE objects live at once (default 20000)
 * It plays a fake allocator: addresses are unique while live and freed ones
 * are handed out again, as a real allocator does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

struct gen {
    struct htr_writer *w;       /* output */
    uint64_t key;               /* next order key */
    uint64_t next_addr;         /* next never-used address */
    uint64_t *freed;            /* addresses free for reuse (stack) */
    size_t nfreed;
    uint64_t rng;               /* xorshift state */
};

static uint64_t rnd(struct gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static uint64_t addr_get(struct gen *g, uint64_t size, uint64_t align)
{
    if (g->nfreed && align <= 16)
        return g->freed[--g->nfreed];
    uint64_t a = align > 16 ? align : 16;
    g->next_addr = (g->next_addr + a - 1) & ~(a - 1);
    uint64_t r = g->next_addr;
    g->next_addr += (size + 15) / 16 * 16 + 16;
    return r;
}

static void addr_put(struct gen *g, uint64_t a)
{
    g->freed[g->nfreed++] = a;
}

static void put(struct gen *g, struct htr_event *ev)
{
    struct htr_error err;
    if (htr_writer_add(g->w, ev, &err) < 0) {
        fprintf(stderr, "mktrace: %s\n", err.msg);
        exit(1);
    }
}

static void ev_init(struct gen *g, struct htr_event *ev, unsigned op, uint32_t thread)
{
    memset(ev, 0, sizeof *ev);
    ev->op = (uint8_t)op;
    ev->thread = thread;
    ev->count = 1;
    ev->seq = ev->seq2 = g->key++;
}

static uint64_t do_malloc(struct gen *g, uint32_t th, uint64_t size)
{
    struct htr_event ev;
    ev_init(g, &ev, HTR_OP_MALLOC, th);
    ev.size = size;
    ev.result = addr_get(g, size, 0);
    put(g, &ev);
    return ev.result;
}

static void do_free(struct gen *g, uint32_t th, uint64_t a)
{
    struct htr_event ev;
    ev_init(g, &ev, HTR_OP_FREE, th);
    ev.ptr = a;
    addr_put(g, a);
    put(g, &ev);
}

/* One random event; live[] holds addresses and sizes of live objects. */
static void random_event(struct gen *g, uint64_t *live, uint64_t *lsize, size_t *nlive,
                         size_t max_live)
{
    uint64_t r = rnd(g);
    uint32_t th = (uint32_t)(r % 4);
    uint64_t size = r % 13 == 0 ? 1 + (r >> 8) % 65536 : 1 + (r >> 8) % 512;
    unsigned what = (unsigned)((r >> 40) % 16);
    if (*nlive && (what < 7 || *nlive >= max_live)) {
        size_t i = (size_t)((r >> 20) % *nlive);
        do_free(g, th, live[i]);
        live[i] = live[--*nlive];
        lsize[i] = lsize[*nlive];
        return;
    }
    struct htr_event ev;
    if (*nlive && what < 10) {           /* realloc, another thread in between */
        size_t i = (size_t)((r >> 20) % *nlive);
        ev_init(g, &ev, HTR_OP_REALLOC, th);
        ev.ptr = live[i];
        ev.size = size;
        addr_put(g, live[i]);
        uint64_t other = do_malloc(g, (th + 1) % 4, 24);
        ev.seq2 = g->key++;
        ev.result = addr_get(g, size, 0);
        put(g, &ev);
        live[i] = ev.result;
        lsize[i] = size;
        live[*nlive] = other;
        lsize[(*nlive)++] = 24;
        return;
    }
    ev_init(g, &ev, what == 10 ? HTR_OP_CALLOC : what == 11 ? HTR_OP_MEMALIGN : HTR_OP_MALLOC,
            th);
    ev.size = size;
    if (ev.op == HTR_OP_CALLOC) {
        ev.count = 1 + r % 4;
        ev.size = (size + 3) / 4;
    }
    if (ev.op == HTR_OP_MEMALIGN)
        ev.align = 64ull << (r % 7);
    ev.result = addr_get(g, ev.size * ev.count, ev.align);
    put(g, &ev);
    live[*nlive] = ev.result;
    lsize[(*nlive)++] = ev.size * ev.count;
}

static int usage(void)
{
    fprintf(stderr, "usage: mktrace seed001|seed004 OUT | mktrace random N SEED OUT [LIVE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    int rnd_mode = strcmp(argv[1], "random") == 0;
    if (rnd_mode ? argc != 5 && argc != 6 : argc != 3)
        return usage();
    const char *out = rnd_mode ? argv[4] : argv[2];
    struct gen g = {0};
    struct htr_file_header h;
    struct htr_error err;
    uint64_t n = rnd_mode ? strtoull(argv[2], NULL, 10) : 0;
    htr_header_init(&h, 0, 0);
    g.w = htr_writer_open(out, &h, "", 0, &err);
    g.freed = malloc((n + 1024) * 2 * sizeof *g.freed);
    if (!g.w || !g.freed) {
        fprintf(stderr, "mktrace: %s\n", g.w ? "out of memory" : err.msg);
        return 1;
    }
    g.key = 1000;
    g.next_addr = 0x10000;
    g.rng = rnd_mode ? strtoull(argv[3], NULL, 10) * 2654435761u + 1 : 1;
    if (strcmp(argv[1], "seed001") == 0) {
        uint64_t xs[200];
        for (int i = 0; i < 200; i++)
            xs[i] = do_malloc(&g, 0, 800);
        for (int i = 0; i < 10; i++)
            do_free(&g, 0, xs[i]);
        do_malloc(&g, 0, 5000);
    } else if (strcmp(argv[1], "seed004") == 0) {
        const uint64_t sz[4] = {34 << 10, 66 << 10, 35 << 10, 67 << 10};
        uint64_t p[4];
        for (int i = 0; i < 4; i++)
            p[i] = do_malloc(&g, 0, sz[i]);
        do_free(&g, 0, p[1]);
        do_free(&g, 0, p[3]);
        do_free(&g, 0, p[0]);
        do_free(&g, 0, p[2]);
    } else if (rnd_mode) {
        size_t max_live = argc == 6 ? strtoull(argv[5], NULL, 10) : 20000, nlive = 0;
        if (max_live < 2)
            return usage();
        uint64_t *live = malloc((max_live + 2) * sizeof *live);
        uint64_t *lsize = malloc((max_live + 2) * sizeof *lsize);
        if (!live || !lsize)
            return 1;
        while (g.key - 1000 < n)
            random_event(&g, live, lsize, &nlive, max_live);
        free(live);
        free(lsize);
    } else {
        htr_writer_abort(g.w);
        return usage();
    }
    if (htr_writer_close(g.w, &err) < 0) {
        fprintf(stderr, "mktrace: %s\n", err.msg);
        return 1;
    }
    free(g.freed);
    return 0;
}
