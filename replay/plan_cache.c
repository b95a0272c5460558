/* plan_cache.c: opens a trace's cached plan, or (re)builds it when it is
 * missing, belongs to an older version of the trace, or is damaged (the
 * tool side only; the worker maps a plan the tool has just checked). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "replay/rp.h"

/* Whether the mapped plan belongs to the trace as it is now and is intact. */
static int plan_current(const struct rp_plan *plan, const char *trace)
{
    uint64_t size, sum;
    int64_t mtime;
    if (rp_plan_trace_stamp(trace, &size, &mtime, &sum) != 0)
        return 0;
    const struct rp_plan_header *h = plan->h;
    if (h->trace_size != size || h->trace_mtime_ns != mtime || h->trace_head_sum != sum)
        return 0;
    return rp_checksum_mapped((const char *)h + sizeof *h, plan->map_size - sizeof *h) ==
           h->plan_sum;
}

/* Opens the plan of `trace`, building it when absent, stale or damaged (or
 * always with `rebuild`).  Returns 0 (plan mapped, *built set, path_out the
 * plan file), 65 for a bad trace or 1 for a system error (*why set). */
int rp_plan_open(const char *trace, int rebuild, struct rp_plan *plan, int *built,
                 char *path_out, size_t path_len, char *why, size_t why_len)
{
    int in_cache, fd;
    *built = 0;
    if (access(trace, R_OK) != 0) {
        snprintf(why, why_len, "%s: offset 0: cannot read: %s", trace, strerror(errno));
        return 65;
    }
    if (rp_plan_path(trace, path_out, path_len, &in_cache) != 0) {
        snprintf(why, why_len, "%s: no writable place for its plan (set XDG_CACHE_HOME)",
                 trace);
        return 1;
    }
    if (!rebuild && (fd = open(path_out, O_RDONLY | O_CLOEXEC)) >= 0) {
        char ignored[128];
        int ok = rp_plan_map(fd, plan, ignored, sizeof ignored) == 0;
        close(fd);
        if (ok && plan_current(plan, trace))
            return 0;
        if (ok)
            rp_plan_unmap(plan);
    }
    int rc = rp_plan_build(trace, path_out, &fd, why, why_len);
    if (rc != 0)
        return rc;
    *built = 1;
    rc = rp_plan_map(fd, plan, why, why_len);
    close(fd);
    return rc == 0 ? 0 : 1;
}
