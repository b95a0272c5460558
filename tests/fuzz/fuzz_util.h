/* tests/fuzz/fuzz_util.h: what the libFuzzer harnesses share.
 *
 * husky's readers take file paths, not buffers, so each harness hands its
 * input over as a file: an anonymous memfd named through /proc/self/fd when
 * only reading is needed (no disk, nothing to clean up), or a file in a
 * private temporary folder when the code under test also writes beside its
 * input (the importer's output, the replay plan).  The library APIs stay as
 * they are; the harnesses test exactly what the tools call.
 */
#ifndef HUSKY_FUZZ_UTIL_H
#define HUSKY_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes all n bytes of buf to fd at offset 0; aborts on failure (a harness
 * that cannot set up its input must stop, not pass silently). */
static inline void fuzz_write_all(int fd, const uint8_t *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, buf + done, n - done, (off_t)done);
        if (w <= 0) {
            perror("fuzz: write");
            abort();
        }
        done += (size_t)w;
    }
}

/* A memfd holding the input; its path ("/proc/self/fd/N") goes to path. */
static inline int fuzz_memfd(const uint8_t *buf, size_t n, char *path, size_t path_len)
{
    int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd < 0) {
        perror("fuzz: memfd_create");
        abort();
    }
    fuzz_write_all(fd, buf, n);
    snprintf(path, path_len, "/proc/self/fd/%d", fd);
    return fd;
}

/* A private folder for harnesses that write files, made once per process
 * and removed at exit (its files are removed by each run). */
static char fuzz_dir_path[64];

static void fuzz_dir_remove(void)
{
    rmdir(fuzz_dir_path);
}

static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_path[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/husky-fuzz.XXXXXX",
                 t && *t && strlen(t) < 40 ? t : "/tmp");
        if (!mkdtemp(fuzz_dir_path)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir_path;
}

#endif
