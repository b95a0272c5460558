/* bucket's size classes (size_class.c): the table and the lookup of a
 * request's class.  Needs nothing from the rest of the allocator, so the
 * table can be tested on its own. */
#ifndef HUSKY_BUCKET_SIZE_CLASS_H
#define HUSKY_BUCKET_SIZE_CLASS_H

#include <stddef.h>
#include <stdint.h>

#define BUCKET_SLOT_SHIFT   16                          /* 64 KiB slots */
#define BUCKET_SLOT_SIZE    ((size_t)1 << BUCKET_SLOT_SHIFT)
#define BUCKET_NCLASS       48                          /* 16 B .. 128 KiB */
#define BUCKET_SMALL_MAX    ((size_t)128 << 10)         /* largest class */
#define BUCKET_MAX_BLOCKS   4096                        /* 64 KiB / 16 B */
#define BUCKET_SOLO_ABOVE   ((size_t)8 << 10)           /* bigger: one block a span */
#define BUCKET_BITMAP_WORDS (BUCKET_MAX_BLOCKS / 64)
#define BUCKET_RECIP_SHIFT  40                          /* see bucket_block_index */

/* Static description of one size class. */
typedef struct bucket_class {
    uint32_t size;              /* block size in bytes (multiple of 16) */
    uint32_t slots;             /* 64 KiB slots per span of this class */
    uint32_t capacity;          /* blocks per span */
    uint64_t recip;             /* ceil(2^40 / size), for division by size */
} bucket_class_t;

extern const bucket_class_t _bucket_classes[BUCKET_NCLASS];

#define BUCKET_LOOKUP_MAX   1024u                       /* sizes found in the table */
extern const uint8_t _bucket_class_lookup[BUCKET_LOOKUP_MAX / 16 + 1];

/* The class of a request of `size` bytes (size <= BUCKET_SMALL_MAX): 16-byte
 * steps up to 128, then four steps per power of two.  Requests of up to 1 KiB,
 * the most frequent, are one table load. */
static inline unsigned bucket_size_class(size_t size)
{
    if (size <= BUCKET_LOOKUP_MAX)
        return _bucket_class_lookup[(size + 15) >> 4];
    size_t m = size - 1;
    unsigned b = 63u - (unsigned)__builtin_clzl(m);    /* 2^b <= m < 2^(b+1) */
    return 8u + (b - 7u) * 4u + (unsigned)((m >> (b - 2)) & 3u);
}

/* Index of the block at offset `off` of a span with the given reciprocal: exact
 * for off < 2^21 and size < 2^18, since off * size < 2^40. */
static inline size_t bucket_block_index(uintptr_t off, uint64_t recip)
{
    return (size_t)((off * recip) >> BUCKET_RECIP_SHIFT);
}

#endif
