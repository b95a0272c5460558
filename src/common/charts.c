/* charts.c: what `--plot DIR` does after the tools have written their data
 * files there: runs huskyplot on DIR, which draws the PNG and SVG charts and
 * DIR/report.html.  huskyplot is looked for beside the running program
 * (an installed husky keeps its tools in one folder), then in PATH. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/charts.h"

extern char **environ;

/* DIR/huskyplot where DIR is the running program's folder, if executable. */
static int beside_self(char *path, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", path, size - 1);
    if (n <= 0)
        return 0;
    path[n] = 0;
    char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) + sizeof "/huskyplot" > size)
        return 0;
    strcpy(slash, "/huskyplot");
    return access(path, X_OK) == 0;
}

/* Starts huskyplot on DIR, its stdout (the report's name) on our stderr,
 * or on /dev/null when quiet. */
static int spawn_plot(pid_t *pid, const char *dir, int quiet)
{
    char path[PATH_MAX];
    char *argv[] = { "huskyplot", (char *)dir, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    else
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
    int err = beside_self(path, sizeof path)
                  ? posix_spawn(pid, path, &fa, NULL, argv, environ)
                  : posix_spawnp(pid, "huskyplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return err;
}

int hk_draw_charts(const char *prog, const char *dir, int quiet)
{
    pid_t pid;
    fflush(stdout);         /* the table first, also when both go to one file */
    int err = spawn_plot(&pid, dir, quiet);
    if (err == ENOENT) {
        fprintf(stderr, "%s: note: huskyplot not found: %s has the chart data, "
                        "not the charts\n", prog, dir);
        return 0;
    }
    if (err) {
        fprintf(stderr, "%s: %s: cannot run huskyplot: %s\n", prog, dir, strerror(err));
        return 1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "%s: %s: huskyplot: %s\n", prog, dir, strerror(errno));
            return 1;
        }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    fprintf(stderr, "%s: %s: drawing the charts failed (huskyplot %s %d)\n", prog, dir,
            WIFEXITED(st) ? "exit status" : "signal",
            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 1;
}
