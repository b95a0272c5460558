/* tests/trace/mutate.c: writes damaged copies of a trace for badinput.test,
 * in one process (spawning a tool per byte is slow on a loaded machine):
 *   OUTDIR/cut/NNNNN.htr    the first NNNNN bytes, for every NNNNN < size
 *   OUTDIR/flip/NNNNN.htr   the whole file with 1 to 3 random bytes
 *                           replaced, FLIPS variants from a fixed seed
 * usage: mutate TRACE OUTDIR FLIPS SEED        exit 0, or 1 with a message */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int write_file(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static unsigned char data[1 << 20], copy[1 << 20];
    char path[4096];
    if (argc != 5) {
        fprintf(stderr, "usage: mutate TRACE OUTDIR FLIPS SEED\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    unsigned long flips = strtoul(argv[3], NULL, 0);
    srand((unsigned)strtoul(argv[4], NULL, 0));
    snprintf(path, sizeof path, "%s/cut", argv[2]);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/flip", argv[2]);
    mkdir(path, 0777);
    for (size_t i = 0; i < size; i++) {
        snprintf(path, sizeof path, "%s/cut/%05zu.htr", argv[2], i);
        if (write_file(path, data, i))
            return 1;
    }
    for (unsigned long v = 0; v < flips && size > 0; v++) {
        memcpy(copy, data, size);
        for (int k = 1 + rand() % 3; k > 0; k--)
            copy[(size_t)rand() % size] = (unsigned char)(rand() % 256);
        snprintf(path, sizeof path, "%s/flip/%05lu.htr", argv[2], v);
        if (write_file(path, copy, size))
            return 1;
    }
    return 0;
}
