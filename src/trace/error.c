/* src/trace/error.c: the one-line error messages of the trace library. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "trace/htr_internal.h"

/* Every reader and writer error becomes "PATH: offset N: reason", the one
 * line DESIGN.md asks tools to print for bad input. */
void _htr_error(struct htr_error *err, const char *path, uint64_t off, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(err->path, sizeof err->path, "%s", path);
    err->offset = off;
    snprintf(err->msg, sizeof err->msg, "%.*s: offset %llu: %s", 100, path,
             (unsigned long long)off, reason);
}
