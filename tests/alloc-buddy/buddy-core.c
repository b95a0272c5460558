/* Keeps: the buddy core splits and joins blocks exactly as the binary buddy
 * system does (seed 004's worked example, block by block), knows every
 * block's order from its out-of-band map, survives a one-byte overflow into a
 * free neighbour, stops at longer overflows, double and invalid frees, and
 * returns to one free block after any sequence of allocations and frees.
 *
 * Seed 004's example, reconstructed from its OCR'd table: blocks of order 0
 * are 64K; A asks 34K (-> 64K), B 66K (-> 128K), C 35K (-> 64K), D 67K
 * (-> 128K); then B, D, A and C are freed.  Four blocks of 64K and 128K fit in
 * 2^3 units, so the region is 512K; the table's first row "A: 2^0 | 2^0 |
 * 2^1 | 2^2" is what splitting 512K for A leaves. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc/buddy/buddy.h"
#include "tests/tap.h"

#define K 1024u

/* ---- the hooks the core needs ---- */

void *_buddy_meta_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void _buddy_fatal(const char *what, const void *p)
{
    char buf[200];
    int n = snprintf(buf, sizeof buf, "buddy: %s: %p\n", what, p);
    if (write(2, buf, (size_t)n) < 0)
        _exit(99);
    abort();
}

/* ---- a test region ---- */

struct test_region {
    struct buddy_heap heap;
    struct buddy_region *r;
    void *mem;
};

/* A region of 2^order bytes cut in units of 2^min_order, aligned to its size
 * and registered like the allocator registers its regions. */
static void region_new(struct test_region *t, unsigned min_order, unsigned order)
{
    size_t size = (size_t)1 << order;
    memset(&t->heap, 0, sizeof t->heap);
    t->mem = aligned_alloc(size, size);
    t->r = calloc(1, sizeof *t->r + (size >> min_order));
    if (!t->mem || !t->r) {
        perror("buddy-core");
        exit(1);
    }
    memset(t->mem, 0xa5, size);
    _buddy_region_add(&t->heap, t->r, (uintptr_t)t->mem, min_order, order);
    if (_buddy_registry_set((uintptr_t)t->mem, size, (uintptr_t)t->r) != 0) {
        perror("buddy-core: registry");
        exit(1);
    }
}

static void region_free(struct test_region *t)
{
    _buddy_registry_clear(t->r->base, (size_t)1 << t->r->order);
    free(t->mem);
    free(t->r);
}

/* The region's blocks in address order, "NAME:SIZE" for allocated blocks
 * (named by names[]/ptrs[]) and "-:SIZE" for free ones, joined by '|'. */
static const char *layout(struct test_region *t, const char *const *names, void *const *ptrs,
                          int n)
{
    static char out[512];
    size_t len = 0;
    struct buddy_region *r = t->r;
    size_t units = (size_t)1 << (r->order - r->min_order);
    out[0] = 0;
    for (size_t u = 0; u < units;) {
        uint8_t m = r->map[u];
        unsigned order = m & BUDDY_MAP_ORDER;
        if (!m || order < r->min_order || order > r->order)
            return "corrupt-map";
        const char *name = "?";
        if ((m & BUDDY_MAP_STATE) == BUDDY_MAP_FREE)
            name = "-";
        for (int i = 0; i < n; i++)
            if (ptrs[i] == (void *)(r->base + (u << r->min_order)))
                name = (m & BUDDY_MAP_STATE) == BUDDY_MAP_USED ? names[i] : name;
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s:%zuK", len ? "|" : "",
                                name, ((size_t)1 << order) / K);
        u += (size_t)1 << (order - r->min_order);
    }
    return out;
}

/* Checks that the free lists hold exactly the blocks the map calls free. */
static int lists_match_map(struct test_region *t)
{
    struct buddy_region *r = t->r;
    size_t listed = 0;
    size_t mapped = 0;
    for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
        for (struct buddy_link *l = t->heap.free[k]; l; l = l->next) {
            uintptr_t b = (uintptr_t)l - BUDDY_LINK_OFFSET;
            if (*buddy_map_at(r, b) != (BUDDY_MAP_FREE | k))
                return 0;
            listed++;
        }
        if (!t->heap.free[k] != !(t->heap.nonempty & (1u << k)))
            return 0;
    }
    for (size_t u = 0; u < ((size_t)1 << (r->order - r->min_order)); u++)
        mapped += (r->map[u] & BUDDY_MAP_STATE) == BUDDY_MAP_FREE;
    return listed == mapped;
}

/* ---- seed 004's worked example ---- */

static void *ex_alloc(struct test_region *t, size_t size)
{
    return _buddy_alloc(&t->heap, buddy_order_of(size, t->r->min_order));
}

static void ex_free(struct test_region *t, void *p)
{
    unsigned order = _buddy_used_order(t->r, (uintptr_t)p);
    _buddy_release(&t->heap, t->r, (uintptr_t)p, order);
}

static void test_seed004_example(void)
{
    struct test_region t;
    region_new(&t, 16, 19); /* 64K units, a 512K region */
    const char *names[] = {"A", "B", "C", "D"};
    void *p[4] = {0};
    char *base = t.mem;
    tap_ok(!strcmp(layout(&t, names, p, 4), "-:512K"), "start: one free 512K block (2^3)");

    p[0] = ex_alloc(&t, 34 * K);
    tap_ok(p[0] == base && !strcmp(layout(&t, names, p, 4), "A:64K|-:64K|-:128K|-:256K"),
           "A 34K: 512K split down to 64K: %s", layout(&t, names, p, 4));
    p[1] = ex_alloc(&t, 66 * K);
    tap_ok(p[1] == base + 128 * K &&
           !strcmp(layout(&t, names, p, 4), "A:64K|-:64K|B:128K|-:256K"),
           "B 66K takes the free 128K: %s", layout(&t, names, p, 4));
    p[2] = ex_alloc(&t, 35 * K);
    tap_ok(p[2] == base + 64 * K &&
           !strcmp(layout(&t, names, p, 4), "A:64K|C:64K|B:128K|-:256K"),
           "C 35K takes A's buddy: %s", layout(&t, names, p, 4));
    p[3] = ex_alloc(&t, 67 * K);
    tap_ok(p[3] == base + 256 * K &&
           !strcmp(layout(&t, names, p, 4), "A:64K|C:64K|B:128K|D:128K|-:128K"),
           "D 67K splits the 256K: %s", layout(&t, names, p, 4));
    tap_ok(t.heap.splits == 4 && t.heap.merges == 0, "4 splits so far (got %llu)",
           (unsigned long long)t.heap.splits);

    ex_free(&t, p[1]);
    tap_ok(!strcmp(layout(&t, names, p, 4), "A:64K|C:64K|-:128K|D:128K|-:128K"),
           "B freed: its buddy (A+C) is in use, no merge: %s", layout(&t, names, p, 4));
    ex_free(&t, p[3]);
    tap_ok(!strcmp(layout(&t, names, p, 4), "A:64K|C:64K|-:128K|-:256K"),
           "D freed: joins its free buddy into 256K: %s", layout(&t, names, p, 4));
    ex_free(&t, p[0]);
    tap_ok(!strcmp(layout(&t, names, p, 4), "-:64K|C:64K|-:128K|-:256K"),
           "A freed: C still in use, no merge: %s", layout(&t, names, p, 4));
    ex_free(&t, p[2]);
    tap_ok(!strcmp(layout(&t, names, p, 4), "-:512K") && t.heap.whole_free == 1,
           "C freed: 64K+64K -> 128K, +128K -> 256K, +256K -> 512K: %s",
           layout(&t, names, p, 4));
    tap_ok(t.heap.merges == 4 && lists_match_map(&t), "4 merges, free lists match the map");
    tap_ok(_buddy_alloc(&t.heap, 20) == NULL, "a 1M block does not fit a 512K region");
    region_free(&t);
}

/* ---- order arithmetic ---- */

static void test_orders(void)
{
    tap_ok(buddy_order_of(0, 5) == 5 && buddy_order_of(1, 5) == 5 && buddy_order_of(32, 5) == 5,
           "sizes 0..32 take the 32-byte minimum block");
    tap_ok(buddy_order_of(33, 5) == 6 && buddy_order_of(64, 5) == 6 && buddy_order_of(65, 5) == 7,
           "33 -> 64, 64 -> 64, 65 -> 128");
    tap_ok(buddy_order_of((size_t)1 << 20, 5) == 20 &&
           buddy_order_of(((size_t)1 << 20) + 1, 5) == 21, "1M -> order 20, 1M+1 -> 21");
}

/* ---- corruption resistance ---- */

/* Runs fn in a child and returns 1 if it died of SIGABRT. */
static int aborts(void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", 1);
        if (null >= 0)
            dup2(null, 2);
        fn();
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 0;
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void do_double_free(void)
{
    struct test_region t;
    region_new(&t, 5, 19);
    void *a = ex_alloc(&t, 100);
    void *b = ex_alloc(&t, 100);
    ex_free(&t, a);
    ex_free(&t, a);
    (void)b;
}

static void do_interior_free(void)
{
    struct test_region t;
    region_new(&t, 5, 19);
    char *a = ex_alloc(&t, 100);
    ex_free(&t, a + 32);
}

static void do_long_overflow(void)
{
    struct test_region t;
    region_new(&t, 5, 19);
    char *a = ex_alloc(&t, 32); /* its buddy, 32 bytes on, is free */
    memset(a, 'x', 64);         /* writes over the whole free buddy */
    ex_alloc(&t, 32);
}

static void test_corruption(void)
{
    struct test_region t;
    region_new(&t, 5, 19);
    char *a = ex_alloc(&t, 32);
    a[32] = 'x'; /* one byte into the free buddy */
    char *b = ex_alloc(&t, 32);
    tap_ok(b == a + 32, "a one-byte overflow into a free block leaves it allocatable");
    b[32] = 'y';
    ex_free(&t, b);
    ex_free(&t, a);
    tap_ok(t.heap.whole_free == 1 && lists_match_map(&t) && t.heap.used_bytes == 0,
           "and every block still merges back into the region");
    region_free(&t);
    tap_ok(aborts(do_double_free), "a double free aborts");
    tap_ok(aborts(do_interior_free), "a free inside a block aborts");
    tap_ok(aborts(do_long_overflow), "an overflow over a free block's links aborts");
}

/* ---- resizing in place ---- */

static void test_resize(void)
{
    struct test_region t;
    region_new(&t, 5, 19);
    uintptr_t a = (uintptr_t)ex_alloc(&t, 64);
    tap_ok(_buddy_grow(&t.heap, t.r, a, 6, 12) && _buddy_used_order(t.r, a) == 12,
           "64 bytes grow in place to 4K when the upper buddies are free");
    uintptr_t b = (uintptr_t)ex_alloc(&t, 4096);
    tap_ok(b == a + 4096 && !_buddy_grow(&t.heap, t.r, a, 12, 13),
           "no growth when the buddy is in use");
    tap_ok(!_buddy_grow(&t.heap, t.r, b, 12, 13), "an upper buddy cannot grow in place");
    _buddy_shrink(&t.heap, t.r, a, 12, 5);
    tap_ok(_buddy_used_order(t.r, a) == 5 && lists_match_map(&t),
           "shrinking 4K to 32 bytes frees the upper halves");
    ex_free(&t, (void *)a);
    ex_free(&t, (void *)b);
    tap_ok(t.heap.whole_free == 1 && t.heap.used_bytes == 0, "all merged again");
    region_free(&t);
}

/* ---- random traffic ---- */

static void test_random(void)
{
    struct test_region t;
    region_new(&t, 5, 22);
    enum { SLOTS = 4096 };
    static void *slot[SLOTS];
    static size_t want[SLOTS];
    unsigned seed = 42;
    int ok = 1;
    for (int i = 0; i < 200000 && ok; i++) {
        int s = (int)((unsigned)rand_r(&seed) % SLOTS);
        if (slot[s]) {
            unsigned char *p = slot[s];
            ok = p[0] == (unsigned char)s &&
                 (want[s] == 1 || p[want[s] - 1] == (unsigned char)(s >> 3));
            ex_free(&t, slot[s]);
            slot[s] = NULL;
            continue;
        }
        want[s] = 1 + (size_t)rand_r(&seed) % ((unsigned)rand_r(&seed) % 4 ? 200 : 20000);
        slot[s] = ex_alloc(&t, want[s]);
        if (slot[s]) {
            unsigned char *p = slot[s];
            p[want[s] - 1] = (unsigned char)(s >> 3);
            p[0] = (unsigned char)s;
            ok = ((uintptr_t)p & 15) == 0;
        }
    }
    tap_ok(ok, "200000 random operations keep every block's content and alignment");
    tap_ok(lists_match_map(&t), "free lists match the order map");
    for (int s = 0; s < SLOTS; s++)
        if (slot[s])
            ex_free(&t, slot[s]);
    tap_ok(t.heap.whole_free == 1 && t.heap.used_bytes == 0 && t.heap.nonempty == 1u << 22,
           "freeing everything leaves one free 4M block");
    region_free(&t);
}

int main(void)
{
    _buddy_secret = 0x9e3779b97f4a7c15u;
    test_orders();
    test_seed004_example();
    test_corruption();
    test_resize();
    test_random();
    return tap_done();
}
