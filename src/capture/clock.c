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

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
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
    return cap_ts_ns(&ts);
}

int (*cap_gettime)(clockid_t, struct timespec *) = clock_gettime;

/* The vDSO's clock_gettime, found through its section headers (the vDSO
 * is a small ELF image the kernel maps into every process); NULL when it
 * has none or the lookup fails (under valgrind, say).  Calling it directly
 * skips glibc's wrapper and the PLT, which took 40% of the clock's samples
 * in a traced python run (docs/benchmarks/capture.md, "The coarse clock
 * straight from the vDSO"). */
static void *vdso_gettime(void)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
    if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0
        || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff == 0
        || eh->e_shentsize != sizeof(Elf64_Shdr))
        return NULL;
    const uint8_t *image = (const uint8_t *)eh;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(image + eh->e_phoff);
    uintptr_t bias = 0;
    int loaded = 0;
    for (int i = 0; i < eh->e_phnum && !loaded; i++) {
        if (ph[i].p_type == PT_LOAD) {
            bias = (uintptr_t)image + ph[i].p_offset - ph[i].p_vaddr;
            loaded = 1;
        }
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(image + eh->e_shoff);
    for (int i = 0; loaded && i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_entsize != sizeof(Elf64_Sym)
            || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(bias + sh[i].sh_addr);
        const char *names = (const char *)(bias + sh[sh[i].sh_link].sh_addr);
        size_t count = sh[i].sh_size / sizeof(Elf64_Sym);
        for (size_t j = 0; j < count; j++) {
            if (ELF64_ST_TYPE(sym[j].st_info) == STT_FUNC && sym[j].st_shndx != SHN_UNDEF
                && strcmp(names + sym[j].st_name, "__vdso_clock_gettime") == 0)
                return (void *)(bias + sym[j].st_value);
        }
    }
    return NULL;
}

/* Uses the vDSO's clock_gettime for the coarse clock if it gives the same
 * answers as glibc's; glibc's otherwise. */
static void pick_gettime(void)
{
    int (*f)(clockid_t, struct timespec *) = (int (*)(clockid_t, struct timespec *))
        vdso_gettime();
    struct timespec a, b, c;
    if (!f || clock_gettime(CLOCK_MONOTONIC_COARSE, &a) != 0
        || f(CLOCK_MONOTONIC_COARSE, &b) != 0 || clock_gettime(CLOCK_MONOTONIC_COARSE, &c) != 0)
        return;
    if (cap_ts_ns(&a) <= cap_ts_ns(&b) && cap_ts_ns(&b) <= cap_ts_ns(&c))
        cap_gettime = f;
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
    pick_gettime();
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
