/* Statistics of husky's allocators (stats.c).
 *
 * HA_STATS_FIELDS is the one list of counters: the struct, the text printer
 * and the JSON printer are all generated from it, so they cannot drift apart.
 * Counting is per thread and without atomics (an initial-exec TLS struct);
 * a thread's counters are merged into the global totals when it exits
 * (pthread key destructor) and at process exit, when HUSKY_STATS prints them.
 * Counting costs one TLS increment; the merging machinery is set up only when
 * HUSKY_STATS is on.
 */
#ifndef HUSKY_STATS_H
#define HUSKY_STATS_H

#include <stdint.h>

#include "alloc/common/alloc.h"

/* X(name, description) */
#define HA_STATS_FIELDS(X) \
    X(malloc_calls,   "malloc calls (and realloc(NULL, n))") \
    X(free_calls,     "free calls with a non-NULL pointer") \
    X(calloc_calls,   "calloc calls") \
    X(realloc_calls,  "realloc calls with a non-NULL pointer and size") \
    X(realloc_inplace, "reallocs resized without moving") \
    X(memalign_calls, "aligned allocations (memalign family)") \
    X(large_allocs,   "requests served directly by mmap") \
    X(calloc_nozero,  "callocs that skipped clearing fresh memory") \
    X(bytes_requested, "total bytes asked for") \
    X(os_mmap,        "mmap calls") \
    X(os_munmap,      "munmap calls") \
    X(os_madvise,     "madvise(DONTNEED) calls") \
    X(os_brk,         "brk/sbrk calls that moved the break") \
    X(bytes_released, "bytes given back to the kernel (munmap, madvise, brk)") \
    X(lock_contended, "lock acquisitions that had to wait or switch arena")

typedef struct ha_stats {
#define HA_STATS_DECL(name, desc) uint64_t name;
    HA_STATS_FIELDS(HA_STATS_DECL)
#undef HA_STATS_DECL
    int registered;                    /* this thread's exit hook is set (stats on) */
} ha_stats_t;

extern __thread ha_stats_t _ha_tls_stats __attribute__((tls_model("initial-exec")));

/* Registers the calling thread's exit hook when HUSKY_STATS is on. */
void _ha_stats_register(void);

/* Adds n to counter `field` of the calling thread. */
#define HA_STAT_ADD(field, n) \
    do { \
        if (HA_UNLIKELY(!_ha_tls_stats.registered)) \
            _ha_stats_register(); \
        _ha_tls_stats.field += (uint64_t)(n); \
    } while (0)
#define HA_STAT_INC(field) HA_STAT_ADD(field, 1)

/* Prints the merged counters (and then the allocator's own) to fd. */
void ha_stats_print(int fd, int json);

/* Merges the calling thread's counters into the totals. */
void ha_stats_merge_thread(void);

/* Around fork: the totals' lock. */
void ha_stats_fork_prepare(void);
void ha_stats_fork_parent(void);
void ha_stats_fork_child(void);

#endif
