# tests/capture: its part of the build (included by tests/local.mk)
#
# Test programs run under the capture shim are built without sanitizers
# (their runtime would have to come before the shim in the process).
check_PROGRAMS += tests/capture/ends tests/capture/xfree tests/capture/trace-count \
	tests/capture/encode tests/capture/churn tests/capture/clock \
	tests/capture/trim
tests_capture_encode_SOURCES = tests/capture/encode.c
tests_capture_encode_LDADD = src/trace/libhtr.la
tests_capture_clock_SOURCES = tests/capture/clock.c src/capture/clock.c
tests_capture_trim_SOURCES = tests/capture/trim.c src/capture/trim.c
tests_capture_trim_LDADD = src/trace/libhtr.la
tests_capture_ends_SOURCES = tests/capture/ends.c
tests_capture_ends_CFLAGS = $(NOSAN_CFLAGS)
tests_capture_ends_LDFLAGS =
tests_capture_xfree_SOURCES = tests/capture/xfree.c
tests_capture_xfree_CFLAGS = $(NOSAN_CFLAGS)
tests_capture_xfree_LDFLAGS =
tests_capture_churn_SOURCES = tests/capture/churn.c
tests_capture_churn_CFLAGS = $(NOSAN_CFLAGS)
tests_capture_churn_LDFLAGS =
tests_capture_trace_count_SOURCES = tests/capture/trace-count.c
tests_capture_trace_count_LDADD = src/trace/libhtr.la

check_LTLIBRARIES += tests/capture/libmtracer.la
tests_capture_libmtracer_la_SOURCES = tests/capture/mtracer.c
tests_capture_libmtracer_la_CFLAGS = $(NOSAN_CFLAGS)
tests_capture_libmtracer_la_LDFLAGS = $(PRELOAD_LDFLAGS) -rpath $(abs_builddir)

TESTS += \
	tests/capture/encode \
	tests/capture/clock \
	tests/capture/trim \
	tests/capture/ends.test \
	tests/capture/threads.test \
	tests/capture/memory.test \
	tests/capture/procs.test \
	tests/capture/programs.test \
	tests/capture/record-usage.test \
	tests/capture/callers.test \
	tests/capture/import.test
EXTRA_DIST += \
	tests/capture/ends.test \
	tests/capture/threads.test \
	tests/capture/memory.test \
	tests/capture/procs.test \
	tests/capture/programs.test \
	tests/capture/record-usage.test \
	tests/capture/callers.test \
	tests/capture/import.test \
	tests/capture/bad-unknown-op.mtrace \
	tests/capture/bad-address.mtrace \
	tests/capture/bad-realloc.mtrace \
	tests/capture/sample.mtrace
