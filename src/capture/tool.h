/* Tool-side helpers of the capture area, used by huskytrace record, import
 * and info --callers (these run in the tools, never inside malloc). */
#ifndef HUSKY_CAP_TOOL_H
#define HUSKY_CAP_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- target.c ---- */
int cap_find_command(const char *name, char *out, size_t cap);
int cap_check_traceable(const char *path, char *why, size_t cap);

/* ---- trim.c ---- */
/* Cuts a trace file after its last chunk (the zero tail of a process that
 * died before its normal exit).  0, or -1 with errno. */
int cap_trim_trace(const char *path);

/* ---- callers.c ---- */
/* Prints the top `top` allocation sites of a trace recorded with --callers:
 * count and bytes per caller, resolved to symbol+offset through the
 * PID.maps file beside the trace.  0, 1 (the trace has no callers), or 65
 * (a bad trace; the message is printed). */
int cap_print_callers(FILE *out, const char *trace, unsigned top);

#endif
