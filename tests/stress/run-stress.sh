#!/bin/sh
# tests/stress/run-stress.sh: runs the shared stress program
# (tests/alloc/stress.c) under one allocator and prints its TAP.
#
# usage: run-stress.sh NAME   (NAME: list, buddy, bucket, or glibc for the
# control run with nothing preloaded).  STRESS_SECONDS (default 12),
# STRESS_THREADS (default 12) and STRESS_SEED (default 1) set the run.
. "$top_srcdir/tests/lib.sh"

name=$1
prog=$top_builddir/tests/alloc/stress
[ -x "$prog" ] || skip_all "tests/alloc/stress not built"
preload=
if [ "$name" != glibc ]; then
    preload=$(husky_lib "husky-$name") || skip_all "libhusky-$name.so not built"
fi
seconds=${STRESS_SECONDS:-12}
threads=${STRESS_THREADS:-12}
seed=${STRESS_SEED:-1}
echo "# allocator $name: $seconds s, $threads threads, seed $seed${preload:+, LD_PRELOAD=$preload}"
rc=0
if [ -n "$preload" ]; then
    LD_PRELOAD=$preload "$prog" "$seconds" "$threads" "$seed" || rc=$?
else
    "$prog" "$seconds" "$threads" "$seed" || rc=$?
fi
exit $rc
