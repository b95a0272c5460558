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

PLOT_DEPS = $(srcdir)/plots/common.gp $(srcdir)/plots/pivot.awk
# PLOT_GP script csv out [arg]: draws the PNG and the SVG of one chart
PLOT_GP = plot_gp() { $(GNUPLOT) -c "$$1" "$$2" "$$3.png" $$4 && \
	$(GNUPLOT) -c "$$1" "$$2" "$$3.svg" $$4; }; plot_gp

%/time.png: %/summary.csv $(srcdir)/plots/time.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/time.gp $< $*/time
%/frag.png: %/summary.csv $(srcdir)/plots/frag.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/frag.gp $< $*/frag
%/rss.png: %/rss.csv $(srcdir)/plots/rss.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/rss.gp $< $*/rss
%/latency-p50.png: %/latency.csv $(srcdir)/plots/latency.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/latency.gp $< $*/latency-p50 p50_ns
%/latency-p99.png: %/latency.csv $(srcdir)/plots/latency.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/latency.gp $< $*/latency-p99 p99_ns
%/scaling.png: %/scaling.csv $(srcdir)/plots/scaling.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/scaling.gp $< $*/scaling
%/sim.png: %/sim.csv $(srcdir)/plots/sim.gp $(PLOT_DEPS)
	$(AM_V_GEN)$(PLOT_GP) $(srcdir)/plots/sim.gp $< $*/sim

# The charts whose CSV file DIR holds, then DIR/report.html.  Without
# gnuplot the report still has its tables.
PHONY_TARGETS += charts
charts:
	@test -n "$(DIR)" && test -d "$(DIR)" || \
		{ echo "usage: make charts DIR=folder-with-csv-files" >&2; exit 2; }
	@set --; \
	for c in time:summary frag:summary rss:rss latency-p50:latency \
		latency-p99:latency scaling:scaling sim:sim; do \
		test -f "$(DIR)/$${c#*:}.csv" && set -- "$$@" "$(DIR)/$${c%%:*}.png"; \
	done; \
	if test -z "$(GNUPLOT)"; then \
		echo "note: gnuplot not found: the report has tables but no charts"; \
	elif test $$# -gt 0; then \
		$(MAKE) $(AM_MAKEFLAGS) "$$@"; \
	fi
	@$(SHELL) $(srcdir)/plots/report.sh -t "$(or $(TITLE),husky allocator comparison)" "$(DIR)" >/dev/null
