/* What every husky allocator shares (src/alloc/common/).
 *
 * An allocator library (libhusky-NAME.so) is its own code plus the files of
 * this folder.  exports.c, compiled into each library, defines the public
 * malloc family (malloc, free, calloc, realloc, reallocarray, memalign,
 * posix_memalign, aligned_alloc, valloc, pvalloc, malloc_usable_size) with
 * glibc's edge-case semantics (malloc(0), free(NULL), realloc(NULL, n),
 * realloc(p, 0) frees and returns NULL, calloc and reallocarray overflow ->
 * NULL + ENOMEM, posix_memalign's EINVAL, ...) and forwards the checked calls
 * to the backend below, which each allocator implements.  The library is built
 * with -fvisibility=hidden, so only the malloc family is exported.
 *
 * Nothing in this folder calls malloc, stdio or locale functions.
 */
#ifndef HUSKY_ALLOC_H
#define HUSKY_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#define HA_ALIGN 16u                   /* alignment of every block (max_align_t) */

#if defined(__GNUC__)
#define HA_LIKELY(x)   __builtin_expect(!!(x), 1)
#define HA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HA_NOINLINE    __attribute__((noinline))
#define HA_HIDDEN      __attribute__((visibility("hidden")))
#endif

/* ---- the backend: implemented by each allocator ---- */

/* A block of at least `size` bytes (size may be 0), HA_ALIGN-aligned, or NULL
 * with errno = ENOMEM. */
void *_ha_malloc(size_t size);

/* A zeroed block of `size` bytes (overflow of nmemb*size already checked). */
void *_ha_calloc(size_t size);

/* Releases p (never NULL).  Invalid and double frees abort with a message. */
void _ha_free(void *p);

/* Resizes p (never NULL) to size (never 0); NULL + ENOMEM leaves p intact. */
void *_ha_realloc(void *p, size_t size);

/* A block of `size` bytes aligned to `align` (a power of two > HA_ALIGN). */
void *_ha_memalign(size_t align, size_t size);

/* Usable bytes of p (never NULL), at least the size asked for. */
size_t _ha_usable_size(const void *p);

/* Around fork(): take every lock, release them in the parent, re-initialise
 * them in the child.  Registered with pthread_atfork by the common layer. */
void _ha_fork_prepare(void);
void _ha_fork_parent(void);
void _ha_fork_child(void);

/* Name of the allocator ("list", "buddy", "bucket"), used in messages. */
extern const char _ha_name[];

/* Writes the allocator's own statistics (HUSKY_STATS=1) to fd; called once at
 * exit after the common counters.  Uses only os_write*. */
void _ha_stats_print(int fd, int json);

#endif
