/* size_class.c: bucket's table of size classes.
 *
 * Classes are 16-byte steps up to 128 bytes, then four steps between powers of
 * two up to 128 KiB (160, 192, 224, 256, 320, ...): 48 classes.  A request is
 * rounded up to the next class, so the bytes wasted inside a block are below
 * 16 for requests of 1 to 128 bytes and below a fifth of the block (a quarter of
 * the request) above, e.g. 129 bytes in a 160-byte block.  Every power of two
 * is a class, which memalign relies on: blocks of a power-of-two class are
 * aligned to their size (up to 64 KiB) because spans start on 64 KiB.
 *
 * Spans of classes up to 8 KiB are one 64 KiB slot.  Larger classes are
 * "solo": a span holds one block, in as many slots as it needs (one up to 64
 * KiB, two above), and goes back to the pool as soon as its block is freed,
 * so the pages of a freed big block serve the next span of any class instead
 * of staying with their class (a class's peak of big blocks then no longer
 * adds to the others').  The tail of a span that no whole block fills is
 * never touched, so it costs address space and no memory.
 */
#include "alloc/bucket/size_class.h"

/* size, slots per span, blocks per span, ceil(2^40 / size) */
const bucket_class_t _bucket_classes[BUCKET_NCLASS] = {
    {    16u,  1u, 4096u,  0x1000000000ull},   /*  0 */
    {    32u,  1u, 2048u,   0x800000000ull},   /*  1 */
    {    48u,  1u, 1365u,   0x555555556ull},   /*  2 */
    {    64u,  1u, 1024u,   0x400000000ull},   /*  3 */
    {    80u,  1u,  819u,   0x333333334ull},   /*  4 */
    {    96u,  1u,  682u,   0x2aaaaaaabull},   /*  5 */
    {   112u,  1u,  585u,   0x24924924aull},   /*  6 */
    {   128u,  1u,  512u,   0x200000000ull},   /*  7 */
    {   160u,  1u,  409u,   0x19999999aull},   /*  8 */
    {   192u,  1u,  341u,   0x155555556ull},   /*  9 */
    {   224u,  1u,  292u,   0x124924925ull},   /* 10 */
    {   256u,  1u,  256u,   0x100000000ull},   /* 11 */
    {   320u,  1u,  204u,    0xcccccccdull},   /* 12 */
    {   384u,  1u,  170u,    0xaaaaaaabull},   /* 13 */
    {   448u,  1u,  146u,    0x92492493ull},   /* 14 */
    {   512u,  1u,  128u,    0x80000000ull},   /* 15 */
    {   640u,  1u,  102u,    0x66666667ull},   /* 16 */
    {   768u,  1u,   85u,    0x55555556ull},   /* 17 */
    {   896u,  1u,   73u,    0x4924924aull},   /* 18 */
    {  1024u,  1u,   64u,    0x40000000ull},   /* 19 */
    {  1280u,  1u,   51u,    0x33333334ull},   /* 20 */
    {  1536u,  1u,   42u,    0x2aaaaaabull},   /* 21 */
    {  1792u,  1u,   36u,    0x24924925ull},   /* 22 */
    {  2048u,  1u,   32u,    0x20000000ull},   /* 23 */
    {  2560u,  1u,   25u,    0x1999999aull},   /* 24 */
    {  3072u,  1u,   21u,    0x15555556ull},   /* 25 */
    {  3584u,  1u,   18u,    0x12492493ull},   /* 26 */
    {  4096u,  1u,   16u,    0x10000000ull},   /* 27 */
    {  5120u,  1u,   12u,     0xccccccdull},   /* 28 */
    {  6144u,  1u,   10u,     0xaaaaaabull},   /* 29 */
    {  7168u,  1u,    9u,     0x924924aull},   /* 30 */
    {  8192u,  1u,    8u,     0x8000000ull},   /* 31 */
    { 10240u,  1u,    1u,     0x6666667ull},   /* 32 */
    { 12288u,  1u,    1u,     0x5555556ull},   /* 33 */
    { 14336u,  1u,    1u,     0x4924925ull},   /* 34 */
    { 16384u,  1u,    1u,     0x4000000ull},   /* 35 */
    { 20480u,  1u,    1u,     0x3333334ull},   /* 36 */
    { 24576u,  1u,    1u,     0x2aaaaabull},   /* 37 */
    { 28672u,  1u,    1u,     0x2492493ull},   /* 38 */
    { 32768u,  1u,    1u,     0x2000000ull},   /* 39 */
    { 40960u,  1u,    1u,     0x199999aull},   /* 40 */
    { 49152u,  1u,    1u,     0x1555556ull},   /* 41 */
    { 57344u,  1u,    1u,     0x124924aull},   /* 42 */
    { 65536u,  1u,    1u,     0x1000000ull},   /* 43 */
    { 81920u,  2u,    1u,      0xcccccdull},   /* 44 */
    { 98304u,  2u,    1u,      0xaaaaabull},   /* 45 */
    {114688u,  2u,    1u,      0x924925ull},   /* 46 */
    {131072u,  2u,    1u,      0x800000ull},   /* 47 */
};

/* Class of each request of up to BUCKET_LOOKUP_MAX bytes, indexed by the size
 * rounded up to 16 bytes and divided by 16 (bucket_size_class). */
const uint8_t _bucket_class_lookup[BUCKET_LOOKUP_MAX / 16 + 1] = {
     0,  0,  1,  2,  3,  4,  5,  6,  7,  8,  8,  9,  9, 10, 10, 11,
    11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15,
    15, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 17,
    17, 18, 18, 18, 18, 18, 18, 18, 18, 19, 19, 19, 19, 19, 19, 19,
    19,
};
