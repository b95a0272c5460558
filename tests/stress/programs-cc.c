/* tests/stress/programs-cc.c: a small C program that tests/stress/programs.test
 * compiles and links with gcc under each allocator (the object and executable
 * must be byte-identical to the ones gcc writes under glibc's malloc) and then
 * runs (its output must be identical too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
    char text[16];                     /* the word, NUL-terminated */
    unsigned count;                    /* how many times it was drawn */
};

static int by_count(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

int main(void)
{
    enum { NWORDS = 500 };
    struct word *w = calloc(NWORDS, sizeof *w);
    if (w == NULL)
        return 1;
    for (unsigned i = 0; i < NWORDS; i++)
        snprintf(w[i].text, sizeof w[i].text, "w%u", i * 7919u % 10007u);
    unsigned long s = 12345;
    for (unsigned i = 0; i < 100000; i++) {
        s = s * 6364136223846793005ul + 1442695040888963407ul;
        w[(s >> 33) % NWORDS].count++;
    }
    qsort(w, NWORDS, sizeof *w, by_count);
    for (unsigned i = 0; i < 5; i++)
        printf("%s %u\n", w[i].text, w[i].count);
    free(w);
    return 0;
}
