/* Order keys of the capture shim.
 *
 * Measured on our 2-core VM (docs/benchmarks/capture.md): clock_gettime
 * (CLOCK_MONOTONIC, kvm-clock) costs ~25 ns per event and serialises the
 * pipeline around the malloc call; rdtsc ~11 ns (lfence+rdtsc ~18 ns); an
 * atomic counter ~6 ns alone and ~18-29 ns contended by two threads; the
 * coarse clock ~3-5 ns.  The default key is therefore a shared counter kept
 * at or above CLOCK_MONOTONIC_COARSE: it is in ns (within one coarse tick,
 * 1-4 ms, of CLOCK_MONOTONIC), and it orders events exactly, with no ties.
 * The TSC is used only where the kernel itself trusts it across CPUs
 * (current clocksource "tsc") and the CPU says it is invariant.
 * HUSKY_TRACE_CLOCK=counter|monotonic|tsc overrides the choice.
 */
#include "config.h"

#include <cpuid.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/cap.h"

int cap_clock;
uint64_t cap_counter __attribute__((aligned(64)));

/* CLOCK_MONOTONIC in ns (the vDSO: no system call, no errno change). */
uint64_t cap_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC_COARSE in ns: the clock tick, read without the TSC. */
uint64_t cap_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether the kernel's current clocksource is the TSC. */
static int clocksource_is_tsc(void)
{
    static const char path[] = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strncmp(buf, "tsc\n", 4) == 0 || strcmp(buf, "tsc") == 0;
}

/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in all states. */
static int tsc_invariant(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1;
}

/* Chooses the key clock once, at trace setup. */
void cap_clock_init(void)
{
    const char *force = getenv("HUSKY_TRACE_CLOCK");
    if (force && strcmp(force, "tsc") == 0)
        cap_clock = CAP_CLOCK_TSC;
    else if (force && strcmp(force, "monotonic") == 0)
        cap_clock = CAP_CLOCK_MONOTONIC;
    else if (force && strcmp(force, "counter") == 0)
        cap_clock = CAP_CLOCK_COUNTER;
    else
        cap_clock = clocksource_is_tsc() && tsc_invariant() ? CAP_CLOCK_TSC : CAP_CLOCK_COUNTER;
}
