/* Guarantee: huskytrace record's cut of a trace (src/capture/trim.c) leaves
 * the file ending right after its last chunk, and trusts the size the
 * shim's normal exit left in the user.husky.end attribute only while the
 * file still has that size: a file grown again since, or an attribute that
 * is not a size, is walked and cut as if there were none. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "capture/cap.h"
#include "capture/tool.h"
#include "tests/tap.h"
#include "trace/trace.h"

#define PAYLOAD 4064u           /* one 4 KiB chunk with its header */
#define TAIL    (1u << 20)      /* the zeros a killed process leaves */

static char path[] = "trim-test.XXXXXX";

/* A trace of one empty chunk after the header, then TAIL zero bytes;
 * returns the size a cut must leave. */
static uint64_t make_trace(void)
{
    struct htr_file_header h;
    htr_header_init(&h, 0, 0);
    struct htr_chunk_header c = { .magic = HTR_CHUNK_MAGIC, .capacity = PAYLOAD };
    int fd = open(path, O_WRONLY | O_TRUNC);
    uint64_t end = h.header_size + HTR_CHUNK_HEADER + PAYLOAD;
    if (fd < 0 || pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h
        || pwrite(fd, &c, sizeof c, h.header_size) != (ssize_t)sizeof c
        || ftruncate(fd, (off_t)(end + TAIL)) != 0) {
        tap_diag("cannot write %s", path);
        exit(1);
    }
    close(fd);
    return end;
}

/* Cuts the file; its size after, or 0 when the cut failed. */
static uint64_t trim(void)
{
    struct stat st;
    if (cap_trim_trace(path) != 0 || stat(path, &st) != 0)
        return 0;
    return (uint64_t)st.st_size;
}

/* Sets the attribute to `value`; 0 when the filesystem has no user
 * attributes. */
static int mark(const char *value)
{
    if (setxattr(path, CAP_END_XATTR, value, strlen(value), 0) == 0)
        return 1;
    tap_diag("setxattr: %s", strerror(errno));
    return 0;
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);

    uint64_t end = make_trace(), got = trim();
    tap_ok(got == end, "without the attribute the file is cut after its last chunk "
           "(%llu, want %llu)", (unsigned long long)got, (unsigned long long)end);

    end = make_trace();
    char value[32];
    snprintf(value, sizeof value, "%llu", (unsigned long long)(end + TAIL));
    if (!mark(value)) {
        tap_skip("this filesystem keeps no user attributes");
        tap_skip("this filesystem keeps no user attributes");
        tap_skip("this filesystem keeps no user attributes");
    } else {
        /* the zeros stay: proof that the chunk headers were not walked */
        got = trim();
        tap_ok(got == end + TAIL, "an attribute equal to the file size is trusted: no "
               "walk, no cut (%llu, want %llu)", (unsigned long long)got,
               (unsigned long long)(end + TAIL));
        end = make_trace();
        snprintf(value, sizeof value, "%llu", (unsigned long long)end);
        mark(value);
        got = trim();
        tap_ok(got == end, "a file grown past the size in its attribute is walked and "
               "cut (%llu, want %llu)", (unsigned long long)got, (unsigned long long)end);
        end = make_trace();
        snprintf(value, sizeof value, "%llux", (unsigned long long)(end + TAIL));
        mark(value);
        got = trim();
        tap_ok(got == end, "an attribute that is not a size is ignored (%llu, want %llu)",
               (unsigned long long)got, (unsigned long long)end);
    }
    unlink(path);
    return tap_done();
}
