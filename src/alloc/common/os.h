/* The OS layer shared by husky's allocators (src/alloc/common/os.c).
 *
 * Every mmap, munmap, madvise, brk, getenv and write an allocator makes goes
 * through here.  Each primitive returns 0 or an errno value and leaves the
 * caller's errno untouched, so a malloc that succeeds never changes errno.
 * Nothing here allocates, uses stdio or depends on the locale.
 */
#ifndef HUSKY_OS_H
#define HUSKY_OS_H

#include <stddef.h>
#include <stdint.h>

/* Anonymous private read-write memory of `size` bytes (a page multiple). */
int os_mmap(size_t size, void **out);

/* Like os_mmap, with the start aligned to `align` (a power-of-two page
 * multiple); the excess around the aligned part is unmapped. */
int os_mmap_aligned(size_t size, size_t align, void **out);

int os_munmap(void *p, size_t size);

/* Gives the pages of [p, p+size) back to the kernel; they read as zero after.
 * p and size must be page multiples. */
int os_madvise_dontneed(void *p, size_t size);

/* Moves the program break by `incr` bytes; *old_end receives the break before
 * the move.  The break is tracked here so that a foreign sbrk is noticed by
 * the caller comparing *old_end with the end it expected. */
int os_sbrk(intptr_t incr, void **old_end);

/* Moves or resizes a mapping (mremap with MREMAP_MAYMOVE). */
int os_mremap(void *old, size_t old_size, size_t new_size, void **out);

size_t os_page_size(void);

/* A monotonic clock in nanoseconds (CLOCK_MONOTONIC_COARSE: a vDSO read,
 * no system call), for rate-limiting work such as returning memory. */
uint64_t os_now_ns(void);

/* The value of environment variable `name`, found by walking `environ`
 * (getenv may not be usable this early, and must not allocate); NULL if unset. */
const char *os_getenv(const char *name);

/* CPUs this process may run on (sched_getaffinity), at least 1. */
unsigned os_ncpus(void);

/* Output without stdio: a string, an unsigned decimal number, a hex address. */
void os_write_str(int fd, const char *s);
void os_write_u64(int fd, uint64_t v);
void os_write_hex(int fd, uintptr_t v);

/* Writes "husky-NAME: msg\n" to stderr and aborts. */
__attribute__((noreturn)) void os_fatal(const char *msg);

/* Like os_fatal, naming the offending address: "husky-NAME: msg 0x...\n". */
__attribute__((noreturn)) void os_fatal_ptr(const char *msg, const void *p);

#endif
