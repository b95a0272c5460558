/* Keeps bucket's promise to give memory back: a program builds a large heap
 * (small, medium and large blocks), frees 90% of it (the older 90%, in random
 * order, as when a phase of work ends) and goes on allocating a little; the
 * resident size read from /proc/self/statm must fall to well under half. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/alloc-bucket/rss.h"
#include "tests/tap.h"

#define BLOCKS 120000

static void *blk[BLOCKS];
static size_t order[BLOCKS];

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A little allocation traffic over ~0.6 s, as a program that goes on would. */
static void keep_going(void)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 1000; j++)
            free(malloc(64 + (size_t)j % 2000));
        nanosleep(&ts, NULL);
    }
}

int main(void)
{
    uint64_t s = 42;
    long before = rss_kb();
    size_t bytes = 0;
    for (size_t i = 0; i < BLOCKS; i++) {
        uint64_t r = next_rand(&s);
        size_t n = r % 500 == 0 ? 20000 + r % 300000 : 16 + r % 1000;
        blk[i] = malloc(n);
        if (blk[i] == NULL)
            return tap_ok(0, "malloc"), tap_done();
        memset(blk[i], 0x5a, n);
        bytes += n;
    }
    long peak = rss_kb();
    size_t cut = BLOCKS / 10 * 9;
    for (size_t i = 0; i < cut; i++)
        order[i] = i;
    for (size_t i = cut - 1; i > 0; i--) {
        size_t j = (size_t)(next_rand(&s) % (i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < cut; i++)
        free(blk[order[i]]);
    keep_going();
    long after = rss_kb();
    tap_diag("allocated %zu MiB; rss before %ld KiB, peak %ld KiB, after freeing 90%% %ld KiB",
             bytes >> 20, before, peak, after);
    tap_ok(peak - before > (long)(bytes >> 10) / 2, "the heap was resident at its peak");
    tap_ok(after - before < (peak - before) * 3 / 10,
           "resident size fell below 30%% of the heap after freeing 90%%");
    int ok = 1;
    for (size_t i = cut; i < BLOCKS; i++) {
        if (((unsigned char *)blk[i])[0] != 0x5a)
            ok = 0;
        free(blk[i]);
    }
    tap_ok(ok, "the kept 10%% is intact");
    return tap_done();
}
