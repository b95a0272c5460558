#!/bin/sh
# bench-replay.sh: the figures of docs/benchmarks/replay.md.  Run from a
# built tree after `make check` (which builds mkhtr and the test allocators):
#   sh tests/replay/bench-replay.sh [WORKDIR]
# 1. the replayer's own speed: a 10 M-event single-threaded trace under the
#    bump allocator with --touch=none (the allocator costs next to nothing),
#    next to mimalloc and glibc in the same run, medians of 5;
# 2. repeatability: a 4-thread trace with ~41 MiB live, glibc (and the
#    others) 5 times each;
# 3. the replayer's own memory on a 100 M-event trace (worker_maxrss_kb).
set -eu
b=$(cd "$(dirname "$0")/../.." && pwd)
w=${1:-${TMPDIR:-/tmp}/husky-bench-replay}
mkdir -p "$w"
export HUSKY_LIBEXEC_PATH=$b/replay HUSKY_LIB_PATH=$b/tests/replay/.libs
bump=$b/tests/replay/.libs/libreplay-bump.so
hr=$b/replay/huskyreplay
mk=$b/tests/replay/mkhtr
# columns: allocator, wall_s (median), ops_per_s, user_s, sys_s, peak_rss_kb
show() { cut -d, -f2,5,8,9,10,12 "$1"; }

lscpu | grep 'Model name' || true
echo "cpus: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"

[ -f "$w/speed.htr" ] || "$mk" --synth 5000000 "$w/speed.htr" 1
"$hr" -q -n 5 --touch=none -a "bump=$bump,mimalloc,glibc" --csv "$w/speed.csv" "$w/speed.htr"
echo "== speed: 10 M events, 1 thread, --touch=none"; show "$w/speed.csv"

[ -f "$w/rep.htr" ] || "$mk" --synth 2000000 "$w/rep.htr" 4 20000
"$hr" -q -n 5 --json "$w/rep.json" --csv "$w/rep.csv" "$w/rep.htr"
echo "== repeatability: 4 M events, 4 threads, 41 MiB live (min/median/max of wall in the json)"
show "$w/rep.csv"
# min / median / max of each allocator's runs (needs /usr/bin/python3)
[ -x /usr/bin/python3 ] && /usr/bin/python3 - "$w/rep.json" <<'PY'
import json, statistics as st, sys
for a in json.load(open(sys.argv[1]))["traces"][0]["allocators"]:
    w = sorted(r["wall_s"] for r in a["runs"]); p = sorted(r["peak_rss_kb"] for r in a["runs"])
    m, pm = st.median(w), st.median(p)
    print("%-9s wall %.3f/%.3f/%.3f s (%+.0f%%/%+.0f%%)  peak %d/%d/%d KiB (%+.1f%%/%+.1f%%)" % (
        a["allocator"], w[0], m, w[-1], 100 * (w[0] - m) / m, 100 * (w[-1] - m) / m,
        p[0], pm, p[-1], 100 * (p[0] - pm) / pm, 100 * (p[-1] - pm) / pm))
PY

if [ "${BIG:-1}" != 0 ]; then
    [ -f "$w/big.htr" ] || "$mk" --synth 50000000 "$w/big.htr" 4 1000
    "$hr" -q -a "glibc,bump=$bump" --touch=none --json "$w/big.json" --csv "$w/big.csv" \
        "$w/big.htr"
    echo "== 100 M events, 4 threads: the worker's whole peak RSS (KiB)"
    show "$w/big.csv"
    grep -o '"worker_maxrss_kb":[0-9]*' "$w/big.json"
    ls -l "$w/big.htr" "$w/big.htr.plan"
fi
