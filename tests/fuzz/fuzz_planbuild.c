/* tests/fuzz/fuzz_planbuild.c: libFuzzer harness for the plan builder and
 * the plan cache (replay/plan_build.c, plan_cache.c, plan_file.c): what
 * huskyreplay does with a trace before any allocator runs.
 *
 * Keeps the guarantees that no trace bytes crash, hang or leak in the
 * builder; that a rejected trace gives exit 65 with "TRACE: offset N: why"
 * and leaves no plan or temporary file behind; that an accepted trace gives
 * a plan whose sections lie inside the file (plan_walk.h); and that the
 * plan just built is found current by the cache on the next open.
 */
#include "config.h"

#include <dirent.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/plan_walk.h"

/* Files in the work folder other than the trace. */
static int count_others(void)
{
    DIR *d = opendir(fuzz_dir());
    struct dirent *e;
    int n = 0;
    if (!d)
        abort();
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
             strcmp(e->d_name, "t.htr");
    closedir(d);
    return n;
}

static void fail(const char *what, const char *why)
{
    fprintf(stderr, "fuzz_planbuild: %s: %s\n", what, why);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char trace[128], plan_path[4200], why[512];
    struct rp_plan plan;
    int built;
    snprintf(trace, sizeof trace, "%s/t.htr", fuzz_dir());
    FILE *f = fopen(trace, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        fail("cannot write the trace", trace);
    why[0] = 0;
    int rc = rp_plan_open(trace, 1, &plan, &built, plan_path, sizeof plan_path, why,
                          sizeof why);
    if (rc == 65) {
        size_t n = strlen(trace);
        if (strncmp(why, trace, n) || strncmp(why + n, ": offset ", 9))
            fail("malformed error", why);
        if (count_others())
            fail("a rejected trace left a file behind", why);
    } else if (rc == 0) {
        plan_walk(&plan);
        rp_plan_unmap(&plan);
        if (rp_plan_open(trace, 0, &plan, &built, plan_path, sizeof plan_path, why,
                         sizeof why) != 0 || built)
            fail("the plan just built is not current", why);
        plan_walk(&plan);
        rp_plan_unmap(&plan);
        unlink(plan_path);
    } else {
        fail("system error", why);
    }
    unlink(trace);
    return 0;
}
