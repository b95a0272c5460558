/* src/tools/huskytrace.c: `huskytrace COMMAND [ARGS]`, the dispatcher.
 *
 * Each subcommand parses its own options (one gengetopt .ggo each); this
 * file only picks the command from the table and prints the overall help. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tools/tools.h"

/* The subcommands, one line each, in the order --help lists them. */
static const struct tools_command commands[] = {
    { "info", cmd_info, "summarise traces: threads, operations, peak live bytes, sizes" },
    { "dump", cmd_dump, "print every event of a trace, one per line" },
    { "validate", cmd_validate, "check a trace's structure and ordering invariant" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "Usage: huskytrace COMMAND [OPTIONS] [ARGS]...\n"
               "Record, inspect and check husky malloc traces (*.htr).\n\n"
               "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Options:\n"
               "  -h, --help     print this help and exit\n"
               "  -V, --version  print the version and exit\n\n"
               "Run 'huskytrace COMMAND --help' for a command's options.  A folder\n"
               "given as TRACE stands for every *.htr in it.\n\n"
               "Exit status: 0 ok, 1 a check failed, 2 bad usage, 65 bad input data.\n\n"
               "Report bugs to the husky project; documentation: docs/huskytrace.md.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "huskytrace: no command given; run 'huskytrace --help' for the list\n");
        return TOOLS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return TOOLS_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("huskytrace (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return TOOLS_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            char name[64];
            snprintf(name, sizeof name, "huskytrace %s", commands[i].name);
            argv[1] = name;
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "huskytrace: unknown command '%s'; run 'huskytrace --help' for the list\n",
            cmd);
    return TOOLS_EXIT_USAGE;
}
