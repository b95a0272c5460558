/* libreplay-overlap.so: a deliberately broken allocator.  Blocks of 256
 * bytes or more overlap the previous such block by half (smaller ones are
 * fine, so the process itself starts); huskyreplay --verify must catch it. */
#include "tests/replay/bumpcore.h"

static void *bc_alloc(size_t size, size_t align)
{
    return bc_take(size, align, size >= 256 ? size / 2 : 0);
}
