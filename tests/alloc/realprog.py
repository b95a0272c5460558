# tests/alloc/realprog.py: a deterministic Python workload for realprog.sh
# (used when the python3 test suite is not installed).  It exercises the
# allocator through dicts, lists, strings, json, regular expressions,
# sorting, and threads handing objects to each other; its output must not
# depend on the allocator.
import json
import queue
import re
import threading

d = {}
for i in range(100000):
    d["key%d" % i] = [i, str(i) * (i % 7), {"n": i % 13}]
print(len(d), sum(v[0] for v in d.values()))

lst = [str(i * 2654435761 % 1000003) for i in range(200000)]
lst.sort()
print(lst[:3], lst[-3:])

blob = json.dumps(d)
back = json.loads(blob)
print(len(blob), back["key777"])

words = re.findall(r"[a-z]+\d+", blob[:2000000])
print(len(words), words[:3])

grow = []
for i in range(20000):
    grow.append(bytearray(i % 5000))
    if i % 3 == 0:
        grow[i // 2] = None
print(sum(len(b) for b in grow if b is not None))

q = queue.Queue()
results = []


def producer(n):
    for i in range(n):
        q.put({"i": i, "s": "x" * (i % 300)})
    q.put(None)


def consumer():
    total = 0
    while True:
        item = q.get()
        if item is None:
            break
        total += item["i"] + len(item["s"])
    results.append(total)


threads = [threading.Thread(target=producer, args=(50000,)),
           threading.Thread(target=consumer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(results)
