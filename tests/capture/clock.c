/* Guarantee: the shim's clock (src/capture/clock.c) finds the vDSO's
 * clock_gettime and reads the same clocks as glibc through it: every
 * reading lies between glibc readings taken just before and just after.
 * If the vDSO lookup broke, the shim would silently fall back to glibc's
 * wrapper and record ~10% slower (docs/benchmarks/capture.md). */
#include "config.h"

#include <stdint.h>
#include <sys/auxv.h>
#include <time.h>

#include "capture/cap.h"
#include "tests/tap.h"

static uint64_t glibc_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return cap_ts_ns(&ts);
}

static uint64_t shim_ns(clockid_t id)
{
    struct timespec ts;
    cap_gettime(id, &ts);
    return cap_ts_ns(&ts);
}

int main(void)
{
    tap_ok(cap_gettime == clock_gettime, "before setup the shim reads glibc's clock_gettime");
    cap_clock_init();
    if (getauxval(AT_SYSINFO_EHDR) == 0)
        tap_skip("this process has no vDSO");
    else
        tap_ok(cap_gettime != clock_gettime, "the vDSO's clock_gettime is found");
    static const clockid_t ids[] = { CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC };
    static const char *const names[] = { "CLOCK_MONOTONIC_COARSE", "CLOCK_MONOTONIC" };
    for (int c = 0; c < 2; c++) {
        int bad = 0;
        for (int i = 0; i < 100000; i++) {
            uint64_t a = glibc_ns(ids[c]);
            uint64_t b = c == 0 && (i & 1) ? cap_coarse_ns() : shim_ns(ids[c]);
            uint64_t d = glibc_ns(ids[c]);
            if (b < a || b > d) {
                if (bad++ == 0)
                    tap_diag("%s: %llu not within %llu..%llu", names[c],
                             (unsigned long long)b, (unsigned long long)a,
                             (unsigned long long)d);
            }
        }
        tap_ok(bad == 0, "%s through the shim lies between glibc's readings (%d of 100000 "
               "did not)", names[c], bad);
    }
    return tap_done();
}
