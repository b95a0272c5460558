/* Whether a command can be traced, decided before it runs.
 *
 * The shim is loaded with LD_PRELOAD, which the dynamic loader ignores for
 * setuid/setgid programs and which a statically linked program never reads
 * (it has no loader).  `huskytrace record` refuses such a program up front
 * with a clear message instead of leaving an empty trace behind.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/tool.h"

/* Finds `name` like execvp does.  Returns 0 with the path in out, or the
 * exit status to use: 127 not found, 126 found but not executable. */
int cap_find_command(const char *name, char *out, size_t cap)
{
    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        if (access(out, F_OK) != 0)
            return 127;
        return access(out, X_OK) == 0 ? 0 : 126;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int seen = 0;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, cap, "%.*s%s%s", (int)len, path, len ? "/" : "", name);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            seen = 1;
        }
        path += len + (colon != NULL);
    }
    return seen ? 126 : 127;
}

/* Reads the program headers of an ELF file: is there a PT_INTERP? */
static int elf_has_interp(int fd, const Elf64_Ehdr *eh)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        off_t at = (off_t)(eh->e_phoff + (uint64_t)i * eh->e_phentsize);
        if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
            return -1;
        if (ph.p_type == PT_INTERP)
            return 1;
    }
    return 0;
}

/* Checks one file; follows a "#!" interpreter up to `depth` times.
 * Returns 0 when it can be traced, else writes the reason into why. */
static int check_file(const char *path, char *why, size_t cap, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (st.st_mode & (S_ISUID | S_ISGID)) {
        snprintf(why, cap, "%s is set%s: the dynamic loader ignores LD_PRELOAD for it, "
                 "so it cannot be traced", path, st.st_mode & S_ISUID ? "uid" : "gid");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    int rc = 0;
    if (n >= 2 && buf[0] == '#' && buf[1] == '!' && depth > 0) {
        buf[n] = 0;
        char *p = (char *)buf + 2;
        p += strspn(p, " \t");
        p[strcspn(p, " \t\n")] = 0;
        if (*p)
            rc = check_file(p, why, cap, depth - 1);
    } else if (n >= EI_NIDENT && memcmp(buf, ELFMAG, SELFMAG) == 0
               && buf[EI_CLASS] != ELFCLASS64) {
        snprintf(why, cap, "%s is a 32-bit program: the 64-bit capture shim cannot be "
                 "loaded into it", path);
        rc = -1;
    } else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(buf, ELFMAG, SELFMAG) == 0) {
        Elf64_Ehdr eh;
        memcpy(&eh, buf, sizeof eh);
        if (elf_has_interp(fd, &eh) == 0) {
            snprintf(why, cap, "%s is statically linked: it loads no shared library, "
                     "so the capture shim cannot be preloaded into it", path);
            rc = -1;
        }
    }
    close(fd);
    return rc;
}

int cap_check_traceable(const char *path, char *why, size_t cap)
{
    return check_file(path, why, cap, 4);
}
