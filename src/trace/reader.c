/* src/trace/reader.c: the streaming trace reader.
 *
 * htr_open maps the file, checks the header and indexes the chunks (one
 * small entry per chunk).  htr_next then decodes lazily: in the default mode
 * it keeps one cursor per thread (that thread's chunks, in file order) and a
 * binary heap of the cursors ordered by (key of the next item, thread index),
 * so memory grows with the number of threads and chunks, never with the
 * number of events.  The realloc family is split into a RELEASE item at seq
 * and an ACQUIRE item at seq2.  See docs/trace-format.md for what counts as a
 * torn tail (ignored, flagged) and what is malformed (an error). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/htr_internal.h"

/* One chunk of the file, as indexed by htr_open. */
struct chunk {
    uint64_t off;              /* file offset of the chunk header */
    uint64_t base_key;         /* key deltas of its first record start here */
    uint32_t thread;           /* thread index */
    uint32_t used;             /* payload bytes to decode (may be cut by EOF) */
};

/* A position in one thread's chunk sequence (or, in file order, all chunks). */
struct cursor {
    const uint32_t *order;     /* chunk numbers this cursor walks, in order */
    uint32_t nchunks;          /* entries in order */
    uint32_t cur;              /* index into order of the current chunk */
    uint32_t pos;              /* payload offset of the next record */
    struct htr_codec_state st; /* delta state within the current chunk */
    struct htr_event ev;       /* the decoded head event */
    uint64_t ev_off;           /* its file offset */
    int phase;                 /* HTR_PHASE_* of the head item */
    int live;                  /* a head item is ready */
};

struct htr_reader {
    char *path;                /* for messages */
    const uint8_t *map;        /* the whole file, read-only */
    size_t map_len;            /* its size */
    struct htr_info info;      /* what htr_reader_info returns */
    int callers;               /* HTR_F_CALLERS */
    unsigned mode;             /* open flags */
    struct chunk *chunks;      /* every chunk, in file order */
    uint32_t nchunks;          /* entries in chunks */
    uint32_t *order;           /* chunk numbers grouped by thread (stable) */
    struct cursor *cursors;    /* one per thread (one in file-order mode) */
    uint32_t ncursors;         /* entries in cursors */
    uint32_t *heap;            /* cursor numbers, min-heap on (key, thread) */
    uint32_t nheap;            /* entries in heap */
    int started;               /* the heads have been decoded */
    int failed;                /* a malformed record was met: stay failed */
    struct htr_error saved;    /* that error, repeated on later calls */
    uint64_t last_off;         /* htr_offset */
    double ns_per_key;         /* key to time conversion */
};

const struct htr_info *htr_reader_info(const struct htr_reader *r)
{
    return &r->info;
}

uint64_t htr_offset(const struct htr_reader *r)
{
    return r->last_off;
}

void htr_close(struct htr_reader *r)
{
    if (!r)
        return;
    if (r->map && r->map_len)
        munmap((void *)r->map, r->map_len);
    free(r->path);
    free(r->chunks);
    free(r->order);
    free(r->cursors);
    free(r->heap);
    free(r);
}

/* ---- opening ---- */

/* Maps the file; a missing, unreadable or non-regular file is an error. */
static int map_file(struct htr_reader *r, struct htr_error *err)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        _htr_error(err, r->path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        _htr_error(err, r->path, 0, "not a regular file");
        close(fd);
        return -1;
    }
    r->info.file_size = (uint64_t)st.st_size;
    if (st.st_size < (off_t)HTR_HEADER_FIXED) {
        _htr_error(err, r->path, (uint64_t)st.st_size,
                   "file too short for a trace header (%llu bytes, need %u)",
                   (unsigned long long)st.st_size, HTR_HEADER_FIXED);
        close(fd);
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        _htr_error(err, r->path, 0, "cannot map: %s", strerror(errno));
        return -1;
    }
    r->map = m;
    r->map_len = (size_t)st.st_size;
    return 0;
}

/* Checks the fixed header and the command line after it. */
static int check_header(struct htr_reader *r, struct htr_error *err)
{
    struct htr_file_header *h = &r->info.header;
    _htr_header_load(h, r->map);
    if (memcmp(h->magic, HTR_MAGIC, 8) != 0) {
        _htr_error(err, r->path, 0, "bad magic: not a husky trace");
        return -1;
    }
    if (h->version == 0 || h->version > HTR_VERSION) {
        _htr_error(err, r->path, 8, "format version %u is not supported (this reader "
                   "reads version %u): use a newer husky", h->version, HTR_VERSION);
        return -1;
    }
    if (h->reserved0 != 0 || h->reserved1 != 0) {
        _htr_error(err, r->path, h->reserved0 ? 10 : 64, "reserved header field is not zero");
        return -1;
    }
    if (h->flags & ~HTR_F_KNOWN) {
        _htr_error(err, r->path, 16, "unknown header flags 0x%x", h->flags & ~HTR_F_KNOWN);
        return -1;
    }
    if ((uint64_t)h->header_size != _htr_round8((uint64_t)HTR_HEADER_FIXED + h->cmdline_len)) {
        _htr_error(err, r->path, 12, "header size %u does not match command line length %u",
                   h->header_size, h->cmdline_len);
        return -1;
    }
    if (h->header_size > r->info.file_size) {
        _htr_error(err, r->path, r->info.file_size, "file ends inside the header (%u bytes)",
                   h->header_size);
        return -1;
    }
    r->info.cmdline = (const char *)r->map + HTR_HEADER_FIXED;
    r->callers = (h->flags & HTR_F_CALLERS) != 0;
    return 0;
}

/* Whether len bytes at p are all zero. */
static int all_zero(const uint8_t *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Adds one chunk to the index. */
static int push_chunk(struct htr_reader *r, const struct chunk *c, uint32_t *cap,
                      struct htr_error *err)
{
    if (r->nchunks == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 64;
        struct chunk *n = realloc(r->chunks, ncap * sizeof *n);
        if (!n || ncap < *cap) {
            _htr_error(err, r->path, c->off, "out of memory indexing chunks");
            return -1;
        }
        r->chunks = n;
        *cap = ncap;
    }
    r->chunks[r->nchunks++] = *c;
    return 0;
}

/* Walks the chunk headers from the end of the file header to the end marker
 * or the end of the file.  A chunk cut by the end of the file keeps the
 * bytes that are there and sets info.truncated. */
static int index_chunks(struct htr_reader *r, struct htr_error *err)
{
    uint64_t off = r->info.header.header_size, size = r->info.file_size;
    uint32_t cap = 0;
    struct htr_chunk_header ch;

    while (off < size) {
        if (size - off < HTR_CHUNK_HEADER) {
            if (!all_zero(r->map + off, size - off))
                r->info.truncated = 1;
            break;
        }
        _htr_chunk_load(&ch, r->map + off);
        if (ch.magic == 0)
            break;
        if (ch.magic != HTR_CHUNK_MAGIC) {
            _htr_error(err, r->path, off, "bad chunk magic 0x%08x", ch.magic);
            return -1;
        }
        if (ch.capacity % 8 != 0 || ch.used > ch.capacity) {
            _htr_error(err, r->path, off, "bad chunk sizes (used %u, capacity %u)", ch.used,
                       ch.capacity);
            return -1;
        }
        struct chunk c = { off, ch.base_key, ch.thread, ch.used };
        uint64_t payload = off + HTR_CHUNK_HEADER, end = payload + ch.capacity;
        if (end > size) {       /* the torn tail: keep what is there */
            r->info.truncated = 1;
            if (payload + c.used > size)
                c.used = (uint32_t)(size - payload);
        }
        if (push_chunk(r, &c, &cap, err))
            return -1;
        if (end > size)
            off = size;
        else
            off = end;
    }
    r->info.data_bytes = off;
    r->info.chunks = r->nchunks;
    return 0;
}

/* Picks the key-to-time scale: 1 for CLOCK_MONOTONIC keys; for TSC keys the
 * slope between the header's (start_key, start_ns) and the chunk pair
 * farthest from it. */
static void time_scale(struct htr_reader *r)
{
    const struct htr_file_header *h = &r->info.header;
    r->ns_per_key = 1.0;
    if (!(h->flags & HTR_F_TSC))
        return;
    uint64_t best_key = h->start_key, best_ns = h->start_ns;
    for (uint32_t i = 0; i < r->nchunks; i++) {
        const uint8_t *p = r->map + r->chunks[i].off;
        uint64_t k = _htr_le64(p + 16), ns = _htr_le64(p + 24);
        if (k > best_key && ns >= h->start_ns) {
            best_key = k;
            best_ns = ns;
        }
    }
    if (best_key > h->start_key)
        r->ns_per_key = (double)(best_ns - h->start_ns) / (double)(best_key - h->start_key);
}

/* Orders chunk numbers by (thread, file position). */
static int cmp_chunk(const void *a, const void *b, void *arg)
{
    const struct chunk *chunks = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t tx = chunks[x].thread, ty = chunks[y].thread;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Builds the cursors: one per thread in merged mode, one over every chunk
 * in file order in HTR_OPEN_FILE_ORDER mode. */
static int make_cursors(struct htr_reader *r, struct htr_error *err)
{
    uint32_t n = r->nchunks;
    r->order = malloc((n ? n : 1) * sizeof *r->order);
    r->cursors = calloc(n ? n : 1, sizeof *r->cursors);
    r->heap = malloc((n ? n : 1) * sizeof *r->heap);
    if (!r->order || !r->cursors || !r->heap) {
        _htr_error(err, r->path, 0, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        r->order[i] = i;
    qsort_r(r->order, n, sizeof *r->order, cmp_chunk, r->chunks);
    uint32_t threads = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == 0 || r->chunks[r->order[i]].thread != r->chunks[r->order[i - 1]].thread) {
            r->cursors[threads].order = r->order + i;
            threads++;
        }
        r->cursors[threads - 1].nchunks++;
    }
    r->info.threads = threads;
    if (r->mode & HTR_OPEN_FILE_ORDER) {
        for (uint32_t i = 0; i < n; i++)
            r->order[i] = i;
        memset(r->cursors, 0, sizeof *r->cursors);
        r->cursors[0].order = r->order;
        r->cursors[0].nchunks = n;
        r->ncursors = n ? 1 : 0;
    } else {
        r->ncursors = threads;
    }
    return 0;
}

struct htr_reader *htr_open(const char *path, unsigned open_flags, struct htr_error *err)
{
    struct htr_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        _htr_error(err, path, 0, "out of memory");
        return NULL;
    }
    r->mode = open_flags;
    if (map_file(r, err) || check_header(r, err) || index_chunks(r, err)
        || make_cursors(r, err)) {
        htr_close(r);
        return NULL;
    }
    time_scale(r);
    return r;
}

/* ---- decoding ---- */

/* Decodes the next record of cursor c into its head.  Returns 1 when a head
 * is ready, 0 when the cursor is exhausted, -1 on a malformed record. */
static int cursor_fill(struct htr_reader *r, struct cursor *c)
{
    for (;;) {
        if (c->cur >= c->nchunks)
            return 0;
        const struct chunk *ch = &r->chunks[c->order[c->cur]];
        if (c->pos == 0)
            htr_codec_reset(&c->st, ch->base_key);
        if (c->pos >= ch->used) {
            c->cur++;
            c->pos = 0;
            continue;
        }
        const uint8_t *payload = r->map + ch->off + HTR_CHUNK_HEADER;
        const char *why = NULL;
        c->ev.thread = ch->thread;
        size_t n = htr_decode(payload + c->pos, ch->used - c->pos, &c->st, &c->ev,
                              r->callers, &why);
        if (n == 0 && why == _htr_why_short) {
            r->info.truncated = 1;      /* a torn last record: ignored */
            c->cur++;
            c->pos = 0;
            continue;
        }
        if (n == 0) {
            r->failed = 1;
            _htr_error(&r->saved, r->path, ch->off + HTR_CHUNK_HEADER + c->pos, "%s", why);
            return -1;
        }
        c->ev.thread = ch->thread;
        c->ev_off = ch->off + HTR_CHUNK_HEADER + c->pos;
        c->pos += (uint32_t)n;
        c->phase = (!(r->mode & HTR_OPEN_FILE_ORDER) && _htr_op_two_keys(c->ev.op))
                   ? HTR_PHASE_RELEASE : HTR_PHASE_WHOLE;
        c->live = 1;
        return 1;
    }
}

/* The key a cursor's head item sorts by. */
static inline uint64_t head_key(const struct cursor *c)
{
    return c->phase == HTR_PHASE_ACQUIRE ? c->ev.seq2 : c->ev.seq;
}

static inline int heap_less(const struct htr_reader *r, uint32_t a, uint32_t b)
{
    const struct cursor *x = &r->cursors[a], *y = &r->cursors[b];
    uint64_t kx = head_key(x), ky = head_key(y);
    if (kx != ky)
        return kx < ky;
    return x->ev.thread < y->ev.thread;
}

static void heap_down(struct htr_reader *r, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < r->nheap && heap_less(r, r->heap[l], r->heap[m]))
            m = l;
        if (l + 1 < r->nheap && heap_less(r, r->heap[l + 1], r->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
}

/* Decodes every cursor's first record and heapifies. */
static int start(struct htr_reader *r)
{
    r->started = 1;
    for (uint32_t i = 0; i < r->ncursors; i++) {
        int rc = cursor_fill(r, &r->cursors[i]);
        if (rc < 0)
            return -1;
        if (rc > 0)
            r->heap[r->nheap++] = i;
    }
    for (uint32_t i = r->nheap / 2; i-- > 0;)
        heap_down(r, i);
    return 0;
}

/* Converts a key into ns since the trace start (0 for keys before it). */
static uint64_t key_ns(const struct htr_reader *r, uint64_t key)
{
    const struct htr_file_header *h = &r->info.header;
    if (key <= h->start_key)
        return 0;
    if (!(h->flags & HTR_F_TSC))
        return key - h->start_key;
    /* a damaged chunk pair can make the product exceed 64 bits: saturate
     * (converting such a double to an integer is undefined) */
    double ns = (double)(key - h->start_key) * r->ns_per_key;
    return ns < 18446744073709551616.0 ? (uint64_t)ns : UINT64_MAX;
}

int htr_next(struct htr_reader *r, struct htr_event *ev, struct htr_error *err)
{
    if (!r->started && start(r) < 0)
        goto failed;
    if (r->failed)
        goto failed;
    if (r->nheap == 0)
        return 0;
    struct cursor *c = &r->cursors[r->heap[0]];
    *ev = c->ev;
    ev->phase = (uint8_t)c->phase;
    ev->time_ns = key_ns(r, head_key(c));
    r->last_off = c->ev_off;
    int rc = 1;
    if (c->phase == HTR_PHASE_RELEASE)
        c->phase = HTR_PHASE_ACQUIRE;
    else
        rc = cursor_fill(r, c);
    if (rc == 0)
        r->heap[0] = r->heap[--r->nheap];
    if (r->nheap)
        heap_down(r, 0);
    return 1;
failed:
    if (err)
        *err = r->saved;
    return -1;
}
