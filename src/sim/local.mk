# src/sim: huskysim, the placement-policy simulator (included by Makefile.am)
#
# The model (heap, policies, metrics) is a convenience library so the unit
# tests can drive it without a trace.
noinst_LTLIBRARIES += src/sim/libsim.la
src_sim_libsim_la_SOURCES = \
	src/sim/heap.c \
	src/sim/tree.c \
	src/sim/mtree.c \
	src/sim/bestfit.c \
	src/sim/fit.c \
	src/sim/buddy.c \
	src/sim/segstore.c \
	src/sim/check.c \
	src/sim/policy.c
noinst_HEADERS += src/sim/sim.h

# huskysim: the tool
bin_PROGRAMS += src/sim/huskysim
src_sim_huskysim_SOURCES = \
	src/sim/main.c \
	src/sim/load.c \
	src/sim/output.c \
	src/common/charts.c \
	src/common/outfile.c
noinst_HEADERS += src/sim/load.h src/sim/output.h
src_sim_huskysim_LDADD = src/sim/libsim_cmdline.la src/sim/libsim.la src/trace/libhtr.la
EXTRA_DIST += src/sim/huskysim.ggo

# the generated option parser: built, shipped, never committed
BUILT_SOURCES += src/sim/cmdline_sim.c src/sim/cmdline_sim.h
noinst_LTLIBRARIES += src/sim/libsim_cmdline.la
src_sim_libsim_cmdline_la_SOURCES = src/sim/cmdline_sim.c src/sim/cmdline_sim.h
src_sim_libsim_cmdline_la_CFLAGS = $(AM_CFLAGS) $(GGO_CFLAGS)
src/sim/cmdline_sim.h: src/sim/cmdline_sim.c
src/sim/cmdline_sim.c: $(srcdir)/src/sim/huskysim.ggo
	$(AM_V_GEN)$(MKDIR_P) src/sim && $(GENGETOPT) -i $(srcdir)/src/sim/huskysim.ggo \
	  --output-dir=src/sim -F cmdline_sim --func-name=sim_cmdline \
	  --arg-struct-name=sim_args --no-handle-error --unnamed-opts=TRACE

if HAVE_HELP2MAN
nodist_man1_MANS += src/sim/huskysim.1
CLEANFILES += src/sim/huskysim.1
src/sim/huskysim.1: src/sim/huskysim$(EXEEXT) $(srcdir)/src/sim/huskysim.ggo
	$(AM_V_GEN)$(HELP2MAN) --no-info -N \
	  -n "simulate placement policies on malloc traces" -o $@ ./src/sim/huskysim
endif
