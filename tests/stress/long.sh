#!/bin/sh
# tests/stress/long.sh: `make stress` (and CI's .ci/extra.d/stress.sh): the
# long version of tests/stress, with a summary at the end.  Exits 1 when any
# part fails.
#
# Environment (make passes its variables of the same names):
#   STRESS_SECONDS  seconds per husky allocator (default 300; glibc, the
#                   control, gets a third of it)
#   STRESS_THREADS  worker threads (default 16)
#   STRESS_SEED     the stress program's seed (default: from the clock, printed)
#   STRESS_PARTS    what to run, among "stress tsan programs" (default: all)
#   TSAN_SECONDS, TSAN_THREADS   the TSan run (default STRESS_SECONDS / 10, 8)
# top_srcdir, top_builddir and HUSKY_LIB_PATH come from the Makefile's
# AM_TESTS_ENVIRONMENT, as for the tests.
set -u
: "${top_srcdir:?run me through make stress}"
seconds=${STRESS_SECONDS:-300}
threads=${STRESS_THREADS:-16}
seed=${STRESS_SEED:-$(date +%s)}
parts=${STRESS_PARTS:-stress tsan programs}
here=$top_srcdir/tests/stress
out=$(mktemp -d "${TMPDIR:-/tmp}/husky-stress.XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0
summary=

# verdict FILE RC: sets V to "ok" when RC is 0 and FILE's TAP has no
# failure, else to FAILED and status to 1 (call it outside $(...))
verdict() {
    if [ "$2" -eq 0 ] && ! grep -q '^not ok' "$1"; then V=ok; else V=FAILED; status=1; fi
}
# tally FILE [PREFIX]: "P passed, S skipped, F failed" of FILE's TAP lines
tally() {
    _p=$(grep -c "^ok [0-9]* - ${2:-}" "$1" | tr -d ' ')
    _s=$(grep "^ok [0-9]* - ${2:-}" "$1" | grep -c '# SKIP' | tr -d ' ')
    _f=$(grep -c "^not ok [0-9]* - ${2:-}" "$1" | tr -d ' ')
    echo "$((_p - _s)) passed, $_s skipped, $_f failed"
}
line() { summary="$summary$*
"; }

echo "== make stress: $seconds s per allocator, $threads threads, seed $seed"
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"

case " $parts " in *" stress "*)
    for a in glibc list buddy bucket; do
        s=$seconds
        [ "$a" = glibc ] && s=$(( (seconds + 2) / 3 ))
        start=$(date +%s)
        rc=0
        STRESS_SECONDS=$s STRESS_THREADS=$threads STRESS_SEED=$seed \
            sh "$here/run-stress.sh" "$a" >"$out/stress-$a" 2>&1 || rc=$?
        wall=$(( $(date +%s) - start ))
        sed "s/^/[$a] /" "$out/stress-$a"
        ops=$(sed -n 's/^# \([0-9]*\) operations.*/\1/p' "$out/stress-$a")
        rest=$(sed -n 's/^# [0-9]* operations, \(.*\) (seed.*/\1/p' "$out/stress-$a")
        verdict "$out/stress-$a" "$rc"
        rate=$(( ${ops:-0} / (s > 0 ? s : 1) ))
        line "$(printf 'stress %-6s %4s s  %3s threads  %10s ops  %8s ops/s  %s  %s' \
            "$a" "$s" "$threads" "${ops:-?}" "$rate" "$rest (${wall} s wall)" "$V")"
    done ;;
esac

case " $parts " in *" tsan "*)
    ts=${TSAN_SECONDS:-$(( seconds / 10 > 3 ? seconds / 10 : 3 ))}
    rc=0
    TSAN_SECONDS=$ts TSAN_THREADS=${TSAN_THREADS:-8} STRESS_SEED=$seed \
        sh "$here/tsan.test" >"$out/tsan" 2>&1 || rc=$?
    sed 's/^/[tsan] /' "$out/tsan"
    verdict "$out/tsan" "$rc"
    if grep -q '^1\.\.0 # SKIP' "$out/tsan"; then
        line "tsan   skipped: $(sed -n 's/^1\.\.0 # SKIP //p' "$out/tsan")"
    else
        line "tsan   $ts s, ${TSAN_THREADS:-8} threads per allocator: $(tally "$out/tsan")  $V"
    fi ;;
esac

case " $parts " in *" programs "*)
    rc=0
    pytests="test_re test_string test_json test_set test_list test_dict"
    STRESS_PYTHON_TESTS=${STRESS_PYTHON_TESTS:-$pytests} \
        sh "$here/programs.test" >"$out/programs" 2>&1 || rc=$?
    sed 's/^/[programs] /' "$out/programs"
    verdict "$out/programs" "$rc"
    for a in list buddy bucket; do
        rc=0
        sh "$top_srcdir/tests/alloc/realprog.sh" "$a" >"$out/realprog-$a" 2>&1 || rc=$?
        sed "s/^/[realprog $a] /" "$out/realprog-$a"
        verdict "$out/realprog-$a" "$rc"
        line "programs $a: realprog.sh $(tally "$out/realprog-$a");" \
            "programs.test $(tally "$out/programs" "$a: ")  $V"
    done ;;
esac

echo
echo "== summary (seed $seed)"
printf '%s' "$summary"
[ "$status" -eq 0 ] && echo "== make stress: all passed" || echo "== make stress: FAILED"
exit $status
