# src/trace: its part of the build (included by Makefile.am)
