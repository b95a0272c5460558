# tests/trace: its part of the build (included by tests/local.mk)
check_PROGRAMS += tests/trace/roundtrip
tests_trace_roundtrip_SOURCES = tests/trace/roundtrip.c
tests_trace_roundtrip_LDADD = src/trace/libhtr.la
TESTS += tests/trace/roundtrip
