/* Keeps bucket's out-of-band promise: a buffer overflow that tramples the
 * blocks after it (with bytes that would wreck in-band free lists or size
 * headers) corrupts only user data; the allocator goes on handing out
 * distinct, usable blocks and frees every block, trampled or not, cleanly.
 * An overflow stops at the end of its block's 64 KiB slot: the next slot may
 * be a segment's guard, which ends the program with SIGSEGV by design. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"

#define N 2000

static unsigned char *blk[N];

/* The overflow itself, out of the compiler's sight (it would warn). */
static void *(*volatile trample)(void *, int, size_t) = memset;

/* Allocates n blocks of each size, fills them, checks no two overlap by
 * re-reading every fill. */
static int churn(size_t size, unsigned char tag)
{
    static unsigned char *b[N];
    for (int i = 0; i < N; i++) {
        b[i] = malloc(size);
        if (b[i] == NULL)
            return 0;
        memset(b[i], tag + i % 100, size);
    }
    int ok = 1;
    for (int i = 0; i < N; i++) {
        for (size_t j = 0; j < size; j++)
            if (b[i][j] != (unsigned char)(tag + i % 100))
                ok = 0;
        free(b[i]);
    }
    return ok;
}

int main(void)
{
    static const size_t sizes[] = {16, 48, 100, 256, 1000, 4096, 20000};
    int ok = 1;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t size = sizes[s];
        for (int i = 0; i < N; i++)
            blk[i] = malloc(size);
        /* free every other block, so the overflow runs over free ones too */
        for (int i = 0; i < N; i += 2)
            free(blk[i]);
        for (int i = 1; i < N; i += 100) {
            size_t len = malloc_usable_size(blk[i]) + 3 * size;
            uintptr_t at = (uintptr_t)blk[i], slot_end = (at | 0xffff) + 1;
            if (at + len > slot_end)        /* the next 64 KiB may be a guard */
                len = slot_end - at;
            trample(blk[i], 0xff, len);                     /* overflow */
        }
        for (int i = 1; i < N; i += 2)
            free(blk[i]);
        ok &= churn(size, (unsigned char)s);
    }
    tap_ok(ok, "after overflows of 3 blocks past the end, every class still gives distinct "
           "blocks and frees cleanly");
    /* the same with the overflow landing on free blocks of a span whose owner
     * then reuses them */
    unsigned char *a = malloc(64), *b = malloc(64), *c = malloc(64);
    free(b);
    trample(a, 0, 64 * 3);
    unsigned char *d = malloc(64), *e = malloc(64);
    tap_ok(d != NULL && e != NULL && d != e && d != a && e != a && d != c && e != c,
           "blocks after an overflow into a free block are distinct");
    free(a);
    free(c);
    free(d);
    free(e);
    return tap_done();
}
