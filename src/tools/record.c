/* huskytrace record [OPTIONS] [--] CMD [ARGS...]: runs CMD with the capture
 * shim preloaded, so that every process it becomes writes a trace into one
 * folder, then prints one summary line per process and exits with CMD's
 * own status.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/tool.h"
#include "tools/cmdline_record.h"
#include "trace/trace.h"

#define SHIM_NAME "libhuskycapture.so"

int tool_record(int argc, char **argv);

/* Index of the first argument of the command: our options come before it
 * (so `huskytrace record ls -la` needs no `--`). */
static int split_command(int argc, char **argv, int *has_dashes)
{
    *has_dashes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            *has_dashes = 1;
            return i;
        }
        if (a[0] != '-' || a[1] == 0)
            return i;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
            i++;
    }
    return argc;
}

/* The shim: on HUSKY_LIB_PATH (the build tree in tests), then pkglibdir. */
static int find_shim(char *out, size_t cap)
{
    const char *env = getenv("HUSKY_LIB_PATH");
    if (env) {
        const char *p = env;
        while (*p) {
            size_t len = strcspn(p, ":");
            snprintf(out, cap, "%.*s/%s", (int)len, p, SHIM_NAME);
            if (len > 0 && access(out, R_OK) == 0)
                return 0;
            p += len + (p[len] == ':');
        }
    }
    snprintf(out, cap, "%s/%s", HUSKY_PKGLIBDIR, SHIM_NAME);
    return access(out, R_OK);
}

/* Creates the output folder (the default name carries the command and the
 * local date and time) and returns its absolute path in abs. */
static int make_dir(const char *given, const char *cmd, char *abs, size_t cap)
{
    char name[PATH_MAX];
    if (given) {
        snprintf(name, sizeof name, "%s", given);
    } else {
        const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
        snprintf(name, sizeof name, "husky-%s-%s", base, stamp);
    }
    if (mkdir(name, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "huskytrace record: cannot create %s: %s\n", name, strerror(errno));
        return -1;
    }
    if (!realpath(name, abs) || strlen(abs) >= cap) {
        fprintf(stderr, "huskytrace record: %s: %s\n", name, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "huskytrace record: %s is not a folder\n", name);
        return -1;
    }
    return 0;
}

/* In the child: the environment that makes every process of CMD trace
 * itself (it is inherited through fork and exec), then exec. */
static void run_child(const char *path, char **args, const char *shim, const char *dir,
                      int callers)
{
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(shim) + (old ? strlen(old) + 2 : 1);
    char *preload = malloc(len);
    if (preload) {
        snprintf(preload, len, "%s%s%s", shim, old && *old ? ":" : "", old ? old : "");
        setenv("LD_PRELOAD", preload, 1);
    }
    setenv("HUSKY_TRACE_DIR", dir, 1);
    if (callers)
        setenv("HUSKY_TRACE_CALLERS", "1", 1);
    else
        unsetenv("HUSKY_TRACE_CALLERS");
    execv(path, args);
    int err = errno;
    fprintf(stderr, "huskytrace record: cannot run %s: %s\n", path, strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

/* Waits for the child; its status as a shell reports it. */
static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 1;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Whether the process that wrote `name` ("PID.htr", "PID-eN.htr") is gone. */
static int writer_gone(const char *name)
{
    long pid = strtol(name, NULL, 10);
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int is_trace(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 4 && strcmp(d->d_name + n - 4, ".htr") == 0;
}

/* One line per process: events, threads, bytes, file. */
static void summarize_one(const char *dir, const char *name, int quiet)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (writer_gone(name))
        cap_trim_trace(path);
    if (quiet)
        return;
    struct htr_error err;
    struct htr_reader *r = htr_open(path, HTR_OPEN_FILE_ORDER, &err);
    if (!r) {
        fprintf(stderr, "huskytrace record: %s\n", err.msg);
        return;
    }
    struct htr_event ev;
    uint64_t events = 0;
    int rc;
    while ((rc = htr_next(r, &ev, &err)) == 1)
        events++;
    const struct htr_info *info = htr_reader_info(r);
    if (rc < 0)
        fprintf(stderr, "huskytrace record: %s\n", err.msg);
    fprintf(stderr, "huskytrace record: pid %u%s: %llu events, %u threads, %llu bytes "
            "(%.1f bytes/event), %s\n", info->header.pid,
            info->header.exec_count ? " (after exec)" : "",
            (unsigned long long)events, info->threads, (unsigned long long)info->file_size,
            events ? (double)info->file_size / (double)events : 0.0, path);
    htr_close(r);
}

/* Trace files by pid, then by exec count ("PID.htr" before "PID-e1.htr"). */
static int by_process(const struct dirent **a, const struct dirent **b)
{
    char *end_a, *end_b;
    long pa = strtol((*a)->d_name, &end_a, 10), pb = strtol((*b)->d_name, &end_b, 10);
    if (pa != pb)
        return pa < pb ? -1 : 1;
    long ea = *end_a == '-' ? strtol(end_a + 2, NULL, 10) : 0;
    long eb = *end_b == '-' ? strtol(end_b + 2, NULL, 10) : 0;
    return ea < eb ? -1 : ea > eb;
}

static void summarize(const char *dir, int quiet)
{
    struct dirent **list;
    int n = scandir(dir, &list, is_trace, by_process);
    if (n < 0)
        return;
    for (int i = 0; i < n; i++) {
        summarize_one(dir, list[i]->d_name, quiet);
        free(list[i]);
    }
    free(list);
    if (n == 0 && !quiet)
        fprintf(stderr, "huskytrace record: no process of the program called malloc "
                "(nothing written to %s)\n", dir);
}

/* Everything after option parsing: checks, run, wait, summary. */
static int record(const struct record_args *a, char **cmd)
{
    char path[PATH_MAX], why[PATH_MAX + 256], shim[PATH_MAX], dir[PATH_MAX];
    int rc = cap_find_command(cmd[0], path, sizeof path);
    if (rc != 0) {
        fprintf(stderr, "huskytrace record: %s: %s\n", cmd[0],
                rc == 127 ? "command not found" : "permission denied");
        return rc;
    }
    if (cap_check_traceable(path, why, sizeof why) != 0) {
        fprintf(stderr, "huskytrace record: %s\n", why);
        return 1;
    }
    if (find_shim(shim, sizeof shim) != 0) {
        fprintf(stderr, "huskytrace record: %s not found (set HUSKY_LIB_PATH or install "
                "husky)\n", SHIM_NAME);
        return 1;
    }
    if (make_dir(a->output_arg, cmd[0], dir, sizeof dir) != 0)
        return 1;
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        run_child(path, cmd, shim, dir, a->callers_flag);
    }
    if (pid < 0) {
        fprintf(stderr, "huskytrace record: fork: %s\n", strerror(errno));
        return 1;
    }
    rc = wait_child(pid);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    summarize(dir, a->quiet_flag);
    return rc;
}

int tool_record(int argc, char **argv)
{
    int dashes;
    int split = split_command(argc, argv, &dashes);
    struct record_args a;
    if (record_cmdline_parser(split, argv, &a) != 0)
        return 2;
    int first = split + dashes;
    int rc;
    if (a.inputs_num > 0 || first >= argc) {
        fprintf(stderr, "huskytrace record: no command given "
                "(usage: huskytrace record [-o DIR] [--callers] -- CMD [ARGS...])\n");
        rc = 2;
    } else {
        rc = record(&a, argv + first);
    }
    record_cmdline_parser_free(&a);
    return rc;
}
