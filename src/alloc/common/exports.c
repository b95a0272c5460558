/* The public malloc family of a husky allocator library.
 *
 * Each function below checks the arguments with glibc's edge-case semantics
 * and forwards to the backend (_ha_* in alloc.h).  The public names are
 * aliases of these hidden definitions (the library is built with
 * -fvisibility=hidden), so a call to malloc lands directly in ha_malloc with
 * no wrapper in between.  An alias must name a function of the same
 * translation unit, hence one file for all of them.
 *
 * <stdlib.h> and <malloc.h> are deliberately not included: their declarations
 * carry attributes that the alias redeclarations would have to repeat.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/common/alloc.h"
#include "alloc/common/os.h"
#include "alloc/common/stats.h"

#define HA_MAX_REQUEST ((size_t)PTRDIFF_MAX)  /* larger requests fail with ENOMEM */

#define HA_EXPORT(impl) __attribute__((alias(#impl), used, visibility("default")))

/* ---- the checked entry points ---- */

static void *ha_malloc(size_t size)
{
    HA_STAT_INC(malloc_calls);
    HA_STAT_ADD(bytes_requested, size);
    if (HA_UNLIKELY(size > HA_MAX_REQUEST)) {
        errno = ENOMEM;
        return NULL;
    }
    return _ha_malloc(size);
}

static void ha_free(void *p)
{
    if (HA_UNLIKELY(p == NULL))
        return;
    HA_STAT_INC(free_calls);
    _ha_free(p);
}

static void *ha_calloc(size_t nmemb, size_t size)
{
    size_t total;
    HA_STAT_INC(calloc_calls);
    if (HA_UNLIKELY(__builtin_mul_overflow(nmemb, size, &total) || total > HA_MAX_REQUEST)) {
        errno = ENOMEM;
        return NULL;
    }
    HA_STAT_ADD(bytes_requested, total);
    return _ha_calloc(total);
}

/* glibc: realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and returns
 * NULL; a failed realloc leaves p untouched. */
static void *ha_realloc(void *p, size_t size)
{
    if (p == NULL)
        return ha_malloc(size);
    if (size == 0) {
        ha_free(p);
        return NULL;
    }
    HA_STAT_INC(realloc_calls);
    HA_STAT_ADD(bytes_requested, size);
    if (HA_UNLIKELY(size > HA_MAX_REQUEST)) {
        errno = ENOMEM;
        return NULL;
    }
    return _ha_realloc(p, size);
}

static void *ha_reallocarray(void *p, size_t nmemb, size_t size)
{
    size_t total;
    if (HA_UNLIKELY(__builtin_mul_overflow(nmemb, size, &total))) {
        errno = ENOMEM;
        return NULL;
    }
    return ha_realloc(p, total);
}

static int is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* The common path of the memalign family once `align` is a power of two. */
static void *aligned(size_t align, size_t size)
{
    if (HA_UNLIKELY(size > HA_MAX_REQUEST || align > HA_MAX_REQUEST / 2 + 1)) {
        errno = ENOMEM;
        return NULL;
    }
    if (align <= HA_ALIGN)
        return ha_malloc(size);
    HA_STAT_INC(memalign_calls);
    HA_STAT_ADD(bytes_requested, size);
    return _ha_memalign(align, size);
}

/* glibc rounds a non-power-of-two alignment up to the next power of two. */
static void *ha_memalign(size_t align, size_t size)
{
    if (HA_UNLIKELY(align > HA_MAX_REQUEST / 2 + 1)) {
        errno = EINVAL;
        return NULL;
    }
    if (!is_pow2(align)) {
        size_t a = HA_ALIGN;
        while (a < align)
            a <<= 1;
        align = a;
    }
    return aligned(align, size);
}

/* The result is returned, errno is left alone (POSIX). */
static int ha_posix_memalign(void **out, size_t align, size_t size)
{
    if (!is_pow2(align) || align % sizeof(void *) != 0)
        return EINVAL;
    int saved = errno;
    void *p = aligned(align, size);
    if (p == NULL) {
        int err = errno;
        errno = saved;
        return err ? err : ENOMEM;
    }
    *out = p;
    return 0;
}

/* Like glibc 2.38 and later: an alignment that is not a power of two fails
 * with EINVAL (C17 leaves it implementation-defined). */
static void *ha_aligned_alloc(size_t align, size_t size)
{
    if (!is_pow2(align)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(align, size);
}

static void *ha_valloc(size_t size)
{
    return aligned(os_page_size(), size);
}

/* pvalloc rounds the size up to whole pages (0 -> one page). */
static void *ha_pvalloc(size_t size)
{
    size_t page = os_page_size();
    size_t rounded = (size + page - 1) & ~(page - 1);
    if (size > HA_MAX_REQUEST || (size != 0 && rounded < size)) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned(page, rounded ? rounded : page);
}

static size_t ha_malloc_usable_size(void *p)
{
    return p == NULL ? 0 : _ha_usable_size(p);
}

/* ---- the exported names ---- */

void *malloc(size_t size) HA_EXPORT(ha_malloc);
void free(void *p) HA_EXPORT(ha_free);
void *calloc(size_t nmemb, size_t size) HA_EXPORT(ha_calloc);
void *realloc(void *p, size_t size) HA_EXPORT(ha_realloc);
void *reallocarray(void *p, size_t nmemb, size_t size) HA_EXPORT(ha_reallocarray);
void *memalign(size_t align, size_t size) HA_EXPORT(ha_memalign);
int posix_memalign(void **out, size_t align, size_t size) HA_EXPORT(ha_posix_memalign);
void *aligned_alloc(size_t align, size_t size) HA_EXPORT(ha_aligned_alloc);
void *valloc(size_t size) HA_EXPORT(ha_valloc);
void *pvalloc(size_t size) HA_EXPORT(ha_pvalloc);
size_t malloc_usable_size(void *p) HA_EXPORT(ha_malloc_usable_size);

/* ---- fork safety ---- */

static void fork_prepare(void)
{
    _ha_fork_prepare();
    ha_stats_fork_prepare();
}

static void fork_parent(void)
{
    ha_stats_fork_parent();
    _ha_fork_parent();
}

static void fork_child(void)
{
    ha_stats_fork_child();
    _ha_fork_child();
}

/* Registered from a constructor: handlers registered later (by the program)
 * run their prepare step first, so they may still allocate before we lock. */
__attribute__((constructor)) static void register_atfork(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}
