/* Test program for tests/capture/memory.test: THREADS threads, PARALLEL at
 * a time, each making OPS malloc/free pairs, then prints the process's
 * file-backed resident memory (the trace's pages are file-backed) as
 * "rss_file_kb N".  Usage: churn THREADS PARALLEL OPS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARALLEL_MAX 64

static long ops;

static void *work(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops; i++) {
        void *volatile p = malloc(16 + (size_t)(i % 1000));
        free(p);
    }
    return NULL;
}

/* The RssFile line of /proc/self/status, in kB; -1 if missing. */
static long rss_file_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "RssFile:", 8) == 0)
            kb = atol(line + 8);
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: churn THREADS PARALLEL OPS\n");
        return 2;
    }
    long threads = atol(argv[1]), parallel = atol(argv[2]);
    ops = atol(argv[3]);
    if (threads < 0 || parallel < 1 || parallel > PARALLEL_MAX || ops < 0) {
        fprintf(stderr, "churn: bad arguments\n");
        return 2;
    }
    if (threads == 0)
        work(NULL);
    for (long done = 0; done < threads; done += parallel) {
        pthread_t t[PARALLEL_MAX];
        long n = threads - done < parallel ? threads - done : parallel;
        for (long i = 0; i < n; i++)
            if (pthread_create(&t[i], NULL, work, NULL) != 0) {
                perror("churn: pthread_create");
                return 1;
            }
        for (long i = 0; i < n; i++)
            pthread_join(t[i], NULL);
    }
    printf("rss_file_kb %ld\n", rss_file_kb());
    return 0;
}
