/* huskygen: writes synthetic malloc traces in husky's format, so that
 * workloads nobody recorded (seed examples, Larson-style servers, remote
 * frees, realloc growth) replay and simulate exactly like recorded ones. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/cmdline_huskygen.h"
#include "workloads/gen.h"

static const struct gen_workload workloads[] = {
    {"seed004-ints", "n int-sized mallocs, then all the frees (seed 004's benchmark)",
     1, 1, gen_seed004_ints},
    {"seed001-frag", "200 x malloc(800), free 10, malloc(5000), free every other (seed 001)",
     1, 1, gen_seed001_frag},
    {"media-pipeline", "loaders allocate images and captions, a player frees them (seed 002)",
     2, 3, gen_media_pipeline},
    {"server", "Larson-style: threads replace random objects, 10% handed to other threads",
     1, 4, gen_server},
    {"producer-consumer", "producers allocate messages that consumers free (all remote frees)",
     2, 4, gen_producer_consumer},
    {"random-mix", "heavy-tailed sizes (8 B to 2 MiB) and lifetimes, some calloc/realloc",
     1, 2, gen_random_mix},
    {"realloc-grow", "string builders grown by realloc doubling, then shrunk or copied",
     1, 2, gen_realloc_grow},
    {"false-sharing", "small objects allocated by one thread and used by another",
     2, 4, gen_false_sharing},
};

#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

static const struct gen_workload *find_workload(const char *name)
{
    for (size_t i = 0; i < N_WORKLOADS; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return &workloads[i];
    return NULL;
}

static void list_workloads(void)
{
    for (size_t i = 0; i < N_WORKLOADS; i++)
        printf("%-18s threads>=%u (default %u)  %s\n", workloads[i].name,
               workloads[i].min_threads, workloads[i].def_threads, workloads[i].what);
}

/* Checks the arguments; 0 when they are good, else prints why and returns 2. */
static int check_args(const struct gen_args *a, const struct gen_workload **wl,
                      uint32_t *threads)
{
    if (a->inputs_num != 1) {
        fprintf(stderr, "huskygen: give one WORKLOAD (huskygen --list names them)\n");
        return 2;
    }
    *wl = find_workload(a->inputs[0]);
    if (!*wl) {
        fprintf(stderr, "huskygen: unknown workload '%s' (huskygen --list names them)\n",
                a->inputs[0]);
        return 2;
    }
    if (!a->output_given) {
        fprintf(stderr, "huskygen: -o TRACE.htr is required\n");
        return 2;
    }
    long t = a->threads_given ? a->threads_arg : (long)(*wl)->def_threads;
    if (t < (long)(*wl)->min_threads || t > (long)GEN_MAX_THREADS) {
        fprintf(stderr, "huskygen: %s needs --threads between %u and %u, not %ld\n",
                (*wl)->name, (*wl)->min_threads, GEN_MAX_THREADS, t);
        return 2;
    }
    if (a->ops_arg < 1 || a->ops_arg > 1000000000L) {
        fprintf(stderr, "huskygen: --ops must be between 1 and 1000000000, not %ld\n",
                a->ops_arg);
        return 2;
    }
    if (a->seed_arg < 0) {
        fprintf(stderr, "huskygen: --seed must not be negative\n");
        return 2;
    }
    *threads = (uint32_t)t;
    return 0;
}

/* The trace's header: fixed values instead of this process's pid and clock,
 * so that the same arguments give the same bytes.  The command line is the
 * generator's, NUL-separated like a recorded one. */
static struct htr_writer *open_trace(const char *path, const char *cmd, uint32_t cmd_len,
                                     struct htr_error *err)
{
    struct htr_file_header h;
    htr_header_init(&h, 0, cmd_len);
    h.pid = 1000;
    h.ppid = 1;
    h.exec_count = 0;
    h.page_size = 4096;
    h.start_realtime_ns = 0;
    h.start_ns = 0;
    h.start_key = 0;
    return htr_writer_open(path, &h, cmd, cmd_len, err);
}

static uint32_t make_cmdline(char *buf, size_t cap, const char *wl, uint32_t threads,
                             long ops, long seed)
{
    int n = snprintf(buf, cap, "huskygen%c%s%c--threads=%" PRIu32 "%c--ops=%ld%c--seed=%ld",
                     0, wl, 0, threads, 0, ops, 0, seed);
    return n < 0 ? 0 : (uint32_t)((size_t)n < cap ? (size_t)n : cap - 1);
}

static void print_summary(const struct gen *g, const char *wl, const char *path)
{
    uint64_t frees = g->count[HTR_OP_FREE];
    uint64_t events = 0;
    for (unsigned op = 0; op < HTR_OP_COUNT; op++)
        events += g->count[op];
    printf("huskygen: %s: %" PRIu32 " threads, %" PRIu64 " events (%" PRIu64
           " allocations, %" PRIu64 " reallocs, %" PRIu64 " frees), peak live %" PRIu64
           " KiB -> %s\n", wl, g->threads, events, gen_allocs(g) - g->count[HTR_OP_REALLOC],
           g->count[HTR_OP_REALLOC], frees, g->live_max / 1024, path);
}

int main(int argc, char **argv)
{
    struct gen_args a;
    if (gen_cmdline(argc, argv, &a) != 0) {
        gen_cmdline_free(&a);       /* the parser keeps its defaults on failure */
        return 2;
    }
    if (a.list_flag) {
        list_workloads();
        gen_cmdline_free(&a);
        return 0;
    }
    const struct gen_workload *wl = NULL;
    uint32_t threads = 0;
    int rc = check_args(&a, &wl, &threads);
    if (rc) {
        gen_cmdline_free(&a);
        return rc;
    }
    char cmd[256];
    uint32_t cmd_len = make_cmdline(cmd, sizeof cmd, wl->name, threads, a.ops_arg,
                                    a.seed_arg);
    struct gen g;
    gen_init(&g, (uint64_t)a.seed_arg, threads, (uint64_t)a.ops_arg);
    gen_set_writer(&g, open_trace(a.output_arg, cmd, cmd_len, &g.err));
    if (!g.w) {
        fprintf(stderr, "huskygen: %s\n", g.err.msg);
        rc = 1;
    } else {
        wl->run(&g);
        if (g.failed) {
            htr_writer_abort(g.w);
            fprintf(stderr, "huskygen: %s\n", g.err.msg);
            rc = 1;
        } else if (htr_writer_close(g.w, &g.err) != 0) {
            fprintf(stderr, "huskygen: %s\n", g.err.msg);
            rc = 1;
        } else if (!a.quiet_flag) {
            print_summary(&g, wl->name, a.output_arg);
        }
    }
    gen_fini(&g);
    gen_cmdline_free(&a);
    return rc;
}
