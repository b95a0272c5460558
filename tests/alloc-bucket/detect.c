/* The misuses bucket must catch (run one per process by detect.test, which
 * expects an abort with a message): detect CASE. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *victim;

static void *free_victim(void *arg)
{
    (void)arg;
    free(victim);
    return NULL;
}

/* Frees the global victim from another thread (a remote free). */
static void free_elsewhere(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, free_victim, NULL) == 0)
        pthread_join(t, NULL);
}

/* Keeps the compiler from seeing (and warning about) the misuse. */
static void (*volatile do_free)(void *) = free;
static void *(*volatile do_realloc)(void *, size_t) = realloc;

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    char *p = malloc(100);
    char *big = malloc(1 << 20);
    char on_stack[64];
    if (!strcmp(c, "double")) {
        do_free(p);
        do_free(p);
    } else if (!strcmp(c, "double-remote")) {
        victim = p;
        free_elsewhere();
        free_elsewhere();
    } else if (!strcmp(c, "double-mixed")) {
        victim = p;
        do_free(p);
        free_elsewhere();
        for (int i = 0; i < 100000; i++)       /* the owner merges the remote free */
            do_free(malloc(100));
    } else if (!strcmp(c, "interior")) {
        do_free(p + 16);
    } else if (!strcmp(c, "stack")) {
        do_free(on_stack);
    } else if (!strcmp(c, "large-interior")) {
        do_free(big + 4096);
    } else if (!strcmp(c, "large-double")) {
        do_free(big);
        do_free(big);
    } else if (!strcmp(c, "realloc-freed")) {
        do_free(p);
        p = do_realloc(p, 50);
    } else {
        fprintf(stderr, "usage: detect CASE\n");
        return 2;
    }
    printf("not caught\n");
    return 0;
}
