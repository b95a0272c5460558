/* allocators.c: turns `-a glibc,jemalloc,...,NAME=PATH` into libraries to
 * preload, and finds the worker executable.
 *
 * The comparison allocators are found by soname in the directories the
 * dynamic loader searches (without loading them into this process); husky's
 * own as libhusky-NAME.so on HUSKY_LIB_PATH, then in the installed pkglibdir.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/tool.h"

/* Comparison allocators by name and soname. */
static const struct {
    const char *name, *soname;
} known[] = {
    { "jemalloc", "libjemalloc.so.2" },
    { "tcmalloc", "libtcmalloc_minimal.so.4" },
    { "mimalloc", "libmimalloc.so.2" },
};

static const char *const husky_allocs[] = { "list", "buddy", "bucket" };

#if defined(__x86_64__)
#define RP_TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define RP_TRIPLET "aarch64-linux-gnu"
#elif defined(__i386__)
#define RP_TRIPLET "i386-linux-gnu"
#else
#define RP_TRIPLET "unknown-linux-gnu"
#endif

static const char *const lib_dirs[] = {
    "/usr/local/lib", "/usr/lib/" RP_TRIPLET, "/lib/" RP_TRIPLET, "/usr/lib64", "/lib64",
    "/usr/lib", "/lib",
};

/* Looks for `file` in each folder of a colon-separated list. */
static int find_in_list(const char *list, const char *file, char *out, size_t len)
{
    if (!list)
        return 0;
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n && (size_t)snprintf(out, len, "%.*s/%s", (int)n, s, file) < len &&
            access(out, R_OK) == 0)
            return 1;
        s += n + (e != NULL);
    }
    return 0;
}

static int find_soname(const char *soname, char *out, size_t len)
{
    if (find_in_list(getenv("LD_LIBRARY_PATH"), soname, out, len))
        return 1;
    for (size_t i = 0; i < sizeof lib_dirs / sizeof lib_dirs[0]; i++)
        if ((size_t)snprintf(out, len, "%s/%s", lib_dirs[i], soname) < len &&
            access(out, R_OK) == 0)
            return 1;
    return 0;
}

static int find_husky(const char *name, char *out, size_t len)
{
    char file[128];
    snprintf(file, sizeof file, "libhusky-%s.so", name);
    return find_in_list(getenv("HUSKY_LIB_PATH"), file, out, len) ||
           find_in_list(HUSKY_PKGLIBDIR, file, out, len);
}

/* Resolves one name.  1 found, 0 not installed (note printed when `loud`),
 * -1 not an allocator name (message printed). */
static int resolve(const char *item, struct rp_alloc *a, int loud)
{
    const char *eq = strchr(item, '=');
    memset(a, 0, sizeof *a);
    if (eq) {
        snprintf(a->name, sizeof a->name, "%.*s", (int)(eq - item), item);
        snprintf(a->path, sizeof a->path, "%s", eq + 1);
        if (!a->name[0] || access(a->path, R_OK) != 0) {
            fprintf(stderr, "huskyreplay: -a %s: no readable library at %s\n", item, a->path);
            return -1;
        }
        return 1;
    }
    snprintf(a->name, sizeof a->name, "%s", item);
    if (!strcmp(item, "glibc"))
        return 1;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(item, known[i].name))
            continue;
        if (find_soname(known[i].soname, a->path, sizeof a->path))
            return 1;
        if (loud)
            fprintf(stderr, "huskyreplay: %s not installed (%s not found): skipped\n", item,
                    known[i].soname);
        a->skipped = 1;
        a->path[0] = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof husky_allocs / sizeof husky_allocs[0]; i++) {
        if (strcmp(item, husky_allocs[i]))
            continue;
        if (find_husky(item, a->path, sizeof a->path))
            return 1;
        if (loud)
            fprintf(stderr, "huskyreplay: %s not built (libhusky-%s.so not found on "
                    "HUSKY_LIB_PATH or in %s): skipped\n", item, item, HUSKY_PKGLIBDIR);
        a->skipped = 1;
        a->path[0] = 0;
        return 0;
    }
    fprintf(stderr, "huskyreplay: unknown allocator '%s' (use glibc, jemalloc, tcmalloc, "
            "mimalloc, list, buddy, bucket or NAME=PATH)\n", item);
    return -1;
}

/* Parses an -a list (NULL: every installed allocator, glibc first).
 * Returns 0, or 2 for bad usage. */
int rp_allocs_parse(const char *list, struct rp_alloc **out, int *n)
{
    static const char default_list[] = "glibc,jemalloc,tcmalloc,mimalloc,list,buddy,bucket";
    const char *src = list ? list : default_list;
    size_t cap = 1;
    for (const char *s = src; *s; s++)
        cap += *s == ',';
    struct rp_alloc *a = calloc(cap, sizeof *a);
    char *copy = strdup(src);
    if (!a || !copy) {
        fprintf(stderr, "huskyreplay: out of memory\n");
        exit(1);
    }
    int k = 0;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        int rc = resolve(item, &a[k], list != NULL);
        if (rc < 0) {
            free(copy);
            free(a);
            return 2;
        }
        if (rc == 1 || list)
            k++;
    }
    free(copy);
    if (k == 0) {
        fprintf(stderr, "huskyreplay: -a names no allocator\n");
        free(a);
        return 2;
    }
    *out = a;
    *n = k;
    return 0;
}

/* The worker executable: HUSKY_LIBEXEC_PATH, then the installed
 * pkglibexecdir, then beside this program.  1 found, 0 not. */
int rp_find_worker(char *out, size_t len)
{
    static const char file[] = "huskyreplay-worker";
    if (find_in_list(getenv("HUSKY_LIBEXEC_PATH"), file, out, len) ||
        find_in_list(HUSKY_PKGLIBEXECDIR, file, out, len))
        return access(out, X_OK) == 0;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 0;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return 0;
    *slash = 0;
    return (size_t)snprintf(out, len, "%s/%s", self, file) < len && access(out, X_OK) == 0;
}
