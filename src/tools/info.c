/* src/tools/info.c: `huskytrace info`: one summary per trace (and totals).
 *
 * Reads each trace once in merged order, keeping only the live-address
 * table (for peak live bytes) and, with --callers, one entry per call site.
 * The output is "name: value" lines (docs/huskytrace.md). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "tools/cmdline_info.h"
#include "tools/tools.h"

#define HIST_BUCKETS 66   /* 0 bytes, then [2^k, 2^(k+1)) for k = 0..63, spare */

/* One call site (--callers). */
struct site {
    uint64_t caller;       /* hash key */
    uint64_t count;        /* requests from there */
    uint64_t bytes;        /* bytes they asked for */
    UT_hash_handle hh;
};

/* What info adds up over one trace (or, for totals, several). */
struct stats {
    uint64_t events;                  /* records (the realloc family once) */
    uint64_t per_op[HTR_OP_COUNT];    /* records per operation */
    uint64_t nulls;                   /* requests that returned NULL */
    uint64_t requested;               /* bytes requested, all calls */
    uint64_t hist[HIST_BUCKETS];      /* requests per size bucket */
    uint64_t first_ns, last_ns;       /* time of the first and last item */
    uint64_t peak_live;               /* highest live bytes */
    uint64_t peak_ns, peak_seq;       /* when it was reached */
    uint64_t threads, chunks;         /* from the reader */
    uint64_t file_bytes;              /* size of the file(s) */
    int truncated;                    /* a torn tail was ignored */
    struct site *sites;               /* --callers table */
};

static unsigned bucket_of(uint64_t bytes)
{
    return bytes == 0 ? 0 : 64u - (unsigned)__builtin_clzll(bytes);
}

static int add_site(struct stats *s, uint64_t caller, uint64_t bytes)
{
    struct site *p;
    HASH_FIND(hh, s->sites, &caller, sizeof caller, p);
    if (!p) {
        if (!(p = calloc(1, sizeof *p)))
            return -1;
        p->caller = caller;
        HASH_ADD(hh, s->sites, caller, sizeof p->caller, p);
    }
    p->count++;
    p->bytes += bytes;
    return 0;
}

/* Accounts one merged item.  Returns 0, or -1 when out of memory. */
static int account(struct stats *s, struct tools_live *live, const struct htr_event *ev,
                   int callers)
{
    struct tools_effect e;
    tools_effect(ev, &e);
    if (s->events == 0 && ev->phase != HTR_PHASE_ACQUIRE)
        s->first_ns = ev->time_ns;
    s->last_ns = ev->time_ns;
    if (ev->phase != HTR_PHASE_ACQUIRE) {
        s->events++;
        s->per_op[ev->op]++;
    }
    if (e.requests) {
        uint64_t bytes = tools_request_bytes(ev);
        s->requested += bytes;
        s->hist[bucket_of(bytes)]++;
        s->nulls += ev->result == 0;
        if (callers && add_site(s, ev->caller, bytes))
            return -1;
    }
    if (e.release)
        tools_live_remove(live, e.release);
    if (e.acquire) {
        struct tools_live_info li = { e.bytes, ev->seq2, ev->thread };
        tools_live_remove(live, e.acquire);   /* tolerate invalid traces */
        if (tools_live_add(live, e.acquire, &li))
            return -1;
        if (live->bytes > s->peak_live) {
            s->peak_live = live->bytes;
            s->peak_ns = ev->time_ns;
            s->peak_seq = ev->phase == HTR_PHASE_ACQUIRE ? ev->seq2 : ev->seq;
        }
    }
    return 0;
}

/* Reads the whole trace into s.  Returns 0 or TOOLS_EXIT_DATAERR. */
static int scan(const char *path, struct stats *s, struct htr_file_header *h, char **cmd)
{
    struct htr_error err;
    struct htr_reader *r = htr_open(path, 0, &err);
    struct tools_live live = { 0 };
    struct htr_event ev;
    int rc;
    if (!r) {
        tools_print_error(&err);
        return TOOLS_EXIT_DATAERR;
    }
    const struct htr_info *info = htr_reader_info(r);
    *h = info->header;
    *cmd = malloc(h->cmdline_len + 1u);
    if (*cmd) {
        memcpy(*cmd, info->cmdline, h->cmdline_len);
        for (uint32_t i = 0; i < h->cmdline_len; i++)
            if ((*cmd)[i] == '\0')
                (*cmd)[i] = ' ';
        (*cmd)[h->cmdline_len] = '\0';
        for (uint32_t i = h->cmdline_len; i > 0 && (*cmd)[i - 1] == ' '; i--)
            (*cmd)[i - 1] = '\0';
    }
    int callers = (h->flags & HTR_F_CALLERS) != 0;
    while ((rc = htr_next(r, &ev, &err)) == 1)
        if (account(s, &live, &ev, callers)) {
            fprintf(stderr, "%s: offset %llu: out of memory\n", path,
                    (unsigned long long)htr_offset(r));
            rc = -2;
            break;
        }
    if (rc == -1)
        tools_print_error(&err);
    s->threads = info->threads;
    s->chunks = info->chunks;
    s->file_bytes = info->file_size;
    s->truncated = info->truncated;
    tools_live_free(&live);
    htr_close(r);
    return rc == 0 ? 0 : TOOLS_EXIT_DATAERR;
}

/* ---- printing ---- */

static void print_flags(uint32_t flags)
{
    printf("  flags:");
    if (!flags)
        printf(" none");
    if (flags & HTR_F_CALLERS)
        printf(" callers");
    if (flags & HTR_F_TSC)
        printf(" tsc");
    if (flags & HTR_F_INHERITED)
        printf(" inherited");
    printf("\n");
}

static void print_hist(const struct stats *s)
{
    printf("  sizes:\n");
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        if (!s->hist[b])
            continue;
        if (b == 0) {
            printf("    %-24s %llu\n", "0", (unsigned long long)s->hist[b]);
            continue;
        }
        char range[48];
        uint64_t lo = (uint64_t)1 << (b - 1), hi = b == 64 ? UINT64_MAX : (lo << 1) - 1;
        snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)lo,
                 (unsigned long long)hi);
        printf("    %-24s %llu\n", range, (unsigned long long)s->hist[b]);
    }
}

/* The lines a trace and the totals have in common. */
static void print_stats(const struct stats *s)
{
    printf("  threads: %llu\n", (unsigned long long)s->threads);
    printf("  chunks: %llu\n", (unsigned long long)s->chunks);
    printf("  events: %llu\n", (unsigned long long)s->events);
    for (unsigned op = 1; op < HTR_OP_COUNT; op++)
        if (s->per_op[op])
            printf("    %-16s %llu\n", htr_op_name(op), (unsigned long long)s->per_op[op]);
    printf("  null_results: %llu\n", (unsigned long long)s->nulls);
    printf("  requested_bytes: %llu\n", (unsigned long long)s->requested);
    print_hist(s);
    printf("  file_bytes: %llu\n", (unsigned long long)s->file_bytes);
    printf("  bytes_per_event: %.2f\n",
           s->events ? (double)s->file_bytes / (double)s->events : 0.0);
}

static int by_bytes(struct site *a, struct site *b)
{
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->caller < b->caller ? -1 : a->caller > b->caller;
}

/* The top call sites by bytes requested. */
static void print_callers(const char *path, struct stats *s, int top)
{
    struct site *p, *tmp;
    int n = 0;
    HASH_SORT(s->sites, by_bytes);
    printf("  callers: %u sites\n", HASH_COUNT(s->sites));
    HASH_ITER(hh, s->sites, p, tmp) {
        char name[256];
        if (n++ >= top)
            break;
        int named = tools_caller_name(path, p->caller, name, sizeof name);
        printf("    0x%llx %llu calls %llu bytes%s%s\n", (unsigned long long)p->caller,
               (unsigned long long)p->count, (unsigned long long)p->bytes,
               named ? " " : "", named ? name : "");
    }
}

static void free_sites(struct stats *s)
{
    struct site *p, *tmp;
    HASH_ITER(hh, s->sites, p, tmp) {
        HASH_DEL(s->sites, p);
        free(p);
    }
}

/* One trace: its summary, added into tot. */
static int info_one(const char *path, const struct info_args *a, struct stats *tot)
{
    struct stats s;
    struct htr_file_header h;
    char *cmd = NULL;
    memset(&s, 0, sizeof s);
    int rc = scan(path, &s, &h, &cmd);
    if (rc == 0) {
        printf("trace: %s\n", path);
        printf("  pid: %u\n  ppid: %u\n  exec_count: %u\n", h.pid, h.ppid, h.exec_count);
        printf("  cmdline: %s\n", cmd ? cmd : "");
        print_flags(h.flags);
        print_stats(&s);
        printf("  duration_s: %.6f\n", (double)(s.last_ns - s.first_ns) / 1e9);
        printf("  peak_live_bytes: %llu\n  peak_live_at_s: %.6f\n  peak_live_seq: %llu\n",
               (unsigned long long)s.peak_live, (double)s.peak_ns / 1e9,
               (unsigned long long)s.peak_seq);
        printf("  truncated: %s\n", s.truncated ? "yes (a torn tail was ignored)" : "no");
        if (a->callers_flag && (h.flags & HTR_F_CALLERS))
            print_callers(path, &s, a->top_arg);
        else if (a->callers_flag)
            printf("  callers: not recorded in this trace\n");
        tot->threads += s.threads;
        tot->chunks += s.chunks;
        tot->events += s.events;
        for (unsigned op = 0; op < HTR_OP_COUNT; op++)
            tot->per_op[op] += s.per_op[op];
        for (unsigned b = 0; b < HIST_BUCKETS; b++)
            tot->hist[b] += s.hist[b];
        tot->nulls += s.nulls;
        tot->requested += s.requested;
        tot->file_bytes += s.file_bytes;
    }
    free_sites(&s);
    free(cmd);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    struct info_args a;
    struct tools_inputs in;
    struct stats tot;
    int rc = 0;
    if (cmdline_info(argc, argv, &a) != 0)
        return TOOLS_EXIT_USAGE;
    if (a.inputs_num == 0 || a.top_arg < 0) {
        fprintf(stderr, "%s\n", a.inputs_num ? "huskytrace info: --top must be >= 0"
                : "huskytrace info: no trace given; usage: huskytrace info [OPTIONS] TRACE|DIR...");
        cmdline_info_free(&a);
        return TOOLS_EXIT_USAGE;
    }
    if ((rc = tools_inputs_expand(&in, a.inputs_num, a.inputs)) != 0) {
        cmdline_info_free(&a);
        return rc;
    }
    memset(&tot, 0, sizeof tot);
    size_t good = 0;
    for (size_t i = 0; i < in.n; i++) {
        int r = info_one(in.paths[i], &a, &tot);
        if (r)
            rc = r;
        else
            good++;
        fflush(stdout);
    }
    if (good > 1 || (in.had_dir && good > 0)) {
        printf("total: %zu traces\n", good);
        print_stats(&tot);
    }
    tools_inputs_free(&in);
    cmdline_info_free(&a);
    return rc;
}
