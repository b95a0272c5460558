/* The interposed malloc family of libhuskycapture.so.
 *
 * Each entry point forwards to glibc's __libc_* function directly (no dlsym,
 * which may itself call calloc, so no bootstrap buffer is needed) and
 * records the call.  Order keys follow DESIGN.md's invariant: taken before
 * the call for what releases memory, after it for what acquires memory;
 * realloc and reallocarray carry both.  A per-thread busy flag in
 * initial-exec TLS makes calls made from inside the shim, or from a signal
 * handler interrupting it, pass through unrecorded.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap.h"

#define CAP_EXPORT __attribute__((visibility("default")))
#define CALLER ((uint64_t)(uintptr_t)__builtin_return_address(0))

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* An event with every field set: one store per field.  (An initializer
 * `= { .op = ... }` zeroes the 96 bytes first with `rep stosq`, whose
 * start-up alone was a quarter of the shim's time per call.) */
CAP_INLINE struct htr_event
event(uint8_t op, uint64_t count, uint64_t size, uint64_t align, uint64_t ptr,
      uint64_t result, uint64_t caller)
{
    struct htr_event ev;
    ev.seq = ev.seq2 = ev.time_ns = ev.tid = 0;
    ev.size = size;
    ev.count = count;
    ev.align = align;
    ev.ptr = ptr;
    ev.result = result;
    ev.caller = caller;
    ev.thread = 0;
    ev.op = op;
    ev.phase = 0;
    return ev;
}

/* Whether this call is recorded; sets the busy flag when it is. */
CAP_INLINE int enter(struct cap_thread *t)
{
    if (CAP_UNLIKELY(t->busy))
        return 0;
    t->busy = 1;
    if (CAP_UNLIKELY(__atomic_load_n(&cap_state, __ATOMIC_RELAXED) != CAP_READY)
        && !cap_init_slow()) {
        t->busy = 0;
        return 0;
    }
    return 1;
}

CAP_INLINE void leave(struct cap_thread *t)
{
    t->busy = 0;
}

/* Records an acquisition: op with its arguments and result. */
CAP_INLINE void record_acquire(struct cap_thread *t, uint8_t op, uint64_t count,
                               uint64_t size, uint64_t align, void *result,
                               uint64_t caller)
{
    struct htr_event ev = event(op, count, size, align, 0, (uint64_t)(uintptr_t)result,
                                caller);
    ev.seq = ev.seq2 = cap_key(t, ev.result);
    cap_emit(t, &ev);
}

CAP_EXPORT void *malloc(size_t size)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t))
        return __libc_malloc(size);
    void *p = __libc_malloc(size);
    record_acquire(t, HTR_OP_MALLOC, 1, size, 0, p, CALLER);
    leave(t);
    return p;
}

CAP_EXPORT void *calloc(size_t count, size_t size)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t))
        return __libc_calloc(count, size);
    void *p = __libc_calloc(count, size);
    record_acquire(t, HTR_OP_CALLOC, count, size, 0, p, CALLER);
    leave(t);
    return p;
}

CAP_EXPORT void free(void *ptr)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t)) {
        __libc_free(ptr);
        return;
    }
    struct htr_event ev = event(HTR_OP_FREE, 1, 0, 0, (uint64_t)(uintptr_t)ptr, 0, CALLER);
    ev.seq = ev.seq2 = cap_key(t, ev.ptr);
    __libc_free(ptr);
    cap_emit(t, &ev);
    leave(t);
}

/* realloc and reallocarray: the release key before, the acquire key after. */
CAP_INLINE void *realloc_recorded(struct cap_thread *t, uint8_t op, void *ptr,
                                  uint64_t count, size_t size, int overflow,
                                  uint64_t caller)
{
    struct htr_event ev = event(op, count, size, 0, (uint64_t)(uintptr_t)ptr, 0, caller);
    ev.seq = cap_key(t, ev.ptr);
    void *p;
    if (overflow) {
        errno = ENOMEM;
        p = NULL;
    } else {
        p = __libc_realloc(ptr, op == HTR_OP_REALLOC ? size : (size_t)count * size);
    }
    ev.result = (uint64_t)(uintptr_t)p;
    ev.seq2 = cap_key(t, ev.result);
    if (ev.seq2 < ev.seq)
        ev.seq2 = ev.seq;
    cap_emit(t, &ev);
    return p;
}

CAP_EXPORT void *realloc(void *ptr, size_t size)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t))
        return __libc_realloc(ptr, size);
    void *p = realloc_recorded(t, HTR_OP_REALLOC, ptr, 1, size, 0, CALLER);
    leave(t);
    return p;
}

CAP_EXPORT void *reallocarray(void *ptr, size_t count, size_t size)
{
    size_t total;
    int overflow = __builtin_mul_overflow(count, size, &total);
    struct cap_thread *t = &cap_self;
    if (!enter(t)) {
        if (overflow) {
            errno = ENOMEM;
            return NULL;
        }
        return __libc_realloc(ptr, total);
    }
    void *p = realloc_recorded(t, HTR_OP_REALLOCARRAY, ptr, count, size, overflow, CALLER);
    leave(t);
    return p;
}

CAP_EXPORT void *memalign(size_t align, size_t size)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t))
        return __libc_memalign(align, size);
    void *p = __libc_memalign(align, size);
    record_acquire(t, HTR_OP_MEMALIGN, 1, size, align, p, CALLER);
    leave(t);
    return p;
}

/* glibc 2.36's rule: the alignment must be a power of two. */
CAP_EXPORT void *aligned_alloc(size_t align, size_t size)
{
    int bad = align == 0 || (align & (align - 1)) != 0;
    struct cap_thread *t = &cap_self;
    int rec = enter(t);
    void *p = NULL;
    if (bad)
        errno = EINVAL;
    else
        p = __libc_memalign(align, size);
    if (rec) {
        record_acquire(t, HTR_OP_ALIGNED_ALLOC, 1, size, align, p, CALLER);
        leave(t);
    }
    return p;
}

/* posix_memalign reports errors by its return value and leaves errno alone. */
CAP_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    int saved = errno;
    int bad = align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0;
    struct cap_thread *t = &cap_self;
    int rec = enter(t);
    void *p = bad ? NULL : __libc_memalign(align, size);
    int rc = bad ? EINVAL : p ? 0 : ENOMEM;
    if (p)
        *out = p;
    if (rec) {
        record_acquire(t, HTR_OP_POSIX_MEMALIGN, 1, size, align, p, CALLER);
        leave(t);
    }
    errno = saved;
    return rc;
}

CAP_EXPORT void *valloc(size_t size)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t))
        return __libc_valloc(size);
    void *p = __libc_valloc(size);
    record_acquire(t, HTR_OP_VALLOC, 1, size, 0, p, CALLER);
    leave(t);
    return p;
}

CAP_EXPORT void *pvalloc(size_t size)
{
    struct cap_thread *t = &cap_self;
    if (!enter(t))
        return __libc_pvalloc(size);
    void *p = __libc_pvalloc(size);
    record_acquire(t, HTR_OP_PVALLOC, 1, size, 0, p, CALLER);
    leave(t);
    return p;
}
