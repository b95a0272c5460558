/* huskytrace import MTRACE_LOG -o TRACE.htr: converts a glibc mtrace log.
 *
 * glibc writes one line per call (malloc/mtrace-impl.c):
 *   [@ CALLER ]+ ADDR SIZE      an allocation (malloc, calloc, memalign, ...)
 *   [@ CALLER ]- ADDR           a free
 *   [@ CALLER ]< ADDR           realloc: the old block ...
 *   [@ CALLER ]> ADDR SIZE      ... and the new one (the next line)
 *   [@ CALLER ]! ADDR SIZE      a realloc that failed
 *   = Start / = End             mtrace() / muntrace()
 * where CALLER is "[0xADDR]" or "FILE:(SYMBOL+0xOFF)[0xADDR]" and ADDR is
 * "0x..." or "(nil)".  The log has no threads and no times: every event
 * goes to thread 0 and its key is its line number.  mtrace() is usually
 * called after the program started, so the trace is marked HTR_F_INHERITED:
 * frees of blocks allocated before the log began are not errors.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/cmdline_import.h"
#include "tools/tools.h"
#include "trace/trace.h"

/* The state of one conversion. */
struct imp {
    const char *path;          /* the log */
    FILE *in;                  /* the log, open */
    struct htr_writer *w;      /* the trace being written */
    uint64_t line;             /* current line number, from 1 */
    uint64_t offset;           /* byte offset of the current line */
    struct htr_event pending;  /* realloc waiting for its '>' line */
    int has_pending;           /* pending is set */
    uint64_t events;           /* events written */
};

/* Prints "FILE: line N (offset B): why" and returns 65. */
static int bad(const struct imp *im, const char *why)
{
    fprintf(stderr, "huskytrace import: %s: line %" PRIu64 " (offset %" PRIu64 "): %s\n",
            im->path, im->line, im->offset, why);
    return 65;
}

/* Parses "0x..." or "(nil)" at *p; moves p past it.  0 on success. */
static int parse_addr(char **p, uint64_t *out)
{
    if (strncmp(*p, "(nil)", 5) == 0) {
        *out = 0;
        *p += 5;
        return 0;
    }
    if ((*p)[0] != '0' || (*p)[1] != 'x')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(*p, &end, 16);
    if (errno || end == *p + 2)
        return -1;
    *out = v;
    *p = end;
    return 0;
}

/* Parses " 0x..." or " 0" (a size: glibc prints it with %#lx). */
static int parse_size(char **p, uint64_t *out)
{
    if ((*p)[0] != ' ')
        return -1;
    (*p)++;
    if ((*p)[0] == '0' && (*p)[1] != 'x') {
        *out = 0;
        (*p)++;
        return 0;
    }
    return (*p)[0] == '(' ? -1 : parse_addr(p, out);
}

static int emit(struct imp *im, struct htr_event *ev)
{
    struct htr_error err;
    ev->thread = 0;
    if (htr_writer_add(im->w, ev, &err) != 0) {
        fprintf(stderr, "huskytrace import: %s\n", err.msg);
        return 1;
    }
    im->events++;
    return 0;
}

/* Skips an optional "@ CALLER " prefix; returns where the operation starts,
 * and the caller's address in *caller. */
static char *skip_caller(char *s, uint64_t *caller)
{
    *caller = 0;
    if (s[0] != '@' || s[1] != ' ')
        return s;
    char *close = strstr(s, "] ");
    char *open = close ? close : NULL;
    while (open && open > s && *open != '[')
        open--;
    if (!close || !open || *open != '[')
        return NULL;
    char *a = open + 1;
    if (parse_addr(&a, caller) != 0 || a != close)
        return NULL;
    return close + 2;
}

/* One line of the log.  0, or the exit status of a failure. */
static int import_line(struct imp *im, char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n')
        s[--n] = 0;
    if (strcmp(s, "= Start") == 0 || strcmp(s, "= End") == 0)
        return im->has_pending ? bad(im, "'<' line of a realloc not followed by '>'") : 0;
    uint64_t caller, addr, size = 0;
    char *p = skip_caller(s, &caller);
    if (!p)
        return bad(im, "malformed caller (expected '@ [0xADDRESS] ')");
    char op = p[0];
    if (!strchr("+-<>!", op) || op == 0 || p[1] != ' ')
        return bad(im, "unknown operation (expected '+', '-', '<', '>', '!' or '= Start')");
    p += 2;
    if (parse_addr(&p, &addr) != 0)
        return bad(im, "malformed address (expected 0x... or (nil))");
    if ((op == '+' || op == '>' || op == '!') && parse_size(&p, &size) != 0)
        return bad(im, "malformed size (expected ' 0x...')");
    if (*p != 0)
        return bad(im, "unexpected text after the operation");
    if ((op == '>') != im->has_pending)
        return bad(im, op == '>' ? "'>' line without the '<' line of its realloc"
                                 : "'<' line of a realloc not followed by '>'");
    struct htr_event ev = { .seq = im->line, .seq2 = im->line, .count = 1, .caller = caller };
    switch (op) {
    case '+':
        ev.op = HTR_OP_MALLOC, ev.size = size, ev.result = addr;
        return emit(im, &ev);
    case '-':
        ev.op = HTR_OP_FREE, ev.ptr = addr;
        return emit(im, &ev);
    case '!':
        ev.op = HTR_OP_REALLOC, ev.ptr = addr, ev.size = size;
        return emit(im, &ev);
    case '<':
        ev.op = HTR_OP_REALLOC, ev.ptr = addr;
        im->pending = ev;
        im->has_pending = 1;
        return 0;
    default:
        im->pending.seq2 = im->line, im->pending.size = size, im->pending.result = addr;
        im->has_pending = 0;
        return emit(im, &im->pending);
    }
}

/* Reads the whole log into the writer. */
static int import_all(struct imp *im)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    struct htr_event start = { .op = HTR_OP_THREAD_START, .count = 1 };
    if (emit(im, &start) != 0)
        return 1;
    while (rc == 0 && (len = getline(&buf, &cap, im->in)) >= 0) {
        im->line++;
        if (memchr(buf, 0, (size_t)len))
            rc = bad(im, "NUL byte in a text log");
        else
            rc = import_line(im, buf);
        im->offset += (uint64_t)len;
    }
    free(buf);
    if (rc == 0 && ferror(im->in)) {
        fprintf(stderr, "huskytrace import: %s: %s\n", im->path, strerror(errno));
        rc = 1;
    }
    if (rc == 0 && im->has_pending) {
        im->line++;
        rc = bad(im, "the log ends inside a realloc ('<' without '>')");
    }
    return rc;
}

static int import(const char *log, const char *out)
{
    struct imp im = { .path = log };
    struct stat st;
    im.in = fopen(log, "r");
    if (!im.in || fstat(fileno(im.in), &st) != 0 || S_ISDIR(st.st_mode) ||
        (S_ISREG(st.st_mode) && st.st_size == 0)) {
        /* bad input (65), like a trace the other commands cannot open */
        int e = errno;
        fprintf(stderr, "huskytrace import: %s: offset 0: %s%s\n", log,
                !im.in ? "cannot open: " : S_ISDIR(st.st_mode) ? "a folder, not an mtrace log"
                : "empty file, not an mtrace log (a log starts with '= Start')",
                !im.in ? strerror(e) : "");
        if (im.in)
            fclose(im.in);
        return 65;
    }
    char cmd[] = "mtrace-import";
    struct htr_file_header h;
    htr_header_init(&h, HTR_F_INHERITED, sizeof cmd - 1);
    h.pid = h.ppid = 0;
    h.start_key = h.start_ns = 0;
    struct htr_error err;
    im.w = htr_writer_open(out, &h, cmd, sizeof cmd - 1, &err);
    if (!im.w) {
        fprintf(stderr, "huskytrace import: %s\n", err.msg);
        fclose(im.in);
        return 1;
    }
    int rc = import_all(&im);
    fclose(im.in);
    if (rc != 0) {
        htr_writer_abort(im.w);
        return rc;
    }
    if (htr_writer_close(im.w, &err) != 0) {
        fprintf(stderr, "huskytrace import: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "huskytrace import: %" PRIu64 " events from %s into %s\n",
            im.events, log, out);
    return 0;
}

int cmd_import(int argc, char **argv)
{
    struct import_args a;
    if (import_cmdline_parser(argc, argv, &a) != 0)
        return 2;
    int rc;
    if (a.inputs_num != 1) {
        fprintf(stderr, "huskytrace import: give exactly one mtrace log "
                "(usage: huskytrace import MTRACE_LOG -o TRACE.htr)\n");
        rc = 2;
    } else {
        rc = import(a.inputs[0], a.output_arg);
    }
    import_cmdline_parser_free(&a);
    return rc;
}
