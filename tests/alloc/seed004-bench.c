/* tests/alloc/seed004-bench.c: seed 004's benchmark, as a program to run
 * under LD_PRELOAD (it measures whatever malloc the process has).  For
 * n = 100, 1000, 10000, 100000 it mallocs n ints, then frees them, and
 * prints the median over REPS runs of the time that took:
 *     seed004-bench [REPS]   ->   "n seconds" lines
 * A benchmark, not a test: see tests/alloc/bench.sh and docs/benchmarks/. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run of the seed's loop for n. */
static double run(int n)
{
    double t0 = now();
    int **x = malloc(sizeof(int *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        x[i] = malloc(sizeof(int));
        *x[i] = i;
    }
    for (int i = 0; i < n; i++)
        free(x[i]);
    free(x);
    return now() - t0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1 || reps > 1000) {
        fprintf(stderr, "usage: %s [REPS]\n", argv[0]);
        return 2;
    }
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int n = 100; n <= 100000; n *= 10) {
        for (int r = 0; r < reps; r++)
            t[r] = run(n);
        qsort(t, (size_t)reps, sizeof t[0], cmp_double);
        printf("%d %.9f\n", n, t[reps / 2]);
    }
    free(t);
    return 0;
}
