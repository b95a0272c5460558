/* The cache of freed large mappings (src/alloc/bucket/large.c), run under
 * libhusky-bucket.so: a freed large block serves the next requests without
 * a new mapping, the part of it one request leaves goes to the next, a
 * program that frees all its large blocks gets every one of them back, and
 * when the small blocks' heap grows the cached mappings go back to the
 * kernel: the resident size grows by less than the small blocks take.  A
 * big block freed while the large blocks in use are at their peak stays
 * cached: the next request of its size takes it without page faults. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/alloc-bucket/rss.h"
#include "tests/tap.h"

#define MIB ((size_t)1 << 20)
#define NBIG 8
#define NSMALL (24 * 1024)      /* 24 MiB of 1 KiB blocks */

static void *small[NSMALL];

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* A new block of 4 MiB, its pages written; returns it. */
static char *big4(int c)
{
    char *p = malloc(4 * MIB);
    if (p != NULL)
        memset(p, c, 4 * MIB);
    return p;
}

int main(void)
{
    /* one mapping cut for two requests */
    char *p = malloc(4 * MIB);
    memset(p, 1, 4 * MIB);
    uintptr_t was = (uintptr_t)p;       /* compared as a number once freed */
    free(p);
    char *q = malloc(MIB);
    char *r = malloc(MIB);
    tap_ok((uintptr_t)q == was, "a 1 MiB request takes the head of the freed 4 MiB block (%p, 0x%lx)",
           (void *)q, (unsigned long)was);
    tap_ok((uintptr_t)r == was + MIB, "the next one takes the part after it (%p)", (void *)r);
    memset(q, 2, MIB);
    memset(r, 3, MIB);
    tap_ok(q[MIB - 1] == 2 && r[0] == 3 && r[MIB - 1] == 3, "both blocks hold what was written");
    free(q);
    free(r);

    /* every block of a burst comes back for the next burst */
    char *big[NBIG], *again[NBIG];
    uintptr_t first[NBIG];
    for (int i = 0; i < NBIG; i++) {
        big[i] = malloc(MIB + 4096);
        memset(big[i], 4, MIB + 4096);
        first[i] = (uintptr_t)big[i];
    }
    for (int i = 0; i < NBIG; i++)
        free(big[i]);
    int reused = 0;
    for (int i = 0; i < NBIG; i++) {
        again[i] = malloc(MIB + 4096);
        for (int j = 0; j < NBIG; j++)
            reused += (uintptr_t)again[i] == first[j];
    }
    tap_ok(reused == NBIG, "%d of %d blocks of a second burst are blocks of the first", reused, NBIG);
    for (int i = 0; i < NBIG; i++)
        free(again[i]);

    /* growth of the small heap sheds the cache: 8 MiB cached, 24 MiB of
     * small blocks; without shedding the resident size would grow by all
     * of the 24 MiB */
    long before = rss_kb();
    for (int i = 0; i < NSMALL; i++) {
        small[i] = malloc(1000);
        memset(small[i], 5, 1000);
    }
    long grew = rss_kb() - before;
    tap_diag("resident size grew by %ld KiB for %d small blocks", grew, NSMALL);
    tap_ok(before > 0 && grew < (long)(NSMALL - 4 * 1024), "the cached 8 MiB served the small heap's growth");
    for (int i = 0; i < NSMALL; i++)
        free(small[i]);

    /* at the peak: three 4 MiB blocks in use (the most so far), two freed;
     * a 12 MiB request grows one of them (a new peak of 16 MiB in use), and
     * the other stays cached on top of that peak for the next 4 MiB request */
    char *a = big4(6), *b = big4(7), *c = big4(8);
    bool got = a != NULL && b != NULL && c != NULL;     /* read before the frees */
    free(a);
    free(b);
    char *d = malloc(12 * MIB);
    memset(d, 9, 12 * MIB);
    long faults = minflt();
    char *e = big4(10);
    faults = minflt() - faults;
    tap_diag("%ld page faults writing the next 4 MiB block", faults);
    tap_ok(got && e != NULL && faults == 0,
           "a 4 MiB block freed at the peak served the next 4 MiB request, its pages resident");
    free(c);
    free(d);
    free(e);
    return tap_done();
}
