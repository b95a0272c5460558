/* tests/fuzz/fuzz_trace.c: libFuzzer harness for the trace reader.
 *
 * Keeps the guarantee that no byte sequence handed to htr_open/htr_next
 * crashes, hangs or leaks: the reader either yields events or fails with an
 * error that names the file, a byte offset and a reason.  The input is read
 * both ways the tools read a trace: merged by key (info, validate, replay,
 * sim) and in file order (dump --file-order).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"
#include "trace/trace.h"

/* An error message must be "PATH: offset N: reason" (DESIGN.md). */
static void check_error(const struct htr_error *err, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(err->msg, path, n) != 0 || strncmp(err->msg + n, ": offset ", 9) != 0 ||
        !memchr(err->msg, 0, sizeof err->msg)) {
        fprintf(stderr, "fuzz_trace: malformed error message: %s\n", err->msg);
        abort();
    }
}

/* Reads every event of path in one mode: each is a valid operation at an
 * offset inside the file (keys are not checked: a damaged trace may carry
 * keys out of order, which validate reports, not the reader). */
static void read_all(const char *path, unsigned flags)
{
    struct htr_error err;
    struct htr_reader *r = htr_open(path, flags, &err);
    if (!r) {
        check_error(&err, path);
        return;
    }
    const struct htr_info *info = htr_reader_info(r);
    if (info->data_bytes > info->file_size)
        abort();
    struct htr_event ev;
    int rc;
    while ((rc = htr_next(r, &ev, &err)) == 1) {
        if (ev.op == 0 || ev.op >= HTR_OP_COUNT || htr_offset(r) >= info->file_size) {
            fprintf(stderr, "fuzz_trace: bad event (op %u at offset %llu)\n", ev.op,
                    (unsigned long long)htr_offset(r));
            abort();
        }
    }
    if (rc < 0)
        check_error(&err, path);
    htr_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfd(data, size, path, sizeof path);
    read_all(path, 0);
    read_all(path, HTR_OPEN_FILE_ORDER);
    close(fd);
    return 0;
}
