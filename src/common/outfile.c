/* Output files written whole or not at all: see outfile.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"

FILE *hk_out_open(const char *path, char **tmp, char *why, size_t len)
{
    size_t n = strlen(path) + 16;
    *tmp = malloc(n);
    if (!*tmp) {
        snprintf(why, len, "%s: out of memory", path);
        return NULL;
    }
    snprintf(*tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(*tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(why, len, "%s: cannot create: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(*tmp);
        }
        free(*tmp);
        *tmp = NULL;
    }
    return f;
}

int hk_out_commit(FILE *f, char *tmp, const char *path, char *why, size_t len)
{
    int bad = ferror(f);
    if (fclose(f) != 0)
        bad = 1;
    if (!bad && (chmod(tmp, 0644) != 0 || rename(tmp, path) != 0))
        bad = 1;
    if (bad) {
        snprintf(why, len, "%s: cannot write: %s", path, strerror(errno ? errno : EIO));
        unlink(tmp);
    }
    free(tmp);
    return bad ? -1 : 0;
}
