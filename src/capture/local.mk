# src/capture: its part of the build (included by Makefile.am)
#
# libhuskycapture.so, the recording shim preloaded into traced programs, and
# the capture parts of huskytrace: record, import, and info --callers.

# ---- the shim (runs inside other programs: no sanitizers, hidden symbols) ----
pkglib_LTLIBRARIES += src/capture/libhuskycapture.la
src_capture_libhuskycapture_la_SOURCES = \
	src/capture/cap.h \
	src/capture/encode.h \
	src/capture/clock.c \
	src/capture/emit.c \
	src/capture/file.c \
	src/capture/hooks.c
src_capture_libhuskycapture_la_CFLAGS = $(NOSAN_CFLAGS) -O2 -fvisibility=hidden \
	-ftls-model=initial-exec
src_capture_libhuskycapture_la_LDFLAGS = $(PRELOAD_LDFLAGS) -Wl,--exclude-libs,ALL
src_capture_libhuskycapture_la_LIBADD = src/trace/libhtr_nosan.la

# ---- huskytrace record and import ----
noinst_LTLIBRARIES += src/capture/libcmdline_capture.la
src_capture_libcmdline_capture_la_SOURCES = \
	src/tools/cmdline_record.c \
	src/tools/cmdline_record.h \
	src/tools/cmdline_import.c \
	src/tools/cmdline_import.h
src_capture_libcmdline_capture_la_CFLAGS = $(AM_CFLAGS) $(GGO_CFLAGS)
BUILT_SOURCES += \
	src/tools/cmdline_record.c \
	src/tools/cmdline_record.h \
	src/tools/cmdline_import.c \
	src/tools/cmdline_import.h
EXTRA_DIST += \
	docs/huskytrace-record.md \
	docs/benchmarks/capture.md \
	docs/benchmarks/capture-2026-11-24-evening.md \
	src/tools/record.ggo \
	src/tools/import.ggo \
	src/capture/bench-record.sh

src_tools_huskytrace_SOURCES += \
	src/capture/tool.h \
	src/capture/callers.c \
	src/capture/target.c \
	src/capture/trim.c \
	src/tools/import.c \
	src/tools/record.c
src_tools_huskytrace_LDADD += src/capture/libcmdline_capture.la

# gengetopt: NAME.ggo -> cmdline_NAME.{c,h} beside it (shipped in the tarball)
cap_ggo = $(GENGETOPT) --output-dir=$(@D) --unamed-opts=ARGS --no-handle-error
src/tools/cmdline_record.h: src/tools/cmdline_record.c
src/tools/cmdline_record.c: src/tools/record.ggo
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(cap_ggo) -i $(srcdir)/src/tools/record.ggo \
	    -F cmdline_record --func-name=record_cmdline_parser --arg-struct-name=record_args
src/tools/cmdline_import.h: src/tools/cmdline_import.c
src/tools/cmdline_import.c: src/tools/import.ggo
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(cap_ggo) -i $(srcdir)/src/tools/import.ggo \
	    -F cmdline_import --func-name=import_cmdline_parser --arg-struct-name=import_args
