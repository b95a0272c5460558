# py_job.py: a fixed, deterministic Python job for husky's recording recipes:
# builds records, serialises them to JSON and back, indexes and sorts them,
# and formats a report, so that the interpreter allocates objects of many
# sizes and lifetimes.  Usage: python3 py_job.py [ROUNDS]
import json
import sys


def make_records(n, seed):
    recs = []
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        recs.append({
            "id": i,
            "name": "item-%d-%x" % (i, x),
            "tags": ["t%d" % (x % (k + 3)) for k in range(x % 6)],
            "score": (x % 1000) / 7.0,
        })
    return recs


def one_round(r):
    recs = make_records(2000, r + 1)
    text = json.dumps(recs)
    back = json.loads(text)
    by_tag = {}
    for rec in back:
        for t in rec["tags"]:
            by_tag.setdefault(t, []).append(rec["id"])
    best = sorted(back, key=lambda rec: (-rec["score"], rec["name"]))[:50]
    lines = ["%s %.2f" % (rec["name"], rec["score"]) for rec in best]
    return len(text) + len(by_tag) + len("\n".join(lines))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    total = 0
    for r in range(rounds):
        total += one_round(r)
    print("py_job: %d rounds, checksum %d" % (rounds, total))


main()
