/* tests/fuzz/fuzz_plan.c: libFuzzer harness for the replay-plan loader.
 *
 * Keeps the guarantee that rp_plan_map (replay/plan_file.c, what both
 * huskyreplay and its worker call on a plan file) never crashes on any
 * bytes, and that every plan it accepts has all its sections inside the
 * file (plan_walk.h), so the worker may index them.  The plan checksum is
 * computed too, as huskyreplay does before trusting a cached plan.
 */
#include "config.h"

#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/plan_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], why[256];
    struct rp_plan plan;
    int fd = fuzz_memfd(data, size, path, sizeof path);
    if (rp_plan_map(fd, &plan, why, sizeof why) == 0) {
        plan_walk(&plan);
        rp_checksum_mapped((const char *)plan.h + sizeof *plan.h,
                           plan.map_size - sizeof *plan.h);
        rp_plan_unmap(&plan);
    } else if (!why[0] || !memchr(why, 0, sizeof why)) {
        abort();
    }
    close(fd);
    return 0;
}
