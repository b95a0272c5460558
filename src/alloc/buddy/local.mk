# src/alloc/buddy: its part of the build (included by Makefile.am)
noinst_HEADERS += src/alloc/buddy/buddy.h
