/* Every block freed by another thread comes back to its owner, run under
 * libhusky-bucket.so.  In each round the main thread allocates a batch of
 * 48-byte blocks; three threads free them at once, interleaved, so that
 * neighbours in one bitmap word are freed by different threads while the
 * owner keeps allocating and freeing blocks of the same class (its slow path
 * merges remote frees meanwhile).  Once all frees have returned, the owner
 * allocates until it has had every block of the batch back.  bucket hands
 * out the free blocks of a class's spans before taking a new span, so a
 * freed block whose remote free was lost (its span never queued to the
 * owner) never comes back: the round fails after more allocations than its
 * spans hold. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"

#define NCONS 3
#define BATCH 2000
#define ROUNDS 3000
#define SIZE 48
#define SPAN_BLOCKS 1365                /* 64 KiB / 48 */
#define CHURN 130                       /* the owner's own blocks per cycle */
#define LIMIT (BATCH + 8 * SPAN_BLOCKS) /* more than its spans can hold */

static void *batch[BATCH];
static void *again[LIMIT];
static pthread_barrier_t start, done;
static int stop;
static int finished;

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

static void *consumer(void *arg)
{
    size_t t = (size_t)(uintptr_t)arg;
    for (;;) {
        pthread_barrier_wait(&start);
        if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
            return NULL;
        for (size_t i = t; i < BATCH; i += NCONS)
            free(batch[i]);
        __atomic_add_fetch(&finished, 1, __ATOMIC_ACQ_REL);
        pthread_barrier_wait(&done);
    }
}

/* The owner's blocks of the same class, allocated and freed in cycles until
 * the consumers are done. */
static void churn(void)
{
    void *mine[CHURN];
    while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < NCONS) {
        for (int i = 0; i < CHURN; i++)
            mine[i] = malloc(SIZE);
        for (int i = 0; i < CHURN; i++)
            free(mine[i]);
    }
}

/* Allocates until every block of the batch has come back (true) or LIMIT
 * blocks were handed out without that (false); frees what it took. */
static int batch_returns(size_t *missing)
{
    qsort(batch, BATCH, sizeof batch[0], cmp_ptr);
    static char seen[BATCH];
    size_t found = 0, n = 0;
    memset(seen, 0, sizeof seen);
    while (found < BATCH && n < LIMIT) {
        void *p = again[n++] = malloc(SIZE);
        void **hit = bsearch(&p, batch, BATCH, sizeof batch[0], cmp_ptr);
        if (hit != NULL && !seen[hit - batch]) {
            seen[hit - batch] = 1;
            found++;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(again[i]);
    *missing = BATCH - found;
    return found == BATCH;
}

int main(void)
{
    pthread_t th[NCONS];
    pthread_barrier_init(&start, NULL, NCONS + 1);
    pthread_barrier_init(&done, NULL, NCONS + 1);
    for (size_t t = 0; t < NCONS; t++)
        if (pthread_create(&th[t], NULL, consumer, (void *)(uintptr_t)t) != 0)
            return tap_ok(0, "pthread_create"), tap_done();
    int failed_round = -1, null_seen = 0;
    size_t missing = 0;
    for (int r = 0; r < ROUNDS && failed_round < 0; r++) {
        for (size_t i = 0; i < BATCH; i++)
            if ((batch[i] = malloc(SIZE)) == NULL)
                null_seen = 1;
        if (null_seen)
            break;
        __atomic_store_n(&finished, 0, __ATOMIC_RELEASE);
        pthread_barrier_wait(&start);
        churn();
        pthread_barrier_wait(&done);
        if (!batch_returns(&missing))
            failed_round = r;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    pthread_barrier_wait(&start);
    for (size_t t = 0; t < NCONS; t++)
        pthread_join(th[t], NULL);
    tap_ok(!null_seen, "every batch allocated");
    if (failed_round >= 0)
        tap_diag("round %d: %zu of %d blocks freed by other threads never came back "
                 "in %d allocations", failed_round, missing, BATCH, LIMIT);
    tap_ok(failed_round < 0, "%d rounds: all %d blocks freed by %d other threads came back "
           "to their owner", ROUNDS, BATCH, NCONS);
    return tap_done();
}
