# src/alloc/list: its part of the build (included by Makefile.am)
