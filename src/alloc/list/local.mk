# src/alloc/list: allocator "list", the Husky free-list allocator
# (libhusky-list.so for LD_PRELOAD; see docs/alloc-list.md).
LIST_SOURCES = \
	src/alloc/list/list.h \
	src/alloc/list/arena.c \
	src/alloc/list/bins.c \
	src/alloc/list/block.c \
	src/alloc/list/large.c \
	src/alloc/list/malloc.c \
	src/alloc/list/pagemap.c \
	src/alloc/list/trim.c
pkglib_LTLIBRARIES += src/alloc/list/libhusky-list.la
src_alloc_list_libhusky_list_la_SOURCES = $(ALLOC_COMMON_SOURCES) $(LIST_SOURCES)
src_alloc_list_libhusky_list_la_CFLAGS = $(ALLOC_CFLAGS)
src_alloc_list_libhusky_list_la_LDFLAGS = $(PRELOAD_LDFLAGS)
EXTRA_DIST += docs/allocators.md docs/alloc-list.md docs/benchmarks/list.md
