/* src/tools/inputs.c: turning TRACE|DIR arguments into trace files. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/tools.h"

void tools_print_error(const struct htr_error *err)
{
    fprintf(stderr, "%s\n", err->msg);
}

int tools_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int push(struct tools_inputs *in, const char *path)
{
    char **n = realloc(in->paths, (in->n + 1) * sizeof *n);
    if (!n)
        return -1;
    in->paths = n;
    if (!(in->paths[in->n] = strdup(path)))
        return -1;
    in->n++;
    return 0;
}

static int is_trace_name(const struct dirent *d)
{
    size_t len = strlen(d->d_name);
    return len > 4 && strcmp(d->d_name + len - 4, ".htr") == 0;
}

/* Adds every *.htr of folder dir, sorted by name. */
static int expand_dir(struct tools_inputs *in, const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, is_trace_name, alphasort);
    int rc = 0;
    if (n < 0) {
        fprintf(stderr, "%s: offset 0: cannot read the folder: %s\n", dir, strerror(errno));
        return TOOLS_EXIT_DATAERR;
    }
    if (n == 0) {
        fprintf(stderr, "%s: offset 0: no *.htr traces in this folder\n", dir);
        rc = TOOLS_EXIT_DATAERR;
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
        char *p = malloc(len);
        if (rc == 0 && p) {
            snprintf(p, len, "%s/%s", dir, names[i]->d_name);
            if (push(in, p))
                rc = TOOLS_EXIT_DATAERR;
        } else if (!p) {
            rc = TOOLS_EXIT_DATAERR;
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

int tools_inputs_expand(struct tools_inputs *in, unsigned n, char **args)
{
    memset(in, 0, sizeof *in);
    for (unsigned i = 0; i < n; i++) {
        int rc;
        if (tools_is_dir(args[i])) {
            in->had_dir = 1;
            rc = expand_dir(in, args[i]);
        } else {
            rc = push(in, args[i]) ? TOOLS_EXIT_DATAERR : 0;
        }
        if (rc) {
            tools_inputs_free(in);
            return TOOLS_EXIT_DATAERR;
        }
    }
    return 0;
}

void tools_inputs_free(struct tools_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->paths[i]);
    free(in->paths);
    memset(in, 0, sizeof *in);
}
