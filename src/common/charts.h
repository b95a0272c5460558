/* charts.h: `--plot DIR` of huskyreplay and huskysim draws the charts of the
 * data files written there (charts.c). */
#ifndef HUSKY_COMMON_CHARTS_H
#define HUSKY_COMMON_CHARTS_H

/* Runs huskyplot on DIR.  Returns 0 when the charts are drawn or huskyplot
 * is not installed (a note on stderr says so: the data stays), 1 when it
 * failed (a line on stderr names DIR and why).  PROG prefixes messages. */
int hk_draw_charts(const char *prog, const char *dir, int quiet);

#endif
