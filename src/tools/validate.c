/* src/tools/validate.c: `huskytrace validate`: structure and invariants.
 *
 * Walks each trace in merged order (so every realloc is checked as its two
 * halves, as a replayer would see them) and checks: no address handed out
 * twice while live, no free or realloc of an address that is not live (in
 * an HTR_F_INHERITED trace such frees are counted as inherited objects), no
 * event of a thread that never started (the first event of every thread but
 * index 0 is thread_start), nothing after a thread's thread_exit, and no
 * key going backwards within a thread. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "tools/cmdline_validate.h"
#include "tools/tools.h"

/* What validate remembers about one thread index. */
struct vthread {
    uint32_t thread;       /* hash key */
    uint64_t last_key;     /* key of its latest item */
    int exited;            /* thread_exit seen */
    UT_hash_handle hh;
};

/* The state of one validation. */
struct vstate {
    const char *path;          /* for messages */
    int inherited_ok;          /* HTR_F_INHERITED */
    struct tools_live live;    /* live addresses */
    struct vthread *threads;   /* threads seen */
    uint64_t items;            /* merged items checked */
    uint64_t events;           /* records (the realloc family once) */
    uint64_t inherited;        /* frees of inherited objects */
    uint64_t violations;       /* how many checks failed */
    char first[600];           /* the first violation, ready to print */
};

/* Records a violation; only the first is kept for printing. */
__attribute__((format(printf, 4, 5)))
static void violation(struct vstate *v, const struct htr_event *ev, uint64_t off,
                      const char *fmt, ...)
{
    char why[400];
    va_list ap;
    if (v->violations++)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(v->first, sizeof v->first, "%.150s: seq %" PRIu64 " (thread %" PRIu32
             ", %s, offset %" PRIu64 "): %s", v->path,
             ev->phase == HTR_PHASE_ACQUIRE ? ev->seq2 : ev->seq, ev->thread,
             htr_op_name(ev->op), off, why);
}

/* Thread rules: known thread, not after its exit, keys not going back. */
static int check_thread(struct vstate *v, const struct htr_event *ev, uint64_t off)
{
    struct vthread *t;
    uint64_t key = ev->phase == HTR_PHASE_ACQUIRE ? ev->seq2 : ev->seq;
    HASH_FIND(hh, v->threads, &ev->thread, sizeof ev->thread, t);
    if (!t) {
        if (!(t = calloc(1, sizeof *t)))
            return -1;
        t->thread = ev->thread;
        t->last_key = key;
        HASH_ADD(hh, v->threads, thread, sizeof t->thread, t);
        if (ev->thread != 0 && ev->op != HTR_OP_THREAD_START)
            violation(v, ev, off, "unknown thread: the first event of thread %" PRIu32
                      " is %s, not thread_start", ev->thread, htr_op_name(ev->op));
        return 0;
    }
    if (t->exited)
        violation(v, ev, off, "event of thread %" PRIu32 " after its thread_exit",
                  ev->thread);
    else if (ev->op == HTR_OP_THREAD_START)
        violation(v, ev, off, "thread %" PRIu32 " starts a second time", ev->thread);
    if (key < t->last_key)
        violation(v, ev, off, "key %" PRIu64 " goes backwards in thread %" PRIu32
                  " (previous key %" PRIu64 ")", key, ev->thread, t->last_key);
    t->last_key = key;
    if (ev->op == HTR_OP_THREAD_EXIT)
        t->exited = 1;
    return 0;
}

/* Address rules.  Returns 0, or -1 when out of memory. */
static int check_heap(struct vstate *v, const struct htr_event *ev, uint64_t off)
{
    struct tools_effect e;
    struct tools_live_info li;
    tools_effect(ev, &e);
    uint64_t gone = e.release ? e.release : e.keep;
    if (gone && !tools_live_find(&v->live, gone, NULL)) {
        if (v->inherited_ok)
            v->inherited++;
        else
            violation(v, ev, off, "%s of 0x%" PRIx64 ", which is not live",
                      e.release ? "release" : "realloc", gone);
    }
    if (e.release)
        tools_live_remove(&v->live, e.release);
    if (!e.acquire)
        return 0;
    if (tools_live_find(&v->live, e.acquire, &li)) {
        violation(v, ev, off, "0x%" PRIx64 " handed out twice while live (first at seq %"
                  PRIu64 " by thread %" PRIu32 ")", e.acquire, li.seq, li.thread);
        tools_live_remove(&v->live, e.acquire);
    }
    li.size = e.bytes;
    li.seq = ev->phase == HTR_PHASE_ACQUIRE ? ev->seq2 : ev->seq;
    li.thread = ev->thread;
    return tools_live_add(&v->live, e.acquire, &li);
}

static void free_state(struct vstate *v)
{
    struct vthread *t, *tmp;
    HASH_ITER(hh, v->threads, t, tmp) {
        HASH_DEL(v->threads, t);
        free(t);
    }
    tools_live_free(&v->live);
}

/* Reads the whole trace through the checks. */
static int run_checks(struct vstate *v, struct htr_reader *r)
{
    struct htr_error err;
    struct htr_event ev;
    int rc;
    while ((rc = htr_next(r, &ev, &err)) == 1) {
        uint64_t off = htr_offset(r);
        v->items++;
        v->events += ev.phase != HTR_PHASE_ACQUIRE;
        if (check_thread(v, &ev, off) || check_heap(v, &ev, off)) {
            fprintf(stderr, "%s: offset %" PRIu64 ": out of memory\n", v->path, off);
            return TOOLS_EXIT_DATAERR;
        }
    }
    if (rc < 0) {
        tools_print_error(&err);
        return TOOLS_EXIT_DATAERR;
    }
    return 0;
}

/* Validates one trace.  Returns its exit status. */
static int validate_one(const char *path, int quiet)
{
    struct htr_error err;
    struct htr_reader *r = htr_open(path, 0, &err);
    struct vstate v;
    if (!r) {
        tools_print_error(&err);
        return TOOLS_EXIT_DATAERR;
    }
    const struct htr_info *info = htr_reader_info(r);
    memset(&v, 0, sizeof v);
    v.path = path;
    v.inherited_ok = (info->header.flags & HTR_F_INHERITED) != 0;
    int rc = run_checks(&v, r);
    if (rc == 0 && v.violations) {
        fprintf(stderr, "%s\n", v.first);
        fprintf(stderr, "%s: %" PRIu64 " violation%s in %" PRIu64 " events\n", path,
                v.violations, v.violations == 1 ? "" : "s", v.events);
        rc = TOOLS_EXIT_FAIL;
    } else if (rc == 0 && !quiet) {
        printf("%s: valid: %" PRIu64 " events, %u threads, %" PRIu64 " live at the end",
               path, v.events, info->threads, v.live.count);
        if (v.inherited_ok)
            printf(", %" PRIu64 " inherited frees", v.inherited);
        printf("%s\n", info->truncated ? " (torn tail ignored)" : "");
    }
    free_state(&v);
    htr_close(r);
    return rc;
}

int cmd_validate(int argc, char **argv)
{
    struct validate_args a;
    struct tools_inputs in;
    int rc = 0;
    if (cmdline_validate(argc, argv, &a) != 0)
        return TOOLS_EXIT_USAGE;
    if (a.inputs_num == 0) {
        fprintf(stderr, "huskytrace validate: no trace given; "
                "usage: huskytrace validate [OPTIONS] TRACE|DIR...\n");
        cmdline_validate_free(&a);
        return TOOLS_EXIT_USAGE;
    }
    if ((rc = tools_inputs_expand(&in, a.inputs_num, a.inputs)) != 0) {
        cmdline_validate_free(&a);
        return rc;
    }
    for (size_t i = 0; i < in.n; i++) {
        int r = validate_one(in.paths[i], a.quiet_flag);
        fflush(stdout);
        if (r == TOOLS_EXIT_DATAERR || (r == TOOLS_EXIT_FAIL && rc == 0))
            rc = r;
    }
    tools_inputs_free(&in);
    cmdline_validate_free(&a);
    return rc;
}
