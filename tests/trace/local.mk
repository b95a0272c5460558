# tests/trace: its part of the build (included by tests/local.mk)
check_PROGRAMS += tests/trace/roundtrip
tests_trace_roundtrip_SOURCES = tests/trace/roundtrip.c
tests_trace_roundtrip_LDADD = src/trace/libhtr.la
TESTS += tests/trace/roundtrip

# test-only: builds traces from dump-format text
check_PROGRAMS += tests/trace/htrgen
tests_trace_htrgen_SOURCES = tests/trace/htrgen.c
tests_trace_htrgen_LDADD = src/trace/libhtr.la
TESTS += tests/trace/tools.test
EXTRA_DIST += tests/trace/tools.test
check_PROGRAMS += tests/trace/mutate
tests_trace_mutate_SOURCES = tests/trace/mutate.c
check_PROGRAMS += tests/trace/compact
tests_trace_compact_SOURCES = tests/trace/compact.c
tests_trace_compact_LDADD = src/trace/libhtr.la
TESTS += tests/trace/compact
