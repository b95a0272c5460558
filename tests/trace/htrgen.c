/* tests/trace/htrgen.c: builds a trace from text, for tests with known
 * answers.  The text is what `huskytrace dump` prints, so a test can write
 * a trace by hand and compare dump's output with its own input:
 *
 *   # pid 42 ppid 1 exec_count 0 flags 0x5      header fields (any subset)
 *   # start_key 0                               key of the trace start
 *   # cmdline: prog arg                         spaces become NULs
 *   SEQ TIME THREAD OP NAME=VALUE... [-> RESULT|NULL] [caller=ADDR]
 *
 * TIME is ignored (the reader derives it from the keys).  Other '#' lines
 * and blank lines are skipped.  Events are written in the given order, so
 * invalid traces (keys going backwards, ...) can be built on purpose.
 *
 * usage: htrgen IN.txt OUT.htr       exit 0, or 1 with a message */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

struct gen {
    struct htr_file_header h;  /* header being built */
    char cmdline[1024];        /* NUL-separated */
    uint32_t cmdline_len;      /* bytes in cmdline */
    struct htr_writer *w;      /* open once the first event comes */
    unsigned line;             /* for messages */
    const char *path_out;      /* the trace to write */
};

static int die(const struct gen *g, const char *what)
{
    fprintf(stderr, "htrgen: line %u: %s\n", g->line, what);
    return 1;
}

/* "# key value key value ..." and "# cmdline: ..." lines. */
static void header_line(struct gen *g, char *s)
{
    if (strncmp(s, "cmdline:", 8) == 0) {
        s += 8;
        s += *s == ' ';
        size_t n = strlen(s);
        if (n >= sizeof g->cmdline)
            n = sizeof g->cmdline - 1;
        memcpy(g->cmdline, s, n);
        g->cmdline[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (g->cmdline[i] == ' ')
                g->cmdline[i] = '\0';
        g->cmdline_len = n ? (uint32_t)n + 1 : 0;
        return;
    }
    char *save, *k = strtok_r(s, " \t", &save);
    while (k) {
        char *v = strtok_r(NULL, " \t", &save);
        if (!v)
            break;
        uint64_t x = strtoull(v, NULL, 0);
        if (strcmp(k, "pid") == 0) g->h.pid = (uint32_t)x;
        else if (strcmp(k, "ppid") == 0) g->h.ppid = (uint32_t)x;
        else if (strcmp(k, "exec_count") == 0) g->h.exec_count = (uint32_t)x;
        else if (strcmp(k, "page_size") == 0) g->h.page_size = (uint32_t)x;
        else if (strcmp(k, "flags") == 0) g->h.flags = (uint32_t)x;
        else if (strcmp(k, "start_key") == 0) g->h.start_key = x;
        k = strtok_r(NULL, " \t", &save);
    }
}

/* One NAME=VALUE argument into ev.  0, or -1 for an unknown name. */
static int arg(struct htr_event *ev, const char *name, uint64_t v)
{
    if (strcmp(name, "size") == 0) ev->size = v;
    else if (strcmp(name, "count") == 0) ev->count = v;
    else if (strcmp(name, "align") == 0) ev->align = v;
    else if (strcmp(name, "ptr") == 0) ev->ptr = v;
    else if (strcmp(name, "seq2") == 0) ev->seq2 = v;
    else if (strcmp(name, "tid") == 0) ev->tid = v;
    else if (strcmp(name, "caller") == 0) ev->caller = v;
    else return -1;
    return 0;
}

/* One event line. */
static int event_line(struct gen *g, char *s)
{
    struct htr_event ev;
    struct htr_error err;
    char *save, *tok[4];
    memset(&ev, 0, sizeof ev);
    ev.count = 1;
    for (int i = 0; i < 4; i++)
        if (!(tok[i] = strtok_r(i ? NULL : s, " \t\n", &save)))
            return die(g, "an event needs SEQ TIME THREAD OP");
    ev.seq = ev.seq2 = strtoull(tok[0], NULL, 0);
    ev.thread = (uint32_t)strtoul(tok[2], NULL, 0);
    if (!(ev.op = (uint8_t)htr_op_from_name(tok[3])))
        return die(g, "unknown operation");
    for (char *t; (t = strtok_r(NULL, " \t\n", &save));) {
        char *eq = strchr(t, '=');
        if (strcmp(t, "->") == 0) {
            char *r = strtok_r(NULL, " \t\n", &save);
            if (!r)
                return die(g, "-> needs a result");
            ev.result = strcmp(r, "NULL") == 0 ? 0 : strtoull(r, NULL, 0);
        } else if (!eq || (*eq = '\0', arg(&ev, t, strtoull(eq + 1, NULL, 0)))) {
            return die(g, "bad argument");
        }
    }
    if (!g->w) {
        g->w = htr_writer_open(g->path_out, &g->h, g->cmdline, g->cmdline_len, &err);
        if (!g->w)
            return die(g, err.msg);
    }
    if (htr_writer_add(g->w, &ev, &err))
        return die(g, err.msg);
    return 0;
}

int main(int argc, char **argv)
{
    struct gen g;
    struct htr_error err;
    char buf[4096];
    if (argc != 3) {
        fprintf(stderr, "usage: htrgen IN.txt OUT.htr\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    memset(&g, 0, sizeof g);
    htr_header_init(&g.h, 0, 0);
    g.h.pid = 1000;
    g.h.ppid = 1;
    g.h.page_size = 4096;
    g.h.start_key = 0;
    g.h.start_ns = 0;
    g.h.start_realtime_ns = 0;
    g.path_out = argv[2];
    int rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, in)) {
        g.line++;
        char *s = buf + strspn(buf, " \t");
        s[strcspn(s, "\n")] = '\0';
        if (*s == '#')
            header_line(&g, s + 1 + strspn(s + 1, " "));
        else if (*s)
            rc = event_line(&g, s);
    }
    fclose(in);
    if (rc == 0 && !g.w && !(g.w = htr_writer_open(argv[2], &g.h, g.cmdline,
                                                   g.cmdline_len, &err)))
        rc = die(&g, err.msg);
    if (rc) {
        htr_writer_abort(g.w);
        return 1;
    }
    if (htr_writer_close(g.w, &err))
        return die(&g, err.msg);
    return 0;
}
