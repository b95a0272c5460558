/* Per-thread chunks of the capture shim: a thread's first event, full
 * chunks, and the thread's exit event.
 *
 * The common path (cap_emit in cap.h) only encodes into the current chunk.
 * Everything else lands here: it starts the thread (index, thread_start
 * event), retires a full chunk (its pages leave the process, so the shim's
 * memory stays bounded however long the program runs) and reserves the
 * next one, whose size doubles from one page up to CHUNK_MAX.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capture/cap.h"

#define CHUNK_MAX (256u << 10)          /* largest chunk, header included */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23          /* Linux 5.14; older kernels say EINVAL */
#endif

__thread struct cap_thread cap_self CAP_TLS;

static pthread_key_t exit_key;          /* its destructor records thread_exit */

/* Forgets the thread's chunk (fork child: the chunk is in the parent's file). */
void cap_thread_reset(struct cap_thread *t)
{
    t->chunk = NULL;
    t->pos = t->end = NULL;
    t->index = 0;
    t->solo = 0;
    t->started = 0;
    t->next_size = 0;
    t->exits = 0;
    t->exited = 0;
}

/* Starts chunk c of `size` bytes for thread t, with base key `key`. */
static void chunk_start(struct cap_thread *t, struct htr_chunk_header *c, uint32_t size,
                        uint64_t key)
{
    c->thread = t->index - 1;
    c->capacity = size - HTR_CHUNK_HEADER;
    c->used = 0;
    c->base_key = key;
    c->base_ns = cap_clock == CAP_CLOCK_MONOTONIC ? key : cap_now_ns();
    __atomic_store_n(&c->magic, HTR_CHUNK_MAGIC, __ATOMIC_RELEASE);
    t->chunk = c;
    t->pos = (uint8_t *)(c + 1);
    t->end = t->pos + c->capacity;
    htr_codec_reset(&t->codec, key);
}

/* Retires t's chunk, if any: t then has none (and takes the slow path). */
static void chunk_drop(struct cap_thread *t)
{
    if (t->chunk)
        cap_retire(t->chunk);
    t->chunk = NULL;
    t->pos = t->end = NULL;
}

/* Gives t a fresh chunk whose base key is `key`; 0 when the trace is full. */
static int chunk_next(struct cap_thread *t, uint64_t key)
{
    uint32_t size;
    struct htr_chunk_header *c = NULL;
    chunk_drop(t);
    if (t->next_size == 0) {
        c = cap_take_first_chunk(&size);
        t->next_size = (uint32_t)sysconf(_SC_PAGESIZE);
    }
    if (!c) {
        size = t->next_size;
        c = cap_reserve(size);
        if (!c)
            return 0;
        if (t->next_size < CHUNK_MAX)
            t->next_size *= 2;
        /* one system call maps the whole chunk: page faults one page at a
         * time cost twice as much (docs/benchmarks/capture.md) */
        madvise(c, size, MADV_POPULATE_WRITE);
    }
    chunk_start(t, c, size, key);
    return 1;
}

/* Encodes ev into t's chunk, taking a new chunk when it is full. */
static void put(struct cap_thread *t, const struct htr_event *ev)
{
    if (t->end - t->pos < (ptrdiff_t)HTR_MAX_RECORD && !chunk_next(t, ev->seq))
        return;
    t->pos = cap_encode(t->pos, &t->codec, ev, cap_callers);
    uint32_t used = (uint32_t)(t->pos - (uint8_t *)(t->chunk + 1));
    __atomic_store_n(&t->chunk->used, used, __ATOMIC_RELEASE);
}

/* A thread's index, taken when it takes its first key: the first thread
 * of the process is alone (solo) until another one registers. */
void cap_thread_register(struct cap_thread *t)
{
    t->index = cap_next_thread_index() + 1;
    t->solo = t->index == 1;
    if (!t->solo)
        __atomic_store_n(&cap_multi, 1, __ATOMIC_RELAXED);
    if (t->key < cap_key_floor)
        t->key = cap_key_floor;
}

/* A thread's first event: its exit hook, its thread_start. */
static void thread_start(struct cap_thread *t, uint64_t key)
{
    if (t->index == 0)
        cap_thread_register(t);
    t->started = 1;
    pthread_setspecific(exit_key, (void *)1);
    struct htr_event ev;
    memset(&ev, 0, sizeof ev);
    ev.op = HTR_OP_THREAD_START;
    ev.seq = ev.seq2 = key;
    ev.count = 1;
    ev.tid = (uint64_t)syscall(SYS_gettid);
    put(t, &ev);
}

/* A call after the thread's thread_exit: glibc frees thread state
 * (strerror, resolver, ...) after the key destructors.  free(NULL) changes
 * nothing and is dropped; anything else opens a new thread index for the
 * rest of the thread's life, so that no event follows a thread_exit. */
static int after_exit(struct cap_thread *t, const struct htr_event *ev)
{
    if (ev->op == HTR_OP_FREE && ev->ptr == 0)
        return 0;
    t->exited = 0;
    t->index = 0;
    t->started = 0;
    t->solo = 0;
    chunk_drop(t);
    return 1;
}

void cap_emit_slow(struct cap_thread *t, const struct htr_event *ev)
{
    int saved = errno;
    if (t->exited && !after_exit(t, ev)) {
        errno = saved;
        return;
    }
    if (!t->started)
        thread_start(t, ev->seq);
    put(t, ev);
    errno = saved;
}

/* Thread exit.  glibc runs key destructors in up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds; re-arming the key until the last
 * round lets other keys' destructors free their memory before thread_exit
 * is written. */
static void thread_exit(void *arg)
{
    struct cap_thread *t = &cap_self;
    if (t->index == 0 || __atomic_load_n(&cap_state, __ATOMIC_ACQUIRE) != CAP_READY)
        return;
    if (++t->exits < PTHREAD_DESTRUCTOR_ITERATIONS) {
        pthread_setspecific(exit_key, arg);
        return;
    }
    int busy = t->busy;
    t->busy = 1;
    struct htr_event ev;
    memset(&ev, 0, sizeof ev);
    ev.op = HTR_OP_THREAD_EXIT;
    ev.count = 1;
    ev.seq = ev.seq2 = cap_key(t, 0);
    cap_emit_slow(t, &ev);
    t->exited = 1;
    chunk_drop(t);
    t->busy = busy;
}

void cap_thread_key_init(void)
{
    pthread_key_create(&exit_key, thread_exit);
}
