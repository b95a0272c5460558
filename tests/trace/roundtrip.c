/* tests/trace/roundtrip.c: keeps the guarantee that every event the writer
 * accepts is read back identical, in merged key order (realloc family split
 * into RELEASE at seq and ACQUIRE at seq2) and in file order, for every
 * operation and for edge values: size 0 and SIZE_MAX, NULL pointers and
 * results, huge alignments, keys near 2^64, thousands of threads, multi-chunk
 * threads, with and without caller addresses. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap.h"
#include "trace/trace.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* An edge or random 64-bit value. */
static uint64_t edge(void)
{
    static const uint64_t e[] = { 0, 1, 8, 16, 4096, 0x7fffffffffffffffu, SIZE_MAX,
                                  UINT64_MAX - 1, 1u << 31, (uint64_t)1 << 63 };
    switch (rnd() % 4) {
    case 0: return e[rnd() % (sizeof e / sizeof e[0])];
    case 1: return rnd();
    case 2: return rnd() % 100000;
    default: return 0x7f0000000000u + (rnd() % (1u << 24)) * 16;
    }
}

/* A canonical event: only the fields its op uses are set. */
static void make_event(struct htr_event *ev, unsigned op, uint32_t thread, uint64_t *key,
                       int callers)
{
    memset(ev, 0, sizeof *ev);
    ev->op = (uint8_t)op;
    ev->thread = thread;
    ev->count = 1;
    ev->seq = ev->seq2 = (*key)++;
    switch (op) {
    case HTR_OP_CALLOC: ev->count = edge(); ev->size = edge(); break;
    case HTR_OP_REALLOCARRAY: ev->count = edge(); /* fall through */
    case HTR_OP_REALLOC:
        ev->ptr = rnd() % 5 ? edge() : 0;
        ev->size = edge();
        ev->seq2 = (*key)++;
        break;
    case HTR_OP_FREE: ev->ptr = rnd() % 5 ? edge() : 0; break;
    case HTR_OP_MEMALIGN: case HTR_OP_POSIX_MEMALIGN: case HTR_OP_ALIGNED_ALLOC:
        ev->align = rnd() % 3 ? (uint64_t)1 << (rnd() % 64) : edge();
        ev->size = edge();
        break;
    case HTR_OP_THREAD_START: ev->tid = edge(); break;
    case HTR_OP_THREAD_EXIT: break;
    default: ev->size = edge(); break;
    }
    if (htr_op_returns(op) && rnd() % 6)
        ev->result = edge() | 1;   /* never 0: 0 means NULL */
    if (callers)
        ev->caller = rnd() % 3 ? 0x400000u + rnd() % 4096 : edge();
}

static int same(const struct htr_event *a, const struct htr_event *b)
{
    return a->seq == b->seq && a->seq2 == b->seq2 && a->size == b->size && a->count == b->count
           && a->align == b->align && a->ptr == b->ptr && a->result == b->result
           && a->caller == b->caller && a->tid == b->tid && a->thread == b->thread
           && a->op == b->op;
}

/* Writes events to path.  Returns 0 on success. */
static int write_trace(const char *path, const struct htr_event *evs, size_t n, int callers,
                       uint64_t start_key)
{
    struct htr_file_header h;
    struct htr_error err;
    htr_header_init(&h, callers ? HTR_F_CALLERS : 0, 9);
    h.start_key = start_key;
    struct htr_writer *w = htr_writer_open(path, &h, "prog\0arg1", 9, &err);
    if (!w) {
        tap_diag("%s", err.msg);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (htr_writer_add(w, &evs[i], &err)) {
            tap_diag("%s", err.msg);
            htr_writer_abort(w);
            return -1;
        }
    if (htr_writer_close(w, &err)) {
        tap_diag("%s", err.msg);
        return -1;
    }
    return 0;
}

/* Reads path in merged order and compares with evs (keys globally unique and
 * increasing in evs).  Returns the number of mismatches. */
static size_t check_merged(const char *path, const struct htr_event *evs, size_t n,
                           uint64_t start_key)
{
    struct htr_error err;
    struct htr_reader *r = htr_open(path, 0, &err);
    struct htr_event ev;
    size_t bad = 0, i = 0;
    int acquire_next = 0;
    if (!r) {
        tap_diag("%s", err.msg);
        return 1;
    }
    while (htr_next(r, &ev, &err) == 1) {
        if (i >= n) {
            bad++;
            break;
        }
        int two = evs[i].op == HTR_OP_REALLOC || evs[i].op == HTR_OP_REALLOCARRAY;
        int want_phase = !two ? HTR_PHASE_WHOLE
                         : acquire_next ? HTR_PHASE_ACQUIRE : HTR_PHASE_RELEASE;
        uint64_t key = want_phase == HTR_PHASE_ACQUIRE ? evs[i].seq2 : evs[i].seq;
        uint64_t want_ns = key > start_key ? key - start_key : 0;
        if (!same(&ev, &evs[i]) || ev.phase != want_phase || ev.time_ns != want_ns) {
            if (bad++ < 3)
                tap_diag("merged item for event %zu differs (op %s phase %d)", i,
                         htr_op_name(ev.op), ev.phase);
        }
        if (want_phase == HTR_PHASE_RELEASE) {
            acquire_next = 1;
        } else {
            acquire_next = 0;
            i++;
        }
    }
    if (i != n)
        tap_diag("merged: %zu of %zu events", i, n), bad++;
    htr_close(r);
    return bad;
}

/* Reads path in file order: each thread's events must come in its order,
 * realloc once.  Returns the number of mismatches. */
static size_t check_file_order(const char *path, const struct htr_event *evs, size_t n,
                               uint32_t threads)
{
    struct htr_error err;
    struct htr_reader *r = htr_open(path, HTR_OPEN_FILE_ORDER, &err);
    size_t *nxt = malloc(n * sizeof *nxt), *pos = malloc(threads * sizeof *pos);
    size_t bad = 0, seen = 0;
    struct htr_event ev;
    if (!r) {
        tap_diag("%s", err.msg);
        free(nxt), free(pos);
        return 1;
    }
    for (uint32_t t = 0; t < threads; t++)
        pos[t] = SIZE_MAX;
    for (size_t i = n; i-- > 0;) {
        nxt[i] = pos[evs[i].thread];
        pos[evs[i].thread] = i;
    }
    while (htr_next(r, &ev, &err) == 1) {
        size_t want = ev.thread < threads ? pos[ev.thread] : SIZE_MAX;
        if (want == SIZE_MAX || !same(&ev, &evs[want]) || ev.phase != HTR_PHASE_WHOLE) {
            if (bad++ < 3)
                tap_diag("file-order item %zu (thread %u) differs", seen, ev.thread);
            break;
        }
        pos[ev.thread] = nxt[want];
        seen++;
    }
    if (seen != n)
        tap_diag("file order: %zu of %zu events", seen, n), bad++;
    htr_close(r);
    free(nxt), free(pos);
    return bad;
}

/* One scenario: n random events over `threads` threads. */
static void scenario(const char *dir, const char *name, size_t n, uint32_t threads,
                     int callers, uint64_t first_key)
{
    char path[512];
    struct htr_event *evs = malloc(n * sizeof *evs);
    uint64_t key = first_key;
    snprintf(path, sizeof path, "%s/%s.htr", dir, name);
    for (size_t i = 0; i < n; i++) {
        unsigned op = 1 + (unsigned)(rnd() % (HTR_OP_COUNT - 1));
        uint32_t t = i < threads ? (uint32_t)i : (uint32_t)(rnd() % threads);
        make_event(&evs[i], op, t, &key, callers);
    }
    int wrote = write_trace(path, evs, n, callers, first_key);
    tap_ok(wrote == 0, "%s: %zu events written", name, n);
    struct htr_error err;
    struct htr_reader *r = htr_open(path, 0, &err);
    const struct htr_info *info = r ? htr_reader_info(r) : NULL;
    tap_ok(info && info->threads == (threads < n ? threads : n) && !info->truncated
           && info->header.cmdline_len == 9 && memcmp(info->cmdline, "prog\0arg1", 9) == 0
           && info->data_bytes == info->file_size,
           "%s: info (threads %u, chunks %llu, %llu bytes)", name, info ? info->threads : 0,
           info ? (unsigned long long)info->chunks : 0ull,
           info ? (unsigned long long)info->file_size : 0ull);
    if (info)
        tap_diag("%s: %.2f bytes/event", name, (double)info->file_size / (double)n);
    htr_close(r);
    tap_ok(check_merged(path, evs, n, first_key) == 0, "%s: merged order identical", name);
    tap_ok(check_file_order(path, evs, n, threads) == 0, "%s: file order identical", name);
    unlink(path);
    free(evs);
}

/* htr_encode refuses a record that does not fit and leaves its state alone;
 * htr_decode rejects every strict prefix of a record. */
static void encode_edges(void)
{
    uint8_t buf[HTR_MAX_RECORD];
    struct htr_codec_state st, st0;
    struct htr_event ev, out;
    uint64_t key = UINT64_MAX - 3;
    int ok = 1;
    for (unsigned op = 1; op < HTR_OP_COUNT; op++) {
        make_event(&ev, op, 0, &key, 1);
        key = UINT64_MAX - 3;
        htr_codec_reset(&st, 5);
        size_t n = htr_encode(buf, sizeof buf, &st, &ev, 1);
        htr_codec_reset(&st0, 5);
        st = st0;
        if (n == 0 || htr_encode(buf, n - 1, &st, &ev, 1) != 0
            || memcmp(&st, &st0, sizeof st) != 0)
            ok = 0;
        for (size_t len = 0; len < n; len++) {
            const char *why = NULL;
            st = st0;
            if (htr_decode(buf, len, &st, &out, 1, &why) != 0 || !why)
                ok = 0;
        }
        st = st0;
        const char *why = NULL;
        if (htr_decode(buf, n, &st, &out, 1, &why) != n || !same(&out, &ev))
            ok = 0;
    }
    tap_ok(ok, "encode refuses short buffers; decode rejects every prefix");
    tap_ok(strcmp(htr_op_name(HTR_OP_POSIX_MEMALIGN), "posix_memalign") == 0
           && htr_op_from_name("reallocarray") == HTR_OP_REALLOCARRAY
           && htr_op_from_name("nope") == 0 && strcmp(htr_op_name(0), "?") == 0
           && strcmp(htr_op_name(99), "?") == 0, "op names");
}

int main(void)
{
    char dir[] = "/tmp/husky-roundtrip.XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    char dirbuf[512];
    if (tmpdir && *tmpdir) {
        snprintf(dirbuf, sizeof dirbuf, "%s/husky-roundtrip.XXXXXX", tmpdir);
    } else {
        snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    }
    if (!mkdtemp(dirbuf)) {
        tap_ok(0, "mkdtemp");
        return tap_done();
    }
    encode_edges();
    scenario(dirbuf, "few-threads", 300000, 4, 0, 1000);
    scenario(dirbuf, "many-threads-callers", 40000, 3000, 1, 1);
    scenario(dirbuf, "keys-near-2^64", 20000, 7, 1, UINT64_MAX - 50000);
    scenario(dirbuf, "single", 1, 1, 0, 0);
    rmdir(dirbuf);
    return tap_done();
}
