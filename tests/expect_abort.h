/* expect_abort.h: one TAP test point for a fault an allocator must catch.
 *
 *   tap_expect_abort(fn, tag, word, what)
 *
 * runs fn in a child with its stderr captured and passes when the child
 * dies of SIGABRT having printed both `tag` (e.g. "husky-bucket:") and
 * `word` (e.g. "free").  Include after tests/tap.h.
 */
#ifndef HUSKY_TESTS_EXPECT_ABORT_H
#define HUSKY_TESTS_EXPECT_ABORT_H

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void tap_expect_abort(void (*fn)(void), const char *tag, const char *word,
                             const char *what)
{
    int fds[2];
    if (pipe(fds) != 0) {
        tap_ok(0, "%s: pipe", what);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        signal(SIGABRT, SIG_DFL);
        fn();
        _exit(0);
    }
    close(fds[1]);
    char buf[512] = "";
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    int ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(buf, tag) && strstr(buf, word);
    tap_ok(ok, "%s aborts with a message", what);
    if (!ok)
        tap_diag("status %d, stderr: %s", st, buf);
}

#endif
