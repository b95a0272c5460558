# src/alloc/bucket: its part of the build (included by Makefile.am)
noinst_HEADERS += src/alloc/bucket/bucket.h
