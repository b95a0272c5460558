/* ends MODE: makes an exact, known set of malloc-family calls (all of size
 * CAP_MARK, which nothing else in the process asks for) and then ends the
 * way MODE says: return, exit, _exit, abort, segv, kill.  The capture tests
 * assert that the trace holds every one of these calls however it ended.
 * Other modes: threads, fork, exec, exec-child, spawn, vfork (processes and
 * threads; see tests/capture/procs.test). */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_MARK 4099

extern char **environ;

static void *keep[4096];

/* 1000 malloc, 300 calloc, 200 realloc, 100 reallocarray, 7 memalign,
 * 5 posix_memalign, 3 aligned_alloc, 2 valloc, 1 pvalloc, 400 free. */
__attribute__((noinline)) static void known_calls(void)
{
    int n = 0;
    for (int i = 0; i < 1000; i++)
        keep[n++] = malloc(CAP_MARK);
    for (int i = 0; i < 300; i++)
        keep[n++] = calloc(1, CAP_MARK);
    for (int i = 0; i < 200; i++)
        keep[i] = realloc(keep[i], CAP_MARK);
    for (int i = 200; i < 300; i++)
        keep[i] = reallocarray(keep[i], 1, CAP_MARK);
    for (int i = 0; i < 7; i++)
        keep[n++] = memalign(64, CAP_MARK);
    for (int i = 0; i < 5; i++)
        if (posix_memalign(&keep[n++], 64, CAP_MARK) != 0)
            abort();
    for (int i = 0; i < 3; i++)
        keep[n++] = aligned_alloc(64, CAP_MARK);
    for (int i = 0; i < 2; i++)
        keep[n++] = valloc(CAP_MARK);
    keep[n++] = pvalloc(CAP_MARK);
    for (int i = 0; i < 400; i++)
        free(keep[i]);
}

static void marked(int count)
{
    for (int i = 0; i < count; i++)
        keep[i] = malloc(CAP_MARK);
}

static void *thread_main(void *arg)
{
    marked(100);
    return arg;
}

static int wait_for(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int processes(const char *mode, const char *self)
{
    char *child_argv[] = { (char *)self, (char *)"exec-child", NULL };
    if (strcmp(mode, "threads") == 0) {
        pthread_t t[5];
        for (int i = 0; i < 5; i++)
            pthread_create(&t[i], NULL, thread_main, NULL);
        for (int i = 0; i < 5; i++)
            pthread_join(t[i], NULL);
        return 0;
    }
    marked(10);
    if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            marked(20);
            free(keep[0]);
            exit(0);
        }
        int rc = wait_for(pid);
        marked(5);
        return rc;
    }
    if (strcmp(mode, "exec") == 0) {
        execv(self, child_argv);
        return 1;
    }
    if (strcmp(mode, "spawn") == 0) {
        pid_t pid;
        if (posix_spawn(&pid, self, NULL, NULL, child_argv, environ) != 0)
            return 1;
        return wait_for(pid);
    }
    if (strcmp(mode, "vfork") == 0) {
        pid_t pid = vfork();
        if (pid == 0) {
            execv(self, child_argv);
            _exit(127);
        }
        return wait_for(pid);
    }
    fprintf(stderr, "ends: unknown mode %s\n", mode);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ends return|exit|_exit|abort|segv|kill|threads|fork|exec|"
                "spawn|vfork\n");
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "exec-child") == 0) {
        marked(30);
        return 0;
    }
    if (strstr("threads fork exec spawn vfork", mode))
        return processes(mode, argv[0]);
    known_calls();
    if (strcmp(mode, "exit") == 0)
        exit(3);
    if (strcmp(mode, "_exit") == 0)
        _exit(4);
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "segv") == 0) {
        volatile int *volatile nowhere = NULL;
        *nowhere = 1;
    }
    if (strcmp(mode, "kill") == 0)
        raise(SIGKILL);
    return 0;
}
