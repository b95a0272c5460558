# src/alloc/buddy: its part of the build (included by Makefile.am)
