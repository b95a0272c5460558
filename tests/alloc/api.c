/* tests/alloc/api.c: keeps the guarantee that a husky allocator implements the
 * whole malloc interface with glibc's edge-case semantics (DESIGN.md
 * "Allocators"): malloc(0), free(NULL), realloc(NULL, n), realloc(p, 0),
 * calloc and reallocarray overflow -> NULL + ENOMEM, posix_memalign's EINVAL,
 * every power-of-two alignment to 1 MiB, malloc_usable_size, errno kept on
 * success, double and invalid frees aborting with a message, and
 * HUSKY_ZERO_ON_FREE.
 *
 * Built against no allocator and run under LD_PRELOAD:
 *     LD_PRELOAD=libhusky-NAME.so tests/alloc/api NAME
 * It first checks that malloc really comes from libhusky-NAME.so. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/tap.h"
#include "tests/expect_abort.h"

static const char *name;               /* allocator under test */
static const char *self;               /* argv[0], to re-run with options */

/* Defeats the compiler's knowledge of malloc's semantics. */
static void *(*volatile p_malloc)(size_t) = malloc;
static void *(*volatile p_calloc)(size_t, size_t) = calloc;
static void *(*volatile p_realloc)(void *, size_t) = realloc;
static void (*volatile p_free)(void *) = free;
static void *(*volatile p_reallocarray)(void *, size_t, size_t) = reallocarray;

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void test_interposed(void)
{
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, "malloc");
    char want[64];
    snprintf(want, sizeof want, "libhusky-%s.so", name);
    int ok = sym != NULL && dladdr(sym, &info) && info.dli_fname != NULL &&
             strstr(info.dli_fname, want) != NULL;
    tap_ok(ok, "malloc comes from %s (%s)", want, ok ? info.dli_fname : "not preloaded");
}

static void test_zero_sizes(void)
{
    void *a = p_malloc(0), *b = p_malloc(0);
    tap_ok(a != NULL && b != NULL && a != b, "malloc(0) returns distinct non-NULL pointers");
    free(a);
    free(b);
    free(NULL);
    tap_ok(1, "free(NULL) returns");
    void *r = p_realloc(NULL, 10);
    tap_ok(r != NULL, "realloc(NULL, 10) allocates");
    errno = 0;
    tap_ok(p_realloc(r, 0) == NULL, "realloc(p, 0) frees and returns NULL");
    void *c = p_calloc(0, 10);
    tap_ok(c != NULL, "calloc(0, 10) returns a pointer");
    free(c);
}

static void test_overflow(void)
{
    errno = 0;
    tap_ok(p_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM,
           "calloc overflow -> NULL, ENOMEM");
    errno = 0;
    tap_ok(p_reallocarray(NULL, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM,
           "reallocarray overflow -> NULL, ENOMEM");
    errno = 0;
    tap_ok(p_malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX) -> NULL, ENOMEM");
    void *p = p_malloc(100);
    errno = 0;
    tap_ok(p_realloc(p, SIZE_MAX - 4096) == NULL && errno == ENOMEM,
           "realloc to a huge size -> NULL, ENOMEM, block kept");
    memset(p, 1, 100);
    free(p);
    errno = 0;
    tap_ok(p_malloc((size_t)1 << 46) == NULL && errno == ENOMEM,
           "malloc(64 TiB) -> NULL, ENOMEM");
}

static void test_posix_memalign(void)
{
    void *p = (void *)1;
    errno = 4321;
    int rc = posix_memalign(&p, 3, 10);
    tap_ok(rc == EINVAL && p == (void *)1 && errno == 4321,
           "posix_memalign(3) -> EINVAL, errno kept");
    rc = posix_memalign(&p, sizeof(void *) / 2, 10);
    tap_ok(rc == EINVAL, "posix_memalign(alignment below sizeof(void *)) -> EINVAL");
    rc = posix_memalign(&p, 24, 10);
    tap_ok(rc == EINVAL, "posix_memalign(24) -> EINVAL");
    errno = 0;
    tap_ok(aligned_alloc(48, 96) == NULL && errno == EINVAL, "aligned_alloc(48) -> EINVAL");
    p = memalign(48, 10);
    tap_ok(p != NULL && (uintptr_t)p % 64 == 0, "memalign(48) rounds the alignment up to 64");
    free(p);
}

/* Every power of two from 1 to 1 MiB, through each aligned entry point. */
static void test_alignments(void)
{
    int bad = 0;
    for (size_t align = 1; align <= ((size_t)1 << 20); align <<= 1) {
        size_t sizes[] = { 1, 100, align, 3 * align + 5 };
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            void *a = memalign(align, n), *b = NULL, *c = aligned_alloc(align, n);
            int rc = posix_memalign(&b, align < sizeof(void *) ? sizeof(void *) : align, n);
            if (!a || !c || rc || (uintptr_t)a % align || (uintptr_t)b % align ||
                (uintptr_t)c % align || malloc_usable_size(a) < n) {
                tap_diag("alignment %zu size %zu failed", align, n);
                bad++;
            }
            if (a)
                memset(a, 0x5a, n);
            if (b)
                memset(b, 0x5b, n);
            if (c)
                memset(c, 0x5c, n);
            if ((a && !all_bytes(a, n, 0x5a)) || (b && !all_bytes(b, n, 0x5b)))
                bad++;
            free(a);
            free(b);
            free(c);
        }
    }
    tap_ok(bad == 0, "memalign, posix_memalign, aligned_alloc: every alignment 1 B to 1 MiB");
    long page = sysconf(_SC_PAGESIZE);
    void *v = valloc(10), *pv = pvalloc(1);
    tap_ok(v && pv && (uintptr_t)v % (uintptr_t)page == 0 && (uintptr_t)pv % (uintptr_t)page == 0 &&
           malloc_usable_size(pv) >= (size_t)page, "valloc and pvalloc give whole pages");
    free(v);
    free(pv);
}

static void test_sizes(void)
{
    int bad = 0;
    errno = 777;
    for (size_t n = 0; n < 5000; n += (n < 300 ? 1 : 37)) {
        unsigned char *p = p_malloc(n);
        if (!p || (uintptr_t)p % 16 || malloc_usable_size(p) < n)
            bad++;
        if (p) {
            memset(p, (int)(n & 255), malloc_usable_size(p));
            if (!all_bytes(p, n, (unsigned char)(n & 255)))
                bad++;
        }
        free(p);
    }
    tap_ok(bad == 0, "malloc(0..5000): 16-byte aligned, usable size >= size");
    unsigned char *big = p_malloc(3 << 20);
    tap_ok(big && (uintptr_t)big % 16 == 0 && malloc_usable_size(big) >= (3u << 20),
           "malloc(3 MiB) aligned with its usable size");
    free(big);
    tap_ok(errno == 777, "successful calls leave errno alone");
    tap_ok(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0");
}

static void test_calloc_realloc(void)
{
    unsigned char *d = p_malloc(8192);
    memset(d, 0xff, 8192);
    free(d);
    unsigned char *z = p_calloc(1, 8192), *zb = p_calloc(1000, 1000);
    tap_ok(z && zb && all_bytes(z, 8192, 0) && all_bytes(zb, 1000000, 0),
           "calloc clears reused and fresh memory");
    free(z);
    free(zb);
    int bad = 0;
    unsigned char *p = p_malloc(1);
    p[0] = 7;
    size_t len = 1;
    for (size_t n = 2; n < ((size_t)8 << 20); n = n * 3 / 2 + 1) {
        p = p_realloc(p, n);
        if (!p || p[0] != 7 || (len > 1 && p[len - 1] != (unsigned char)len)) {
            bad++;
            break;
        }
        memset(p + 1, 0, n - 1);
        p[n - 1] = (unsigned char)n;
        len = n;
    }
    for (size_t n = len; p && n > 1; n /= 3) {
        p = p_realloc(p, n);
        if (!p || p[0] != 7)
            bad++;
    }
    free(p);
    tap_ok(bad == 0, "realloc grows to 8 MiB and shrinks back keeping the contents");
}

static void double_free_small(void)
{
    void *p = p_malloc(64), *q = p_malloc(64);
    p_free(p);
    p_free(p);
    p_free(q);
}

static void double_free_large(void)
{
    void *p = p_malloc(8 << 20);
    p_free(p);
    p_free(p);
}

static void invalid_free_stack(void)
{
    char local[64];
    p_free(local + 16);
}

static void invalid_free_static(void)
{
    static char global[64];
    p_free(global + 16);
}

static void invalid_free_misaligned(void)
{
    char *p = p_malloc(100);
    p_free(p + 1);
}

/* Re-runs this program with HUSKY_ZERO_ON_FREE set to `value`; the child
 * reports whether a freed block was cleared. */
static int zero_on_free_child(const char *value)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("HUSKY_ZERO_ON_FREE", value, 1);
        execl(self, self, name, "--zero-check", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

/* Child mode: exit 0 when the freed block reads as zero past its first 16
 * bytes (room for free-list links), 1 when it does not, 2 on error. */
static int zero_check(void)
{
    volatile unsigned char *keep = p_malloc(64);
    unsigned char *p = p_malloc(512);
    volatile unsigned char *after = p_malloc(64);
    if (!p || !keep || !after)
        return 2;
    memset(p, 0xaa, 512);
    p_free(p);
    int zero = 1;
    for (size_t i = 16; i < 480; i++)
        if (((volatile unsigned char *)p)[i] != 0)
            zero = 0;
    return zero ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ALLOCATOR-NAME\n", argv[0]);
        return 2;
    }
    name = argv[1];
    self = argv[0];
    if (argc > 2 && strcmp(argv[2], "--zero-check") == 0)
        return zero_check();
    test_interposed();
    test_zero_sizes();
    test_overflow();
    test_posix_memalign();
    test_alignments();
    test_sizes();
    test_calloc_realloc();
    char tag[64];
    snprintf(tag, sizeof tag, "husky-%s:", name);
    tap_expect_abort(double_free_small, tag, "free", "double free of a small block");
    tap_expect_abort(double_free_large, tag, "free", "double free of a large block");
    tap_expect_abort(invalid_free_stack, tag, "free", "free of a stack address");
    tap_expect_abort(invalid_free_static, tag, "free", "free of a static address");
    tap_expect_abort(invalid_free_misaligned, tag, "free", "free of a misaligned pointer");
    tap_ok(zero_on_free_child("1") == 0, "HUSKY_ZERO_ON_FREE=1 clears freed blocks");
    tap_ok(zero_on_free_child("0") == 1, "without HUSKY_ZERO_ON_FREE freed bytes stay");
    return tap_done();
}
