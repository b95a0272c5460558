/* src/trace/writer.c: the tool-side trace writer (huskygen, import, tests).
 *
 * Events are buffered per thread; a thread's buffer becomes one chunk when
 * it fills up or at close, so a thread's chunks are in its own order, as the
 * format requires.  Buffers start small and double up to CHUNK_MAX, so a
 * trace with thousands of threads costs memory in proportion to its events
 * in flight, not threads times a fixed buffer.  The file is written under a
 * temporary name and renamed into place by htr_writer_close. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

#include "trace/htr_internal.h"

#define CHUNK_MIN 256u           /* first buffer of a thread */
#define CHUNK_MAX (64u * 1024u)  /* largest chunk payload written */

/* One thread's pending chunk. */
struct wthread {
    uint32_t thread;            /* thread index (hash key) */
    uint8_t *buf;               /* payload being filled */
    uint32_t cap;               /* bytes allocated at buf */
    uint32_t used;              /* bytes of whole records in buf */
    uint64_t base_key;          /* key the chunk's deltas start from */
    uint64_t base_ns;           /* CLOCK_MONOTONIC ns of base_key */
    struct htr_codec_state st;  /* encoder state of this chunk */
    UT_hash_handle hh;          /* by thread */
};

struct htr_writer {
    char *path;                 /* final name */
    char *tmp;                  /* temporary name being written */
    FILE *f;                    /* the open temporary file */
    struct htr_file_header h;   /* as written */
    int callers;                /* HTR_F_CALLERS */
    struct wthread *threads;    /* hash of threads with a buffer */
};

/* Writes bytes to the temporary file. */
static int put(struct htr_writer *w, const void *p, size_t n, struct htr_error *err)
{
    if (n && fwrite(p, 1, n, w->f) != n) {
        _htr_error(err, w->tmp, (uint64_t)ftello(w->f), "write failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

struct htr_writer *htr_writer_open(const char *path, const struct htr_file_header *header,
                                   const char *cmdline, uint32_t cmdline_len,
                                   struct htr_error *err)
{
    struct htr_writer *w = calloc(1, sizeof *w);
    size_t plen = strlen(path);
    if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(plen + 16))) {
        _htr_error(err, path, 0, "out of memory");
        htr_writer_abort(w);
        return NULL;
    }
    snprintf(w->tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(w->tmp);
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        _htr_error(err, path, 0, "cannot create: %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(w->tmp);
        }
        free(w->tmp);
        w->tmp = NULL;
        htr_writer_abort(w);
        return NULL;
    }
    mode_t mask = umask(0);     /* mkstemp makes 0600; a trace is 0666 & ~umask */
    umask(mask);
    if (fchmod(fileno(w->f), 0666 & ~mask) != 0) {
        _htr_error(err, w->tmp, 0, "cannot set the mode: %s", strerror(errno));
        htr_writer_abort(w);
        return NULL;
    }
    w->h = *header;
    memcpy(w->h.magic, HTR_MAGIC, 8);
    w->h.version = HTR_VERSION;
    w->h.reserved0 = 0;
    w->h.reserved1 = 0;
    w->h.cmdline_len = cmdline_len;
    w->h.header_size = (uint32_t)_htr_round8((uint64_t)HTR_HEADER_FIXED + cmdline_len);
    w->callers = (w->h.flags & HTR_F_CALLERS) != 0;
    uint8_t fixed[HTR_HEADER_FIXED], pad[8] = { 0 };
    _htr_header_store(fixed, &w->h);
    if (put(w, fixed, sizeof fixed, err) || put(w, cmdline, cmdline_len, err)
        || put(w, pad, w->h.header_size - HTR_HEADER_FIXED - cmdline_len, err)) {
        htr_writer_abort(w);
        return NULL;
    }
    return w;
}

/* Writes t's buffer as one chunk and empties it. */
static int flush_thread(struct htr_writer *w, struct wthread *t, struct htr_error *err)
{
    if (t->used == 0)
        return 0;
    struct htr_chunk_header ch = {
        .magic = HTR_CHUNK_MAGIC, .thread = t->thread, .used = t->used,
        .capacity = (uint32_t)_htr_round8(t->used), .base_key = t->base_key,
        .base_ns = t->base_ns,
    };
    uint8_t hdr[HTR_CHUNK_HEADER], pad[8] = { 0 };
    _htr_chunk_store(hdr, &ch);
    if (put(w, hdr, sizeof hdr, err) || put(w, t->buf, t->used, err)
        || put(w, pad, ch.capacity - t->used, err))
        return -1;
    t->used = 0;
    return 0;
}

/* The ns that goes with key: keys are ns themselves unless HTR_F_TSC, when
 * the event's own time_ns (since trace start) says it. */
static uint64_t base_ns_of(const struct htr_writer *w, const struct htr_event *ev)
{
    if (w->h.flags & HTR_F_TSC)
        return w->h.start_ns + ev->time_ns;
    return w->h.start_ns + (ev->seq - w->h.start_key);
}

/* Finds or creates the buffer of ev->thread. */
static struct wthread *get_thread(struct htr_writer *w, uint32_t thread, struct htr_error *err)
{
    struct wthread *t;
    HASH_FIND(hh, w->threads, &thread, sizeof thread, t);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t || !(t->buf = malloc(CHUNK_MIN))) {
        free(t);
        _htr_error(err, w->path, 0, "out of memory");
        return NULL;
    }
    t->thread = thread;
    t->cap = CHUNK_MIN;
    HASH_ADD(hh, w->threads, thread, sizeof t->thread, t);
    return t;
}

int htr_writer_add(struct htr_writer *w, const struct htr_event *ev, struct htr_error *err)
{
    struct wthread *t = get_thread(w, ev->thread, err);
    if (!t)
        return -1;
    if (ev->op == 0 || ev->op >= HTR_OP_COUNT) {
        _htr_error(err, w->path, 0, "cannot write an event with operation %u", ev->op);
        return -1;
    }
    for (;;) {
        if (t->used == 0) {
            t->base_key = ev->seq;
            t->base_ns = base_ns_of(w, ev);
            htr_codec_reset(&t->st, t->base_key);
        }
        size_t n = htr_encode(t->buf + t->used, t->cap - t->used, &t->st, ev, w->callers);
        if (n) {
            t->used += (uint32_t)n;
            return 0;
        }
        if (t->cap < CHUNK_MAX) {
            uint8_t *nb = realloc(t->buf, t->cap * 2);
            if (!nb) {
                _htr_error(err, w->path, 0, "out of memory");
                return -1;
            }
            t->buf = nb;
            t->cap *= 2;
        } else if (flush_thread(w, t, err)) {
            return -1;
        }
    }
}

/* Frees every thread buffer. */
static void free_threads(struct htr_writer *w)
{
    struct wthread *t, *tmp;
    HASH_ITER(hh, w->threads, t, tmp) {
        HASH_DEL(w->threads, t);
        free(t->buf);
        free(t);
    }
}

/* Orders the final flush by thread index, so the file does not depend on
 * the hash table's order. */
static int by_thread(struct wthread *a, struct wthread *b)
{
    return a->thread < b->thread ? -1 : a->thread > b->thread;
}

int htr_writer_close(struct htr_writer *w, struct htr_error *err)
{
    struct wthread *t, *tmp;
    int rc = 0;
    HASH_SORT(w->threads, by_thread);
    HASH_ITER(hh, w->threads, t, tmp) {
        if (rc == 0 && flush_thread(w, t, err))
            rc = -1;
    }
    if (rc == 0 && fflush(w->f) != 0) {
        _htr_error(err, w->tmp, 0, "write failed: %s", strerror(errno));
        rc = -1;
    }
    if (fclose(w->f) != 0 && rc == 0) {
        _htr_error(err, w->tmp, 0, "close failed: %s", strerror(errno));
        rc = -1;
    }
    w->f = NULL;
    if (rc == 0 && rename(w->tmp, w->path) != 0) {
        _htr_error(err, w->path, 0, "cannot rename into place: %s", strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(w->tmp);
    free(w->tmp);
    w->tmp = NULL;
    htr_writer_abort(w);
    return rc;
}

void htr_writer_abort(struct htr_writer *w)
{
    if (!w)
        return;
    if (w->f) {
        fclose(w->f);
        unlink(w->tmp);
    }
    free_threads(w);
    free(w->tmp);
    free(w->path);
    free(w);
}
