# tests/workloads: its part of the build (included by tests/local.mk)
check_PROGRAMS += tests/workloads/gen_stats
tests_workloads_gen_stats_SOURCES = tests/workloads/gen_stats.c
tests_workloads_gen_stats_LDADD = src/trace/libhtr.la
WORKLOADS_TESTS = \
	tests/workloads/huskygen-workloads.test \
	tests/workloads/huskygen-counts.test \
	tests/workloads/huskygen-cli.test \
	tests/workloads/plots.test \
	tests/workloads/report.test \
	tests/workloads/huskyplot.test \
	tests/workloads/bench-tables.test \
	tests/workloads/recipes.test
TESTS += $(WORKLOADS_TESTS)
EXTRA_DIST += \
	$(WORKLOADS_TESTS) \
	tests/workloads/data/summary.csv \
	tests/workloads/data/rss.csv \
	tests/workloads/data/latency.csv \
	tests/workloads/data/sim.csv \
	tests/workloads/data/scaling.csv
