/* run.c: one replay = one fresh huskyreplay-worker process with the
 * allocator preloaded.  The worker reports through a shared memory area
 * (memfd) that survives its death, so a crash still tells which signal, which
 * thread and which operation; a hang is killed after --timeout.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/tool.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *sig_name(int sig)
{
    static char buf[16];
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    default:
        snprintf(buf, sizeof buf, "SIG%d", sig);
        return buf;
    }
}

/* Starts the worker: the allocator preloaded (nothing for glibc). */
static pid_t spawn(const struct rp_unit *u, const struct rp_alloc *a, const struct rp_opts *o,
                   int fd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char fdbuf[16];
    snprintf(fdbuf, sizeof fdbuf, "%d", fd);
    if (a->path[0])
        setenv("LD_PRELOAD", a->path, 1);
    else
        unsetenv("LD_PRELOAD");
    char *argv[] = { (char *)o->worker, (char *)u->plan_path, fdbuf, (char *)o->touch,
                     o->verify ? "1" : "0", o->serial ? "1" : "0", NULL };
    execv(o->worker, argv);
    fprintf(stderr, "huskyreplay: cannot run %s: %s\n", o->worker, strerror(errno));
    _exit(127);
}

static void progress_bar(const struct rp_unit *u, const struct rp_alloc *a, int run,
                         const struct rp_opts *o, const struct rp_shared *sh)
{
    uint64_t done = 0, total = u->plan.h->ops;
    for (uint32_t t = 0; t < u->plan.h->threads; t++)
        done += sh->progress[t].done;
    fprintf(stderr, "\r  %-12s run %d/%d %3u%%", a->name, run + 1, o->runs,
            total ? (unsigned)(done * 100 / total) : 100u);
    fflush(stderr);
}

/* Waits for the worker, drawing progress and enforcing the timeout.
 * Returns 1 if it had to be killed. */
static int wait_worker(pid_t pid, int *st, struct rusage *ru, const struct rp_unit *u,
                       const struct rp_alloc *a, int run, const struct rp_opts *o,
                       const struct rp_shared *sh)
{
    double start = now_s(), last_bar = 0;
    long nap_us = 200;
    for (;;) {
        pid_t r = wait4(pid, st, WNOHANG, ru);
        if (r == pid || (r < 0 && errno != EINTR))
            return 0;
        double t = now_s();
        if (o->timeout_s > 0 && t - start > o->timeout_s) {
            kill(pid, SIGKILL);
            while (wait4(pid, st, 0, ru) < 0 && errno == EINTR)
                ;
            return 1;
        }
        if (o->progress && t - last_bar > 0.1) {
            progress_bar(u, a, run, o, sh);
            last_bar = t;
        }
        struct timespec ts = { 0, nap_us * 1000 };
        nanosleep(&ts, NULL);
        if (nap_us < 20000)
            nap_us *= 2;
    }
}

/* Where the worker was when it died, for the message. */
static void position(const struct rp_unit *u, const struct rp_shared *sh, char *out, size_t n)
{
    if (sh->crash_thread >= 0) {
        snprintf(out, n, "thread %d, op %llu", sh->crash_thread,
                 (unsigned long long)sh->crash_op);
        return;
    }
    uint64_t done = 0;
    for (uint32_t t = 0; t < u->plan.h->threads; t++)
        done += sh->progress[t].done;
    snprintf(out, n, "%llu of %llu ops done", (unsigned long long)done,
             (unsigned long long)u->plan.h->ops);
}

static void collect(struct rp_run *res, const struct rp_shared *sh)
{
    res->wall_s = sh->wall_s;
    res->user_s = sh->user_s;
    res->sys_s = sh->sys_s;
    res->minflt = sh->minflt;
    res->peak_kb = sh->peak_kb;
    res->end_kb = sh->end_kb;
    res->baseline_kb = sh->baseline_kb;
    res->replay_nulls = sh->replay_nulls;
    res->extra_results = sh->extra_results;
    res->emulated = sh->emulated;
    memcpy(res->rss_progress, sh->rss_progress, sizeof res->rss_progress);
    res->time_samples = sh->time_samples <= RP_TIME_POINTS ? sh->time_samples : 0;
    memcpy(res->rss_time, sh->rss_time, sizeof res->rss_time);
    memcpy(res->hist, sh->hist, sizeof res->hist);
}

/* Classifies how the worker ended. */
static void judge(struct rp_run *res, const struct rp_unit *u, const struct rp_alloc *a,
                  const struct rp_shared *sh, int st, int timed_out)
{
    char where[96];
    position(u, sh, where, sizeof where);
    if (timed_out) {
        snprintf(res->status, sizeof res->status, "timeout");
        snprintf(res->msg, sizeof res->msg, "%s: killed after the timeout (%s)", a->name, where);
    } else if (WIFSIGNALED(st)) {
        snprintf(res->status, sizeof res->status, "crashed:%s", sig_name(WTERMSIG(st)));
        snprintf(res->msg, sizeof res->msg, "%s: crashed with %s (%s)", a->name,
                 sig_name(WTERMSIG(st)), where);
    } else if (sh->status == RP_ST_OK && WEXITSTATUS(st) == 0) {
        snprintf(res->status, sizeof res->status, "ok");
        collect(res, sh);
    } else if (sh->status == RP_ST_VERIFY_FAILED) {
        snprintf(res->status, sizeof res->status, "verify-failed");
        snprintf(res->msg, sizeof res->msg, "%s: --verify: %.*s", a->name, RP_MSG - 1, sh->msg);
    } else {
        snprintf(res->status, sizeof res->status, "error");
        snprintf(res->msg, sizeof res->msg, "%s: worker exited with %d: %.*s", a->name,
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1, RP_MSG - 1,
                 sh->msg[0] ? sh->msg : "no message");
    }
}

/* Replays unit u once against allocator a; fills res. */
void rp_run_one(const struct rp_unit *u, const struct rp_alloc *a, const struct rp_opts *o,
                int run_index, struct rp_run *res)
{
    memset(res, 0, sizeof *res);
    size_t size = rp_shared_size((uint32_t)u->plan.h->threads);
    int fd = memfd_create("huskyreplay", 0);
    struct rp_shared *sh = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0)
        sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (sh == MAP_FAILED) {
        snprintf(res->status, sizeof res->status, "error");
        snprintf(res->msg, sizeof res->msg, "cannot create the shared area: %s",
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    sh->layout = RP_SHARED_LAYOUT;
    sh->crash_thread = -1;
    fflush(NULL);
    pid_t pid = spawn(u, a, o, fd);
    int st = 0, timed_out = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (pid < 0) {
        snprintf(res->status, sizeof res->status, "error");
        snprintf(res->msg, sizeof res->msg, "cannot fork: %s", strerror(errno));
    } else {
        timed_out = wait_worker(pid, &st, &ru, u, a, run_index, o, sh);
        judge(res, u, a, sh, st, timed_out);
        res->worker_maxrss_kb = (uint64_t)ru.ru_maxrss;
    }
    if (o->progress)
        fprintf(stderr, "\r%40s\r", "");
    munmap(sh, size);
    close(fd);
}
