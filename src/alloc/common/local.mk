# src/alloc/common: the layer every husky allocator links in (included by
# Makefile.am before the allocators' own local.mk files).
#
# An allocator library adds these sources to its own and compiles everything
# with ALLOC_CFLAGS, e.g. in src/alloc/NAME/local.mk:
#   pkglib_LTLIBRARIES += src/alloc/NAME/libhusky-NAME.la
#   src_alloc_NAME_libhusky_NAME_la_SOURCES = $(ALLOC_COMMON_SOURCES) src/alloc/NAME/a.c ...
#   src_alloc_NAME_libhusky_NAME_la_CFLAGS = $(ALLOC_CFLAGS)
#   src_alloc_NAME_libhusky_NAME_la_LDFLAGS = $(PRELOAD_LDFLAGS)
# No sanitizers (the library is preloaded into other programs), hidden
# symbols except the malloc family (exports.c), initial-exec TLS so that a
# thread-local access never calls into the dynamic loader (which may malloc).
ALLOC_CFLAGS = $(NOSAN_CFLAGS) -fvisibility=hidden -fPIC -ftls-model=initial-exec
ALLOC_COMMON_HDRS = \
	src/alloc/common/alloc.h \
	src/alloc/common/lock.h \
	src/alloc/common/options.h \
	src/alloc/common/os.h \
	src/alloc/common/stats.h
ALLOC_COMMON_SOURCES = \
	$(ALLOC_COMMON_HDRS) \
	src/alloc/common/exports.c \
	src/alloc/common/options.c \
	src/alloc/common/os.c \
	src/alloc/common/stats.c
noinst_HEADERS += $(ALLOC_COMMON_HDRS)
