/* realloc_place: where bucket's realloc keeps a block and where it moves it
 * (run under LD_PRELOAD of libhusky-bucket.so by realloc_place.test).
 *
 * Within a size class the pointer stays.  A block of a "solo" class (over
 * 8 KiB, one block per span) grows in place up to the end of its span's
 * slots (64 KiB for one slot), or over the next slot when that one is free,
 * and shrinks in place while it keeps half of its block in use, and keeps
 * its contents; past those bounds, and for another thread's block, it moves.
 * After growing in place the block reports its new usable size, frees
 * cleanly, freeing it twice still aborts (in a child), and the class it left
 * still serves fresh blocks.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap.h"
#include "tests/expect_abort.h"

static void *(*volatile do_realloc)(void *, size_t) = realloc;
static void (*volatile do_free)(void *) = free;

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + seed))
            return 0;
    return 1;
}

static void *grown_elsewhere;

static void *grow_other(void *arg)
{
    grown_elsewhere = do_realloc(arg, 40000);
    return NULL;
}

/* Grows a solo block in place, then frees it twice (run in a child).  The
 * first free gives the span's slot back to the pool (a solo span leaves at
 * once), so the second finds no span there: "invalid free". */
static void grow_then_free_twice(void)
{
    void *p = malloc(12000);
    void *q = do_realloc(p, 50000);
    if (q != p)
        _exit(3);
    do_free(q);
    do_free(q);
}

int main(void)
{
    /* First, while the pool hands out slots in address order: two 60000-byte
     * blocks take neighbouring slots.  The first cannot grow over the
     * second, but once the second is freed it grows over its slot. */
    unsigned char *s1 = malloc(60000), *s2 = malloc(60000);
    fill(s1, 60000, 8);
    fill(s2, 60000, 9);
    unsigned char *moved = do_realloc(s1, 100000);
    int moved_ok = moved != NULL && moved != s1 && intact(moved, 60000, 8) && intact(s2, 60000, 9);
    unsigned char *s3 = malloc(60000);              /* takes s1's slot back */
    free(s2);
    fill(s3, 60000, 10);
    unsigned char *grown = do_realloc(s3, 100000);
    memset(grown + 60000, 11, 40000);
    tap_ok(moved_ok, "60000 -> 100000 bytes with the next slot in use moves, contents kept");
    tap_ok(s3 == s1 && grown == s3 && intact(grown, 60000, 10) && grown[99999] == 11,
           "60000 -> 100000 bytes grows in place over the next slot once it is free");
    free(grown);
    free(moved);

    unsigned char *a = malloc(100);
    fill(a, 100, 1);
    tap_ok(do_realloc(a, 112) == a && intact(a, 100, 1),
           "100 -> 112 bytes (same class) keeps the pointer and contents");
    tap_ok(do_realloc(a, 97) == a, "112 -> 97 bytes (same class) keeps the pointer");

    unsigned char *s = malloc(10000);
    fill(s, 10000, 2);
    unsigned char *t = do_realloc(s, 20000);
    tap_ok(t == s && intact(t, 10000, 2), "10000 -> 20000 bytes grows in place, contents kept");
    tap_ok(malloc_usable_size(t) >= 20000, "usable size follows the growth (%zu)",
           malloc_usable_size(t));
    fill(t, 20000, 3);
    unsigned char *u = do_realloc(t, 65536);
    tap_ok(u == s && intact(u, 20000, 3), "20000 -> 65536 bytes grows in place, contents kept");
    memset(u, 0x5a, 65536);                     /* the whole 64 KiB is the block's */
    unsigned char *v = do_realloc(u, 70000);
    int kept = 1;
    for (size_t i = 0; i < 65536 && v != NULL; i++)
        kept &= v[i] == 0x5a;
    tap_ok(v != NULL && kept, "65536 -> 70000 bytes (past the slot) keeps the contents");
    free(v);

    /* The class the block left still hands out blocks of its own, also when
     * the block grew out of the span that class was allocating from and was
     * freed: no later block of either class may overlap another. */
    unsigned char *x = malloc(10000);
    unsigned char *g = do_realloc(x, 30000);
    tap_ok(g == x, "a block just allocated grows in place");
    free(g);
    unsigned char *z = malloc(10000), *w = malloc(30000), *y = malloc(10000);
    memset(z, 1, 10000);
    memset(w, 2, 30000);
    memset(y, 3, 10000);
    tap_ok(z[0] == 1 && z[9999] == 1 && w[0] == 2 && w[29999] == 2 && y[0] == 3 && y[9999] == 3,
           "after it is freed, blocks of its old and new classes do not overlap");
    free(z);
    free(w);
    free(y);

    /* A solo block shrinks in place while it keeps half of its block in
     * use, grows back in place, and moves for a bigger shrink. */
    unsigned char *h = malloc(60000);
    fill(h, 60000, 4);
    unsigned char *k = do_realloc(h, 40000);
    tap_ok(k == h && intact(k, 40000, 4), "60000 -> 40000 bytes shrinks in place, contents kept");
    unsigned char *m = do_realloc(k, 64000);
    memset(m + 40000, 7, 24000);
    tap_ok(m == h && intact(m, 40000, 4) && m[63999] == 7, "and grows back in place");
    unsigned char *q = do_realloc(m, 12000);
    tap_ok(q != NULL && q != h && intact(q, 12000, 4) && malloc_usable_size(q) < 16384,
           "64000 -> 12000 bytes moves to the smaller class, contents kept (usable %zu)",
           malloc_usable_size(q));
    free(q);

    /* Another thread's block moves (its span belongs to this thread). */
    unsigned char *o = malloc(15000);
    fill(o, 15000, 5);
    pthread_t th;
    pthread_create(&th, NULL, grow_other, o);
    pthread_join(th, NULL);
    tap_ok(grown_elsewhere != NULL && grown_elsewhere != o && intact(grown_elsewhere, 15000, 5),
           "another thread's realloc of a solo block moves it, contents kept");
    free(grown_elsewhere);

    /* Many growths and frees in a row leave no block overlapping another. */
    enum { N = 64 };
    unsigned char *blk[N];
    size_t len[N];
    int bad = 0;
    for (int i = 0; i < N; i++) {
        len[i] = 9000 + (size_t)i * 100;
        blk[i] = malloc(len[i]);
        fill(blk[i], len[i], (unsigned)i);
    }
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < N; i++) {
            size_t n = len[i] + 7000;
            if (n > 64000)
                n = 9000;
            unsigned char *r = do_realloc(blk[i], n);
            size_t keep = n < len[i] ? n : len[i];
            bad += !intact(r, keep, (unsigned)i);
            blk[i] = r;
            len[i] = n;
            fill(r, n, (unsigned)i);
        }
    for (int i = 0; i < N; i++) {
        bad += !intact(blk[i], len[i], (unsigned)i);
        free(blk[i]);
    }
    tap_ok(bad == 0, "64 solo blocks grown and shrunk 4 times keep their contents");
    tap_expect_abort(grow_then_free_twice, "husky-bucket:", "free",
                     "a block grown in place and freed twice");
    return tap_done();
}
