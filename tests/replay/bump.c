/* libreplay-bump.so: a preloadable allocator that only bumps a pointer and
 * never frees; the replay benchmarks use it to measure the replayer's own
 * cost, and the tests use it as a correct (if wasteful) allocator. */
#include "tests/replay/bumpcore.h"

static void *bc_alloc(size_t size, size_t align)
{
    return bc_take(size, align, 0);
}
