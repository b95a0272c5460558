# tests/alloc-buddy: its part of the build (included by tests/local.mk)

# the buddy core alone (no locks, no OS layer): seed 004's example, order map,
# corruption resistance, resizing, random traffic
check_PROGRAMS += tests/alloc-buddy/buddy-core
tests_alloc_buddy_buddy_core_SOURCES = \
	tests/alloc-buddy/buddy-core.c \
	src/alloc/buddy/core.c \
	src/alloc/buddy/registry.c
TESTS += tests/alloc-buddy/buddy-core

# scenarios run with libhusky-buddy.so preloaded: no sanitizers, and no
# builtins, so that the compiler keeps every malloc/free pair as written
check_PROGRAMS += tests/alloc-buddy/buddy-probe
tests_alloc_buddy_buddy_probe_SOURCES = tests/alloc-buddy/buddy-probe.c
tests_alloc_buddy_buddy_probe_CFLAGS = $(NOSAN_CFLAGS) -fno-builtin -Wno-free-nonheap-object
tests_alloc_buddy_buddy_probe_LDFLAGS =
TESTS += tests/alloc-buddy/buddy-behaviour.test
EXTRA_DIST += tests/alloc-buddy/buddy-behaviour.test

# the shared harness of tests/alloc/ (api, stress, real programs) for buddy
BUDDY_HARNESS_TESTS = \
	tests/alloc-buddy/buddy-api.test \
	tests/alloc-buddy/buddy-api-one-arena.test \
	tests/alloc-buddy/buddy-stress.test \
	tests/alloc-buddy/buddy-stress-options.test \
	tests/alloc-buddy/buddy-realprog.test \
	tests/alloc-buddy/buddy-realprog-options.test
TESTS += $(BUDDY_HARNESS_TESTS)
EXTRA_DIST += $(BUDDY_HARNESS_TESTS)

# seed 004's benchmark in CPU time, ~1 M pairs per n (not a test; see
# docs/benchmarks/buddy.md)
check_PROGRAMS += tests/alloc-buddy/seed004-bench
tests_alloc_buddy_seed004_bench_SOURCES = tests/alloc-buddy/seed004-bench.c
tests_alloc_buddy_seed004_bench_CFLAGS = $(NOSAN_CFLAGS) -fno-builtin
tests_alloc_buddy_seed004_bench_LDFLAGS =
