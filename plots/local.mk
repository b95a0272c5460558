# plots: the gnuplot chart scripts, the report builder, and the rules that
# draw a folder of CSV files (what `huskyreplay --plot DIR`, `huskysim --plot
# DIR` and `make bench` write) into charts and DIR/report.html:
#   make charts DIR=folder
PLOT_FILES = \
	plots/common.gp \
	plots/nodata.gp \
	plots/time.gp \
	plots/frag.gp \
	plots/rss.gp \
	plots/latency.gp \
	plots/scaling.gp \
	plots/sim.gp \
	plots/pivot.awk \
	plots/table.awk \
	plots/bench-tables.awk \
	plots/report.sh
EXTRA_DIST += $(PLOT_FILES)
dist_pkgdata_DATA += $(PLOT_FILES)

# huskyplot DIR: the same charts and report for an installed husky
bin_SCRIPTS += plots/huskyplot
EXTRA_DIST += plots/huskyplot.in
CLEANFILES += plots/huskyplot
if HAVE_HELP2MAN
nodist_man1_MANS += plots/huskyplot.1
CLEANFILES += plots/huskyplot.1
plots/huskyplot.1: plots/huskyplot
	$(AM_V_GEN)$(HELP2MAN) --no-info -N -n "draw husky's charts and report from --plot data" \
		-o $@ ./plots/huskyplot
endif
plots/huskyplot: plots/huskyplot.in Makefile
	$(AM_V_GEN)$(MKDIR_P) plots && \
	sed -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' -e 's|@VERSION[@]|$(VERSION)|g' \
		$(srcdir)/plots/huskyplot.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# `make charts DIR=folder [TITLE=...]`: huskyplot from the build tree.
PHONY_TARGETS += charts
charts: plots/huskyplot
	@test -n "$(DIR)" && test -d "$(DIR)" || \
		{ echo "usage: make charts DIR=folder-with-csv-files" >&2; exit 2; }
	@HUSKY_PLOTS_DIR=$(srcdir)/plots GNUPLOT='$(GNUPLOT)' $(SHELL) plots/huskyplot \
		-t "$(or $(TITLE),husky allocator comparison)" "$(DIR)" >/dev/null
