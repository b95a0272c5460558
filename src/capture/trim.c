/* Trimming a trace left by a process that did not exit normally.
 *
 * The shim grows a trace file ahead of its writers and cuts it to size at a
 * normal exit.  After _exit, abort, a fatal signal or SIGKILL the file ends
 * in zeros instead (still a valid trace: a chunk magic of 0 marks the end).
 * `huskytrace record` cuts such a file after its last chunk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/tool.h"
#include "trace/trace.h"

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
