/* Trimming a trace left by a process that did not exit normally.
 *
 * The shim grows a trace file ahead of its writers and cuts it to size at a
 * normal exit.  After _exit, abort, a fatal signal or SIGKILL the file ends
 * in zeros instead (still a valid trace: a chunk magic of 0 marks the end).
 * `huskytrace record` cuts such a file after its last chunk, found by
 * walking the chunk headers, unless the shim's exit left the size it cut
 * to in the file's attributes (file.c, cap_finish).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "capture/cap.h"
#include "capture/tool.h"
#include "trace/trace.h"

/* Whether the shim's normal exit cut the file to its present size
 * (CAP_END_XATTR): then nothing follows its last chunk. */
static int cut_at_exit(int fd, uint64_t size)
{
    char value[24];
    ssize_t n = fgetxattr(fd, CAP_END_XATTR, value, sizeof value - 1);
    if (n <= 0)
        return 0;
    value[n] = 0;
    char *end;
    unsigned long long v = strtoull(value, &end, 10);
    return *end == 0 && end != value && v == size;
}

int cap_trim_trace(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct htr_file_header h;
    struct stat st;
    if (fstat(fd, &st) != 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h
        || memcmp(h.magic, HTR_MAGIC, 8) != 0) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size, off = h.header_size;
    if (cut_at_exit(fd, size)) {
        close(fd);
        return 0;
    }
    /* one page per chunk header: no read-ahead of the records between */
    posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    while (off + HTR_CHUNK_HEADER <= size) {
        struct htr_chunk_header c;
        if (pread(fd, &c, sizeof c, (off_t)off) != (ssize_t)sizeof c
            || c.magic != HTR_CHUNK_MAGIC)
            break;
        off += HTR_CHUNK_HEADER + (uint64_t)c.capacity;
    }
    int rc = 0;
    if (off < size)
        rc = ftruncate(fd, (off_t)off);
    close(fd);
    return rc;
}
