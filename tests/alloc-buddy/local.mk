# tests/alloc-buddy: its part of the build (included by tests/local.mk)

# the buddy core alone (no locks, no OS layer): seed 004's example, order map,
# corruption resistance, resizing, random traffic
check_PROGRAMS += tests/alloc-buddy/buddy-core
tests_alloc_buddy_buddy_core_SOURCES = \
	tests/alloc-buddy/buddy-core.c \
	src/alloc/buddy/core.c \
	src/alloc/buddy/registry.c
TESTS += tests/alloc-buddy/buddy-core
