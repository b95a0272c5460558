/* tests/alloc/stress.c: keeps the guarantee that a husky allocator stays
 * correct under concurrent use: threads allocate random sizes (0 to 1 MiB)
 * through every entry point (the memalign family's alignment checked, calloc's
 * zeroing too), hand objects to each other to be freed there, run realloc
 * chains, while short-lived threads come and go and the process
 * forks with allocations in flight.  Every object carries a pattern checked
 * when it is freed or moved, so any overlap or corruption is caught.
 *
 * Built without sanitizers and run under LD_PRELOAD:
 *     LD_PRELOAD=libhusky-NAME.so tests/alloc/stress [SECONDS [THREADS [SEED]]]
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/tap.h"

#define SLOTS      512                 /* live objects per worker */
#define QUEUE      256                 /* handoff ring size per worker */
#define MAX_THREADS 64

typedef struct obj {
    unsigned char *p;                  /* the block, NULL if the slot is empty */
    size_t size;                       /* bytes asked for */
    uint32_t seed;                     /* pattern seed */
} obj_t;

typedef struct worker {
    pthread_t tid;
    unsigned index;
    uint64_t rng;                      /* xorshift state */
    obj_t slots[SLOTS];
    pthread_mutex_t qlock;             /* guards queue, qhead, qlen */
    obj_t queue[QUEUE];                /* objects handed to this worker */
    unsigned qhead, qlen;
    uint64_t ops;
} worker_t;

static worker_t workers[MAX_THREADS];
static unsigned nworkers;
static _Atomic int stop;              /* set by main: workers finish */
static _Atomic int corrupt;           /* set by anyone who saw a fault */
static volatile uint64_t churned;

static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Pattern bytes: all of small objects, a sample of big ones. */
static inline unsigned char pat(uint32_t seed, size_t i)
{
    return (unsigned char)(seed + i * 131u + (i >> 8));
}

static void fill(obj_t *o)
{
    size_t step = o->size <= 4096 ? 1 : 61;
    for (size_t i = 0; i < o->size; i += step)
        o->p[i] = pat(o->seed, i);
    if (o->size)
        o->p[o->size - 1] = pat(o->seed, o->size - 1);
}

static int check(const obj_t *o, size_t upto)
{
    size_t n = upto < o->size ? upto : o->size;
    size_t step = o->size <= 4096 ? 1 : 61;
    for (size_t i = 0; i < n; i += step)
        if (o->p[i] != pat(o->seed, i))
            return 0;
    return 1;
}

static size_t random_size(uint64_t *rng)
{
    uint64_t r = next_rand(rng);
    switch (r % 100) {
    case 0 ... 69: return (size_t)(r >> 8) % 257;
    case 70 ... 94: return 256 + (size_t)(r >> 8) % (64 << 10);
    default: return (size_t)(r >> 8) % ((1 << 20) + 1);
    }
}

static void release(obj_t *o)
{
    if (o->p == NULL)
        return;
    if (!check(o, o->size) || malloc_usable_size(o->p) < o->size)
        corrupt = 1;
    free(o->p);
    o->p = NULL;
}

/* A new object through one of the allocation entry points. */
static void create(obj_t *o, uint64_t *rng)
{
    size_t n = random_size(rng);
    uint64_t r = next_rand(rng);
    void *p = NULL;
    size_t align = 1;                  /* the alignment p must have */
    switch (r % 11) {
    case 0: {
        p = calloc(1, n);
        for (size_t i = 0; p && i < n; i += (n <= 4096 ? 1 : 61))
            if (((unsigned char *)p)[i] != 0)
                corrupt = 1;
        break;
    }
    case 1:
        align = (size_t)1 << (r >> 8) % 13;
        p = aligned_alloc(align, n);
        break;
    case 2:
        align = 64;
        if (posix_memalign(&p, align, n) != 0)
            p = NULL;
        break;
    case 3:
        align = (size_t)16 << (r >> 8) % 10;
        p = memalign(align, n);
        break;
    case 4:
        align = (size_t)sysconf(_SC_PAGESIZE);
        p = (r >> 8) & 1 ? valloc(n) : pvalloc(n);
        break;
    default:
        p = malloc(n);
        break;
    }
    if (p && (uintptr_t)p % align)
        corrupt = 1;
    if (p == NULL) {
        corrupt = 1;
        return;
    }
    o->p = p;
    o->size = n;
    o->seed = (uint32_t)r;
    fill(o);
}

/* A realloc chain step: contents up to the smaller size must survive. */
static void resize(obj_t *o, uint64_t *rng)
{
    size_t n = random_size(rng);
    if (!check(o, o->size)) {
        corrupt = 1;
        return;
    }
    unsigned char *p = realloc(o->p, n ? n : 1);
    if (p == NULL) {
        corrupt = 1;
        return;
    }
    o->p = p;
    if (!check(o, n)) {
        corrupt = 1;
        return;
    }
    o->size = n;
    fill(o);
}

static void hand_over(worker_t *w, obj_t *o)
{
    worker_t *to = &workers[next_rand(&w->rng) % nworkers];
    pthread_mutex_lock(&to->qlock);
    if (to->qlen < QUEUE) {
        to->queue[(to->qhead + to->qlen++) % QUEUE] = *o;
        o->p = NULL;
    }
    pthread_mutex_unlock(&to->qlock);
    release(o);
}

static void drain(worker_t *w)
{
    pthread_mutex_lock(&w->qlock);
    while (w->qlen) {
        obj_t o = w->queue[w->qhead];
        w->qhead = (w->qhead + 1) % QUEUE;
        w->qlen--;
        pthread_mutex_unlock(&w->qlock);
        release(&o);
        pthread_mutex_lock(&w->qlock);
    }
    pthread_mutex_unlock(&w->qlock);
}

static void *work(void *arg)
{
    worker_t *w = arg;
    while (!stop) {
        obj_t *o = &w->slots[next_rand(&w->rng) % SLOTS];
        uint64_t r = next_rand(&w->rng) % 10;
        if (o->p == NULL)
            create(o, &w->rng);
        else if (r < 4)
            release(o);
        else if (r < 6)
            resize(o, &w->rng);
        else if (r < 8)
            hand_over(w, o);
        if ((++w->ops & 63) == 0)
            drain(w);
    }
    for (unsigned i = 0; i < SLOTS; i++)
        release(&w->slots[i]);
    return NULL;
}

/* A short-lived thread: allocates, frees some, leaves the rest to be freed by
 * the main thread after it exits (cross-thread frees of a dead thread's
 * blocks). */
static void *churn(void *arg)
{
    obj_t *objs = arg;
    uint64_t rng = (uintptr_t)arg | 1;
    for (int i = 0; i < 64; i++)
        create(&objs[i], &rng);
    for (int i = 0; i < 64; i += 2)
        release(&objs[i]);
    __atomic_add_fetch(&churned, 1, __ATOMIC_RELAXED);
    return NULL;
}

static int run_churn(void)
{
    static obj_t objs[4][64];
    pthread_t t[4];
    memset(objs, 0, sizeof objs);
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, churn, objs[i]) != 0)
            return 0;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 64; j++)
            release(&objs[i][j]);
    return 1;
}

/* Forks while the workers allocate; the child must be able to allocate and
 * exit (a lock left held across fork would hang it: the alarm catches that). */
static int run_fork(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        alarm(10);
        uint64_t rng = 12345;
        obj_t o[32];
        memset(o, 0, sizeof o);
        for (int i = 0; i < 32; i++)
            create(&o[i], &rng);
        for (int i = 0; i < 32; i++)
            release(&o[i]);
        _exit(corrupt ? 3 : 0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5.0;
    nworkers = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
    if (nworkers < 1 || nworkers > MAX_THREADS || seconds <= 0) {
        fprintf(stderr, "usage: %s [SECONDS [THREADS<=64 [SEED]]]\n", argv[0]);
        return 2;
    }
    for (unsigned i = 0; i < nworkers; i++) {
        workers[i].index = i;
        workers[i].rng = (0x9e3779b97f4a7c15ull * (i + 1)) ^ (seed * 0xbf58476d1ce4e5b9ull);
        workers[i].rng += workers[i].rng == 0;
        pthread_mutex_init(&workers[i].qlock, NULL);
    }
    int started = 1;
    for (unsigned i = 0; i < nworkers; i++)
        started &= pthread_create(&workers[i].tid, NULL, work, &workers[i]) == 0;
    tap_ok(started, "%u worker threads started", nworkers);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int forks = 0, forks_ok = 0, churns_ok = 1;
    do {
        churns_ok &= run_churn();
        forks++;
        forks_ok += run_fork();
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 <
             seconds);
    stop = 1;
    uint64_t ops = 0;
    for (unsigned i = 0; i < nworkers; i++) {
        pthread_join(workers[i].tid, NULL);
        drain(&workers[i]);
        ops += workers[i].ops;
    }
    tap_diag("%llu operations, %llu short-lived threads, %d forks (seed %llu)",
             (unsigned long long)ops, (unsigned long long)churned, forks,
             (unsigned long long)seed);
    tap_ok(!corrupt, "no object lost its contents, alignment or usable size");
    tap_ok(churns_ok && churned > 0, "short-lived threads allocated and exited");
    tap_ok(forks > 0 && forks_ok == forks, "forks with allocations in flight: %d/%d children ok",
           forks_ok, forks);
    tap_ok(ops > 1000, "workers made progress");
    return tap_done();
}
