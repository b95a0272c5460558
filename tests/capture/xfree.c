/* xfree THREADS OPS: THREADS threads allocate, reallocate and free blocks
 * of random sizes; every block goes through a shared table where another
 * thread usually frees it.  Addresses are reused across threads all the
 * time, which is what the ordering invariant of the trace must survive. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 1024

static void *slots[SLOTS];
static long ops;

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *worker(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    for (long i = 0; i < ops; i++) {
        uint64_t r = next_rand(&seed);
        size_t size = 8 + (r >> 8) % ((r & 15) == 0 ? 8192 : 256);
        void *p = malloc(size);
        if ((r & 7) == 0)
            p = realloc(p, size * 2);
        if (p)
            *(volatile char *)p = 1;
        void *old = __atomic_exchange_n(&slots[(r >> 32) % SLOTS], p, __ATOMIC_ACQ_REL);
        free(old);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: xfree THREADS OPS\n");
        return 2;
    }
    int n = atoi(argv[1]);
    ops = atol(argv[2]);
    pthread_t t[64];
    if (n < 1 || n > 64)
        return 2;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < SLOTS; i++)
        free(slots[i]);
    return 0;
}
