/* bumpcore.h: the body shared by the replay tests' preloadable allocators.
 * A bump allocator over one large lazily-mapped region that never frees.
 * It keeps no header (so with --touch=none it touches no memory at all: the
 * replay benchmark measures the replayer, not the allocator).  Each library
 * defines BC_HOOK(size) (called on every allocation; may crash, hang or
 * return an overlapping block) before including this file.
 * No stdio, no malloc, no locks: safe inside malloc. */
#ifndef HUSKY_BUMPCORE_H
#define HUSKY_BUMPCORE_H

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BC_EXPORT __attribute__((visibility("default")))
#define BC_REGION ((size_t)1 << 38)     /* 256 GiB of address space */

static char *bc_base;                   /* the region, mapped on first use */
static size_t bc_off;                   /* bytes given out as chunks (atomic) */

static char *bc_region(void)
{
    char *b = __atomic_load_n(&bc_base, __ATOMIC_ACQUIRE);
    if (b)
        return b;
    void *m = mmap(NULL, BC_REGION, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *expect = NULL;
    if (!__atomic_compare_exchange_n(&bc_base, &expect, (char *)m, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        munmap(m, BC_REGION);
        return expect;
    }
    return m;
}

#define BC_CHUNK ((size_t)1 << 20)      /* what a thread takes at a time */

/* The calling thread's current chunk: no atomics on the common path. */
static __thread char *bc_cur __attribute__((tls_model("initial-exec")));
static __thread char *bc_end __attribute__((tls_model("initial-exec")));

/* A new chunk of at least `need` bytes for this thread. */
static int bc_refill(size_t need)
{
    char *b = bc_region();
    size_t len = need > BC_CHUNK ? (need + 4095) & ~(size_t)4095 : BC_CHUNK;
    if (!b || need > BC_REGION / 2)
        return -1;
    size_t off = __atomic_fetch_add(&bc_off, len, __ATOMIC_RELAXED);
    if (off + len > BC_REGION)
        return -1;
    bc_cur = b + off;
    bc_end = b + off + len;
    return 0;
}

/* `size` bytes aligned to `align` (a power of two >= 16), never reused;
 * the next block starts `advance` bytes later (0: right after this one). */
static void *bc_take(size_t size, size_t align, size_t advance)
{
    size_t step = advance ? advance : (size ? size : 1);
    for (int tries = 0; tries < 2; tries++) {
        uintptr_t start = ((uintptr_t)bc_cur + align - 1) & ~(uintptr_t)(align - 1);
        if (bc_cur && start + size <= (uintptr_t)bc_end && start + size >= start) {
            bc_cur = (char *)((start + step + 15) & ~(uintptr_t)15);
            return (void *)start;
        }
        if (size > BC_REGION / 2 || bc_refill(size + align) != 0)
            break;
    }
    errno = ENOMEM;
    return NULL;
}

static void *bc_alloc(size_t size, size_t align);

BC_EXPORT void *malloc(size_t size) { return bc_alloc(size, 16); }
BC_EXPORT void free(void *p) { (void)p; }

BC_EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = bc_alloc(total, 16);
    if (p)
        memset(p, 0, total);   /* an overlapping block may hold old bytes */
    return p;
}

BC_EXPORT void *realloc(void *p, size_t size)
{
    if (p && size == 0)
        return NULL;
    void *q = bc_alloc(size, 16);
    if (p && q) {
        /* no sizes are kept: copy `size` bytes, as far as the region goes */
        size_t room = (size_t)(bc_base + BC_REGION - (char *)p);
        memmove(q, p, size < room ? size : room);
    }
    return q;
}

BC_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

static int bc_pow2(size_t a)
{
    return a && !(a & (a - 1));
}

BC_EXPORT void *memalign(size_t align, size_t size)
{
    if (!bc_pow2(align)) {
        errno = EINVAL;
        return NULL;
    }
    return bc_alloc(size, align < 16 ? 16 : align);
}

BC_EXPORT void *aligned_alloc(size_t align, size_t size) { return memalign(align, size); }

BC_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!bc_pow2(align) || align % sizeof(void *))
        return EINVAL;
    void *p = memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

BC_EXPORT void *valloc(size_t size) { return memalign(4096, size); }

BC_EXPORT void *pvalloc(size_t size)
{
    return memalign(4096, (size + 4095) & ~(size_t)4095);
}

BC_EXPORT size_t malloc_usable_size(void *p)
{
    (void)p;
    return 0;
}

#endif
