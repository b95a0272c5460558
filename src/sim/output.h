/* output.h: huskysim's result rows and their writers (output.c). */
#ifndef HUSKY_SIM_OUTPUT_H
#define HUSKY_SIM_OUTPUT_H

#include <stdio.h>

#include "sim/sim.h"

/* What one policy measured on one trace. */
struct sim_result {
    const char *trace;          /* the trace's path as given */
    const struct sim_policy *policy; /* the policy */
    struct sim_metrics m;       /* its measurements */
    uint64_t trace_events;      /* events read from the trace */
    uint64_t skipped;           /* events skipped as impossible */
};

void sim_print_table(FILE *f, const struct sim_result *res, size_t n);
int sim_write_csv(const char *path, const struct sim_result *res, size_t n, char *why,
                  size_t len);
int sim_write_json(const char *path, const struct sim_result *res, size_t n,
                   const struct sim_config *cfg, char *why, size_t len);
int sim_write_plot(const char *dir, const struct sim_result *res, size_t n, char *why,
                   size_t len);

#endif
