/* Internal header of the capture shim (cap_): libhuskycapture.so.
 *
 * The shim is preloaded into a traced program.  It interposes the malloc
 * family (hooks.c), forwards each call to glibc's __libc_* entry points and
 * appends one record per call to the calling thread's current chunk of the
 * trace file (emit.c).  The trace file is mapped MAP_SHARED (file.c), so a
 * record is in the page cache as soon as it is written: a SIGKILL loses
 * nothing that completed.  Order keys come from clock.c.
 *
 * Nothing here calls malloc, stdio or locale functions: all of it runs
 * inside malloc.
 */
#ifndef HUSKY_CAP_H
#define HUSKY_CAP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "capture/encode.h"
#include "trace/trace.h"

#define CAP_LIKELY(x)   __builtin_expect(!!(x), 1)
#define CAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CAP_HIDDEN      __attribute__((visibility("hidden")))
#define CAP_TLS         __attribute__((tls_model("initial-exec")))

/* Process-wide states of the shim (cap_state). */
enum cap_state_value {
    CAP_UNINIT = 0,            /* no call seen yet */
    CAP_INITIALIZING = 1,      /* one thread is setting the trace up */
    CAP_READY = 2,             /* recording */
    CAP_OFF = 3                /* not recording (no HUSKY_TRACE_DIR, or an error) */
};

/* Per-thread recording state, in initial-exec TLS (dynamic TLS may call malloc).
 * Invariant: when `chunk` is set, pos <= end, both inside chunk's payload,
 * and chunk->used == pos - payload start after every completed record. */
struct cap_thread {
    struct htr_chunk_header *chunk;  /* current chunk in the mapping, or NULL */
    uint8_t *pos;                    /* where the next record goes */
    uint8_t *end;                    /* end of the current chunk's payload */
    struct htr_codec_state codec;    /* delta state of the current chunk */
    uint64_t key;                    /* the last order key this thread took */
    uint32_t index;                  /* thread index + 1; 0 before the first event */
    int solo;                        /* the process's first thread (index 1) */
    int started;                     /* thread_start written */
    uint32_t next_size;              /* bytes (header included) of the next chunk */
    int busy;                        /* inside the shim: nested calls pass through */
    int exits;                       /* times the exit destructor ran */
    int exited;                      /* thread_exit written (end == pos forces
                                        the slow path for any later call) */
};

/* ---- hooks.c ---- */
extern __thread struct cap_thread cap_self CAP_TLS CAP_HIDDEN;

/* ---- clock.c ---- */
/* Where order keys come from (cap_clock). */
enum cap_clock_kind {
    CAP_CLOCK_ADDRESS = 0,     /* per-thread keys, synchronised through the
                                  addresses released and acquired: ns */
    CAP_CLOCK_COUNTER = 1,     /* one shared counter kept at or above
                                  CLOCK_MONOTONIC_COARSE: ns, exact order */
    CAP_CLOCK_MONOTONIC = 2,   /* clock_gettime(CLOCK_MONOTONIC) per event */
    CAP_CLOCK_TSC = 3          /* the TSC (HTR_F_TSC) */
};
#define CAP_SLOT_BITS 18       /* address slots: 2^18 keys, 2 MiB reserved */
extern int cap_clock CAP_HIDDEN;             /* enum cap_clock_kind */
extern uint64_t cap_counter CAP_HIDDEN;      /* the shared counter (atomic) */
extern uint64_t *cap_slots CAP_HIDDEN;       /* per-address last keys (atomic) */
extern int cap_multi CAP_HIDDEN;             /* a second thread records (atomic) */
extern uint64_t cap_solo_key CAP_HIDDEN;     /* the first thread's last key while
                                                it is alone (atomic) */
extern uint64_t cap_key_floor CAP_HIDDEN;    /* keys start above it (trace start) */
void cap_clock_init(void) CAP_HIDDEN;
uint64_t cap_now_ns(void) CAP_HIDDEN;
/* clock_gettime: the vDSO's own once the trace is set up, else glibc's */
extern int (*cap_gettime)(clockid_t, struct timespec *) CAP_HIDDEN;

static inline uint64_t cap_ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* CLOCK_MONOTONIC_COARSE in ns: the clock tick, read without the TSC. */
static inline uint64_t cap_coarse_ns(void)
{
    struct timespec ts;
    cap_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return cap_ts_ns(&ts);
}
void cap_thread_register(struct cap_thread *t) CAP_HIDDEN;   /* emit.c */

/* Reads the TSC after every earlier instruction completed (lfence): the key
 * comes after the loads that found the block (a pointer handed over by
 * another thread, or the block a malloc took), and before any store of the
 * call that follows (stores become visible only after the read retires). */
static inline uint64_t cap_tsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* The next value of the shared counter: one more than the last key, or the
 * coarse clock if that is ahead.  The compare-and-swap is a locked
 * instruction: it completes after the loads before it and before the
 * stores after it, and all of them form one total order, so a release and
 * a later acquisition of the same block get increasing keys on any CPUs. */
static inline uint64_t cap_counter_next(void)
{
    uint64_t now = cap_coarse_ns();
    uint64_t cur = __atomic_load_n(&cap_counter, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t next = cur + 1 > now ? cur + 1 : now;
        if (__atomic_compare_exchange_n(&cap_counter, &cur, next, 1, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED))
            return next;
    }
}

/* The slot of an address: one per 4 KiB page, so that a thread's blocks
 * share few cache lines of slots (8 pages per line) and those stay in its
 * cache, plus an offset per GiB region, so that distant heaps do not
 * collide.  Blocks that share a slot only share keys: correct, as a key
 * may always be larger than it needs to be. */
CAP_INLINE uint64_t *cap_slot(uint64_t addr)
{
    uint64_t region = (addr >> 30) * 0x9e3779b97f4a7c15ull;
    return &cap_slots[((addr >> 12) + (region >> 40)) & ((1u << CAP_SLOT_BITS) - 1)];
}

/* Raises the slot of addr to at least k and returns the key to use, above
 * whatever the slot held (the last key taken on any address of the slot). */
CAP_INLINE uint64_t cap_slot_key(uint64_t addr, uint64_t k)
{
    uint64_t *s = cap_slot(addr);
    uint64_t v = __atomic_load_n(s, __ATOMIC_RELAXED);
    if (v >= k)
        k = v + 1;
    while (v < k && !__atomic_compare_exchange_n(s, &v, k, 1, __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED))
        ;
    return k;
}

/* The address key (docs/trace-format.md, "Order keys"): one more than the
 * thread's last key, at least the coarse clock (so keys are ns), and, once
 * a second thread records, above the last key taken on the same address
 * slot and above the first thread's keys from when it was alone.  A release
 * publishes its key in the slot before the call; the acquisition of the same
 * block happens after that call, in whichever thread, so it reads that key
 * or a later one (the allocator's own synchronisation orders the two) and
 * takes a larger key.  A thread alone in the process skips the slots; the
 * second thread raises cap_multi before its first key, and the first thread
 * reads that flag at each key, after the call for an acquisition.  No line
 * is written by two threads unless they share blocks. */
CAP_INLINE uint64_t cap_address_key(struct cap_thread *t, uint64_t addr)
{
    uint64_t k = t->key + 1, now = cap_coarse_ns();
    if (now > k)
        k = now;
    if (CAP_LIKELY(t->solo) && !__atomic_load_n(&cap_multi, __ATOMIC_RELAXED)) {
        __atomic_store_n(&cap_solo_key, k, __ATOMIC_RELAXED);
        return t->key = k;
    }
    uint64_t solo = __atomic_load_n(&cap_solo_key, __ATOMIC_RELAXED);
    if (solo >= k)
        k = solo + 1;
    if (addr)
        k = cap_slot_key(addr, k);
    return t->key = k;
}

/* An order key for the block at addr (0: none), the thread registered
 * first if it has no index yet.  The same function serves
 * both sides of the invariant: callers take it before a call that releases
 * memory and after a call that acquires memory. */
CAP_INLINE uint64_t cap_key(struct cap_thread *t, uint64_t addr)
{
    if (CAP_UNLIKELY(t->index == 0))
        cap_thread_register(t);
    if (CAP_LIKELY(cap_clock == CAP_CLOCK_ADDRESS))
        return cap_address_key(t, addr);
    if (cap_clock == CAP_CLOCK_COUNTER)
        return cap_counter_next();
    return cap_clock == CAP_CLOCK_TSC ? cap_tsc() : cap_now_ns();
}

/* ---- file.c ---- */
/* The extended attribute in which a normal exit leaves the size the trace
 * file was cut to (decimal); tool.h's cap_trim_trace reads it. */
#define CAP_END_XATTR "user.husky.end"

extern int cap_state CAP_HIDDEN;             /* enum cap_state_value (atomic) */
extern int cap_callers CAP_HIDDEN;           /* records carry caller addresses */
int cap_init_slow(void) CAP_HIDDEN;          /* 1 when recording */
/* Reserves a chunk of `size` bytes; returns its address in the mapping or
 * NULL when the trace cannot grow (recording then stops for the thread). */
struct htr_chunk_header *cap_reserve(uint32_t size) CAP_HIDDEN;
/* A chunk its thread writes no more: its pages may leave the process. */
void cap_retire(struct htr_chunk_header *c) CAP_HIDDEN;
/* The first chunk, prepared by file setup for the thread that sets up. */
struct htr_chunk_header *cap_take_first_chunk(uint32_t *size) CAP_HIDDEN;
uint32_t cap_next_thread_index(void) CAP_HIDDEN;

/* ---- emit.c ---- */
void cap_thread_reset(struct cap_thread *t) CAP_HIDDEN;
void cap_emit_slow(struct cap_thread *t, const struct htr_event *ev) CAP_HIDDEN;
void cap_thread_key_init(void) CAP_HIDDEN;

/* Appends ev to the calling thread's chunk and publishes it (the release
 * store of `used` makes the record count only once it is whole).  The slow
 * path gets a copy: the hook's own event never has its address taken, so
 * the compiler keeps its fields in registers and folds the constant op
 * through the encoder. */
CAP_INLINE void
cap_emit(struct cap_thread *t, const struct htr_event *ev)
{
    if (CAP_UNLIKELY(t->end - t->pos < (ptrdiff_t)HTR_MAX_RECORD)) {
        struct htr_event copy = *ev;
        cap_emit_slow(t, &copy);
        return;
    }
    t->pos = cap_encode(t->pos, &t->codec, ev, cap_callers);
    uint32_t used = (uint32_t)(t->pos - (uint8_t *)(t->chunk + 1));
    __atomic_store_n(&t->chunk->used, used, __ATOMIC_RELEASE);
}

#endif
