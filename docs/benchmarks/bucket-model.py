#!/usr/bin/python3
"""bucket-model.py: a model of bucket's page use on a single-threaded trace.

Not part of the build: the analysis behind docs/benchmarks/bucket-2026-11-24.md
("How far giving pages back could go").  It reads `huskytrace dump` output and
places every block as bucket does: the class table of size_class.c, spans of
one 64 KiB slot (or SPAN_KIB) cut into equal blocks, the lowest free block of
the class's current span first, a span that runs out replaced by the last one
that got a free block back, solo spans above 8 KiB, freed spans kept resident
for reuse (the lowest first) within the free-slot reserve of segment.c, large
blocks (above 128 KiB) mapped and unmapped.  Pages become resident when a block
covering them is allocated (what huskyreplay's default --touch=page does).

It prints the peak of resident pages (what the model says bucket holds) and
the peak of pages that hold at least one live block: the least any way of
giving free pages back could reach with this placement and class table.

    huskytrace dump TRACE | bucket-model.py [SPAN_KIB]
"""
import re
import sys

SPAN = int(sys.argv[1]) * 1024 if len(sys.argv) > 1 else 65536
SLOT = 65536
PAGE = 4096
RESERVE_SLOTS, RESERVE_SHARE = 16, 8          # segment.c's free-slot reserve
SIZES = [16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
         512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584,
         4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384, 20480,
         24576, 28672, 32768, 40960, 49152, 57344, 65536, 81920, 98304,
         114688, 131072]
SOLO_ABOVE = 8192


def class_of(n):
    for i, s in enumerate(SIZES):
        if n <= s:
            return i
    return None


class Span:
    def __init__(self, unit, units, cls):
        self.unit, self.units, self.cls = unit, units, cls
        self.size = SIZES[cls]
        self.cap = 1 if self.size > SOLO_ABOVE else SPAN // self.size
        self.free = set(range(self.cap))
        self.base = unit * SPAN


class Model:
    def __init__(self):
        self.resident = set()       # resident pages
        self.live_pages = {}        # page -> live blocks on it
        self.large_pages = 0
        self.free_units = set()     # units of address space given back by spans
        self.dirty = {}             # free unit -> time it was freed (pages resident)
        self.next_unit = 0
        self.used_units = 0
        self.cur, self.partial = {}, {}
        self.clock = 0
        self.peak = self.live_peak = 0

    def take_units(self, n):
        def run(u, pool):
            return all(u + k in pool for k in range(n))
        start = next((u for u in sorted(self.dirty) if run(u, self.dirty)), None)
        if start is None:
            clean = self.free_units - set(self.dirty)
            start = next((u for u in sorted(clean) if run(u, clean)), None)
        if start is None:
            start = self.next_unit
            self.next_unit += n
            self.free_units.update(range(start, start + n))
        for k in range(n):
            self.free_units.discard(start + k)
            self.dirty.pop(start + k, None)
        self.used_units += n
        return start

    def unit_pages(self, u):
        return range(u * SPAN // PAGE, (u + 1) * SPAN // PAGE)

    def release_units(self, u, n):
        self.used_units -= n
        for k in range(n):
            self.free_units.add(u + k)
            self.dirty[u + k] = self.clock
        limit = (RESERVE_SLOTS + self.used_units * SPAN // SLOT // RESERVE_SHARE) * (SLOT // PAGE)
        held = {x: sum(p in self.resident for p in self.unit_pages(x)) for x in self.dirty}
        total = sum(held.values())
        if total <= limit:
            return
        for x in sorted(self.dirty, key=self.dirty.get):     # oldest first, down to half
            if total <= limit // 2:
                break
            self.resident.difference_update(self.unit_pages(x))
            total -= held[x]
            del self.dirty[x]

    def pages(self, addr, size):
        return range(addr // PAGE, (addr + size - 1) // PAGE + 1)

    def alloc(self, n):
        c = class_of(n)
        if c is None:
            pages = (n + PAGE - 1) // PAGE
            self.large_pages += pages
            return ('large', pages)
        s = self.cur.get(c)
        if s is None or not s.free:
            waiting = self.partial.setdefault(c, [])
            if waiting:
                s = waiting.pop()
            else:
                size = SIZES[c]
                units = (size + SPAN - 1) // SPAN if size > SOLO_ABOVE else 1
                s = Span(self.take_units(units), units, c)
            self.cur[c] = s
        i = min(s.free)
        s.free.discard(i)
        addr = s.base + i * s.size
        self.resident.update(self.pages(addr, max(1, min(n, s.size))))
        for p in self.pages(addr, s.size):
            self.live_pages[p] = self.live_pages.get(p, 0) + 1
        return (s, i)

    def free(self, handle):
        s, i = handle
        if s == 'large':
            self.large_pages -= i
            return
        s.free.add(i)
        for p in self.pages(s.base + i * s.size, s.size):
            self.live_pages[p] -= 1
            if self.live_pages[p] == 0:
                del self.live_pages[p]
        waiting = self.partial.setdefault(s.cls, [])
        if s is self.cur.get(s.cls):
            if s.cap == 1:                      # a solo span goes back at once
                self.cur[s.cls] = None
                self.release_units(s.unit, s.units)
            return
        if len(s.free) == s.cap:
            if s in waiting:
                waiting.remove(s)
            self.release_units(s.unit, s.units)
        elif len(s.free) == 1:
            waiting.append(s)

    def sample(self):
        self.peak = max(self.peak, len(self.resident) + self.large_pages)
        self.live_peak = max(self.live_peak, len(self.live_pages) + self.large_pages)


def main():
    m = Model()
    live = {}
    field = re.compile(r'(\w+)=(\S+)')
    acquire = ('malloc', 'calloc', 'memalign', 'aligned_alloc', 'posix_memalign',
               'valloc', 'pvalloc')
    for line in sys.stdin:
        if line.startswith('#'):
            continue
        op = line.split()[3]
        m.clock += 1
        kv = dict(field.findall(line))
        result = line.split('-> ')[1].split()[0] if '-> ' in line else None
        if op in acquire:
            n = int(kv['size']) * (int(kv['count']) if op == 'calloc' else 1)
            if result and result != '0x0':
                live[result] = m.alloc(n)
        elif op == 'free':
            h = live.pop(kv['ptr'], None)
            if h:
                m.free(h)
        elif op in ('realloc', 'reallocarray'):
            n = int(kv['size']) * (int(kv['count']) if op == 'reallocarray' else 1)
            h = live.pop(kv['ptr'], None)
            if h and h[0] != 'large' and class_of(n) == h[0].cls:
                live[result] = h                # same class: in place
            else:
                new = m.alloc(n) if n else None
                if h:
                    m.free(h)
                if result and result != '0x0' and new:
                    live[result] = new
        m.sample()
    print('spans of %d KiB: peak %d KiB resident, %d KiB in pages holding a live block'
          % (SPAN // 1024, m.peak * 4, m.live_peak * 4))


main()
