# workloads: huskygen (synthetic traces), recording recipes, sample traces,
# and the `make demo` / `make bench` targets.
bin_PROGRAMS += workloads/huskygen
noinst_HEADERS += workloads/gen.h
workloads_huskygen_SOURCES = \
	workloads/huskygen.c \
	workloads/gen_core.c \
	workloads/gen_single.c \
	workloads/gen_threads.c
workloads_huskygen_LDADD = workloads/libgencmd.la src/trace/libhtr.la

# the generated command-line parser: built, never committed; shipped in the
# tarball so that users need no gengetopt
noinst_LTLIBRARIES += workloads/libgencmd.la
workloads_libgencmd_la_SOURCES = \
	workloads/cmdline_huskygen.c \
	workloads/cmdline_huskygen.h
workloads_libgencmd_la_CFLAGS = $(AM_CFLAGS) $(GGO_CFLAGS)
BUILT_SOURCES += workloads/cmdline_huskygen.c workloads/cmdline_huskygen.h
EXTRA_DIST += workloads/huskygen.ggo
workloads/cmdline_huskygen.c: workloads/huskygen.ggo
	$(AM_V_GEN)$(MKDIR_P) workloads && \
	$(GENGETOPT) -i $< --output-dir=workloads -F cmdline_huskygen \
		--func-name=gen_cmdline --arg-struct-name=gen_args
workloads/cmdline_huskygen.h: workloads/cmdline_huskygen.c
	@:

if HAVE_HELP2MAN
nodist_man1_MANS += workloads/huskygen.1
CLEANFILES += workloads/huskygen.1
workloads/huskygen.1: workloads/huskygen$(EXEEXT) workloads/huskygen.ggo
	$(AM_V_GEN)$(HELP2MAN) --no-info -N -n "write synthetic malloc traces" \
		-o $@ ./workloads/huskygen$(EXEEXT)
endif
