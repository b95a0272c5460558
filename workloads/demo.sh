#!/bin/sh
# demo.sh: what `make demo` runs (from the build tree, with the tools on
# PATH and HUSKY_LIB_PATH set the way the tests set them):
#   1. records a few real programs on this machine (recipes/record.sh), or
#      falls back to the sample traces shipped in workloads/samples,
#   2. generates synthetic workloads with huskygen,
#   3. replays every trace against every allocator that is installed,
#   4. simulates the placement policies with huskysim,
# and leaves the CSV files in OUT for `make charts DIR=OUT` (the charts and
# OUT/report.html).  A missing optional part costs a one-line note, not the
# demo.  Usage: sh demo.sh SRCDIR OUT
set -eu
[ $# -eq 2 ] || { echo "usage: demo.sh SRCDIR OUT" >&2; exit 2; }
src=$1
out=$2
runs=${DEMO_RUNS:-3}
note() { echo "demo: note: $*"; }
step() { echo "demo: $*"; }

rm -rf "$out"
mkdir -p "$out/traces"
: > "$out/notes.txt"

# ---- 1. real programs ----
recorded=0
if huskytrace record --help >/dev/null 2>&1; then
    for r in python gcc perl; do
        step "recording $r: $(sh "$src/workloads/recipes/record.sh" list | sed -n "s/^$r  *//p")"
        if sh "$src/workloads/recipes/record.sh" "$r" "$out/rec-$r" >/dev/null; then
            # the process that made the most calls (cc1 for gcc) stands for
            # the recording; the others are a few hundred calls each
            big=$(ls -S "$out/rec-$r"/*.htr | head -n 1)
            cp "$big" "$out/traces/$r.htr"
            recorded=$((recorded + 1))
            nproc_r=$(ls "$out/rec-$r" | grep -c '\.htr$')
            desc=$(sh "$src/workloads/recipes/record.sh" list | sed -n "s/^$r  *//p")
            echo "Recorded on this machine: $r, $desc (its busiest of $nproc_r processes)." \
                >> "$out/notes.txt"
        else
            note "could not record $r; going on without it"
        fi
    done
else
    note "huskytrace record is not available: using the shipped sample traces"
fi
if [ "$recorded" -eq 0 ]; then
    for s in "$src"/workloads/samples/*.htr; do
        [ -f "$s" ] || continue
        cp "$s" "$out/traces/"
        echo "Sample trace shipped with husky: $(basename "$s" .htr)." >> "$out/notes.txt"
    done
fi

# ---- 2. synthetic workloads ----
# name threads ops: sized so that the whole demo stays within minutes
for w in "server 4 200000" "producer-consumer 4 100000" "media-pipeline 3 80" \
         "random-mix 2 150000" "realloc-grow 2 100000" "seed001-frag 1 40000"; do
    set -- $w
    th="$2 threads"; [ "$2" = 1 ] && th="1 thread"
    step "generating $1 ($th, $3 allocations)"
    huskygen "$1" --threads "$2" --ops "$3" --seed 1 -q -o "$out/traces/$1.htr"
    echo "Synthetic (huskygen): $1, $th, $3 allocations." >> "$out/notes.txt"
done

# ---- 3. replay ----
. "$src/workloads/allocators.sh"
allocs=$(husky_allocators)
if command -v huskyreplay >/dev/null 2>&1; then
    step "replaying $(ls "$out/traces" | wc -l) traces against $allocs ($runs runs each)"
    huskyreplay -a "$allocs" -n "$runs" --timeout 120 --no-draw --plot "$out" "$out"/traces/*.htr \
        > "$out/replay.txt" 2> "$out/replay.err" ||
        note "huskyreplay reported failures (see $out/replay.err)"
else
    note "huskyreplay is not built: no replay"
fi

# ---- 4. simulation ----
if command -v huskysim >/dev/null 2>&1; then
    step "simulating the placement policies"
    huskysim --no-draw --plot "$out" "$out"/traces/*.htr > "$out/sim.txt" 2> "$out/sim.err" ||
        note "huskysim reported failures (see $out/sim.err)"
else
    note "huskysim is not built: no simulation"
fi
