/* A small futex mutex for husky's allocators (header only).
 *
 * State: 0 unlocked, 1 locked, 2 locked with possible waiters (Drepper's
 * "Futexes are tricky", mutex 2).  It needs no initialisation call beyond
 * zeroing, so it works before constructors run, and ha_lock_init can reset it
 * in a fork child whatever state the parent's threads left it in.  errno is
 * preserved across the futex system calls.
 */
#ifndef HUSKY_LOCK_H
#define HUSKY_LOCK_H

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc/common/alloc.h"

typedef struct ha_lock {
    int state;                         /* 0 free, 1 held, 2 held and contended */
} ha_lock_t;

#define HA_LOCK_INIT { 0 }
#define HA_LOCK_SPINS 64               /* tries before sleeping in the kernel */

#if defined(__x86_64__) || defined(__i386__)
#define HA_CPU_RELAX() __builtin_ia32_pause()
#else
#define HA_CPU_RELAX() __asm__ __volatile__("" ::: "memory")
#endif

static inline void ha_lock_init(ha_lock_t *l)
{
    __atomic_store_n(&l->state, 0, __ATOMIC_RELEASE);
}

static inline int ha_lock_trylock(ha_lock_t *l)
{
    int expected = 0;
    return __atomic_compare_exchange_n(&l->state, &expected, 1, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static inline void ha_futex(int *addr, int op, int val)
{
    int saved = errno;
    syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
    errno = saved;
}

/* The contended path: spin a little, then mark the lock contended and sleep. */
static HA_NOINLINE void ha_lock_slow(ha_lock_t *l)
{
    for (int i = 0; i < HA_LOCK_SPINS; i++) {
        if (__atomic_load_n(&l->state, __ATOMIC_RELAXED) == 0 && ha_lock_trylock(l))
            return;
        HA_CPU_RELAX();
    }
    while (__atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE) != 0)
        ha_futex(&l->state, FUTEX_WAIT, 2);
}

static inline void ha_lock(ha_lock_t *l)
{
    if (HA_UNLIKELY(!ha_lock_trylock(l)))
        ha_lock_slow(l);
}

static inline void ha_unlock(ha_lock_t *l)
{
    if (HA_UNLIKELY(__atomic_exchange_n(&l->state, 0, __ATOMIC_RELEASE) == 2))
        ha_futex(&l->state, FUTEX_WAKE, 1);
}

#endif
