/* src/tools/dump.c: `huskytrace dump`: every event, one line each.
 *
 * The line format is an interface (scripts grep and awk it), documented in
 * docs/huskytrace.md: never change what an existing column means. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tools/cmdline_dump.h"
#include "tools/tools.h"

/* Prints the command line with NULs as spaces and anything unprintable
 * escaped, so it stays on one comment line. */
static void print_cmdline(const char *cmd, uint32_t len)
{
    printf("# cmdline:");
    if (len)
        putchar(' ');
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)cmd[i];
        if (c == 0)
            putchar(i + 1 < len ? ' ' : '\n');
        else if (c < 0x20 || c >= 0x7f || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    if (len == 0 || cmd[len - 1] != '\0')
        putchar('\n');
}

static void print_header(const char *path, const struct htr_info *info)
{
    const struct htr_file_header *h = &info->header;
    printf("# husky trace %s\n", path);
    printf("# version %u pid %u ppid %u exec_count %u page_size %u flags 0x%x threads %u\n",
           h->version, h->pid, h->ppid, h->exec_count, h->page_size, h->flags,
           info->threads);
    print_cmdline(info->cmdline, h->cmdline_len);
    printf("# seq time_ns thread op args... [-> result] [caller=addr]\n");
}

/* One event line (the realloc family once, with seq2). */
static void print_event(const struct htr_event *ev, int callers)
{
    unsigned long long size = ev->size, count = ev->count;
    printf("%llu %llu %u %s", (unsigned long long)ev->seq, (unsigned long long)ev->time_ns,
           ev->thread, htr_op_name(ev->op));
    switch (ev->op) {
    case HTR_OP_CALLOC:
        printf(" count=%llu size=%llu", count, size);
        break;
    case HTR_OP_REALLOC:
        printf(" ptr=0x%llx size=%llu seq2=%llu", (unsigned long long)ev->ptr, size,
               (unsigned long long)ev->seq2);
        break;
    case HTR_OP_REALLOCARRAY:
        printf(" ptr=0x%llx count=%llu size=%llu seq2=%llu", (unsigned long long)ev->ptr,
               count, size, (unsigned long long)ev->seq2);
        break;
    case HTR_OP_FREE:
        printf(" ptr=0x%llx", (unsigned long long)ev->ptr);
        break;
    case HTR_OP_MEMALIGN:
    case HTR_OP_POSIX_MEMALIGN:
    case HTR_OP_ALIGNED_ALLOC:
        printf(" align=%llu size=%llu", (unsigned long long)ev->align, size);
        break;
    case HTR_OP_THREAD_START:
        printf(" tid=%llu", (unsigned long long)ev->tid);
        break;
    case HTR_OP_THREAD_EXIT:
        break;
    default:
        printf(" size=%llu", size);
        break;
    }
    if (htr_op_returns(ev->op)) {
        if (ev->result)
            printf(" -> 0x%llx", (unsigned long long)ev->result);
        else
            printf(" -> NULL");
    }
    if (callers)
        printf(" caller=0x%llx", (unsigned long long)ev->caller);
    putchar('\n');
}

/* Dumps path.  Returns an exit status. */
static int dump(const char *path, const struct dump_args *a)
{
    struct htr_error err;
    struct htr_event ev;
    struct htr_reader *r = htr_open(path, a->file_order_flag ? HTR_OPEN_FILE_ORDER : 0, &err);
    int rc;
    if (!r) {
        tools_print_error(&err);
        return TOOLS_EXIT_DATAERR;
    }
    const struct htr_info *info = htr_reader_info(r);
    int callers = (info->header.flags & HTR_F_CALLERS) != 0;
    if (!a->no_header_flag)
        print_header(path, info);
    while ((rc = htr_next(r, &ev, &err)) == 1)
        if (ev.phase != HTR_PHASE_ACQUIRE)
            print_event(&ev, callers);
    fflush(stdout);
    if (rc < 0)
        tools_print_error(&err);
    else if (!a->no_header_flag && info->truncated)
        printf("# truncated: a torn tail was ignored\n");
    htr_close(r);
    return rc < 0 ? TOOLS_EXIT_DATAERR : TOOLS_EXIT_OK;
}

int cmd_dump(int argc, char **argv)
{
    struct dump_args a;
    if (cmdline_dump(argc, argv, &a) != 0)
        return TOOLS_EXIT_USAGE;
    if (a.inputs_num != 1 || tools_is_dir(a.inputs[0])) {
        fprintf(stderr, "huskytrace dump: give exactly one trace file; "
                "usage: huskytrace dump [OPTIONS] TRACE\n");
        cmdline_dump_free(&a);
        return TOOLS_EXIT_USAGE;
    }
    int rc = dump(a.inputs[0], &a);
    cmdline_dump_free(&a);
    return rc;
}
