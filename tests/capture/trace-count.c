/* trace-count TRACE SIZE: what the capture tests assert on.  Prints the
 * header (pid, ppid, exec count, inherited flag, threads), the bytes after
 * the last chunk ("slack": 0 once the file is cut) and, per op, how
 * many calls asked for SIZE bytes, plus how many frees released a block
 * that such a call returned.  It also replays the trace in key order and
 * counts violations of the ordering invariant ("order_errors": a block
 * handed out while live, a release of a block that is not live), an
 * independent check beside huskytrace validate. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <uthash.h>

#include "trace/trace.h"

struct block {
    uint64_t addr;             /* a block's address (key) */
    UT_hash_handle hh;
};

static struct block *live;     /* marked blocks that are live */
static struct block *all;      /* every live block (order check) */
static uint64_t order_errors;

static struct block *find(struct block *set, uint64_t addr)
{
    struct block *b;
    HASH_FIND(hh, set, &addr, sizeof addr, b);
    return b;
}

/* Key-order replay: what validate checks, counted. */
static void order_check(const struct htr_event *ev, int inherited)
{
    /* a realloc that failed (NULL for a non-zero size) keeps its block */
    int kept = ev->phase == HTR_PHASE_RELEASE && ev->result == 0 && ev->size * ev->count != 0;
    if ((ev->op == HTR_OP_FREE || ev->phase == HTR_PHASE_RELEASE) && ev->ptr && !kept) {
        struct block *b = find(all, ev->ptr);
        if (b) {
            HASH_DEL(all, b);
            free(b);
        } else if (!inherited) {
            order_errors++;
        }
    }
    if (htr_op_returns(ev->op) && ev->phase != HTR_PHASE_RELEASE && ev->result) {
        if (ev->op == HTR_OP_REALLOC || ev->op == HTR_OP_REALLOCARRAY) {
            if (find(all, ev->result) && ev->result != ev->ptr)
                order_errors++;
        } else if (find(all, ev->result)) {
            order_errors++;
        }
        if (!find(all, ev->result)) {
            struct block *b = calloc(1, sizeof *b);
            if (!b)
                exit(1);
            b->addr = ev->result;
            HASH_ADD(hh, all, addr, sizeof b->addr, b);
        }
    }
}

static void forget(uint64_t addr)
{
    struct block *b;
    HASH_FIND(hh, live, &addr, sizeof addr, b);
    if (b) {
        HASH_DEL(live, b);
        free(b);
    }
}

static void remember(uint64_t addr)
{
    struct block *b = calloc(1, sizeof *b);
    if (!b)
        exit(1);
    b->addr = addr;
    HASH_ADD(hh, live, addr, sizeof b->addr, b);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: trace-count TRACE SIZE\n");
        return 2;
    }
    uint64_t mark = strtoull(argv[2], NULL, 10), counts[HTR_OP_COUNT] = { 0 }, frees = 0;
    struct htr_error err;
    struct htr_reader *r = htr_open(argv[1], 0, &err);
    if (!r) {
        fprintf(stderr, "%s\n", err.msg);
        return 65;
    }
    struct htr_event ev;
    int rc, inherited = (htr_reader_info(r)->header.flags & HTR_F_INHERITED) != 0;
    while ((rc = htr_next(r, &ev, &err)) == 1) {
        order_check(&ev, inherited);
        int kept = ev.phase == HTR_PHASE_RELEASE && ev.result == 0 && ev.size * ev.count != 0;
        if (ev.op == HTR_OP_FREE || (ev.phase == HTR_PHASE_RELEASE && !kept)) {
            struct block *b;
            HASH_FIND(hh, live, &ev.ptr, sizeof ev.ptr, b);
            if (b && ev.op == HTR_OP_FREE)
                frees++;
            forget(ev.ptr);
            continue;
        }
        if (ev.size == mark && ev.op < HTR_OP_COUNT && ev.op != HTR_OP_FREE) {
            counts[ev.op]++;
            if (ev.result)
                remember(ev.result);
        }
    }
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 65;
    }
    const struct htr_info *info = htr_reader_info(r);
    printf("pid %u\nppid %u\nexec %u\ninherited %u\nthreads %u\nslack %" PRIu64 "\n",
           info->header.pid, info->header.ppid, info->header.exec_count,
           (info->header.flags & HTR_F_INHERITED) ? 1 : 0, info->threads,
           info->file_size - info->data_bytes);
    for (unsigned op = 1; op < HTR_OP_COUNT; op++)
        if (op != HTR_OP_FREE && op != HTR_OP_THREAD_START && op != HTR_OP_THREAD_EXIT)
            printf("%s %" PRIu64 "\n", htr_op_name(op), counts[op]);
    printf("free %" PRIu64 "\norder_errors %" PRIu64 "\n", frees, order_errors);
    htr_close(r);
    return 0;
}
