# src/alloc/buddy: allocator "buddy" (included by Makefile.am)
BUDDY_SOURCES = \
	src/alloc/buddy/buddy.h \
	src/alloc/buddy/core.c \
	src/alloc/buddy/registry.c \
	src/alloc/buddy/arena.c \
	src/alloc/buddy/large.c \
	src/alloc/buddy/backend.c
pkglib_LTLIBRARIES += src/alloc/buddy/libhusky-buddy.la
src_alloc_buddy_libhusky_buddy_la_SOURCES = $(ALLOC_COMMON_SOURCES) $(BUDDY_SOURCES)
src_alloc_buddy_libhusky_buddy_la_CFLAGS = $(ALLOC_CFLAGS)
src_alloc_buddy_libhusky_buddy_la_LDFLAGS = $(PRELOAD_LDFLAGS)
EXTRA_DIST += docs/alloc-buddy.md docs/benchmarks/buddy.md
