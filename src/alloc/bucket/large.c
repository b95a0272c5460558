/* large.c: bucket's blocks above BUCKET_SMALL_MAX, each its own mapping.
 *
 * Their sizes live out of band, in an open-addressing hash table keyed by
 * address (linear probing, deletion by backward shift), so free() can reject
 * a pointer that is no large block.  Freed mappings go to a cache
 * (BUCKET_CACHE_SLOTS entries) bounded so that the bytes cached and the bytes
 * in use together never exceed the most large bytes the program ever had in
 * use, plus the biggest block of BUCKET_HUGE_SIZE or more it ever freed:
 * caching adds at most that one block to the peak of large memory, a
 * program that cycles big buffers reuses them without page faults, and one
 * whose large blocks are all live at once keeps at most one such block
 * cached.  A request takes the
 * cached mapping closest in size: the tail of one too big goes back to the
 * cache as a mapping of its own when it could serve a large request (to the
 * kernel when it could not and is more than a quarter of the request), one
 * too small grows with mremap; entries older than BUCKET_CACHE_DELAY_NS are
 * unmapped, and the small heap's growth sheds cached bytes.  One lock guards
 * the table and the cache; mmap and munmap run outside it.
 */
#include <errno.h>
#include <string.h>

#include "alloc/bucket/bucket.h"
#include "alloc/common/stats.h"

#define BUCKET_CACHE_SLOTS      16
#define BUCKET_CACHE_MAX        ((size_t)64 << 20)      /* never more cached */
#define BUCKET_CACHE_DELAY_NS   (500ull * 1000 * 1000)
#define BUCKET_SHED_FACTOR      4       /* cached bytes shed per byte of small growth */
#define BUCKET_TABLE_MIN        256
#define BUCKET_HUGE_SIZE        ((size_t)2 << 20)       /* a transparent huge page */

/* One large block: its address and mapped length (a page multiple). */
typedef struct large_entry {
    uintptr_t addr;             /* 0 for an empty table slot */
    size_t len;                 /* bytes mapped, all usable */
} large_entry_t;

/* A cached mapping and when it was freed. */
typedef struct cache_entry {
    uintptr_t addr;             /* 0 when the entry is unused */
    size_t len;                 /* bytes mapped */
    uint64_t when;              /* free time (ns) */
} cache_entry_t;

static ha_lock_t large_lock;
static large_entry_t *table;            /* capacity `cap`, a power of two */
static size_t cap, count;
static cache_entry_t cache[BUCKET_CACHE_SLOTS];
static size_t cache_bytes;              /* changed under the lock, through cache_bytes_set */
static size_t live_bytes;               /* mapped bytes of live large blocks */
static size_t peak_bytes;               /* most live_bytes ever */
static size_t slack_bytes;              /* biggest block >= BUCKET_HUGE_SIZE freed */

static struct {
    uint64_t maps;              /* mappings made */
    uint64_t cache_hits;        /* requests served from the cache */
    uint64_t live;              /* large blocks in use */
} large_stats;

void _bucket_large_lock(void)
{
    ha_lock(&large_lock);
}

void _bucket_large_unlock(void)
{
    ha_unlock(&large_lock);
}

void _bucket_large_reinit(void)
{
    ha_lock_init(&large_lock);
}

/* ---- the table ---- */

static size_t slot_of(uintptr_t addr, size_t mask)
{
    return (size_t)(((addr >> 12) * 0x9e3779b97f4a7c15ull) >> 20) & mask;
}

static large_entry_t *table_find(uintptr_t addr)
{
    if (table == NULL)
        return NULL;
    for (size_t i = slot_of(addr, cap - 1);; i = (i + 1) & (cap - 1)) {
        if (table[i].addr == addr)
            return &table[i];
        if (table[i].addr == 0)
            return NULL;
    }
}

static void table_put(large_entry_t *t, size_t tcap, uintptr_t addr, size_t len)
{
    size_t i = slot_of(addr, tcap - 1);
    while (t[i].addr != 0)
        i = (i + 1) & (tcap - 1);
    t[i].addr = addr;
    t[i].len = len;
}

/* Removes an entry and shifts later entries of its probe run back into the
 * hole, so lookups never need tombstones. */
static void table_remove(large_entry_t *e)
{
    size_t mask = cap - 1, hole = (size_t)(e - table);
    for (size_t i = (hole + 1) & mask; table[i].addr != 0; i = (i + 1) & mask) {
        size_t home = slot_of(table[i].addr, mask);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            table[hole] = table[i];
            hole = i;
        }
    }
    table[hole].addr = 0;
    count--;
}

/* Makes room for one more entry, doubling the table at half load.  Called
 * with the lock held; the old table's memory is returned through *old. */
static bool table_reserve(void **old, size_t *old_len)
{
    if ((count + 1) * 2 <= cap)
        return true;
    size_t ncap = cap ? cap * 2 : BUCKET_TABLE_MIN;
    large_entry_t *t = _bucket_os_map(ncap * sizeof *t, BUCKET_PAGE);
    if (t == NULL)
        return false;
    for (size_t i = 0; i < cap; i++)
        if (table[i].addr != 0)
            table_put(t, ncap, table[i].addr, table[i].len);
    *old = table;
    *old_len = cap * sizeof *table;
    table = t;
    cap = ncap;
    return true;
}

/* ---- the cache ---- */

/* Every change of cache_bytes, under the lock; _bucket_large_shed also reads
 * it without the lock, so that the small heap's growth takes no lock while
 * nothing is cached. */
static void cache_bytes_set(size_t bytes)
{
    __atomic_store_n(&cache_bytes, bytes, __ATOMIC_RELAXED);
}

/* The cached mapping closest to len bytes (the smallest big enough, else
 * the biggest), removed from the cache.  Whatever its size, its resident
 * pages save page faults: the caller trims or grows it to len.  Of one
 * bigger than len by more than a large request, only the head is taken:
 * the tail stays in the entry, its pages resident for the next request. */
static bool cache_take_locked(size_t len, uint64_t now, uintptr_t *addr, size_t *got)
{
    int best = -1;
    for (int i = 0; i < BUCKET_CACHE_SLOTS; i++) {
        if (cache[i].addr == 0)
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        size_t b = cache[best].len, c = cache[i].len;
        if (b >= len ? (c >= len && c < b) : c > b)
            best = i;
    }
    if (best < 0)
        return false;
    cache_entry_t *e = &cache[best];
    *addr = e->addr;
    if (e->len > len && e->len - len > BUCKET_SMALL_MAX) {
        *got = len;
        *e = (cache_entry_t){e->addr + len, e->len - len, now};
    } else {
        *got = e->len;
        e->addr = 0;
    }
    cache_bytes_set(cache_bytes - *got);
    return true;
}

/* Index of the oldest cached mapping, or -1 when the cache is empty. */
static int cache_oldest_locked(void)
{
    int oldest = -1;
    for (int i = 0; i < BUCKET_CACHE_SLOTS; i++)
        if (cache[i].addr != 0 && (oldest < 0 || cache[i].when < cache[oldest].when))
            oldest = i;
    return oldest;
}

/* Moves the last `cut` bytes of cached mapping i (all of it when cut is its
 * length) out of the cache into out[] for unmapping. */
static void cache_cut_locked(int i, size_t cut, cache_entry_t *out, size_t *n)
{
    cache_entry_t *e = &cache[i];
    out[(*n)++] = (cache_entry_t){e->addr + e->len - cut, cut, e->when};
    e->len -= cut;
    if (e->len == 0)
        e->addr = 0;
    cache_bytes_set(cache_bytes - cut);
}

/* Moves the entries older than the delay into out[] for unmapping. */
static size_t cache_expire_locked(uint64_t now, cache_entry_t *out)
{
    size_t n = 0;
    for (int i = 0; i < BUCKET_CACHE_SLOTS; i++)
        if (cache[i].addr != 0 && now - cache[i].when >= BUCKET_CACHE_DELAY_NS)
            cache_cut_locked(i, cache[i].len, out, &n);
    return n;
}

/* Bytes the cache may hold now: what the large blocks in use leave of their
 * peak, plus the biggest block of 2 MiB or more ever freed, at most
 * BUCKET_CACHE_MAX.  Without that one block, a program whose big buffers
 * come and go near its peak (images, frames) would find each one it frees
 * evicted by the next it maps, and map it again: a whole 2 MiB page to
 * clear per fault, and an munmap that interrupts every other thread
 * (media-pipeline on 2 threads: 21 -> 12-13 ms, mimalloc 10 ms). */
static size_t cache_room_locked(void)
{
    size_t room = peak_bytes - live_bytes + slack_bytes;
    return room < BUCKET_CACHE_MAX ? room : BUCKET_CACHE_MAX;
}

/* Evicts the oldest entries (into out[]) until `extra` more bytes fit in the
 * room and, when `slot` is set, an entry is free.  Returns a free entry's
 * index, or -1 when none was asked for. */
static int cache_evict_locked(size_t extra, bool slot, cache_entry_t *out, size_t *n)
{
    for (;;) {
        int free_i = -1;
        for (int i = 0; i < BUCKET_CACHE_SLOTS && free_i < 0; i++)
            if (cache[i].addr == 0)
                free_i = i;
        if ((free_i >= 0 || !slot) && cache_bytes + extra <= cache_room_locked())
            return free_i;
        int oldest = cache_oldest_locked();
        cache_cut_locked(oldest, cache[oldest].len, out, n);
    }
}

/* Puts a free mapping in the cache, evicting the oldest entries to make room
 * (they land in out[]).  Returns false when it is too big to cache. */
static bool cache_put_locked(uintptr_t addr, size_t len, uint64_t now,
                             cache_entry_t *out, size_t *n)
{
    if (len > cache_room_locked())
        return false;
    int i = cache_evict_locked(len, true, out, n);
    cache[i] = (cache_entry_t){addr, len, now};
    cache_bytes_set(cache_bytes + len);
    return true;
}

static void unmap_all(cache_entry_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        _bucket_os_unmap((void *)list[i].addr, list[i].len);
}

/* Records a new block, and evicts what the cache may no longer hold now that
 * more bytes are in use; on failure the caller unmaps the block. */
static bool record(uintptr_t addr, size_t len)
{
    void *old = NULL;
    size_t old_len = 0, n = 0;
    cache_entry_t out[BUCKET_CACHE_SLOTS];
    ha_lock(&large_lock);
    bool ok = table_reserve(&old, &old_len);
    if (ok) {
        table_put(table, cap, addr, len);
        count++;
        large_stats.live++;
        live_bytes += len;
        if (live_bytes > peak_bytes)
            peak_bytes = live_bytes;
        cache_evict_locked(0, false, out, &n);
    }
    ha_unlock(&large_lock);
    if (old != NULL)
        _bucket_os_unmap(old, old_len);
    unmap_all(out, n);
    return ok;
}

/* Asks for huge pages over a block of len bytes at p (NULL: none) when it
 * spans at least one; returns p. */
static void *advise_huge(void *p, size_t len)
{
    if (p != NULL && len >= BUCKET_HUGE_SIZE)
        _bucket_os_hugepage(p, len);
    return p;
}

/* A fresh mapping of len bytes aligned to align (at least a page).  One of
 * 2 MiB or more starts on a 2 MiB boundary and asks for huge pages, so each
 * whole 2 MiB of it costs one page fault instead of 512 (on a virtual
 * machine a fault can cost 10-25 us).  Only whole 2 MiB parts inside the
 * mapping become huge pages; its tail keeps 4 KiB pages, so a block whose
 * pages are all touched takes no more memory than with small pages. */
static uintptr_t map_block(size_t len, size_t align)
{
    if (len >= BUCKET_HUGE_SIZE && align < BUCKET_HUGE_SIZE)
        align = BUCKET_HUGE_SIZE;
    void *p = _bucket_os_map(len, align > BUCKET_PAGE ? align : BUCKET_PAGE);
    return (uintptr_t)advise_huge(p, len);
}

/* The small blocks' heap grows by `bytes` of fresh pages: BUCKET_SHED_FACTOR
 * times as many cached bytes go back to the kernel, cut from the ends of the
 * oldest mappings, so that the cache shrinks faster than the heap grows and
 * a program whose small and large blocks peak together does not find the
 * cache's pages on top of its peak.  Called once per 64 KiB slot of growth
 * at most; with nothing cached it returns without taking the lock. */
void _bucket_large_shed(size_t bytes)
{
    if (__atomic_load_n(&cache_bytes, __ATOMIC_RELAXED) == 0)
        return;         /* a stale 0 skips one shedding; the cache's delay still applies */
    bytes *= BUCKET_SHED_FACTOR;
    cache_entry_t out[BUCKET_CACHE_SLOTS];
    size_t n = 0;
    ha_lock(&large_lock);
    while (bytes > 0 && cache_bytes > 0) {
        int oldest = cache_oldest_locked();
        size_t cut = bytes < cache[oldest].len ? bytes : cache[oldest].len;
        cache_cut_locked(oldest, cut, out, &n);
        bytes -= cut;
    }
    ha_unlock(&large_lock);
    unmap_all(out, n);
}

/* ---- the backend's large path ---- */

/* Makes a cached mapping of *got bytes at addr fit a request of len bytes:
 * gives back a tail more than a quarter too big (a tail big enough to serve
 * a large request stayed in the cache), grows one that is too small with
 * mremap (its pages move along, so only the new ones fault).  Returns the
 * address, or 0 (the mapping unmapped) when it cannot grow. */
static uintptr_t fit_cached(uintptr_t addr, size_t *got, size_t len)
{
    if (*got >= len) {
        if (*got - len > len / 4) {
            _bucket_os_unmap((void *)(addr + len), *got - len);
            *got = len;
        }
        return addr;
    }
    void *q = advise_huge(_bucket_os_remap((void *)addr, *got, len), len);
    if (q != NULL) {
        *got = len;
        return (uintptr_t)q;
    }
    _bucket_os_unmap((void *)addr, *got);
    *got = len;
    return map_block(len, BUCKET_PAGE);
}

/* A block of `size` bytes aligned to `align` (0 or a power of two), zeroed
 * when asked; NULL with errno = ENOMEM. */
void *_bucket_large_alloc(size_t size, size_t align, bool zero)
{
    if (size > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = (size + BUCKET_PAGE - 1) & ~(size_t)(BUCKET_PAGE - 1);
    uintptr_t addr = 0;
    size_t got = len;
    HA_STAT_INC(large_allocs);
    bool hit = false;
    if (align <= BUCKET_PAGE) {
        uint64_t now = _bucket_now_ns();
        ha_lock(&large_lock);
        hit = cache_take_locked(len, now, &addr, &got);
        large_stats.cache_hits += hit;
        ha_unlock(&large_lock);
    }
    if (!hit) {
        addr = map_block(len, align);
        if (addr == 0) {
            errno = ENOMEM;
            return NULL;
        }
        ha_lock(&large_lock);
        large_stats.maps++;
        ha_unlock(&large_lock);
    } else {
        addr = fit_cached(addr, &got, len);
        if (addr == 0) {
            errno = ENOMEM;
            return NULL;
        }
        if (zero)
            memset((void *)addr, 0, size);
    }
    if (!record(addr, got)) {
        _bucket_os_unmap((void *)addr, got);
        errno = ENOMEM;
        return NULL;
    }
    return (void *)addr;
}

/* Frees a large block; false when p is none (the caller aborts). */
bool _bucket_large_free(void *p)
{
    cache_entry_t out[BUCKET_CACHE_SLOTS + 1];
    size_t n = 0;
    uint64_t now = _bucket_now_ns();
    ha_lock(&large_lock);
    large_entry_t *e = table_find((uintptr_t)p);
    if (e == NULL) {
        ha_unlock(&large_lock);
        return false;
    }
    large_entry_t blk = *e;
    table_remove(e);
    large_stats.live--;
    live_bytes -= blk.len;
    if (blk.len >= BUCKET_HUGE_SIZE && blk.len > slack_bytes)
        slack_bytes = blk.len;
    n = cache_expire_locked(now, out);
    if (cache_put_locked(blk.addr, blk.len, now, out, &n)) {
        if (_bucket_zero_on_free)
            memset((void *)blk.addr, 0, blk.len);
    } else {
        out[n++] = (cache_entry_t){blk.addr, blk.len, now};
    }
    ha_unlock(&large_lock);
    unmap_all(out, n);
    return true;
}

/* Usable bytes of a large block, 0 when p is none. */
size_t _bucket_large_usable(const void *p)
{
    ha_lock(&large_lock);
    large_entry_t *e = table_find((uintptr_t)p);
    size_t len = e != NULL ? e->len : 0;
    ha_unlock(&large_lock);
    return len;
}

/* Resizes a large block to another large size with mremap (moving it when it
 * must); the caller handles sizes that become small.  NULL + ENOMEM leaves p
 * intact. */
void *_bucket_large_realloc(void *p, size_t size)
{
    if (size > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = (size + BUCKET_PAGE - 1) & ~(size_t)(BUCKET_PAGE - 1);
    ha_lock(&large_lock);
    large_entry_t *e = table_find((uintptr_t)p);
    if (e == NULL) {
        ha_unlock(&large_lock);
        _bucket_fail("invalid realloc", p);
    }
    size_t old = e->len;
    if (len == old) {
        ha_unlock(&large_lock);
        return p;
    }
    table_remove(e);
    large_stats.live--;
    live_bytes -= old;
    ha_unlock(&large_lock);
    void *q = advise_huge(_bucket_os_remap(p, old, len), len);
    if (q == NULL) {
        record((uintptr_t)p, old);          /* the slot just freed is still there */
        errno = ENOMEM;
        return NULL;
    }
    if (!record((uintptr_t)q, len)) {
        _bucket_os_unmap(q, len);
        errno = ENOMEM;
        return NULL;
    }
    return q;
}

void _bucket_large_stats(int fd, int json)
{
    ha_lock(&large_lock);
    typeof(large_stats) s = large_stats;
    size_t cached = cache_bytes;
    ha_unlock(&large_lock);
    _bucket_write_u64(fd, "large_maps", s.maps, json, false);
    _bucket_write_u64(fd, "large_cache_hits", s.cache_hits, json, false);
    _bucket_write_u64(fd, "large_live", s.live, json, false);
    _bucket_write_u64(fd, "large_cached_bytes", cached, json, false);
}
