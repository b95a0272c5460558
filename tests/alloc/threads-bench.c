/* tests/alloc/threads-bench.c: allocator throughput with T threads, to run
 * under LD_PRELOAD.  Each thread keeps 1000 live objects of 8 to 512 bytes
 * and replaces a random one per step (free + malloc), OPS steps in all;
 * every thread frees only its own objects.  Prints "threads ops seconds
 * ops_per_s".  A benchmark, not a test: see tests/alloc/bench.sh. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIVE 1000

static long ops_per_thread;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    uint64_t s = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    void *live[LIVE] = { 0 };
    for (long i = 0; i < ops_per_thread; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        size_t k = (size_t)(s % LIVE);
        free(live[k]);
        size_t n = 8 + (size_t)((s >> 20) % 505);
        live[k] = malloc(n);
        memset(live[k], (int)i, n < 64 ? n : 64);
    }
    for (int k = 0; k < LIVE; k++)
        free(live[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    ops_per_thread = argc > 2 ? atol(argv[2]) : 2000000;
    if (threads < 1 || threads > 256 || ops_per_thread < 1) {
        fprintf(stderr, "usage: %s [THREADS [OPS_PER_THREAD]]\n", argv[0]);
        return 2;
    }
    pthread_t *t = malloc(sizeof(pthread_t) * (size_t)threads);
    double t0 = now();
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, work, (void *)(uintptr_t)(i + 1)) != 0)
            return 1;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double dt = now() - t0;
    long total = ops_per_thread * threads;
    printf("%d %ld %.6f %.0f\n", threads, total, dt, (double)total / dt);
    free(t);
    return 0;
}
