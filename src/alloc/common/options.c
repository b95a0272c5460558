/* HUSKY_* environment options: the table, the parser and the lazy cache.
 * See options.h. */
#include "config.h"

#include <string.h>

#include "alloc/common/alloc.h"
#include "alloc/common/options.h"
#include "alloc/common/os.h"

typedef enum kind {
    KIND_BOOL,                         /* 1/yes/on/true, 0/no/off/false */
    KIND_SIZE,                         /* decimal with an optional K/M/G suffix */
    KIND_STATS                         /* a bool, or "text" / "json" */
} kind_t;

typedef struct option_def {
    const char *name;                  /* environment variable */
    kind_t kind;                       /* how its value is parsed */
    long def;                          /* value when unset or bad */
    const char *desc;                  /* one line for the documentation */
} option_def_t;

/* The one table: indexed by ha_option_t. */
static const option_def_t defs[HA_OPT_COUNT] = {
    [HA_OPT_ZERO_ON_FREE]   = { "HUSKY_ZERO_ON_FREE", KIND_BOOL, 0,
                                "clear every freed block before it is reused" },
    [HA_OPT_STATS]          = { "HUSKY_STATS", KIND_STATS, HA_STATS_OFF,
                                "print statistics on stderr at exit (1/text or json)" },
    [HA_OPT_ARENAS]         = { "HUSKY_ARENAS", KIND_SIZE, 0,
                                "number of arenas; 0 = one per CPU, 1 = one arena, one lock" },
    [HA_OPT_MMAP_THRESHOLD] = { "HUSKY_MMAP_THRESHOLD", KIND_SIZE, 0,
                                "requests from this size go straight to mmap "
                                "(0 = the allocator's default)" },
    [HA_OPT_TRIM_THRESHOLD] = { "HUSKY_TRIM_THRESHOLD", KIND_SIZE, 0,
                                "free bytes an arena keeps before returning memory "
                                "to the kernel (0 = the allocator's default)" },
    [HA_OPT_VERBOSE]        = { "HUSKY_VERBOSE", KIND_BOOL, 0,
                                "print the options in effect on stderr at start" },
};

static long values[HA_OPT_COUNT];
static int loaded;                     /* 0 not yet, 1 loading, 2 done */

static int word_is(const char *s, const char *w)
{
    return strcmp(s, w) == 0;
}

static int parse_bool(const char *s, long *out)
{
    if (word_is(s, "1") || word_is(s, "yes") || word_is(s, "on") || word_is(s, "true"))
        *out = 1;
    else if (word_is(s, "0") || word_is(s, "no") || word_is(s, "off") || word_is(s, "false"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* Decimal digits and an optional K/M/G (or KiB/MiB/GiB, KB/MB/GB) suffix. */
static int parse_size(const char *s, long *out)
{
    unsigned long v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (unsigned long)(1L << 50))
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    unsigned shift = 0;
    switch (*p) {
    case 'k': case 'K': shift = 10; p++; break;
    case 'm': case 'M': shift = 20; p++; break;
    case 'g': case 'G': shift = 30; p++; break;
    default: break;
    }
    if (shift && (word_is(p, "iB") || word_is(p, "B") || word_is(p, "b")))
        p += strlen(p);
    if (*p != '\0' || (v << shift) >> shift != v || (v << shift) > (unsigned long)(1L << 52))
        return -1;
    *out = (long)(v << shift);
    return 0;
}

static int parse(const option_def_t *d, const char *s, long *out)
{
    switch (d->kind) {
    case KIND_BOOL:
        return parse_bool(s, out);
    case KIND_STATS:
        if (word_is(s, "json")) {
            *out = HA_STATS_JSON;
            return 0;
        }
        if (word_is(s, "text")) {
            *out = HA_STATS_TEXT;
            return 0;
        }
        return parse_bool(s, out);
    case KIND_SIZE:
        return parse_size(s, out);
    }
    return -1;
}

static void warn_bad(const option_def_t *d, const char *s)
{
    os_write_str(2, "husky-");
    os_write_str(2, _ha_name);
    os_write_str(2, ": ");
    os_write_str(2, d->name);
    os_write_str(2, "='");
    os_write_str(2, s);
    os_write_str(2, "' is not a valid value; using ");
    os_write_u64(2, (uint64_t)d->def);
    os_write_str(2, "\n");
}

static void print_options(void)
{
    for (int i = 0; i < HA_OPT_COUNT; i++) {
        os_write_str(2, "husky-");
        os_write_str(2, _ha_name);
        os_write_str(2, ": ");
        os_write_str(2, defs[i].name);
        os_write_str(2, "=");
        os_write_u64(2, (uint64_t)values[i]);
        os_write_str(2, "\n");
    }
}

/* Reads every option once; each bad value warns once, here. */
void ha_options_load(void)
{
    for (int i = 0; i < HA_OPT_COUNT; i++) {
        const char *s = os_getenv(defs[i].name);
        long v = defs[i].def;
        if (s != NULL && *s != '\0' && parse(&defs[i], s, &v) != 0) {
            warn_bad(&defs[i], s);
            v = defs[i].def;
        }
        values[i] = v;
    }
    __atomic_store_n(&loaded, 2, __ATOMIC_RELEASE);
    if (values[HA_OPT_VERBOSE])
        print_options();
}

/* The first caller loads the table; concurrent first callers wait for it, so
 * a bad value is reported exactly once. */
static HA_NOINLINE void load_once(void)
{
    int expected = 0;
    if (__atomic_compare_exchange_n(&loaded, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        ha_options_load();
        return;
    }
    while (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE) != 2)
        __asm__ __volatile__("" ::: "memory");
}

long ha_option(ha_option_t o)
{
    if (HA_UNLIKELY(__atomic_load_n(&loaded, __ATOMIC_ACQUIRE) != 2))
        load_once();
    return values[o];
}

const char *ha_option_name(ha_option_t o)
{
    return defs[o].name;
}

const char *ha_option_desc(ha_option_t o)
{
    return defs[o].desc;
}
