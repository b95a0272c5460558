/* Statistics: per-thread counters merged at thread exit and printed at
 * process exit when HUSKY_STATS is set.  See stats.h. */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "alloc/common/lock.h"
#include "alloc/common/options.h"
#include "alloc/common/os.h"
#include "alloc/common/stats.h"

__thread ha_stats_t _ha_tls_stats __attribute__((tls_model("initial-exec")));

static ha_stats_t totals;              /* merged counters of exited threads */
static ha_lock_t totals_lock = HA_LOCK_INIT;
static pthread_key_t exit_key;
static int key_state;                  /* 0 none, 1 creating, 2 created, 3 failed */

static void merge_into_totals(ha_stats_t *s)
{
    ha_lock(&totals_lock);
#define HA_STATS_MERGE(name, desc) totals.name += s->name; s->name = 0;
    HA_STATS_FIELDS(HA_STATS_MERGE)
#undef HA_STATS_MERGE
    ha_unlock(&totals_lock);
}

void ha_stats_merge_thread(void)
{
    merge_into_totals(&_ha_tls_stats);
}

/* pthread key destructor: runs in the exiting thread. */
static void thread_exit(void *arg)
{
    (void)arg;
    ha_stats_merge_thread();
}

static void create_key(void)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&key_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&key_state, __ATOMIC_ACQUIRE) == 1)
            HA_CPU_RELAX();
        return;
    }
    int ok = pthread_key_create(&exit_key, thread_exit) == 0;
    __atomic_store_n(&key_state, ok ? 2 : 3, __ATOMIC_RELEASE);
}

/* Counting always happens; the exit hook only matters when stats are printed.
 * pthread_setspecific with one of the first 32 keys does not allocate. */
void _ha_stats_register(void)
{
    _ha_tls_stats.registered = 1;
    if (ha_option(HA_OPT_STATS) == HA_STATS_OFF)
        return;
    if (__atomic_load_n(&key_state, __ATOMIC_ACQUIRE) != 2)
        create_key();
    if (__atomic_load_n(&key_state, __ATOMIC_ACQUIRE) == 2)
        pthread_setspecific(exit_key, (void *)1);
}

static void print_text(int fd, const ha_stats_t *s)
{
#define HA_STATS_TEXT_LINE(name, desc) \
    os_write_str(fd, "husky-"); os_write_str(fd, _ha_name); os_write_str(fd, ": "); \
    os_write_str(fd, #name); os_write_str(fd, " "); os_write_u64(fd, s->name); \
    os_write_str(fd, "  # " desc "\n");
    HA_STATS_FIELDS(HA_STATS_TEXT_LINE)
#undef HA_STATS_TEXT_LINE
}

static void print_json(int fd, const ha_stats_t *s)
{
    os_write_str(fd, "{\"allocator\":\"");
    os_write_str(fd, _ha_name);
    os_write_str(fd, "\"");
#define HA_STATS_JSON_FIELD(name, desc) \
    os_write_str(fd, ",\"" #name "\":"); os_write_u64(fd, s->name);
    HA_STATS_FIELDS(HA_STATS_JSON_FIELD)
#undef HA_STATS_JSON_FIELD
    os_write_str(fd, ",\"backend\":{");
    _ha_stats_print(fd, 1);
    os_write_str(fd, "}}\n");
}

void ha_stats_print(int fd, int json)
{
    ha_stats_merge_thread();
    ha_stats_t copy;
    ha_lock(&totals_lock);
    memcpy(&copy, &totals, sizeof copy);
    ha_unlock(&totals_lock);
    if (json) {
        print_json(fd, &copy);
    } else {
        print_text(fd, &copy);
        _ha_stats_print(fd, 0);
    }
}

/* At exit: print when asked to. */
__attribute__((destructor)) static void stats_at_exit(void)
{
    long mode = ha_option(HA_OPT_STATS);
    if (mode != HA_STATS_OFF)
        ha_stats_print(2, mode == HA_STATS_JSON);
}

void ha_stats_fork_prepare(void)
{
    ha_lock(&totals_lock);
}

void ha_stats_fork_parent(void)
{
    ha_unlock(&totals_lock);
}

void ha_stats_fork_child(void)
{
    ha_lock_init(&totals_lock);
}
