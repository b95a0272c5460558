/* seed004-bench: seed 004's benchmark (n int-sized mallocs, then n frees,
 * for n = 100, 1000, 10000, 100000), timed in CPU time so that other
 * processes on a shared machine disturb it less.  Each n is repeated until
 * about a million malloc/free pairs were made, five times; the median of the
 * five is printed, per pair:
 *   n,ns_per_pair
 * Run it once plainly (glibc) and once with LD_PRELOAD=libhusky-buddy.so. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPS 5

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The seed's loop body for one n. */
static void one_round(int n)
{
    int **x = malloc(sizeof(int *) * (size_t)n);
    if (!x)
        exit(1);
    for (int i = 0; i < n; i++)
        x[i] = malloc(sizeof(int));
    for (int i = 0; i < n; i++)
        free(x[i]);
    free(x);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    printf("n,ns_per_pair\n");
    for (int n = 100; n <= 100000; n *= 10) {
        int rounds = 1000000 / n;
        double t[REPS];
        one_round(n);
        for (int r = 0; r < REPS; r++) {
            double t0 = cpu_now();
            for (int i = 0; i < rounds; i++)
                one_round(n);
            t[r] = (cpu_now() - t0) / ((double)rounds * n) * 1e9;
        }
        qsort(t, REPS, sizeof t[0], cmp_double);
        printf("%d,%.2f\n", n, t[REPS / 2]);
    }
    return 0;
}
