#!/bin/sh
# tests/fuzz/run-fuzz.sh: runs libFuzzer harnesses for `make fuzz`.
#   run-fuzz.sh SECONDS WORKDIR SRCDIR NAME...
# For each NAME it first replays the committed seeds and the regression
# inputs of that harness (SRCDIR/tests/fuzz/corpus/NAME/*,
# SRCDIR/tests/fuzz/regress/NAME-*), then fuzzes for SECONDS with a working
# corpus in WORKDIR/corpus/NAME (kept between runs) and crash, leak and
# timeout inputs saved as WORKDIR/crashes/NAME-*.  It prints one line per
# harness with its executions, and exits 1 if any harness found something.
set -u
[ $# -ge 4 ] || { echo "usage: run-fuzz.sh SECONDS WORKDIR SRCDIR NAME..." >&2; exit 2; }
secs=$1 work=$2 src=$3
shift 3
status=0

# replay_inputs NAME: runs harness NAME once on each of its seeds and
# regression inputs; nseed is set to their count.
replay_inputs() {
    _h=tests/fuzz/fuzz_$1
    nseed=0
    set -- "$src/tests/fuzz/corpus/$1"/* "$src/tests/fuzz/regress/$1"-*
    for _f in "$@"; do
        shift
        [ -f "$_f" ] && { set -- "$@" "$_f"; nseed=$((nseed + 1)); }
    done
    [ "$nseed" -eq 0 ] || "$_h" -close_fd_mask=3 "$@"
}

mkdir -p "$work/crashes" || exit 1
for name in "$@"; do
    bin=tests/fuzz/fuzz_$name
    log=$work/$name.log
    mkdir -p "$work/corpus/$name" || exit 1
    # the seeds and every regression input run once each
    if ! replay_inputs "$name" >"$log" 2>&1; then
        echo "fuzz_$name: FAILED on a seed or regression input (see $log)"
        tail -n 30 "$log"
        status=1
        continue
    fi
    # then fuzz: new inputs go to the working corpus, the seeds are read only
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="$work/crashes/$name-" \
        "$work/corpus/$name" "$src/tests/fuzz/corpus/$name" >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log")
        size=$(ls "$work/corpus/$name" | wc -l)
        echo "fuzz_$name: ${runs:-? executions}, $nseed seed/regression inputs," \
             "working corpus $size files"
    else
        echo "fuzz_$name: FAILED (inputs saved as $work/crashes/$name-*; log $log)"
        grep -E '^(==[0-9]+==|SUMMARY|.*ERROR|artifact_prefix|Test unit written)' "$log" |
            head -n 20
        status=1
    fi
done
exit $status
