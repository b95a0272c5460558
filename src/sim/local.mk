# src/sim: huskysim, the placement-policy simulator (included by Makefile.am)
#
# The model (heap, policies, metrics) is a convenience library so the unit
# tests can drive it without a trace.
noinst_LTLIBRARIES += src/sim/libsim.la
src_sim_libsim_la_SOURCES = \
	src/sim/heap.c \
	src/sim/tree.c \
	src/sim/fit.c \
	src/sim/buddy.c \
	src/sim/segstore.c \
	src/sim/check.c \
	src/sim/policy.c
noinst_HEADERS += src/sim/sim.h
