/* Keeps bucket's size-class guarantees: the table rises in multiples of 16,
 * bucket_size_class() picks the smallest class that fits every request, the
 * waste inside a block stays under 16 bytes (requests of 1-128) or a fifth of
 * the block, every power of two is a class (memalign relies on it), spans hold
 * at least 8 blocks and fit their bitmap (classes above BUCKET_SOLO_ABOVE:
 * exactly one, in the fewest slots that hold it), and the reciprocal division finds
 * the right block for every byte offset of a span. */
#include <stdbool.h>
#include <stdio.h>

#include "alloc/bucket/size_class.h"
#include "tests/tap.h"

static int check_table(void)
{
    for (unsigned c = 0; c < BUCKET_NCLASS; c++) {
        const bucket_class_t *k = &_bucket_classes[c];
        if (k->size % 16 != 0 || (c > 0 && k->size <= _bucket_classes[c - 1].size))
            return tap_ok(0, "class %u size %u rises in multiples of 16", c, k->size);
        bool solo = k->size > BUCKET_SOLO_ABOVE;
        size_t solo_slots = (k->size + BUCKET_SLOT_SIZE - 1) / BUCKET_SLOT_SIZE;
        if (solo ? k->capacity != 1 || k->slots != solo_slots
                 : k->capacity != k->slots * BUCKET_SLOT_SIZE / k->size || k->capacity < 8
                   || k->capacity > BUCKET_MAX_BLOCKS)
            return tap_ok(0, "class %u capacity %u slots %u", c, k->capacity, k->slots);
    }
    return tap_ok(_bucket_classes[BUCKET_NCLASS - 1].size == BUCKET_SMALL_MAX,
                  "table rises in multiples of 16, 8..4096 blocks a span (solo classes: 1 "
                  "in the fewest slots), ends at SMALL_MAX");
}

static void check_lookup(void)
{
    size_t worst_small = 0;
    double worst_ratio = 0;
    int ok = 1;
    for (size_t n = 0; n <= BUCKET_SMALL_MAX; n++) {
        unsigned c = bucket_size_class(n);
        size_t sz = c < BUCKET_NCLASS ? _bucket_classes[c].size : 0;
        if (c >= BUCKET_NCLASS || sz < n || (c > 0 && _bucket_classes[c - 1].size >= n)) {
            tap_diag("request %zu -> class %u (%zu bytes)", n, c, sz);
            ok = 0;
            break;
        }
        if (n >= 1 && n <= 128 && sz - n > worst_small)
            worst_small = sz - n;
        if (n > 128 && (double)(sz - n) / (double)sz > worst_ratio)
            worst_ratio = (double)(sz - n) / (double)sz;
    }
    tap_ok(ok, "every request 0..128 KiB gets the smallest class that fits");
    tap_ok(worst_small < 16, "waste for 1..128 bytes below 16 (worst %zu)", worst_small);
    tap_ok(worst_ratio < 0.2, "waste above 128 bytes below a fifth of the block (worst %.3f)",
           worst_ratio);
}

static void check_powers(void)
{
    int ok = 1;
    for (size_t p = 16; p <= BUCKET_SMALL_MAX; p *= 2)
        ok &= _bucket_classes[bucket_size_class(p)].size == p;
    tap_ok(ok, "every power of two from 16 to 128 KiB is a class");
}

static void check_recip(void)
{
    int ok = 1;
    for (unsigned c = 0; c < BUCKET_NCLASS && ok; c++) {
        const bucket_class_t *k = &_bucket_classes[c];
        size_t span = (size_t)k->slots * BUCKET_SLOT_SIZE;
        for (uintptr_t off = 0; off < span; off++) {
            if (bucket_block_index(off, k->recip) != off / k->size) {
                tap_diag("class %u offset %zu", c, (size_t)off);
                ok = 0;
                break;
            }
        }
    }
    tap_ok(ok, "reciprocal division matches for every offset of every span");
}

int main(void)
{
    check_table();
    check_lookup();
    check_powers();
    check_recip();
    return tap_done();
}
