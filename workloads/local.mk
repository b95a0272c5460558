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
	$(GENGETOPT) -i $< --no-handle-error --output-dir=workloads -F cmdline_huskygen \
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

# ---- recipes, samples, demo and bench ----
WORKLOAD_FILES = \
	workloads/demo.sh \
	workloads/bench.sh \
	workloads/allocators.sh \
	workloads/recipes/record.sh \
	workloads/recipes/py_job.py
EXTRA_DIST += $(WORKLOAD_FILES) $(WORKLOAD_SAMPLES)
WORKLOAD_SAMPLES = \
	workloads/samples/ls-usr-lib.htr \
	workloads/samples/python3-json.htr \
	workloads/samples/perl-hash.htr
EXTRA_DIST += workloads/samples/README.md
dist_pkgdata_DATA += $(WORKLOAD_SAMPLES)

# `make demo`: records real programs, generates synthetic workloads, replays
# them against every installed allocator, simulates the policies, draws
# demo/*.png and writes demo/report.html (see workloads/demo.sh).
PHONY_TARGETS += demo bench
demo: all
	@start=$$(date +%s); \
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/workloads/demo.sh $(srcdir) demo && \
	$(MAKE) $(AM_MAKEFLAGS) charts DIR=demo TITLE="husky demo: allocators on this machine" && \
	echo && \
	if test -f demo/summary.csv; then $(AWK) -F, -f $(srcdir)/plots/table.awk demo/summary.csv; \
	else echo "demo: no replay results (see the notes above)"; fi && \
	echo && echo "demo: done in $$(( $$(date +%s) - start )) s; report: $(abs_builddir)/demo/report.html"

# `make bench`: the full matrix (workloads x allocators x 1, 2, 4, 8 threads,
# -n 5) into bench/results.csv and bench/scaling.csv, the charts and
# bench/report.html, and bench/tables.md (the tables of docs/BENCHMARKS.md).
bench: all
	@$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/workloads/bench.sh $(srcdir) bench && \
	$(MAKE) $(AM_MAKEFLAGS) charts DIR=bench TITLE="husky benchmarks" && \
	$(AWK) -F, -f $(srcdir)/plots/bench-tables.awk bench/results.csv > bench/tables.md && \
	cat bench/tables.md && \
	echo "bench: tables in $(abs_builddir)/bench/tables.md, report in $(abs_builddir)/bench/report.html"

clean-local: clean-local-workloads
clean-local-workloads:
	-rm -rf demo bench
PHONY_TARGETS += clean-local-workloads

EXTRA_DIST += docs/huskygen.md docs/charts.md docs/benchmarks/workloads.md
