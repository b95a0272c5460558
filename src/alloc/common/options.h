/* HUSKY_* environment options of husky's allocators (options.c).
 *
 * One table (options.c) gives each option its name, default and description.
 * Values are read once, lazily, through os_getenv: booleans accept 1/yes/on
 * and 0/no/off, numbers accept a K, M or G suffix (powers of 1024).  A bad
 * value warns once on stderr and the default is used.
 */
#ifndef HUSKY_OPTIONS_H
#define HUSKY_OPTIONS_H

#include <stddef.h>

typedef enum ha_option {
    HA_OPT_ZERO_ON_FREE,               /* clear freed memory (bool) */
    HA_OPT_STATS,                      /* 0 off, 1 text on stderr at exit, 2 json */
    HA_OPT_ARENAS,                     /* number of arenas, 0 = one per CPU */
    HA_OPT_MMAP_THRESHOLD,             /* bytes from which requests go to mmap, 0 = default */
    HA_OPT_TRIM_THRESHOLD,             /* free bytes kept before giving memory back */
    HA_OPT_VERBOSE,                    /* print the options in effect at start (bool) */
    HA_OPT_COUNT
} ha_option_t;

/* HUSKY_STATS values */
#define HA_STATS_OFF  0
#define HA_STATS_TEXT 1
#define HA_STATS_JSON 2

/* The value of option `o` (read from the environment on first use). */
long ha_option(ha_option_t o);

/* Reads every option from the environment now (ha_option does it on first
 * use; calling it again re-reads the environment). */
void ha_options_load(void);

/* Name ("HUSKY_...") and description of option `o`. */
const char *ha_option_name(ha_option_t o);
const char *ha_option_desc(ha_option_t o);

#endif
