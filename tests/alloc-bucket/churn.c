/* Keeps bucket's thread-exit guarantee: threads are created and destroyed in
 * waves while their blocks cross to other threads (freed there, so remote
 * frees reach spans whose owner has exited), every block's content is checked
 * before it is freed, and the heaps of exited threads are reused instead of
 * piling up (the resident size stays bounded). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/alloc-bucket/rss.h"
#include "tests/tap.h"

#define POOL 4096
#define WAVES 40
#define PER_WAVE 8
#define OPS 3000

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *pool[POOL];
static size_t pool_size[POOL];
static int bad;

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(((uintptr_t)p >> 4) + i * 7 + n);
}

static int intact(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(((uintptr_t)p >> 4) + i * 7 + n))
            return 0;
    return 1;
}

/* Allocates blocks and swaps them into the shared pool; whatever comes out
 * (made by any thread, maybe one that has exited) is checked and freed. */
static void *worker(void *arg)
{
    uint64_t s = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < OPS; i++) {
        uint64_t r = next_rand(&s);
        size_t n = r % 8 == 0 ? 1 + r % 20000 : 1 + r % 600;
        unsigned char *p = malloc(n);
        if (p == NULL) {
            __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
            return NULL;
        }
        fill(p, n);
        size_t k = (size_t)(r >> 32) % POOL;
        pthread_mutex_lock(&pool_lock);
        unsigned char *old = pool[k];
        size_t old_n = pool_size[k];
        pool[k] = p;
        pool_size[k] = n;
        pthread_mutex_unlock(&pool_lock);
        if (old != NULL) {
            if (!intact(old, old_n))
                __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
            free(old);
        }
    }
    return NULL;
}

int main(void)
{
    long rss_early = 0;
    for (int w = 0; w < WAVES; w++) {
        pthread_t th[PER_WAVE];
        for (int t = 0; t < PER_WAVE; t++)
            if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)(w * PER_WAVE + t)))
                return tap_ok(0, "pthread_create"), tap_done();
        for (int t = 0; t < PER_WAVE; t++)
            pthread_join(th[t], NULL);
        if (w == 4)
            rss_early = rss_kb();
    }
    long rss_late = rss_kb();
    tap_ok(!bad, "%d waves of %d threads: every block crossed intact", WAVES, PER_WAVE);
    int ok = 1;
    for (size_t k = 0; k < POOL; k++) {
        if (pool[k] != NULL && !intact(pool[k], pool_size[k]))
            ok = 0;
        free(pool[k]);
    }
    tap_ok(ok, "blocks left by exited threads intact, freed by main");
    tap_diag("rss after wave 5: %ld KiB, after wave %d: %ld KiB", rss_early, WAVES, rss_late);
    tap_ok(rss_late < rss_early * 2 + 4096, "resident size bounded across waves (heaps reused)");
    return tap_done();
}
