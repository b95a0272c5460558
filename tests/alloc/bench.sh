#!/bin/sh
# tests/alloc/bench.sh NAME [RUNS]: the allocator benchmarks of
# docs/benchmarks/NAME.md, glibc and libhusky-NAME.so in the same run,
# alternating, RUNS (5) times; prints medians.  Not a test: run it by hand
# from the build tree after `make check` built the programs:
#     top_srcdir=.. HUSKY_LIB_PATH=src/alloc/NAME/.libs sh tests/alloc/bench.sh NAME
set -eu
name=$1
runs=${2:-5}
b=${top_builddir:-.}/tests/alloc
lib=""
for d in $(echo "${HUSKY_LIB_PATH:-}" | tr ':' ' '); do
    [ -f "$d/libhusky-$name.so" ] && lib="$d/libhusky-$name.so" && break
done
[ -n "$lib" ] || { echo "bench.sh: libhusky-$name.so not on HUSKY_LIB_PATH" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "## seed 004: n int mallocs then n frees (median of $runs runs, each the median of 5)"
for i in $(seq "$runs"); do
    "$b/seed004-bench" 5 >>"$tmp/glibc.s4"
    LD_PRELOAD=$lib "$b/seed004-bench" 5 >>"$tmp/husky.s4"
done
printf '%8s %12s %12s %7s\n' n glibc_s "${name}_s" ratio
for n in 100 1000 10000 100000; do
    g=$(awk -v n=$n '$1 == n { print $2 }' "$tmp/glibc.s4" | median)
    h=$(awk -v n=$n '$1 == n { print $2 }' "$tmp/husky.s4" | median)
    printf '%8s %12s %12s %7.2f\n' $n "$g" "$h" "$(echo "$h $g" | awk '{ print $1 / $2 }')"
done

ops=${BENCH_OPS:-1000000}
echo "## threads: $ops steps per thread, ops/s (median of $runs)"
for i in $(seq "$runs"); do
    for t in 1 2; do
        "$b/threads-bench" $t "$ops" | awk '{ print $4 }' >>"$tmp/glibc.t$t"
        LD_PRELOAD=$lib "$b/threads-bench" $t "$ops" | awk '{ print $4 }' >>"$tmp/husky.t$t"
        HUSKY_ARENAS=1 LD_PRELOAD=$lib "$b/threads-bench" $t "$ops" | awk '{ print $4 }' \
            >>"$tmp/one.t$t"
    done
done
printf '%-22s %12s %12s %9s\n' allocator 1_thread 2_threads speedup
for k in glibc husky one; do
    t1=$(median <"$tmp/$k.t1"); t2=$(median <"$tmp/$k.t2")
    label=$k; [ $k = husky ] && label="$name"; [ $k = one ] && label="$name HUSKY_ARENAS=1"
    printf '%-22s %12s %12s %9.2f\n' "$label" "$t1" "$t2" "$(echo "$t2 $t1" | awk '{ print $1 / $2 }')"
done
