/* Keeps bucket's many-threads guarantee: 64 threads on however few cores
 * allocate, realloc and free at random with every block's content checked,
 * and hand a share of their blocks to the next thread, which frees them
 * (remote frees into spans whose owner is busy or gone). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"

#define THREADS 64
#define SLOTS 128
#define OPS 10000
#define MAILBOX 64

typedef struct mailbox {
    pthread_mutex_t lock;
    unsigned char *blk[MAILBOX];
    size_t len[MAILBOX];
} mailbox_t;

static mailbox_t box[THREADS];
static int bad;

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void fill(unsigned char *p, size_t n, unsigned char tag)
{
    memset(p, tag, n);
}

static int intact(const unsigned char *p, size_t n, unsigned char tag)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != tag)
            return 0;
    return 1;
}

static size_t pick_size(uint64_t r)
{
    switch (r % 64) {
    case 0: case 1: case 2:
        return 1 + r % 70000;
    case 3:
        return 131073 + r % 100000;
    default:
        return 1 + r % 512;
    }
}

/* Sends a block to thread t's mailbox; what it displaces is checked and freed. */
static void post(unsigned t, unsigned char *p, size_t n, uint64_t r)
{
    mailbox_t *m = &box[t];
    unsigned k = (unsigned)(r % MAILBOX);
    pthread_mutex_lock(&m->lock);
    unsigned char *old = m->blk[k];
    size_t old_n = m->len[k];
    m->blk[k] = p;
    m->len[k] = n;
    pthread_mutex_unlock(&m->lock);
    if (old != NULL) {
        if (!intact(old, old_n, (unsigned char)old_n))
            __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
        free(old);
    }
}

static void *worker(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    uint64_t s = me * 0x9e3779b97f4a7c15ull + 7;
    unsigned char *blk[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    for (int i = 0; i < OPS; i++) {
        uint64_t r = next_rand(&s);
        unsigned k = (unsigned)((r >> 20) % SLOTS);
        if (blk[k] == NULL) {
            len[k] = pick_size(r >> 8);
            blk[k] = malloc(len[k]);
            if (blk[k] == NULL)
                goto fail;
            fill(blk[k], len[k], (unsigned char)len[k]);
            continue;
        }
        if (!intact(blk[k], len[k], (unsigned char)len[k]))
            goto fail;
        if (r % 5 == 0) {
            size_t n = pick_size(r >> 12);
            unsigned char *q = realloc(blk[k], n);
            if (q == NULL)
                goto fail;
            if (!intact(q, n < len[k] ? n : len[k], (unsigned char)len[k]))
                goto fail;
            fill(q, n, (unsigned char)n);
            blk[k] = q;
            len[k] = n;
        } else if (r % 5 == 1) {
            post((me + 1) % THREADS, blk[k], len[k], r >> 30);
            blk[k] = NULL;
        } else {
            free(blk[k]);
            blk[k] = NULL;
        }
    }
    for (unsigned k = 0; k < SLOTS; k++)
        free(blk[k]);
    return NULL;
fail:
    __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    for (unsigned t = 0; t < THREADS; t++)
        pthread_mutex_init(&box[t].lock, NULL);
    for (unsigned t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t) != 0)
            return tap_ok(0, "pthread_create %u", t), tap_done();
    for (unsigned t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    tap_ok(!bad, "%d threads: every block kept its content through malloc, realloc and "
           "cross-thread frees", THREADS);
    int ok = 1;
    for (unsigned t = 0; t < THREADS; t++)
        for (unsigned k = 0; k < MAILBOX; k++) {
            if (box[t].blk[k] != NULL && !intact(box[t].blk[k], box[t].len[k],
                                                 (unsigned char)box[t].len[k]))
                ok = 0;
            free(box[t].blk[k]);
        }
    tap_ok(ok, "blocks left in mailboxes intact after their threads exited");
    return tap_done();
}
