/* Order keys of the capture shim.
 *
 * Measured on our 2-core VM (docs/benchmarks/capture.md): clock_gettime
 * (CLOCK_MONOTONIC, kvm-clock) costs ~25 ns per event and serialises the
 * pipeline around the malloc call; rdtsc ~11 ns (lfence+rdtsc ~18 ns); the
 * coarse clock ~3-5 ns; an atomic counter ~6 ns alone, but a counter shared
 * by threads running at once on two cores is one cache line written by both
 * on every call, which made recording a 2-thread program 3.7x slower.
 * The default key is therefore per thread (cap_address_key in cap.h): one
 * more than the thread's last key and at least CLOCK_MONOTONIC_COARSE (so
 * keys are ns, within one coarse tick of CLOCK_MONOTONIC), and, once there
 * are two threads, above the last key taken on the same address, kept in a
 * table of address slots: a release and the next acquisition of a block get
 * increasing keys on any CPUs, and threads that share no blocks share no
 * cache lines.  HUSKY_TRACE_CLOCK=counter|monotonic|tsc picks another key
 * (to compare them; the TSC is not checked for being synchronised).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "capture/cap.h"

int cap_clock;
uint64_t cap_counter __attribute__((aligned(64)));
uint64_t *cap_slots;
/* written by the first thread while alone, read by all once there are two */
int cap_multi __attribute__((aligned(64)));
uint64_t cap_solo_key __attribute__((aligned(64)));
uint64_t cap_key_floor;

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

/* The address slots: reserved, not committed (pages appear as threads use
 * them); NULL when the mapping fails. */
static uint64_t *map_slots(void)
{
    void *p = mmap(NULL, sizeof(uint64_t) << CAP_SLOT_BITS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
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
        cap_clock = CAP_CLOCK_ADDRESS;
    if (cap_clock == CAP_CLOCK_ADDRESS && !cap_slots && !(cap_slots = map_slots()))
        cap_clock = CAP_CLOCK_COUNTER;
}
