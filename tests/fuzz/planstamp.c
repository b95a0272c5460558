/* tests/fuzz/planstamp.c: turns a damaged plan (a fuzz finding) into the
 * cached plan of a given trace, for regression tests that go through
 * huskyreplay itself.
 *
 *   planstamp PLAN TRACE OUT
 *
 * copies PLAN to OUT with its trace stamp (size, mtime, head checksum) set
 * to TRACE's and its plan checksum recomputed, so that huskyreplay takes OUT
 * (named TRACE.plan) for the current, intact plan of TRACE: only the plan's
 * own structure checks stand between the damage and the replay worker.
 * Exit 0, or 1 with a message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/rp.h"

static int die(const char *what, const char *path)
{
    fprintf(stderr, "planstamp: %s: %s\n", path, what);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: planstamp PLAN TRACE OUT\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return die("cannot open", argv[1]);
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct rp_plan_header h;
    if (n < sizeof h || n == sizeof buf)
        return die("not a plan of a usable size", argv[1]);
    memcpy(&h, buf, sizeof h);
    if (rp_plan_trace_stamp(argv[2], &h.trace_size, &h.trace_mtime_ns, &h.trace_head_sum))
        return die("cannot read", argv[2]);
    h.plan_sum = rp_checksum(buf + sizeof h, n - sizeof h, 0);
    memcpy(buf, &h, sizeof h);
    f = fopen(argv[3], "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0)
        return die("cannot write", argv[3]);
    return 0;
}
