/* tests/alloc-bucket/rss.h: the resident size of the calling process, for
 * the tests that check what bucket gives back (header only). */
#ifndef HUSKY_TESTS_BUCKET_RSS_H
#define HUSKY_TESTS_BUCKET_RSS_H

#include <stdio.h>
#include <unistd.h>

/* Resident KiB from /proc/self/statm, or a negative value when unreadable. */
static inline long rss_kb(void)
{
    long pages = 0, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif
