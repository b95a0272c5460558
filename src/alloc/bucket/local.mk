# src/alloc/bucket: its part of the build (included by Makefile.am)
# libhusky-bucket.so: the size-class allocator, for LD_PRELOAD and huskyreplay.
pkglib_LTLIBRARIES += src/alloc/bucket/libhusky-bucket.la
src_alloc_bucket_libhusky_bucket_la_SOURCES = \
	$(ALLOC_COMMON_SOURCES) \
	src/alloc/bucket/bucket.h \
	src/alloc/bucket/backend.c \
	src/alloc/bucket/glue.c \
	src/alloc/bucket/large.c \
	src/alloc/bucket/remote_free.c \
	src/alloc/bucket/segment.c \
	src/alloc/bucket/size_class.c \
	src/alloc/bucket/size_class.h \
	src/alloc/bucket/span.c \
	src/alloc/bucket/thread_cache.c
src_alloc_bucket_libhusky_bucket_la_CFLAGS = $(ALLOC_CFLAGS)
src_alloc_bucket_libhusky_bucket_la_LDFLAGS = $(PRELOAD_LDFLAGS)
