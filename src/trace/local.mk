# src/trace: its part of the build (included by Makefile.am)
#
# The same sources build twice: libhtr.la with the tools' flags (sanitizers
# when enabled) for the tools and tests, and libhtr_nosan.la without them for
# code preloaded into other programs (the capture shim).  The installed
# libhuskytrace is the unsanitized one.
htr_sources = \
	src/trace/codec.c \
	src/trace/error.c \
	src/trace/reader.c \
	src/trace/writer.c
noinst_HEADERS += src/trace/htr_internal.h
pkginclude_HEADERS += src/trace/trace.h

noinst_LTLIBRARIES += src/trace/libhtr.la
src_trace_libhtr_la_SOURCES = $(htr_sources)

noinst_LTLIBRARIES += src/trace/libhtr_nosan.la
src_trace_libhtr_nosan_la_SOURCES = $(htr_sources)
src_trace_libhtr_nosan_la_CFLAGS = $(NOSAN_CFLAGS) -fPIC

lib_LTLIBRARIES += src/trace/libhuskytrace.la
src_trace_libhuskytrace_la_SOURCES =
src_trace_libhuskytrace_la_LIBADD = src/trace/libhtr_nosan.la
src_trace_libhuskytrace_la_LDFLAGS = -version-info 1:0:0 -no-undefined
dist_doc_DATA += docs/trace-format.md
