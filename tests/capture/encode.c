/* Guarantee: the shim's inlined encoder (src/capture/encode.h) writes exactly
 * the bytes of the trace library's htr_encode, for every op, with and
 * without callers, NULL results and extreme values, so that what the shim
 * records reads back through the one reader. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "capture/encode.h"
#include "tests/tap.h"
#include "trace/trace.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random value, often small, sometimes extreme. */
static uint64_t value(uint64_t *s)
{
    uint64_t r = rnd(s);
    switch (r & 7) {
    case 0: return 0;
    case 1: return UINT64_MAX - (r >> 60);
    case 2: return r >> 3;
    case 3: return (r >> 3) >> ((r >> 10) & 63);    /* every length */
    default: return (r >> 3) & 0xffff;
    }
}

int main(void)
{
    uint64_t seed = 0x2545f4914f6cdd1dull;
    for (int callers = 0; callers < 2; callers++) {
        struct htr_codec_state a, b;
        htr_codec_reset(&a, 1000);
        htr_codec_reset(&b, 1000);
        long mismatches = 0, events = 200000;
        uint64_t key = 1000;
        for (long i = 0; i < events; i++) {
            struct htr_event ev;
            memset(&ev, 0, sizeof ev);
            ev.op = (uint8_t)(1 + rnd(&seed) % (HTR_OP_COUNT - 1));
            key += rnd(&seed) % 3 == 0 ? value(&seed) & 0xfff : 1;
            ev.seq = key;
            ev.seq2 = (ev.op == HTR_OP_REALLOC || ev.op == HTR_OP_REALLOCARRAY)
                      ? key + (value(&seed) & 0xffff) : key;
            key = ev.seq2;
            ev.size = value(&seed), ev.count = value(&seed), ev.align = value(&seed);
            ev.ptr = value(&seed), ev.result = value(&seed), ev.caller = value(&seed);
            ev.tid = value(&seed);
            uint8_t x[HTR_MAX_RECORD], y[HTR_MAX_RECORD];
            size_t n = htr_encode(x, sizeof x, &a, &ev, callers);
            size_t m = (size_t)(cap_encode(y, &b, &ev, callers) - y);
            if (n != m || memcmp(x, y, n) != 0 || memcmp(&a, &b, sizeof a) != 0)
                mismatches++;
        }
        tap_ok(mismatches == 0, "callers=%d: %ld random events encode identically (%ld differ)",
               callers, events, mismatches);
    }
    return tap_done();
}
