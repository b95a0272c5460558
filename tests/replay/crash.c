/* libreplay-crash.so: a bump allocator that crashes (SIGSEGV) on its N-th
 * allocation, N from HUSKY_TEST_CRASH_AFTER (default 1000), or hangs there
 * when HUSKY_TEST_HANG=1: the replayer must isolate both. */
#include <stdlib.h>

#include "tests/replay/bumpcore.h"

static unsigned long calls;
static int *volatile bad_address = (int *)8;   /* never mapped */

static unsigned long env_num(const char *name, unsigned long dflt)
{
    const char *s = getenv(name);
    unsigned long v = 0;
    if (!s || !*s)
        return dflt;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (unsigned long)(*s - '0');
    return v;
}

static void *bc_alloc(size_t size, size_t align)
{
    unsigned long n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (n == env_num("HUSKY_TEST_CRASH_AFTER", 1000)) {
        if (env_num("HUSKY_TEST_HANG", 0))
            for (;;)
                pause();
        *bad_address = 1;
    }
    return bc_take(size, align, 0);
}
