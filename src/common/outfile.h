/* Output files written whole or not at all (hk_out_), for the tools'
 * --csv, --json and --plot files: each is written under a temporary name
 * beside its final one and renamed into place once complete, so a failed
 * run never leaves a partial file where a good one was.
 */
#ifndef HUSKY_OUTFILE_H
#define HUSKY_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Opens a temporary file beside `path` (mode 0644 once renamed); *tmp
 * receives its name (malloc'd).  NULL with a reason in why on failure. */
FILE *hk_out_open(const char *path, char **tmp, char *why, size_t len);

/* Closes f and renames tmp to path, or removes tmp on any write error;
 * frees tmp.  0, or -1 with a reason in why. */
int hk_out_commit(FILE *f, char *tmp, const char *path, char *why, size_t len);

#endif
