#!/usr/bin/env bash
# .ci/extra.d/fuzz.sh: CI's bounded fuzzing run (issue 10).  From the top of
# a configured, built tree: builds the libFuzzer harnesses of tests/fuzz
# with clang, replays their seeds and regression inputs, then fuzzes each
# for FUZZ_SECONDS (default 20; four harnesses, about 2 minutes with the
# build).  Prints the executions per harness; fails on any crash, leak,
# timeout or sanitizer report (inputs kept in tests/fuzz/work/crashes).
# Without clang and its fuzzer runtime it prints SKIP and succeeds.
set -u
cd "$(dirname "$0")/../.."
if [ ! -f Makefile ]; then
    echo "fuzz.sh: run it in a configured tree (./bootstrap first)" >&2
    exit 1
fi
if ! make -s fuzz-cc >/dev/null 2>&1; then
    echo "SKIP: fuzz: no clang with libFuzzer (install clang and libclang-rt-dev, re-run configure)"
    exit 0
fi
start=$(date +%s)
make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
rc=$?
echo "fuzz.sh: $(( $(date +%s) - start )) s in all, exit $rc"
exit $rc
