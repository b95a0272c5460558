#!/usr/bin/env bash
# CI: a longer allocator stress than make check's (tests/stress/long.sh via
# make stress): 30 s per husky allocator with 16 threads (glibc, the control,
# 10 s), then the allocators' stress under ThreadSanitizer for 10 s each
# (skipped where TSan cannot run).  About 2.5 minutes on 2 cores.  Run from
# the top of the configured, built source tree; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
TSAN_SECONDS=10 TSAN_THREADS=8 make -s stress STRESS_SECONDS="${STRESS_SECONDS:-30}" \
    STRESS_THREADS=16 STRESS_PARTS="stress tsan"
