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
    uint32_t index;                  /* thread index + 1; 0 before the first event */
    uint32_t next_size;              /* bytes (header included) of the next chunk */
    int busy;                        /* inside the shim: nested calls pass through */
    int exits;                       /* times the exit destructor ran */
};

/* ---- hooks.c ---- */
extern __thread struct cap_thread cap_self CAP_TLS CAP_HIDDEN;

/* ---- clock.c ---- */
extern int cap_use_tsc CAP_HIDDEN;           /* keys are TSC ticks (HTR_F_TSC) */
void cap_clock_init(void) CAP_HIDDEN;
uint64_t cap_now_ns(void) CAP_HIDDEN;

/* Order key taken before a call releases memory: nothing the call does may
 * become visible before the key is read (stores retire after it). */
static inline uint64_t cap_key_before(void)
{
    if (cap_use_tsc) {
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
    }
    return cap_now_ns();
}

/* Order key taken after a call acquired memory: the loads that found the
 * block must complete before the key is read (hence the lfence). */
static inline uint64_t cap_key_after(void)
{
    if (cap_use_tsc) {
        uint32_t lo, hi;
        __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
        return ((uint64_t)hi << 32) | lo;
    }
    return cap_now_ns();
}

/* ---- file.c ---- */
extern int cap_state CAP_HIDDEN;             /* enum cap_state_value (atomic) */
extern int cap_callers CAP_HIDDEN;           /* records carry caller addresses */
int cap_init_slow(void) CAP_HIDDEN;          /* 1 when recording */
/* Reserves a chunk of `size` bytes; returns its address in the mapping or
 * NULL when the trace cannot grow (recording then stops for the thread). */
struct htr_chunk_header *cap_reserve(uint32_t size) CAP_HIDDEN;
/* The first chunk, prepared by file setup for the thread that sets up. */
struct htr_chunk_header *cap_take_first_chunk(uint32_t *size) CAP_HIDDEN;
uint32_t cap_next_thread_index(void) CAP_HIDDEN;

/* ---- emit.c ---- */
void cap_thread_reset(struct cap_thread *t) CAP_HIDDEN;
void cap_emit_slow(struct cap_thread *t, const struct htr_event *ev) CAP_HIDDEN;
void cap_thread_key_init(void) CAP_HIDDEN;

/* Appends ev to the calling thread's chunk and publishes it (the release
 * store of `used` makes the record count only once it is whole). */
static inline void cap_emit(struct cap_thread *t, const struct htr_event *ev)
{
    if (CAP_UNLIKELY(t->end - t->pos < (ptrdiff_t)HTR_MAX_RECORD)) {
        cap_emit_slow(t, ev);
        return;
    }
    t->pos = cap_encode(t->pos, &t->codec, ev, cap_callers);
    uint32_t used = (uint32_t)(t->pos - (uint8_t *)(t->chunk + 1));
    __atomic_store_n(&t->chunk->used, used, __ATOMIC_RELEASE);
}

#endif
