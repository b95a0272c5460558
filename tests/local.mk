# tests: its part of the build (included by Makefile.am)
