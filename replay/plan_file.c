/* plan_file.c: where a trace's plan is cached, how it is mapped, and how a
 * stale or damaged one is recognised (and then rebuilt).
 *
 * A plan lives beside its trace as TRACE.plan; when that folder is not
 * writable it goes to $XDG_CACHE_HOME/husky (or ~/.cache/husky) under a name
 * derived from the trace's full path.  Its header records the trace's size,
 * modification time and a checksum of the trace's first 4 KiB, and a
 * checksum of the plan itself: any mismatch means "rebuild".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/rp.h"

static const char *const kind_names[RP_K_COUNT] = {
    "malloc", "calloc", "realloc", "reallocarray", "free", "memalign",
    "posix_memalign", "aligned_alloc", "valloc", "pvalloc"
};

const char *rp_kind_name(unsigned kind)
{
    return kind < RP_K_COUNT ? kind_names[kind] : "?";
}

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* A fast 64-bit checksum (8 bytes per step), enough to notice damage. */
uint64_t rp_checksum(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *c = p;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        h = rotl(h ^ (w * 0x87c37b91114253d5ull), 31) * 0x4cf5ad432745937full;
    }
    uint64_t w = 0;
    memcpy(&w, c + i, n - i);
    h = rotl(h ^ (w * 0x87c37b91114253d5ull), 31) * 0x4cf5ad432745937full;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Checksum of a large mapped range (a plan), 16 MiB at a time, each
 * window's pages dropped from this process once summed so that checking a
 * plan of any size keeps the process small (the page cache keeps them). */
uint64_t rp_checksum_mapped(const void *p, size_t n)
{
    const size_t win = (size_t)16 << 20;
    const char *c = p;
    uint64_t sum = 0;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < n; off += win) {
        size_t len = n - off < win ? n - off : win;
        sum = rp_checksum(c + off, len, sum);
        uintptr_t lo = ((uintptr_t)(c + off) + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
        uintptr_t hi = (uintptr_t)(c + off + len) & ~((uintptr_t)page - 1);
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
    return sum;
}

/* Size, mtime and head checksum of a trace file.  0, or -1 (errno). */
int rp_plan_trace_stamp(const char *trace, uint64_t *size, int64_t *mtime_ns,
                        uint64_t *head_sum)
{
    struct stat st;
    unsigned char buf[4096];
    int fd = open(trace, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    close(fd);
    if (n < 0)
        return -1;
    *size = (uint64_t)st.st_size;
    *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    *head_sum = rp_checksum(buf, (size_t)n, 1);
    return 0;
}

/* mkdir -p for the cache folder. */
static int make_dirs(char *path)
{
    for (char *s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        int rc = mkdir(path, 0755);
        *s = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The plan path of a trace: beside it when its folder is writable, else in
 * the user's cache.  *in_cache says which.  0, or -1 if neither works. */
int rp_plan_path(const char *trace, char *out, size_t out_len, int *in_cache)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", trace);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    else
        snprintf(dir, sizeof dir, ".");
    *in_cache = 0;
    if (access(dir, W_OK) == 0) {
        if ((size_t)snprintf(out, out_len, "%s.plan", trace) >= out_len)
            return -1;
        return 0;
    }
    char cache[PATH_MAX], full[PATH_MAX];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        snprintf(cache, sizeof cache, "%s/husky", xdg);
    else if (home && *home)
        snprintf(cache, sizeof cache, "%s/.cache/husky", home);
    else
        return -1;
    if (make_dirs(cache) != 0)
        return -1;
    if (!realpath(trace, full))
        snprintf(full, sizeof full, "%s", trace);
    const char *base = strrchr(trace, '/');
    base = base ? base + 1 : trace;
    *in_cache = 1;
    if ((size_t)snprintf(out, out_len, "%s/%s-%016llx.plan", cache, base,
                         (unsigned long long)rp_checksum(full, strlen(full), 7)) >= out_len)
        return -1;
    return 0;
}

static int sect_ok(uint64_t off, uint64_t n, uint64_t each, uint64_t size)
{
    uint64_t bytes;
    if (__builtin_mul_overflow(n, each, &bytes) || off > size || bytes > size - off)
        return 0;
    return (off & 7) == 0;
}

/* Whether entries [first, first + n) lie within a section of `total`
 * entries, without the overflow of first + n (a damaged plan may hold any
 * values there). */
static int range_ok(uint64_t first, uint64_t n, uint64_t total)
{
    return first <= total && n <= total - first;
}

/* Maps the plan open on fd and checks that its sections fit the file (not
 * its checksum: rp_plan_open does that once).  0, or -1 with *why set. */
int rp_plan_map(int fd, struct rp_plan *plan, char *why, size_t why_len)
{
    struct stat st;
    memset(plan, 0, sizeof *plan);
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < sizeof(struct rp_plan_header)) {
        snprintf(why, why_len, "plan file too short");
        return -1;
    }
    size_t size = (size_t)st.st_size;
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        snprintf(why, why_len, "cannot map the plan: %s", strerror(errno));
        return -1;
    }
    const struct rp_plan_header *h = m;
    if (memcmp(h->magic, RP_PLAN_MAGIC, 8) != 0 || h->version != RP_PLAN_VERSION ||
        h->header_size != sizeof *h || h->file_size != size ||
        h->threads > RP_MAX_THREADS ||
        !sect_ok(h->off_threads, h->threads, sizeof(struct rp_plan_thread), size) ||
        !sect_ok(h->off_ops, h->ops, sizeof(struct rp_op), size) ||
        !sect_ok(h->off_deps, h->deps, sizeof(struct rp_dep), size) ||
        !sect_ok(h->off_exts, h->exts, sizeof(struct rp_ext), size) ||
        !sect_ok(h->off_runs, h->runs, sizeof(uint32_t), size) ||
        !sect_ok(h->off_live, RP_LIVE_POINTS + 1, sizeof(uint64_t), size)) {
        munmap(m, size);
        snprintf(why, why_len, "plan header damaged");
        return -1;
    }
    const char *base = m;
    plan->h = h;
    plan->threads = (const void *)(base + h->off_threads);
    plan->ops = (const void *)(base + h->off_ops);
    plan->deps = (const void *)(base + h->off_deps);
    plan->exts = (const void *)(base + h->off_exts);
    plan->runs = (const void *)(base + h->off_runs);
    plan->live = (const void *)(base + h->off_live);
    plan->map_size = size;
    for (uint64_t t = 0; t < h->threads; t++) {
        const struct rp_plan_thread *pt = &plan->threads[t];
        if (!range_ok(pt->op_first, pt->ops, h->ops) ||
            !range_ok(pt->dep_first, pt->deps, h->deps) ||
            !range_ok(pt->ext_first, pt->exts, h->exts)) {
            rp_plan_unmap(plan);
            snprintf(why, why_len, "plan thread table damaged");
            return -1;
        }
    }
    return 0;
}

void rp_plan_unmap(struct rp_plan *plan)
{
    if (plan->h)
        munmap((void *)plan->h, plan->map_size);
    plan->h = NULL;
}
