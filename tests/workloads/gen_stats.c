/* gen_stats: reads a trace through the trace library, independently of
 * huskygen's own bookkeeping, and prints what the workload tests assert on:
 * events per op, threads, thread starts, remote frees (freed by a thread
 * other than the allocating one), the largest request, and violations of the
 * ordering invariant (an address handed out while live, a free of an address
 * that is not live, a realloc whose keys are not seq < seq2, keys going
 * backwards).  One "name=value" per line.  Exit 0, or 65 when the trace
 * cannot be read. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <uthash.h>

#include "trace/trace.h"

/* A live address and the thread that got it. */
struct live {
    uint64_t addr;             /* key */
    uint32_t thread;           /* allocating thread */
    UT_hash_handle hh;
};

/* What the reading found. */
struct stats {
    uint64_t ops[HTR_OP_COUNT];  /* events per op (realloc once) */
    uint64_t remote;             /* frees by another thread */
    uint64_t bad;                /* invariant violations */
    uint64_t max_size;           /* largest single request */
    uint64_t live_end;           /* addresses still live at the end */
};

static void acquire(struct live **set, struct stats *s, uint64_t addr, uint32_t thread)
{
    struct live *l;
    if (!addr)
        return;
    HASH_FIND(hh, *set, &addr, sizeof addr, l);
    if (l) {
        s->bad++;
        return;
    }
    l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->addr = addr;
    l->thread = thread;
    HASH_ADD(hh, *set, addr, sizeof l->addr, l);
}

static void release(struct live **set, struct stats *s, uint64_t addr, uint32_t thread)
{
    struct live *l;
    if (!addr)
        return;
    HASH_FIND(hh, *set, &addr, sizeof addr, l);
    if (!l) {
        s->bad++;
        return;
    }
    if (l->thread != thread)
        s->remote++;
    HASH_DEL(*set, l);
    free(l);
}

static void account(struct live **set, struct stats *s, const struct htr_event *ev)
{
    uint64_t size = ev->size * (ev->count ? ev->count : 1);
    if (htr_op_returns(ev->op) && size > s->max_size && ev->phase != HTR_PHASE_RELEASE)
        s->max_size = size;
    if (ev->phase == HTR_PHASE_RELEASE) {
        if (!(ev->seq < ev->seq2))
            s->bad++;
        release(set, s, ev->ptr, ev->thread);
        return;
    }
    if (ev->op == HTR_OP_FREE)
        release(set, s, ev->ptr, ev->thread);
    else if (htr_op_returns(ev->op))
        acquire(set, s, ev->result, ev->thread);
    s->ops[ev->op]++;
}

int main(int argc, char **argv)
{
    struct htr_error err;
    if (argc != 2) {
        fprintf(stderr, "usage: gen_stats TRACE\n");
        return 2;
    }
    struct htr_reader *r = htr_open(argv[1], 0, &err);
    if (!r) {
        fprintf(stderr, "gen_stats: %s\n", err.msg);
        return 65;
    }
    struct stats s = {0};
    struct live *set = NULL, *l, *tmp;
    struct htr_event ev;
    uint64_t last = 0, events = 0;
    int rc;
    while ((rc = htr_next(r, &ev, &err)) == 1) {
        uint64_t key = ev.phase == HTR_PHASE_ACQUIRE ? ev.seq2 : ev.seq;
        if (key < last)
            s.bad++;
        last = key;
        events++;
        account(&set, &s, &ev);
    }
    if (rc < 0) {
        fprintf(stderr, "gen_stats: %s\n", err.msg);
        htr_close(r);
        return 65;
    }
    HASH_ITER(hh, set, l, tmp) {
        s.live_end++;
        HASH_DEL(set, l);
        free(l);
    }
    printf("threads=%" PRIu32 "\n", htr_reader_info(r)->threads);
    for (unsigned op = 1; op < HTR_OP_COUNT; op++)
        printf("%s=%" PRIu64 "\n", htr_op_name(op), s.ops[op]);
    printf("remote_frees=%" PRIu64 "\nmax_size=%" PRIu64 "\nlive_end=%" PRIu64
           "\nbad=%" PRIu64 "\n", s.remote, s.max_size, s.live_end, s.bad);
    htr_close(r);
    return 0;
}
