/* The trace file of the capture shim: setup, chunk reservation, growth,
 * the end of a process, fork, and the callers' address map.
 *
 * The whole file is mapped once, MAP_SHARED, over a large address range
 * (pages past the end of the file are never touched: the file is grown with
 * ftruncate before a chunk there is handed out).  A thread reserves a chunk
 * with one atomic add on `file_off`; only growing the file takes a lock.
 * Because records are written straight into the page cache, the data of a
 * killed process is already in the file.  No descriptor stays open: the
 * program may close or reuse any descriptor number, so the rare growth and
 * the final cut open the file by its absolute path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "capture/cap.h"

#define FIRST_CHUNK_MIN 2048u                  /* payload of the setup thread's chunk */
#define GROW_MIN        ((uint64_t)1 << 20)    /* first file size */
#define GROW_STEP       ((uint64_t)64 << 20)   /* largest growth step */
#define MAP_WANT        ((uint64_t)1 << 40)    /* address range reserved for the file */
#define MAP_LEAST       ((uint64_t)64 << 20)   /* smallest range accepted */
#define BLOCK_SHIFT     21                     /* 2 MiB blocks: one huge page each */
#define BLOCK_SIZE      ((uint64_t)1 << BLOCK_SHIFT)
#define HUGE_THREADS    8                      /* more threads: no huge pages */
#define DROP_LAG        4                      /* blocks between write-back and drop */
#define DROP_SPAN       16                     /* older blocks dropped again */

int cap_state;
int cap_callers;

static uint8_t *map_base;                      /* its mapping */
static uint64_t map_len;                       /* bytes of address range mapped */
static uint32_t *block_done;                   /* retired bytes per block (atomic) */
static int huge;                               /* huge pages asked for (atomic) */
static uint64_t file_off;                      /* next free byte (atomic) */
static uint64_t file_size;                     /* current file size (atomic) */
static int grow_lock;                          /* guards growth and the end (atomic) */
static int trace_full;                         /* the file cannot grow: stop */
static uint32_t thread_count;                  /* thread indexes handed out (atomic) */
static struct htr_chunk_header *first_chunk;   /* the setup thread's first chunk */
static uint32_t first_size;                    /* its size, header included */
static pid_t trace_pid;                        /* the process the file belongs to */
static char dir_path[3072];                    /* HUSKY_TRACE_DIR, made absolute */
static char trace_path[sizeof dir_path + 96];  /* the trace file */
static char stem[64];                          /* "PID" or "PID-eN" */
static char cmdline[4096];                     /* /proc/self/cmdline */
static size_t cmdline_len;

/* ---- small helpers that allocate nothing ---- */

static void say(const char *a, const char *b)
{
    static const char pre[] = "husky capture: ";
    if (write(2, pre, sizeof pre - 1) < 0 || write(2, a, strlen(a)) < 0
        || write(2, b, strlen(b)) < 0 || write(2, "\n", 1) < 0)
        return;
}

static char *put_str(char *p, char *end, const char *s)
{
    while (*s && p < end - 1)
        *p++ = *s++;
    *p = 0;
    return p;
}

static char *put_uint(char *p, char *end, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0 && p < end - 1)
        *p++ = tmp[--n];
    *p = 0;
    return p;
}

/* Builds DIR/STEM plus a suffix into buf. */
static void path_of(char *buf, size_t cap, const char *suffix)
{
    char *p = put_str(buf, buf + cap, dir_path);
    p = put_str(p, buf + cap, "/");
    p = put_str(p, buf + cap, stem);
    put_str(p, buf + cap, suffix);
}

/* The trace file, opened by path for one call (see the top of the file: no
 * descriptor is kept). */
static int trace_open(void)
{
    return open(trace_path, O_WRONLY | O_CLOEXEC);
}

/* ftruncate by path. */
static int resize(uint64_t size)
{
    int fd = trace_open();
    if (fd < 0)
        return -1;
    int rc = ftruncate(fd, (off_t)size);
    close(fd);
    return rc;
}

static void spin_lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void spin_unlock(int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void read_cmdline(void)
{
    cmdline_len = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n;
    while (cmdline_len < sizeof cmdline
           && (n = read(fd, cmdline + cmdline_len, sizeof cmdline - cmdline_len)) > 0)
        cmdline_len += (size_t)n;
    close(fd);
    while (cmdline_len > 0 && cmdline[cmdline_len - 1] == 0)
        cmdline_len--;
}

/* ---- the callers' address map: a copy of /proc/self/maps ---- */

/* Writes STEM.maps (through a temporary name) so that `huskytrace info
 * --callers` can map caller addresses back to files and symbols. */
static void write_maps(void)
{
    char tmp[sizeof dir_path + 96], final[sizeof dir_path + 96], buf[4096];
    path_of(tmp, sizeof tmp, ".maps.tmp");
    path_of(final, sizeof final, ".maps");
    int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return;
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;
    int ok = out >= 0;
    while (ok && (n = read(in, buf, sizeof buf)) > 0)
        ok = write(out, buf, (size_t)n) == n;
    close(in);
    if (out >= 0)
        close(out);
    if (ok)
        ok = rename(tmp, final) == 0;
    if (!ok)
        unlink(tmp);
}

/* ---- setup ---- */

/* Creates DIR/PID.htr, or DIR/PID-eN.htr when this pid already wrote N
 * traces before (each exec starts a new image that sets up again). */
static int create_file(uint32_t *exec_count)
{
    char path[sizeof dir_path + 96];
    pid_t pid = getpid();
    for (uint32_t n = 0; n < 100000; n++) {
        char *p = put_uint(stem, stem + sizeof stem, (uint64_t)pid);
        if (n > 0)
            put_uint(put_str(p, stem + sizeof stem, "-e"), stem + sizeof stem, n);
        path_of(path, sizeof path, ".htr");
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *exec_count = n;
            put_str(trace_path, trace_path + sizeof trace_path, path);
            return fd;
        }
        if (errno != EEXIST) {
            say("cannot create the trace ", path);
            return -1;
        }
    }
    return -1;
}

/* Maps the file over the largest range the address-space limit allows,
 * with the counters of retired bytes per block (cap_retire).  Huge pages:
 * a first write to a 4 KiB page of the file costs 2-3 us in the VM of
 * docs/benchmarks/capture.md, to a 2 MiB one 0.9 us per 4 KiB (Linux 6.16
 * and later give ext4 files large folios; elsewhere the advice is a no-op). */
static int map_file(int fd)
{
    for (uint64_t len = MAP_WANT; len >= MAP_LEAST; len /= 4) {
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
        if (m == MAP_FAILED)
            continue;
        void *d = mmap(NULL, (len >> BLOCK_SHIFT) * sizeof *block_done,
                       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (d == MAP_FAILED) {
            munmap(m, len);
            continue;
        }
        map_base = m;
        map_len = len;
        block_done = d;
        huge = madvise(m, len, MADV_HUGEPAGE) == 0;
        return 0;
    }
    say("cannot map the trace file", "");
    return -1;
}

/* Writes the header and prepares the first chunk, which fills the rest of
 * the header's last page so that every later chunk is page aligned. */
static int open_trace(uint32_t flags)
{
    uint32_t exec_count = 0;
    int fd = create_file(&exec_count);
    if (fd < 0)
        return -1;
    read_cmdline();
    struct htr_file_header h;
    htr_header_init(&h, flags, (uint32_t)cmdline_len);
    h.exec_count = exec_count;
    h.start_key = cap_clock == CAP_CLOCK_TSC ? cap_tsc() : h.start_ns;
    if (cap_counter < h.start_ns)
        cap_counter = h.start_ns;
    /* one thread so far (at the first call, or in a fork child) */
    cap_key_floor = h.start_ns;
    cap_solo_key = h.start_ns;
    __atomic_store_n(&cap_multi, 0, __ATOMIC_RELAXED);
    uint64_t header_size = h.header_size;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t first_end = (header_size + HTR_CHUNK_HEADER + FIRST_CHUNK_MIN + page - 1)
                         / page * page;
    int bad = ftruncate(fd, (off_t)GROW_MIN) != 0 || map_file(fd) != 0;
    close(fd);
    if (bad)
        return -1;
    memcpy(map_base, &h, sizeof h);
    memcpy(map_base + sizeof h, cmdline, cmdline_len);
    trace_pid = getpid();
    file_size = GROW_MIN;
    file_off = first_end;
    thread_count = 0;
    trace_full = 0;
    grow_lock = 0;
    first_chunk = (struct htr_chunk_header *)(map_base + header_size);
    first_size = (uint32_t)(first_end - header_size);
    if (cap_callers)
        write_maps();
    return 0;
}

static void at_fork_prepare(void);
static void at_fork_parent(void);
static void at_fork_child(void);

/* First call of the process: decides whether to record and sets the trace
 * up.  Other threads calling meanwhile wait; the setting-up thread's own
 * nested calls pass through (its busy flag is set). */
int cap_init_slow(void)
{
    int st = __atomic_load_n(&cap_state, __ATOMIC_ACQUIRE);
    int expected = CAP_UNINIT;
    if (st == CAP_UNINIT
        && __atomic_compare_exchange_n(&cap_state, &expected, CAP_INITIALIZING, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        int saved = errno;
        const char *dir = getenv("HUSKY_TRACE_DIR");
        const char *callers = getenv("HUSKY_TRACE_CALLERS");
        int ok = dir && *dir && strlen(dir) < sizeof dir_path;
        if (ok && dir[0] != '/' && !getcwd(dir_path, sizeof dir_path - strlen(dir) - 2))
            ok = 0;
        if (ok) {
            char *end = dir_path + strlen(dir_path);
            if (dir[0] != '/')
                end = put_str(end, dir_path + sizeof dir_path, "/");
            put_str(end, dir_path + sizeof dir_path, dir);
            cap_callers = callers && strcmp(callers, "1") == 0;
            cap_clock_init();
            uint32_t flags = (cap_callers ? HTR_F_CALLERS : 0)
                             | (cap_clock == CAP_CLOCK_TSC ? HTR_F_TSC : 0);
            ok = open_trace(flags) == 0;
        }
        if (ok) {
            cap_thread_key_init();
            pthread_atfork(at_fork_prepare, at_fork_parent, at_fork_child);
        }
        errno = saved;
        __atomic_store_n(&cap_state, ok ? CAP_READY : CAP_OFF, __ATOMIC_RELEASE);
        return ok;
    }
    while ((st = __atomic_load_n(&cap_state, __ATOMIC_ACQUIRE)) == CAP_INITIALIZING)
        sched_yield();
    return st == CAP_READY;
}

/* ---- chunks ---- */

/* The next thread index.  Past HUGE_THREADS threads the file is mapped
 * with small pages again: each thread's current chunk keeps its 2 MiB
 * block resident (cap_retire), which many threads would multiply. */
uint32_t cap_next_thread_index(void)
{
    uint32_t index = __atomic_fetch_add(&thread_count, 1, __ATOMIC_RELAXED);
    if (index >= HUGE_THREADS && __atomic_exchange_n(&huge, 0, __ATOMIC_RELAXED))
        madvise(map_base, map_len, MADV_NOHUGEPAGE);
    return index;
}

struct htr_chunk_header *cap_take_first_chunk(uint32_t *size)
{
    struct htr_chunk_header *c = __atomic_exchange_n(&first_chunk, NULL, __ATOMIC_ACQ_REL);
    *size = first_size;
    return c;
}

/* Grows the file to hold `need` bytes, in steps that double up to 64 MiB.
 * Sparse: untouched pages cost no disk. */
static int grow(uint64_t need)
{
    int ok = 1;
    spin_lock(&grow_lock);
    uint64_t size = __atomic_load_n(&file_size, __ATOMIC_SEQ_CST);
    if (need > size) {
        uint64_t step = size < GROW_STEP ? size : GROW_STEP;
        uint64_t want = size + step > need ? size + step : need;
        if (want > map_len)
            want = map_len;
        ok = !trace_full && need <= map_len && resize(want) == 0;
        if (ok) {
            __atomic_store_n(&file_size, want, __ATOMIC_SEQ_CST);
        } else if (!trace_full) {
            trace_full = 1;
            say("the trace file cannot grow: recording stopped in ", stem);
        }
    }
    spin_unlock(&grow_lock);
    return ok;
}

struct htr_chunk_header *cap_reserve(uint32_t size)
{
    if (CAP_UNLIKELY(__atomic_load_n(&trace_full, __ATOMIC_RELAXED)))
        return NULL;
    uint64_t off = __atomic_fetch_add(&file_off, size, __ATOMIC_SEQ_CST);
    if (off + size > __atomic_load_n(&file_size, __ATOMIC_SEQ_CST) && !grow(off + size))
        return NULL;
    return (struct htr_chunk_header *)(map_base + off);
}

/* A full block of the file goes to disk now, and the blocks DROP_LAG
 * behind it, written by then, leave the page cache.  The trace then holds
 * a few MiB of memory instead of all its bytes, and the next blocks reuse
 * the pages just dropped: in a VM whose free memory goes back to the host,
 * a page the guest has not used lately costs a fault on the host too
 * (3.6-9.0 ms per 2 MiB against 0.4-0.5 ms for recently freed pages, in the
 * VM of docs/benchmarks/capture.md).  Dirty or mapped pages are never
 * dropped (the advice skips them), so no data is lost; on tmpfs both calls
 * do nothing.  errno is the caller's to keep, as for cap_retire's madvise
 * (cap_emit_slow saves it). */
static void block_full(uint64_t block)
{
    int fd = trace_open();
    if (fd < 0)
        return;
    sync_file_range(fd, (off_t)(block << BLOCK_SHIFT), (off_t)BLOCK_SIZE,
                    SYNC_FILE_RANGE_WRITE);
    if (block > DROP_LAG) {
        uint64_t last = block - DROP_LAG;
        uint64_t first = last > DROP_SPAN ? last - DROP_SPAN : 1;
        posix_fadvise(fd, (off_t)(first << BLOCK_SHIFT),
                      (off_t)((last - first + 1) << BLOCK_SHIFT), POSIX_FADV_DONTNEED);
    }
    close(fd);
}

/* Drops a retired chunk's pages from the process; the data stays in the
 * file's page cache, so the shim's memory does not grow with the trace.
 * A block (after the first, which holds the header) leaves once all its
 * chunks are retired.  With huge pages that is the only way out: dropping
 * part of a 2 MiB page splits it, which cost more system time than the huge
 * page saved; with small pages each chunk also leaves at once. */
void cap_retire(struct htr_chunk_header *c)
{
    size_t len = HTR_CHUNK_HEADER + (size_t)c->capacity;
    uint64_t off = (uint64_t)((uint8_t *)c - map_base), end = off + len;
    if (!__atomic_load_n(&huge, __ATOMIC_RELAXED)
        && (off & (uint64_t)(sysconf(_SC_PAGESIZE) - 1)) == 0)
        madvise(c, len, MADV_DONTNEED);
    while (off < end) {
        uint64_t block = off >> BLOCK_SHIFT;
        uint64_t stop = (block + 1) << BLOCK_SHIFT;
        uint32_t n = (uint32_t)((end < stop ? end : stop) - off);
        if (block > 0 && __atomic_add_fetch(&block_done[block], n, __ATOMIC_RELAXED)
                             == BLOCK_SIZE) {
            madvise(map_base + (block << BLOCK_SHIFT), BLOCK_SIZE, MADV_DONTNEED);
            block_full(block);
        }
        off += n;
    }
}

/* ---- the end of the process ---- */

/* Normal exit: cuts the file to the bytes reserved so far.  The size is
 * first set to 0 so that a thread reserving concurrently takes the locked
 * path and grows the file again instead of writing past the new end.  The
 * size cut to goes into the file's CAP_END_XATTR attribute: huskytrace
 * record then knows the file ends after its last chunk without walking
 * every chunk header (one disk read per 256 KiB of trace, since the blocks
 * have left the page cache: 10 ms of a 0.3 s synth recording).  A
 * filesystem without user attributes just makes it walk. */
__attribute__((destructor)) static void cap_finish(void)
{
    if (__atomic_load_n(&cap_state, __ATOMIC_ACQUIRE) != CAP_READY || getpid() != trace_pid)
        return;
    spin_lock(&grow_lock);
    __atomic_store_n(&file_size, 0, __ATOMIC_SEQ_CST);
    uint64_t end = __atomic_load_n(&file_off, __ATOMIC_SEQ_CST);
    if (resize(end) == 0) {
        char value[24];
        char *stop = put_uint(value, value + sizeof value, end);
        setxattr(trace_path, CAP_END_XATTR, value, (size_t)(stop - value), 0);
    } else {
        end = map_len;
    }
    __atomic_store_n(&file_size, end, __ATOMIC_SEQ_CST);
    spin_unlock(&grow_lock);
    if (cap_callers)
        write_maps();
}

/* ---- fork ---- */

static void at_fork_prepare(void)
{
    spin_lock(&grow_lock);
}

static void at_fork_parent(void)
{
    spin_unlock(&grow_lock);
}

/* The child writes its own file from here on (pid in its name, the parent's
 * pid in its header, HTR_F_INHERITED: it starts with the parent's heap). */
static void at_fork_child(void)
{
    struct cap_thread *t = &cap_self;
    int saved = errno;
    int busy = t->busy;
    t->busy = 1;
    munmap(map_base, map_len);
    munmap(block_done, (map_len >> BLOCK_SHIFT) * sizeof *block_done);
    cap_thread_reset(t);
    uint32_t flags = HTR_F_INHERITED | (cap_callers ? HTR_F_CALLERS : 0)
                     | (cap_clock == CAP_CLOCK_TSC ? HTR_F_TSC : 0);
    if (open_trace(flags) != 0)
        __atomic_store_n(&cap_state, CAP_OFF, __ATOMIC_RELEASE);
    t->busy = busy;
    errno = saved;
}
