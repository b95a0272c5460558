#!/bin/sh
# bench.sh: what `make bench` runs (from the build tree, tools on PATH):
# every huskygen workload at 1, 2, 4 and 8 threads (workloads that need two
# threads start at 2) and the recorded real programs, each replayed against
# every installed allocator with -n RUNS (default 5).  Writes
#   OUT/results.csv   threads,<huskyreplay's summary.csv columns>  (all runs)
#   OUT/scaling.csv   workload,allocator,threads,ops_per_s
#   OUT/summary.csv, rss.csv, latency.csv   the 2-thread runs and the recorded
#                     programs, for the charts
#   OUT/sim.csv       huskysim on the same traces
# and prints progress.  Usage: sh bench.sh SRCDIR OUT
# BENCH_THREADS, BENCH_RUNS, BENCH_OPS and BENCH_WORKLOADS override defaults.
set -eu
[ $# -eq 2 ] || { echo "usage: bench.sh SRCDIR OUT" >&2; exit 2; }
src=$1
out=$2
threads=${BENCH_THREADS:-1 2 4 8}
runs=${BENCH_RUNS:-5}
ops=${BENCH_OPS:-200000}
workloads=${BENCH_WORKLOADS:-seed004-ints seed001-frag media-pipeline server producer-consumer random-mix realloc-grow false-sharing}
chart_threads=2
. "$src/workloads/allocators.sh"
command -v huskyreplay >/dev/null 2>&1 || { echo "bench: huskyreplay is not built" >&2; exit 1; }
allocs=$(husky_allocators)

rm -rf "$out"
mkdir -p "$out/traces" "$out/runs"

# ---- the traces: name threads-label path ----
: > "$out/jobs"
for w in $workloads; do
    min=$(huskygen --list | awk -v w="$w" '$1 == w { sub("threads>=", "", $2); print $2 }')
    n=$ops
    # media-pipeline: each allocation is 100 KiB-8 MiB of touched pages
    [ "$w" = media-pipeline ] && n=$((ops / 1000))
    for t in $threads; do
        [ "$t" -ge "${min:-1}" ] || continue
        huskygen "$w" --threads "$t" --ops "$n" --seed 1 -q -o "$out/traces/$w-t$t.htr"
        echo "$w $t $out/traces/$w-t$t.htr" >> "$out/jobs"
    done
done
if huskytrace record --help >/dev/null 2>&1; then
    for r in python gcc perl; do
        if sh "$src/workloads/recipes/record.sh" "$r" "$out/rec-$r" >/dev/null; then
            # its busiest process (cc1 for gcc) stands for the recording
            cp "$(ls -S "$out/rec-$r"/*.htr | head -n 1)" "$out/traces/$r.htr"
            echo "$r rec $out/traces/$r.htr" >> "$out/jobs"
        else
            echo "bench: note: could not record $r"
        fi
    done
else
    echo "bench: note: huskytrace record is not available: synthetic workloads only"
fi

# ---- replay, one trace at a time so that progress shows ----
total=$(wc -l < "$out/jobs")
k=0
start=$(date +%s)
while read -r name t path; do
    k=$((k + 1))
    echo "bench: [$k/$total] $name, threads: $t, $allocs, $runs runs ($(($(date +%s) - start)) s so far)"
    d="$out/runs/$name-t$t"
    mkdir -p "$d"
    huskyreplay -a "$allocs" -n "$runs" --timeout 300 --no-draw --plot "$d" "$path" \
        > "$d/replay.txt" 2> "$d/replay.err" ||
        echo "bench: note: huskyreplay reported failures for $name (see $d/replay.err)"
done < "$out/jobs"

# ---- merge ----
# merge FILE PREFIX-FIELD-NAME FILTER: concatenates runs/*/FILE
merge() {
    _f=$1; _sel=$2; _first=1
    while read -r name t path; do
        _in="$out/runs/$name-t$t/$_f"
        [ -f "$_in" ] || continue
        case $_sel in
            all) awk -v t="$t" -v h="$_first" -F, 'NR == 1 { if (h) print "threads," $0; next }
                     { print t "," $0 }' "$_in" ;;
            chart) [ "$t" = "$chart_threads" ] || [ "$t" = rec ] || continue
                awk -v h="$_first" 'NR == 1 && !h { next } { print }' "$_in" ;;
        esac
        _first=0
    done < "$out/jobs"
}
merge summary.csv all > "$out/results.csv"
merge summary.csv chart > "$out/summary.csv"
merge rss.csv chart > "$out/rss.csv"
merge latency.csv chart > "$out/latency.csv"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) ix[$i] = i
                   print "workload,allocator,threads,ops_per_s"; next }
         $1 != "rec" && $(ix["status"]) == "ok" {
             w = $(ix["trace"]); sub(/.*\//, "", w); sub(/\.htr$/, "", w)
             sub(/-t[0-9]+$/, "", w)
             print w "," $(ix["allocator"]) "," $1 "," $(ix["ops_per_s"]) }' \
    "$out/results.csv" > "$out/scaling.csv"
for f in summary rss latency; do
    [ -s "$out/$f.csv" ] || rm -f "$out/$f.csv"
done
if command -v huskysim >/dev/null 2>&1; then
    echo "bench: simulating the placement policies"
    sim_in=$(awk -v c="$chart_threads" '$2 == c || $2 == "rec" { print $3 }' "$out/jobs")
    # shellcheck disable=SC2086
    huskysim --no-draw --plot "$out" $sim_in > "$out/sim.txt" 2> "$out/sim.err" ||
        echo "bench: note: huskysim reported failures (see $out/sim.err)"
fi
echo "bench: done in $(($(date +%s) - start)) s: $out/results.csv, $out/scaling.csv"
