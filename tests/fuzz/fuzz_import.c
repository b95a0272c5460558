/* tests/fuzz/fuzz_import.c: libFuzzer harness for the mtrace importer
 * (huskytrace import, src/tools/import.c).
 *
 * Keeps the guarantee that no log text crashes, hangs or leaks in the
 * importer, that a rejected log leaves no output file behind, and that an
 * accepted log becomes a trace the reader reads back whole.  import.c is
 * compiled into this harness so its file-level entry point import() is
 * called directly, without the command-line parser.
 */
#include "src/tools/import.c"

#include <dirent.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"

/* Besides out.htr (after a success), the output folder must be empty: no
 * temporary or partial file survives an import. */
static void check_no_leftovers(void)
{
    DIR *d = opendir(fuzz_dir());
    struct dirent *e;
    if (!d)
        abort();
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "out.htr")) {
            fprintf(stderr, "fuzz_import: file left in the output folder: %s\n", e->d_name);
            abort();
        }
    }
    closedir(d);
}

/* The converted trace must read back without an error. */
static void read_back(const char *out)
{
    struct htr_error e;
    struct htr_reader *r = htr_open(out, 0, &e);
    if (!r) {
        fprintf(stderr, "fuzz_import: the imported trace does not open: %s\n", e.msg);
        abort();
    }
    struct htr_event ev;
    int rc;
    while ((rc = htr_next(r, &ev, &e)) == 1)
        ;
    if (rc < 0) {
        fprintf(stderr, "fuzz_import: the imported trace is damaged: %s\n", e.msg);
        abort();
    }
    htr_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[64], out[128];
    int fd = fuzz_memfd(data, size, in, sizeof in);
    snprintf(out, sizeof out, "%s/out.htr", fuzz_dir());
    int rc = import(in, out);
    close(fd);
    int exists = access(out, F_OK) == 0;
    if ((rc == 0) != exists || (rc != 0 && rc != 65)) {
        fprintf(stderr, "fuzz_import: import returned %d, output %s\n", rc,
                exists ? "exists" : "missing");
        abort();
    }
    check_no_leftovers();
    if (rc == 0) {
        read_back(out);
        unlink(out);
    }
    return 0;
}
