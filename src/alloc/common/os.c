/* The OS layer of husky's allocators: thin, errno-preserving wrappers over
 * the system calls an allocator needs.  See os.h. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc/common/alloc.h"
#include "alloc/common/os.h"

extern char **environ;

/* ---- memory ---- */

int os_mmap(size_t size, void **out)
{
    int saved = errno;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int err = (p == MAP_FAILED) ? errno : 0;
    errno = saved;
    if (err)
        return err;
    *out = p;
    return 0;
}

int os_mmap_aligned(size_t size, size_t align, void **out)
{
    if (align <= os_page_size())
        return os_mmap(size, out);
    if (size + align < size)
        return ENOMEM;
    void *raw;
    int err = os_mmap(size + align, &raw);
    if (err)
        return err;
    uintptr_t start = (uintptr_t)raw;
    uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
    size_t head = aligned - start;
    size_t tail = align - head;
    if (head)
        os_munmap(raw, head);
    if (tail)
        os_munmap((void *)(aligned + size), tail);
    *out = (void *)aligned;
    return 0;
}

int os_munmap(void *p, size_t size)
{
    int saved = errno;
    int err = munmap(p, size) ? errno : 0;
    errno = saved;
    return err;
}

int os_madvise_dontneed(void *p, size_t size)
{
    int saved = errno;
    int err = madvise(p, size, MADV_DONTNEED) ? errno : 0;
    errno = saved;
    return err;
}

int os_sbrk(intptr_t incr, void **old_end)
{
    int saved = errno;
    void *p = sbrk(incr);
    int err = (p == (void *)-1) ? (errno ? errno : ENOMEM) : 0;
    errno = saved;
    if (err)
        return err;
    *old_end = p;
    return 0;
}

/* ThreadSanitizer does not intercept mremap: memory it moves keeps the
 * access history of whatever the new addresses held before (and the old
 * range keeps its own), which TSan then reports as races between threads
 * that never shared the memory.  Built for TSan, a resize is a fresh
 * mapping, a copy and an unmap, all of which it sees. */
#if defined(__SANITIZE_THREAD__)
#define OS_NO_MREMAP 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OS_NO_MREMAP 1
#endif
#endif

int os_mremap(void *old, size_t old_size, size_t new_size, void **out)
{
#ifdef OS_NO_MREMAP
    size_t page = os_page_size();
    old_size = (old_size + page - 1) & ~(page - 1);
    new_size = (new_size + page - 1) & ~(page - 1);
    if (new_size <= old_size) {
        if (new_size < old_size)
            os_munmap((char *)old + new_size, old_size - new_size);
        *out = old;
        return 0;
    }
    void *p;
    int err = os_mmap(new_size, &p);
    if (err)
        return err;
    memcpy(p, old, old_size);
    os_munmap(old, old_size);
    *out = p;
    return 0;
#else
    int saved = errno;
    void *p = mremap(old, old_size, new_size, MREMAP_MAYMOVE);
    int err = (p == MAP_FAILED) ? errno : 0;
    errno = saved;
    if (err)
        return err;
    *out = p;
    return 0;
#endif
}

uint64_t os_now_ns(void)
{
    struct timespec ts;
    int saved = errno;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
        ts.tv_sec = ts.tv_nsec = 0;
    errno = saved;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Threads may ask for the first time at once: each computes the same value,
 * and the cache is read and written atomically so that this is no data race. */
size_t os_page_size(void)
{
    static size_t page;
    size_t v = __atomic_load_n(&page, __ATOMIC_RELAXED);
    if (HA_UNLIKELY(v == 0)) {
        int saved = errno;
        long sys = sysconf(_SC_PAGESIZE);
        errno = saved;
        v = sys > 0 ? (size_t)sys : 4096;
        __atomic_store_n(&page, v, __ATOMIC_RELAXED);
    }
    return v;
}

/* ---- environment and system ---- */

const char *os_getenv(const char *name)
{
    size_t len = strlen(name);
    if (environ == NULL)
        return NULL;
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    }
    return NULL;
}

unsigned os_ncpus(void)
{
    unsigned long mask[128];           /* room for 8192 CPUs */
    int saved = errno;
    long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    errno = saved;
    if (n <= 0)
        return 1;
    unsigned count = 0;
    for (size_t i = 0; i < (size_t)n / sizeof mask[0]; i++)
        count += (unsigned)__builtin_popcountl(mask[i]);
    return count ? count : 1;
}

/* ---- output ---- */

static void write_all(int fd, const char *s, size_t len)
{
    int saved = errno;
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        s += n;
        len -= (size_t)n;
    }
    errno = saved;
}

void os_write_str(int fd, const char *s)
{
    write_all(fd, s, strlen(s));
}

void os_write_u64(int fd, uint64_t v)
{
    char buf[24];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    write_all(fd, buf + i, sizeof buf - i);
}

void os_write_hex(int fd, uintptr_t v)
{
    char buf[2 + 2 * sizeof v];
    size_t i = sizeof buf;
    do {
        buf[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    buf[--i] = 'x';
    buf[--i] = '0';
    write_all(fd, buf + i, sizeof buf - i);
}

/* ---- fatal errors ---- */

static void fatal_prefix(void)
{
    os_write_str(2, "husky-");
    os_write_str(2, _ha_name);
    os_write_str(2, ": ");
}

void os_fatal(const char *msg)
{
    fatal_prefix();
    os_write_str(2, msg);
    os_write_str(2, "\n");
    abort();
}

void os_fatal_ptr(const char *msg, const void *p)
{
    fatal_prefix();
    os_write_str(2, msg);
    os_write_str(2, " ");
    os_write_hex(2, (uintptr_t)p);
    os_write_str(2, "\n");
    abort();
}
