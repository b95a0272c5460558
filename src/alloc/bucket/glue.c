/* glue.c: what bucket needs from the system, through the common layer.
 *
 * Mapping, unmapping and purging go through os.h and are counted in the
 * common statistics, and so does the resizing of large blocks (os_mremap).
 * The common layer has no mprotect, so the guard pages call it here,
 * keeping errno as the caller left it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <time.h>

#include "alloc/bucket/bucket.h"
#include "alloc/common/os.h"
#include "alloc/common/stats.h"

#ifdef MADV_POPULATE_WRITE
#define BUCKET_MADV_POPULATE MADV_POPULATE_WRITE
#else
#define BUCKET_MADV_POPULATE 23                 /* Linux's value, older headers lack it */
#endif

/* One statistic: "husky-bucket: key value" lines in text, `"key":value`
 * pairs separated by commas in JSON (the common layer adds the braces). */
void _bucket_write_u64(int fd, const char *key, uint64_t v, int json, bool first)
{
    if (json) {
        os_write_str(fd, first ? "\"" : ",\"");
        os_write_str(fd, key);
        os_write_str(fd, "\":");
    } else {
        os_write_str(fd, "husky-bucket: ");
        os_write_str(fd, key);
        os_write_str(fd, " ");
    }
    os_write_u64(fd, v);
    if (!json)
        os_write_str(fd, "\n");
}

/* Writes "husky-bucket: WHAT 0xADDR" on stderr and aborts. */
void _bucket_fail(const char *what, const void *p)
{
    os_fatal_ptr(what, p);
}

/* ---- memory ---- */

void *_bucket_os_map(size_t size, size_t align)
{
    void *p = NULL;
    int err = align > BUCKET_PAGE ? os_mmap_aligned(size, align, &p) : os_mmap(size, &p);
    if (err != 0)
        return NULL;
    HA_STAT_INC(os_mmap);
    return p;
}

void _bucket_os_unmap(void *p, size_t size)
{
    if (os_munmap(p, size) == 0) {
        HA_STAT_INC(os_munmap);
        HA_STAT_ADD(bytes_released, size);
    }
}

void _bucket_os_purge(void *p, size_t size)
{
    if (os_madvise_dontneed(p, size) == 0) {
        HA_STAT_INC(os_madvise);
        HA_STAT_ADD(bytes_released, size);
    }
}

void _bucket_os_guard(void *p, size_t size)
{
    int saved = errno;
    mprotect(p, size, PROT_NONE);
    errno = saved;
}

/* Asks for transparent huge pages over [p, p+size): where THP is set to
 * "madvise", a fault in a whole 2 MiB-aligned part of the range then maps
 * 2 MiB at once instead of 512 pages one fault each. */
void _bucket_os_hugepage(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    int saved = errno;
    madvise(p, size, MADV_HUGEPAGE);
    errno = saved;
#else
    (void)p;
    (void)size;
#endif
}

/* Makes the pages of [p, p+size) resident in one system call, where each
 * would otherwise cost a page fault when first touched.  p is page-aligned;
 * the length is rounded up to pages.  Without MADV_POPULATE_WRITE (Linux
 * 5.14) it does nothing and the pages fault in as usual. */
void _bucket_os_populate(void *p, size_t size)
{
    int saved = errno;
    madvise(p, (size + BUCKET_PAGE - 1) & ~(size_t)(BUCKET_PAGE - 1), BUCKET_MADV_POPULATE);
    errno = saved;
}

/* Through the common layer's os_mremap, which ThreadSanitizer builds
 * replace by map + copy + unmap (TSan does not see mremap). */
void *_bucket_os_remap(void *p, size_t old_size, size_t new_size)
{
    void *q;
    return os_mremap(p, old_size, new_size, &q) == 0 ? q : NULL;
}

/* A coarse monotonic clock (vDSO, a few nanoseconds) for the purge delays. */
uint64_t _bucket_now_ns(void)
{
    struct timespec ts;
    int saved = errno;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    errno = saved;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
