# replay: huskyreplay (the tool) and huskyreplay-worker (the process that
# replays one plan against one preloaded allocator; built without sanitizers
# and with -fno-builtin, since allocators are preloaded into it and the
# compiler must keep every malloc/free pair).
bin_PROGRAMS += replay/huskyreplay
pkglibexec_PROGRAMS += replay/huskyreplay-worker
noinst_LTLIBRARIES += replay/libcmdline_huskyreplay.la

replay_libcmdline_huskyreplay_la_SOURCES = \
	replay/cmdline_huskyreplay.c \
	replay/cmdline_huskyreplay.h
replay_libcmdline_huskyreplay_la_CFLAGS = $(AM_CFLAGS) $(GGO_CFLAGS)
BUILT_SOURCES += replay/cmdline_huskyreplay.c replay/cmdline_huskyreplay.h
EXTRA_DIST += replay/huskyreplay.ggo

replay/cmdline_huskyreplay.c: $(srcdir)/replay/huskyreplay.ggo
	$(AM_V_GEN)$(MKDIR_P) replay && \
	$(GENGETOPT) -i $(srcdir)/replay/huskyreplay.ggo --output-dir=replay \
	  -F cmdline_huskyreplay --func-name=rp_cmdline_parser --arg-struct-name=rp_args
replay/cmdline_huskyreplay.h: replay/cmdline_huskyreplay.c
	@:

replay_huskyreplay_SOURCES = \
	replay/huskyreplay.c \
	replay/allocators.c \
	replay/run.c \
	replay/report.c \
	replay/report_files.c \
	replay/plan_build.c \
	replay/plan_cache.c \
	replay/plan_file.c \
	replay/hist.c \
	src/common/charts.c \
	src/common/outfile.c \
	replay/rp.h \
	replay/tool.h
replay_huskyreplay_LDADD = replay/libcmdline_huskyreplay.la src/trace/libhtr.la

replay_huskyreplay_worker_SOURCES = \
	replay/worker.c \
	replay/worker_ops.c \
	replay/worker.h \
	replay/plan_file.c \
	replay/hist.c \
	replay/rp.h
replay_huskyreplay_worker_CFLAGS = $(NOSAN_CFLAGS) -fno-builtin
replay_huskyreplay_worker_LDFLAGS =

if HAVE_HELP2MAN
nodist_man1_MANS += replay/huskyreplay.1
replay/huskyreplay.1: replay/huskyreplay$(EXEEXT) $(srcdir)/replay/huskyreplay.ggo
	$(AM_V_GEN)$(HELP2MAN) --no-info -N \
	  -n "replay malloc traces against allocators and compare them" \
	  -o $@ ./replay/huskyreplay$(EXEEXT)
CLEANFILES += replay/huskyreplay.1
endif

EXTRA_DIST += docs/huskyreplay.md docs/benchmarks/replay.md
