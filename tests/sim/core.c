/* tests/sim/core.c: keeps the placement each policy must make, computed by
 * hand: seed 001's fragmentation example (200 blocks of 800 bytes, free 10,
 * then 5000), seed 004's buddy example, a free-list state where every fit
 * policy picks a different block, first fit in FIFO order against LIFO and
 * address order (split remainders keep their place, merged blocks are filed
 * anew), realloc in place and by moving; and the
 * invariants of --check over long random operation streams for every policy.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "tests/tap.h"

static const struct sim_config cfg_hdr8 = {8, 16, 4096, 1};
static const struct sim_config cfg_hdr0 = {0, 16, 4096, 1};

/* Runs one operation; returns 0 or -1 (the reason goes to the TAP log). */
static int op(struct sim_state *s, int kind, uint32_t id, uint64_t size, uint64_t old,
              unsigned align_log2)
{
    struct sim_op o = {size, old, id, (uint8_t)kind, (uint8_t)align_log2};
    char why[512];
    if (sim_run_ops(s, &o, 1, why, sizeof why) < 0) {
        tap_diag("%s", why);
        return -1;
    }
    return 0;
}

/* Seed 001: malloc(800) x 200, free the first 10, malloc(5000). */
static int seed001(struct sim_state *s, const struct sim_policy *p)
{
    int rc = sim_state_init(s, p, &cfg_hdr8);
    for (uint32_t i = 0; i < 200 && rc == 0; i++)
        rc = op(s, SIM_OP_ALLOC, i, 800, 0, 0);
    for (uint32_t i = 0; i < 10 && rc == 0; i++)
        rc = op(s, SIM_OP_FREE, i, 800, 0, 0);
    if (rc == 0)
        rc = op(s, SIM_OP_ALLOC, 0, 5000, 0, 0);
    return rc;
}

static void test_seed001(void)
{
    struct sim_state s;
    /* the fits: 816-byte blocks, 5 per page (the 16-byte rest of a page is
     * padding), 40 pages; freeing the first 10 leaves two whole pages, one
     * free block, so 5000 bytes fit at offset 0 and the heap does not grow */
    for (size_t i = 0; sim_policies[i]; i++) {
        const struct sim_policy *p = sim_policies[i];
        if (!p->index)
            continue;
        int rc = seed001(&s, p);
        tap_ok(rc == 0 && s.m.heap_max == 163840 && s.m.live_max == 160000 &&
               s.m.heap_at_live_max == 163840 && s.m.extensions == 40 &&
               sim_obj_addr(&s, 0) == 8 && s.live == 157000,
               "seed 001 %s: heap 40 pages, 5000 bytes reuse the freed space at 0 "
               "(heap %llu, ext %llu, addr %llu)", p->name,
               (unsigned long long)s.m.heap_max, (unsigned long long)s.m.extensions,
               (unsigned long long)sim_obj_addr(&s, 0));
        sim_state_fini(&s);
    }
    /* buddy: 808 -> 1024-byte blocks, 50 pages; blocks 0-7 merge into 8 KiB at 0 */
    int rc = seed001(&s, &sim_buddy);
    tap_ok(rc == 0 && s.m.heap_max == 204800 && s.m.extensions == 50 &&
           sim_obj_addr(&s, 0) == 8 && s.m.heap_at_live_max == 204800,
           "seed 001 buddy: 1 KiB blocks, 50 pages, 5000 bytes in the merged 8 KiB at 0");
    sim_state_fini(&s);
    /* simple segregated storage: class 896, runs of 2 pages (9 blocks), 23
     * runs; 5000 is class 5120 -> a 2-page block in a new run at the top */
    rc = seed001(&s, &sim_simple_seg);
    tap_ok(rc == 0 && s.m.heap_max == 196608 && s.m.heap_at_live_max == 188416 &&
           s.m.extensions == 24 && sim_obj_addr(&s, 0) == 188416 &&
           s.stacks[sim_class_of(896)].n == 17,
           "seed 001 simple-seg: the freed 800-byte blocks cannot hold 5000, heap grows");
    sim_state_fini(&s);
}

/* Seed 004: 64 KiB minimum blocks; A 34K, B 66K, C 35K, D 67K, then free B,
 * D, A, C: the classic layout A@0, C@64K, B@128K, D@256K. */
static void test_seed004(void)
{
    struct sim_state s;
    const uint64_t K = 1024;
    const uint64_t sz[4] = {34 * K, 66 * K, 35 * K, 67 * K};
    const uint64_t at[4] = {0, 128 * K, 64 * K, 256 * K};
    int rc = sim_state_init(&s, &sim_buddy, &cfg_hdr0);
    for (uint32_t i = 0; i < 4 && rc == 0; i++)
        rc = op(&s, SIM_OP_ALLOC, i, sz[i], 0, 0);
    int placed = rc == 0;
    for (uint32_t i = 0; i < 4; i++)
        placed &= sim_obj_addr(&s, i) == at[i];
    tap_ok(placed, "seed 004: A@0, B@128K, C@64K, D@256K");
    tap_ok(s.m.heap_max == 384 * K && s.m.extensions == 4 && s.free_bytes == 0,
           "seed 004: heap 384 KiB in 4 extensions, no free block left");
    const uint32_t order[4] = {1, 3, 0, 2};
    for (uint32_t i = 0; i < 4 && rc == 0; i++)
        rc = op(&s, SIM_OP_FREE, order[i], sz[order[i]], 0, 0);
    tap_ok(rc == 0 && s.cls_head[18] && s.t[s.cls_head[18]].addr == 0 &&
           s.cls_head[17] && s.t[s.cls_head[17]].addr == 256 * K &&
           s.free_bytes == 384 * K && s.live == 0,
           "seed 004: after the frees, one 256 KiB block at 0 and one 128 KiB at 256K");
    tap_ok(s.m.live_max == 206848 && s.m.heap_max == 393216,
           "seed 004: live max 202 KiB, heap max 384 KiB");
    sim_state_fini(&s);
}

/* Blocks a(112)@0 x1@112 b(208)@128 x2@336 c(160)@352 x3@512, top free from
 * 528; free a, c, b; then 96 and 150 bytes go where each policy puts them. */
static void test_choices(void)
{
    static const struct {
        const char *name;
        uint64_t y1, y2;
    } want[] = {{"ff-lifo", 128, 352}, {"ff-fifo", 528, 624}, {"ff-addr", 0, 128},
                {"next-fit", 528, 624}, {"best-fit", 0, 352}, {"seg-fit", 0, 352}};
    const uint64_t sizes[6] = {100, 16, 200, 16, 150, 16};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct sim_state s;
        int rc = sim_state_init(&s, sim_policy_find(want[i].name), &cfg_hdr0);
        for (uint32_t k = 0; k < 6 && rc == 0; k++)
            rc = op(&s, SIM_OP_ALLOC, k, sizes[k], 0, 0);
        const uint32_t frees[3] = {0, 4, 2};
        for (uint32_t k = 0; k < 3 && rc == 0; k++)
            rc = op(&s, SIM_OP_FREE, frees[k], sizes[frees[k]], 0, 0);
        if (rc == 0)
            rc = op(&s, SIM_OP_ALLOC, 6, 96, 0, 0);
        if (rc == 0)
            rc = op(&s, SIM_OP_ALLOC, 7, 150, 0, 0);
        tap_ok(rc == 0 && sim_obj_addr(&s, 6) == want[i].y1 &&
               sim_obj_addr(&s, 7) == want[i].y2 && s.m.heap_max == 4096,
               "%s places 96 at %llu and 150 at %llu (got %llu, %llu)", want[i].name,
               (unsigned long long)want[i].y1, (unsigned long long)want[i].y2,
               (unsigned long long)sim_obj_addr(&s, 6),
               (unsigned long long)sim_obj_addr(&s, 7));
        sim_state_fini(&s);
    }
}

/* The page filled by A(64)@0 x@64 B(96)@80 x@176 C(64)@192 x@256 D(128)@272
 * x@400 and a filler; free B, A, D, C: FIFO order B A D C, LIFO C D A B,
 * address A B C D.  Then 48 bytes (each order's first block), 32 bytes (FIFO:
 * B's remainder, which kept B's place at the front), free x@64 (FIFO: A+x is
 * filed anew at the back, behind D) and 64 bytes (FIFO: D, not A+x). */
static void test_fifo_order(void)
{
    static const struct {
        const char *name;
        uint64_t y[3];
    } want[] = {{"ff-fifo", {80, 128, 272}}, {"ff-lifo", {192, 272, 0}},
                {"ff-addr", {0, 80, 112}}};
    const uint64_t sizes[9] = {64, 16, 96, 16, 64, 16, 128, 16, 3680};
    const uint32_t frees[4] = {2, 0, 6, 4};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct sim_state s;
        int rc = sim_state_init(&s, sim_policy_find(want[i].name), &cfg_hdr0);
        for (uint32_t k = 0; k < 9 && rc == 0; k++)
            rc = op(&s, SIM_OP_ALLOC, k, sizes[k], 0, 0);
        for (uint32_t k = 0; k < 4 && rc == 0; k++)
            rc = op(&s, SIM_OP_FREE, frees[k], sizes[frees[k]], 0, 0);
        if (rc == 0)
            rc = op(&s, SIM_OP_ALLOC, 9, 48, 0, 0);
        if (rc == 0)
            rc = op(&s, SIM_OP_ALLOC, 10, 32, 0, 0);
        if (rc == 0)
            rc = op(&s, SIM_OP_FREE, 1, 16, 0, 0);
        if (rc == 0)
            rc = op(&s, SIM_OP_ALLOC, 11, 64, 0, 0);
        tap_ok(rc == 0 && sim_obj_addr(&s, 9) == want[i].y[0] &&
               sim_obj_addr(&s, 10) == want[i].y[1] && sim_obj_addr(&s, 11) == want[i].y[2] &&
               s.m.heap_max == 4096,
               "%s places 48, 32, 64 at %llu, %llu, %llu (got %llu, %llu, %llu)",
               want[i].name, (unsigned long long)want[i].y[0],
               (unsigned long long)want[i].y[1], (unsigned long long)want[i].y[2],
               (unsigned long long)sim_obj_addr(&s, 9), (unsigned long long)sim_obj_addr(&s, 10),
               (unsigned long long)sim_obj_addr(&s, 11));
        sim_state_fini(&s);
    }
}

/* --check must see a broken max tree: a stamp not yet handed out, a bound
 * above the leaves below the values it covers, a leaf that disagrees with
 * its block. */
static void test_mtree_check(void)
{
    const struct sim_policy *ps[2] = {&sim_ff_fifo, &sim_ff_addr};
    for (int i = 0; i < 2; i++) {
        struct sim_state s;
        char why[256];
        int rc = sim_state_init(&s, ps[i], &cfg_hdr0);
        for (uint32_t k = 0; k < 40 && rc == 0; k++)
            rc = op(&s, SIM_OP_ALLOC, k, 32 + 16 * k, 0, 0);
        for (uint32_t k = 0; k < 40 && rc == 0; k += 2)
            rc = op(&s, SIM_OP_FREE, k, 32 + 16 * k, 0, 0);
        uint32_t t = s.obj_tile[1], f = s.t[t].prev; /* a free block */
        int good = rc == 0 && s.mt.nlv > 1 && s.policy->check(&s, why, sizeof why) == 0;
        uint64_t stamp = s.t[f].stamp;
        s.t[f].stamp = s.stamp_next;
        int stamp_caught = i == 1 || s.policy->check(&s, why, sizeof why) < 0;
        s.t[f].stamp = stamp;
        uint32_t bound = s.mt.lv[1][0];  /* group 0 holds free blocks: a bound below them */
        s.mt.lv[1][0] = 0;
        int max_caught = bound && s.policy->check(&s, why, sizeof why) < 0;
        s.mt.lv[1][0] = bound;
        uint64_t pos = i == 0 ? s.t[f].stamp : s.t[f].addr >> s.mt_shift;
        s.mt.tile[pos] = t;
        int leaf_caught = s.policy->check(&s, why, sizeof why) < 0;
        s.mt.tile[pos] = f;
        tap_ok(good && stamp_caught && max_caught && leaf_caught &&
               s.policy->check(&s, why, sizeof why) == 0,
               "--check verifies %s's max tree: positions, values and maxima", ps[i]->name);
        sim_state_fini(&s);
    }
}

/* The max tree's searches against a plain array, through growth (adding
 * levels), with random values and searches; with exact maxima, with bounds
 * above the leaves only, and with one exact level. */
static void mtree_search(unsigned eager)
{
    enum { N = 5000 };
    static uint32_t ref[N];
    struct sim_mtree mt;
    uint64_t rng = 88172645463325252ull, bad = 0;
    int rc = _sim_mt_init(&mt);
    mt.eager = eager;
    memset(ref, 0, sizeof ref);
    for (int step = 0; step < 60000 && rc == 0 && !bad; step++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        uint64_t pos = rng % N;
        uint32_t v = (uint32_t)(rng >> 40) % 4 ? (uint32_t)((rng >> 20) % 1000) : 0;
        if (_sim_mt_reserve(&mt, pos) < 0)
            rc = -1;
        else
            _sim_mt_set(&mt, pos, v, v ? (uint32_t)pos + 1 : 0);
        ref[pos] = v;
        uint32_t n = 1 + (uint32_t)((rng >> 8) % 1000);
        uint64_t from = (rng >> 30) % N, want_first = SIM_MT_NONE, want_last = SIM_MT_NONE;
        uint64_t want_first0 = SIM_MT_NONE, want_last_before = SIM_MT_NONE;
        for (uint64_t p = 0; p < N; p++) {
            if (ref[p] >= n && want_first == SIM_MT_NONE && p >= from)
                want_first = p;
            if (ref[p] >= n && want_first0 == SIM_MT_NONE)
                want_first0 = p;
            if (ref[p] >= n)
                want_last = p;
            if (ref[p] >= n && p <= from)
                want_last_before = p;
        }
        uint64_t got = _sim_mt_first_from(&mt, from, n);
        bad += got != want_first;
        bad += _sim_mt_last(&mt, n) != want_last;
        if (step % 3 == 0)
            bad += _sim_mt_first(&mt, n) != want_first0;
        if (step % 3 == 1)
            bad += _sim_mt_last_before(&mt, from, n) != want_last_before;
    }
    char why[256];
    uint64_t count = 0, nref = 0;
    for (uint64_t p = 0; p < N; p++)
        nref += ref[p] != 0;
    tap_ok(rc == 0 && !bad && _sim_mt_check(&mt, &count, why, sizeof why) == 0 && count == nref,
           "max tree (%u exact levels): first-from, first, last and last-before searches "
           "agree with a plain array (%llu wrong)", eager, (unsigned long long)bad);
    _sim_mt_fini(&mt);
}

static void test_mtree_search(void)
{
    mtree_search(SIM_MT_LEVELS);
    mtree_search(0);
    mtree_search(1);
}

/* Blocks of 40 GiB: beyond the max tree's values (the walk over the tiles
 * answers) and beyond its address granules (ff-addr and next-fit move to
 * the address treap); first fit and best fit still reuse the freed 40 GiB. */
static void test_huge(void)
{
    const uint64_t big = 40ull << 30;
    for (size_t i = 0; sim_policies[i]; i++) {
        const struct sim_policy *p = sim_policies[i];
        if (!p->index)
            continue;
        struct sim_state s;
        int rc = sim_state_init(&s, p, &cfg_hdr8);
        rc = rc ? rc : op(&s, SIM_OP_ALLOC, 0, big, 0, 0);
        rc = rc ? rc : op(&s, SIM_OP_ALLOC, 1, 100, 0, 0);
        rc = rc ? rc : op(&s, SIM_OP_FREE, 0, big, 0, 0);
        rc = rc ? rc : op(&s, SIM_OP_ALLOC, 2, 100, 0, 0);
        rc = rc ? rc : op(&s, SIM_OP_FREE, 2, 100, 0, 0);
        rc = rc ? rc : op(&s, SIM_OP_ALLOC, 3, big, 0, 0);
        int addr_policy = p == &sim_ff_addr || p == &sim_next_fit;
        tap_ok(rc == 0 && sim_obj_addr(&s, 3) == 8 && s.mt_off == addr_policy,
               "%s: a freed 40 GiB block is reused (at %llu)%s", p->name,
               (unsigned long long)sim_obj_addr(&s, 3),
               addr_policy ? ", the free blocks moved to the address treap" : "");
        sim_state_fini(&s);
    }
}

/* Realloc: moves when the neighbour is taken, grows in place into a free
 * neighbour, shrinks in place giving the tail to the free block after it. */
static void test_realloc(void)
{
    struct sim_state s;
    int rc = sim_state_init(&s, &sim_ff_addr, &cfg_hdr0);
    rc = rc ? rc : op(&s, SIM_OP_ALLOC, 0, 100, 0, 0);
    rc = rc ? rc : op(&s, SIM_OP_ALLOC, 1, 16, 0, 0);
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 0, 200, 100, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 0) == 128, "realloc moves when the next block is live");
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 0, 300, 200, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 0) == 128, "realloc grows in place into free space");
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 1, 100, 16, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 1) == 0, "realloc moves into the first fit");
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 1, 50, 100, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 1) == 0 && s.free_bytes == 4096 - 304 - 64 &&
           s.live == 350, "realloc shrinks in place, the tail merges with the free block");
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 0, 5000, 300, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 0) == 128 && s.m.heap_max == 8192,
           "realloc at the top grows the heap under the block");
    sim_state_fini(&s);
    rc = sim_state_init(&s, &sim_buddy, &cfg_hdr0);
    rc = rc ? rc : op(&s, SIM_OP_ALLOC, 0, 1000, 0, 0);
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 0, 3000, 1000, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 0) == 0 && s.t[s.obj_tile[0]].size == 4096,
           "buddy realloc grows in place by absorbing its upper buddies");
    rc = rc ? rc : op(&s, SIM_OP_ALLOC, 1, 100, 0, 0);
    rc = rc ? rc : op(&s, SIM_OP_REALLOC, 1, 200, 100, 0);
    tap_ok(rc == 0 && sim_obj_addr(&s, 1) == 4096 && s.t[s.obj_tile[1]].size == 256,
           "buddy realloc of a lower buddy with a free upper buddy stays in place");
    sim_state_fini(&s);
}

/* memalign: the user address is aligned in the model. */
static void test_memalign(void)
{
    for (size_t i = 0; sim_policies[i]; i++) {
        struct sim_state s;
        int ok = sim_state_init(&s, sim_policies[i], &cfg_hdr8) == 0;
        ok = ok && op(&s, SIM_OP_ALLOC, 0, 24, 0, 0) == 0;
        ok = ok && op(&s, SIM_OP_ALLOC, 1, 100, 0, 12) == 0;
        ok = ok && op(&s, SIM_OP_ALLOC, 2, 10, 0, 6) == 0;
        uint64_t hdr = sim_policies[i] == &sim_simple_seg ? 0 : 8;
        ok = ok && (sim_obj_addr(&s, 1) - hdr) % 4096 == 0 &&
             (sim_obj_addr(&s, 2) - hdr) % 64 == 0;
        tap_ok(ok, "%s: memalign 4096 and 64 give aligned model addresses",
               sim_policies[i]->name);
        sim_state_fini(&s);
    }
}

/* A random stream: mostly small objects, some large, some aligned, reallocs;
 * frees in random order.  Every policy must keep its invariants throughout. */
static void test_random(void)
{
    enum { N = 6000, LIVE = 300 };
    for (size_t i = 0; sim_policies[i]; i++) {
        struct sim_state s;
        uint64_t size[LIVE] = {0};
        uint8_t live[LIVE] = {0};
        uint64_t x = 12345 + i;
        int rc = sim_state_init(&s, sim_policies[i], &cfg_hdr8);
        for (int n = 0; n < N && rc == 0; n++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t id = (uint32_t)(x % LIVE);
            uint64_t r = x >> 20;
            uint64_t sz = r % 10 == 0 ? r % 20000 : r % 10 == 1 ? 0 : 1 + r % 300;
            if (!live[id]) {
                unsigned al = r % 17 == 0 ? 5 + (unsigned)(r % 9) : 0;
                rc = op(&s, SIM_OP_ALLOC, id, sz, 0, al);
                live[id] = 1, size[id] = sz;
            } else if (r % 3 == 0) {
                rc = op(&s, SIM_OP_REALLOC, id, sz, size[id], 0);
                size[id] = sz;
            } else {
                rc = op(&s, SIM_OP_FREE, id, size[id], 0, 0);
                live[id] = 0;
            }
        }
        tap_ok(rc == 0, "%s keeps its invariants over %d random operations",
               sim_policies[i]->name, N);
        sim_state_fini(&s);
    }
}

int main(void)
{
    test_seed001();
    test_seed004();
    test_choices();
    test_fifo_order();
    test_mtree_check();
    test_mtree_search();
    test_huge();
    test_realloc();
    test_memalign();
    test_random();
    return tap_done();
}
