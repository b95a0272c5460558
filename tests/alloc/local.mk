# tests/alloc: the allocator test harness shared by list, buddy and bucket.
# The programs are built against no allocator and without sanitizers, and
# run under LD_PRELOAD by the wrappers in tests/alloc-NAME/ (see
# tests/alloc/README.md).
check_PROGRAMS += tests/alloc/api tests/alloc/stress tests/alloc/seed004-bench \
	tests/alloc/threads-bench
tests_alloc_api_SOURCES = tests/alloc/api.c
tests_alloc_api_CFLAGS = $(NOSAN_CFLAGS)
tests_alloc_api_LDFLAGS = -pthread
tests_alloc_stress_SOURCES = tests/alloc/stress.c
tests_alloc_stress_CFLAGS = $(NOSAN_CFLAGS) -pthread
tests_alloc_stress_LDFLAGS = -pthread
tests_alloc_seed004_bench_SOURCES = tests/alloc/seed004-bench.c
tests_alloc_seed004_bench_CFLAGS = $(NOSAN_CFLAGS)
tests_alloc_seed004_bench_LDFLAGS = -pthread
tests_alloc_threads_bench_SOURCES = tests/alloc/threads-bench.c
tests_alloc_threads_bench_CFLAGS = $(NOSAN_CFLAGS) -pthread
tests_alloc_threads_bench_LDFLAGS = -pthread
EXTRA_DIST += tests/alloc/realprog.sh tests/alloc/realprog.py tests/alloc/README.md \
	tests/alloc/bench.sh
