/* tests/trace/compact.c: keeps the format's compactness goal (16 bytes or
 * fewer per event on typical traces, docs/trace-format.md) measurable: it
 * writes a synthetic but typical trace (4 threads, malloc/free/realloc/calloc
 * with a long-tailed size mix, 16-byte aligned addresses reused LIFO from a
 * heap, keys in ns 20-400 apart, one pair of callers per site) with and
 * without callers, and checks bytes per event. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/tap.h"
#include "trace/trace.h"

#define EVENTS 400000u
#define THREADS 4u
#define SLOTS 4096u

static uint64_t rng = 88172645463325252u;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A long-tailed request size: mostly small, sometimes pages. */
static uint64_t some_size(void)
{
    unsigned r = (unsigned)(rnd() % 100);
    if (r < 60)
        return 8 + rnd() % 56;
    if (r < 90)
        return 64 + rnd() % 448;
    if (r < 99)
        return 512 + rnd() % 3584;
    return 4096 + rnd() % 65536;
}

/* Per thread: live blocks on a stack (LIFO reuse, like most allocators). */
struct model {
    uint64_t live[SLOTS];      /* addresses */
    unsigned n;                /* live entries */
    uint64_t heap;             /* next fresh address of this thread's arena */
    uint64_t freed[SLOTS];     /* freed addresses, reused LIFO */
    unsigned nfreed;           /* entries */
};

static double measure(const char *path, int callers)
{
    static struct model m[THREADS];
    struct htr_file_header h;
    struct htr_error err;
    struct htr_event ev;
    uint64_t key = 1000;
    memset(m, 0, sizeof m);
    htr_header_init(&h, callers ? HTR_F_CALLERS : 0, 0);
    h.start_key = key;
    struct htr_writer *w = htr_writer_open(path, &h, "", 0, &err);
    if (!w)
        return -1;
    for (unsigned t = 0; t < THREADS; t++)
        m[t].heap = 0x7f0000000000u + (uint64_t)t * 0x4000000u;
    for (unsigned i = 0; i < EVENTS; i++) {
        unsigned t = (unsigned)(rnd() % THREADS);
        struct model *s = &m[t];
        memset(&ev, 0, sizeof ev);
        ev.thread = t;
        ev.count = 1;
        key += 20 + rnd() % 380;
        ev.seq = ev.seq2 = key;
        ev.caller = 0x401000 + (rnd() % 24) * 0x40;
        unsigned r = (unsigned)(rnd() % 100);
        if (s->n > 0 && (r < 45 || s->n == SLOTS)) {
            unsigned k = s->n - 1 - (unsigned)(rnd() % (s->n < 8 ? s->n : 8));
            ev.op = HTR_OP_FREE;
            ev.ptr = s->live[k];
            s->live[k] = s->live[--s->n];
            if (s->nfreed < SLOTS)
                s->freed[s->nfreed++] = ev.ptr;
        } else {
            ev.op = r < 90 ? HTR_OP_MALLOC : HTR_OP_CALLOC;
            ev.size = some_size();
            if (ev.op == HTR_OP_CALLOC) {
                ev.count = 1 + rnd() % 8;
                ev.size = (ev.size + 7) / 8;
            }
            if (s->nfreed && rnd() % 4)
                ev.result = s->freed[--s->nfreed];
            else
                ev.result = s->heap, s->heap += (ev.size * ev.count + 31) & ~15u;
            s->live[s->n++] = ev.result;
        }
        if (htr_writer_add(w, &ev, &err))
            return -1;
    }
    if (htr_writer_close(w, &err))
        return -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (double)st.st_size / EVENTS;
}

int main(void)
{
    char path[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/husky-compact.%ld.htr", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    double plain = measure(path, 0);
    tap_ok(plain > 0 && plain <= 16.0, "typical trace: %.2f bytes/event (goal <= 16)", plain);
    double with = measure(path, 1);
    tap_ok(with > 0 && with <= 16.0, "typical trace with callers: %.2f bytes/event (goal <= 16)",
           with);
    unlink(path);
    return tap_done();
}
