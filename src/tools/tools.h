/* src/tools/tools.h: what the huskytrace subcommands share.
 *
 * huskytrace is one program with subcommands.  Each subcommand is a
 * function `int cmd_NAME(int argc, char **argv)` (argv[0] is
 * "huskytrace NAME") returning the exit status, declared here and listed
 * with one line in the command table of huskytrace.c.  Adding a command
 * takes: its source file, its .ggo, the line in the table, the prototype
 * below, and `src_tools_huskytrace_SOURCES += ...` in the owner's local.mk. */
#ifndef HUSKY_TOOLS_H
#define HUSKY_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/* Exit statuses (DESIGN.md). */
#define TOOLS_EXIT_OK      0    /* success */
#define TOOLS_EXIT_FAIL    1    /* a check did not hold */
#define TOOLS_EXIT_USAGE   2    /* bad usage */
#define TOOLS_EXIT_DATAERR 65   /* bad input data */

/* One subcommand of huskytrace. */
struct tools_command {
    const char *name;                    /* what the user types */
    int (*run)(int argc, char **argv);   /* argv[0] is "huskytrace NAME" */
    const char *summary;                 /* one line for huskytrace --help */
};

/* info.c, dump.c, validate.c */
int cmd_info(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_validate(int argc, char **argv);

/* ---- inputs.c ---- */

/* The trace files named by the command line: a file stands for itself, a
 * folder for every *.htr in it (sorted by name). */
struct tools_inputs {
    char **paths;          /* malloc'd file paths */
    size_t n;              /* entries in paths */
    int had_dir;           /* some argument was a folder */
};

/* Expands args into trace paths.  Returns 0, or TOOLS_EXIT_DATAERR after
 * printing one line (a missing argument, an empty or unreadable folder). */
int tools_inputs_expand(struct tools_inputs *in, unsigned n, char **args);
void tools_inputs_free(struct tools_inputs *in);

/* Prints a reader or writer error as its one line on stderr. */
void tools_print_error(const struct htr_error *err);

/* Whether path names a folder (for commands that take one file). */
int tools_is_dir(const char *path);

/* ---- heap.c: what one merged item does to the heap; live addresses ---- */

/* The heap effect of one item of a merged stream (see docs/huskytrace.md). */
struct tools_effect {
    uint64_t release;      /* address that stops being live, 0 if none */
    uint64_t keep;         /* address that must be live and stays (failed
                              realloc), 0 if none */
    uint64_t acquire;      /* address that becomes live, 0 if none */
    uint64_t bytes;        /* bytes requested by the acquiring call */
    int requests;          /* 1 if the item is a request for memory */
};

void tools_effect(const struct htr_event *ev, struct tools_effect *e);

/* size * count, saturating at UINT64_MAX. */
uint64_t tools_request_bytes(const struct htr_event *ev);

/* live address table (uthash), in heap.c */

struct tools_live_obj;

/* The addresses currently handed out, with their size and origin. */
struct tools_live {
    struct tools_live_obj *table;   /* uthash head, by address */
    struct tools_live_obj *spare;   /* removed entries kept for reuse */
    uint64_t bytes;                 /* sum of sizes of live entries */
    uint64_t count;                 /* live entries */
};

/* What the table remembers about a live address. */
struct tools_live_info {
    uint64_t size;         /* bytes requested */
    uint64_t seq;          /* key of the event that handed it out */
    uint32_t thread;       /* thread index of that event */
};

/* Looks addr up: 1 and *info filled if live, else 0. */
int tools_live_find(struct tools_live *l, uint64_t addr, struct tools_live_info *info);
/* Adds addr (which must not be live).  0, or -1 when out of memory. */
int tools_live_add(struct tools_live *l, uint64_t addr, const struct tools_live_info *info);
/* Removes addr if live; returns 1 if it was. */
int tools_live_remove(struct tools_live *l, uint64_t addr);
void tools_live_free(struct tools_live *l);

/* ---- callers.c: naming caller addresses ---- */

/* Writes a name for `addr`, a caller address recorded in the trace at
 * `trace_path` (e.g. "main+0x1f" or "libfoo.so+0x1234"), into buf and
 * returns 1, or returns 0 when no name is known (then the raw address is
 * printed).  The default definition is weak and knows no names: caller
 * addresses belong to the traced process, so only the code that recorded
 * its memory map (src/capture) can resolve them; it provides a strong
 * definition, which the linker then prefers. */
int tools_caller_name(const char *trace_path, uint64_t addr, char *buf, size_t len);

#endif
