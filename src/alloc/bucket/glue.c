/* glue.c: what bucket needs from the system, in one place. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc/bucket/bucket.h"

void _bucket_write(int fd, const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static char *fmt_u64(char *end, uint64_t v)
{
    *--end = '\0';
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return end;
}

static char *fmt_hex(char *end, uintptr_t v)
{
    *--end = '\0';
    do {
        *--end = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    *--end = 'x';
    *--end = '0';
    return end;
}

void _bucket_write_u64(int fd, const char *key, uint64_t v, int json, bool last)
{
    char buf[32];
    _bucket_write(fd, json ? ", \"" : "  ");
    _bucket_write(fd, key);
    _bucket_write(fd, json ? "\": " : ": ");
    _bucket_write(fd, fmt_u64(buf + sizeof buf, v));
    if (!json || last)
        _bucket_write(fd, json ? "" : "\n");
}

/* Writes "husky bucket: WHAT 0xADDR" and aborts; no stdio, no malloc. */
void _bucket_fail(const char *what, const void *p)
{
    char buf[32];
    _bucket_write(2, "husky bucket: ");
    _bucket_write(2, what);
    _bucket_write(2, " ");
    _bucket_write(2, fmt_hex(buf + sizeof buf, (uintptr_t)p));
    _bucket_write(2, "\n");
    abort();
}

/* ---- memory ---- */

void *_bucket_os_map(size_t size, size_t align)
{
    int saved = errno;
    size_t extra = align > BUCKET_PAGE ? align : 0;
    char *m = mmap(NULL, size + extra, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        errno = saved;
        return NULL;
    }
    if (extra != 0) {
        uintptr_t a = ((uintptr_t)m + align - 1) & ~(uintptr_t)(align - 1);
        size_t head = a - (uintptr_t)m;
        if (head != 0)
            munmap(m, head);
        if (extra - head != 0)
            munmap((char *)a + size, extra - head);
        m = (char *)a;
    }
    errno = saved;
    return m;
}

void _bucket_os_unmap(void *p, size_t size)
{
    int saved = errno;
    munmap(p, size);
    errno = saved;
}

void _bucket_os_purge(void *p, size_t size)
{
    int saved = errno;
    madvise(p, size, MADV_DONTNEED);
    errno = saved;
}

void _bucket_os_guard(void *p, size_t size)
{
    int saved = errno;
    mprotect(p, size, PROT_NONE);
    errno = saved;
}

void *_bucket_os_remap(void *p, size_t old_size, size_t new_size)
{
    int saved = errno;
    void *q = mremap(p, old_size, new_size, MREMAP_MAYMOVE);
    errno = saved;
    return q == MAP_FAILED ? NULL : q;
}

uint64_t _bucket_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- locks: a futex word, 0 free, 1 held, 2 held with waiters ---- */

void _bucket_lock(bucket_lock_t *lock)
{
    uint32_t c = 0;
    if (atomic_compare_exchange_strong(&lock->state, &c, 1))
        return;
    int saved = errno;
    if (c != 2)
        c = atomic_exchange(&lock->state, 2);
    while (c != 0) {
        syscall(SYS_futex, &lock->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
        c = atomic_exchange(&lock->state, 2);
    }
    errno = saved;
}

void _bucket_unlock(bucket_lock_t *lock)
{
    if (atomic_exchange(&lock->state, 0) == 2) {
        int saved = errno;
        syscall(SYS_futex, &lock->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        errno = saved;
    }
}
