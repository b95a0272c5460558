/* husky trace format, version 1: the public API of the trace library (htr_).
 *
 * One file per traced process.  docs/trace-format.md is the exact spec; this
 * header is its C mirror.  All integers are little-endian.
 *
 *   file   = header, then chunks until end of file or a chunk whose magic is 0
 *   header = struct htr_file_header (72 bytes), then cmdline_len bytes of
 *            command line (arguments separated by NUL), zero-padded to a
 *            multiple of 8; header_size covers both.
 *   chunk  = struct htr_chunk_header (32 bytes), then `capacity` payload bytes
 *            of which the first `used` hold whole records; the next chunk
 *            starts right after the payload (capacity is a multiple of 8).
 *            Every chunk belongs to one thread; a thread's chunks appear in
 *            the file in the order that thread wrote them.
 *   record = byte 0: op (bits 0-4) | HTR_REC_NULL_RESULT (bit 6); bits 5, 7 zero
 *            then LEB128 varints, in this order:
 *              dkey    zigzag(key - prev_key)
 *              fields  per op, see below
 *              dkey2   key2 - key (unsigned)            realloc, reallocarray
 *              result  zigzag(result - prev_addr)       ops that return memory,
 *                                                       absent if NULL flag
 *              caller  zigzag(caller - prev_caller)     if HTR_F_CALLERS
 *            fields per op:
 *              malloc, valloc, pvalloc          size
 *              calloc                           count, size
 *              realloc                          ptr, size
 *              reallocarray                     ptr, count, size
 *              free                             ptr
 *              memalign, posix_memalign,
 *              aligned_alloc                    align, size
 *              thread_start                     tid (OS thread id)
 *              thread_exit                      (none)
 *            `ptr` is encoded as zigzag(ptr - prev_addr).  After each pointer
 *            (ptr or result) prev_addr becomes that pointer; after each record
 *            prev_key becomes its last key (key2 for the realloc family).
 *            At the start of every chunk prev_key = chunk base_key and
 *            prev_addr = prev_caller = 0, so chunks decode independently.
 *
 * Order keys.  Every event has an order key (`seq` below); realloc and
 * reallocarray have two: `seq`, taken before the call (the release of the old
 * block) and `seq2`, taken after it returned (the acquisition of the new one).
 * Keys of one trace come from one clock that is monotonic across CPUs (the TSC
 * when HTR_F_TSC is set, else CLOCK_MONOTONIC in ns).  Each chunk header pairs
 * its base key with CLOCK_MONOTONIC ns, so readers convert keys to time.
 *
 * Nothing here calls malloc except the reader and the tool-side writer; the
 * encoder functions are safe to call from inside malloc.
 */
#ifndef HUSKY_TRACE_H
#define HUSKY_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define HTR_MAGIC          "HUSKYTRC"      /* 8 bytes, no NUL */
#define HTR_VERSION        1u
#define HTR_CHUNK_MAGIC    0x314b4348u     /* "HCK1" read as little-endian u32 */
#define HTR_HEADER_FIXED   72u             /* sizeof(struct htr_file_header) */
#define HTR_CHUNK_HEADER   32u             /* sizeof(struct htr_chunk_header) */
#define HTR_MAX_RECORD     96u             /* upper bound of one encoded record */

/* Operations.  Values are part of the format: never renumber. */
enum htr_op {
    HTR_OP_MALLOC = 1,
    HTR_OP_CALLOC = 2,
    HTR_OP_REALLOC = 3,
    HTR_OP_FREE = 4,
    HTR_OP_MEMALIGN = 5,
    HTR_OP_POSIX_MEMALIGN = 6,
    HTR_OP_ALIGNED_ALLOC = 7,
    HTR_OP_VALLOC = 8,
    HTR_OP_PVALLOC = 9,
    HTR_OP_REALLOCARRAY = 10,
    HTR_OP_THREAD_START = 11,
    HTR_OP_THREAD_EXIT = 12,
    HTR_OP_COUNT = 13                      /* one past the last valid op */
};

/* Record byte 0 flag: the call returned NULL (no result field follows). */
#define HTR_REC_NULL_RESULT 0x40u

/* File header flags. */
#define HTR_F_CALLERS   0x1u   /* every record carries a caller address */
#define HTR_F_TSC       0x2u   /* keys are TSC ticks, not CLOCK_MONOTONIC ns */
#define HTR_F_INHERITED 0x4u   /* process began with its parent's heap (fork):
                                  frees of addresses this trace never handed
                                  out are inherited objects, not errors */
#define HTR_F_KNOWN     0x7u   /* flags a version-1 reader understands */

/* The on-disk file header (little-endian, exactly 72 bytes). */
struct htr_file_header {
    char magic[8];             /* HTR_MAGIC */
    uint16_t version;          /* HTR_VERSION; a reader rejects a newer one */
    uint16_t reserved0;        /* zero */
    uint32_t header_size;      /* 72 + cmdline_len rounded up to 8 */
    uint32_t flags;            /* HTR_F_* */
    uint32_t pid;              /* process id of the traced process */
    uint32_t ppid;             /* its parent's pid (names the parent's file) */
    uint32_t exec_count;       /* how many execs this pid went through before */
    uint32_t page_size;        /* sysconf(_SC_PAGESIZE) of the traced process */
    uint32_t cmdline_len;      /* bytes of command line after this header */
    uint64_t start_realtime_ns; /* CLOCK_REALTIME at trace start */
    uint64_t start_ns;         /* CLOCK_MONOTONIC at trace start */
    uint64_t start_key;        /* order key at trace start */
    uint64_t reserved1;        /* zero */
};

/* The on-disk chunk header (little-endian, exactly 32 bytes). */
struct htr_chunk_header {
    uint32_t magic;            /* HTR_CHUNK_MAGIC; 0 marks the end of the file */
    uint32_t thread;           /* thread index, dense from 0 in first-event order */
    uint32_t used;             /* payload bytes holding whole records */
    uint32_t capacity;         /* payload bytes reserved (multiple of 8) */
    uint64_t base_key;         /* prev_key at chunk start (<= first record key) */
    uint64_t base_ns;          /* CLOCK_MONOTONIC ns read with base_key */
};

/* Which half of a realloc-family event a merged stream item is (see htr_next). */
enum htr_phase {
    HTR_PHASE_WHOLE = 0,       /* an ordinary event */
    HTR_PHASE_RELEASE = 1,     /* realloc family at `seq`: the old block goes */
    HTR_PHASE_ACQUIRE = 2      /* realloc family at `seq2`: the new block comes */
};

/* One decoded event. */
struct htr_event {
    uint64_t seq;              /* order key (release key for the realloc family) */
    uint64_t seq2;             /* acquire key for the realloc family, else = seq */
    uint64_t time_ns;          /* ns since trace start (reader fills it) */
    uint64_t size;             /* bytes requested; per element for calloc and
                                  reallocarray */
    uint64_t count;            /* calloc / reallocarray element count, else 1 */
    uint64_t align;            /* alignment of the memalign family, else 0 */
    uint64_t ptr;              /* input pointer (free, realloc family), else 0 */
    uint64_t result;           /* returned pointer, 0 for NULL or no result */
    uint64_t caller;           /* caller's return address, 0 if not recorded */
    uint64_t tid;              /* OS thread id (thread_start), else 0 */
    uint32_t thread;           /* thread index */
    uint8_t op;                /* enum htr_op */
    uint8_t phase;             /* enum htr_phase (merged streams only) */
};

/* ---- encoding: no malloc, no stdio, no locks; safe inside malloc ---- */

/* Per-chunk delta state of the encoder (and decoder). */
struct htr_codec_state {
    uint64_t prev_key;         /* last key encoded */
    uint64_t prev_addr;        /* last pointer encoded */
    uint64_t prev_caller;      /* last caller encoded */
};

/* Resets `st` for a new chunk whose base key is `base_key`. */
void htr_codec_reset(struct htr_codec_state *st, uint64_t base_key);

/* Encodes `ev` into buf (cap bytes).  Returns the bytes written, or 0 if the
 * record does not fit (then nothing is written and st is unchanged).
 * `callers` is nonzero when the file has HTR_F_CALLERS. */
size_t htr_encode(uint8_t *buf, size_t cap, struct htr_codec_state *st,
                  const struct htr_event *ev, int callers);

/* Decodes one record from buf (len bytes).  Returns the bytes consumed, or 0
 * if the record is malformed or truncated (then *why says what was wrong).
 * Fills every field of ev except thread, time_ns and phase. */
size_t htr_decode(const uint8_t *buf, size_t len, struct htr_codec_state *st,
                  struct htr_event *ev, int callers, const char **why);

/* Fills a file header for the calling process.  cmdline_len is the byte count
 * of the command line that will follow it. */
void htr_header_init(struct htr_file_header *h, uint32_t flags, uint32_t cmdline_len);

/* Name of an op ("malloc", ...), or "?" for an invalid one. */
const char *htr_op_name(unsigned op);

/* Op from its name, or 0 if unknown. */
unsigned htr_op_from_name(const char *name);

/* Whether an op returns memory (has a result field). */
int htr_op_returns(unsigned op);

/* ---- errors ---- */

/* An error from the reader or writer: which file, where, and what. */
struct htr_error {
    char path[1024];           /* the file */
    uint64_t offset;           /* byte offset the error refers to */
    char msg[512];             /* "FILE: offset N: reason", ready to print */
};

/* ---- reading (tools only: may use malloc) ---- */

struct htr_reader;

/* Summary of a trace, filled by htr_open. */
struct htr_info {
    struct htr_file_header header;   /* the file header as read */
    const char *cmdline;             /* cmdline_len bytes, NUL-separated args */
    uint32_t threads;                /* number of thread indexes seen */
    uint64_t chunks;                 /* number of chunks */
    uint64_t file_size;              /* bytes in the file */
    uint64_t data_bytes;             /* bytes up to the end of the last chunk */
    int truncated;                   /* a torn/unterminated tail was ignored */
};

#define HTR_OPEN_FILE_ORDER 0x1u     /* yield records chunk by chunk in file
                                        order, realloc once (phase WHOLE),
                                        instead of merged by key */

/* Opens and indexes a trace.  Returns NULL and fills err on failure (a missing
 * file, bad magic, a newer version, a damaged header or chunk). */
struct htr_reader *htr_open(const char *path, unsigned open_flags, struct htr_error *err);

/* The summary of an open trace. */
const struct htr_info *htr_reader_info(const struct htr_reader *r);

/* Next event.  In the default (merged) mode events come in global key order
 * (ties broken by thread index), and each realloc-family event comes twice:
 * phase RELEASE at seq and phase ACQUIRE at seq2.  Returns 1 with *ev filled,
 * 0 at the end, -1 on a malformed record (err filled).  A truncated last
 * record of a chunk is ignored, never an error. */
int htr_next(struct htr_reader *r, struct htr_event *ev, struct htr_error *err);

/* Byte offset in the file of the record last returned by htr_next. */
uint64_t htr_offset(const struct htr_reader *r);

void htr_close(struct htr_reader *r);

/* ---- writing (tools only: may use malloc) ---- */

struct htr_writer;

/* Creates a trace that becomes `path` only when htr_writer_close succeeds (it
 * is written to a temporary name in the same folder and renamed).  `header`
 * gives pid, ppid, flags, ...; its size fields are filled in by the writer. */
struct htr_writer *htr_writer_open(const char *path, const struct htr_file_header *header,
                                   const char *cmdline, uint32_t cmdline_len,
                                   struct htr_error *err);

/* Appends an event of thread ev->thread (phase is ignored).  Events of one
 * thread must be appended in their key order. 0 or -1 (err filled). */
int htr_writer_add(struct htr_writer *w, const struct htr_event *ev, struct htr_error *err);

/* Flushes, closes and renames into place.  0 or -1 (err filled; the
 * temporary file is removed). */
int htr_writer_close(struct htr_writer *w, struct htr_error *err);

/* Drops a writer without creating the file. */
void htr_writer_abort(struct htr_writer *w);

#endif
