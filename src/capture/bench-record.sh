#!/bin/sh
# bench-record.sh BENCH_DIR [OUT_DIR]: what recording costs, measured side by
# side in one run: untraced, husky (huskytrace record), heaptrack, heaptrack -r
# (record only) and glibc mtrace, on the four reference workloads of
# BENCH_DIR/README.md (synth, py, pl, and `gcc -O2 -c` on the big file, so
# that the driver, cc1 and as are all recorded; heaptrack, which follows no
# exec, runs there under gcc's -wrapper on cc1 and as).  Prints a markdown
# table of medians and ratios; raw times go to OUT_DIR/times.csv.
#
# Environment: HUSKYTRACE (the huskytrace binary), HUSKY_LIB_PATH (where
# libhuskycapture.so is; relative paths are taken from the current folder),
# MTRACER (a library whose constructor calls
# mtrace(), e.g. tests/capture/.libs/libmtracer.so), RUNS (5), MTRACE_RUNS
# (1: mtrace costs 25x to 400x), MTRACE_TIMEOUT (60 s), LONG_OPS (50000000:
# the long synth run that shows the shim's memory stays bounded).
set -eu
LC_ALL=C
export LC_ALL
bench=${1:?usage: bench-record.sh BENCH_DIR [OUT_DIR]}
bench=$(cd "$bench" && pwd)
out=${2:-bench-record-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
runs=${RUNS:-5}
mtrace_runs=${MTRACE_RUNS:-1}
mtrace_timeout=${MTRACE_TIMEOUT:-60}
long_ops=${LONG_OPS:-50000000}
# abs PATH: PATH made absolute when it names a file relative to here (the
# runs happen in OUT_DIR/work); a bare command name is left to $PATH
abs() {
    case $1 in
    /* | "") echo "$1" ;;
    */*) echo "$(pwd)/$1" ;;
    *) echo "$1" ;;
    esac
}
huskytrace=$(abs "${HUSKYTRACE:-huskytrace}")
mtracer=$(abs "${MTRACER:-}")
if [ -n "${HUSKY_LIB_PATH:-}" ]; then
    _lp=""
    _ifs=$IFS
    IFS=:
    for _d in $HUSKY_LIB_PATH; do
        case $_d in /*) ;; *) _d=$(pwd)/$_d ;; esac
        _lp=${_lp:+$_lp:}$_d
    done
    IFS=$_ifs
    HUSKY_LIB_PATH=$_lp
    export HUSKY_LIB_PATH
fi
debug=""
for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
    [ -e "$d/libc_malloc_debug.so.0" ] && debug=$d/libc_malloc_debug.so.0 && break
done
work=$out/work
mkdir -p "$work"
cd "$work"
gcc -O2 -pthread "$bench/synth.c" -o synth
sh "$bench/gen_big_c.sh" 300 >big.c
python=/usr/bin/python3

# cmd WORKLOAD: the command line of a workload
cmd() {
    case $1 in
    synth) echo "./synth 2 5000000 4096 1" ;;
    py) echo "$python $bench/py_work.py 200" ;;
    pl) echo "perl $bench/pl_work.pl 100" ;;
    gcc) echo "gcc -O2 -c big.c -o big.o" ;;
    esac
}

# run TRACER WORKLOAD DIR: runs the workload under a tracer and prints
# "WALL CPU" in seconds (CPU = user + system of every process involved,
# which is what a loaded machine distorts least).  Wall time comes from
# date(1) in ns: time(1) gives 10 ms steps, 5% of a 0.2 s synth run.
run() {
    _c=$(cmd "$2")
    # in the environment, not through env(1): heaptrack traces only the
    # process it starts, not what that one execs
    if [ "$2" = py ]; then PYTHONMALLOC=malloc; export PYTHONMALLOC
    else unset PYTHONMALLOC; fi
    rm -rf "$3"; mkdir -p "$3"
    _time="/usr/bin/time -o $3.time -f %e_%U_%S"
    _rc=0
    _start=$(date +%s%N)
    case $1 in
    none) $_time $_c >/dev/null 2>&1 || _rc=$? ;;
    husky) $_time "$huskytrace" record -q -o "$3" -- $_c >/dev/null 2>&1 || _rc=$? ;;
    heaptrack | heaptrack-r)
        _r=""
        [ "$1" = heaptrack-r ] && _r=-r
        if [ "$2" = gcc ]; then
            # heaptrack records only the process it starts: gcc's -wrapper
            # starts cc1 and as under it, so that it records what husky
            # records (all but the driver's few calls); each writes its
            # own heaptrack.NAME.PID file in the folder it runs in (-o
            # would give both one name: 1.4 does not expand %p with -r)
            (cd "$3" && $_time gcc -wrapper "heaptrack${_r:+,$_r}" -O2 -c "$work/big.c" \
                -o "$work/big.o" >/dev/null 2>&1) || _rc=$?
        else
            $_time heaptrack $_r -o "$3/ht" $_c >/dev/null 2>&1 || _rc=$?
        fi ;;
    mtrace) $_time timeout "$mtrace_timeout" env LD_PRELOAD="$debug:$mtracer" \
                MALLOC_TRACE="$3/log" $_c >/dev/null 2>&1 || _rc=$? ;;
    esac
    _end=$(date +%s%N)
    if [ "$_rc" -eq 124 ]; then
        echo ">$mtrace_timeout >$mtrace_timeout"
    else
        tail -n 1 "$3.time" | tr _ ' ' |
            awk -v ns=$((_end - _start)) '{ printf "%.3f %.3f\n", ns / 1e9, $2 + $3 }'
    fi
}

# which tracers run, how often, on what
tracers="none husky"
command -v heaptrack >/dev/null 2>&1 && tracers="$tracers heaptrack heaptrack-r"
[ -n "$debug" ] && [ -n "$mtracer" ] && [ -f "$mtracer" ] && tracers="$tracers mtrace"

echo "workload,tracer,run,wall_s,cpu_s" >"$out/times.csv"
for r in $(seq 1 "$runs"); do
    for w in synth py pl gcc; do
        for t in $tracers; do
            [ "$t" = mtrace ] && [ "$r" -gt "$mtrace_runs" ] && continue
            s=$(run "$t" "$w" "$work/$t-$w")
            echo "$w,$t,$r,$(echo "$s" | tr ' ' ',')" >>"$out/times.csv"
            echo "# run $r $w $t: wall, cpu $s s" >&2
        done
    done
done

# median WORKLOAD TRACER COLUMN (4 wall, 5 cpu)
median() {
    awk -F, -v w="$1" -v t="$2" -v c="$3" '$1 == w && $2 == t { print $c }' "$out/times.csv" |
        sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

# ratio MEDIAN BASE: "1.23x (4.5 s)", "> 60 s (> 40x)" or "skipped"
ratio() {
    case $1 in
    -) echo "skipped" ;;
    ">"*) echo "$1 $2" | tr -d '>' | awk '{ printf "> %s s (> %.0fx)", $1, $1 / $2 }' ;;
    *) echo "$1 $2" | awk '{ printf "%.2fx (%s s)", $1 / $2, $1 }' ;;
    esac
}

# events and bytes per event of the last husky run of each workload
husky_size() {
    if [ "$1" = py ]; then PYTHONMALLOC=malloc; export PYTHONMALLOC
    else unset PYTHONMALLOC; fi
    "$huskytrace" record -o "$work/size-$1" -- $(cmd "$1") 2>&1 >/dev/null |
        awk '/events,/ { e += $5; b += $9 } END { printf "%d %.1f\n", e, e ? b / e : 0 }' \
            FS='[ ,]+'
}

for col in 4 5; do
    [ "$col" = 4 ] && what="wall time" || what="CPU time (user + system, all processes)"
    echo
    echo "$what, median of $runs (mtrace: $mtrace_runs), traced / untraced:"
    echo
    echo "| workload | untraced s | husky | heaptrack | heaptrack -r | mtrace |"
    echo "|---|---|---|---|---|---|"
    for w in synth py pl gcc; do
        base=$(median "$w" none "$col")
        line="| $w | $base"
        for t in husky heaptrack heaptrack-r mtrace; do
            line="$line | $(ratio "$(median "$w" "$t" "$col")" "$base")"
        done
        echo "$line |"
    done
done

echo
echo "| workload | events (husky) | husky bytes/event | heaptrack -r bytes/event |"
echo "|---|---|---|---|"
for w in synth py pl gcc; do
    set -- $(husky_size "$w")
    hr=$(cat "$work/heaptrack-r-$w"/* 2>/dev/null | wc -c)
    echo "| $w | $1 | $2 | $(echo "$hr $1" | awk '{ printf "%.1f", $2 ? $1 / $2 : 0 }') |"
done

# the shim's memory: peak RSS of synth untraced and traced (the shim
# preloaded directly, so that only synth's RSS is measured), at 5 M and at
# LONG_OPS operations per thread
shim=""
for d in $(echo "${HUSKY_LIB_PATH:-}" | tr ':' ' '); do
    [ -f "$d/libhuskycapture.so" ] && shim=$d/libhuskycapture.so && break
done
if [ -n "$shim" ]; then
    echo
    echo "| synth ops per thread | peak RSS untraced KB | peak RSS traced KB | trace MB |"
    echo "|---|---|---|---|"
    for ops in 5000000 "$long_ops"; do
        plain=$( { /usr/bin/time -f %M ./synth 2 "$ops" 4096 1 >/dev/null; } 2>&1 | tail -n 1)
        rm -rf "$work/long"; mkdir "$work/long"
        traced=$( { HUSKY_TRACE_DIR="$work/long" LD_PRELOAD="$shim" \
            /usr/bin/time -f %M ./synth 2 "$ops" 4096 1 >/dev/null; } 2>&1 | tail -n 1)
        echo "| $ops | $plain | $traced | $(du -m "$work/long" | cut -f1) |"
    done
fi
