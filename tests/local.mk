# tests: shared helpers, then each area's tests in its own fragment
EXTRA_DIST += tests/lib.sh
noinst_HEADERS += tests/tap.h tests/expect_abort.h
include tests/trace/local.mk
include tests/capture/local.mk
include tests/replay/local.mk
include tests/alloc/local.mk
include tests/alloc-list/local.mk
include tests/alloc-buddy/local.mk
include tests/alloc-bucket/local.mk
include tests/sim/local.mk
include tests/workloads/local.mk
include tests/reliability/local.mk
include tests/fuzz/local.mk
include tests/stress/local.mk
