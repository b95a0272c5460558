/* hist.c: log-linear latency histograms (8 buckets per power of two, about
 * 6% resolution) so that sampled latencies cost a fixed amount of memory,
 * merge by addition, and still give p50/p99/p99.9. */
#include "config.h"

#include "replay/rp.h"

/* Bucket of a latency in ns: values below 8 have their own bucket; above,
 * the power of two and the next three bits pick it. */
unsigned rp_hist_bucket(uint64_t ns)
{
    if (ns < 8)
        return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns);
    unsigned sub = (unsigned)(ns >> (e - 3)) & 7u;
    return e * RP_HIST_SUB + sub;
}

/* A representative value (the middle) of a bucket. */
uint64_t rp_hist_value(unsigned bucket)
{
    if (bucket < 8)
        return bucket;
    unsigned e = bucket / RP_HIST_SUB, sub = bucket % RP_HIST_SUB;
    uint64_t lo = (uint64_t)(8 + sub) << (e - 3);
    uint64_t width = (uint64_t)1 << (e - 3);
    return lo + width / 2;
}

/* The q-quantile (0..1) of a histogram, 0 when it is empty; *samples gets
 * the number of samples. */
uint64_t rp_hist_percentile(const uint64_t *hist, double q, uint64_t *samples)
{
    uint64_t total = 0;
    for (unsigned b = 0; b < RP_HIST_BUCKETS; b++)
        total += hist[b];
    if (samples)
        *samples = total;
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)total);
    if (rank >= total)
        rank = total - 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < RP_HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen > rank)
            return rp_hist_value(b);
    }
    return rp_hist_value(RP_HIST_BUCKETS - 1);
}
