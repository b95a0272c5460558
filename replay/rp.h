/* huskyreplay internals (rp_): the replay plan format shared by the tool and
 * its worker, and the prototypes of every file of replay/.
 *
 * A plan is one traced process turned into what a replayer needs: for each
 * traced thread an array of operations on dense object ids (so the addresses
 * of the trace and their reuse disappear), a side table of dependencies (an
 * operation on an object that another thread touched last waits until that
 * thread has done the operation), a side table of wide arguments, the serial
 * schedule (the global order as runs of one thread), and live bytes at fixed
 * fractions of the trace.  The plan file is mapped, never loaded.
 *
 * Layout (little-endian, every section 8-byte aligned):
 *   struct rp_plan_header
 *   struct rp_plan_thread[threads]
 *   struct rp_op[ops]            per thread, contiguous, in thread order
 *   struct rp_dep[deps]          per thread, in op order
 *   struct rp_ext[exts]          per thread, in op order
 *   uint32_t runs[runs]          thread << 16 | count (count 1..65535)
 *   uint64_t live[RP_LIVE_POINTS + 1]  live bytes after k/RP_LIVE_POINTS of ops
 * Bytes per event: 12 per op, +8 per dependency, +4 per thread switch, +16
 * per operation whose size or argument does not fit the op (rare).
 */
#ifndef HUSKY_RP_H
#define HUSKY_RP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RP_PLAN_MAGIC   "HUSKYPLN"
#define RP_PLAN_VERSION 3u            /* 3: new ids in per-thread blocks */
#define RP_LIVE_POINTS  100u          /* live/RSS points at k/100 of the ops */
#define RP_NO_OBJ       0xffffffffu   /* no object: free(NULL), failed calls */
#define RP_MAX_THREADS  65535u

/* Operation kinds of the plan (the malloc family, one kind per entry point). */
enum rp_kind {
    RP_K_MALLOC = 0,
    RP_K_CALLOC,
    RP_K_REALLOC,
    RP_K_REALLOCARRAY,
    RP_K_FREE,
    RP_K_MEMALIGN,
    RP_K_POSIX_MEMALIGN,
    RP_K_ALIGNED_ALLOC,
    RP_K_VALLOC,
    RP_K_PVALLOC,
    RP_K_COUNT
};

/* Op flags. */
#define RP_OPF_FAILED 0x01u   /* the traced call returned NULL */
#define RP_OPF_DEP    0x02u   /* wait for the next entry of the thread's deps */
#define RP_OPF_EXT    0x04u   /* size and arg are in the next ext entry */
#define RP_OPF_NEW    0x08u   /* realloc family: creates obj (ptr was NULL or
                                 unknown) instead of continuing it */
#define RP_OPF_ENDS   0x10u   /* realloc family: the traced call freed the
                                 block and returned NULL (size 0) */

/* One operation (12 bytes).  obj is the object it creates, resizes or frees.
 * arg is the calloc/reallocarray count or the memalign-family alignment. */
struct rp_op {
    uint32_t obj;             /* object id, RP_NO_OBJ if none */
    uint32_t size;            /* bytes (per element for calloc/reallocarray) */
    uint8_t kind;             /* enum rp_kind */
    uint8_t flags;            /* RP_OPF_* */
    uint16_t arg;             /* count or alignment (see RP_OPF_EXT) */
};

/* A dependency: wait until thread `thread` has done `done` operations. */
struct rp_dep {
    uint32_t thread;          /* producer thread index in the plan */
    uint32_t done;            /* producer's op index + 1 */
};

/* Wide arguments of an op flagged RP_OPF_EXT. */
struct rp_ext {
    uint64_t size;            /* bytes (per element) */
    uint64_t arg;             /* count or alignment */
};

/* Where one thread's sections are. */
struct rp_plan_thread {
    uint64_t op_first;        /* index of its first op in the op section */
    uint64_t ops;             /* its op count */
    uint64_t dep_first;       /* index of its first dependency */
    uint64_t deps;            /* its dependency count */
    uint64_t ext_first;       /* index of its first ext entry */
    uint64_t exts;            /* its ext count */
    uint64_t tid;             /* OS thread id of the traced thread, 0 if unknown */
    uint64_t reserved;        /* zero */
};

/* The plan header.  Invariant: sections follow in the order listed above,
 * offsets are from the start of the file, and plan_sum covers every byte
 * after the header. */
struct rp_plan_header {
    char magic[8];            /* RP_PLAN_MAGIC */
    uint32_t version;         /* RP_PLAN_VERSION */
    uint32_t header_size;     /* sizeof(struct rp_plan_header) */
    uint64_t trace_size;      /* size of the trace it was built from */
    int64_t trace_mtime_ns;   /* its modification time */
    uint64_t trace_head_sum;  /* checksum of the trace's first 4 KiB */
    uint64_t plan_sum;        /* checksum of the bytes after this header */
    uint64_t file_size;       /* size of this plan file */
    uint64_t events;          /* trace events read */
    uint64_t ops;             /* ops in the plan */
    uint64_t objects;         /* object ids used (max live plus slack) */
    uint64_t deps;            /* dependency entries */
    uint64_t exts;            /* ext entries */
    uint64_t runs;            /* serial schedule runs */
    uint64_t threads;         /* threads with at least one op */
    uint64_t peak_live;       /* most bytes live at once */
    uint64_t end_live;        /* bytes live at the end */
    uint64_t skipped_frees;   /* frees/reallocs of addresses never handed out */
    uint64_t failed_calls;    /* traced calls that returned NULL */
    uint64_t cross_frees;     /* frees/reallocs of another thread's object */
    uint64_t kind_count[RP_K_COUNT]; /* ops per kind */
    uint64_t off_threads;     /* section offsets */
    uint64_t off_ops;
    uint64_t off_deps;
    uint64_t off_exts;
    uint64_t off_runs;
    uint64_t off_live;
    uint32_t pid;             /* traced process */
    uint32_t inherited;       /* the trace had HTR_F_INHERITED */
    uint64_t peak_thread;     /* the op that reached peak_live: its thread */
    uint64_t peak_done;       /* ... and its 1-based op number there */
    uint64_t reserved[2];     /* zero */
};

/* A mapped plan. */
struct rp_plan {
    const struct rp_plan_header *h;     /* the mapping */
    const struct rp_plan_thread *threads;
    const struct rp_op *ops;
    const struct rp_dep *deps;
    const struct rp_ext *exts;
    const uint32_t *runs;
    const uint64_t *live;
    size_t map_size;                    /* bytes mapped */
};

/* ---- results shared between the tool and a worker (one mapping) ---- */

#define RP_HIST_SUB     8u                   /* sub-buckets per power of two */
#define RP_HIST_BUCKETS (64u * RP_HIST_SUB)  /* latency histogram buckets */
#define RP_TIME_POINTS  512u                 /* RSS samples by wall clock */
#define RP_MSG          512u

enum rp_status {
    RP_ST_RUNNING = 0,        /* not finished (crash/timeout if it stays so) */
    RP_ST_OK,
    RP_ST_VERIFY_FAILED,
    RP_ST_ERROR               /* the worker could not run (message says why) */
};

/* Progress of one replay thread, alone on its cache line. */
struct rp_progress {
    volatile uint64_t done;   /* ops completed */
    char pad[56];
};

/* One RSS sample by wall clock. */
struct rp_time_sample {
    uint64_t t_us;            /* microseconds since the replay started */
    uint64_t rss_kb;          /* anonymous RSS minus the baseline */
    uint64_t done;            /* ops completed */
};

/* What a worker reports.  The tool creates it, the worker fills it.  The
 * progress array follows the struct (one entry per plan thread). */
struct rp_shared {
    uint32_t layout;                /* RP_SHARED_LAYOUT, set by the tool: a worker
                                       from another build refuses to run */
    volatile uint32_t status;       /* enum rp_status */
    volatile int32_t crash_thread;  /* thread that took a fatal signal, or -1 */
    volatile uint64_t crash_op;     /* its op index then */
    volatile int32_t crash_signal;  /* the signal */
    uint32_t threads;               /* entries in progress[] */
    double wall_s;                  /* barrier release to last op */
    double user_s, sys_s;           /* CPU of the replay (getrusage delta) */
    uint64_t minflt;                /* minor faults of the replay */
    uint64_t baseline_kb;           /* anonymous RSS before the replay */
    uint64_t peak_kb;               /* peak anonymous RSS minus baseline */
    uint64_t end_kb;                /* anonymous RSS at the end minus baseline */
    uint64_t replay_nulls;          /* calls that failed only in the replay */
    uint64_t extra_results;         /* calls that succeeded only in the replay */
    uint32_t emulated;              /* kinds (bits) the allocator lacks, emulated */
    uint32_t latency_tsc;           /* latencies timed with the TSC (else
                                       CLOCK_MONOTONIC) */
    uint64_t rss_progress[RP_LIVE_POINTS + 1]; /* RSS at k/100 of the ops */
    uint32_t time_samples;          /* entries used in rss_time */
    struct rp_time_sample rss_time[RP_TIME_POINTS];
    uint64_t hist[RP_K_COUNT][RP_HIST_BUCKETS]; /* sampled latency, ns buckets */
    char msg[RP_MSG];               /* error or verify failure, one line */
    struct rp_progress progress[];  /* per thread */
};

#define RP_SHARED_LAYOUT ((uint32_t)sizeof(struct rp_shared) ^ (RP_PLAN_VERSION << 24))

/* Bytes of a shared result area for `threads` threads. */
static inline size_t rp_shared_size(uint32_t threads)
{
    return sizeof(struct rp_shared) + (size_t)threads * sizeof(struct rp_progress);
}

/* ---- prototypes, by defining file ---- */

/* plan_build.c: builds a plan file from a trace; 0, or 65 with *why filled */
int rp_plan_build(const char *trace, const char *plan_path, int *fd_out, char *why,
                  size_t why_len);

/* plan_file.c */
uint64_t rp_checksum(const void *p, size_t n, uint64_t seed);
uint64_t rp_checksum_mapped(const void *p, size_t n);
int rp_plan_map(int fd, struct rp_plan *plan, char *why, size_t why_len);
void rp_plan_unmap(struct rp_plan *plan);
int rp_plan_trace_stamp(const char *trace, uint64_t *size, int64_t *mtime_ns,
                        uint64_t *head_sum);
int rp_plan_path(const char *trace, char *out, size_t out_len, int *in_cache);
const char *rp_kind_name(unsigned kind);

/* plan_cache.c */
int rp_plan_open(const char *trace, int rebuild, struct rp_plan *plan, int *built,
                 char *path_out, size_t path_len, char *why, size_t why_len);

/* hist.c */
unsigned rp_hist_bucket(uint64_t ns);
uint64_t rp_hist_value(unsigned bucket);
uint64_t rp_hist_percentile(const uint64_t *hist, double q, uint64_t *samples);

#endif
