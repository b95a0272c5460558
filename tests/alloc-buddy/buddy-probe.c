/* buddy-probe: scenarios that buddy-behaviour.test runs with libhusky-buddy.so
 * preloaded (built without sanitizers for that reason).  Each scenario exits
 * 0 when the allocator behaved, 1 (with a line on stderr) when it did not;
 * the misuse scenarios are expected to be killed by SIGABRT.
 *
 *   overflow          one-byte writes past every block, then more traffic
 *   double-free | interior-free | foreign-free | large-double-free | misaligned-free
 *   align             memalign family: alignment and usable size
 *   realloc-inplace   shrinking and regrowing keep the pointer
 *   release           RSS falls back after everything is freed
 *   zero              prints "zero" if a freed block reads back as zeros
 *   fork              forks while other threads allocate
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failed(const char *what)
{
    fprintf(stderr, "buddy-probe: %s\n", what);
    return 1;
}

/* Writes one byte past the usable end of every block (into whatever block
 * follows), then frees and allocates again: the allocator must not notice.
 * A block that ends a 4 MiB region is skipped: past it there may be no
 * mapping at all, and that fault would be the program's, not a corruption. */
static int overflow(void)
{
    enum { N = 20000 };
    static unsigned char *p[N];
    static size_t len[N];
    unsigned seed = 7;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            len[i] = 1 + (size_t)rand_r(&seed) % (round & 1 ? 3000 : 60);
            p[i] = malloc(len[i]);
            if (!p[i])
                return failed("malloc failed");
            size_t usable = malloc_usable_size(p[i]);
            if (((uintptr_t)(p[i] + usable) & ((4u << 20) - 1)) != 0)
                p[i][usable] = 0xee; /* one byte past the block */
        }
        for (int i = 0; i < N; i += 2)
            free(p[i]);
        for (int i = 0; i < N; i += 2) {
            p[i] = malloc(len[i]);
            if (!p[i])
                return failed("malloc after overflow failed");
            memset(p[i], 0x11, len[i]);
        }
        for (int i = N - 1; i >= 0; i--)
            free(p[i]);
    }
    return 0;
}

static int misuse(const char *what)
{
    if (!strcmp(what, "double-free")) {
        char *p = malloc(40);
        char *keep = malloc(40);
        free(p);
        free(p);
        free(keep);
    } else if (!strcmp(what, "interior-free")) {
        char *p = malloc(200);
        free(p + 64);
    } else if (!strcmp(what, "misaligned-free")) {
        char *p = malloc(200);
        free(p + 8);
    } else if (!strcmp(what, "foreign-free")) {
        static char not_heap[64];
        free(not_heap + 16);
    } else if (!strcmp(what, "large-double-free")) {
        char *p = malloc(8u << 20);
        free(p);
        free(p);
    }
    return 0;
}

static int align(void)
{
    for (size_t a = 16; a <= ((size_t)8 << 20); a <<= 1) {
        size_t sizes[] = {1, a / 2 + 1, a, 3 * a + 5};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            void *p = NULL;
            if (posix_memalign(&p, a, sizes[i]) || ((uintptr_t)p & (a - 1)))
                return failed("posix_memalign misaligned");
            if (malloc_usable_size(p) < sizes[i])
                return failed("usable size below the request");
            memset(p, 1, sizes[i]);
            void *q = aligned_alloc(a, sizes[i]);
            if (!q || ((uintptr_t)q & (a - 1)))
                return failed("aligned_alloc misaligned");
            free(p);
            free(q);
        }
    }
    for (size_t s = 0; s < 5000; s += 7) {
        void *p = malloc(s);
        if (!p || ((uintptr_t)p & 15) || malloc_usable_size(p) < s)
            return failed("malloc not 16-byte aligned or too small");
        free(p);
    }
    return 0;
}

static int realloc_inplace(void)
{
    char *p = malloc(256 * 1024);
    if (!p)
        return failed("malloc failed");
    memset(p, 'a', 256 * 1024);
    char *q = realloc(p, 1000);
    if (q != p)
        return failed("shrinking moved the block");
    char *r = realloc(q, 200 * 1024);
    if (r != p)
        return failed("growing into free buddies moved the block");
    for (int i = 0; i < 1000; i++)
        if (r[i] != 'a')
            return failed("realloc lost the content");
    char *s = malloc(64);
    char *t = realloc(s, 40);
    if (t != s)
        return failed("a realloc within the block moved it");
    free(t);
    free(r);
    return 0;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    long resident = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Allocates ~256 MiB in blocks of many sizes, frees everything and checks
 * that the RSS falls back: whole regions are returned to the kernel. */
static int release(void)
{
    enum { N = 40000 };
    static char *p[N];
    long before = rss_kb();
    unsigned seed = 3;
    for (int i = 0; i < N; i++) {
        size_t len = (i % 4 == 0) ? 16384 + (size_t)rand_r(&seed) % 16384
                                  : 1 + (size_t)rand_r(&seed) % 2048;
        p[i] = malloc(len);
        if (!p[i])
            return failed("malloc failed");
        memset(p[i], 1, len);
    }
    long peak = rss_kb();
    for (int i = 0; i < N; i++)
        free(p[i]);
    long after = rss_kb();
    printf("rss_kb before %ld peak %ld after %ld\n", before, peak, after);
    if (peak - before < 100 * 1024)
        return failed("the allocations did not raise the RSS");
    if (after - before > (peak - before) / 10)
        return failed("less than 90% of the memory went back to the kernel");
    return 0;
}

static int zero(void)
{
    unsigned char *p = malloc(1000);
    memset(p, 0xab, 1000);
    free(p);
    unsigned char *q = malloc(1000);
    if (q != p)
        return failed("the freed block was not reused");
    size_t nonzero = 0;
    for (int i = 0; i < 1000; i++)
        nonzero += q[i] != 0;
    printf("%s\n", nonzero ? "kept" : "zero");
    free(q);
    return 0;
}

static volatile int stop;

static void *churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *slot[64] = {0};
    while (!stop) {
        int i = (int)((unsigned)rand_r(&seed) % 64);
        free(slot[i]);
        slot[i] = malloc(1 + (size_t)rand_r(&seed) % 5000);
    }
    for (int i = 0; i < 64; i++)
        free(slot[i]);
    return NULL;
}

/* Forks 200 times while three threads allocate: every child must be able to
 * allocate (no lock left held by a thread that does not exist there). */
static int forks(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1));
    int bad = 0;
    for (int i = 0; i < 200 && !bad; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int j = 0; j < 1000; j++)
                free(malloc((size_t)j * 13));
            _exit(0);
        }
        int st = 0;
        bad = pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st);
    }
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    return bad ? failed("a fork child failed") : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: buddy-probe SCENARIO\n");
        return 2;
    }
    const char *s = argv[1];
    if (!strcmp(s, "overflow"))
        return overflow();
    if (strstr(s, "-free"))
        return misuse(s);
    if (!strcmp(s, "align"))
        return align();
    if (!strcmp(s, "realloc-inplace"))
        return realloc_inplace();
    if (!strcmp(s, "release"))
        return release();
    if (!strcmp(s, "zero"))
        return zero();
    if (!strcmp(s, "fork"))
        return forks();
    fprintf(stderr, "buddy-probe: unknown scenario %s\n", s);
    return 2;
}
